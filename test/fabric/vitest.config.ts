import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Run by `npm run test:fabric` (test/fabric/run.ts) against a live network: the Fabric-only suites
 * (the benchmarks' among them) and the HTTP suites that `npm test` also runs on the embedded
 * ledger: the consignment flow and the per-buyer limits.
 */
export default defineConfig({
  root: resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['test/fabric/**/*.fabric.test.ts', 'test/api/flow.test.ts', 'test/api/buyer-limits.test.ts'],
    // One network: the scenario's steps share its ledger, so files run one after another.
    fileParallelism: false,
    pool: 'forks',
    // Block cutting and cross-org discovery on a cold network take seconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
