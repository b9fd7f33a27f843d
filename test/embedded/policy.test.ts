import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeValidationParameter,
  evaluatePolicy,
  formatPolicy,
  implicitMetaThreshold,
  parseEndorsementPolicy,
  parseSignaturePolicy,
  policyMspIds,
  type Endorser,
  type EndorserRole,
} from '../../gateway/src/ledger/embedded/policy.js';

// The module exports the class itself (module.exports = KeyEndorsementPolicy).
const KeyEndorsementPolicy = createRequire(import.meta.url)('fabric-shim/lib/utils/statebased.js') as new (
  policy?: Uint8Array,
) => { addOrgs(role: string, ...orgs: string[]): void; getPolicy(): Uint8Array };

const peers = (...mspIds: string[]): Endorser[] => mspIds.map((mspId) => ({ mspId, role: 'peer' }));
const as = (role: EndorserRole, mspId: string): Endorser => ({ mspId, role });

describe('parseSignaturePolicy', () => {
  it.each([
    ["OR('A.member','B.member')", "OR('A.member', 'B.member')"],
    ['AND("A.peer", "B.admin")', "AND('A.peer', 'B.admin')"],
    ["  or ( 'A.client' )  ", "OR('A.client')"],
    ["OutOf(2, 'A.peer', 'B.peer', 'C.peer')", "OutOf(2, 'A.peer', 'B.peer', 'C.peer')"],
    ["OUTOF('1', 'A.peer', 'B.peer')", "OR('A.peer', 'B.peer')"],
    ["outof(2, 'A.peer', 'B.peer')", "AND('A.peer', 'B.peer')"],
    [
      "OutOf(2, 'A.peer', AND('B.member', OR(\"C.admin\", 'D.orderer')), OutOf(1, 'E.client', 'F.peer'))",
      "OutOf(2, 'A.peer', AND('B.member', OR('C.admin', 'D.orderer')), OR('E.client', 'F.peer'))",
    ],
    // Fabric's principal regex is greedy, so the MSP id may itself contain dots.
    ["OR('org1.example.com.peer')", "OR('org1.example.com.peer')"],
  ])('parses %s', (text, formatted) => {
    expect(formatPolicy(parseSignaturePolicy(text))).toBe(formatted);
  });

  it('compiles AND and OR to OutOf as Fabric does', () => {
    expect(parseSignaturePolicy("AND('A.peer','B.peer')")).toEqual({
      kind: 'outOf',
      n: 2,
      rules: [
        { kind: 'signedBy', principal: { mspId: 'A', role: 'peer' } },
        { kind: 'signedBy', principal: { mspId: 'B', role: 'peer' } },
      ],
    });
  });

  it.each([
    ['', /must start with AND\(\.\.\.\), OR\(\.\.\.\) or OutOf/],
    ["'A.member'", /must start with AND/],
    ["OR('A.member'", /expected ',' or '\)', found end of input/],
    ["OR('A.member',)", /expected a quoted principal or a gate, found '\)'/],
    ["OR('A.member') extra", /unexpected 'extra' after the policy/],
    ["XOR('A.member')", /unknown gate 'XOR'/],
    ["And2('A.member')", /unknown gate 'And2'/],
    ["aNd('A.member')", /unknown gate 'aNd'/],
    ["OR('A.superuser')", /principal 'A.superuser' must be/],
    ["OR('A')", /principal 'A' must be/],
    ["OR('A member')", /principal 'A member' must be/],
    ["OR('A.member)", /unterminated string/],
    ['OR(A.member)', /principal A.member must be quoted/],
    ["OR('A.member', B)", /unknown gate 'B'/],
    ['OR()', /expected a quoted principal or a gate, found '\)'/],
    ["OutOf('A.peer', 'B.peer')", /OutOf needs an integer threshold/],
    ["OutOf(3, 'A.peer', 'B.peer')", /threshold 3 must be between 1 and the 2 rule/],
    ["OutOf(0, 'A.peer')", /threshold 0 must be between 1/],
    ["OutOf(1 'A.peer')", /expected ',' after the OutOf threshold/],
    ["OR('A.member'; 'B.member')", /unexpected character ';'/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSignaturePolicy(text)).toThrow(message);
  });

  it('names the policy and the position in errors', () => {
    expect(() => parseSignaturePolicy("OR('A.member' 'B.member')")).toThrow(
      `invalid signature policy "OR('A.member' 'B.member')": expected ',' or ')', found string 'B.member' at position 14`,
    );
  });
});

