/**
 * The consignment flow over HTTP, on both backends: the embedded ledger in `npm test`, and a real
 * Fabric network in `npm run test:fabric` (LEDGER=fabric). The cast is whoever the network has: the
 * default Fabric network has no payment provider, express carrier or second platform, so the
 * platform takes the payment and the post carries. On the embedded ledger this suite runs it on its
 * own worker thread (LEDGER_THREAD=worker); the other HTTP suites run it on the gateway's thread.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/access-log.js';
import { scenarioBackend, startTestGateway, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

let t: TestGateway;
/** A real network keeps its ledger between runs: ids and numbers are made unique per run. */
const RUN = randomBytes(3).toString('hex').toUpperCase();
const PLATFORM = 'platforma-operator';
const POST = 'post-operator';
const CUSTOMS = 'customs-officer';
let payer: string;
let carrier: string;
let outsider: string;

beforeAll(async () => {
  t = await startTestGateway({ LEDGER_THREAD: 'worker', ...scenarioBackend() });
  payer = t.has('payment-operator') ? 'payment-operator' : PLATFORM;
  carrier = t.has('express-operator') ? 'express-operator' : POST;
  outsider = t.has('platformb-operator') ? 'platformb-operator' : POST;
});
afterAll(async () => {
  await t?.close();
});

async function createConsignment(id: string, by = PLATFORM, extra: Record<string, unknown> = {}) {
  const res = await t.as(by).post('/v1/consignments', {
    consignmentId: id,
    orderNumber: `ORD-${id}`,
    trackingNumber: `RR${id.replace(/\W/g, '')}CN`,
    paymentTransactionId: `PAY-${id}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
    ...extra,
  });
  expect(res.status, res.text).toBe(201);
  return res;
}

describe('the whole flow over HTTP', () => {
  it('creates a consignment, takes order, payment, logistics, declaration, movements and a decision', async () => {
    const id = `FLOW-1-${RUN}`;
    const created = await createConsignment(id);
    expect(created.headers.get('location')).toBe(`/v1/consignments/${id}`);
    expect(created.headers.get('x-transaction-id')).toMatch(/^[0-9a-f]{64}$/);

    const order = await t.as(PLATFORM).post(`/v1/consignments/${id}/order`, orderPayload(`ORD-${id}`));
    expect(order.status, order.text).toBe(201);
    expect(order.body).toMatchObject({ kind: 'order', consignmentId: id, version: 1 });
    expect(order.text).not.toContain('Zebulon');

    const payment = await t
      .as(payer)
      .post(`/v1/consignments/${id}/payment`, paymentPayload(`ORD-${id}`, `PAY-${id}`));
    expect(payment.status, payment.text).toBe(201);
    const logistics = await t
      .as(POST)
      .post(
        `/v1/consignments/${id}/logistics`,
        logisticsPayload(`ORD-${id}`, `RR${id.replace(/\W/g, '')}CN`),
      );
    expect(logistics.status, logistics.text).toBe(201);
    const declaration = await t.as(PLATFORM).post(`/v1/consignments/${id}/declaration`, declarationPayload());
    expect(declaration.status, declaration.text).toBe(201);

    for (const type of ['dispatched', 'arrived']) {
      const moved = await t.as(POST).post(`/v1/consignments/${id}/movements`, { type, location: 'FRCDG' });
      expect(moved.status, moved.text).toBe(201);
    }
    const decision = await t.as(CUSTOMS).post(`/v1/consignments/${id}/decision`, {
      decision: 'release',
      reasonCodes: ['LOW_RISK'],
    });
    expect(decision.status, decision.text).toBe(201);
    const delivered = await t
      .as(POST)
      .post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: 'FRLYS' });
    expect(delivered.status, delivered.text).toBe(201);

    const view = await t.as(PLATFORM).get(`/v1/consignments/${id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ consignment: { status: 'delivered' } });
    expect(view.text).not.toContain('LOW_RISK'); // reason codes are customs-only
    const customsView = await t.as(CUSTOMS).get(`/v1/consignments/${id}`);
    expect(customsView.text).toContain('LOW_RISK');
    const auditorView = await t.as('auditor').get(`/v1/consignments/${id}`);
    expect(auditorView.status).toBe(200);
    expect(auditorView.text).not.toContain(`ORD-${id}`);

    const history = await t.as(CUSTOMS).get<{
      entries: { type: string; at: string; txId: string; block: number | null; by: { role: string } }[];
    }>(`/v1/consignments/${id}/history`);
    expect(history.status).toBe(200);
    // Every entry is placed in its block (qscc on Fabric) and names the writer's registered role,
    // oldest first by transaction time.
    const blocks = history.body.entries.map((e) => e.block);
    expect(blocks.every((b) => typeof b === 'number')).toBe(true);
    const positions = history.body.entries.map((e) => `${e.at} ${e.txId}`);
    expect([...positions].sort()).toEqual(positions);
    expect(history.body.entries[0]).toMatchObject({ type: 'created', by: { role: 'platform' } });
    expect(history.body.entries.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'created',
        'order_submitted',
        'payment_submitted',
        'logistics_submitted',
        'movement_delivered',
        'decision_release',
      ]),
    );
  });

  it('an illegal transition is refused with what is allowed, and changes nothing', async () => {
    const id = `FLOW-2-${RUN}`;
    await createConsignment(id, carrier, { orderNumber: undefined, trackingNumber: `EX${RUN}` });
    const res = await t
      .as(carrier)
      .post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: 'FRCDG' });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toMatch(/cannot apply 'delivered'.*allowed: /);
    const view = await t.as(carrier).get(`/v1/consignments/${id}`);
    expect(view.body).toMatchObject({ consignment: { status: 'created' } });
  });
});

