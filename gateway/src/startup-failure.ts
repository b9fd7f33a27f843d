import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseNetworkConfig, type NetworkConfig } from '@customs-ledger/chaincode';
import { ApiKeyFileError } from './auth/api-keys.js';
import type { GatewayConfig } from './config.js';
import {
  ConnectionProfileError,
  NETWORK_PROFILE_FILE,
  PROFILE_NOT_FOUND,
} from './ledger/fabric/connection-profile.js';
import { isLockedStore, lockedStoreMessage } from './storage/store-lock.js';

/** Where HOST may point: said whenever it cannot be listened on. */
const HOST_HINT =
  'set HOST to an address of this machine (0.0.0.0: all of them, 127.0.0.1: this machine only)';

/**
 * What the operator can act on, in one line, for the start-up failures a configuration or another
 * process causes: a data directory another gateway holds or the file system refuses, an API key
 * file that holds no keys, a port in use or not allowed, a HOST that is no address here. Undefined
 * for anything else (a bug, whose stack is the useful part).
 */
export function explainStartupFailure(error: unknown, config: GatewayConfig): string | undefined {
  if (error instanceof ConnectionProfileError) return explainProfileError(error, config);
  if (isLockedStore(error)) {
    return lockedStoreMessage(config.dataDir, 'stop that gateway, or start this one with another DATA_DIR');
  }
  if (error instanceof ApiKeyFileError) return `${error.message}: correct it, or restore it from a copy`;
  const unusable = dataDirProblem(error, config.dataDir);
  if (unusable !== undefined) return `DATA_DIR ${config.dataDir} cannot be used: ${unusable}`;
  const { code, syscall } = (error ?? {}) as { code?: string; syscall?: string };
  const where = `${config.host} port ${config.port}`;
  if (syscall === 'listen' && code === 'EADDRINUSE') {
    return `${where} is already in use (another gateway, or another program): stop it, or set PORT to a free port`;
  }
  if (syscall === 'listen' && code === 'EACCES') {
    return `not allowed to listen on ${where} (ports below 1024 need privileges): set PORT to 1024 or above`;
  }
  if (syscall === 'listen' && code === 'EADDRNOTAVAIL') {
    return `HOST ${config.host} is not an address of this machine: ${HOST_HINT}`;
  }
  if (syscall === 'getaddrinfo') {
    return `HOST ${config.host} does not resolve to an address (${code ?? 'lookup failed'}): ${HOST_HINT}`;
  }
  return undefined;
}

/**
 * What the file system refused in the data directory or on the way to it (a file where a directory
 * goes, no permission, a read-only file system, no space), if that is the failure.
 */
function dataDirProblem(error: unknown, dataDir: string): string | undefined {
  // LevelDB reports a store it could not open as such, with the file system's refusal as its cause:
  // Node's error when it creates the store's directory, its own IO error on a file in it.
  const { cause } = (error ?? {}) as { cause?: unknown };
  const refusal = (cause ?? error) as { code?: string; syscall?: string; path?: string; message?: string };
  const levelIo = refusal?.code === 'LEVEL_IO_ERROR' ? LEVEL_IO_REFUSAL.exec(refusal.message ?? '') : null;
  const path = levelIo ? levelIo[1]! : refusal?.path;
  const known = FILE_SYSTEM_REFUSALS[(levelIo ? LEVEL_IO_CODES[levelIo[2]!] : refusal?.code) ?? ''];
  // Within the data directory, or the directories it is to be made in.
  if (!known || typeof path !== 'string' || !(isWithin(path, dataDir) || isWithin(dataDir, path))) {
    return undefined;
  }
  return `${refusal.syscall ?? 'open'} ${path}: ${known.why}; ${known.remedy}`;
}

/** LevelDB's IO error on a file, for the refusals an operator mends (as its env_posix words them). */
const LEVEL_IO_REFUSAL =
  /^IO error: (\/.+?): (Permission denied|Read-only file system|No space left on device|File too large)$/;
/** The code Node gives each of those refusals. */
const LEVEL_IO_CODES: Record<string, string> = {
  'Permission denied': 'EACCES',
  'Read-only file system': 'EROFS',
  'No space left on device': 'ENOSPC',
  'File too large': 'EFBIG',
};

