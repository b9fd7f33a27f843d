/**
 * OWASP API4:2023 Unrestricted Resource Consumption: bodies are capped (413), each caller is
 * rate limited (429 with Retry-After), pages and batches have upper bounds (400 past them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { expectProblem } from './support.js';

const PER_MINUTE = 40;
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ BODY_LIMIT: '64kb', RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) });
});
afterAll(async () => {
  await t?.close();
});

describe('resource limits', () => {
  it('refuses a body over the limit with 413', async () => {
    const big = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: 'BIG',
      originCountry: 'CN',
      destinationCountry: 'FR',
      pad: 'x'.repeat(70_000),
    });
    expectProblem(big, 413);
  });

  it('bounds pages and batches', async () => {
    expectProblem(await t.as('customs-officer').get('/v1/customs/queue?limit=201'), 400, /limit/);
    expectProblem(await t.as('auditor').get('/v1/audit/entries?from=0&limit=100000'), 400, /limit/);
    const operations = Array.from({ length: 501 }, (_, i) => ({
      op: 'create',
      consignmentId: `B-${i}`,
      body: { originCountry: 'CN', destinationCountry: 'FR' },
    }));
    expectProblem(await t.as('post-operator').post('/v1/batch', { operations }), 400, /operations/);
  });

  it('limits each caller’s requests per minute, with Retry-After, and not the others', async () => {
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < PER_MINUTE + 5; i++) {
      const res = await t.as('express-operator').get('/v1/consignments/NONE-1');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expectProblem(limited!, 429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another caller is not held back by the first one's volume.
    expect((await t.as('payment-operator').get('/v1/consignments/NONE-1')).status).toBe(404);
  });
});
