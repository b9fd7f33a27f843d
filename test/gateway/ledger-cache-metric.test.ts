import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../gateway/src/observability/metrics.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * `ledger_read_cache_bytes` on /metrics: what the embedded ledger's read caches hold, so that an
 * operator (and the soak) can tell caches filling up to LEDGER_CACHE_MB from memory that grows.
 */

const BUDGET_MB = 1;

async function cacheBytes(t: TestGateway): Promise<number> {
  const text = await (await fetch(`${t.gateway.url}/metrics`)).text();
  expect(text).toContain('# TYPE ledger_read_cache_bytes gauge');
  const value = /^ledger_read_cache_bytes (\S+)$/m.exec(text)?.[1];
  expect(value).toBeDefined();
  return Number(value);
}

describe.each(['main', 'worker'] as const)('ledger_read_cache_bytes, ledger on the %s thread', (thread) => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('rises as reads of new consignments fill the caches, within LEDGER_CACHE_MB', async () => {
    t = await startTestGateway({ LEDGER_THREAD: thread, LEDGER_CACHE_MB: String(BUDGET_MB) });
    const platform = t.as('platforma-operator');
    const run = `${thread.toUpperCase()}-${Date.now().toString(36).toUpperCase()}`;
    const ids = Array.from({ length: 20 }, (_, i) => `CACHE-${run}-${i}`);
    const batch = await platform.post('/v1/batch', {
      operations: ids.map((consignmentId, i) => ({
        op: 'create',
        consignmentId,
        body: { orderNumber: `ORD-${run}-${i}`, originCountry: 'CN', destinationCountry: 'FR' },
      })),
    });
    expect(batch.status).toBe(200);

    const before = await cacheBytes(t);
    for (const id of ids) expect((await platform.get(`/v1/consignments/${id}/history`)).status).toBe(200);
    const after = await cacheBytes(t);

    expect(after).toBeGreaterThan(before);
    expect(after).toBeLessThanOrEqual(BUDGET_MB * 1024 * 1024);
  });
});

describe('ledger_read_cache_bytes without an embedded ledger', () => {
  it('is absent when nothing reports it (Fabric), and 0 when its source fails (a stopped ledger thread)', async () => {
    expect(await createMetrics().render()).not.toContain('ledger_read_cache_bytes');
    const failing = createMetrics({ ledgerCacheBytes: () => Promise.reject(new Error('thread stopped')) });
    expect(await failing.render()).toMatch(/^ledger_read_cache_bytes 0$/m);
  });
});
