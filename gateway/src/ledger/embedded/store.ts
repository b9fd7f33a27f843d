import { Level } from 'level';
import { LRUCache } from 'lru-cache';
import type { AbstractSublevel } from 'abstract-level';
import { decodeVersioned, type Version } from './version.js';
import { compactKeys } from '../../storage/compaction.js';
import { isWriteFailure, reopenStore } from '../../storage/reopen.js';

/** The savepoint key under which a block that purged private data leaves the keys to compact. */
const PENDING_PURGES = 'purged';

/**
 * The table files LevelDB keeps open. It maps each into memory, and the pages that reads touch
 * count in the gateway's RSS until the table leaves LevelDB's table cache. With its default (1,000
 * open files) a 1M-event store (737 tables) read across kept 354 MB of them resident; with 64,
 * 120–148 MB, and reads and the load measured the same (bench/README.md, session 14). 64 is also
 * the fewest LevelDB keeps: it raises max_open_files to at least 64 + its 10 other files
 * (SanitizeOptions), so a lower value here changes nothing (session 24).
 */
export const OPEN_TABLES = 64;
const LEVEL_OPTIONS = {
  keyEncoding: 'utf8',
  valueEncoding: 'view',
  // LevelDB keeps 10 of its open files for its log, manifest and lock.
  maxOpenFiles: OPEN_TABLES + 10,
} as const;

type Sub = AbstractSublevel<Level<string, Uint8Array>, string | Buffer | Uint8Array, string, Uint8Array>;

/** One `level` batch operation; a whole block is committed as one atomic batch of these. */
export type StoreOp =
  | { type: 'put'; sublevel: Sub; key: string; value: Uint8Array }
  | { type: 'del'; sublevel: Sub; key: string };

export interface VersionedValue {
  readonly version: Version;
  readonly value: Uint8Array;
}

export interface RangeEntry extends VersionedValue {
  readonly key: string;
}

/** What the read caches hold now, and what they may hold, in the bytes their budget counts. */
export interface CacheUsage {
  readonly bytes: number;
  readonly budgetBytes: number;
}

/**
 * The peer's persistent stores, each a sublevel of one LevelDB so that a block commits atomically:
 * public state, state metadata (key-level endorsement policies), private data, private data hashes,
 * history, blocks, the transaction index, and the savepoint.
 */
export class LedgerStore {
  readonly state: Sub;
  readonly metadata: Sub;
  readonly privateMetadata: Sub;
  readonly privateData: Sub;
  readonly privateHashes: Sub;
  readonly history: Sub;
  readonly blocks: Sub;
  readonly transactions: Sub;
  readonly savepoint: Sub;

  /**
   * Read-through caches, bounded in bytes, of the sublevels every transaction reads (a missing key
   * is cached as null); only `write` changes them.
   */
  private readonly caches = new Map<Sub, LRUCache<string, Uint8Array | typeof ABSENT>>();
  /**
   * Partial composite key queries of public state (a consignment's records, movements, decisions…),
   * by start key: every read of a consignment makes several. A write drops the queries whose prefix
   * its key extends.
   */
  private readonly ranges: LRUCache<string, readonly RangeEntry[]>;
  /** A key's history rows, newest first, by history prefix: a write of the key drops them. */
  private readonly histories: LRUCache<string, readonly Uint8Array[]>;
  /**
   * Bumped by every write, so that a range or history read (an iterator, which a commit can
   * overtake) never caches what it read before that commit.
   */
  private epoch = 0;
  /** Every sublevel above: reopen opens them again with the store. */
  private readonly sublevels: Sub[] = [];
  /** A write failed on the disk since the store was opened: reopen it before the next (reopen). */
  private writeFailed = false;