describe('evaluatePolicy on signature policies', () => {
  it.each<[string, Endorser[], boolean]>([
    ["OR('A.member','B.member')", peers('B'), true],
    ["OR('A.member','B.member')", peers('C'), false],
    ["AND('A.peer','B.peer')", peers('A', 'B'), true],
    ["AND('A.peer','B.peer')", peers('A'), false],
    ["AND('A.peer','B.peer')", peers('B', 'C', 'A'), true],
    ["OutOf(2, 'A.peer', 'B.peer', 'C.peer')", peers('C', 'A'), true],
    ["OutOf(2, 'A.peer', 'B.peer', 'C.peer')", peers('C', 'D'), false],
    ["OutOf(2, 'A.peer', AND('B.peer', 'C.peer'), 'D.peer')", peers('B', 'C', 'D'), true],
    ["OutOf(2, 'A.peer', AND('B.peer', 'C.peer'), 'D.peer')", peers('B', 'D'), false],
    // member is met by any role of the MSP; the other roles only by that role.
    ["AND('A.member')", [as('client', 'A')], true],
    ["AND('A.peer')", [as('client', 'A')], false],
    ["AND('A.admin')", [as('peer', 'A')], false],
    ["AND('A.admin')", [as('admin', 'A')], true],
    ["AND('A.client')", [as('admin', 'A')], false],
    ["AND('A.orderer')", peers('A'), false],
    // One identity satisfies at most one principal slot.
    ["AND('A.member','A.member')", peers('A'), false],
    ["AND('A.peer','A.member')", peers('A'), false],
    ["AND('A.member','A.member')", [as('peer', 'A'), as('admin', 'A')], true],
    ["OutOf(2, 'A.peer', 'A.peer', 'B.peer')", peers('A'), false],
    ["OutOf(2, 'A.peer', 'A.peer', 'B.peer')", peers('A', 'B'), true],
    ["OR('A.peer')", [], false],
  ])('%s with %j is %s', (text, endorsers, expected) => {
    expect(evaluatePolicy(parseSignaturePolicy(text), endorsers)).toBe(expected);
  });

  it('is greedy in the order Fabric evaluates, like cauthdsl', () => {
    // 'A.member' claims the first A identity (the peer), leaving only the client for 'A.peer'.
    const policy = parseSignaturePolicy("AND('A.member','A.peer')");
    expect(evaluatePolicy(policy, [as('peer', 'A'), as('client', 'A')])).toBe(false);
    expect(evaluatePolicy(policy, [as('client', 'A'), as('peer', 'A')])).toBe(true);
  });

  it('discards the claims of a failed sub-policy', () => {
    // AND('A.peer','B.peer') fails and must release A for the sibling 'A.peer'.
    const policy = parseSignaturePolicy("OutOf(1, AND('A.peer','B.peer'), 'A.peer')");
    expect(evaluatePolicy(policy, peers('A'))).toBe(true);
  });
});