describe('personal data: purpose-bound, recorded, filtered', () => {
  const id = `PD-1-${RUN}`;
  beforeAll(async () => {
    await createConsignment(id);
    const order = await t.as(PLATFORM).post(`/v1/consignments/${id}/order`, orderPayload(`ORD-${id}`));
    expect(order.status, order.text).toBe(201);
  });

  it('customs reads the order for risk assessment; the access is on the ledger before the data is returned', async () => {
    const res = await t
      .as(CUSTOMS)
      .get<{ payload: { buyer: { name: string } }; accessTxId: string }>(
        `/v1/consignments/${id}/details?record=order&purpose=risk_assessment`,
      );
    expect(res.status, res.text).toBe(200);
    expect(res.body.payload.buyer.name).toBe('Zebulon Quixotewright');
    const history = await t
      .as(CUSTOMS)
      .get<{ entries: { type: string; txId: string; detail: { purpose?: string } }[] }>(
        `/v1/consignments/${id}/history`,
      );
    const access = history.body.entries.find((e) => e.type === 'personal_data_read');
    expect(access).toMatchObject({ txId: res.body.accessTxId, detail: { purpose: 'risk_assessment' } });
  });

  it('revenue assessment does not get the buyer identity document', async () => {
    const res = await t
      .as(CUSTOMS)
      .get<{ payload: { buyer: Record<string, unknown> } }>(
        `/v1/consignments/${id}/details?record=order&purpose=revenue_assessment`,
      );
    expect(res.status).toBe(200);
    expect(res.body.payload.buyer.document).toBeUndefined();
  });

  it('a purpose not allowed for the role, or no purpose, is refused', async () => {
    const wrongRole = await t
      .as(PLATFORM)
      .get(`/v1/consignments/${id}/details?record=order&purpose=risk_assessment`);
    expect(wrongRole.status).toBe(403);
    const none = await t.as(CUSTOMS).get(`/v1/consignments/${id}/details?record=order`);
    expect(none.status).toBe(400);
    expect(none.body.detail).toMatch(/purpose/);
  });

  it('an organisation with no part in the consignment cannot see it or its details', async () => {
    const view = await t.as(outsider).get(`/v1/consignments/${id}`);
    expect(view.status).toBe(404);
    const details = await t
      .as(outsider)
      .get(`/v1/consignments/${id}/details?record=order&purpose=dispute_resolution`);
    expect([403, 404]).toContain(details.status);
    expect(details.text).not.toContain('Zebulon');
  });

  it('a read and a disclosure are each on the access log once; a refused one leaves nothing there', async () => {
    const details = (user: string, record: string, purpose: string) =>
      t.as(user).get(`/v1/consignments/${id}/details?record=${record}&purpose=${purpose}`);
    const disclose = (fields: string[], purpose = 'return_processing') =>
      t
        .as(PLATFORM)
        .post<{ accessTxId: string; disclosure: { fields: { path: string }[] } }>(
          `/v1/consignments/${id}/disclosures`,
          { record: 'order', fields, purpose },
        );
    const before = await accessLog(t, 'consignment', id);
    const refusals: [() => Promise<{ status: number; text: string }>, number, RegExp][] = [
      // An auditor holds no copy of any record: it audits disclosures.
      [() => details('auditor', 'order', 'audit'), 403, /AuditorMSP is not a member of collection/],
      [() => details(outsider, 'order', 'audit'), 404, /does not exist or is not visible/],
      [() => details(CUSTOMS, 'declaration', 'clearance'), 404, /has no declaration record/],
      [() => disclose(['/lines/3/hsCode']), 400, /no field at path '\/lines\/3\/hsCode'/],
      [() => disclose(['/goodsValue', '/buyer/email']), 400, /no field at path '\/buyer\/email'/],
      // What the purpose's details read would remove, the chaincode will not disclose either.
      [
        () => disclose(['/goodsValue', '/consignee/name'], 'dispute_resolution'),
        403,
        /path '\/consignee\/name' may not be disclosed for purpose 'dispute_resolution'/,
      ],
      [
        () => disclose(['/buyer'], 'return_processing'),
        403,
        /path '\/buyer' may not be disclosed for purpose 'return_processing' \(data minimisation\): it holds \/buyer\/document/,
      ],
    ];
    for (const [call, status, detail] of refusals) {
      const res = await call();
      expect(res.status, res.text).toBe(status);
      expect(res.text).toMatch(detail);
      expect(res.text).not.toContain('Zebulon');
    }
    expect(await accessLog(t, 'consignment', id)).toEqual(before);

    const read = await details(PLATFORM, 'order', 'return_processing');
    expect(read.status, read.text).toBe(200);
    const made = await disclose(['/goodsValue', '/consignee/address']);
    expect(made.status, made.text).toBe(201);
    const revealed = made.body.disclosure.fields.map((f) => f.path);
    expect(revealed).toEqual(expect.arrayContaining(['/goodsValue', '/consignee/address/city']));
    const added = (await accessLog(t, 'consignment', id)).filter(
      (e) => !before.some((b) => b.txId === e.txId),
    );
    const reader = { recordKind: 'order', purpose: 'return_processing', mspId: 'PlatformAMSP' };
    expect(added).toHaveLength(2);
    expect(added[0]).toMatchObject({ ...reader, txId: (read.body as { accessTxId: string }).accessTxId });
    expect(added[1]).toMatchObject({ ...reader, txId: made.body.accessTxId, fields: revealed });
    expect(added[0]).not.toHaveProperty('fields');
  });

  it('a disclosure of two fields verifies against the ledger and a changed value does not', async () => {
    const made = await t
      .as(PLATFORM)
      .post<{ disclosure: { fields: { path: string; value: unknown }[] } }>(
        `/v1/consignments/${id}/disclosures`,
        { record: 'order', fields: ['/lines/0/hsCode', '/goodsValue'], purpose: 'dispute_resolution' },
      );
    expect(made.status, made.text).toBe(201);
    expect(made.text).not.toContain('Zebulon');
    const disclosure = made.body.disclosure;
    const ok = await t.as('auditor').post('/v1/verify', { consignmentId: id, record: 'order', disclosure });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ verified: true });
    const tampered = structuredClone(disclosure);
    tampered.fields[1]!.value = 4;
    const bad = await t
      .as('auditor')
      .post('/v1/verify', { consignmentId: id, record: 'order', disclosure: tampered });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ verified: false });
  });
});
