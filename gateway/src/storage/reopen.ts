import { statfs } from 'node:fs/promises';

/** What reopenStore needs of a LevelDB and of its sublevels (abstract-level's own interface). */
interface Openable {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The room a reopening needs: LevelDB writes what its log held as a table (at most a 4 MiB
 * memtable), a new manifest and a new log. Without it the store is left open as it is, so that
 * reads go on, and its writes are refused until there is.
 */
const ROOM_TO_REOPEN = 16 * 1024 * 1024;

/** A LevelDB write refused by the disk (LevelDB's IOError: a full disk, a failing device). */
export function isWriteFailure(error: unknown): boolean {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
  return code === 'LEVEL_IO_ERROR' || cause?.code === 'LEVEL_IO_ERROR';
}

/**
 * A store that could not serve the request now: a write the disk refused, or the store closed
 * while it reopens after one. The client may try again shortly.
 */
export function isStoreUnavailable(error: unknown): boolean {
  return (
    isWriteFailure(error) || (error as { code?: unknown } | undefined)?.code === 'LEVEL_DATABASE_NOT_OPEN'
  );
}

/**
 * Closes a LevelDB at `location` and opens it again, with its sublevels: abstract-level closes a
 * sublevel with its parent and opens it again only when told.
 *
 * Why after a failed write: LevelDB goes on after an append to its log fails (a full disk) with its
 * log writer out of step with the file, so the records it writes next land where recovery cannot
 * frame them, and writes acknowledged in between are gone at the next open. Opened again before
 * any further write, it recovers the log up to the torn record, keeps what it read in a table and
 * starts a fresh log. While the disk has no room for that, nothing is closed and this fails as the
 * write did (isWriteFailure); the caller tries again before its next write. Nothing else may
 * write to the store meanwhile.
 */
export async function reopenStore(
  db: Openable,
  location: string,
  sublevels: Iterable<Pick<Openable, 'open'>>,
): Promise<void> {
  const { bavail, bsize } = await statfs(location);
  if (bavail * bsize < ROOM_TO_REOPEN) {
    throw Object.assign(new Error(`IO error: the disk holding ${location} is still full`), {
      code: 'LEVEL_IO_ERROR',
    });
  }
  await db.close();
  await db.open();
  for (const sublevel of sublevels) await sublevel.open();
}
