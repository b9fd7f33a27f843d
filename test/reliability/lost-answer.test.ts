/**
 * Writes whose answers were lost: each committed, but the gateway never kept its answer (it
 * crashed first, or the ledger could not confirm the outcome and the client was told to retry).
 * The client's retry under the same Idempotency-Key then runs again. It proposes the same
 * transaction ids as the first run (derived from the key), the ledger refuses to commit them
 * twice, and the gateway answers from the transactions already committed: the same answer as the
 * first time, and nothing written twice — a create, a record, a return whose id the gateway chose,
 * a referral (which, unlike a status change, may be repeated for real). Here the answers are lost
 * for real: the gateway is stopped and its kept answers removed from its store before the retries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_SUBLEVEL } from '../../gateway/src/http/idempotency.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { startCustomsTestGateway } from '../support/parcel.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';
import { releasedAndDelivered } from '../security/support.js';

const RUN = randomBytes(3).toString('hex').toUpperCase();
let dataDir = '';
let running: TestGateway | undefined;

/** Forgets every answer the stopped gateway kept for Idempotency-Key replays. */
async function loseAnswers(dir: string): Promise<void> {
  const store = await openGatewayStore(gatewayStorePath(dir));
  try {
    await store.sublevel(IDEMPOTENCY_SUBLEVEL).clear();
  } finally {
    await store.close();
  }
}

interface Write {
  readonly name: string;
  readonly user: string;
  readonly path: string;
  readonly body: unknown;
  readonly key: string;
}

const DELIVERED = `LOST-${RUN}-D`;
const REFERRED = `LOST-${RUN}-R`;
const writes: Write[] = [
  {
    name: 'a consignment the client names',
    user: 'platforma-operator',
    path: '/v1/consignments',
    body: { consignmentId: REFERRED, orderNumber: `ORD-${REFERRED}`, originCountry: 'CN', destinationCountry: 'FR' },
  },
  {
    name: 'an order record (a second submission would be a new version)',
    user: 'platforma-operator',
    path: `/v1/consignments/${REFERRED}/order`,
    body: orderPayload(`ORD-${REFERRED}`),
  },
  {
    name: 'a referral (a second would be recorded: a trader’s answer may prompt another)',
    user: 'customs-officer',
    path: `/v1/consignments/${REFERRED}/decision`,
    body: { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] },
  },
  {
    name: 'a return whose id the gateway chooses (one unit of two: a second would still fit)',
    user: 'platforma-operator',
    path: `/v1/consignments/${DELIVERED}/returns`,
    body: { reason: 'defective', lines: [{ lineNo: 1, quantity: 1 }], authorisation: `RMA-${DELIVERED}` },
  },
].map((w, i) => ({ ...w, key: `lost-${RUN}-${i}` })); // prettier-ignore

const firsts: ApiResponse<unknown>[] = [];
const retries: ApiResponse<unknown>[] = [];

const post = (t: TestGateway, w: Write) => t.as(w.user).post(w.path, w.body, { 'Idempotency-Key': w.key });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lost-answer-'));
  running = await startTestGateway({}, dataDir);
  await releasedAndDelivered(running, DELIVERED);
  for (const w of writes) firsts.push(await post(running, w));
  await running.close();
  running = undefined;
  await loseAnswers(dataDir);
  running = await startTestGateway({}, dataDir);
  for (const w of writes) retries.push(await post(running, w));
});

