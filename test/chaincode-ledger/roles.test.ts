import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { EndorseError } from '../../gateway/src/ledger/port.js';
import { ledgerAccessLog } from '../support/access-log.js';
import { openTestNetwork, readPrivateRecord, type TestNetwork } from '../support/network.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

/*
 * Who may do what, checked by the chaincode itself (by the caller's MSP, the role the registry gives
 * that MSP, and the caller's part in the consignment), on the real embedded ledger with real X.509
 * identities. Every write transaction has a row per caller; every refusal is checked to leave the
 * ledger untouched.
 */

let net: TestNetwork;

const NETWORK_CONFIG = readFileSync('config/organisations.json', 'utf8');

/** The callers of the table: one operator-level user per organisation, plus the governance identity. */
const CALLERS = [
  'platformA',
  'platformB',
  'payment',
  'post',
  'express',
  'customs',
  'auditor',
  'governance',
] as const;
type CallerName = (typeof CALLERS)[number];

const MSP: Record<CallerName, string> = {
  platformA: 'PlatformAMSP',
  platformB: 'PlatformBMSP',
  payment: 'PaymentMSP',
  post: 'PostMSP',
  express: 'ExpressMSP',
  customs: 'CustomsMSP',
  auditor: 'AuditorMSP',
  governance: 'CustomsMSP',
};
const ROLE: Record<CallerName, string> = {
  platformA: 'platform',
  platformB: 'platform',
  payment: 'payment',
  post: 'post',
  express: 'express',
  customs: 'customs',
  auditor: 'auditor',
  governance: 'customs',
};
/** The `role` attribute in each caller's certificate. */
const USER_ROLE: Record<CallerName, string> = {
  platformA: 'operator',
  platformB: 'operator',
  payment: 'operator',
  post: 'operator',
  express: 'operator',
  customs: 'officer',
  auditor: 'auditor',
  governance: 'governance',
};

const OK = 'ok';
/** The role gate's refusal, exactly as the chaincode words it. */
const roleRefusal = (action: string, allowedRoles: string) => (caller: CallerName) =>
  `${action} is not allowed for ${MSP[caller]} (role ${ROLE[caller]}); allowed roles: ${allowedRoles}`;
const governanceRefusal = (action: string) => (caller: CallerName) =>
  `${action} requires a governance identity (MSP in CustomsMSP with role 'governance' or OU admin); caller is ${MSP[caller]} (${USER_ROLE[caller]})`;

type Expected = string | ((caller: CallerName, id: string) => string);

interface WriteCase {
  readonly fn: string;
  /** Prepares a fresh subject for this caller (setup transactions allowed) and returns the call. */
  prepare(id: string): Promise<{ args: string[]; payload?: unknown }>;
  /** What the call would change, as read by an identity that can see it all. */
  observe(id: string): Promise<unknown>;
  readonly expected: Record<CallerName, Expected>;
}

const joinKeys = (keys: Record<string, string> = {}) =>
  JSON.stringify({ ...keys, originCountry: 'CN', destinationCountry: 'FR' });
const partyId = (id: string) => Buffer.from(id.padEnd(32, '.')).toString('hex').slice(0, 64);
const partyPayload = (name: string) => ({
  name,
  document: { type: 'tax_id', number: `TAX-${name.replace(/\W/g, '')}`, country: 'CN' },
});

/** A read that may itself be refused: the refusal text is part of what is observed. */
async function read(user: string, fn: string, args: string[]): Promise<unknown> {
  try {
    return await net.evaluate(user, fn, args);
  } catch (error) {
    return { refused: await net.outcome(Promise.reject(error)) };
  }
}
const consignmentView = (id: string) => read('customs', 'consignment:get', [id]);

/** Naming its carrier's tracking number and its payment provider's transaction id, as they bind by them. */
async function createByPlatformA(id: string): Promise<void> {
  await net.submit('platformA', 'consignment:create', [
    id,
    joinKeys({ orderNumber: `ORD-${id}`, trackingNumber: `TRK-${id}`, paymentTransactionId: `PAY-${id}` }),
  ]);
}

