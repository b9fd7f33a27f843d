import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { DEFAULT_TARIFF_SET } from '@customs-ledger/chaincode';
import { testRuleSet } from './customs-config.js';
import { startTestGateway, type ApiResponse, type TestGateway } from './gateway.js';
import {
  cnyOrderPayload,
  createPayload,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from './payloads.js';

export interface CustomsTestGatewayOptions {
  /** Every parcel in the amber lane, so that only an officer releases one (testRuleSet). */
  readonly allAmber?: boolean;
  /** The gateway's environment, as startTestGateway takes it. */
  readonly env?: Record<string, string>;
  /** An existing data directory, kept on close (the caller removes it). */
  readonly dataDir?: string;
}

/**
 * A gateway whose customs rule set (`version`) selects nothing at random, so that the lanes a test
 * expects follow from its data.
 */
export async function startCustomsTestGateway(
  version: string,
  { allAmber, env, dataDir }: CustomsTestGatewayOptions = {},
): Promise<TestGateway> {
  const t = await startTestGateway(env, dataDir);
  await putRuleSet(t, testRuleSet(version, { allAmber }));
  return t;
}

/** Puts customs' rule set as its officer, answered 201. */
export async function putRuleSet(t: TestGateway, ruleSet: unknown): Promise<void> {
  const put = await t.as('customs-officer').post('/v1/customs/rule-set', ruleSet);
  expect(put.status, put.text).toBe(201);
}

/** Polls until the condition holds, for 30 s (customs' pipeline follows the ledger's events). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Customs' assessment of a consignment once it rests on the declaration, as its officer reads it:
 * the pipeline assesses once the order, payment and logistics are in, and again with the
 * declaration, so an assessment read before that may be the first.
 */
export function assessmentWithDeclaration<T extends object = Record<string, unknown>>(
  t: TestGateway,
  id: string,
): Promise<ApiResponse<T & { basis?: { declaration?: number } }>> {
  return eventually(
    () =>
      t.as('customs-officer').get<T & { basis?: { declaration?: number } }>(`/v1/customs/assessments/${id}`),
    (r) => r.body.basis?.declaration === 1,
  );
}

/**
 * A consignment of Platform A to France, carried by the post, its buyer (a person of its own, so
 * that no two tests share a buyer's annual limit, unless `document` names one) paying through the
 * payment provider: created with the keys its carrier and payment provider prove their part with,
 * then order, payment, logistics and `declaration` (none when null), each answered 201. `paid` other
 * than 52.8 makes the payment disagree with the order, so that the match fails and nothing is
 * released automatically.
 */
export async function parcelToFrance(
  t: TestGateway,
  id: string,
  paid = 52.8,
  document = { type: 'passport', number: `P-${id}`, country: 'FR' },
  declaration: Record<string, unknown> | null = declarationPayload(),
): Promise<void> {
  const { orderNumber, trackingNumber, paymentTransactionId } = testKeys(id);
  const base = orderPayload(orderNumber);
  const buyer = { id: randomBytes(32).toString('hex'), name: base.buyer.name, document };
  const platform = 'platforma-operator';
  const steps: [string, string, unknown][] = [
    [platform, '', createPayload(id)],
    [platform, '/order', { ...base, buyer }],
    [
      'payment-operator',
      '/payment',
      {
        ...paymentPayload(orderNumber, paymentTransactionId),
        payer: { name: buyer.name, document },
        amountPaid: paid,
      },
    ],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, trackingNumber)],
    ...(declaration === null ? [] : [[platform, '/declaration', declaration] as [string, string, unknown]]),
  ];
  for (const [user, path, body] of steps) {
    const res = await t
      .as(user)
      .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
}

/**
 * Tariffs under which customs cannot check France's annual limit for a buyer who bought in CNY
 * before: the demo tariffs, but France limits each buyer's year and knows no CNY rate to add up
 * that purchase with, so the limit is left to an officer (RATE_MISSING, RISK_INCOMPLETE).
 */
export function tariffsWithoutCnyRate(version: string): typeof DEFAULT_TARIFF_SET {
  return {
    ...DEFAULT_TARIFF_SET,
    version,
    tariffs: DEFAULT_TARIFF_SET.tariffs.map((tariff) =>
      tariff.country !== 'FR'
        ? tariff
        : {
            ...tariff,
            buyerLimits: { perYear: 10_000 },
            currencyRates: tariff.currencyRates.filter((r) => r.currency !== 'CNY'),
          },
    ),
  };
}

/**
 * A purchase of 300 CNY to China by the buyer with `document`, through Platform A, paid through
 * the payment provider and carried by the post: customs' pipeline assesses it and files it in the
 * buyer's year (China limits each buyer's year).
 */
export async function purchaseToChina(
  t: TestGateway,
  id: string,
  document: { type: string; number: string; country: string },
): Promise<void> {
  const { orderNumber, trackingNumber, paymentTransactionId } = testKeys(id);
  const value = 300;
  const order = cnyOrderPayload(orderNumber, { document }, value);
  const payment = {
    ...paymentPayload(orderNumber, paymentTransactionId),
    payer: { name: order.buyer.name, document },
    amountPaid: value,
    currency: 'CNY',
  };
  const steps: [string, string, unknown][] = [
    ['platforma-operator', '', { ...createPayload(id, 'CN'), originCountry: 'US' }],
    ['platforma-operator', '/order', order],
    ['payment-operator', '/payment', payment],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, trackingNumber)],
  ];
  for (const [user, path, body] of steps) {
    const res = await t
      .as(user)
      .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
}
