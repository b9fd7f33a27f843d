import './ledger/chaincode-logging.js';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config.js';
import { createApp } from './http/app.js';
import { answerUnparsedRequest } from './http/problem.js';
import { listenUrl } from './http/listen-url.js';
import { ExpiryWatchingIdentityProvider } from './ledger/identity-expiry.js';
import { openLedger } from './ledger/open-ledger.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { BearerAuthenticator } from './auth/authenticate.js';
import { JwtVerifier } from './auth/jwt.js';
import { ensureDemoUsers, type DemoCredential } from './auth/demo-users.js';
import { AUDIT_SIGNER } from './auth/principal.js';
import { createMetrics } from './observability/metrics.js';
import { RefusedScrapesLog } from './observability/refused-scrapes.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditAnchorer } from './audit/anchor.js';
import { abandonAuditLogIfAcknowledged } from './audit/new-log.js';
import { LevelIdempotencyStore } from './http/idempotency.js';
import { EventHub } from './services/event-hub.js';
import { JoinStore } from './services/join-store.js';
import { PublicTrustedTraderAdoption } from './services/trusted-trader-adoption.js';
import { CustomsService } from './services/customs-service.js';
import { StoredPipelineState } from './services/customs-pipeline-state.js';
import { LedgerClient, ledgerClientOptions } from './services/ledger-client.js';
import { gatewayStorePath, openGatewayStore } from './storage/gateway-store.js';
import { partyIdKeyInForce, storedMetricsToken } from './storage/kept-secrets.js';
import { checkSettingFiles } from './startup-failure.js';
import { sleep } from './signals.js';

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly credentials: readonly DemoCredential[];
  /** A demo user whose key is taken at start (revoked and expired ones are not), for the first request suggested. */
  readonly firstRequestUser?: string;
  /** The bearer token that reads /metrics (METRICS_TOKEN, or the one kept in the data directory). */
  readonly metricsToken: string;
  readonly logger: Logger;
  /** Stops accepting requests, finishes those in flight, then closes the ledger and stores. */
  close(): Promise<void>;
}

/** How long a graceful stop waits for the ledger to anchor the audit log's last entries. */
const STOP_ANCHOR_TIMEOUT_MS = 10_000;
/** How often answers kept for Idempotency-Key replays past their 24 hours are deleted. */
const IDEMPOTENCY_SWEEP_MS = 60 * 60 * 1000;
/** The first such sweep: after start-up's own work, yet within the life of a short-lived gateway. */
const IDEMPOTENCY_FIRST_SWEEP_MS = 60 * 1000;

