import '../chaincode-logging.js';
import { readFile } from 'node:fs/promises';
import {
  chaincodeEndorsementPolicy,
  contracts,
  parseNetworkConfig,
  type NetworkConfig,
} from '@customs-ledger/chaincode';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from './embedded-ledger.js';
import { chaincodeMessage, GatewayError } from '../port.js';

export interface EmbeddedNetworkOptions {
  readonly dataDir: string;
  readonly networkConfigPath: string;
  readonly collectionsConfigPath: string;
  readonly batchTimeoutMs?: number;
  readonly maxBatchSize?: number;
  /** What the ledger store's read caches may hold in all (default: LedgerStore's). */
  readonly cacheBytes?: number;
}

export interface EmbeddedNetwork {
  readonly ledger: EmbeddedLedger;
  readonly network: NetworkConfig;
}

/** The governance user that initialises the organisation registry on a new ledger. */
export const GOVERNANCE_USER = 'governance';

/**
 * Opens the embedded network described by the same files a Fabric deployment uses (organisations,
 * collections), with the project's chaincode, and initialises the organisation registry once (or,
 * made before chaincode 1.12, puts it under its key-level policy).
 */
export async function openEmbeddedNetwork(options: EmbeddedNetworkOptions): Promise<EmbeddedNetwork> {
  const network = parseNetworkConfig(JSON.parse(await readFile(options.networkConfigPath, 'utf8')));
  const ledger = await openEmbeddedLedger(options, network, { name: network.chaincode, contracts });
  try {
    await ensureRegistry(ledger, network);
  } catch (error) {
    await ledger.close();
    throw error;
  }
  return { ledger, network };
}

/**
 * The network's channel, organisations, collections and endorsement policy, running `chaincode`:
 * the project's own, or (the ledger benchmark's reference) another one under the same policy.
 */
export function openEmbeddedLedger(
  options: EmbeddedNetworkOptions,
  network: NetworkConfig,
  chaincode: EmbeddedLedgerOptions['chaincode'],
): Promise<EmbeddedLedger> {
  return EmbeddedLedger.open({
    dataDir: options.dataDir,
    channel: network.channel,
    organisations: network.organisations.map(({ mspId, domain }) => ({ mspId, domain })),
    collections: options.collectionsConfigPath,
    chaincode,
    endorsementPolicy: chaincodeEndorsementPolicy(network),
    batchTimeoutMs: options.batchTimeoutMs,
    maxBatchSize: options.maxBatchSize,
    cacheBytes: options.cacheBytes,
  });
}

async function ensureRegistry(ledger: EmbeddedLedger, network: NetworkConfig): Promise<void> {
  const governanceMsp = network.governanceMspIds[0];
  if (!governanceMsp) throw new Error('network config: governanceMspIds must name at least one organisation');
  const governance = await ledger.enrolUser(
    governanceMsp,
    GOVERNANCE_USER,
    { role: 'governance' },
    { admin: true },
  );
  let registry: { protectedBy: string[] };
  try {
    registry = JSON.parse(
      Buffer.from(await ledger.evaluate(governance, 'org:listOrganisations')).toString('utf8'),
    ) as typeof registry;
  } catch (error) {
    const refusal = error instanceof GatewayError ? chaincodeMessage(error) : undefined;
    if (!refusal?.startsWith('organisation registry is not initialised')) throw error;
    await ledger.submit(governance, 'org:init', { arguments: [JSON.stringify(network)] });
    return;
  }
  // A registry initialised before chaincode 1.12 has no key-level policy yet.
  if (registry.protectedBy.length === 0) await ledger.submit(governance, 'org:protectRegistry');
}
