import './ledger/chaincode-logging.js';
import { createHmac, randomBytes } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import {
  ConfigError,
  isMetricsToken,
  isPartyIdKey,
  METRICS_TOKEN_RULE,
  PARTY_ID_KEY_RULE,
  type GatewayConfig,
} from './config.js';
import { createApp } from './http/app.js';
import { answerUnparsedRequest } from './http/problem.js';
import { ExpiryWatchingIdentityProvider } from './ledger/identity-expiry.js';
import { openLedger } from './ledger/open-ledger.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { metricsTokenFile } from './auth/metrics-token.js';
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
import { CustomsService } from './services/customs-service.js';
import { StoredPipelineState } from './services/customs-pipeline-state.js';
import { LedgerClient, ledgerClientOptions } from './services/ledger-client.js';
import { gatewayStorePath, openGatewayStore, type GatewayStore } from './storage/gateway-store.js';
import { writeFileAtomic } from './storage/atomic-file.js';
import { checkSettingFiles } from './startup-failure.js';

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
  const following = customsGateway ? customs.follow(events, new StoredPipelineState(store)) : undefined;
  // Closing the hub is what ends the pipeline's following.
  undo.push(async () => {
    events.close();
    await following;
  });
  let ready = false;
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
    readiness: () => (ledgerStopped ? 'ledger unavailable' : ready ? 'ready' : 'starting'),
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
  ready = true;
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://localhost:${port}`,
    port,
    credentials,
    firstRequestUser: credentials.find((credential) => apiKeys.isActive(credential.apiKey))?.user,
    metricsToken,
    logger,
    close: () =>
      (closing ??= (async () => {
        ready = false;
        events.close();
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

/**
 * The metrics token generated on first start, kept so that a scraper's configuration outlives
 * restarts. An operator may write the file (a mounted secret): what it holds must be a token.
 */
function storedMetricsToken(dataDir: string): Promise<string> {
  return persistentSecret(metricsTokenFile(dataDir), (token) =>
    isMetricsToken(token)
      ? undefined
      : `does not hold a metrics token (${METRICS_TOKEN_RULE}): correct it, delete it for a new one, or set METRICS_TOKEN`,
  );
}

/**
 * The key of the party ids (HMAC of a person's document): PARTY_ID_KEY, else the one generated on
 * first start. The ids on the ledger were made with it, so it is checked against the fingerprint
 * of the key in force at the data directory's first start: a PARTY_ID_KEY set, changed or unset
 * later, or a key file replaced or lost, would otherwise give every person registered before a
 * second id, splitting their buyer limits, watch-list notes and erasures, with nothing to show it.
 */
async function partyIdKeyInForce(
  config: GatewayConfig,
  store: GatewayStore,
  servedBefore: boolean,
): Promise<string> {
  const kept = store.sublevel<string, string>('party-id-key', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const first = await kept
    .get(KEY_IN_FORCE)
    .then((text) => (text === undefined ? undefined : (JSON.parse(text) as KeyInForce)));
  const file = partyIdKeyFile(config.dataDir);
  const fileExists = await access(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
  const fromFirst = first?.from === 'file' ? `${file} held` : 'PARTY_ID_KEY held';
  if (config.partyIdKey === undefined && !fileExists && (first !== undefined || servedBefore)) {
    // Not a new data directory: a new key would give everyone registered before a second id.
    throw new ConfigError(
      first?.from === 'environment'
        ? 'PARTY_ID_KEY is not set, and the party ids on the ledger were made with the key it held: set it again'
        : `${file} is missing, and the party ids on the ledger were made with ${first ? 'the key it held' : 'a key (this data directory has served requests)'}: restore it from a copy, or set PARTY_ID_KEY to that key`,
    );
  }
  const key = config.partyIdKey ?? (await storedPartyIdKey(file));
  const inForce: KeyInForce = {
    fingerprint: fingerprintOf(key),
    from: config.partyIdKey === undefined ? 'file' : 'environment',
  };
  if (first === undefined) {
    await store.batch([{ type: 'put', key: KEY_IN_FORCE, value: JSON.stringify(inForce), sublevel: kept }], {
      sync: true,
    });
  } else if (inForce.fingerprint !== first.fingerprint) {
    const fileHoldsIt =
      config.partyIdKey !== undefined &&
      fileExists &&
      fingerprintOf(await storedPartyIdKey(file)) === first.fingerprint;
    throw new ConfigError(
      config.partyIdKey === undefined
        ? `${file} does not hold the key the party ids on the ledger were made with (the one ${fromFirst}): restore it from a copy, or set PARTY_ID_KEY to that key`
        : fileHoldsIt
          ? `PARTY_ID_KEY is not the key the party ids on the ledger were made with, which ${file} holds: unset it, or set it to that key`
          : `PARTY_ID_KEY is not the key the party ids on the ledger were made with (the one ${fromFirst}): set it to that key`,
    );
  }
  return key;
}

/** The fingerprint of the key in force at a data directory's first start, and where it came from. */
interface KeyInForce {
  readonly fingerprint: string;
  readonly from: 'file' | 'environment';
}
const KEY_IN_FORCE = 'first-in-force';
/** Shows whether two keys are the same without showing either. */
const fingerprintOf = (key: string): string =>
  createHmac('sha256', key).update('party-id key fingerprint').digest('hex');
const partyIdKeyFile = (dataDir: string): string => join(dataDir, 'gateway', 'party-id.key');

/**
 * The key of the party ids generated on first start. The ids on the ledger were made with it, so a
 * key that is not there as written is never replaced silently.
 */
function storedPartyIdKey(file: string): Promise<string> {
  return persistentSecret(file, (key) =>
    isPartyIdKey(key)
      ? undefined
      : `does not hold a party-id key (${PARTY_ID_KEY_RULE}): restore it from a copy (the party ids on the ledger were made with it), or set PARTY_ID_KEY to it; only if no party was ever registered through this gateway, delete it for a new one`,
  );
}

/**
 * A random secret generated on first start and kept (mode 0600): the same after a restart. Written
 * whole or not at all, so that a crash during the first start cannot leave it empty; one read back
 * must pass `invalid` (which says what is wrong with it), or the gateway does not start.
 */
async function persistentSecret(
  path: string,
  invalid: (secret: string) => string | undefined,
): Promise<string> {
  let secret: string;
  try {
    secret = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    secret = randomBytes(32).toString('base64url');
    await writeFileAtomic(path, `${secret}\n`, 0o600);
    return secret;
  }
  const problem = invalid(secret);
  if (problem !== undefined) throw new ConfigError(`${path} ${problem}`);
  return secret;
}
