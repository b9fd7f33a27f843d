/**
 * China's per-buyer limits over HTTP (DOMAIN.md: 5,000 CNY a purchase, 26,000 CNY a calendar
 * year), as the demo tariff sets them: a buyer's purchases on every platform count together; a
 * purchase over a limit fails the match, is not counted and is not released automatically; a
 * parcel returned to the sender stops counting; a return gives back what customs' decision restores;
 * a limit that a missing rate keeps from being checked goes to an officer, uncounted. Orders are in
 * CNY (to France in EUR) with no freight or insurance, so a purchase's customs value is its goods
 * value.
 * On both backends, as the flow suite: the embedded ledger in `npm test`, a real network in
 * `npm run test:fabric`, whose default cast has one platform, which takes the payments itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioBackend, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testRuleSet } from '../support/customs-config.js';
import { putRuleSet, tariffsWithoutCnyRate } from '../support/parcel.js';
import {
  cnyOrderPayload,
  declarationPayload,
  logisticsPayload,
  paymentPayload,
} from '../support/payloads.js';

const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();

let t: TestGateway;
let n = 0;
let platforms: readonly string[];
let payer: string;
/** The rule set in force before this suite, put back after it (a real network keeps its ledger). */
let rulesBefore: unknown;

interface Assessment {
  match: { result: string; reasons: string[] };
  buyerLimits: {
    currency: string;
    purchase: number;
    usedBefore?: number;
    reasons: string[];
    notChecked?: string;
  } | null;
  risk: { reasons: { code: string; detail: string }[] };
  releasable: boolean;
  blockers: string[];
  buyerQuota?: unknown;
}

/** A buyer: one identity document, a different platform account on each platform. */
const buyer = (tag: string) => ({ type: 'national_id', number: `3101151980${RUN}${tag}`, country: 'CN' });

/** An order of one line worth `value` CNY by the buyer with `document`. */
function orderOf(orderNumber: string, document: ReturnType<typeof buyer>, value: number) {
  // The platform's pseudonymous party id of the buyer (a different one on each platform in reality).
  const id = createHash('sha256').update(document.number).digest('hex');
  return cnyOrderPayload(orderNumber, { id, name: '李伟', document }, value);
}

/**
 * One purchase of `value` to China in CNY (or to France in EUR), by the buyer with `document`,
 * through `platform`; then assessed.
 */
async function purchase(
  document: ReturnType<typeof buyer>,
  value: number,
  { platform = 'platforma-operator', to = 'CN' }: { platform?: string; to?: 'CN' | 'FR' } = {},
): Promise<{ id: string; assessment: Assessment }> {
  const id = `BL-${RUN}-${++n}`;
  const orderNumber = `ORD-${id}`;
  const currency = to === 'CN' ? 'CNY' : 'EUR';
  const order = { ...orderOf(orderNumber, document, value), currency };
  const payment = {
    ...paymentPayload(orderNumber, `PAY-${id}`),
    payer: { name: '李伟', document },
    amountPaid: value,
    currency,
  };
  const steps: [string, string, unknown][] = [
    [platform, '', { consignmentId: id, orderNumber, trackingNumber: `RR${RUN}${n}CN`, paymentTransactionId: `PAY-${id}`, originCountry: 'US', destinationCountry: to }],
    [platform, '/order', order],
    [payer === 'payment-operator' ? payer : platform, '/payment', payment],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, `RR${RUN}${n}CN`)],
  ]; // prettier-ignore
  for (const [user, path, body] of steps) {
    const res = await t
      .as(user)
      .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
  return { id, assessment: await assess(id) };
}

async function assess(id: string): Promise<Assessment> {
  const res = await t
    .as(OFFICER)
    .post<{ assessment: Assessment }>(`/v1/consignments/${id}/assessment`, undefined);
  expect(res.status, res.text).toBe(201);
  return res.body.assessment;
}

const decide = async (id: string, decision: string) => {
  const res = await t.as(OFFICER).post(`/v1/consignments/${id}/decision`, { decision, reasonCodes: [] });
  expect(res.status, res.text).toBe(201);
};

