import { createHash } from 'node:crypto';
import type { CollectionDefinition } from './collections.js';
import type {
  CollectionRwSet,
  HashedRead,
  HashedWrite,
  KeyRead,
  KeyWrite,
  MetadataWrite,
  PrivateWrite,
  RangeQueryInfo,
  SimulationResult,
} from './rwset.js';
import { collectionKey, type LedgerStore, type RangeEntry } from './store.js';
import type { Version } from './version.js';

export const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';
/** Fabric's peer returns query results in pages of this many (core.yaml ledger.state.internalQueryLimit-like). */
const QUERY_PAGE = 100;

export const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();
export const sha256Hex = (data: Uint8Array | string): string =>
  createHash('sha256').update(data).digest('hex');

const EMPTY = new Uint8Array(0);

export interface SimulationContext {
  readonly store: LedgerStore;
  readonly channel: string;
  readonly chaincode: string;
  readonly txId: string;
  /** The organisation of the peer that simulates: it holds private data only for its collections. */
  readonly peerMspId: string;
  /** The client that signed the proposal. */
  readonly creatorMspId: string;
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
}

export interface HistoryEntry {
  readonly txId: string;
  readonly value: Uint8Array;
  readonly isDelete: boolean;
  readonly timestamp: { seconds: number; nanos: number };
}

export interface QueryPage<T> {
  readonly id: string;
  readonly results: readonly T[];
  readonly hasMore: boolean;
  readonly metadata?: { fetchedRecordsCount: number; bookmark: string };
}

interface OpenQuery<T> {
  next(): Promise<{ results: T[]; hasMore: boolean }>;
  close(): void;
}

/**
 * A transaction simulator with Fabric's rules: every read sees committed state only (no
 * read-your-writes), reads are recorded with their versions for MVCC validation, range reads for
 * phantom detection, and writes are buffered (last write to a key wins) until commit.
 */
export class TxSimulator {
  private readonly reads = new Map<string, Version | undefined>();
  private readonly ranges: { startKey: string; endKey: string; exhausted: boolean; reads: KeyRead[] }[] = [];
  private readonly writes = new Map<string, Uint8Array | undefined>();
  private readonly metadataWrites = new Map<string, Uint8Array>();
  private readonly hashedReads = new Map<string, Map<string, Version | undefined>>();
  private readonly privateWrites = new Map<
    string,
    Map<string, { value: Uint8Array | undefined; isPurge: boolean }>
  >();
  private readonly privateMetadataWrites = new Map<string, Map<string, Uint8Array>>();
  private readonly queries = new Map<string, OpenQuery<unknown>>();
  private readonly privateReadCollections = new Set<string>();
  private queryCounter = 0;
  private writePerformed = false;
  private privateQueryPerformed = false;
  private paginatedQueryPerformed = false;

  constructor(private readonly ctx: SimulationContext) {}

  async getState(key: string): Promise<Uint8Array> {
    const entry = this.ctx.store.getVersioned(this.ctx.store.state, key);
    if (!this.reads.has(key)) this.reads.set(key, entry?.version);
    return entry?.value ?? EMPTY;
  }

  putState(key: string, value: Uint8Array): void {
    this.checkWriteAllowed();
    this.writes.set(key, value.length === 0 ? undefined : value);
  }

  deleteState(key: string): void {
    this.checkWriteAllowed();
    this.writes.set(key, undefined);
  }

  async getStateMetadata(collection: string, key: string): Promise<Map<string, Uint8Array>> {
    const result = new Map<string, Uint8Array>();
    if (collection === '') {
      await this.getState(key);
      const param = this.ctx.store.read(this.ctx.store.metadata, key);
      if (param && param.length > 0) result.set(VALIDATION_PARAMETER, param);
    } else {
      await this.getPrivateDataHash(collection, key);
      const param = this.ctx.store.read(
        this.ctx.store.privateMetadata,
        collectionKey(collection, sha256Hex(key)),
      );
      if (param && param.length > 0) result.set(VALIDATION_PARAMETER, param);
    }
    return result;
  }

  setStateMetadata(collection: string, key: string, metakey: string, value: Uint8Array): void {
    this.checkWriteAllowed();
    if (metakey !== VALIDATION_PARAMETER) throw new Error(`unsupported metadata key ${metakey}`);
    if (collection === '') {
      this.metadataWrites.set(key, value);
    } else {
      this.collectionFor(collection);
      this.checkPrivateWriteAccess(collection);
      this.mapFor(this.privateMetadataWrites, collection).set(key, value);
    }
  }

