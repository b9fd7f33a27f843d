import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The chaincode's logger would print every decorator at info (see chaincode-logging.ts).
    env: { CORE_CHAINCODE_LOGGING_LEVEL: 'WARNING' },
  },
});