  private constructor(
    readonly db: Level<string, Uint8Array>,
    private readonly cacheBytes: number,
    private readonly durable: boolean,
  ) {
    const sub = (name: string): Sub => {
      const created = db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
      this.sublevels.push(created);
      return created;
    };
    this.state = sub('state');
    this.metadata = sub('meta');
    this.privateMetadata = sub('pvtmeta');
    this.privateData = sub('pvt');
    this.privateHashes = sub('pvthash');
    this.history = sub('history');
    this.blocks = sub('blocks');
    this.transactions = sub('txids');
    this.savepoint = sub('savepoint');
    // The transaction index is read by every history (the block of each entry) and never changes.
    const cached = [this.state, this.metadata, this.privateMetadata, this.privateHashes, this.transactions];
    // Half the budget for point reads (mostly public state), a quarter each for range queries and histories.
    const share = Math.max(1, Math.floor(cacheBytes / 2 / cached.length));
    for (const sublevel of cached) {
      this.caches.set(
        sublevel,
        new LRUCache({
          maxSize: share,
          sizeCalculation: (value, key) =>
            ENTRY_BYTES + key.length + (value === ABSENT ? 0 : VALUE_BYTES + value.byteLength),
        }),
      );
    }
    this.histories = new LRUCache({
      maxSize: Math.max(1, Math.floor(cacheBytes / 4)),
      sizeCalculation: (rows, prefix) =>
        rows.reduce((n, row) => n + HISTORY_ROW_BYTES + row.byteLength, ENTRY_BYTES + prefix.length),
    });
    this.ranges = new LRUCache({
      maxSize: Math.max(1, Math.floor(cacheBytes / 4)),
      sizeCalculation: (entries, start) =>
        entries.reduce(
          (n, e) => n + RANGE_ROW_BYTES + e.key.length + e.value.byteLength,
          RANGE_BYTES + start.length,
        ),
    });
  }

  /**
   * `cacheBytes`: what the read caches may hold in all, roughly (keys, values and bookkeeping).
   * `durable: false` for a scratch store that is thrown away if the process dies (the auditor's
   * replay of a ledger): syncing each batch to the disk would only slow it down.
   */
  static async open(
    location: string,
    { cacheBytes = 64 * 1024 * 1024, durable = true } = {},
  ): Promise<LedgerStore> {
    const db = new Level<string, Uint8Array>(location, LEVEL_OPTIONS);
    await db.open();
    const store = new LedgerStore(db, cacheBytes, durable);
    // A crash between a purge's commit and its compaction left the purged values in the files.
    await store.compactPurged();
    return store;
  }