const cases: WriteCase[] = [
  {
    fn: 'consignment:create',
    prepare: async (id) => ({ args: [id, joinKeys()] }),
    observe: consignmentView,
    expected: {
      platformA: OK,
      platformB: OK,
      payment: roleRefusal('createConsignment', 'platform, post, express'),
      post: OK,
      express: OK,
      customs: roleRefusal('createConsignment', 'platform, post, express'),
      auditor: roleRefusal('createConsignment', 'platform, post, express'),
      governance: roleRefusal('createConsignment', 'platform, post, express'),
    },
  },
  {
    fn: 'consignment:submitOrder',
    prepare: async (id) => {
      await createByPlatformA(id);
      return { args: [id], payload: orderPayload(`ORD-${id}`) };
    },
    observe: consignmentView,
    expected: {
      platformA: OK,
      platformB: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      payment: roleRefusal('submitOrder', 'platform'),
      post: roleRefusal('submitOrder', 'platform'),
      express: roleRefusal('submitOrder', 'platform'),
      customs: roleRefusal('submitOrder', 'platform'),
      auditor: roleRefusal('submitOrder', 'platform'),
      governance: roleRefusal('submitOrder', 'platform'),
    },
  },
  {
    fn: 'consignment:submitPayment',
    prepare: async (id) => {
      await createByPlatformA(id);
      return { args: [id], payload: paymentPayload(`ORD-${id}`, `PAY-${id}`) };
    },
    observe: consignmentView,
    expected: {
      // A marketplace may collect the payment for its own orders (DOMAIN: the PSP may be the platform).
      platformA: OK,
      platformB: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      payment: OK,
      post: roleRefusal('submitPayment', 'payment, platform'),
      express: roleRefusal('submitPayment', 'payment, platform'),
      customs: roleRefusal('submitPayment', 'payment, platform'),
      auditor: roleRefusal('submitPayment', 'payment, platform'),
      governance: roleRefusal('submitPayment', 'payment, platform'),
    },
  },
  {
    fn: 'consignment:submitLogistics',
    prepare: async (id) => {
      await createByPlatformA(id);
      return { args: [id], payload: logisticsPayload(`ORD-${id}`, `TRK-${id}`) };
    },
    observe: consignmentView,
    expected: {
      platformA: roleRefusal('submitLogistics', 'post, express'),
      platformB: roleRefusal('submitLogistics', 'post, express'),
      payment: roleRefusal('submitLogistics', 'post, express'),
      post: OK,
      express: OK,
      customs: roleRefusal('submitLogistics', 'post, express'),
      auditor: roleRefusal('submitLogistics', 'post, express'),
      governance: roleRefusal('submitLogistics', 'post, express'),
    },
  },
  {
    fn: 'consignment:submitDeclaration',
    prepare: async (id) => {
      await createByPlatformA(id);
      return { args: [id], payload: declarationPayload() };
    },
    observe: consignmentView,
    expected: {
      platformA: OK,
      platformB: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      payment: roleRefusal('submitDeclaration', 'platform, post, express'),
      // A carrier declares (as postal or express declarant) a consignment it carries: a declaration binds no one.
      post: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      express: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      customs: roleRefusal('submitDeclaration', 'platform, post, express'),
      auditor: roleRefusal('submitDeclaration', 'platform, post, express'),
      governance: roleRefusal('submitDeclaration', 'platform, post, express'),
    },
  },
  {
    fn: 'consignment:recordMovement',
    prepare: async (id) => {
      await net.submit('post', 'consignment:create', [id, joinKeys({ trackingNumber: `TRK-${id}` })]);
      return { args: [id, JSON.stringify({ type: 'dispatched', location: 'CNSHA' })] };
    },
    observe: consignmentView,
    expected: {
      platformA: roleRefusal('recordMovement', 'post, express'),
      platformB: roleRefusal('recordMovement', 'post, express'),
      payment: roleRefusal('recordMovement', 'post, express'),
      post: OK,
      express: (c, id) => `consignment ${id} does not exist or is not visible to ${MSP[c]}`,
      customs: roleRefusal('recordMovement', 'post, express'),
      auditor: roleRefusal('recordMovement', 'post, express'),
      governance: roleRefusal('recordMovement', 'post, express'),
    },
  },
  {
    fn: 'consignment:recordDecision',
    prepare: async (id) => {
      await createByPlatformA(id);
      return { args: [id, JSON.stringify({ decision: 'hold', reasonCodes: ['DOCS_MISSING'] })] };
    },
    observe: consignmentView,
    expected: {
      platformA: roleRefusal('recordDecision', 'customs'),
      platformB: roleRefusal('recordDecision', 'customs'),
      payment: roleRefusal('recordDecision', 'customs'),
      post: roleRefusal('recordDecision', 'customs'),
      express: roleRefusal('recordDecision', 'customs'),
      customs: OK,
      auditor: roleRefusal('recordDecision', 'customs'),
      governance: OK,
    },
  },
  {
    fn: 'party:register',
    prepare: async (id) => ({ args: [partyId(id), 'seller', 'verified'], payload: partyPayload(id) }),
    observe: (id) => read('customs', 'party:get', [partyId(id)]),
    expected: {
      platformA: OK,
      platformB: OK,
      payment: roleRefusal('registerParty', 'platform'),
      post: roleRefusal('registerParty', 'platform'),
      express: roleRefusal('registerParty', 'platform'),
      customs: roleRefusal('registerParty', 'platform'),
      auditor: roleRefusal('registerParty', 'platform'),
      governance: roleRefusal('registerParty', 'platform'),
    },
  },
  {
    fn: 'party:setTrustedTrader',
    prepare: async (id) => {
      await net.submit('platformA', 'party:register', [partyId(id), 'seller', 'verified'], partyPayload(id));
      return { args: [partyId(id), 'true', 'AEO-CN-0001'] };
    },
    observe: (id) => read('customs', 'party:get', [partyId(id)]),
    expected: {
      platformA: roleRefusal('setTrustedTrader', 'customs'),
      platformB: roleRefusal('setTrustedTrader', 'customs'),
      payment: roleRefusal('setTrustedTrader', 'customs'),
      post: roleRefusal('setTrustedTrader', 'customs'),
      express: roleRefusal('setTrustedTrader', 'customs'),
      customs: OK,
      auditor: roleRefusal('setTrustedTrader', 'customs'),
      governance: OK,
    },
  },
  {
    fn: 'party:flagParty',
    prepare: async (id) => ({
      args: [partyId(id)],
      payload: { watchlisted: true, reasonCode: 'REPEAT_OFFENDER' },
    }),
    observe: async (id) => {
      const access = (await net.submit('customs', 'party:recordFlagRead', [
        partyId(id),
        'risk_assessment',
      ])) as { txId: string };
      return read('customs', 'party:getFlag', [partyId(id), access.txId]);
    },
    expected: {
      platformA: roleRefusal('flagParty', 'customs'),
      platformB: roleRefusal('flagParty', 'customs'),
      payment: roleRefusal('flagParty', 'customs'),
      post: roleRefusal('flagParty', 'customs'),
      express: roleRefusal('flagParty', 'customs'),
      customs: OK,
      auditor: roleRefusal('flagParty', 'customs'),
      governance: OK,
    },
  },
  {
    fn: 'org:setOrganisation',
    prepare: async (id) => ({ args: [mspOf(id), 'platform', `Platform ${id}`] }),
    observe: (id) => read('customs', 'org:getOrganisation', [mspOf(id)]),
    expected: {
      platformA: governanceRefusal('setOrganisation'),
      platformB: governanceRefusal('setOrganisation'),
      payment: governanceRefusal('setOrganisation'),
      post: governanceRefusal('setOrganisation'),
      express: governanceRefusal('setOrganisation'),
      // Customs MSP, but an officer's certificate: not a governance identity.
      customs: governanceRefusal('setOrganisation'),
      auditor: governanceRefusal('setOrganisation'),
      governance: OK,
    },
  },
  {
    fn: 'customs:setTrustedOperator',
    prepare: async (id) => {
      await net.submit('governance', 'org:setOrganisation', [mspOf(id), 'express', `Express ${id}`]);
      return { args: [mspOf(id), 'true', 'AEOF-FR-0001'] };
    },
    observe: async (id) => {
      const { trustedOperators } = (await read('customs', 'customs:trustedOperators', [])) as {
        trustedOperators: { mspId: string }[];
      };
      return trustedOperators.find((o) => o.mspId === mspOf(id));
    },
    expected: {
      platformA: roleRefusal('setTrustedOperator', 'customs'),
      platformB: roleRefusal('setTrustedOperator', 'customs'),
      payment: roleRefusal('setTrustedOperator', 'customs'),
      post: roleRefusal('setTrustedOperator', 'customs'),
      express: roleRefusal('setTrustedOperator', 'customs'),
      customs: OK,
      auditor: roleRefusal('setTrustedOperator', 'customs'),
      governance: OK,
    },
  },
  {
    fn: 'org:removeOrganisation',
    prepare: async (id) => {
      await net.submit('governance', 'org:setOrganisation', [mspOf(id), 'express', `Express ${id}`]);
      return { args: [mspOf(id)] };
    },
    observe: (id) => read('customs', 'org:getOrganisation', [mspOf(id)]),
    expected: {
      platformA: governanceRefusal('removeOrganisation'),
      platformB: governanceRefusal('removeOrganisation'),
      payment: governanceRefusal('removeOrganisation'),
      post: governanceRefusal('removeOrganisation'),
      express: governanceRefusal('removeOrganisation'),
      customs: governanceRefusal('removeOrganisation'),
      auditor: governanceRefusal('removeOrganisation'),
      governance: OK,
    },
  },
  {
    fn: 'org:init',
    prepare: async () => ({ args: [NETWORK_CONFIG] }),
    observe: () => read('customs', 'org:listOrganisations', []),
    expected: {
      platformA: (c) => initRefusal(c, 'operator'),
      platformB: (c) => initRefusal(c, 'operator'),
      payment: (c) => initRefusal(c, 'operator'),
      post: (c) => initRefusal(c, 'operator'),
      express: (c) => initRefusal(c, 'operator'),
      // Even customs: only its governance identity may initialise (being listed in the caller's own config proves nothing).
      customs: (c) => initRefusal(c, 'officer'),
      auditor: (c) => initRefusal(c, 'auditor'),
      // Once initialised, the registry changes one organisation at a time; init is refused even to governance.
      governance: 'organisation registry already initialised',
    },
  },
];

