import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  collectionsConfigFor,
  customsCollection,
  customsToCarrierCollection,
  parseNetworkConfig,
  traderCollection,
  type NetworkConfig,
} from '../../chaincode/src/domain/collections.js';
import { isMember, loadCollectionsConfig } from '../../gateway/src/ledger/embedded/collections.js';
import { evaluatePolicy, parseEndorsementPolicy } from '../../gateway/src/ledger/embedded/policy.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const organisationsJson = JSON.parse(
  readFileSync(join(root, 'config/organisations.json'), 'utf8'),
) as unknown;
const network = parseNetworkConfig(organisationsJson);
const TRADERS = ['PlatformAMSP', 'PlatformBMSP', 'PaymentMSP', 'PostMSP', 'ExpressMSP'];
const CARRIERS = ['PostMSP', 'ExpressMSP'];

describe('collection names', () => {
  it('pairs each trader with customs, and gives customs its own', () => {
    expect(traderCollection('PlatformAMSP', 'CustomsMSP')).toBe('PlatformAMSP-CustomsMSP');
    expect(customsCollection('CustomsMSP')).toBe('CustomsMSP-only');
    expect(customsToCarrierCollection('PostMSP', 'CustomsMSP')).toBe('CustomsMSP-to-PostMSP');
  });

  it('rejects names Fabric would reject, and customs paired with itself', () => {
    expect(() => traderCollection('org1.example', 'CustomsMSP')).toThrow(/only letters, digits and '-'/);
    expect(() => traderCollection('CustomsMSP', 'CustomsMSP')).toThrow(/cannot be the customs organisation/);
    expect(() => customsToCarrierCollection('post.example', 'CustomsMSP')).toThrow(
      /only letters, digits and '-'/,
    );
    expect(() => customsToCarrierCollection('CustomsMSP', 'CustomsMSP')).toThrow(
      /cannot be the customs organisation/,
    );
  });
});

