import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { createApp } from './http/app.js';
import { openEmbeddedNetwork } from './ledger/embedded/network.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  if (config.ledger === 'fabric') {
    throw new ConfigError(
      'LEDGER=fabric: the Fabric adapter is not implemented yet (issue [3/7]); use LEDGER=embedded',
    );
  }
  const started = performance.now();
  const { ledger, network } = await openEmbeddedNetwork({
    dataDir: config.dataDir,
    networkConfigPath: config.networkConfigPath,
    collectionsConfigPath: config.collectionsConfigPath,
    batchTimeoutMs: config.batchTimeoutMs,
    maxBatchSize: config.maxBatchSize,
  });
  let ready = true;
  const app = createApp({ ledger, ledgerKind: config.ledger, isReady: () => ready });
  const server = app.listen(config.port, config.host, () => {
    log.info(
      {
        port: config.port,
        dataDir: config.dataDir,
        channel: network.channel,
        organisations: network.organisations.map((o) => o.mspId),
        height: Number(ledger.height()),
        startMs: Math.round(performance.now() - started),
      },
      `gateway listening on http://localhost:${config.port} (embedded ledger)`,
    );
  });
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    ready = false;
    server.close(() => {
      ledger.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'ledger did not close cleanly');
          process.exit(1);
        },
      );
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof ConfigError ? message : error);
  console.error(`gateway failed to start: ${message}`);
  process.exit(1);
});