function initRefusal(caller: CallerName, role: string): string {
  return `org:init must be called by a governance identity of CustomsMSP, not ${MSP[caller]} (${role})`;
}

function mspOf(id: string): string {
  return `${id.replace(/[^A-Za-z0-9]/g, '')}MSP`;
}

beforeAll(async () => {
  net = await openTestNetwork();
});
afterAll(async () => {
  await net?.close();
});

describe('every write transaction, by caller: allowed or refused in chaincode', () => {
  for (const c of cases) {
    describe(c.fn, () => {
      for (const caller of CALLERS) {
        const id = `${c.fn.split(':')[1]}-${caller}`;
        const rule = c.expected[caller];
        const expected = typeof rule === 'function' ? rule(caller, id) : rule;
        it(`${caller} (${MSP[caller]}): ${expected === OK ? 'allowed' : 'refused'}`, async () => {
          const { args, payload } = await c.prepare(id);
          const before = await c.observe(id);
          const height = net.ledger.height();

          let error: unknown;
          try {
            await net.submit(caller, c.fn, args, payload);
          } catch (e) {
            error = e;
          }
          const outcome = error === undefined ? OK : await net.outcome(Promise.reject(error));

          if (expected === OK) {
            expect(outcome).toBe(OK);
            // One transaction, one block; and the write is visible.
            expect(net.ledger.height()).toBe(height + 1n);
            expect(await c.observe(id)).not.toEqual(before);
          } else {
            expect(outcome).toBe(expected);
            // Refused at endorsement: nothing was ordered, so nothing at all changed.
            expect(error).toBeInstanceOf(EndorseError);
            expect(net.ledger.height()).toBe(height);
            expect(await c.observe(id)).toEqual(before);
          }
        });
      }
    });
  }
});

