import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import {
  gatewayStorePath,
  openGatewayStore as openStore,
  type GatewayStore,
} from '../../gateway/src/storage/gateway-store.js';
import { isLockedStore, lockedStoreMessage } from '../../gateway/src/storage/store-lock.js';
import { UnavailableError, type Io } from './io.js';

/*
 * Offline checks read a gateway's DATA_DIR directly: the embedded ledger in <dir>/ledger and the
 * gateway's own store (audit log) in <dir>/gateway/store. LevelDB lets one process open a store,
 * so a running gateway keeps them locked; the auditor works on a stopped gateway's directory or a
 * copy of it (cp -a of a stopped one, or a filesystem snapshot), and says so when it finds a lock.
 */

export const ledgerPath = (dataDir: string): string => join(dataDir, 'ledger');

/** DATA_DIR as the gateway resolves it: the option, else the environment, else ./data. */
export function resolveDataDir(option: string | undefined, env: Io['env'], cwd: string): string {
  return resolve(cwd, option ?? env.DATA_DIR ?? './data');
}

/** Opens the embedded ledger's store without creating anything. */
export async function openLedgerStore(dataDir: string): Promise<LedgerStore> {
  const location = ledgerPath(dataDir);
  await mustExist(location, `no embedded ledger in ${dataDir} (expected ${location})`);
  try {
    return await LedgerStore.openExisting(location);
  } catch (error) {
    throw explainOpenFailure(error, location);
  }
}

/** Opens the gateway's store (where the audit log lives) without creating anything. */
export async function openGatewayStore(dataDir: string): Promise<GatewayStore> {
  const location = gatewayStorePath(dataDir);
  await mustExist(location, `no gateway store in ${dataDir} (expected ${location})`);
  try {
    return await openStore(location, { createIfMissing: false });
  } catch (error) {
    throw explainOpenFailure(error, location);
  }
}

async function mustExist(path: string, message: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new UnavailableError(message);
  }
}

function explainOpenFailure(error: unknown, location: string): Error {
  if (isLockedStore(error)) {
    return new UnavailableError(
      lockedStoreMessage(
        location,
        'stop the gateway, or verify a copy of its data directory (--data-dir <copy>)',
      ),
    );
  }
  const cause = (error as { cause?: { message?: string } }).cause;
  return new UnavailableError(
    `cannot open ${location}: ${cause?.message ?? (error as Error).message ?? String(error)}`,
  );
}