  /**
   * Opens a store that must already exist, for reading it offline (the auditor CLI): never creates
   * an empty one in a mistyped directory. LevelDB allows one process per store, so this fails with
   * cause code LEVEL_LOCKED while a gateway has it open.
   */
  static async openExisting(location: string): Promise<LedgerStore> {
    const db = new Level<string, Uint8Array>(location, { ...LEVEL_OPTIONS, createIfMissing: false });
    await db.open();
    return new LedgerStore(db, 1, true);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Whether a write failed since the store was opened, so that it must be reopened first. */
  get needsReopen(): boolean {
    return this.writeFailed;
  }

  /**
   * Reopens the store after a failed write (storage/reopen.ts says why) and forgets what the caches
   * hold: the failed batch may or may not be in the reopened store. The caller holds the commit
   * lock exclusively, so that no simulation reads the store while it is closed.
   */
  async reopen(): Promise<void> {
    await reopenStore(this.db, this.db.location, this.sublevels);
    for (const cache of this.caches.values()) cache.clear();
    this.ranges.clear();
    this.histories.clear();
    this.epoch += 1;
    this.writeFailed = false;
  }

  /**
   * Before a block that purges these keys of the private data sublevel is written: moves their
   * values out of the memtable into table files. LevelDB never rewrites the deepest table file
   * holding a key, so a value flushed into one table together with its deletion would stay there
   * for good; flushed first, it lies below the deletion, and compaction merges the two.
   */
  async flushBeforePurge(keys: readonly string[]): Promise<void> {
    await this.compactPrivateData(keys);
  }

  /**
   * The operation that records, in the same atomic batch as a block that purges private data,
   * which keys (of the private data sublevel) still have to be compacted away: these, and those of
   * an earlier purge whose compaction failed, which this record would otherwise overwrite.
   */
  pendingPurgeOp(keys: readonly string[]): StoreOp {
    const stillPending = this.savepoint.getSync(PENDING_PURGES);
    const all = new Set([...(stillPending === undefined ? [] : decodeKeys(stillPending)), ...keys]);
    return {
      type: 'put',
      sublevel: this.savepoint,
      key: PENDING_PURGES,
      value: Buffer.from(JSON.stringify([...all])),
    };
  }

  /**
   * Compacts the keys that pendingPurgeOp recorded, then forgets them: only then is no earlier
   * version of a purged private value left in the log or table files. If it fails, they stay
   * recorded, for the next purge or the next open.
   */
  async compactPurged(): Promise<void> {
    const pending = await this.savepoint.get(PENDING_PURGES);
    if (pending === undefined) return;
    await this.compactPrivateData(decodeKeys(pending));
    await this.savepoint.del(PENDING_PURGES);
  }

  /** Compacts keys of the private data sublevel (flushing the memtable first, as LevelDB does). */
  private async compactPrivateData(keys: readonly string[]): Promise<void> {
    await compactKeys(
      this.db,
      keys.map((key) => this.privateData.prefix + key),
    );
  }

  async write(ops: StoreOp[]): Promise<void> {
    // A chained batch, not an array: abstract-level copies and re-encodes each operation of an
    // array, and classic-level reads it back property by property, about 5 µs an operation on the
    // event loop against 1 µs (a block holding one batch of 100 creates makes about 700). The keys
    // are prefixed here (the sublevels encode as the root does): the sublevel option costs more.
    const batch = this.db.batch();
    try {
      for (const op of ops) {
        const key = op.sublevel.prefix + op.key;
        if (op.type === 'put') batch.put(key, op.value);
        else batch.del(key);
      }
    } catch (error) {
      await batch.close();
      throw error;
    }
    // sync: an acknowledged block must survive a crash of the machine, not only of the process.
    try {
      await batch.write({ sync: this.durable });
    } catch (error) {
      if (isWriteFailure(error)) this.writeFailed = true;
      throw error;
    }
    this.epoch += 1;
    for (const op of ops) {
      this.caches.get(op.sublevel)?.set(op.key, op.type === 'put' ? owned(op.value) : ABSENT);
      if (op.sublevel === this.state) {
        for (const prefix of compositePrefixes(op.key)) this.ranges.delete(prefix);
      }
      if (op.sublevel === this.history) this.histories.delete(op.key.slice(0, -HISTORY_VERSION_LENGTH));
    }
  }

  /**
   * A committed value; cached for the sublevels every transaction reads. Read synchronously: a
   * point read costs LevelDB a few microseconds, a trip through libuv's thread pool about 20 µs of
   * CPU more. What it caches while a commit is in flight, that commit overwrites when it completes.
   */
  read(sub: Sub, key: string): Uint8Array | undefined {
    const cache = this.caches.get(sub);
    if (!cache) return sub.getSync(key);
    const cached = cache.get(key);
    if (cached !== undefined) return cached === ABSENT ? undefined : cached;
    const bytes = sub.getSync(key);
    cache.set(key, bytes === undefined ? ABSENT : owned(bytes));
    return bytes;
  }

  getVersioned(sub: Sub, key: string): VersionedValue | undefined {
    const bytes = this.read(sub, key);
    return bytes === undefined ? undefined : decodeVersioned(bytes);
  }

  /** What the read caches hold now, against their budget. */
  cacheUsage(): CacheUsage {
    let bytes = this.ranges.calculatedSize + this.histories.calculatedSize;
    for (const cache of this.caches.values()) bytes += cache.calculatedSize;
    return { bytes, budgetBytes: this.cacheBytes };
  }

  /** The history rows of a state key, newest first (as Fabric's history database answers). */
  async historyOf(key: string): Promise<readonly Uint8Array[]> {
    const prefix = historyPrefix(key);
    const cached = this.histories.get(prefix);
    if (cached) return cached;
    const epoch = this.epoch;
    const rows: Uint8Array[] = [];
    for await (const page of pages(
      this.history.values({ gte: prefix, lt: prefix + MAX_UNICODE_RUNE, reverse: true }),
    )) {
      rows.push(...page);
    }
    if (epoch === this.epoch) this.histories.set(prefix, rows.map(owned));
    return rows;
  }

  /** Iterates [start, end) in byte order; an empty end means unbounded. */
  async *range(sub: Sub, start: string, end: string, limit = -1): AsyncGenerator<RangeEntry> {
    const cacheable = sub === this.state && limit === -1 && isPartialCompositeKeyQuery(start, end);
    if (cacheable) {
      const cached = this.ranges.get(start);
      if (cached) {
        yield* cached;
        return;
      }
    }
    const epoch = this.epoch;
    const seen: RangeEntry[] = [];
    const options: { gte: string; lt?: string; limit: number } = { gte: start, limit };
    if (end !== '') options.lt = end;
    // Page by page: iterated entry by entry, classic-level fetches one entry and then a thousand,
    // two trips to LevelDB's thread pool for even a small range, at about three times the CPU.
    for await (const page of pages(sub.iterator(options))) {
      for (const [key, bytes] of page) {
        const entry = { key, ...decodeVersioned(bytes) };
        if (cacheable && seen.length < MAX_CACHED_RANGE) seen.push({ ...entry, value: owned(entry.value) });
        yield entry;
      }
    }
    // Cached only when read to the end, whole, with no commit in between.
    if (cacheable && seen.length < MAX_CACHED_RANGE && epoch === this.epoch) this.ranges.set(start, seen);
  }
}

export type Sublevel = Sub;

/** A cached miss (lru-cache holds no null or undefined). */
const ABSENT = Symbol('absent');
/*
 * What the caches' entries cost in memory besides the characters of their keys (one byte each: V8
 * keeps Latin-1 strings so) and the bytes of their values, measured on Node 20 with forced
 * collections (test/embedded/store-cache-memory.test.ts holds the budget to it): an entry's slot in
 * the LRU's map and lists with its key's string header; the same for a range query's result, which
 * costs more; a Uint8Array with an ArrayBuffer of its own; a history row (as LevelDB returned it);
 * a range row (its object, version, key and value).
 */
const ENTRY_BYTES = 230;
const RANGE_BYTES = 320;
const VALUE_BYTES = 200;
const HISTORY_ROW_BYTES = 300;
const RANGE_ROW_BYTES = 410;
/** Larger query results are not cached (a consignment has a handful of each kind of key). */
const MAX_CACHED_RANGE = 1_000;
/**
 * Entries an iterator reads from LevelDB at a time: first what a consignment's query finds (a
 * handful), then many. classic-level reserves a page's room (64 bytes an entry) in the addon's
 * memory and frees it only when V8 collects the iterator, which V8 does not hurry for memory it
 * cannot see: with thousand-entry pages, 3,000 history reads spread over a store of 1M events left
 * about 220 MB of it behind.
 */
const FIRST_PAGE = 16;
const PAGE = 1_000;
/** Fabric composite keys: U+0000, the object type and each attribute followed by U+0000. */
const SEPARATOR = '\u0000';
/** The end Fabric gives a partial composite key query: its start followed by the highest rune. */
const MAX_UNICODE_RUNE = '\u{10FFFF}';

/**
 * The bytes in an ArrayBuffer of their own. A cached view into a shared buffer (Node's 8 KiB
 * allocation pool, a versioned value's encoding, a LevelDB read batch) would keep all of it alive:
 * the soak's memory grew by 25 MB a minute until cached values were copied out.
 */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : Uint8Array.prototype.slice.call(bytes);
}

