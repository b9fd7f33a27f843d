import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../gateway/src/observability/metrics.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * `ledger_read_cache_bytes` and `ledger_read_cache_budget_bytes` on /metrics: what the embedded
 * ledger's read caches hold and may hold, so that an operator (and the soak) can tell caches filling
 * up to LEDGER_CACHE_MB from memory that grows.
 */

const BUDGET_MB = 1;

async function cacheGauges(t: TestGateway): Promise<{ bytes: number; budget: number }> {
  const text = await t.metrics();
  const gauge = (name: string): number => {
    expect(text).toContain(`# TYPE ${name} gauge`);
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    expect(value).toBeDefined();
    return Number(value);
  };
  return { bytes: gauge('ledger_read_cache_bytes'), budget: gauge('ledger_read_cache_budget_bytes') };
}

describe.each(['main', 'worker'] as const)('the ledger cache gauges, ledger on the %s thread', (thread) => {
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

    const before = await cacheGauges(t);
    for (const id of ids) expect((await platform.get(`/v1/consignments/${id}/history`)).status).toBe(200);
    const after = await cacheGauges(t);

    expect(after.bytes).toBeGreaterThan(before.bytes);
    expect(after.budget).toBe(BUDGET_MB * 1024 * 1024);
    expect(after.bytes).toBeLessThanOrEqual(after.budget);
  });
});

describe('the ledger cache gauges without an embedded ledger', () => {
  it('are absent when nothing reports them (Fabric), and 0 when their source fails (a stopped ledger thread)', async () => {
    expect(await createMetrics().render()).not.toContain('ledger_read_cache');
    const failing = createMetrics({ ledgerCacheUsage: () => Promise.reject(new Error('thread stopped')) });
    const text = await failing.render();
    expect(text).toMatch(/^ledger_read_cache_bytes 0$/m);
    expect(text).toMatch(/^ledger_read_cache_budget_bytes 0$/m);
  });
});