describe('participation in a consignment', () => {
  const ID = 'PART-A1';

  beforeAll(async () => {
    await net.submit('platformA', 'consignment:create', [
      ID,
      joinKeys({ orderNumber: 'ORD-PART-A1', trackingNumber: 'EXP-PA1', paymentTransactionId: 'PAY-PA1' }),
    ]);
    await net.submit('platformA', 'consignment:submitOrder', [ID], orderPayload('ORD-PART-A1'));
    await net.submit('payment', 'consignment:submitPayment', [ID], paymentPayload('ORD-PART-A1', 'PAY-PA1'));
    await net.submit(
      'express',
      'consignment:submitLogistics',
      [ID],
      logisticsPayload('ORD-PART-A1', 'EXP-PA1'),
    );
    await net.submit(
      'platformA',
      'party:register',
      [partyId('seller-A'), 'seller', 'verified'],
      partyPayload('S'),
    );
  });

  it('a platform cannot submit (or correct) the order of another platform’s consignment', async () => {
    const before = await consignmentView(ID);
    const height = net.ledger.height();
    expect(
      await net.outcome(
        net.submit('platformB', 'consignment:submitOrder', [ID], orderPayload('ORD-PART-A1')),
      ),
    ).toBe(`consignment ${ID} does not exist or is not visible to PlatformBMSP`);
    expect(await consignmentView(ID)).toEqual(before);
    expect(net.ledger.height()).toBe(height);
  });

  it('a carrier cannot record movements on another carrier’s consignment, nor one without a carrier', async () => {
    const move = (user: string, id: string) =>
      net.outcome(
        net.submit(user, 'consignment:recordMovement', [
          id,
          JSON.stringify({ type: 'dispatched', location: 'CNSZX' }),
        ]),
      );
    // The carrier bound by submitting logistics, not by creating.
    expect(await move('post', ID)).toBe(`consignment ${ID} does not exist or is not visible to PostMSP`);
    await net.submit('platformA', 'consignment:create', [
      'PART-A2',
      joinKeys({ orderNumber: 'ORD-PART-A2' }),
    ]);
    expect(await move('post', 'PART-A2')).toBe(
      'consignment PART-A2 does not exist or is not visible to PostMSP',
    );
    expect(await move('express', ID)).toBe(OK);
  });

  it('PlatformB can neither read PlatformA’s consignment nor its private records', async () => {
    expect(await net.outcome(net.evaluate('platformB', 'consignment:get', [ID]))).toBe(
      `consignment ${ID} does not exist or is not visible to PlatformBMSP`,
    );
    for (const kind of ['order', 'payment', 'logistics']) {
      expect(await net.outcome(readPrivateRecord(net, 'platformB', ID, kind, 'dispute_resolution'))).toBe(
        `consignment ${ID} does not exist or is not visible to PlatformBMSP`,
      );
      expect(
        await net.outcome(net.evaluate('platformB', 'consignment:getPrivateRecord', [ID, kind, ''])),
      ).toBe(`consignment ${ID} does not exist or is not visible to PlatformBMSP`);
    }
    expect(
      await net.outcome(net.evaluate('platformB', 'consignment:accessLog', ['consignment', ID, '{}'])),
    ).toBe(`consignment ${ID} does not exist or is not visible to PlatformBMSP`);
    const sellerA = [partyId('seller-A'), 'PlatformAMSP'];
    expect(
      await net.outcome(
        net.submit('platformB', 'party:recordRegistrationRead', [...sellerA, 'dispute_resolution']),
      ),
    ).toBe('PlatformBMSP is not a member of collection PlatformAMSP-CustomsMSP');
    expect(await net.outcome(net.evaluate('platformB', 'party:getPrivateRecord', [...sellerA, '']))).toBe(
      'PlatformBMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    // The uninvolved carrier is just as blind.
    expect(await net.outcome(net.evaluate('post', 'consignment:get', [ID]))).toBe(
      `consignment ${ID} does not exist or is not visible to PostMSP`,
    );
  });

  it('participants see the public record but only their own private record; customs sees all; auditors none', async () => {
    for (const user of ['platformA', 'payment', 'express', 'customs', 'auditor']) {
      expect(await net.outcome(net.evaluate(user, 'consignment:get', [ID])), user).toBe(OK);
    }
    const privateRead = (user: string, kind: string) => net.outcome(readPrivateRecord(net, user, ID, kind));
    expect(await privateRead('platformA', 'order')).toBe(OK);
    expect(await privateRead('payment', 'payment')).toBe(OK);
    expect(await privateRead('express', 'logistics')).toBe(OK);
    expect(await privateRead('platformA', 'payment')).toBe(
      'PlatformAMSP is not a member of collection PaymentMSP-CustomsMSP',
    );
    expect(await privateRead('payment', 'order')).toBe(
      'PaymentMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await privateRead('express', 'order')).toBe(
      'ExpressMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await privateRead('auditor', 'order')).toBe(
      'AuditorMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    for (const kind of ['order', 'payment', 'logistics']) expect(await privateRead('customs', kind)).toBe(OK);
  });

  it('reads of personal data are recorded only for an allowed purpose, by members of the collection', async () => {
    const log = () => ledgerAccessLog(net, 'consignment', ID);
    const before = new Set((await log()).map((e) => e.txId));
    const access = (user: string, kind: string, purpose: string) =>
      net.outcome(net.submit(user, 'consignment:recordAccess', [ID, kind, purpose]));
    expect(await access('customs', 'order', 'risk_assessment')).toBe(OK);
    expect(await access('express', 'logistics', 'delivery')).toBe(OK);
    // An auditor reads no collection: it gets a holder's disclosure, so it has no read to record.
    expect(await access('auditor', 'order', 'audit')).toBe(
      'AuditorMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await access('express', 'order', 'delivery')).toBe(
      'ExpressMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await access('platformA', 'order', 'risk_assessment')).toBe(
      "purpose 'risk_assessment' is not allowed for PlatformAMSP (role platform); allowed purposes: return_processing, dispute_resolution, audit, data_subject_request",
    );
    expect(await access('auditor', 'order', 'risk_assessment')).toMatch(
      /^purpose 'risk_assessment' is not allowed for AuditorMSP/,
    );
    const added = (await log()).filter((e) => !before.has(e.txId));
    expect(added.map((e) => `${e.mspId}:${e.purpose}`).sort()).toEqual([
      'CustomsMSP:risk_assessment',
      'ExpressMSP:delivery',
    ]);
  });

  it("a party's access log shows a registrant its own reads only; customs and auditors all of them", async () => {
    const shared = partyId('shared-buyer');
    for (const platform of ['platformA', 'platformB']) {
      await net.submit(platform, 'party:register', [shared, 'buyer', 'basic'], partyPayload('B'));
      await net.submit(platform, 'party:recordRegistrationRead', [
        shared,
        platform === 'platformA' ? 'PlatformAMSP' : 'PlatformBMSP',
        'dispute_resolution',
      ]);
    }
    const readers = async (user: string) =>
      (await ledgerAccessLog(net, 'party', shared, user)).map((e) => e.mspId);
    expect(await readers('platformB')).toEqual(['PlatformBMSP']);
    expect(await readers('platformA')).toEqual(['PlatformAMSP']);
    for (const user of ['customs', 'auditor']) {
      expect((await readers(user)).sort()).toEqual(['PlatformAMSP', 'PlatformBMSP']);
    }
  });

  it('a disclosure is recorded with the fields it revealed, by a holder of the record only', async () => {
    const disclose = (user: string, kind: string, purpose: string, fields: unknown) =>
      net.outcome(
        net.submit(user, 'consignment:recordDisclosure', [ID, kind, purpose, JSON.stringify(fields)]),
      );
    expect(
      await disclose('platformA', 'order', 'dispute_resolution', ['/goodsValue', '/lines/0/hsCode']),
    ).toBe(OK);
    expect(await disclose('customs', 'payment', 'audit', ['/amountPaid'])).toBe(OK);
    expect(await disclose('auditor', 'order', 'audit', ['/goodsValue'])).toBe(
      'AuditorMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await disclose('express', 'order', 'audit', ['/goodsValue'])).toBe(
      'ExpressMSP is not a member of collection PlatformAMSP-CustomsMSP',
    );
    expect(await disclose('platformA', 'order', 'risk_assessment', ['/goodsValue'])).toMatch(
      /^purpose 'risk_assessment' is not allowed for PlatformAMSP/,
    );
    expect(await disclose('platformA', 'order', 'audit', [])).toMatch(/^invalid fields/);
    expect(await disclose('platformA', 'order', 'audit', ['goodsValue'])).toMatch(/must be a JSON pointer/);
    // The fields go into public state: a path the record does not hold, free text included, is refused.
    expect(
      await disclose('platformA', 'order', 'dispute_resolution', ['/buyer/name/Jane Doe, 12 Rue de Rivoli']),
    ).toBe("no field at path '/buyer/name/Jane Doe, 12 Rue de Rivoli'");
    expect(await disclose('customs', 'payment', 'audit', ['/amountPaid/x'])).toBe(
      "no field at path '/amountPaid/x'",
    );
    expect((await ledgerAccessLog(net, 'consignment', ID)).filter((e) => e.fields !== undefined)).toEqual([
      expect.objectContaining({
        mspId: 'PlatformAMSP',
        recordKind: 'order',
        purpose: 'dispute_resolution',
        fields: ['/goodsValue', '/lines/0/hsCode'],
      }),
      expect.objectContaining({
        mspId: 'CustomsMSP',
        recordKind: 'payment',
        purpose: 'audit',
        fields: ['/amountPaid'],
      }),
    ]);
  });
});

describe('governance of the organisation registry', () => {
  const organisations = () => net.evaluate('customs', 'org:listOrganisations');

  it('a customs officer (customs MSP, not a governance identity) cannot change the registry', async () => {
    const before = await organisations();
    const height = net.ledger.height();
    expect(
      await net.outcome(net.submit('customs', 'org:setOrganisation', ['PlatformBMSP', 'auditor', 'Demoted'])),
    ).toBe(
      "setOrganisation requires a governance identity (MSP in CustomsMSP with role 'governance' or OU admin); caller is CustomsMSP (officer)",
    );
    expect(await net.outcome(net.submit('customs', 'org:removeOrganisation', ['PlatformBMSP']))).toMatch(
      /^removeOrganisation requires a governance identity/,
    );
    expect(await organisations()).toEqual(before);
    expect(net.ledger.height()).toBe(height);
  });

  it('an admin or self-styled governance user of another MSP is no governance identity', async () => {
    await net.enrol('platformA-admin', 'PlatformAMSP', { role: 'operator' }, { admin: true });
    await net.enrol('platformA-governance', 'PlatformAMSP', { role: 'governance' });
    expect(
      await net.outcome(
        net.submit('platformA-admin', 'org:setOrganisation', ['PlatformAMSP', 'payment', 'X']),
      ),
    ).toBe(
      "setOrganisation requires a governance identity (MSP in CustomsMSP with role 'governance' or OU admin); caller is PlatformAMSP (operator)",
    );
    expect(
      await net.outcome(
        net.submit('platformA-governance', 'org:setOrganisation', ['PlatformAMSP', 'payment', 'X']),
      ),
    ).toBe(
      "setOrganisation requires a governance identity (MSP in CustomsMSP with role 'governance' or OU admin); caller is PlatformAMSP (governance)",
    );
    // Re-initialising with a config that names the caller as governance and customs changes nothing.
    const forged = JSON.parse(NETWORK_CONFIG) as {
      customsMspId: string;
      governanceMspIds: string[];
      organisations: { mspId: string; role: string }[];
    };
    forged.customsMspId = 'PlatformAMSP';
    forged.governanceMspIds = ['PlatformAMSP'];
    for (const org of forged.organisations) {
      if (org.mspId === 'PlatformAMSP') org.role = 'customs';
      else if (org.role === 'customs') org.role = 'auditor';
    }
    expect(await net.outcome(net.submit('platformA-governance', 'org:init', [JSON.stringify(forged)]))).toBe(
      'organisation registry already initialised',
    );
  });

  it('customs cannot be moved, demoted or removed, even by governance', async () => {
    expect(
      await net.outcome(
        net.submit('governance', 'org:setOrganisation', ['CustomsMSP', 'auditor', 'Customs']),
      ),
    ).toBe('only CustomsMSP has role customs on this channel');
    expect(
      await net.outcome(net.submit('governance', 'org:setOrganisation', ['PlatformBMSP', 'customs', 'B'])),
    ).toBe('only CustomsMSP has role customs on this channel');
    expect(await net.outcome(net.submit('governance', 'org:removeOrganisation', ['CustomsMSP']))).toBe(
      'the customs organisation CustomsMSP cannot be removed',
    );
  });

  it('an organisation removed by governance is refused everything until it is registered again', async () => {
    await net.submit('governance', 'org:removeOrganisation', ['PlatformBMSP']);
    try {
      expect(
        await net.outcome(net.submit('platformB', 'consignment:create', ['REMOVED-1', joinKeys()])),
      ).toBe("caller's organisation PlatformBMSP is not registered");
      expect(await net.outcome(net.evaluate('platformB', 'consignment:get', ['PART-A1']))).toBe(
        "caller's organisation PlatformBMSP is not registered",
      );
    } finally {
      await net.submit('governance', 'org:setOrganisation', [
        'PlatformBMSP',
        'platform',
        'Platform B Marketplace',
      ]);
    }
    expect(await net.outcome(net.submit('platformB', 'consignment:create', ['REMOVED-1', joinKeys()]))).toBe(
      OK,
    );
  });
});
