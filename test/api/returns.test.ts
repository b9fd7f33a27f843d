/**
 * Returns and refunds over HTTP: a full return with the buyer's refund and customs' duty refund;
 * partial returns that add up to no more than was ordered; each deadline on its last millisecond
 * and one millisecond later; each step refused to the roles and organisations that do not own it.
 * The clock is the process's Date, moved forward (the embedded ledger stamps proposals with it,
 * as a Fabric client does), so deadlines weeks apart are tested in seconds.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RULE_SET } from '@customs-ledger/chaincode';
import { startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

const PLATFORM = 'platforma-operator';
const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const DAY = 24 * 60 * 60 * 1000;
/** Tomorrow, whole hour: after the demo users' certificates were issued, so every step is in their validity. */
const T0 = Math.ceil((Date.now() + DAY) / 3_600_000) * 3_600_000;

let t: TestGateway;
let n = 0;

/** Moves the clock to `days` (and `ms`) after T0: the release time of every consignment here. */
const clockAt = (days: number, ms = 0) => vi.setSystemTime(T0 + days * DAY + ms);

const TWO_LINES = [
  { lineNo: 1, description: 'Cotton T-shirt, printed', hsCode: '610910', quantity: 2, unit: 'pcs', unitPrice: 20, lineValue: 40, originCountry: 'CN' },
  { lineNo: 2, description: 'Canvas tote bag', hsCode: '420222', quantity: 1, unit: 'pcs', unitPrice: 12, lineValue: 12, originCountry: 'CN' },
]; // prettier-ignore

/** A consignment released by customs at T0 and delivered; returns its id. */
async function released(destinationCountry: 'FR' | 'CN'): Promise<string> {
  const id = `RET-${RUN}-${++n}`;
  const orderNumber = `ORD-${id}`;
  clockAt(-1);
  const steps: [string, string, unknown][] = [
    [PLATFORM, '', { consignmentId: id, orderNumber, originCountry: destinationCountry === 'CN' ? 'US' : 'CN', destinationCountry }],
    [PLATFORM, '/order', orderPayload(orderNumber, { goodsValue: 52, lines: TWO_LINES })],
    ['payment-operator', '/payment', paymentPayload(orderNumber, `PAY-${id}`)],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, `RR${RUN}${n}XX`)],
    [PLATFORM, '/declaration', { ...declarationPayload(), originCountry: destinationCountry === 'CN' ? 'US' : 'CN', destinationCountry }],
  ]; // prettier-ignore
  for (const [user, path, body] of steps) {
    const res = await t.as(user).post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
  clockAt(0);
  const release = await t.as(OFFICER).post(`/v1/consignments/${id}/decision`, { decision: 'release', reasonCodes: [] });
  expect(release.status, release.text).toBe(201);
  clockAt(1);
  const delivered = await t.as('post-operator').post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: destinationCountry === 'CN' ? 'CNSHA' : 'FRLYS' });
  expect(delivered.status, delivered.text).toBe(201);
  return id;
} // prettier-ignore

const request = (id: string, lines: { lineNo: number; quantity: number }[], user = PLATFORM) =>
  t.as(user).post<{ returnId: string; status: string }>(`/v1/consignments/${id}/returns`, {
    reason: 'not_as_described',
    lines,
    authorisation: `RMA-${id}`,
  });
const step = (id: string, returnId: string, path: string, user: string, body: unknown) =>
  t.as(user).post<{ status: string }>(`/v1/consignments/${id}/returns/${returnId}/${path}`, body);
const ship = (id: string, rid: string, user = 'express-operator') =>
  step(id, rid, 'shipment', user, { trackingNumber: `EX${randomBytes(4).toString('hex').toUpperCase()}` });
const scan = (id: string, rid: string, country: string, user = 'express-operator') =>
  step(id, rid, 'scan', user, { type: 'exited', location: country === 'CN' ? 'CNSHA' : 'FRCDG', country });
const REFUND = {
  refundTransactionId: 'RF-7741-ZETA',
  amount: 52.8,
  currency: 'EUR',
  refundedAt: '2026-12-20T10:00:00Z',
};
const refund = (id: string, rid: string, user = 'payment-operator') => step(id, rid, 'refund', user, REFUND);
const DUTY_REFUND = {
  outcome: 'duty_refunded',
  dutyRefund: 0,
  vatRefund: 8.8,
  currency: 'EUR',
  reasonCodes: ['GOODS_EXITED'],
};
const decide = (id: string, rid: string, body: unknown = DUTY_REFUND, user = OFFICER) =>
  step(id, rid, 'decision', user, body);

function refused(res: ApiResponse, status: number, detail: RegExp | string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.detail).toMatch(detail);
}

