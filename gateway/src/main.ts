import './ledger/chaincode-logging.js';
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './server.js';
import { explainStartupFailure, StartupFailure } from './startup-failure.js';
import { metricsTokenFile } from './auth/metrics-token.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  // Node ignores SIGXFSZ, so that a write past the file-size limit (`ulimit -f`) fails with EFBIG
  // and the store refuses it as it does on a full disk (503, then reopens). But signal-exit (under
  // proper-lockfile) listens for it and, finding no other listener, raises it again with its
  // default action, which kills the process without a word. A listener of our own stops that.
  process.on('SIGXFSZ', () =>
    logger.error('a write went past the file-size limit (ulimit -f) and was refused: raise the limit'),
  );
  const started = performance.now();
  const gateway = await startGateway(config, logger).catch((error: unknown) => {
    const explained = explainStartupFailure(error, config);
    if (explained === undefined) throw error;
    // The stack and the paths inside node_modules tell the operator nothing to act on; kept for debugging.
    logger.debug({ err: error }, 'start-up failed');
    throw new StartupFailure(explained);
  });
  gateway.logger.info(
    { port: gateway.port, dataDir: config.dataDir, startMs: Math.round(performance.now() - started) },
    'gateway ready',
  );
  console.log(
    [
      `Gateway listening on ${gateway.url} (ledger: ${config.ledger})`,
      `  Web console:      ${gateway.url}/console/`,
      `  API docs:         ${gateway.url}/docs   (OpenAPI: ${gateway.url}/openapi.json)`,
      ...(gateway.credentials.length === 0
        ? [`  API keys:         no demo users in ${config.dataDir}: issue keys with npm run keys`]
        : gateway.firstRequestUser === undefined
          ? [`  API keys:         every demo user's key is revoked or expired: issue keys with npm run keys`]
          : [
              `  Demo credentials: ${join(config.dataDir, 'dev-credentials.json')}`,
              // A request that answers: /v1/events is a stream, which curl would wait on for good.
              `  Try:              curl -H "Authorization: Bearer $(node -p "require('${join(config.dataDir, 'dev-credentials.json')}').find((c) => c.user === '${gateway.firstRequestUser}').apiKey")" ${gateway.url}/v1/me`,
            ]),
      // The token itself stays out of the output, which often ends up in logs.
      `  Metrics:          curl -H "Authorization: Bearer ${config.metricsToken === undefined ? `$(cat '${metricsTokenFile(config.dataDir)}')` : '$METRICS_TOKEN'}" ${gateway.url}/metrics`,
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    // Kept listening: without a listener of ours, a second signal (a second Ctrl-C, a supervisor
    // repeating SIGTERM during the drain) would end the process before the stop anchors the log.
    if (stopping) {
      gateway.logger.warn({ signal }, 'already shutting down: the stop goes on (SIGKILL ends it at once)');
      return;
    }
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ConfigError || error instanceof StartupFailure)) console.error(error);
  console.error(`gateway failed to start: ${message}`);
  process.exit(1);
});
