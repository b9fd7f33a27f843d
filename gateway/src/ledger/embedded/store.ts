import { Level } from 'level';
import type { AbstractSublevel } from 'abstract-level';
import { decodeVersioned, type Version } from './version.js';
import { compactKeys } from '../../storage/compaction.js';

/** The savepoint key under which a block that purged private data leaves the keys to compact. */
const PENDING_PURGES = 'purged';

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

  /** Read-through caches of the sublevels every transaction reads; only `write` changes them. */
  private readonly caches = new Map<Sub, Map<string, Uint8Array | null>>();
  /** Bumped by every write, so a read that raced a commit never caches what it read before it. */
  private epoch = 0;

  private constructor(
    readonly db: Level<string, Uint8Array>,
    private readonly cacheLimit: number,
  ) {
    const sub = (name: string): Sub =>
      db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
    this.state = sub('state');
    this.metadata = sub('meta');
    this.privateMetadata = sub('pvtmeta');
    this.privateData = sub('pvt');
    this.privateHashes = sub('pvthash');
    this.history = sub('history');
    this.blocks = sub('blocks');
    this.transactions = sub('txids');
    this.savepoint = sub('savepoint');
    for (const cached of [this.state, this.metadata, this.privateMetadata, this.privateHashes]) {
      this.caches.set(cached, new Map());
    }
  }

  static async open(location: string, { cacheLimit = 100_000 } = {}): Promise<LedgerStore> {
    const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    const store = new LedgerStore(db, cacheLimit);
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
    const db = new Level<string, Uint8Array>(location, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
      createIfMissing: false,
    });
    await db.open();
    return new LedgerStore(db, 0);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /**
   * Before a block that purges these keys of the private data sublevel is written: moves their
   * values out of the memtable into table files. LevelDB never rewrites the deepest table file
   * holding a key, so a value flushed into one table together with its deletion would stay there
   * for good; flushed first, it lies below the deletion, and compaction merges the two.
   */
  async flushBeforePurge(keys: readonly string[]): Promise<void> {
    await compactKeys(
      this.db,
      keys.map((key) => this.privateData.prefix + key),
    );
  }

  /**
   * The operation that records, in the same atomic batch as a block that purges private data,
   * which keys (of the private data sublevel) still have to be compacted away.
   */
  pendingPurgeOp(keys: readonly string[]): StoreOp {
    return {
      type: 'put',
      sublevel: this.savepoint,
      key: PENDING_PURGES,
      value: Buffer.from(JSON.stringify(keys)),
    };
  }

  /**
   * Compacts the keys of the last purge recorded by pendingPurgeOp, then forgets them: only then is
   * no earlier version of a purged private value left in the log or table files.
   */
  async compactPurged(): Promise<void> {
    const pending = await this.savepoint.get(PENDING_PURGES);
    if (pending === undefined) return;
    const keys = JSON.parse(Buffer.from(pending).toString('utf8')) as string[];
    await compactKeys(
      this.db,
      keys.map((key) => this.privateData.prefix + key),
    );
    await this.savepoint.del(PENDING_PURGES);
  }

  async write(ops: StoreOp[]): Promise<void> {
    // sync: an acknowledged block must survive a crash of the machine, not only of the process.
    await this.db.batch(ops as never, { sync: true });
    this.epoch += 1;
    for (const op of ops) {
      const cache = this.caches.get(op.sublevel);
      if (cache) this.remember(cache, op.key, op.type === 'put' ? op.value : null);
    }
  }

  /** A committed value; cached for the sublevels every transaction reads. */
  async read(sub: Sub, key: string): Promise<Uint8Array | undefined> {
    const cache = this.caches.get(sub);
    if (!cache) return sub.get(key);
    const cached = cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const epoch = this.epoch;
    const bytes = await sub.get(key);
    if (epoch === this.epoch) this.remember(cache, key, bytes ?? null);
    return bytes;
  }

  async getVersioned(sub: Sub, key: string): Promise<VersionedValue | undefined> {
    const bytes = await this.read(sub, key);
    return bytes === undefined ? undefined : decodeVersioned(bytes);
  }

  private remember(cache: Map<string, Uint8Array | null>, key: string, value: Uint8Array | null): void {
    cache.delete(key);
    cache.set(key, value);
    // Maps iterate in insertion order, so the first keys are the least recently written or missed.
    if (cache.size > this.cacheLimit) {
      for (const oldest of cache.keys()) {
        cache.delete(oldest);
        if (cache.size <= this.cacheLimit * 0.9) break;
      }
    }
  }

  /** Iterates [start, end) in byte order; an empty end means unbounded. */
  async *range(sub: Sub, start: string, end: string, limit = -1): AsyncGenerator<RangeEntry> {
    const options: { gte: string; lt?: string; limit: number } = { gte: start, limit };
    if (end !== '') options.lt = end;
    for await (const [key, bytes] of sub.iterator(options)) {
      yield { key, ...decodeVersioned(bytes) };
    }
  }
}

export type Sublevel = Sub;

/** Fixed-width, order-preserving encodings used inside store keys. */
export const blockKey = (n: bigint | number): string => BigInt(n).toString(16).padStart(16, '0');

/**
 * History rows sort by key, then by height; the key is length-prefixed because Fabric keys may
 * contain U+0000, so no separator character could be unambiguous.
 */
export function historyKey(key: string, version: Version): string {
  return `${historyPrefix(key)}${blockKey(version.blockNum)}${version.txNum.toString(16).padStart(8, '0')}`;
}

export function historyPrefix(key: string): string {
  return `${key.length.toString(16).padStart(8, '0')}${key}`;
}

/** Private data lives per collection; the collection name never contains U+0000. */
export const collectionKey = (collection: string, key: string): string => `${collection}\u0000${key}`;