beforeAll(async () => {
  t = await startTestGateway();
  const rules = await t
    .as(OFFICER)
    .post('/v1/customs/rule-set', { ...DEFAULT_RULE_SET, version: `returns-${RUN}`, randomSelectionRate: 0 });
  expect(rules.status, rules.text).toBe(201);
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => clockAt(1));
afterAll(async () => {
  vi.useRealTimers();
  await t?.close();
});

describe('a full return', () => {
  it('goes from request to shipment, exit, refund and customs’ duty refund, each step by its owner', async () => {
    const id = await released('FR');
    clockAt(10);
    const requested = await request(id, [
      { lineNo: 1, quantity: 2 },
      { lineNo: 2, quantity: 1 },
    ]);
    expect(requested.status, requested.text).toBe(201);
    const rid = requested.body.returnId;
    expect(requested.headers.get('location')).toBe(`/v1/consignments/${id}/returns/${rid}`);
    expect(requested.body).toMatchObject({
      status: 'requested',
      destinationCountry: 'FR',
      deadlines: {
        releasedAt: new Date(T0).toISOString(),
        request: new Date(T0 + 90 * DAY).toISOString(),
        decision: new Date(T0 + 90 * DAY).toISOString(),
      },
    });
    clockAt(12);
    expect((await ship(id, rid)).body.status).toBe('shipped');
    clockAt(20);
    expect((await scan(id, rid, 'FR')).body.status).toBe('returned');
    const refunded = await refund(id, rid);
    expect(refunded.status, refunded.text).toBe(201);
    expect(refunded.text).not.toContain(REFUND.refundTransactionId);
    clockAt(30);
    const decided = await decide(id, rid);
    expect(decided.status, decided.text).toBe(201);
    expect(decided.body).toMatchObject({
      status: 'closed',
      decision: { outcome: 'duty_refunded', vatRefund: 8.8, decidedBy: 'CustomsMSP' },
    });

    const list = await t
      .as('auditor')
      .get<{ returns: Record<string, unknown>[] }>(`/v1/consignments/${id}/returns`);
    expect(list.status).toBe(200);
    expect(list.body.returns).toEqual([
      expect.objectContaining({
        returnId: rid,
        status: 'closed',
        shipment: expect.objectContaining({ carrierMspId: 'ExpressMSP' }),
        proof: expect.objectContaining({ type: 'exited', country: 'FR', scannedBy: 'ExpressMSP' }),
        refund: expect.objectContaining({
          refundedBy: 'PaymentMSP',
          root: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      }),
    ]);
    expect(list.text).not.toContain(REFUND.refundTransactionId);

    const history = await t
      .as(OFFICER)
      .get<{ entries: { type: string; by: { mspId: string } }[] }>(`/v1/consignments/${id}/history`);
    expect(
      history.body.entries.filter((e) => e.type.startsWith('return_')).map((e) => `${e.type} ${e.by.mspId}`),
    ).toEqual([
      'return_requested PlatformAMSP',
      'return_shipped ExpressMSP',
      'return_scanned ExpressMSP',
      'return_refunded PaymentMSP',
      'return_decided CustomsMSP',
    ]);
  });
});

describe('partial returns', () => {
  it('add up to what was ordered and no more; a quota destination restores the buyer’s quota', async () => {
    const id = await released('CN');
    clockAt(5);
    const first = await request(id, [{ lineNo: 1, quantity: 1 }]);
    expect(first.status, first.text).toBe(201);
    const second = await request(id, [
      { lineNo: 1, quantity: 1 },
      { lineNo: 2, quantity: 1 },
    ]);
    expect(second.status, second.text).toBe(201);
    refused(
      await request(id, [{ lineNo: 1, quantity: 1 }]),
      422,
      'order line 1: 1 cannot be returned; 2 ordered, 2 already returned, 0 left',
    );
    refused(await request(id, [{ lineNo: 3, quantity: 1 }]), 422, 'the order has no line 3');

    const rid = first.body.returnId;
    await ship(id, rid);
    await scan(id, rid, 'CN');
    const decided = await decide(id, rid, {
      ...DUTY_REFUND,
      currency: 'CNY',
      vatRefund: 2.3,
      quotaRestored: 139,
    });
    expect(decided.status, decided.text).toBe(201);
    expect(decided.body).toMatchObject({ status: 'returned', decision: { quotaRestored: 139 } });
    const returns = await t
      .as(PLATFORM)
      .get<{ returns: { returnId: string }[] }>(`/v1/consignments/${id}/returns`);
    expect(returns.body.returns.map((r) => r.returnId)).toEqual([first.body.returnId, second.body.returnId]);
  });

  it('restores no quota where the destination keeps none', async () => {
    const id = await released('FR');
    const rid = (await request(id, [{ lineNo: 2, quantity: 1 }])).body.returnId;
    await ship(id, rid);
    await scan(id, rid, 'FR');
    refused(
      await decide(id, rid, { ...DUTY_REFUND, quotaRestored: 12 }),
      422,
      'FR keeps no annual buyer quota',
    );
  });
});

describe('deadlines, on their last millisecond and one after', () => {
  it('request: China 30 days from release', async () => {
    const inTime = await released('CN');
    const late = await released('CN');
    clockAt(30);
    expect((await request(inTime, [{ lineNo: 1, quantity: 1 }])).status).toBe(201);
    clockAt(30, 1);
    refused(
      await request(late, [{ lineNo: 1, quantity: 1 }]),
      422,
      `return request deadline for CN passed on ${new Date(T0 + 30 * DAY).toISOString()} (30 days after release on ${new Date(T0).toISOString()})`,
    );
    expect(
      (await t.as(PLATFORM).get<{ returns: unknown[] }>(`/v1/consignments/${late}/returns`)).body.returns,
    ).toEqual([]);
  });

  it('arrival: China 45 days from release, for the proof the goods left', async () => {
    const ids = [await released('CN'), await released('CN')];
    const rids: string[] = [];
    for (const id of ids) {
      clockAt(10);
      const rid = (await request(id, [{ lineNo: 1, quantity: 2 }])).body.returnId;
      await ship(id, rid);
      rids.push(rid);
    }
    clockAt(45);
    expect((await scan(ids[0]!, rids[0]!, 'CN')).status).toBe(201);
    clockAt(45, 1);
    refused(await scan(ids[1]!, rids[1]!, 'CN'), 422, /^return arrival deadline for CN passed on /);
  });

  it('decision: the EU’s 90 days to invalidate a declaration; a refusal may come later', async () => {
    const ids = [await released('FR'), await released('FR')];
    const rids: string[] = [];
    for (const id of ids) {
      clockAt(10);
      const rid = (await request(id, [{ lineNo: 1, quantity: 1 }])).body.returnId;
      await ship(id, rid);
      await scan(id, rid, 'FR');
      rids.push(rid);
    }
    const invalidate = { ...DUTY_REFUND, outcome: 'declaration_invalidated' };
    clockAt(90);
    expect((await decide(ids[0]!, rids[0]!, invalidate)).status).toBe(201);
    clockAt(90, 1);
    refused(
      await decide(ids[1]!, rids[1]!, invalidate),
      422,
      /^duty refund and invalidation deadline for FR passed on /,
    );
    const refusal = {
      outcome: 'refused',
      dutyRefund: 0,
      vatRefund: 0,
      currency: 'EUR',
      reasonCodes: ['LATE'],
    };
    expect((await decide(ids[1]!, rids[1]!, refusal)).status).toBe(201);
  });
});

describe('each step only by the role and organisation that own it', () => {
  it('refuses every step to the others, and steps out of order', async () => {
    const id = await released('FR');
    clockAt(3);
    refused(await request(id, [{ lineNo: 1, quantity: 1 }], 'post-operator'), 403, /role/);
    refused(
      await request(id, [{ lineNo: 1, quantity: 1 }], 'platformb-operator'),
      403,
      /^only the platform of consignment /,
    );
    const rid = (await request(id, [{ lineNo: 1, quantity: 1 }])).body.returnId;

    refused(await scan(id, rid, 'FR'), 409, `cannot apply 'scan' to return ${rid} in status 'requested'`);
    refused(await ship(id, rid, PLATFORM), 403, /role/);
    refused(await ship(id, rid, OFFICER), 403, /role/);
    expect((await ship(id, rid)).status).toBe(201);

    refused(await scan(id, rid, 'FR', 'payment-operator'), 403, /role/);
    refused(
      await scan(id, rid, 'FR', 'post-operator'),
      403,
      `only the carrier of return ${rid} (ExpressMSP) may scan it`,
    );
    refused(await scan(id, rid, 'CN'), 422, "a scan of type 'exited' must be in FR");
    refused(await decide(id, rid), 409, `cannot apply 'decide' to return ${rid} in status 'shipped'`);
    expect((await scan(id, rid, 'FR')).status).toBe(201);

    refused(await refund(id, rid, 'express-operator'), 403, /role/);
    refused(await refund(id, rid, PLATFORM), 403, /^only the payment provider of consignment /);
    refused(await decide(id, rid, DUTY_REFUND, PLATFORM), 403, /role/);
    refused(await decide(id, rid, DUTY_REFUND, 'auditor'), 403, /role/);
    expect((await refund(id, rid)).status).toBe(201);
    refused(await refund(id, rid), 409, `return ${rid} was already refunded`);
    expect((await decide(id, rid)).body.status).toBe('closed');

    const outsider = await t.as('platformb-operator').get(`/v1/consignments/${id}/returns`);
    expect(outsider.status).toBe(404);
  });

  it('a consignment not yet released cannot be returned', async () => {
    const id = `RET-${RUN}-open`;
    const created = await t.as(PLATFORM).post('/v1/consignments', {
      consignmentId: id,
      orderNumber: `ORD-${id}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status).toBe(201);
    refused(
      await request(id, [{ lineNo: 1, quantity: 1 }]),
      422,
      `consignment ${id} in status 'created' cannot be returned; it must be released or delivered`,
    );
  });
});