  rangeQuery(
    collection: string,
    startKey: string,
    endKey: string,
    pagination?: { pageSize: number; bookmark: string },
  ): Promise<QueryPage<{ key: string; value: Uint8Array }>> {
    if (collection !== '') {
      if (this.writePerformed)
        throw this.unsupported('Queries on pvt data is supported only in a read-only transaction');
      this.privateQueryPerformed = true;
      return this.privateRangeQuery(collection, startKey, endKey);
    }
    if (pagination) {
      if (this.writePerformed)
        throw this.unsupported('Paginated queries are supported only in a read-only transaction');
      this.paginatedQueryPerformed = true;
      return this.paginatedQuery(startKey, endKey, pagination);
    }
    const info = { startKey, endKey, exhausted: false, reads: [] as KeyRead[] };
    this.ranges.push(info);
    const iterator = this.ctx.store.range(this.ctx.store.state, startKey, endKey);
    return this.openQuery<{ key: string; value: Uint8Array }>({
      next: pages(iterator, ({ key, value }) => ({ key, value }), {
        // Fabric records every result its iterator yields, the one held for the next page too.
        fetched: ({ key, version }) => info.reads.push({ key, version }),
        exhausted: () => (info.exhausted = true),
      }),
      close: () => void iterator.return(undefined),
    });
  }

  private async paginatedQuery(
    startKey: string,
    endKey: string,
    { pageSize, bookmark }: { pageSize: number; bookmark: string },
  ): Promise<QueryPage<{ key: string; value: Uint8Array }>> {
    const from = bookmark !== '' ? bookmark : startKey;
    // Page size 0 (with a bookmark: without one, the shim sends no pagination) sets no page limit on
    // a Fabric peer's iterator: the rest of the range from the bookmark, as one page. (A peer still
    // stops at its totalQueryLimit, 100,000 results by default; this ledger sets none on any query.)
    const limited = pageSize > 0;
    const entries: RangeEntry[] = [];
    for await (const entry of this.ctx.store.range(
      this.ctx.store.state,
      from,
      endKey,
      limited ? pageSize + 1 : -1,
    ))
      entries.push(entry);
    const page = limited ? entries.slice(0, pageSize) : entries;
    const next = limited ? entries[pageSize] : undefined;
    // As Fabric's resultsItr (query_executor.go) records it: the handler stops calling Next once it
    // has pageSize results, so a full page is a range not exhausted, re-checked up to its last key;
    // a short page ran into the end. The entry read for the bookmark (GetBookmarkAndClose, on the
    // state database's iterator) is not recorded.
    this.ranges.push({
      startKey: from,
      endKey,
      exhausted: !limited || page.length < pageSize,
      reads: page.map(({ key, version }) => ({ key, version })),
    });
    const results = page.map((e) => ({ key: e.key, value: e.value }));
    const id = this.nextQueryId();
    return {
      id,
      results,
      hasMore: false,
      metadata: { fetchedRecordsCount: results.length, bookmark: next?.key ?? '' },
    };
  }

  private async privateRangeQuery(
    collection: string,
    startKey: string,
    endKey: string,
  ): Promise<QueryPage<{ key: string; value: Uint8Array }>> {
    const definition = this.collectionFor(collection);
    this.checkPrivateReadAccess(collection);
    this.privateReadCollections.add(collection);
    // A peer outside the collection holds none of its private data. Fabric scans only the peer's
    // own private store here (unlike getPrivateData, there is no public hash to check against), so
    // such a peer answers an empty range, not an error.
    if (!definition.members.has(this.ctx.peerMspId)) {
      return this.openQuery({ next: async () => ({ results: [], hasMore: false }), close: () => undefined });
    }
    const prefix = collectionKey(collection, '');
    const end = endKey === '' ? collectionKey(collection, '\u{10ffff}') : prefix + endKey;
    const iterator = this.ctx.store.range(this.ctx.store.privateData, prefix + startKey, end);
    return this.openQuery({
      next: pages(iterator, ({ key, value }) => ({ key: key.slice(prefix.length), value })),
      close: () => void iterator.return(undefined),
    });
  }

  getHistoryForKey(key: string): Promise<QueryPage<HistoryEntry>> {
    const iterator = (async function* (rows: Promise<readonly Uint8Array[]>) {
      yield* await rows;
    })(this.ctx.store.historyOf(key));
    return this.openQuery<HistoryEntry>({
      next: pages(iterator, (value) => decodeHistoryEntry(value)),
      close: () => void iterator.return(undefined),
    });
  }

  async queryNext(id: string): Promise<QueryPage<unknown>> {
    const query = this.queries.get(id);
    if (!query) throw new Error(`query iterator not found for id ${id}`);
    const { results, hasMore } = await query.next();
    if (!hasMore) this.closeQuery(id);
    return { id, results, hasMore };
  }