describe('collectionsConfigFor(config/organisations.json)', () => {
  const config = collectionsConfigFor(network);
  const byName = new Map(config.map((c) => [c.name, c]));

  it('has one collection per trader organisation, customs-only, and one from customs to each carrier', () => {
    expect(config.map((c) => c.name)).toEqual([
      ...TRADERS.map((t) => `${t}-CustomsMSP`),
      'CustomsMSP-only',
      ...CARRIERS.map((c) => `CustomsMSP-to-${c}`),
    ]);
  });

  it("never lets one trader into another trader's collection, and always includes customs", () => {
    const definitions = loadCollectionsConfig(config, {
      channelOrgs: network.organisations.map((o) => o.mspId),
    });
    for (const definition of definitions) {
      expect(isMember(definition, 'CustomsMSP')).toBe(true);
      expect(isMember(definition, 'AuditorMSP')).toBe(false);
      const traders = TRADERS.filter((t) => isMember(definition, t));
      expect(traders.length).toBe(definition.name === 'CustomsMSP-only' ? 0 : 1);
    }
    const platformB = definitions.find((d) => d.name === 'PlatformBMSP-CustomsMSP');
    expect(platformB && [...platformB.members]).toEqual(['PlatformBMSP', 'CustomsMSP']);
    expect(platformB && isMember(platformB, 'PlatformAMSP')).toBe(false);
  });

  it('is member-only, never expires by default, and has no collection endorsement policy for a trader pair', () => {
    expect(byName.get('PlatformAMSP-CustomsMSP')).toEqual({
      name: 'PlatformAMSP-CustomsMSP',
      policy: "OR('PlatformAMSP.member','CustomsMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 0,
      memberOnlyRead: true,
      memberOnlyWrite: true,
    });
    expect(byName.get('CustomsMSP-only')?.policy).toBe("OR('CustomsMSP.member')");
    expect(byName.get('CustomsMSP-to-ExpressMSP')).toEqual({
      name: 'CustomsMSP-to-ExpressMSP',
      policy: "OR('CustomsMSP.member','ExpressMSP.member')",
      requiredPeerCount: 0,
      maxPeerCount: 1,
      blockToLive: 0,
      memberOnlyRead: true,
      memberOnlyWrite: true,
      endorsementPolicy: { signaturePolicy: "OR('CustomsMSP.peer')" },
    });
    expect(collectionsConfigFor(network, { blockToLive: 1000 }).every((c) => c.blockToLive === 1000)).toBe(
      true,
    );
    expect(() => collectionsConfigFor(network, { blockToLive: -1 })).toThrow(/blockToLive/);
  });

  it('keeps a pair collection writable under a "2 of any" chaincode policy but not under MAJORITY', () => {
    // FABRIC.md: a private write can only be endorsed by the collection's members.
    const channelOrgs = network.organisations.map((o) => o.mspId);
    const members = [...(loadCollectionsConfig(config)[0]?.members ?? [])];
    const endorsers = members.map((mspId) => ({ mspId, role: 'peer' as const }));
    const twoOfAny = `OutOf(2, ${channelOrgs.map((m) => `'${m}.peer'`).join(', ')})`;
    expect(evaluatePolicy(parseEndorsementPolicy(twoOfAny, channelOrgs), endorsers)).toBe(true);
    expect(evaluatePolicy(parseEndorsementPolicy('MAJORITY Endorsement', channelOrgs), endorsers)).toBe(
      false,
    );
  });

  it("lets customs' peer alone write a carrier's instructions, and never the carrier's", () => {
    const channelOrgs = network.organisations.map((o) => o.mspId);
    const definition = loadCollectionsConfig(config).find((d) => d.name === 'CustomsMSP-to-PostMSP');
    const policy = parseEndorsementPolicy(definition?.endorsementPolicy ?? '', channelOrgs);
    const peers = (...mspIds: string[]) => mspIds.map((mspId) => ({ mspId, role: 'peer' as const }));
    expect(definition && [...definition.members]).toEqual(['CustomsMSP', 'PostMSP']);
    expect(evaluatePolicy(policy, peers('CustomsMSP'))).toBe(true);
    expect(evaluatePolicy(policy, peers('PostMSP'))).toBe(false);
    expect(evaluatePolicy(policy, peers('PostMSP', 'PlatformAMSP'))).toBe(false);
  });

  it('matches the committed chaincode/collections_config.json (regenerate, do not edit by hand)', () => {
    const committed = readFileSync(join(root, 'chaincode/collections_config.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(config, null, 2)}\n`);
  });
});

describe('parseNetworkConfig', () => {
  const valid = organisationsJson as NetworkConfig;
  const withChange = (change: Record<string, unknown>): unknown => ({ ...valid, ...change });
  const withOrg = (index: number, change: Record<string, unknown>): unknown =>
    withChange({ organisations: valid.organisations.map((o, i) => (i === index ? { ...o, ...change } : o)) });

  it('accepts config/organisations.json', () => {
    expect(network.customsMspId).toBe('CustomsMSP');
    expect(network.organisations).toHaveLength(7);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', [], /must be a JSON object/],
    ['missing channel', withChange({ channel: undefined }), /channel must be a non-empty string/],
    ['unknown top-level field', withChange({ chanel: 'x' }), /chanel is not a known field/],
    ['bad role', withOrg(2, { role: 'bank' }), /organisations\[2\]\.role "bank" must be one of/],
    [
      'bad mspId',
      withOrg(0, { mspId: 'Platform A' }),
      /organisations\[0\]\.mspId "Platform A" may contain only/,
    ],
    ['unknown org field', withOrg(1, { region: 'EU' }), /organisations\[1\]\.region is not a known field/],
    [
      'duplicate mspId',
      withOrg(1, { mspId: 'PlatformAMSP' }),
      /organisations\[1\]\.mspId "PlatformAMSP" is listed twice/,
    ],
    ['no customs org', withOrg(5, { role: 'auditor' }), /exactly one customs organisation, found 0/],
    [
      'customsMspId mismatch',
      withChange({ customsMspId: 'PostMSP' }),
      /customsMspId "PostMSP" does not match/,
    ],
    ['unknown governance org', withChange({ governanceMspIds: ['NobodyMSP'] }), /governanceMspIds\[0\]/],
    ['empty organisations', withChange({ organisations: [] }), /organisations must be a non-empty array/],
  ])('rejects %s', (_label, json, message) => {
    expect(() => parseNetworkConfig(json)).toThrow(message);
  });
});

describe('loadCollectionsConfig', () => {
  const entry = {
    name: 'PostMSP-CustomsMSP',
    policy: "OR('PostMSP.member', 'CustomsMSP.member')",
    requiredPeerCount: 0,
    maxPeerCount: 1,
    blockToLive: 5,
    memberOnlyRead: true,
    memberOnlyWrite: false,
  };

  it('reads a path, JSON text or a parsed array alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'collections-'));
    try {
      const path = join(dir, 'collections_config.json');
      writeFileSync(path, JSON.stringify([entry]));
      const fromPath = loadCollectionsConfig(path);
      expect(fromPath).toEqual(loadCollectionsConfig(JSON.stringify([entry])));
      expect(fromPath).toEqual(loadCollectionsConfig([entry]));
      expect(fromPath[0]).toMatchObject({ blockToLive: 5, memberOnlyRead: true, memberOnlyWrite: false });
      expect(fromPath[0]?.endorsementPolicy).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies Fabric defaults to omitted counts and flags', () => {
    const [definition] = loadCollectionsConfig([{ name: 'c', policy: "OR('A.member')" }]);
    expect(definition).toMatchObject({
      requiredPeerCount: 0,
      maxPeerCount: 0,
      blockToLive: 0,
      memberOnlyRead: false,
      memberOnlyWrite: false,
    });
  });

  it('keeps a collection endorsement policy as text', () => {
    const [signature] = loadCollectionsConfig([
      { ...entry, endorsementPolicy: { signaturePolicy: "AND('PostMSP.peer','CustomsMSP.peer')" } },
    ]);
    expect(signature?.endorsementPolicy).toBe("AND('PostMSP.peer','CustomsMSP.peer')");
    const [channel] = loadCollectionsConfig([
      { ...entry, endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Endorsement' } },
    ]);
    expect(channel?.endorsementPolicy).toBe('/Channel/Application/Endorsement');
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-array', { name: 'x' }, /must be a JSON array/],
    ['bad JSON text', '[{', /not valid JSON/],
    ['a missing file', '/nonexistent/collections.json', /cannot read collections config/],
    ['a bad name', [{ ...entry, name: 'Post_Customs' }], /entry 0: name must be/],
    ['a duplicate name', [entry, entry], /collection "PostMSP-CustomsMSP" is defined twice/],
    [
      'an unknown field',
      [{ ...entry, memberOnlyReads: true }],
      /"PostMSP-CustomsMSP": unknown field "memberOnlyReads"/,
    ],
    ['bad policy syntax', [{ ...entry, policy: "OR('PostMSP.member'" }], /invalid signature policy/],
    [
      'a non-OR policy',
      [{ ...entry, policy: "AND('PostMSP.member','CustomsMSP.member')" }],
      /policy must be OR/,
    ],
    ['a non-member principal', [{ ...entry, policy: "OR('PostMSP.peer')" }], /policy must be OR/],
    ['a negative count', [{ ...entry, blockToLive: -1 }], /blockToLive must be a non-negative integer/],
    [
      'max < required',
      [{ ...entry, requiredPeerCount: 2 }],
      /maxPeerCount \(1\) cannot be less than requiredPeerCount \(2\)/,
    ],
    ['a non-boolean flag', [{ ...entry, memberOnlyRead: 'yes' }], /memberOnlyRead must be true or false/],
    [
      'both endorsement forms',
      [
        {
          ...entry,
          endorsementPolicy: {
            signaturePolicy: "OR('A.peer')",
            channelConfigPolicy: '/Channel/Application/Endorsement',
          },
        },
      ],
      /exactly one of/,
    ],
    [
      'a bad collection signature policy',
      [{ ...entry, endorsementPolicy: { signaturePolicy: 'OR(' } }],
      /endorsementPolicy\.signaturePolicy: invalid/,
    ],
    [
      'an unknown channel policy',
      [{ ...entry, endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Admins' } }],
      /channelConfigPolicy must be/,
    ],
    [
      'a string endorsement policy',
      [{ ...entry, endorsementPolicy: "OR('A.peer')" }],
      /endorsementPolicy must be an object/,
    ],
  ])('rejects %s', (_label, json, message) => {
    expect(() => loadCollectionsConfig(json)).toThrow(message);
  });

  it('rejects members outside the channel when the channel is given', () => {
    expect(() => loadCollectionsConfig([entry], { channelOrgs: ['PostMSP'] })).toThrow(
      /policy names CustomsMSP, which is not an organisation of the channel/,
    );
  });
});
