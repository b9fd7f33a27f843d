/**
 * A write whose answer was lost: it committed, but the gateway never kept its answer (it crashed
 * first, or the ledger could not confirm the outcome and the client was told to retry). The
 * client's retry under the same Idempotency-Key then runs again. Where the gateway chooses the new
 * record's id, that id comes from the key, so the retry names the same record and the chaincode
 * refuses it as a duplicate, instead of making a second one. Here the answer is lost for real: the
 * gateway is stopped and its kept answers removed from its store before the retry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { IDEMPOTENCY_SUBLEVEL } from '../../gateway/src/http/idempotency.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { expectProblem, releasedAndDelivered } from '../security/support.js';

let dataDir: string | undefined;
let running: TestGateway | undefined;
afterAll(async () => {
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Forgets every answer the stopped gateway kept for Idempotency-Key replays. */
async function loseAnswers(dir: string): Promise<void> {
  const store = await openGatewayStore(gatewayStorePath(dir));
  try {
    await store.sublevel(IDEMPOTENCY_SUBLEVEL).clear();
  } finally {
    await store.close();
  }
}

it('a return requested again under the same Idempotency-Key, its answer lost, is refused as the same return', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lost-answer-'));
  const id = `LOST-${randomBytes(3).toString('hex').toUpperCase()}`;
  // One unit of a line of two: a second return of it would still fit in what was ordered.
  const request = { reason: 'defective', lines: [{ lineNo: 1, quantity: 1 }], authorisation: `RMA-${id}` };
  const key = { 'Idempotency-Key': `return-${id}` };

  running = await startTestGateway({}, dataDir);
  await releasedAndDelivered(running, id);
  const first = await running
    .as('platforma-operator')
    .post<{ returnId: string }>(`/v1/consignments/${id}/returns`, request, key);
  expect(first.status, first.text).toBe(201);
  await running.close();
  running = undefined;
  await loseAnswers(dataDir);

  running = await startTestGateway({}, dataDir);
  const retry = await running.as('platforma-operator').post(`/v1/consignments/${id}/returns`, request, key);
  expectProblem(retry, 409, `return ${first.body.returnId} of consignment ${id} already exists`);
  const returns = await running
    .as('platforma-operator')
    .get<{ returns: { returnId: string }[] }>(`/v1/consignments/${id}/returns`);
  expect(returns.body.returns.map((r) => r.returnId)).toEqual([first.body.returnId]);
});