  closeQuery(id: string): void {
    this.queries.get(id)?.close();
    this.queries.delete(id);
  }

  async getPrivateData(collection: string, key: string): Promise<Uint8Array> {
    const definition = this.collectionFor(collection);
    this.checkPrivateReadAccess(collection);
    this.privateReadCollections.add(collection);
    const hashed = await this.readHash(collection, key);
    if (!definition.members.has(this.ctx.peerMspId)) {
      if (!hashed) return EMPTY;
      throw new Error(
        `private data matching public hash version is not available. Public hash version = {BlockNum: ${hashed.version.blockNum}, TxNum: ${hashed.version.txNum}}, Private data version = <nil>`,
      );
    }
    const entry = this.ctx.store.getVersioned(this.ctx.store.privateData, collectionKey(collection, key));
    return entry?.value ?? EMPTY;
  }

  async getPrivateDataHash(collection: string, key: string): Promise<Uint8Array> {
    this.collectionFor(collection);
    const hashed = await this.readHash(collection, key);
    return hashed?.value ?? EMPTY;
  }

  putPrivateData(collection: string, key: string, value: Uint8Array): void {
    this.checkWriteAllowed();
    this.collectionFor(collection);
    this.checkPrivateWriteAccess(collection);
    this.mapFor(this.privateWrites, collection).set(key, {
      value: value.length === 0 ? undefined : value,
      isPurge: false,
    });
  }

  deletePrivateData(collection: string, key: string): void {
    this.checkWriteAllowed();
    this.collectionFor(collection);
    this.checkPrivateWriteAccess(collection);
    this.mapFor(this.privateWrites, collection).set(key, { value: undefined, isPurge: false });
  }

  purgePrivateData(collection: string, key: string): void {
    this.checkWriteAllowed();
    this.collectionFor(collection);
    this.checkPrivateWriteAccess(collection);
    this.mapFor(this.privateWrites, collection).set(key, { value: undefined, isPurge: true });
  }

  result(): SimulationResult {
    const collections = new Set([
      ...this.hashedReads.keys(),
      ...this.privateWrites.keys(),
      ...this.privateMetadataWrites.keys(),
    ]);
    const collectionSets: CollectionRwSet[] = [...collections].sort().map((collection) => ({
      collection,
      hashedReads: sortByKey(
        [...(this.hashedReads.get(collection) ?? new Map()).entries()].map(
          ([keyHash, version]): HashedRead => ({ keyHash, version }),
        ),
        (r) => r.keyHash,
      ),
      hashedWrites: sortByKey(
        [...(this.privateWrites.get(collection) ?? new Map()).entries()].map(([key, w]): HashedWrite => ({
          keyHash: sha256Hex(key),
          valueHash: w.value === undefined ? undefined : sha256Hex(w.value),
          isPurge: w.isPurge,
        })),
        (w) => w.keyHash,
      ),
      metadataWrites: sortByKey(
        [...(this.privateMetadataWrites.get(collection) ?? new Map()).entries()].map(([key, param]) => ({
          keyHash: sha256Hex(key),
          validationParameter: Buffer.from(param).toString('base64'),
        })),
        (w) => w.keyHash,
      ),
    }));
    const privateWrites: PrivateWrite[] = [];
    for (const [collection, writes] of this.privateWrites) {
      for (const [key, w] of writes)
        privateWrites.push({ collection, key, value: w.value, isPurge: w.isPurge });
    }
    return {
      rwset: {
        reads: sortByKey(
          [...this.reads.entries()].map(([key, version]): KeyRead => ({ key, version })),
          (r) => r.key,
        ),
        rangeQueries: this.ranges.map((r): RangeQueryInfo => ({ ...r, reads: [...r.reads] })),
        writes: sortByKey(
          [...this.writes.entries()].map(([key, value]): KeyWrite => ({ key, value })),
          (w) => w.key,
        ),
        metadataWrites: sortByKey(
          [...this.metadataWrites.entries()].map(([key, validationParameter]): MetadataWrite => ({
            key,
            validationParameter,
          })),
          (w) => w.key,
        ),
        collections: collectionSets,
      },
      privateWrites,
      privateReadCollections: [...this.privateReadCollections].sort(),
    };
  }

  close(): void {
    for (const id of [...this.queries.keys()]) this.closeQuery(id);
  }