beforeAll(async () => {
  t = await startTestGateway(scenarioBackend());
  platforms = ['platforma-operator', 'platformb-operator'].filter((user) => t.has(user));
  payer = t.has('payment-operator') ? 'payment-operator' : 'platforma-operator';
  rulesBefore = (await t.as(OFFICER).get<{ ruleSet: { value: unknown } | null }>('/v1/customs/rule-set')).body
    .ruleSet?.value;
  // Every parcel in the amber lane, so that no parcel is released but by the officer here.
  await putRuleSet(t, testRuleSet(`limits-${RUN}`, { allAmber: true }));
});
afterAll(async () => {
  if (rulesBefore !== undefined) await putRuleSet(t, rulesBefore);
  await t?.close();
});

describe('per-buyer limits', () => {
  it('counts a buyer’s purchases on every platform together against 26,000 CNY a year', async () => {
    const document = buyer('A');
    const first: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { id, assessment } = await purchase(document, 5000, { platform: platforms[i % platforms.length] });
      expect(assessment.buyerLimits).toMatchObject({ currency: 'CNY', purchase: 5000, usedBefore: 5000 * i, reasons: [] });
      expect(assessment.match).toMatchObject({ result: 'pass', reasons: [] });
      first.push(id);
    } // prettier-ignore

    const over = await purchase(document, 1000.01, { platform: platforms.at(-1) });
    expect(over.assessment.match).toMatchObject({ result: 'fail', reasons: ['BUYER_ANNUAL_LIMIT'] });
    expect(over.assessment.buyerLimits).toMatchObject({
      usedBefore: 25_000,
      reasons: ['BUYER_ANNUAL_LIMIT'],
    });
    // The platform sees why (a code, no amounts); customs' service identity may not release it.
    const seen = await t
      .as(platforms.at(-1)!)
      .get<{ assessment: { match: { reasons: string[] }; releasable: boolean } }>(
        `/v1/consignments/${over.id}/match`,
      );
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.assessment).toMatchObject({
      match: { reasons: ['BUYER_ANNUAL_LIMIT'] },
      releasable: false,
    });
    expect(seen.text).not.toContain('25000');

    // The purchase over the limit was not counted: 1,000 CNY still fit, to the cent.
    const fits = await purchase(document, 1000);
    expect(fits.assessment.buyerLimits).toMatchObject({ usedBefore: 25_000, reasons: [] });

    // A parcel returned to the sender was never imported: it stops counting.
    await decide(first[0]!, 'return_to_sender');
    const again = await assess(over.id);
    expect(again.match).toMatchObject({ result: 'pass', reasons: [] });
    expect(again.buyerLimits).toMatchObject({ usedBefore: 21_000, reasons: [] });
  });

  it('fails a purchase above 5,000 CNY whatever the buyer bought before, and does not count it', async () => {
    const document = buyer('B');
    const dear = await purchase(document, 5000.01);
    expect(dear.assessment.match).toMatchObject({ result: 'fail', reasons: ['BUYER_PURCHASE_LIMIT'] });
    const next = await purchase(document, 10);
    expect(next.assessment.buyerLimits).toMatchObject({ usedBefore: 0, reasons: [] });

    // A counted purchase whose order is corrected above the limit leaves the buyer's year.
    const corrected = await t
      .as('platforma-operator')
      .post(`/v1/consignments/${next.id}/order`, orderOf(`ORD-${next.id}`, document, 5000.01));
    expect(corrected.status, corrected.text).toBe(201);
    expect((await assess(next.id)).match.reasons).toContain('BUYER_PURCHASE_LIMIT');
    const after = await purchase(document, 20);
    expect(after.assessment.buyerLimits).toMatchObject({ usedBefore: 0, reasons: [] });
  });

  it('gives back to the buyer’s year what customs restores on a return', async () => {
    const document = buyer('C');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await purchase(document, 5000)).id);
    const over = await purchase(document, 1000.01);
    expect(over.assessment.match.reasons).toEqual(['BUYER_ANNUAL_LIMIT']);
    // Sent back, so that customs' pipeline assessing it again once quota is restored (it would then
    // fit, and count) cannot change the figures below.
    await decide(over.id, 'return_to_sender');

    const id = ids[0]!;
    // Customs releases under a declaration: the order's, line for line.
    const declaration = {
      ...declarationPayload(),
      originCountry: 'US',
      destinationCountry: 'CN',
      lines: [{ hsCode: '610910', description: 'Cotton T-shirts', value: 5000, currency: 'CNY' }],
    };
    const declared = await t.as('platforma-operator').post(`/v1/consignments/${id}/declaration`, declaration);
    expect(declared.status, declared.text).toBe(201);
    await decide(id, 'release');
    const delivered = await t.as('post-operator').post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: 'CNSHA' });
    expect(delivered.status, delivered.text).toBe(201);
    const requested = await t.as('platforma-operator').post<{ returnId: string }>(`/v1/consignments/${id}/returns`, {
      reason: 'not_as_described',
      lines: [{ lineNo: 1, quantity: 1 }],
      authorisation: `RMA-${id}`,
    });
    expect(requested.status, requested.text).toBe(201);
    const step = async (path: string, user: string, body: unknown) => {
      const res = await t.as(user).post(`/v1/consignments/${id}/returns/${requested.body.returnId}/${path}`, body);
      expect(res.status, res.text).toBe(201);
    };
    await step('shipment', 'post-operator', { trackingNumber: `RT${RUN}${n}CN` });
    await step('scan', 'post-operator', { type: 'exited', location: 'CNSHA', country: 'CN' });
    await step('decision', OFFICER, { outcome: 'duty_refunded', dutyRefund: 0, vatRefund: 0, currency: 'CNY', quotaRestored: 3000, reasonCodes: ['GOODS_EXITED'] });

    const after = await purchase(document, 3000);
    expect(after.assessment.buyerLimits).toMatchObject({ usedBefore: 22_000, reasons: [] });
    expect((await purchase(document, 1000.01)).assessment.match.reasons).toEqual(['BUYER_ANNUAL_LIMIT']);
  }); // prettier-ignore

  it('leaves to an officer, uncounted, an annual limit that a missing rate keeps from being checked', async () => {
    const document = buyer('D');
    const china = await purchase(document, 300);
    expect(china.assessment.buyerQuota).toBeDefined();
    const tariffsBefore = (
      await t.as(OFFICER).get<{ tariffs: { value: unknown } | null }>('/v1/customs/tariffs')
    ).body.tariffs?.value;
    // France limits each buyer's year, but cannot add up the buyer's purchase filed in CNY.
    const gap = await t.as(OFFICER).post('/v1/customs/tariffs', tariffsWithoutCnyRate(`limits-${RUN}`));
    expect(gap.status, gap.text).toBe(201);
    try {
      const { assessment } = await purchase(document, 40, { to: 'FR' });
      const missing = /^buyer's annual limit not checked: no CNY rate against EUR valid on \d{4}-\d{2}-\d{2}$/;
      expect(assessment.buyerLimits).toMatchObject({ currency: 'EUR', reasons: [], notChecked: expect.stringMatching(missing) });
      expect(assessment.buyerLimits).not.toHaveProperty('usedBefore');
      expect(assessment.match).toMatchObject({ result: 'pass', reasons: [] });
      const rateMissing = assessment.risk.reasons.find((r) => r.code === 'RATE_MISSING');
      expect(rateMissing?.detail.split('; ')).toContain(assessment.buyerLimits!.notChecked);
      expect(assessment.blockers).toContain('RISK_INCOMPLETE');
      expect(assessment.releasable).toBe(false);
      // Not filed in the buyer's year as if within the limits.
      expect(assessment).not.toHaveProperty('buyerQuota');
    } finally {
      const restored = await t.as(OFFICER).post('/v1/customs/tariffs', tariffsBefore);
      expect(restored.status, restored.text).toBe(201);
    }
  }); // prettier-ignore
});
