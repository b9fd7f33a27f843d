import { join } from 'node:path';
import { Level } from 'level';
import { isWriteFailure, reopenStore } from './reopen.js';

/**
 * The gateway's own LevelDB: audit log, idempotency records, event index and checkpoints, each in
 * a sublevel of its own. String keys, binary values.
 */
export type GatewayStore = Level<string, Uint8Array>;

/** Where a gateway keeps its store in DATA_DIR. */
export const gatewayStorePath = (dataDir: string): string => join(dataDir, 'gateway', 'store');

/** Opens a gateway store at `location`, creating it unless `createIfMissing` is false. */
export async function openGatewayStore(
  location: string,
  { createIfMissing = true }: { createIfMissing?: boolean } = {},
): Promise<GatewayStore> {
  const db = new Level<string, Uint8Array>(location, {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
    createIfMissing,
  });
  await db.open();
  reopenAfterFailedWrites(db);
  return db;
}

/** The methods through which the gateway's modules read and write its store. */
const READS = ['get', 'getMany'] as const;
const WRITES = ['put', 'del', 'batch'] as const;
type Method = (...args: unknown[]) => unknown;

/**
 * After a write the disk refused, the next write first reopens the store (storage/reopen.ts says
 * why). Every write, through whichever sublevel, reaches the root's `put`, `del` or `batch`: that
 * is where a failure is seen and the reopening started. Meanwhile the store's and its sublevels'
 * point reads and writes wait for it (a sublevel refuses any call while it is closed). An iterator
 * made while the store closes fails like any on a closed store; only a full disk's aftermath
 * pays that.
 */
function reopenAfterFailedWrites(db: GatewayStore): void {
  const sublevels: { open(): Promise<void> }[] = [];
  let failed = false;
  let reopening: Promise<void> | undefined;
  const settled = () => reopening?.catch(() => undefined);
  const wrap = (target: object, name: string, before: () => Promise<void> | undefined, root: boolean) => {
    const methods = target as Record<string, Method>;
    const original = methods[name]!;
    methods[name] = (...args: unknown[]) =>
      // A chained batch (batch() with no arguments) is written by its own write(): none of ours is.
      name === 'batch' && args.length === 0 ? original.apply(target, args) : guarded(args);
    const guarded = async (args: unknown[]) => {
      await before();
      try {
        return await original.apply(target, args);
      } catch (error) {
        if (root && isWriteFailure(error)) failed = true;
        throw error;
      }
    };
  };
  const startReopening = () => {
    if (failed) {
      reopening ??= reopenStore(db, db.location, sublevels)
        .then(() => {
          failed = false;
        })
        .finally(() => {
          reopening = undefined;
        });
    }
    return reopening;
  };
  for (const name of READS) wrap(db, name, settled, true);
  for (const name of WRITES) wrap(db, name, startReopening, true);
  const { sublevel } = db;
  db.sublevel = ((...args: Parameters<typeof sublevel>) => {
    const created = sublevel.apply(db, args);
    sublevels.push(created);
    for (const name of [...READS, ...WRITES]) wrap(created, name, settled, false);
    return created;
  }) as typeof sublevel;
}