  private async readHash(
    collection: string,
    key: string,
  ): Promise<{ version: Version; value: Uint8Array } | undefined> {
    const keyHash = sha256Hex(key);
    const entry = this.ctx.store.getVersioned(
      this.ctx.store.privateHashes,
      collectionKey(collection, keyHash),
    );
    const reads = this.mapFor(this.hashedReads, collection);
    if (!reads.has(keyHash)) reads.set(keyHash, entry?.version);
    return entry;
  }

  private async openQuery<T>(query: OpenQuery<T>): Promise<QueryPage<T>> {
    const id = this.nextQueryId();
    this.queries.set(id, query as OpenQuery<unknown>);
    const { results, hasMore } = await query.next();
    if (!hasMore) this.closeQuery(id);
    return { id, results, hasMore };
  }

  private nextQueryId(): string {
    this.queryCounter += 1;
    return `${this.ctx.txId}-${this.queryCounter}`;
  }

  private checkWriteAllowed(): void {
    if (this.privateQueryPerformed) {
      throw this.unsupported('Transaction has already performed queries on pvt data. Writes are not allowed');
    }
    if (this.paginatedQueryPerformed) {
      throw this.unsupported('Transaction has already performed a paginated query. Writes are not allowed');
    }
    this.writePerformed = true;
  }

  private unsupported(reason: string): Error {
    return new Error(`txid [${this.ctx.txId}]: unsuppored transaction. ${reason}`);
  }

  private collectionFor(collection: string): CollectionDefinition {
    const definition = this.ctx.collections.get(collection);
    if (!definition) {
      throw new Error(
        `collection ${this.ctx.channel}/${this.ctx.chaincode}/${collection} could not be found`,
      );
    }
    return definition;
  }

  private checkPrivateReadAccess(collection: string): void {
    const definition = this.collectionFor(collection);
    if (definition.memberOnlyRead && !definition.members.has(this.ctx.creatorMspId)) {
      throw new Error(
        `tx creator does not have read access permission on privatedata in chaincodeName:${this.ctx.chaincode} collectionName: ${collection}`,
      );
    }
  }

  private checkPrivateWriteAccess(collection: string): void {
    const definition = this.collectionFor(collection);
    if (definition.memberOnlyWrite && !definition.members.has(this.ctx.creatorMspId)) {
      throw new Error(
        `tx creator does not have write access permission on privatedata in chaincodeName:${this.ctx.chaincode} collectionName: ${collection}`,
      );
    }
  }

  private mapFor<V>(maps: Map<string, Map<string, V>>, collection: string): Map<string, V> {
    let map = maps.get(collection);
    if (!map) {
      map = new Map();
      maps.set(collection, map);
    }
    return map;
  }
}

function sortByKey<T>(items: T[], key: (item: T) => string): T[] {
  return items.sort((a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b))));
}

/** History rows: JSON header line + raw value, so values need no re-encoding. */
export function encodeHistoryEntry(entry: HistoryEntry): Uint8Array {
  const header = Buffer.from(
    JSON.stringify({
      t: entry.txId,
      d: entry.isDelete,
      s: entry.timestamp.seconds,
      n: entry.timestamp.nanos,
    }) + '\n',
  );
  return Buffer.concat([header, entry.value]);
}

export function decodeHistoryEntry(bytes: Uint8Array): HistoryEntry {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const newline = buffer.indexOf(0x0a);
  const header = JSON.parse(buffer.subarray(0, newline).toString('utf8')) as {
    t: string;
    d: boolean;
    s: number;
    n: number;
  };
  return {
    txId: header.t,
    isDelete: header.d,
    timestamp: { seconds: header.s, nanos: header.n },
    value: buffer.subarray(newline + 1),
  };
}

/**
 * A query's pages of at most QUERY_PAGE results, as a Fabric peer answers them: it says there is
 * more only when it already holds the next result, so a page after the first is never empty
 * (fabric-shim's iterator would read past the end of an empty one).
 */
function pages<S, T>(
  iterator: AsyncIterator<S>,
  take: (item: S) => T,
  hooks: { fetched?: (item: S) => void; exhausted?: () => void } = {},
): () => Promise<{ results: T[]; hasMore: boolean }> {
  let held: IteratorResult<S> | undefined;
  const fetch = async (): Promise<IteratorResult<S>> => {
    const step = await iterator.next();
    if (step.done) hooks.exhausted?.();
    else hooks.fetched?.(step.value);
    return step;
  };
  return async () => {
    const results: T[] = [];
    let step = held ?? (await fetch());
    held = undefined;
    while (!step.done) {
      if (results.length === QUERY_PAGE) {
        held = step;
        return { results, hasMore: true };
      }
      results.push(take(step.value));
      step = await fetch();
    }
    return { results, hasMore: false };
  };
}