describe('implicit meta policies', () => {
  const orgs = (count: number): string[] => Array.from({ length: count }, (_, i) => `Org${i + 1}MSP`);

  it.each([
    [3, 2],
    [4, 3],
    [7, 4],
  ])('MAJORITY over %i organisations needs %i', (count, needed) => {
    const channel = orgs(count);
    const policy = parseEndorsementPolicy('MAJORITY Endorsement', channel);
    expect(implicitMetaThreshold('MAJORITY', count)).toBe(needed);
    expect(evaluatePolicy(policy, peers(...channel.slice(0, needed)))).toBe(true);
    expect(evaluatePolicy(policy, peers(...channel.slice(0, needed - 1)))).toBe(false);
    expect(evaluatePolicy(policy, peers(...channel.slice(count - needed)))).toBe(true);
  });

  it('counts organisations, not signatures, and only channel organisations', () => {
    const policy = parseEndorsementPolicy('MAJORITY Endorsement', orgs(3));
    expect(evaluatePolicy(policy, [...peers('Org1MSP'), ...peers('Org1MSP')])).toBe(false);
    expect(evaluatePolicy(policy, peers('Org1MSP', 'OutsiderMSP'))).toBe(false);
  });

  it("uses each organisation's default Endorsement sub-policy, a peer signature", () => {
    const policy = parseEndorsementPolicy('ANY Endorsement', orgs(3));
    expect(evaluatePolicy(policy, [as('client', 'Org1MSP')])).toBe(false);
    expect(evaluatePolicy(policy, peers('Org3MSP'))).toBe(true);
  });

  it('ALL needs every organisation', () => {
    const policy = parseEndorsementPolicy('ALL Endorsement', orgs(3));
    expect(evaluatePolicy(policy, peers('Org1MSP', 'Org2MSP'))).toBe(false);
    expect(evaluatePolicy(policy, peers('Org3MSP', 'Org1MSP', 'Org2MSP'))).toBe(true);
  });

  it('reads /Channel/Application/Endorsement as MAJORITY Endorsement', () => {
    expect(parseEndorsementPolicy('/Channel/Application/Endorsement', orgs(4))).toEqual(
      parseEndorsementPolicy('MAJORITY Endorsement', orgs(4)),
    );
  });

  it('passes signature policies through', () => {
    const policy = parseEndorsementPolicy(" OR('Org1MSP.peer') ", orgs(3));
    expect(policy.kind).toBe('outOf');
    expect(policyMspIds(policy)).toEqual(['Org1MSP']);
  });

  it.each([
    ['MOST Endorsement', /rule must be ANY, ALL or MAJORITY/],
    ['MAJORITY Admins', /only the Endorsement sub-policy/],
    ['/Channel/Application/Admins', /unsupported channel policy reference/],
    ['MAJORITY', /unknown gate 'MAJORITY'/],
  ])('rejects %j', (text, message) => {
    expect(() => parseEndorsementPolicy(text, orgs(3))).toThrow(message);
  });

  it('rejects an implicit meta policy over no organisations', () => {
    expect(() => parseEndorsementPolicy('ANY Endorsement', [])).toThrow(/at least one channel organisation/);
  });
});

describe('decodeValidationParameter', () => {
  it('decodes the bytes observed on Fabric (FABRIC-SEMANTICS row 11a)', () => {
    const bytes = Buffer.from('120812060801120208001a10120e0a0a437573746f6d734d53501003', 'hex');
    const policy = decodeValidationParameter(bytes);
    expect(policy).toEqual({
      kind: 'outOf',
      n: 1,
      rules: [{ kind: 'signedBy', principal: { mspId: 'CustomsMSP', role: 'peer' } }],
    });
    expect(evaluatePolicy(policy, peers('CustomsMSP'))).toBe(true);
    expect(evaluatePolicy(policy, peers('PlatformMSP', 'PostMSP'))).toBe(false);
    expect(evaluatePolicy(policy, [as('client', 'CustomsMSP')])).toBe(false);
  });

  it("decodes fabric-shim's own KeyEndorsementPolicy output", () => {
    const kep = new KeyEndorsementPolicy();
    kep.addOrgs('PEER', 'CustomsMSP', 'PlatformAMSP');
    const policy = decodeValidationParameter(kep.getPolicy());
    expect(formatPolicy(policy)).toBe("AND('CustomsMSP.peer', 'PlatformAMSP.peer')");
    expect(evaluatePolicy(policy, peers('PlatformAMSP', 'CustomsMSP'))).toBe(true);
    expect(evaluatePolicy(policy, peers('CustomsMSP'))).toBe(false);
    expect(evaluatePolicy(policy, peers('PlatformAMSP', 'PostMSP', 'PaymentMSP'))).toBe(false);
  });

  it('decodes MEMBER roles', () => {
    const kep = new KeyEndorsementPolicy();
    kep.addOrgs('MEMBER', 'PostMSP');
    const policy = decodeValidationParameter(kep.getPolicy());
    expect(formatPolicy(policy)).toBe("OR('PostMSP.member')");
    expect(evaluatePolicy(policy, [as('client', 'PostMSP')])).toBe(true);
  });

  it('rejects an empty parameter and garbage', () => {
    expect(() => decodeValidationParameter(new Uint8Array())).toThrow(/no key-level policy/);
    expect(() => decodeValidationParameter(Buffer.from('ffffffff', 'hex'))).toThrow();
    // A well-formed envelope whose rule points past its identities.
    expect(() => decodeValidationParameter(Buffer.from('120208051a00', 'hex'))).toThrow(
      /identity index out of range, requested 5/,
    );
  });
});
