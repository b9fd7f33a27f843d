/*
 * The ledger port a benchmark drives without HTTP, on the backend LEDGER names (as the gateway's
 * configuration reads it): a fresh embedded ledger in a directory of the benchmark's own, or the
 * running Fabric network of FABRIC_PROFILE_DIR. On both, the cast is the network's: the default
 * Fabric network has no payment provider, so its platform takes payments (as the flow suite does).
 * Besides the port, the gateway's own ledger client, which on Fabric retries a proposal that a
 * peer still behind on the last block refused; and the reference chaincode on the same backend.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pino from 'pino';
import type { NetworkConfig, OrgRole } from '@customs-ledger/chaincode';
import { loadConfig, type GatewayConfig } from '../../gateway/src/config.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import {
  openEmbeddedLedger,
  openEmbeddedNetwork,
  type EmbeddedNetworkOptions,
} from '../../gateway/src/ledger/embedded/network.js';
import { EnrollingIdentityProvider, type IdentityProvider } from '../../gateway/src/ledger/identities.js';
import { embeddedNetworkOptions, openLedger } from '../../gateway/src/ledger/open-ledger.js';
import type { ClientIdentity, LedgerPort } from '../../gateway/src/ledger/port.js';
import { LedgerClient, ledgerClientOptions } from '../../gateway/src/services/ledger-client.js';
import { openReference, type ReferenceChaincode } from './fabric-reference.js';

export type Backend = GatewayConfig['ledger'];

/** Who submits what: the network's organisations, by the role each step needs. */
export interface Cast {
  readonly platform: string;
  /** The payment provider, or the platform where the network has none. */
  readonly payment: string;
  readonly post: string;
  readonly customs: string;
}

export interface BenchLedger {
  readonly backend: Backend;
  readonly ledger: LedgerPort;
  /** The gateway's services' client of that port (principals in, JSON out, retries as on the gateway). */
  readonly client: LedgerClient;
  readonly network: NetworkConfig;
  readonly cast: Cast;
  /** Only on the embedded backend: its blocks, for a raw `level` reference of the same writes. */
  readonly embedded?: EmbeddedLedger;
  /** A user of an organisation with a role: enrolled on the embedded ledger, from the network's profiles on Fabric. */
  user(mspId: string, name: string, role: string): Promise<ClientIdentity>;
  /**
   * kv:put of the reference chaincode (one putState) as the platform submits it, under the same
   * endorsement policy: the cheapest transaction of the backend. On Fabric, the network's (`skipped`
   * unless network.sh deploy-reference ran); embedded, a second embedded ledger of the same network.
   */
  referenceChaincode(): Promise<ReferenceChaincode | { readonly skipped: string }>;
  close(): Promise<void>;
}

/** `dataDir`: where the embedded ledger is made (unused on Fabric, whose peers keep the ledger). */
export async function openBenchLedger(dataDir: string): Promise<BenchLedger> {
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir });
  if (config.ledger === 'embedded') {
    const options = embeddedNetworkOptions(config);
    const { ledger, network } = await openEmbeddedNetwork(options);
    const identities = new EnrollingIdentityProvider(ledger);
    const bench = common('embedded', ledger, network, identities);
    return {
      ...bench,
      embedded: ledger,
      referenceChaincode: () => openEmbeddedReference(options, network, bench.cast.platform),
    };
  }
  // The Fabric ledger keeps its event checkpoint there, as the gateway does.
  await mkdir(join(dataDir, 'gateway'), { recursive: true });
  const { ledger, network, identities } = await openLedger(config, pino({ level: 'warn' }));
  const bench = common('fabric', ledger, network, identities);
  return { ...bench, referenceChaincode: () => openReference(config.fabricProfileDir, bench.cast.platform) };
}

/** The reference chaincode, bench/reference-chaincode, on an embedded ledger of its own beside the benchmark's. */
async function openEmbeddedReference(
  options: EmbeddedNetworkOptions,
  network: NetworkConfig,
  mspId: string,
): Promise<ReferenceChaincode> {
  const { contracts } = createRequire(import.meta.url)('../reference-chaincode/index.cjs') as {
    contracts: unknown[];
  };
  const reference = { name: 'kv', contracts };
  const dataDir = join(options.dataDir, 'kv-reference');
  const ledger = await openEmbeddedLedger({ ...options, dataDir }, network, reference);
  const user = await ledger.enrolUser(mspId, 'bench', { role: 'operator' }).catch(async (error: unknown) => {
    await ledger.close();
    throw error;
  });
  return {
    put: async (key, value) => {
      await ledger.submit(user, 'kv:put', { arguments: [key, value] });
    },
    close: () => ledger.close(),
  };
}

function common(
  backend: Backend,
  ledger: LedgerPort,
  network: NetworkConfig,
  identities: IdentityProvider,
): Omit<BenchLedger, 'referenceChaincode'> {
  return {
    backend,
    ledger,
    client: new LedgerClient(ledger, identities, ledgerClientOptions(backend)),
    network,
    cast: castOf(network),
    user: (mspId, name, role) => identities.identityFor({ mspId, user: name, role }),
    close: () => ledger.close(),
  };
}

/** The first organisation of each role a benchmark needs; throws if the network lacks one. */
export function castOf(network: NetworkConfig): Cast {
  const first = (role: OrgRole): string | undefined =>
    network.organisations.find((o) => o.role === role)?.mspId;
  const required = (role: OrgRole): string => {
    const mspId = first(role);
    if (mspId === undefined) throw new Error(`the network has no ${role} organisation`);
    return mspId;
  };
  const platform = required('platform');
  return {
    platform,
    payment: first('payment') ?? platform,
    post: required('post'),
    customs: network.customsMspId,
  };
}

/** Where a benchmark writes its result: `<name>.json`, or `<name>-fabric.json` measured on Fabric. */
export function resultFile(name: string, backend: Backend, extension = 'json'): string {
  return `bench-results/${name}${backend === 'fabric' ? '-fabric' : ''}.${extension}`;
}
