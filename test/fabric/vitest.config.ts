import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Run by `npm run test:fabric` (test/fabric/run.ts) against a live network: the Fabric-only suites
 * and the consignment flow over HTTP that `npm test` runs on the embedded ledger.
 */
export default defineConfig({
  root: resolve(dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['test/fabric/**/*.fabric.test.ts', 'test/api/flow.test.ts'],
    // One network: the scenario's steps share its ledger, so files run one after another.
    fileParallelism: false,
    pool: 'forks',
    // Block cutting and cross-org discovery on a cold network take seconds.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
