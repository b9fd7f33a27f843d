import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRecord } from '@customs-ledger/chaincode';
import { ledgerAccessLog } from '../support/access-log.js';
import { configureCustoms, testRuleSet } from '../support/customs-config.js';
import { committedTransactions, openTestNetwork, type TestNetwork } from '../support/network.js';
import {
  PERSONAL,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from '../support/payloads.js';

/*
 * The customs contract on the embedded ledger: assessments endorsed by customs alone, each lane from
 * crafted data, split shipments across consignments, automatic release only on a releasable
 * assessment, referral answers, and traders refused by the chaincode itself.
 */

let net: TestNetwork;
const TRADERS = ['platformA', 'platformB', 'payment', 'post', 'express', 'auditor'];
/** No random selection, so every lane below follows from the data alone. */
const RULES = testRuleSet('test-1');
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const hex = (n: number) => randomBytes(n).toString('hex');

interface Change {
  order?: Record<string, unknown>;
  payment?: Record<string, unknown>;
  declaration?: Record<string, unknown> | null;
  buyer?: { id: string; name: string };
}

/** A consignment with order, payment, logistics (and by default a declaration); the buyer pays. */
async function parcel(id: string, change: Change = {}): Promise<void> {
  const orderNumber = `ORD-${id}`;
  const buyer = change.buyer ?? { id: hex(32), name: `Buyer ${id}` };
  const document = { type: 'passport', number: `P-${id}`, country: 'FR' };
  const base = orderPayload(orderNumber);
  const consignee = { ...base.consignee, name: buyer.name };
  await net.submit('platformA', 'consignment:create', [
    id,
    JSON.stringify({ ...testKeys(id), originCountry: 'CN', destinationCountry: 'FR' }),
  ]);
  await net.submit('platformA', 'consignment:submitOrder', [id], {
    ...base,
    buyer: { id: buyer.id, name: buyer.name, document },
    consignee,
    ...change.order,
  });
  await net.submit('payment', 'consignment:submitPayment', [id], {
    ...paymentPayload(orderNumber, `PAY-${id}`),
    payer: { name: buyer.name, document },
    ...change.payment,
  });
  await net.submit('post', 'consignment:submitLogistics', [id], {
    ...logisticsPayload(orderNumber, testKeys(id).trackingNumber),
    consignee,
  });
  if (change.declaration !== null) {
    await net.submit('platformA', 'consignment:submitDeclaration', [id], {
      ...declarationPayload(),
      ...change.declaration,
    });
  }
}

const assess = (id: string, user = 'customs') => net.submit(user, 'customs:assess', [id]);
interface Explained {
  number: number;
  releasable: boolean;
  blockers: string[];
  match: { result: string; reasons: string[] };
  risk: { lane: string; score: number; reasons: { code: string; detail: string }[] };
  revenue: { assessed: boolean; duty?: Record<string, unknown> };
  referralAnswers: { txId: string; answeredBy: string; answer?: unknown }[];
  earlier: unknown[];
}
const explain = async (id: string) =>
  (await net.evaluate('customs', 'customs:getAssessment', [id])) as Explained;
const codes = (e: Explained) => e.risk.reasons.map((r) => r.code);
const decide = (user: string, id: string, decision: string, reasonCodes: string[] = []) =>
  net.submit(user, 'consignment:recordDecision', [id, JSON.stringify({ decision, reasonCodes })]);

beforeAll(async () => {
  net = await openTestNetwork();
  await net.enrol('customsService', 'CustomsMSP', { role: 'service' });
  await configureCustoms(net, RULES);
}, 120_000);
afterAll(async () => {
  await net?.close();
});

describe('rules, assessments and decisions are customs-only, in the chaincode', () => {
  it.each(TRADERS)('%s cannot read or change rules, assess, read assessments or decide', async (user) => {
    await parcel(`DENY-${user}`);
    const refusals = await Promise.all([
      net.outcome(
        net.submit(user, 'customs:putRuleSet', [], undefined, { transientData: { ruleSet: json(RULES) } }),
      ),
      net.outcome(net.evaluate(user, 'customs:getRuleSet', [''])),
      net.outcome(net.evaluate(user, 'customs:getTariffs', [''])),
      net.outcome(net.submit(user, 'customs:assess', [`DENY-${user}`])),
      net.outcome(net.evaluate(user, 'customs:getAssessment', [`DENY-${user}`])),
      net.outcome(net.evaluate(user, 'customs:workQueue', ['{}'])),
      net.outcome(net.evaluate(user, 'customs:reconciliation', ['{}'])),
      net.outcome(decide(user, `DENY-${user}`, 'release')),
    ]);
    for (const refusal of refusals) expect(refusal).toMatch(/is not allowed for/);
  });

  it('customs reads its rule set back; a version keeps its content; the secret is set once', async () => {
    expect(await net.evaluate('customs', 'customs:getRuleSet', [''])).toMatchObject({
      value: { version: 'test-1' },
      setBy: 'CustomsMSP',
    });
    expect(
      await net.outcome(
        net.submit('customs', 'customs:putRuleSet', [], undefined, {
          transientData: { ruleSet: json({ ...RULES, randomSelectionRate: 0.5 }) },
        }),
      ),
    ).toMatch(/version test-1 already exists with other content/);
    expect(
      await net.outcome(
        net.submit('customs', 'customs:putRuleSet', [], undefined, {
          transientData: { ruleSet: json(RULES), secret: Buffer.from(hex(32)) },
        }),
      ),
    ).toMatch(/set once/);
    expect(
      await net.outcome(
        net.submit('customs', 'customs:putRuleSet', [], undefined, {
          transientData: { ruleSet: json({ ...RULES, version: 'bad', thresholds: { amber: 70, red: 60 } }) },
        }),
      ),
    ).toMatch(/amber must not exceed red/);
  });

  it('an assessment waits for order, payment and logistics', async () => {
    await net.submit('platformA', 'consignment:create', [
      'INCOMPLETE-1',
      JSON.stringify({ orderNumber: 'ORD-INCOMPLETE-1', originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    await net.submit(
      'platformA',
      'consignment:submitOrder',
      ['INCOMPLETE-1'],
      orderPayload('ORD-INCOMPLETE-1'),
    );
    expect(await net.outcome(assess('INCOMPLETE-1'))).toMatch(/has no payment, logistics data yet/);
  });
});

describe('a clean parcel: matched, green, released by the service identity', () => {
  it('is assessed by customs alone, publishes only the match outcome, and is released automatically', async () => {
    await parcel('GREEN-1');
    const outcome = (await assess('GREEN-1')) as Record<string, unknown>;
    expect(outcome).toMatchObject({
      consignmentId: 'GREEN-1',
      number: 1,
      match: { result: 'pass', reasons: [] },
    });
    expect(outcome.releasable).toBe(true);
    const text = JSON.stringify(outcome);
    for (const hidden of ['lane', 'score', 'green', PERSONAL.street, 'Buyer GREEN-1']) {
      expect(text).not.toContain(hidden);
    }

    const explained = await explain('GREEN-1');
    expect(explained).toMatchObject({ releasable: true, blockers: [], risk: { lane: 'green' } });
    expect(explained.revenue).toMatchObject({
      assessed: true,
      duty: { currency: 'EUR', dutyBasis: 'flat', duty: 3, collectionModel: 'carrier' },
    });

    // The assessment transaction carries customs' endorsement only, and is valid.
    const txs = await committedTransactions(net.ledger);
    const tx = txs.find((t) => t.fn === 'customs:assess' && t.valid);
    const block = await net.ledger.getBlock(tx!.blockNumber);
    const envelope =
      'transactions' in block.data
        ? block.data.transactions.find((t) => t.txId === tx!.transactionId)
        : undefined;
    expect(envelope!.endorsements.map((e) => e.mspId)).toEqual(['CustomsMSP']);
    // It tells the carrier what to collect in the collection from customs to that carrier alone.
    expect(
      envelope!.rwset.collections.filter((c) => c.hashedWrites.length > 0).map((c) => c.collection),
    ).toEqual(['CustomsMSP-only', 'CustomsMSP-to-PostMSP']);
    expect(await net.evaluate('post', 'customs:getCollectionInstruction', ['GREEN-1'])).toMatchObject({
      instruction: { carrierMspId: 'PostMSP', currency: 'EUR', duty: 3, assessment: { number: 1 } },
    });
    for (const user of ['platformA', 'payment', 'express', 'auditor']) {
      expect(await net.outcome(net.evaluate(user, 'customs:getCollectionInstruction', ['GREEN-1']))).toMatch(
        / is not visible to /,
      );
    }

    // Traders see the public match result; it names no personal value.
    const match = await net.evaluate('platformA', 'customs:getMatch', ['GREEN-1']);
    expect(match).toMatchObject({ assessment: { match: { result: 'pass' }, releasable: true } });
    expect(await net.outcome(net.evaluate('platformB', 'customs:getMatch', ['GREEN-1']))).toMatch(
      /not visible/,
    );

    // The service may not hold it, but may release it, and that decision says it was automatic.
    expect(await net.outcome(decide('customsService', 'GREEN-1', 'hold'))).toMatch(/can only be 'release'/);
    const released = (await decide('customsService', 'GREEN-1', 'release', ['AUTO_RELEASE'])) as Record<
      string,
      unknown
    >;
    expect(released).toMatchObject({ statusAfter: 'released', automatic: true });
  });

  it('an officer decision is not automatic, and the service cannot release after one', async () => {
    await parcel('GREEN-2');
    await assess('GREEN-2');
    expect(await decide('customs', 'GREEN-2', 'hold', ['DOCS'])).toMatchObject({ automatic: false });
    expect(await net.outcome(decide('customsService', 'GREEN-2', 'release'))).toMatch(
      /customs decision was recorded since assessment 1/,
    );
    // Assessed again, it is no longer releasable: an officer has taken it over.
    await assess('GREEN-2');
    expect(await explain('GREEN-2')).toMatchObject({
      number: 2,
      releasable: false,
      blockers: ['CUSTOMS_DECISION_TAKEN'],
      earlier: [expect.objectContaining({ number: 1, releasable: true })],
    });
  });

  it('a record corrected after the assessment stops the automatic release until assessed again', async () => {
    await parcel('GREEN-3');
    await assess('GREEN-3');
    await net.submit('platformA', 'consignment:submitDeclaration', ['GREEN-3'], declarationPayload());
    expect(await net.outcome(decide('customsService', 'GREEN-3', 'release'))).toMatch(/records changed/);
    await assess('GREEN-3');
    expect(await net.outcome(decide('customsService', 'GREEN-3', 'release'))).toBe('ok');
  });

  it('the platform collection model follows the collection number; reconciliation compares it', async () => {
    await parcel('IOSS-1', { declaration: { vatCollectionNumber: 'IM3720001234' } });
    await assess('IOSS-1');
    const explained = await explain('IOSS-1');
    expect(explained.revenue.duty).toMatchObject({ collectionModel: 'platform', collectedAtCheckout: 8.8 });
    const { rows } = (await net.evaluate('customs', 'customs:reconciliation', [
      JSON.stringify({ platformMspId: 'PlatformAMSP' }),
    ])) as { rows: { platformMspId: string; consignments: number; declared: number }[] };
    expect(rows).toEqual([
      expect.objectContaining({ platformMspId: 'PlatformAMSP', consignments: 1, declared: 8.8 }),
    ]);
  });

  it('a platform records what it remitted; customs sets it against what was declared as collected', async () => {
    await parcel('IOSS-2', { declaration: { vatCollectionNumber: 'IM3720001234' } });
    await assess('IOSS-2');
    // The test payment's month (payloads.ts paidAt).
    const period = '2026-11';
    const filter = JSON.stringify({ platformMspId: 'PlatformAMSP', period });
    const reconciled = async () =>
      (
        (await net.evaluate('customs', 'customs:reconciliation', [filter])) as {
          rows: { declared: number; remittances: number; remitted: number; unremitted: number }[];
        }
      ).rows;
    const [before] = await reconciled();
    expect(before).toMatchObject({ remittances: 0, remitted: 0, unremitted: before!.declared });
    const remittance = { period, currency: 'EUR', amount: 8123.47, reference: `IOSS-${period}-${hex(4)}` };
    const recorded = (await net.submit('platformA', 'customs:recordRemittance', [], remittance)) as {
      txId: string;
    };
    // Only public facts: a transaction's answer is in its block, for every channel member.
    expect(recorded).toEqual({
      platformMspId: 'PlatformAMSP',
      recordedAt: expect.any(String),
      txId: expect.any(String),
    });
    // A reference is recorded once: a correction comes under a reference of its own.
    expect(await net.outcome(net.submit('platformA', 'customs:recordRemittance', [], remittance))).toBe(
      `remittance ${remittance.reference} of PlatformAMSP already exists`,
    );
    for (const who of ['customs', 'post', 'auditor']) {
      expect(await net.outcome(net.submit(who, 'customs:recordRemittance', [], remittance))).toMatch(
        /^recordRemittance is not allowed for /,
      );
    }
    expect(
      await net.outcome(
        net.submit('platformA', 'customs:recordRemittance', [], { ...remittance, amount: 1.005 }),
      ),
    ).toMatch(/amount/);

    expect(await reconciled()).toEqual([
      {
        ...before,
        remittances: 1,
        remitted: 8123.47,
        unremitted: Number((before!.declared - 8123.47).toFixed(2)),
      },
    ]);
    // Each platform reads its own; customs every platform's.
    const listed = { remittances: [{ ...remittance, platformMspId: 'PlatformAMSP', txId: recorded.txId }] };
    expect(await net.evaluate('platformA', 'customs:remittances', ['{}'])).toMatchObject(listed);
    expect(await net.evaluate('customs', 'customs:remittances', [filter])).toMatchObject(listed);
    expect(await net.evaluate('platformB', 'customs:remittances', ['{}'])).toEqual({ remittances: [] });
    // Customs looks only in the collections of platforms that have recorded one.
    expect(
      await net.evaluate('customs', 'customs:remittances', [
        JSON.stringify({ platformMspId: 'PlatformBMSP' }),
      ]),
    ).toEqual({ remittances: [] });
    expect(
      await net.outcome(
        net.evaluate('platformB', 'customs:remittances', [JSON.stringify({ platformMspId: 'PlatformAMSP' })]),
      ),
    ).toBe('PlatformBMSP cannot read the remittances of PlatformAMSP');
    expect(await net.outcome(net.evaluate('post', 'customs:remittances', ['{}']))).toMatch(
      /is not allowed for/,
    );

    // The block holds the private write's hashes, never the amount or the reference: not as text, nor
    // in its answer or arguments (base64).
    const { blockNumber } = (await committedTransactions(net.ledger)).find(
      (tx) => tx.transactionId === recorded.txId,
    )!;
    const block = Buffer.from(await net.ledger.getBlockBytes(blockNumber));
    const transaction = (
      JSON.parse(block.toString()) as {
        data: { transactions: { txId: string; args: string[]; response: { payload: string } }[] };
      }
    ).data.transactions.find((tx) => tx.txId === recorded.txId)!;
    const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString();
    expect(JSON.parse(fromBase64(transaction.response.payload))).toEqual(recorded);
    for (const text of [
      block.toString(),
      fromBase64(transaction.response.payload),
      ...transaction.args.map(fromBase64),
    ]) {
      expect(text).not.toContain(remittance.reference);
      expect(text).not.toContain('8123.47');
    }
  });
});

describe('each lane from crafted data', () => {
  it.each<[string, Change, string, string[], string]>([
    [
      'a payment of another amount',
      { payment: { amountPaid: 40 } },
      'amber',
      ['MATCH_PAYMENT_AMOUNT'],
      'fail',
    ],
    [
      'a vague description and a nominal value',
      {
        order: {
          goodsValue: 1,
          amountPaid: 13.8,
          lines: [{ ...orderPayload('x').lines[0], description: 'gift', unitPrice: 0.5, lineValue: 1 }],
        },
        payment: { amountPaid: 13.8 },
        declaration: null,
      },
      'red',
      ['NOMINAL_VALUE', 'VAGUE_DESCRIPTION', 'UNDERVALUATION'],
      'pass',
    ],
    [
      'a restricted HS code (lithium accumulators)',
      { order: { lines: [{ ...orderPayload('x').lines[0], hsCode: '850760' }] }, declaration: null },
      'amber',
      ['RESTRICTED_HS'],
      'pass',
    ],
    [
      'a T-shirt bearing a protected mark (AFA-DEMO-0001)',
      {
        order: { lines: [{ ...orderPayload('x').lines[0], description: 'ACME cotton T-shirt' }] },
        declaration: null,
      },
      'amber',
      ['IPR_SENSITIVE'],
      'pass',
    ],
    [
      'a recalled power bank (SG-DEMO-0002), whatever the score',
      {
        order: {
          lines: [
            { ...orderPayload('x').lines[0], hsCode: '850760', description: 'VoltMax 20000 power bank' },
          ],
        },
        declaration: null,
      },
      'red',
      ['PRODUCT_RECALL', 'RESTRICTED_HS'],
      'pass',
    ],
    [
      'a prohibited HS code (arms), whatever the score',
      { order: { lines: [{ ...orderPayload('x').lines[0], hsCode: '930200' }] }, declaration: null },
      'red',
      ['PROHIBITED_HS'],
      'pass',
    ],
  ])('%s → %s', async (_name, change, lane, expectedCodes, matchResult) => {
    const id = `LANE-${lane}-${hex(3)}`;
    await parcel(id, change);
    const outcome = (await assess(id)) as { match: { result: string }; releasable: boolean };
    expect(outcome.match.result).toBe(matchResult);
    expect(outcome.releasable).toBe(false);
    const explained = await explain(id);
    expect(explained.risk.lane).toBe(lane);
    expect(codes(explained)).toEqual(expect.arrayContaining(expectedCodes));
    expect(await net.outcome(decide('customsService', id, 'release'))).toMatch(
      /does not allow automatic release/,
    );
  });

  it('a watch-listed seller is red; a trusted trader scores lower', async () => {
    const seller = hex(32);
    await net.submit('customs', 'party:flagParty', [seller], {
      watchlisted: true,
      reasonCode: 'REPEAT_OFFENDER',
    });
    await parcel('WATCH-1', { order: { seller: { id: seller, name: 'Watched Seller' } } });
    await assess('WATCH-1');
    expect(await explain('WATCH-1')).toMatchObject({ risk: { lane: 'red' } });

    // Restricted goods (30, amber) from a trusted trader: halved to 15, green.
    const trustedSeller = hex(32);
    await net.submit('platformA', 'party:register', [trustedSeller, 'seller', 'verified'], {
      name: 'Trusted Seller',
      document: { type: 'tax_id', number: 'TT-1', country: 'CN' },
    });
    await net.submit('customs', 'party:setTrustedTrader', [trustedSeller, 'true', 'AEO-CN-1']);
    await parcel('TRUSTED-1', {
      order: {
        seller: { id: trustedSeller, name: 'Trusted Seller' },
        lines: [{ ...orderPayload('x').lines[0], hsCode: '850760' }],
      },
      declaration: null,
    });
    await assess('TRUSTED-1');
    const explained = await explain('TRUSTED-1');
    expect(explained.risk).toMatchObject({ lane: 'green' });
    expect(codes(explained)).toContain('TRUSTED_TRADER');
  });

  it('customs alone recognises a platform or carrier as a trusted operator, which lowers its parcels’ score', async () => {
    const setOperator = (user: string, mspId: string, trusted = 'true', reference = 'AEOF-FR-0001') =>
      net.outcome(net.submit(user, 'customs:setTrustedOperator', [mspId, trusted, reference]));
    expect(await setOperator('platformA', 'PlatformAMSP')).toMatch(
      /^setTrustedOperator is not allowed for PlatformAMSP/,
    );
    expect(await setOperator('customs', 'PaymentMSP')).toBe(
      'PaymentMSP has role payment: trusted-operator status is for platform, post, express',
    );
    expect(await setOperator('customs', 'NobodyMSP')).toBe('organisation NobodyMSP is not registered');
    expect(await setOperator('customs', 'PostMSP', 'maybe')).toMatch(/could not convert data to boolean/);
    expect(await setOperator('customs', 'PostMSP', 'true', '')).toMatch(/reference/);
    const statuses = async () =>
      (
        (await net.evaluate('customs', 'customs:trustedOperators')) as {
          trustedOperators: { mspId: string; trusted: boolean; reference: string }[];
        }
      ).trustedOperators;
    expect(await net.outcome(net.evaluate('platformA', 'customs:trustedOperators'))).toMatch(
      /^readTrustedOperators is not allowed for PlatformAMSP/,
    );
    expect(await statuses()).toEqual([]);

    // Restricted goods (30, amber): × 0.8 for the platform is 24, green; × 0.8 again for the post, 19.2.
    const restricted = {
      order: { lines: [{ ...orderPayload('x').lines[0], hsCode: '850760' }] },
      declaration: null,
    };
    expect(await setOperator('customs', 'PlatformAMSP')).toBe('ok');
    try {
      await parcel('OPERATOR-1', restricted);
      await assess('OPERATOR-1');
      expect((await explain('OPERATOR-1')).risk).toMatchObject({ lane: 'green', score: 24 });
      expect(await setOperator('customs', 'PostMSP')).toBe('ok');
      await assess('OPERATOR-1');
      const explained = await explain('OPERATOR-1');
      expect(explained.risk).toMatchObject({ lane: 'green', score: 19.2 });
      expect(explained.risk.reasons.find((r) => r.code === 'TRUSTED_OPERATOR')?.detail).toBe(
        'score 30 × 0.8 for each of PlatformAMSP, PostMSP',
      );
      expect((await statuses()).find((o) => o.mspId === 'PostMSP')).toMatchObject({
        trusted: true,
        reference: 'AEOF-FR-0001',
      });
      // The status counts only while the registry lists the organisation as a platform or carrier.
      const post = (await net.evaluate('customs', 'org:getOrganisation', ['PostMSP'])) as { name: string };
      await net.submit('governance', 'org:setOrganisation', ['PostMSP', 'payment', post.name]);
      try {
        await assess('OPERATOR-1');
        expect((await explain('OPERATOR-1')).risk).toMatchObject({ score: 24 });
      } finally {
        await net.submit('governance', 'org:setOrganisation', ['PostMSP', 'post', post.name]);
      }
    } finally {
      for (const mspId of ['PlatformAMSP', 'PostMSP'])
        expect(await setOperator('customs', mspId, 'false')).toBe('ok');
    }
    await parcel('OPERATOR-2', restricted);
    await assess('OPERATOR-2');
    expect((await explain('OPERATOR-2')).risk).toMatchObject({ lane: 'amber', score: 30 });
  });
});

describe('split shipments across consignments', () => {
  it('the same buyer, or the same consignee, from one seller within the window, together over 150 EUR', async () => {
    const buyer = { id: hex(32), name: 'Splitting Buyer' };
    const lanes: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      const id = `SPLIT-${n}`;
      await parcel(id, { buyer, order: { orderedAt: `2026-11-20T1${n}:00:00Z` }, declaration: null });
      await assess(id);
      const explained = await explain(id);
      lanes.push(codes(explained).includes('SPLIT_SHIPMENT') ? 'split' : 'single');
    }
    // 40 EUR each: 120 after three, 160 with the fourth.
    expect(lanes).toEqual(['single', 'single', 'single', 'split']);

    // Another buyer id, same consignee name and address: still the same destination of the goods.
    await parcel('SPLIT-5', {
      buyer: { id: hex(32), name: 'Splitting Buyer' },
      order: { orderedAt: '2026-11-20T15:00:00Z' },
      declaration: null,
    });
    await assess('SPLIT-5');
    expect(codes(await explain('SPLIT-5'))).toContain('SPLIT_SHIPMENT');

    // Re-assessing counts a consignment once, with the parcels ordered after it (1, 2, 4 and 5:
    // 200 EUR); another seller's parcels are apart.
    await assess('SPLIT-3');
    expect((await explain('SPLIT-3')).risk.reasons.find((r) => r.code === 'SPLIT_SHIPMENT')).toMatchObject({
      detail: '4 other consignment(s) within 72 h bring the total over 150 EUR',
    });
    await parcel('SPLIT-6', {
      buyer,
      order: { seller: { id: hex(32), name: 'Other Seller' }, orderedAt: '2026-11-20T16:00:00Z' },
      declaration: null,
    });
    await assess('SPLIT-6');
    expect(codes(await explain('SPLIT-6'))).not.toContain('SPLIT_SHIPMENT');
  });

  it('orders outside the window are not added up', async () => {
    const buyer = { id: hex(32), name: 'Patient Buyer' };
    for (const [n, day] of [
      [1, '01'],
      [2, '05'],
      [3, '09'],
      [4, '13'],
    ] as const) {
      await parcel(`APART-${n}`, {
        buyer,
        order: { orderedAt: `2026-11-${day}T10:00:00Z` },
        declaration: null,
      });
      await assess(`APART-${n}`);
      expect(codes(await explain(`APART-${n}`))).not.toContain('SPLIT_SHIPMENT');
    }
  });
});

describe('referrals', () => {
  it('a participant answers a referral; customs assesses again with the answer', async () => {
    await parcel('REFER-1', { payment: { amountPaid: 40 } });
    await assess('REFER-1');
    const answer = {
      message: 'The price was reduced after payment; invoice attached.',
      documents: [{ type: 'invoice', reference: 'INV-77' }],
    };
    expect(await net.outcome(net.submit('platformA', 'customs:answerReferral', ['REFER-1'], answer))).toMatch(
      /not referred/,
    );
    await decide('customs', 'REFER-1', 'refer', ['REQUEST_INFORMATION']);
    expect(await net.outcome(net.submit('platformB', 'customs:answerReferral', ['REFER-1'], answer))).toBe(
      'consignment REFER-1 does not exist or is not visible to PlatformBMSP',
    );
    expect(
      await net.outcome(net.submit('platformA', 'customs:answerReferral', ['REFER-1'], { message: ' ' })),
    ).toMatch(/invalid referral answer/);
    const answered = await net.submit('platformA', 'customs:answerReferral', ['REFER-1'], answer);
    expect(answered).toMatchObject({ consignmentId: 'REFER-1', answeredBy: 'PlatformAMSP' });
    expect(JSON.stringify(answered)).not.toContain('invoice attached');

    await assess('REFER-1');
    const explained = await explain('REFER-1');
    expect(explained).toMatchObject({
      number: 2,
      referralAnswers: [{ txId: (answered as { txId: string }).txId, answeredBy: 'PlatformAMSP' }],
    });
    const queue = (await net.evaluate('customs', 'customs:workQueue', [
      JSON.stringify({ status: 'referred' }),
    ])) as {
      items: { consignmentId: string; referralAnswers: number }[];
    };
    expect(queue.items).toContainEqual(
      expect.objectContaining({ consignmentId: 'REFER-1', referralAnswers: 1 }),
    );
  });
});

describe('purpose limitation: what an assessment reads is on the access log', () => {
  it('each assessment leaves one access record per record it read and purpose, naming the customs user', async () => {
    const reads = (entries: AccessRecord[], txId: string) =>
      entries
        .filter((e) => e.txId === txId)
        .map((e) => `${e.recordKind}:${e.purpose}`)
        .sort();
    await parcel('READS-1', { declaration: null });
    const automatic = (await assess('READS-1', 'customsService')) as { txId: string };
    expect(reads(await ledgerAccessLog(net, 'consignment', 'READS-1'), automatic.txId)).toEqual([
      'logistics:risk_assessment',
      'order:revenue_assessment',
      'order:risk_assessment',
      'payment:risk_assessment',
    ]);
    await net.submit('platformA', 'consignment:submitDeclaration', ['READS-1'], declarationPayload());
    const officers = (await assess('READS-1')) as { txId: string };
    const log = await ledgerAccessLog(net, 'consignment', 'READS-1');
    expect(reads(log, officers.txId)).toEqual([
      'declaration:revenue_assessment',
      'declaration:risk_assessment',
      'logistics:risk_assessment',
      'order:revenue_assessment',
      'order:risk_assessment',
      'payment:risk_assessment',
    ]);
    // The reader: customs' service identity for the automatic one, the officer for the other.
    const readers = (txId: string) => new Set(log.filter((e) => e.txId === txId).map((e) => e.userId));
    expect([...readers(automatic.txId)]).toEqual([expect.stringMatching(/CN=customsService\b/)]);
    expect([...readers(officers.txId)]).toEqual([expect.stringMatching(/CN=customs\b/)]);
    expect(log.every((e) => e.mspId === 'CustomsMSP' && e.recordTxId === undefined)).toBe(true);
    // The consignment's platform sees them too; the provenance lists each, as written to the seal
    // (customs' peer alone endorses an assessment: it writes no key of its own for them).
    expect((await ledgerAccessLog(net, 'consignment', 'READS-1', 'platformA')).length).toBe(log.length);
    const history = (await net.evaluate('auditor', 'provenance:history', ['READS-1', '{}'])) as {
      entries: { type: string; txId: string; stateKey: { objectType: string }; detail: { record: string } }[];
    };
    const read = history.entries.filter((e) => e.type === 'personal_data_read' && e.txId === officers.txId);
    expect(read.map((e) => e.detail.record).sort()).toEqual(
      reads(log, officers.txId).map((r) => r.split(':')[0]),
    );
    expect(new Set(read.map((e) => e.stateKey.objectType))).toEqual(new Set(['customsseal']));
    // A decision rewrites the seal and carries the assessment's reads on: they are not listed twice.
    await decide('customs', 'READS-1', 'hold', ['VALUE_QUERY']);
    expect(await ledgerAccessLog(net, 'consignment', 'READS-1')).toHaveLength(log.length);
  });

  it('still one record per read transaction for consignment:recordAccess, listed with the assessment’s', async () => {
    await parcel('READS-2');
    const assessed = (await assess('READS-2')) as { txId: string };
    const access = (await net.submit('customs', 'consignment:recordAccess', [
      'READS-2',
      'order',
      'legal_request',
    ])) as AccessRecord;
    const log = await ledgerAccessLog(net, 'consignment', 'READS-2');
    expect(log.filter((e) => e.txId === access.txId)).toEqual([
      expect.objectContaining({ recordKind: 'order', purpose: 'legal_request' }),
    ]);
    expect(log.filter((e) => e.txId === assessed.txId)).toHaveLength(6);
    expect(log).toHaveLength(7);
  });
});

describe('referral answers are read under a stated purpose, on the access log', () => {
  const MESSAGE = 'Bought for my neighbour Jeanne Martin, 3 rue des Lilas; invoice INV-88 attached.';
  let answerTxId: string;

  beforeAll(async () => {
    await parcel('ANSWER-1');
    await assess('ANSWER-1');
    await decide('customs', 'ANSWER-1', 'refer', ['REQUEST_INFORMATION']);
    const answered = (await net.submit('platformA', 'customs:answerReferral', ['ANSWER-1'], {
      message: MESSAGE,
      documents: [{ type: 'invoice', reference: 'INV-88' }],
    })) as { txId: string };
    answerTxId = answered.txId;
    await net.enrol('customsOfficer2', 'CustomsMSP', { role: 'officer' });
  });

  it('the assessment explained says who answered and when, not what', async () => {
    const explained = await explain('ANSWER-1');
    expect(explained.referralAnswers).toEqual([
      expect.objectContaining({
        txId: answerTxId,
        answeredBy: 'PlatformAMSP',
        answeredAt: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(explained)).not.toContain('Jeanne');
    expect(JSON.stringify(explained)).not.toContain('INV-88');
  });

  it('customs has the answer only with an access record of its own, under a purpose customs has', async () => {
    const read = (user: string, accessTxId: string) =>
      net.evaluate(user, 'customs:readReferralAnswer', ['ANSWER-1', answerTxId, accessTxId]);
    const record = (user: string, purpose: string, txId = answerTxId) =>
      net.submit(user, 'customs:recordReferralAnswerRead', ['ANSWER-1', txId, purpose]);
    const assessment = (await explain('ANSWER-1')) as unknown as { txId: string };
    expect(await net.outcome(read('customs', assessment.txId))).toMatch(
      /recorded no read of the referral answer of consignment ANSWER-1 /,
    );
    expect(await net.outcome(record('customs', 'delivery'))).toMatch(/purpose 'delivery' is not allowed/);
    expect(await net.outcome(record('platformA', 'audit'))).toMatch(/readAssessment is not allowed/);
    expect(await net.outcome(record('customs', 'risk_assessment', 'f'.repeat(64)))).toMatch(/does not exist/);

    const access = (await record('customs', 'risk_assessment')) as AccessRecord;
    expect(access).toMatchObject({
      recordKind: 'referral_answer',
      recordTxId: answerTxId,
      purpose: 'risk_assessment',
      mspId: 'CustomsMSP',
    });
    expect(JSON.stringify(access)).not.toContain('Jeanne');
    // Another officer cannot ride on this officer's read.
    expect(await net.outcome(read('customsOfficer2', access.txId))).toMatch(/recorded no read/);
    expect(await read('customs', access.txId)).toMatchObject({
      txId: answerTxId,
      answer: { message: MESSAGE, documents: [{ type: 'invoice', reference: 'INV-88' }] },
      access: { txId: access.txId, purpose: 'risk_assessment' },
    });
    expect(
      (await ledgerAccessLog(net, 'consignment', 'ANSWER-1')).filter(
        (e) => e.recordKind === 'referral_answer',
      ),
    ).toEqual([
      expect.objectContaining({ recordTxId: answerTxId, purpose: 'risk_assessment', txId: access.txId }),
    ]);
  });
});

describe('the work queue', () => {
  it('lists what waits for an officer, with reasons, by lane, oldest first, in pages', async () => {
    const queue = async (filter: Record<string, unknown>) =>
      (await net.evaluate('customs', 'customs:workQueue', [JSON.stringify(filter)])) as {
        total: number;
        items: { consignmentId: string; lane: string; reasonCodes: string[]; firstAssessedAt: string }[];
      };
    const all = await queue({ limit: 200 });
    const ids = all.items.map((i) => i.consignmentId);
    expect(ids).not.toContain('GREEN-1'); // released
    expect(ids).toContain('WATCH-1');
    expect(all.items.map((i) => i.firstAssessedAt)).toEqual(
      [...all.items.map((i) => i.firstAssessedAt)].sort(),
    );
    const red = await queue({ lane: 'red', limit: 200 });
    expect(red.items.every((i) => i.lane === 'red')).toBe(true);
    expect(red.items.find((i) => i.consignmentId === 'WATCH-1')?.reasonCodes).toContain('WATCHLISTED_SELLER');
    const page = await queue({ limit: 2, offset: 1 });
    expect(page.total).toBe(all.total);
    expect(page.items.map((i) => i.consignmentId)).toEqual(ids.slice(1, 3));
    expect(await net.outcome(queue({ lane: 'purple' }))).toMatch(/invalid queue filter/);
  });

  it('shows a releasable parcel again once an officer decided on it, or a record changed, since its assessment', async () => {
    const queued = async (id: string) =>
      (
        (await net.evaluate('customs', 'customs:workQueue', [JSON.stringify({ limit: 200 })])) as {
          items: { consignmentId: string; releasable: boolean }[];
        }
      ).items.find((i) => i.consignmentId === id);
    for (const id of ['STALE-HOLD', 'STALE-RECORD']) {
      await parcel(id);
      expect(await assess(id)).toMatchObject({ releasable: true });
      // The service's to release: not in the officers' queue.
      expect(await queued(id)).toBeUndefined();
    }
    await decide('customs', 'STALE-HOLD', 'hold', ['OFFICER_HOLD']);
    expect(await queued('STALE-HOLD')).toMatchObject({ releasable: false });
    await net.submit('platformA', 'consignment:submitDeclaration', ['STALE-RECORD'], declarationPayload());
    expect(await queued('STALE-RECORD')).toMatchObject({ releasable: false });
  });
});

describe('an assessment that failed, recorded by customs', () => {
  const failure = (id: string, user = 'customsService', report: unknown = REPORT) =>
    net.submit(user, 'customs:recordAssessmentFailure', [id], undefined, {
      transientData: { failure: json(report) },
    });
  /** An error as the pipeline may meet it, quoting a value of the order. */
  const REPORT = { cause: 'refused', message: `cannot read ${PERSONAL.street} as a decimal` };
  const queued = async (id: string) =>
    (
      (await net.evaluate('customs', 'customs:workQueue', [JSON.stringify({ limit: 200 })])) as {
        items: Record<string, unknown>[];
      }
    ).items.find((i) => i.consignmentId === id);

  it('puts the consignment in the queue and keeps the service from releasing it until assessed again', async () => {
    await parcel('FAILED-1');
    expect(await assess('FAILED-1')).toMatchObject({ releasable: true });
    const recorded = (await failure('FAILED-1')) as Record<string, unknown>;
    expect(recorded).toMatchObject({
      code: 'ASSESSMENT_ERROR',
      failures: 1,
      recordedBy: expect.stringContaining('CN=customsService@'),
    });
    // Neither the record, nor the queue, nor the seal keeps what the error quoted.
    expect(JSON.stringify(recorded)).not.toContain(PERSONAL.street);
    expect(await queued('FAILED-1')).toMatchObject({
      lane: 'green',
      releasable: false,
      reasonCodes: ['ASSESSMENT_FAILED'],
      assessmentFailed: { code: 'ASSESSMENT_ERROR', failures: 1 },
    });
    expect(await explain('FAILED-1')).toMatchObject({ assessmentFailed: { code: 'ASSESSMENT_ERROR' } });
    // Its participants see that customs could not assess it since, and not why.
    const match = await net.evaluate('platformA', 'customs:getMatch', ['FAILED-1']);
    expect(match).toEqual({
      consignmentId: 'FAILED-1',
      assessment: expect.objectContaining({ number: 1, releasable: true }),
      assessmentFailed: {
        code: 'ASSESSMENT_ERROR',
        failedAt: expect.any(String),
        txId: expect.stringMatching(/^[0-9a-f]{64}$/),
        basis: expect.any(Object),
      },
    });
    expect(await net.outcome(decide('customsService', 'FAILED-1', 'release'))).toMatch(
      /its assessment failed \(ASSESSMENT_ERROR, transaction [0-9a-f]{64}\); an officer decides/,
    );
    // Endorsed by customs alone: its collection and the seal.
    const txs = await committedTransactions(net.ledger);
    const tx = txs.find((t) => t.fn === 'customs:recordAssessmentFailure' && t.valid);
    expect(tx).toBeDefined();
    // The auditor sees in the history that customs knew, and nothing of why.
    const history = (await net.evaluate('auditor', 'provenance:history', ['FAILED-1', '{}'])) as {
      entries: { type: string; detail: Record<string, unknown> }[];
    };
    expect(history.entries.filter((e) => e.type === 'assessment_failed')).toEqual([
      expect.objectContaining({ detail: { code: 'ASSESSMENT_ERROR', basis: expect.any(Object) } }),
    ]);
    // A second failure counts on; an assessment that succeeds takes the failure off.
    expect(await failure('FAILED-1')).toMatchObject({ failures: 2 });
    await assess('FAILED-1');
    expect(await queued('FAILED-1')).toBeUndefined();
    expect(await explain('FAILED-1')).toMatchObject({ assessmentFailed: null });
    expect(await net.evaluate('platformA', 'customs:getMatch', ['FAILED-1'])).toMatchObject({
      assessment: { number: 2 },
      assessmentFailed: null,
    });
    expect(await net.outcome(decide('customsService', 'FAILED-1', 'release'))).toBe('ok');
  });

  it('lists a consignment never assessed, and refuses what is not customs’, final or malformed', async () => {
    await parcel('FAILED-2');
    await failure('FAILED-2', 'customs', { cause: 'unavailable', message: 'timeout expired' });
    expect(await queued('FAILED-2')).toMatchObject({
      lane: null,
      score: null,
      assessments: 0,
      releasable: false,
      assessmentFailed: { code: 'LEDGER_UNAVAILABLE' },
    });
    for (const user of TRADERS) {
      expect(await net.outcome(failure('FAILED-2', user))).not.toBe('ok');
    }
    expect(await net.outcome(failure('FAILED-2', 'customsService', { cause: 'refused' }))).toMatch(
      /invalid assessment failure/,
    );
    await decide('customs', 'FAILED-2', 'release', ['OFFICER_RELEASE']);
    expect(await net.outcome(failure('FAILED-2'))).toMatch(/records are final, nothing to assess/);
    expect(await queued('FAILED-2')).toBeUndefined();
  });
});

// Last in the file: it removes Platform A from the organisation registry.
describe('a platform the organisation registry has dropped', () => {
  it('stays in the reconciliation and in customs’ list of remittances, with what it remitted', async () => {
    await parcel('IOSS-3', { declaration: { vatCollectionNumber: 'IM3720001234' } });
    await assess('IOSS-3');
    const remittance = { period: '2026-11', currency: 'EUR', amount: 1.25, reference: `DROP-${hex(4)}` };
    await net.submit('platformA', 'customs:recordRemittance', [], remittance);
    const filter = JSON.stringify({ platformMspId: 'PlatformAMSP', period: '2026-11' });
    const rows = () => net.evaluate('customs', 'customs:reconciliation', [filter]);
    const listed = () => net.evaluate('customs', 'customs:remittances', [filter]);
    const [before, listedBefore] = [await rows(), await listed()];
    expect((listedBefore as { remittances: unknown[] }).remittances.length).toBeGreaterThan(0);
    await net.submit('governance', 'org:removeOrganisation', ['PlatformAMSP']);
    expect(await rows()).toEqual(before);
    expect(await listed()).toEqual(listedBefore);
  });
});
