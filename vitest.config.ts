import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Fabric scenario needs a running network: `npm run test:fabric` (test/fabric/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/fabric/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one file fewer than there are cores: one at a time on two cores, which
    // left half the CPU idle, since the files wait on child gateways, sockets and LevelDB
    // (580 s for the suite here, against 344 s with two).
    maxWorkers: availableParallelism(),
    // The chaincode's logger would print every decorator at info (see chaincode-logging.ts).
    env: { CORE_CHAINCODE_LOGGING_LEVEL: 'WARNING' },
  },
});
