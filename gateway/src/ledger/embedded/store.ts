import { Level } from 'level';
import type { AbstractSublevel } from 'abstract-level';
import { decodeVersioned, type Version } from './version.js';

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

  private constructor(readonly db: Level<string, Uint8Array>) {
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
  }

  static async open(location: string): Promise<LedgerStore> {
    const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    return new LedgerStore(db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async write(ops: StoreOp[]): Promise<void> {
    // sync: an acknowledged block must survive a crash of the machine, not only of the process.
    await this.db.batch(ops as never, { sync: true });
  }

  async getVersioned(sub: Sub, key: string): Promise<VersionedValue | undefined> {
    const bytes = await sub.get(key);
    return bytes === undefined ? undefined : decodeVersioned(bytes);
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
