/**
 * A lost answer on a real Fabric network (`npm run test:fabric`): writes under Idempotency-Keys,
 * then the gateway stopped and its kept answers removed, then the same requests again. Their
 * proposals carry the same transaction ids (the nonce derived from the key); the peers refuse to
 * endorse transactions they already hold ("duplicate transaction found"), and the gateway answers
 * from the committed transactions, read back through qscc: the first answers, nothing written twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_SUBLEVEL } from '../../gateway/src/http/idempotency.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { scenarioBackend, startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { orderPayload } from '../support/payloads.js';

const RUN = randomBytes(3).toString('hex').toUpperCase();
const id = `LOST-FAB-${RUN}`;
let dataDir = '';
let t: TestGateway | undefined;

afterAll(async () => {
  await t?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const writes = [
  ['platforma-operator', '/v1/consignments', { consignmentId: id, orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' }],
  ['platforma-operator', `/v1/consignments/${id}/order`, orderPayload(`ORD-${id}`)],
  ['customs-officer', `/v1/consignments/${id}/decision`, { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] }],
] as const; // prettier-ignore

const post = (gateway: TestGateway, i: number) => {
  const [user, path, body] = writes[i]!;
  return gateway.as(user).post(path, body, { 'Idempotency-Key': `lost-fab-${RUN}-${i}` });
};

describe.skipIf(process.env.LEDGER !== 'fabric')('a lost answer on Fabric', () => {
  it('is answered from the committed transactions, as the first time, and nothing is written twice', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lost-fab-'));
    t = await startTestGateway(scenarioBackend(), dataDir);
    const firsts: ApiResponse<unknown>[] = [];
    for (let i = 0; i < writes.length; i++) firsts.push(await post(t, i));
    for (const first of firsts) expect(first.status, first.text).toBe(201);
    await t.close();
    t = undefined;
    const store = await openGatewayStore(gatewayStorePath(dataDir));
    try {
      await store.sublevel(IDEMPOTENCY_SUBLEVEL).clear();
    } finally {
      await store.close();
    }

    t = await startTestGateway(scenarioBackend(), dataDir);
    for (let i = 0; i < writes.length; i++) {
      const retry = await post(t, i);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect({ status: retry.status, body: retry.body }, retry.text).toEqual({
        status: 201,
        body: firsts[i]!.body,
      });
      expect(retry.headers.get('x-transaction-id')).toBe(firsts[i]!.headers.get('x-transaction-id'));
    }
    const history = await t
      .as('customs-officer')
      .get<{ entries: { type: string }[] }>(`/v1/consignments/${id}/history`);
    expect(history.body.entries.map((e) => e.type)).toEqual(['created', 'order_submitted', 'decision_refer']);
  });
});
