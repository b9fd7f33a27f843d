import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitPayload, minimisedPayload, type DisclosurePackage } from '@customs-ledger/chaincode';
import { ledgerAccessLog } from '../support/access-log.js';
import { openTestNetwork, type TestNetwork } from '../support/network.js';
import { BUYER_ID, orderPayload, paymentPayload, PERSONAL, SELLER_ID } from '../support/payloads.js';

/*
 * The chaincode hands out personal data only against a committed access record of the same user,
 * for the same record, recent enough: called directly, with real X.509 identities on the embedded
 * ledger, as any application holding a member's identity could. And a recording transaction
 * refuses whatever its read would refuse, so a refused read leaves nothing on the access log.
 */

let net: TestNetwork;
const ID = 'BOUND-1';
const OTHER = 'BOUND-2';
const PARTY = 'c'.repeat(64);
const FLAGGED = 'd'.repeat(64);
const ERASED = 'e'.repeat(64);

interface Access {
  txId: string;
  recordKind: string;
  recordTxId?: string;
  fields?: string[];
}

const joinKeys = (id: string) =>
  JSON.stringify({
    orderNumber: `ORD-${id}`,
    paymentTransactionId: `PAY-${id}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
const partyPayload = {
  name: PERSONAL.buyerName,
  document: { type: 'passport', number: 'PB-1', country: 'FR' },
};

const record = async (user: string, fn: string, args: string[]) =>
  (await net.submit(user, fn, args)) as Access;
const recordRead = (user: string, id: string, kind: string, purpose = 'audit') =>
  record(user, 'consignment:recordAccess', [id, kind, purpose]);
const recordDisclosure = (user: string, id: string, kind: string, paths: string[], purpose = 'audit') =>
  record(user, 'consignment:recordDisclosure', [id, kind, purpose, JSON.stringify(paths)]);
const refusal = (user: string, fn: string, args: string[]) => net.outcome(net.evaluate(user, fn, args));

beforeAll(async () => {
  net = await openTestNetwork();
  await net.enrol('platformA2', 'PlatformAMSP', { role: 'operator' });
  await net.enrol('customs2', 'CustomsMSP', { role: 'officer' });
  for (const id of [ID, OTHER]) {
    await net.submit('platformA', 'consignment:create', [id, joinKeys(id)]);
    await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload(`ORD-${id}`));
    await net.submit('payment', 'consignment:submitPayment', [id], paymentPayload(`ORD-${id}`, `PAY-${id}`));
  }
  await net.submit('platformA', 'party:register', [PARTY, 'buyer', 'verified'], partyPayload);
  await net.submit('platformB', 'party:register', [PARTY, 'buyer', 'basic'], partyPayload);
  await net.submit('customs', 'party:flagParty', [FLAGGED], {
    watchlisted: true,
    reasonCode: 'REPEAT_OFFENDER',
  });
  await net.submit('platformA', 'party:register', [ERASED, 'buyer', 'verified'], partyPayload);
  const subject = { partyId: ERASED, reason: 'erasure_request', target: { type: 'party' } };
  await net.submit('platformA', 'erasure:erase', [], undefined, {
    transientData: { subject: Buffer.from(JSON.stringify(subject)) },
  });
}, 120_000);

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await net?.close();
});

describe('a private record is handed out only against its access record', () => {
  const read = (user: string, accessTxId: string, id = ID, kind = 'order') =>
    net.evaluate(user, 'consignment:getPrivateRecord', [id, kind, accessTxId]);

  it('with none, or a transaction that recorded none, it is refused with how to do it right', async () => {
    const hint =
      /^transaction '.*' recorded no read of the order record of consignment BOUND-1 by this user; record it first \(consignment:recordAccess, under a purpose\) and pass that transaction's id$/;
    expect(await net.outcome(read('platformA', ''))).toMatch(hint);
    expect(await net.outcome(read('platformA', 'f'.repeat(64)))).toMatch(hint);
    const order = (await net.evaluate('platformA', 'consignment:get', [ID])) as {
      records: { kind: string; txId: string }[];
    };
    expect(await net.outcome(read('platformA', order.records[0]!.txId))).toMatch(hint);
  });

  it('with its own record, its user reads it; another user of the same organisation does not', async () => {
    const access = await recordRead('platformA', ID, 'order', 'dispute_resolution');
    expect(await read('platformA', access.txId)).toMatchObject({
      payload: { buyer: { name: PERSONAL.buyerName } },
    });
    expect(await net.outcome(read('platformA2', access.txId))).toMatch(
      /recorded no read of the order record/,
    );
  });

  it('a record of another kind, another consignment or a disclosure opens no other record', async () => {
    const payment = await recordRead('customs', ID, 'payment', 'risk_assessment');
    expect(await net.outcome(read('customs', payment.txId))).toMatch(/recorded no read of the order record/);
    expect(await read('customs', payment.txId, ID, 'payment')).toMatchObject({
      payload: { payer: { name: PERSONAL.payerName } },
    });
    const elsewhere = await recordRead('customs', OTHER, 'order');
    expect(await net.outcome(read('customs', elsewhere.txId))).toMatch(
      /recorded no read of the order record/,
    );
    const disclosure = await recordDisclosure('customs', ID, 'order', ['/goodsValue']);
    expect(await net.outcome(read('customs', disclosure.txId))).toMatch(
      /recorded no read of the order record/,
    );
  });

  it('a record older than ten minutes no longer opens it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    vi.setSystemTime(now);
    const access = await recordRead('platformA', ID, 'order');
    vi.setSystemTime(now + 10 * 60_000);
    expect(await net.outcome(read('platformA', access.txId))).toBe('ok');
    vi.setSystemTime(now + 10 * 60_000 + 1);
    expect(await net.outcome(read('platformA', access.txId))).toBe(
      `the read of the order record of consignment ${ID} recorded by transaction ${access.txId} is more than 10 minutes old; record it again (consignment:recordAccess) and pass the new transaction's id`,
    );
  });
});