const WRITABLE = 'set DATA_DIR to a directory this user can write, or mend that one';
const FILE_SYSTEM_REFUSALS: Record<string, { why: string; remedy: string }> = {
  ENOTDIR: { why: 'a file is where a directory goes', remedy: WRITABLE },
  EEXIST: { why: 'a file is where a directory goes', remedy: WRITABLE },
  EACCES: { why: 'permission denied', remedy: WRITABLE },
  EPERM: { why: 'permission denied', remedy: WRITABLE },
  EROFS: { why: 'the file system is read-only', remedy: WRITABLE },
  ENOSPC: {
    why: 'no space left on device',
    remedy: 'free space on its device, or set DATA_DIR to a directory on another',
  },
  EFBIG: {
    why: 'the file-size limit is reached',
    remedy: 'raise the file-size limit (ulimit -f) of the user that runs the gateway',
  },
};

const isWithin = (path: string, dir: string): boolean => {
  const from = relative(resolve(dir), resolve(path));
  return !from.startsWith('..') && !isAbsolute(from);
};

/**
 * A connection profile missing or wrong: the network is not up (no network.json), GATEWAY_MSP names
 * an organisation the network has no profile of, or a profile the network scripts wrote is wrong.
 */
function explainProfileError(error: ConnectionProfileError, config: GatewayConfig): string {
  const file = basename(error.file);
  if (error.problem === PROFILE_NOT_FOUND && file === NETWORK_PROFILE_FILE) {
    return `${error.message}: bring the network up and deploy the chaincode (npm run network:up, npm run network:deploy), or set FABRIC_PROFILE_DIR to the folder of its connection profiles`;
  }
  if (error.problem === PROFILE_NOT_FOUND && file === `${config.gatewayMspId}.json`) {
    return `${error.message}: GATEWAY_MSP ${config.gatewayMspId} is not an organisation of the running network; set it to one whose profile is in ${dirname(error.file)}`;
  }
  return `${error.message} (a connection profile network/network.sh wrote in FABRIC_PROFILE_DIR)`;
}

/** A start-up failure already explained: printed as its message alone. */
export class StartupFailure extends Error {
  override readonly name = 'StartupFailure';
}

/**
 * Reads and checks the files the embedded ledger's settings name, and that GATEWAY_MSP is one of
 * the network's organisations, before anything is opened or written: a wrong one is a line naming
 * the setting (StartupFailure), not a stack from inside the ledger, and leaves no data directory
 * set up for a start that cannot succeed. On Fabric the network's profiles name the files, and
 * their errors are explained as they arise (explainStartupFailure).
 */
export async function checkSettingFiles(config: GatewayConfig): Promise<void> {
  if (config.ledger !== 'embedded') return;
  const network = await settingFile(
    'NETWORK_CONFIG',
    config.networkConfigPath,
    "the network's organisations file (default ./config/organisations.json)",
    (json) => parseNetworkConfig(json),
  );
  const { loadCollectionsConfig } = await import('./ledger/embedded/collections.js');
  await settingFile(
    'COLLECTIONS_CONFIG',
    config.collectionsConfigPath,
    'the collections file generated from it (default ./chaincode/collections_config.json)',
    (json) => loadCollectionsConfig(json, { channelOrgs: mspIds(network) }),
  );
  if (!mspIds(network).includes(config.gatewayMspId)) {
    throw new StartupFailure(
      `GATEWAY_MSP ${config.gatewayMspId} is not an organisation of the network in ${config.networkConfigPath}: set it to the one that operates this gateway, one of ${mspIds(network).join(', ')}`,
    );
  }
}

const mspIds = (network: NetworkConfig): string[] => network.organisations.map((org) => org.mspId);

const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'not readable by this user',
  EISDIR: 'a directory, not a file',
};

async function settingFile<T>(
  setting: string,
  path: string,
  what: string,
  parse: (json: unknown) => T,
): Promise<T> {
  // One line: a parser's message may quote the file, line breaks and all.
  const refused = (problem: string) =>
    new StartupFailure(`${setting} ${path}: ${problem.replace(/\s+/g, ' ')}; set ${setting} to ${what}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    throw refused(UNREADABLE[code] ?? (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw refused(`not JSON (${(error as Error).message})`);
  }
  try {
    return parse(json);
  } catch (error) {
    throw refused((error as Error).message);
  }
}