export async function startGateway(
  config: GatewayConfig,
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningGateway> {
  await checkSettingFiles(config);
  await mkdir(join(config.dataDir, 'gateway'), { recursive: true, mode: 0o700 });
  // What start-up has opened, undone newest first if a later step fails (a port in use, say): an
  // embedding process, or the next start in it, would otherwise find the stores locked and the
  // customs pipeline still writing.
  const undo: (() => unknown)[] = [];
  try {
    return await openAndListen(config, logger, undo);
  } catch (error) {
    for (const step of undo.reverse()) {
      await Promise.resolve()
        .then(step)
        .catch((closeError: unknown) =>
          logger.warn({ err: closeError }, 'closing after a failed start failed'),
        );
    }
    throw error;
  }
}

async function openAndListen(
  config: GatewayConfig,
  logger: Logger,
  undo: (() => unknown)[],
): Promise<RunningGateway> {
  /** Set if the ledger's thread stops: the gateway cannot serve until it is restarted. */
  let ledgerStopped = false;
  const opened = await openLedger(config, logger, () => (ledgerStopped = true));
  const { ledger, network, cacheUsage } = opened;
  const identities = new ExpiryWatchingIdentityProvider(opened.identities, logger);
  undo.push(() => ledger.close());
  const store = await openGatewayStore(gatewayStorePath(config.dataDir));
  undo.push(() => store.close());
  // Under the store's lock: two gateways started at once on a new data directory would otherwise
  // each generate one, and the one that goes on could hold a token the file no longer does.
  const metricsToken = config.metricsToken ?? (await storedMetricsToken(config.dataDir));
  const metrics = createMetrics({
    ledgerCacheUsage: cacheUsage,
    // Scraped only once the gateway listens, by when the anchorer exists.
    auditLogMismatch: () => anchorer.status().mismatch !== undefined,
    identityExpiries: () => identities.earliestExpiries(),
  });
  const refusedScrapes = new RefusedScrapesLog(logger);
  undo.push(() => refusedScrapes.close());
  const instrumented = metrics.instrumentLedger(ledger);
  const apiKeys = await ApiKeyStore.open(config.dataDir, network);
  const credentials = await ensureDemoUsers({
    dataDir: config.dataDir,
    network,
    apiKeys,
    make: config.demoUsers,
  });
  apiKeys.watch((error) =>
    logger.error({ err: error }, 'API key file unreadable: keys issued or revoked since are not in effect'),
  );
  undo.push(() => apiKeys.close());
  const jwt = config.jwt.secret || config.jwt.jwks ? new JwtVerifier(config.jwt, network) : undefined;
  const authenticator = new BearerAuthenticator(apiKeys, jwt);
  const auditIdentity = await identities.identityFor({
    user: AUDIT_SIGNER,
    mspId: config.gatewayMspId,
    role: 'service',
  });
  const auditLog = await AuditLog.open(store, {
    mspId: config.gatewayMspId,
    certificate: auditIdentity.certificate,
    sign: (message) => auditIdentity.sign(message),
  });
  undo.push(() => auditLog.drain());
  // A gateway store whose log has entries has served requests: a party-id key was in force.
  const partyIdKey = await partyIdKeyInForce(config, store, auditLog.size() > 0);
  const anchorer = new AuditAnchorer(auditLog, instrumented, auditIdentity, config.auditAnchor, logger);
  // Expired answers are only treated as absent until swept: without it they would stay on disk for good.
  const idempotency = new LevelIdempotencyStore(store, {
    sweepIntervalMs: IDEMPOTENCY_SWEEP_MS,
    firstSweepAfterMs: IDEMPOTENCY_FIRST_SWEEP_MS,
  });
  undo.push(() => idempotency.close());
  const events = new EventHub(instrumented, network, new JoinStore(store));
  undo.push(() => events.close());
  await events.start();
  const client = new LedgerClient(instrumented, identities, ledgerClientOptions(config.ledger));
  const customs = new CustomsService(client, network, logger, metrics);
  // Automatic assessment and release act as customs' service identity: only customs' own gateway
  // holds it (on Fabric, another organisation's gateway has no customs credentials).
  const customsGateway = config.gatewayMspId === network.customsMspId;
  // Before the first request, so that no request (even a refused one) is what installs them.
  if (customsGateway) await customs.configure();
  const adoption = customsGateway ? new PublicTrustedTraderAdoption(client, network, logger) : undefined;
  if (adoption) {
    undo.push(() => adoption.stop());
    await adoption.start();
  }
  const following = customsGateway ? customs.follow(events, new StoredPipelineState(store)) : undefined;
  // Closing the hub is what ends the pipeline's following.
  undo.push(async () => {
    events.close();
    await following;
  });
  /** Where the gateway is in its life, as /readyz says it (unless its ledger's thread has stopped). */
  let phase: 'starting' | 'ready' | 'stopping' = 'starting';
  const app = createApp({
    config,
    logger,
    ledger: instrumented,
    network,
    identities,
    authenticator,
    idempotency,
    auditLog,
    events,
    customs,
    client,
    metrics,
    partyIdKey,
    metricsToken,
    refusedScrapes,
    phase: () => phase,
    ledgerStopped: () => ledgerStopped,
    auditMismatch: () => anchorer.status().mismatch,
  });
  // Before listening: a log that does not match its anchor must not take a single request's entry.
  await anchorer.start();
  undo.push(() => anchorer.stop());
  await abandonAuditLogIfAcknowledged({
    acknowledged: config.abandonAuditLog,
    dataDir: config.dataDir,
    log: auditLog,
    anchorer,
    logger,
  });
  const server = app.listen(config.port, config.host);
  server.on('clientError', answerUnparsedRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  undo.push(() => new Promise((resolve) => server.close(resolve)));
  phase = 'ready';
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: listenUrl(config.host, port),
    port,
    credentials,
    firstRequestUser: credentials.find((credential) => apiKeys.isActive(credential.apiKey))?.user,
    metricsToken,
    logger,
    close: () =>
      (closing ??= (async () => {
        phase = 'stopping';
        // Served as before meanwhile, each answer closing its connection (createApp): a load
        // balancer that polls /readyz stops sending requests before the listener closes, which
        // resets the connections queued on it and not yet accepted.
        await sleep(config.stopDrainSeconds * 1000);
        events.close();
        adoption?.stop();
        await following;
        // Long-lived event streams would hold the server open; in-flight requests may finish.
        server.closeIdleConnections();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          setTimeout(() => server.closeAllConnections(), 5_000).unref();
        });
        // Every request has ended: its entry is appended once drained, then anchored before the
        // ledger closes.
        await auditLog.drain();
        await anchorer.stopAndAnchor(STOP_ANCHOR_TIMEOUT_MS);
        idempotency.close();
        apiKeys.close();
        refusedScrapes.close();
        await ledger.close();
        await store.close();
      })()),
  };
}