afterAll(async () => {
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a write retried under the same Idempotency-Key after its answer was lost', () => {
  it.each(writes.map((w, i) => [w.name, i] as const))(
    '%s: is answered as the first time, from the transaction already committed',
    (_name, i) => {
      const [first, retry] = [firsts[i]!, retries[i]!];
      expect(first.status, first.text).toBe(201);
      // Not a replay of a kept answer (there is none left): the ledger's own record of the write.
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect({ status: retry.status, body: retry.body }, retry.text).toEqual({
        status: 201,
        body: first.body,
      });
      expect(retry.headers.get('x-transaction-id')).toBe(first.headers.get('x-transaction-id'));
    },
  );

  it('wrote each of them once', async () => {
    const t = running!;
    const history = await t
      .as('customs-officer')
      .get<{ entries: { type: string }[] }>(`/v1/consignments/${REFERRED}/history`);
    const types = history.body.entries.map((e) => e.type);
    expect(types.filter((type) => type === 'created')).toHaveLength(1);
    expect(types.filter((type) => type === 'order_submitted')).toHaveLength(1);
    expect(types.filter((type) => type === 'decision_refer')).toHaveLength(1);
    const returns = await t
      .as('platforma-operator')
      .get<{ returns: { returnId: string }[] }>(`/v1/consignments/${DELIVERED}/returns`);
    expect(returns.body.returns.map((r) => r.returnId)).toEqual([
      (firsts[3]!.body as { returnId: string }).returnId,
    ]);
  });

  it('is a new write when its body differs: the key names the request, not just the write', async () => {
    const w = writes[2]!;
    const other = await running!
      .as(w.user)
      .post(
        w.path,
        { decision: 'refer', reasonCodes: ['VALUE_QUERY'] },
        { 'Idempotency-Key': `lost-${RUN}-other` },
      );
    expect(other.status, other.text).toBe(201);
    // Under the referral's own key, a different body is still refused as a different request.
    const mismatch = await running!
      .as(w.user)
      .post(w.path, { decision: 'refer', reasonCodes: ['VALUE_QUERY'] }, { 'Idempotency-Key': w.key });
    expect(mismatch.status, mismatch.text).toBe(422);
  });
});

describe('an officer’s assessment retried after its answer was lost', () => {
  // A gateway customs does not operate: no automatic pipeline, so the officer's assessment is the
  // one that assesses, and the automatic release that follows it is part of the officer's request.
  const env = { GATEWAY_MSP: 'PlatformAMSP' };
  const id = `LOST-${RUN}-A`;
  let dir = '';
  let gateway: TestGateway | undefined;
  afterAll(async () => {
    await gateway?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is answered as the first time, its release included, not refused as a second release', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lost-assessment-'));
    gateway = await startCustomsTestGateway(`lost-${RUN}`, { env, dataDir: dir });
    const orderNumber = `ORD-${id}`;
    // A buyer identified alike in the order and the payment: the match passes, the lane is green.
    const order = orderPayload(orderNumber);
    const document = { type: 'passport', number: `P-${id}`, country: 'FR' };
    const buyer = { id: randomBytes(32).toString('hex'), name: order.buyer.name, document };
    const payment = { ...paymentPayload(orderNumber, `PAY-${id}`), payer: { name: buyer.name, document } };
    const steps: [string, string, unknown][] = [
      ['platforma-operator', '', { consignmentId: id, orderNumber, trackingNumber: `RR${RUN}LA`, paymentTransactionId: `PAY-${id}`, originCountry: 'CN', destinationCountry: 'FR' }],
      ['platforma-operator', '/order', { ...order, buyer }],
      ['payment-operator', '/payment', payment],
      ['post-operator', '/logistics', logisticsPayload(orderNumber, `RR${RUN}LA`)],
      ['platforma-operator', '/declaration', declarationPayload()],
    ]; // prettier-ignore
    for (const [user, path, body] of steps) {
      const res = await gateway.as(user).post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
      expect(res.status, res.text).toBe(201);
    }
    const assess = (g: TestGateway) =>
      g.as('customs-officer').post(`/v1/consignments/${id}/assessment`, {}, { 'Idempotency-Key': `lost-${RUN}-assess` });
    const first = await assess(gateway);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ automaticRelease: expect.any(String) });
    await gateway.close();
    gateway = undefined;
    await loseAnswers(dir);

    gateway = await startTestGateway(env, dir);
    const retry = await assess(gateway);
    expect({ status: retry.status, body: retry.body }, retry.text).toEqual({ status: 201, body: first.body });
  }); // prettier-ignore
});