/** An iterator's entries to its end, page by page (FIRST_PAGE, then PAGE); closes it. */
export async function* pages<T>(iterator: {
  nextv(size: number): Promise<T[]>;
  close(): Promise<void>;
}): AsyncGenerator<T[]> {
  try {
    for (let size = FIRST_PAGE; ; size = PAGE) {
      const page = await iterator.nextv(size);
      if (page.length === 0) return;
      yield page;
    }
  } finally {
    await iterator.close();
  }
}

/**
 * Whether [start, end) is a partial composite key query, the only kind of range a write drops from
 * the cache (its start is one of compositePrefixes of every key in it), and so the only kind cached.
 * getStateByRange may be given a plain key ending in U+0000 and the same end: no write under it
 * would ever drop it.
 */
function isPartialCompositeKeyQuery(start: string, end: string): boolean {
  return (
    start.length > 1 &&
    start.startsWith(SEPARATOR) &&
    start.endsWith(SEPARATOR) &&
    end === start + MAX_UNICODE_RUNE
  );
}

/** The partial composite key queries whose results a write of `key` changes: each prefix of it. */
function compositePrefixes(key: string): string[] {
  if (!key.startsWith(SEPARATOR)) return [];
  const prefixes: string[] = [];
  for (let i = key.indexOf(SEPARATOR, 1); i !== -1; i = key.indexOf(SEPARATOR, i + 1)) {
    prefixes.push(key.slice(0, i + 1));
  }
  return prefixes;
}

/** The keys of a pending purge, as pendingPurgeOp records them. */
function decodeKeys(bytes: Uint8Array): string[] {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as string[];
}

/** Fixed-width, order-preserving encodings used inside store keys. */
export const blockKey = (n: bigint | number): string => BigInt(n).toString(16).padStart(16, '0');

/**
 * History rows sort by key, then by height; the key is length-prefixed because Fabric keys may
 * contain U+0000, so no separator character could be unambiguous.
 */
/** The block and transaction numbers that end a history row's key. */
const HISTORY_VERSION_LENGTH = 16 + 8;

export function historyKey(key: string, version: Version): string {
  return `${historyPrefix(key)}${blockKey(version.blockNum)}${version.txNum.toString(16).padStart(8, '0')}`;
}

export function historyPrefix(key: string): string {
  return `${key.length.toString(16).padStart(8, '0')}${key}`;
}

/** Private data lives per collection; the collection name never contains U+0000. */
export const collectionKey = (collection: string, key: string): string => `${collection}\u0000${key}`;
