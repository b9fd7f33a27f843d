import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Fabric scenario needs a running network: `npm run test:fabric` (test/fabric/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/fabric/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The chaincode's logger would print every decorator at info (see chaincode-logging.ts).
    env: { CORE_CHAINCODE_LOGGING_LEVEL: 'WARNING' },
  },
});
