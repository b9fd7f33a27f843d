/** The part of classic-level (what `level` is on Node) that `level`'s own typings leave out. */
interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

/**
 * Makes deleted keys' values physically go away. LevelDB keeps an overwritten or deleted value in
 * its write-ahead log and in older table files until a compaction merges them with the deletion;
 * compacting a range flushes the memtable, which starts a new log and removes the old one, and
 * rewrites every table file overlapping the range, level by level, down to the last. A purge
 * of personal data is only a purge once this has run. Keys are as the root database sees them
 * (with their sublevel prefix); each is compacted on its own so the work stays proportional to
 * what was purged, not to the size of the store.
 */
export async function compactKeys(db: unknown, keys: readonly string[]): Promise<void> {
  const compactable = db as Partial<Compactable>;
  if (typeof compactable.compactRange !== 'function') {
    throw new Error('this LevelDB binding cannot compact: purged values would stay in its files');
  }
  for (const key of keys) await compactable.compactRange.call(db, key, key);
}
