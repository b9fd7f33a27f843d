import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import {
  collectionsConfigFor,
  customsToCarrierCollection,
  isCarrierRole,
  parseNetworkConfig,
} from '@customs-ledger/chaincode';
import { loadConfig } from '../../gateway/src/config.js';
import { startGateway, type RunningGateway } from '../../gateway/src/server.js';

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly dataDir: string;
  /** Calls the API as a demo user (by user name, e.g. 'platforma-operator'). */
  as(user: string): ApiClient;
  /** Whether this network has the demo user (a Fabric network may have fewer organisations). */
  has(user: string): boolean;
  /** The Prometheus text of /metrics, read with the metrics token. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The backend of the suites that run on both ledgers: the embedded ledger, or with LEDGER=fabric
 * (set by `npm run test:fabric`) the running network of network/network.sh.
 */
export function scenarioBackend(): Record<string, string> {
  if (process.env.LEDGER !== 'fabric') return {};
  return {
    LEDGER: 'fabric',
    FABRIC_PROFILE_DIR: process.env.FABRIC_PROFILE_DIR ?? join(root, 'network', 'organizations', 'gateway'),
  };
}

/**
 * The network's collections without those from customs to each carrier, as a network deployed before
 * chaincode 1.1 has them, written to a file in `dir` (its path is returned). A gateway started with it
 * (COLLECTIONS_CONFIG) runs today's chaincode on a definition that lacks them, as a network does
 * whose upgrade was committed with its old collections: every assessment that leaves the carrier
 * something to collect fails, writing where the definition has no collection.
 */
export async function collectionsBeforeCarrierInstructions(dir: string): Promise<string> {
  const network = parseNetworkConfig(
    JSON.parse(await readFile(join(root, 'config/organisations.json'), 'utf8')),
  );
  const carriers = new Set(
    network.organisations
      .filter((org) => isCarrierRole(org.role))
      .map((org) => customsToCarrierCollection(org.mspId, network.customsMspId)),
  );
  const path = join(dir, 'collections-before-1.1.json');
  await writeFile(path, JSON.stringify(collectionsConfigFor(network).filter((c) => !carriers.has(c.name))));
  return path;
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface ApiClient {
  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
}

/**
 * A real gateway on a free port with its data in a temporary directory, over a fresh embedded
 * ledger unless `env` names another backend (see scenarioBackend).
 */
export async function startTestGateway(
  env: Record<string, string> = {},
  /** An existing data directory, kept on close (the caller removes it); default a fresh one, removed. */
  existingDataDir?: string,
  /** Where the gateway logs; default stdout at LOG_LEVEL, silent unless `env` sets it. */
  logger: Logger = pino({ level: env.LOG_LEVEL ?? 'silent' }),
): Promise<TestGateway> {
  const dataDir = existingDataDir ?? (await mkdtemp(join(tmpdir(), 'gateway-test-')));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const gateway = await startGateway(config, logger);
  const keyOf = (user: string): string => {
    const credential = gateway.credentials.find((c) => c.user === user);
    if (!credential) throw new Error(`no demo user ${user}`);
    return credential.apiKey;
  };
  return {
    gateway,
    dataDir,
    as: (user) => client(gateway.url, { Authorization: `Bearer ${keyOf(user)}` }),
    has: (user) => gateway.credentials.some((c) => c.user === user),
    metrics: async () => {
      const res = await fetch(`${gateway.url}/metrics`, {
        headers: { Authorization: `Bearer ${gateway.metricsToken}` },
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${text}`);
      return text;
    },
    close: async () => {
      await gateway.close();
      if (existingDataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function client(baseUrl: string, defaults: Record<string, string> = {}): ApiClient {
  const call = async <T>(method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...defaults,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (an SSE stream or HTML page): keep the text.
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
  return {
    get: (path, headers = {}) => call('GET', path, undefined, headers),
    post: (path, body, headers = {}) => call('POST', path, body, headers),
  };
}
