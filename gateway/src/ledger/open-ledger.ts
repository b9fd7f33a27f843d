import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseNetworkConfig, type NetworkConfig } from '@customs-ledger/chaincode';
import type { GatewayConfig } from '../config.js';
import { EnrollingIdentityProvider, type EnrollingLedger, type IdentityProvider } from './identities.js';
import type { EmbeddedNetworkOptions } from './embedded/network.js';
import type { CacheUsage } from './embedded/store.js';
import type { LedgerPort } from './port.js';

/** A ledger backend ready for the gateway: the port, the network it serves, and who signs for users. */
export interface OpenLedger {
  readonly ledger: LedgerPort;
  readonly network: NetworkConfig;
  readonly identities: IdentityProvider;
  /**
   * What the embedded ledger's read caches hold now, and what LEDGER_CACHE_MB lets them hold;
   * absent on Fabric, whose peers keep their caches to themselves.
   */
  readonly cacheUsage?: () => Promise<CacheUsage>;
}

/**
 * Opens the backend LEDGER names: the embedded ledger in DATA_DIR (on a worker thread of its own
 * with LEDGER_THREAD=worker), or a Fabric network from its profiles.
 */
export async function openLedger(
  config: GatewayConfig,
  logger: Logger,
  /** Called if the embedded ledger's thread stops while open (every ledger call then answers UNAVAILABLE). */
  onStopped: () => void = () => undefined,
): Promise<OpenLedger> {
  // Only the chosen backend's modules are loaded: the other's cost start-up time for nothing.
  if (config.ledger === 'embedded') {
    const options = embeddedNetworkOptions(config);
    const { ledger, network } = await openEmbedded(config.ledgerThread, options, (error) => {
      logger.fatal(
        { err: error },
        'the ledger thread stopped: the ledger answers 503 until the gateway restarts',
      );
      onStopped();
    });
    const identities = new EnrollingIdentityProvider(ledger);
    return { ledger, network, identities, cacheUsage: async () => ledger.cacheUsage() };
  }
  const { FabricLedger } = await import('./fabric/fabric-ledger.js');
  const ledger = await FabricLedger.open({
    profileDir: config.fabricProfileDir,
    mspId: config.gatewayMspId,
    checkpointFile: join(config.dataDir, 'gateway', 'events-checkpoint.json'),
    onEventsRetry: (error, delayMs) =>
      logger.warn({ err: error, delayMs }, 'chaincode event stream interrupted; reconnecting'),
  });
  // The organisations of the running network (a subset of config/organisations.json).
  const networkFile = ledger.profiles.network.organisationsConfig ?? config.networkConfigPath;
  const network = parseNetworkConfig(JSON.parse(await readFile(networkFile, 'utf8')));
  return { ledger, network, identities: ledger.identityProvider() };
}

/** The embedded network the gateway's configuration describes, in its DATA_DIR. */
export function embeddedNetworkOptions(config: GatewayConfig): EmbeddedNetworkOptions {
  return {
    dataDir: config.dataDir,
    networkConfigPath: config.networkConfigPath,
    collectionsConfigPath: config.collectionsConfigPath,
    batchTimeoutMs: config.batchTimeoutMs,
    maxBatchSize: config.maxBatchSize,
    cacheBytes: config.ledgerCacheBytes,
  };
}

/** What the embedded ledger offers besides the port, on either thread. */
interface EmbeddedExtras extends EnrollingLedger {
  cacheUsage(): CacheUsage | Promise<CacheUsage>;
}

/** The embedded ledger on the gateway's thread, or on a worker thread of its own. */
async function openEmbedded(
  thread: GatewayConfig['ledgerThread'],
  options: EmbeddedNetworkOptions,
  onStopped: (error: Error) => void,
): Promise<{ ledger: LedgerPort & EmbeddedExtras; network: NetworkConfig }> {
  if (thread === 'worker') {
    const { WorkerLedger } = await import('./thread/worker-ledger.js');
    return WorkerLedger.open(options, { onStopped });
  }
  const { openEmbeddedNetwork } = await import('./embedded/network.js');
  return openEmbeddedNetwork(options);
}
