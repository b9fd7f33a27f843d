/**
 * The automatic customs pipeline keeps its place in the event stream: records committed while
 * customs' gateway was not running (here: only a platform's gateway ran on the ledger) are assessed
 * and, when everything matches, released as soon as customs' gateway is back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startCustomsTestGateway } from '../support/parcel.js';
import {
  createPayload,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from '../support/payloads.js';

let dataDir: string | undefined;
let running: TestGateway | undefined;
afterAll(async () => {
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';

async function statusOf(t: TestGateway, id: string): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await t.as(OFFICER).get<{ consignment?: { status: string } }>(`/v1/consignments/${id}`);
    const status = res.body.consignment?.status ?? `HTTP ${res.status}`;
    if (status === 'released' || Date.now() > until) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('assesses and releases what was submitted while customs’ gateway was down', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'customs-catch-up-'));
  const id = `CATCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  const orderNumber = `ORD-${id}`;
  const document = { type: 'passport', number: `P-${id}`, country: 'FR' };
  const base = orderPayload(orderNumber);
  const buyer = { id: randomBytes(32).toString('hex'), name: base.buyer.name, document };

  // Customs' gateway: installs a rule set with no random selection, then stops.
  running = await startCustomsTestGateway('catch-up-1', { dataDir });
  const created = await running.as(PLATFORM).post('/v1/consignments', createPayload(id));
  expect(created.status, created.text).toBe(201);
  await running.close();

  // Only a platform's gateway runs: nobody follows the events for customs.
  running = await startTestGateway({ GATEWAY_MSP: 'PlatformAMSP' }, dataDir);
  const steps: [string, string, unknown][] = [
    [PLATFORM, '/order', { ...base, buyer }],
    [
      'payment-operator',
      '/payment',
      { ...paymentPayload(orderNumber, `PAY-${id}`), payer: { name: buyer.name, document } },
    ],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, testKeys(id).trackingNumber)],
    [PLATFORM, '/declaration', declarationPayload()],
  ];
  for (const [user, path, body] of steps) {
    const res = await running.as(user).post(`/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const meanwhile = await running
    .as(OFFICER)
    .get<{ consignment: { status: string } }>(`/v1/consignments/${id}`);
  expect(meanwhile.body.consignment.status).toBe('created');
  await running.close();

  // Customs' gateway is back: it resumes after the last event it took.
  running = await startTestGateway({}, dataDir);
  expect(await statusOf(running, id)).toBe('released');
  const decisions = await running
    .as(OFFICER)
    .get<{ decisions: { reasonCodes: string[]; automatic?: boolean }[] }>(`/v1/consignments/${id}`);
  expect(decisions.body.decisions).toEqual([
    expect.objectContaining({ reasonCodes: ['AUTO_RELEASE_GREEN_LANE'], automatic: true }),
  ]);
});