describe('a disclosure package is built only for the fields its access record names', () => {
  const disclose = (user: string, accessTxId: string) =>
    net.evaluate(user, 'consignment:getDisclosure', [ID, 'order', accessTxId]) as Promise<{
      version: number;
      disclosure: DisclosurePackage;
    }>;

  it('reveals what was recorded, each leaf of a subtree named on the log', async () => {
    const access = await recordDisclosure(
      'platformA',
      ID,
      'order',
      ['/goodsValue', '/consignee/address'],
      'return_processing',
    );
    expect(access.fields).toEqual([
      '/consignee/address/city',
      '/consignee/address/country',
      '/consignee/address/line1',
      '/consignee/address/postcode',
      '/goodsValue',
    ]);
    const { disclosure } = await disclose('platformA', access.txId);
    expect(disclosure.fields.map((f) => f.path)).toEqual(access.fields);
    expect(JSON.stringify(disclosure)).not.toContain(PERSONAL.buyerName);
  });

  it('is refused without its own disclosure record: none, a read record, another user’s', async () => {
    const hint =
      /recorded no disclosure of the order record of consignment BOUND-1 by this user; record it first \(consignment:recordDisclosure, /;
    expect(await net.outcome(disclose('platformA', ''))).toMatch(hint);
    const read = await recordRead('platformA', ID, 'order');
    expect(await net.outcome(disclose('platformA', read.txId))).toMatch(hint);
    const mine = await recordDisclosure('customs', ID, 'order', ['/goodsValue']);
    expect(await net.outcome(disclose('customs2', mine.txId))).toMatch(hint);
  });
});

describe("a party's registration is handed out only against a record of reading that registration", () => {
  const read = (user: string, platform: string, accessTxId: string) =>
    net.evaluate(user, 'party:getPrivateRecord', [PARTY, platform, accessTxId]);
  const recordRegistration = (user: string, platform: string, purpose = 'legal_request') =>
    record(user, 'party:recordRegistrationRead', [PARTY, platform, purpose]);

  it('names the registration read, and opens that one only', async () => {
    expect(await net.outcome(read('customs', 'PlatformAMSP', ''))).toMatch(
      /recorded no read of the registration of party c+ by PlatformAMSP by this user; record it first \(party:recordRegistrationRead, /,
    );
    const access = await recordRegistration('customs', 'PlatformAMSP');
    const registration = (await net.evaluate('customs', 'party:get', [PARTY])) as {
      registrations: { registeredBy: string; txId: string }[];
    };
    const a = registration.registrations.find((r) => r.registeredBy === 'PlatformAMSP')!;
    expect(access).toMatchObject({ recordKind: 'party', recordTxId: a.txId });
    expect(await read('customs', 'PlatformAMSP', access.txId)).toMatchObject({
      payload: { name: PERSONAL.buyerName },
    });
    expect(await net.outcome(read('customs', 'PlatformBMSP', access.txId))).toMatch(/recorded no read/);
    expect(await net.outcome(read('customs2', 'PlatformAMSP', access.txId))).toMatch(/recorded no read/);
  });

  it('a re-registration is a new version: a record of reading the one before does not open it', async () => {
    const access = await recordRegistration('platformB', 'PlatformBMSP', 'dispute_resolution');
    await net.submit('platformB', 'party:register', [PARTY, 'buyer', 'verified'], partyPayload);
    expect(await net.outcome(read('platformB', 'PlatformBMSP', access.txId))).toMatch(/recorded no read/);
  });

  it("a watch-list flag's read record opens no registration, nor the other way round", async () => {
    const flag = await record('customs', 'party:recordFlagRead', [PARTY, 'risk_assessment']);
    expect(await net.outcome(read('customs', 'PlatformAMSP', flag.txId))).toMatch(/recorded no read/);
    const registration = await recordRegistration('customs', 'PlatformAMSP');
    expect(await refusal('customs', 'party:getFlag', [PARTY, registration.txId])).toMatch(
      /recorded no read of customs' note on party c+ by this user; record it first \(party:recordFlagRead, /,
    );
  });
});

describe("customs' watch-list note is handed out only against a record of reading it", () => {
  it('is on the party’s access log, for customs’ purposes only', async () => {
    expect(await refusal('customs', 'party:getFlag', [FLAGGED, ''])).toMatch(
      /recorded no read of customs' note/,
    );
    expect(
      await net.outcome(net.submit('customs', 'party:recordFlagRead', [FLAGGED, 'dispute_resolution'])),
    ).toMatch(/^purpose 'dispute_resolution' is not allowed for CustomsMSP/);
    expect(await net.outcome(net.submit('platformA', 'party:recordFlagRead', [FLAGGED, 'audit']))).toMatch(
      /^flagParty is not allowed for PlatformAMSP/,
    );
    const access = await record('customs', 'party:recordFlagRead', [FLAGGED, 'risk_assessment']);
    expect(await net.evaluate('customs', 'party:getFlag', [FLAGGED, access.txId])).toMatchObject({
      partyId: FLAGGED,
      watchlisted: true,
      reasonCode: 'REPEAT_OFFENDER',
    });
    expect(await refusal('customs2', 'party:getFlag', [FLAGGED, access.txId])).toMatch(/recorded no read/);
    expect(await ledgerAccessLog(net, 'party', FLAGGED, 'customs')).toEqual([
      expect.objectContaining({ recordKind: 'flag', purpose: 'risk_assessment', txId: access.txId }),
    ]);
  });
});

describe('a read hands out only the fields its access record’s purpose needs', () => {
  interface Opened {
    root: string;
    payload: Record<string, unknown>;
    saltSeed?: string;
  }
  const readOrder = async (user: string, purpose: string) => {
    const access = await recordRead(user, ID, 'order', purpose);
    return (await net.evaluate(user, 'consignment:getPrivateRecord', [ID, 'order', access.txId])) as Opened;
  };
  const readRegistration = async (user: string, purpose: string) => {
    const access = await record(user, 'party:recordRegistrationRead', [PARTY, 'PlatformAMSP', purpose]);
    return (await net.evaluate(user, 'party:getPrivateRecord', [
      PARTY,
      'PlatformAMSP',
      access.txId,
    ])) as Opened;
  };

  it('a purpose that needs the whole record gets it, with the seed that checks it against its root', async () => {
    const whole = await readOrder('customs', 'risk_assessment');
    expect(whole.payload).toEqual(orderPayload(`ORD-${ID}`));
    expect(commitPayload(whole.payload, whole.saltSeed!).root).toBe(whole.root);
  });

  it('audit gets no buyer, consignee or seller name, and no seed to test guesses against the root', async () => {
    const audit = await readOrder('platformA', 'audit');
    expect(audit.payload).toEqual(minimisedPayload('order', 'audit', orderPayload(`ORD-${ID}`)));
    expect(audit.payload).toMatchObject({ goodsValue: 40, seller: { id: SELLER_ID } });
    expect(audit).not.toHaveProperty('saltSeed');
    for (const value of [PERSONAL.buyerName, PERSONAL.buyerDocument, PERSONAL.sellerName, PERSONAL.street]) {
      expect(JSON.stringify(audit)).not.toContain(value);
    }
  });

  it('a data subject’s request gets the parties’ ids, and nothing of a registration', async () => {
    const request = await readOrder('platformA', 'data_subject_request');
    expect(request.payload.buyer).toEqual({ id: BUYER_ID });
    expect(request.payload.seller).toEqual({ id: SELLER_ID });
    expect(request.payload).not.toHaveProperty('consignee');
    expect((await readRegistration('platformA', 'data_subject_request')).payload).toEqual({});
  });

  it('a registration read for revenue assessment has no identity document', async () => {
    const revenue = await readRegistration('customs', 'revenue_assessment');
    expect(revenue.payload).toEqual({ name: PERSONAL.buyerName });
    expect(revenue).not.toHaveProperty('saltSeed');
    expect((await readRegistration('customs', 'legal_request')).payload).toEqual(partyPayload);
  });
});

describe('a recording refused where its read would be refused leaves nothing', () => {
  it.each<[string, string, string[], RegExp]>([
    ['not a participant', 'post', [ID, 'order', 'audit'], /does not exist or is not visible/],
    [
      'a participant but not a member',
      'payment',
      [ID, 'order', 'audit'],
      /^PaymentMSP is not a member of collection /,
    ],
    [
      'an auditor, who reads no collection',
      'auditor',
      [ID, 'order', 'audit'],
      /^AuditorMSP is not a member of collection /,
    ],
    [
      'no such record',
      'platformA',
      [ID, 'declaration', 'audit'],
      /^consignment BOUND-1 has no declaration record$/,
    ],
    ['an unknown kind', 'customs', [ID, 'invoice', 'audit'], /^invalid record kind 'invoice'/],
  ])('consignment:recordAccess: %s', async (_name, user, args, refused) => {
    const before = await ledgerAccessLog(net, 'consignment', ID, 'customs');
    const height = net.ledger.height();
    expect(await net.outcome(net.submit(user, 'consignment:recordAccess', args))).toMatch(refused);
    expect(net.ledger.height()).toBe(height);
    expect(await ledgerAccessLog(net, 'consignment', ID, 'customs')).toEqual(before);
  });

  it.each<[string, string, string[], RegExp]>([
    [
      'a path the record does not hold',
      'audit',
      ['/lines/3/hsCode'],
      /^no field at path '\/lines\/3\/hsCode'$/,
    ],
    ['a path that is not a field', 'risk_assessment', ['/buyer/name/Jane Doe'], /^no field at path /],
    [
      'one missing path among fields it holds',
      'risk_assessment',
      ['/goodsValue', '/buyer/email'],
      /^no field at path '\/buyer\/email'$/,
    ],
    // Data minimisation: what a details read for the purpose would remove cannot be disclosed either.
    [
      'a field the purpose may not see',
      'audit',
      ['/goodsValue', '/buyer/name'],
      /^path '\/buyer\/name' may not be disclosed for purpose 'audit' \(data minimisation\): it is under \/buyer, which audit does not need$/,
    ],
    [
      'an excluded field itself',
      'revenue_assessment',
      ['/buyer/document'],
      /^path '\/buyer\/document' may not be disclosed for purpose 'revenue_assessment' \(data minimisation\): revenue_assessment does not need it$/,
    ],
    [
      'an object holding an excluded field',
      'revenue_assessment',
      ['/buyer'],
      /^path '\/buyer' may not be disclosed for purpose 'revenue_assessment' \(data minimisation\): it holds \/buyer\/document, which revenue_assessment does not need$/,
    ],
  ])('consignment:recordDisclosure: %s', async (_name, purpose, paths, refused) => {
    const before = await ledgerAccessLog(net, 'consignment', ID, 'customs');
    const height = net.ledger.height();
    expect(
      await net.outcome(
        net.submit('customs', 'consignment:recordDisclosure', [ID, 'order', purpose, JSON.stringify(paths)]),
      ),
    ).toMatch(refused);
    expect(net.ledger.height()).toBe(height);
    expect(await ledgerAccessLog(net, 'consignment', ID, 'customs')).toEqual(before);
  });

  it.each<[string, string, string, string, RegExp]>([
    [
      'not registered by that platform',
      'customs',
      PARTY,
      'PostMSP',
      /^party c+ is not registered by PostMSP$/,
    ],
    [
      'another platform’s registration',
      'platformB',
      PARTY,
      'PlatformAMSP',
      /^PlatformBMSP is not a member of collection /,
    ],
    [
      'an erased registration',
      'customs',
      ERASED,
      'PlatformAMSP',
      /^the registration of party e+ by PlatformAMSP was erased \(transaction /,
    ],
  ])('party:recordRegistrationRead: %s', async (_name, user, party, platform, refused) => {
    const before = await ledgerAccessLog(net, 'party', party, 'customs');
    const height = net.ledger.height();
    expect(
      await net.outcome(net.submit(user, 'party:recordRegistrationRead', [party, platform, 'audit'])),
    ).toMatch(refused);
    expect(net.ledger.height()).toBe(height);
    expect(await ledgerAccessLog(net, 'party', party, 'customs')).toEqual(before);
  });
});
