import { randomBytes } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { AbstractSublevel } from 'abstract-level';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import type { Level } from 'level';
import {
  consistencyProof,
  EMPTY_ROOT,
  foldSubtrees,
  inclusionProof,
  leafHash,
  nodeHash,
  perfectSubtrees,
  verifyInclusion,
  type SubtreeHash,
} from './merkle.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** One request as the audit trail records it. Never a body, a header or a personal value. */
export interface AuditEntry {
  readonly index: number;
  /** When the request arrived (ISO 8601). */
  readonly time: string;
  readonly requestId: string;
  /** The authenticated user, '' when the request was refused before authentication. */
  readonly user: string;
  readonly mspId: string;
  /** The user's role within its organisation ('' when unauthenticated). */
  readonly role: string;
  readonly method: string;
  /** The route template (e.g. /v1/consignments/{id}), or 'unmatched'. */
  readonly route: string;
  /** What the request was about, e.g. consignment/C-1 ('' when none). */
  readonly resource: string;
  /** The declared purpose of a read of personal data ('' when none). */
  readonly purpose: string;
  /** The HTTP status of the response. */
  readonly outcome: number;
  /** The ledger transaction the request submitted ('' when none). */
  readonly txId: string;
}

export type AuditEntryInput = Omit<AuditEntry, 'index'>;

export interface AppendResult {
  readonly index: number;
  /** Hex leaf hash: SHA-256(0x00 ‖ canonical JSON of the entry). */
  readonly leafHash: string;
}

/** Signs tree heads: the gateway operator's ledger identity (ECDSA over SHA-256, DER signature). */
export interface AuditSigner {
  readonly mspId: string;
  /** PEM certificate of the signing identity. */
  readonly certificate: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A signed tree head: the log's size and root at a moment, signed by the gateway operator. */
export interface TreeHead {
  /** The log's id (AUDIT_LOG_ID): each gateway's log has its own, so one organisation may run several. */
  readonly logId: string;
  readonly treeSize: number;
  /** Hex RFC 6962 root of the first treeSize entries. */
  readonly rootHash: string;
  readonly timestamp: string;
  /** Base64 DER signature over auditTreeHeadMessage({ logId, treeSize, rootHash, timestamp }). */
  readonly signature: string;
  readonly signerMspId: string;
  readonly signerCertificate: string;
}

export interface AuditLogOptions {
  /** fsync every group of appends (default true): an acknowledged entry survives a power loss. */
  readonly sync?: boolean;
  /** Most entries written in one batch (default 1024). */
  readonly maxBatch?: number;
  /**
   * How many tree nodes to keep in memory (least recently used first out; default 4096, 0: none).
   * Stored nodes never change, so a cached node is always the stored one.
   */
  readonly nodeCache?: number;
  /** Open to read only (the auditor): a log without an id is not given one. */
  readonly readOnly?: boolean;
}

/** A size, index or range outside the log: the caller's mistake, not a fault of the log. */
export class AuditRangeError extends RangeError {
  override readonly name = 'AuditRangeError';
}

/** The canonical bytes of an entry, i.e. the leaf data. Only the known fields, in JCS order. */
export function entryBytes(entry: AuditEntry): Buffer {
  const record: AuditEntry = {
    index: entry.index,
    time: entry.time,
    requestId: entry.requestId,
    user: entry.user,
    mspId: entry.mspId,
    role: entry.role,
    method: entry.method,
    route: entry.route,
    resource: entry.resource,
    purpose: entry.purpose,
    outcome: entry.outcome,
    txId: entry.txId,
  };
  return Buffer.from(canonicalize(record)!, 'utf8');
}

// Keys in the 'audit' sublevel. Hex, fixed width, so key order is numeric order.
const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const entryKey = (index: number): string => `e:${hex16(index)}`;
/** The perfect subtree of height h and index i: leaves [i·2^h, (i+1)·2^h). Height 0 = leaf hashes. */
const nodeKey = (height: number, index: number): string =>
  `n:${height.toString(16).padStart(2, '0')}:${hex16(index)}`;
const SIZE_KEY = 'size';
const ID_KEY = 'id';

type Store = AbstractSublevel<Level<string, Uint8Array>, string | Buffer | Uint8Array, string, Uint8Array>;

interface Pending {
  readonly entry: AuditEntryInput;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

const isIndex = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The gateway's append-only request log, an RFC 6962 Merkle tree in LevelDB (sublevel 'audit').
 *
 * Each append writes, in one atomic batch, the entry, its leaf hash, the hash of every perfect
 * subtree the new leaf completes (amortised 2 nodes, at most log₂ n + 1) and the new size. So any
 * root and any proof is computed from O(log n) stored nodes, read in one getMany, never by
 * rehashing leaves; and a crash leaves the log at the last whole batch. Appends are serialised
 * in-process and grouped: those that arrive while a batch is being written go together in the
 * next one (group commit), with dense, unique indices in arrival order.
 */
export class AuditLog {
  private treeSize = 0;
  /** frontier[h]: the last completed perfect subtree of height h (the left sibling-to-be). */
  private readonly frontier: Buffer[] = [];
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failures = 0;
  /** Settles when the last append requested so far has been written or has failed (FIFO). */
  private last: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, Buffer>();
  private id: string | undefined;

  private constructor(
    private readonly db: Level<string, Uint8Array>,
    private readonly store: Store,
    private readonly signer: AuditSigner,
    private readonly sync: boolean,
    private readonly maxBatch: number,
    private readonly cacheLimit: number,
  ) {}

  /** Opens the log kept in `db` (the gateway's own store); resumes at the stored size. */
  static async open(
    db: Level<string, Uint8Array>,
    signer: AuditSigner,
    options: AuditLogOptions = {},
  ): Promise<AuditLog> {
    const store = db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
    const log = new AuditLog(
      db,
      store,
      signer,
      options.sync ?? true,
      options.maxBatch ?? 1024,
      options.nodeCache ?? 4096,
    );
    const size = await store.get(SIZE_KEY);
    const sizeText = size === undefined ? '0' : Buffer.from(size).toString('utf8');
    log.treeSize = Number(sizeText);
    if (!isIndex(log.treeSize) || String(log.treeSize) !== sizeText) {
      throw new Error(
        `audit log: stored size is corrupt (${JSON.stringify(sizeText.slice(0, 40))}, not an entry count)`,
      );
    }
    const edge = perfectSubtrees(0, log.treeSize);
    const hashes = await log.nodes(edge);
    edge.forEach(([height], i) => (log.frontier[height] = hashes[i]!));
    if (log.treeSize > 0 && (await store.get(entryKey(log.treeSize - 1))) === undefined) {
      throw new Error(`audit log: entry ${log.treeSize - 1} is missing`);
    }
    const id = await store.get(ID_KEY);
    log.id = id === undefined ? undefined : Buffer.from(id).toString('utf8');
    if (log.id === undefined && options.readOnly !== true) {
      log.id = randomBytes(16).toString('hex');
      // Not synced on its own: the first synced append, which any anchored head follows, makes it durable.
      await store.put(ID_KEY, Buffer.from(log.id, 'utf8'));
    }
    return log;
  }

  /** The log's id, drawn when it was first opened to write; undefined only for a log never written by this version. */
  get logId(): string | undefined {
    return this.id;
  }

  /** The number of entries durably written. */
  size(): number {
    return this.treeSize;
  }

  /** Appends failed since open (the batch write was refused, e.g. the store is closed or full). */
  get failedAppends(): number {
    return this.failures;
  }

  /** Appends an entry; resolves once it is durably written, with its index and leaf hash. */
  append(entry: AuditEntryInput): Promise<AppendResult> {
    const appended = new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      this.flushing ??= this.flush();
    });
    this.last = appended.catch(() => undefined);
    return appended;
  }

  /**
   * Waits until every append requested so far is written (or has failed), not for later ones: a
   * reader that calls it first sees every request whose response was sent before it was called.
   */
  async drain(): Promise<void> {
    await this.last;
  }

  async entry(index: number): Promise<AuditEntry | undefined> {
    const bytes = await this.entryBytes(index);
    return bytes && (JSON.parse(Buffer.from(bytes).toString('utf8')) as AuditEntry);
  }

  /** The stored bytes of an entry: exactly what its leaf hash commits to. */
  async entryBytes(index: number): Promise<Uint8Array | undefined> {
    if (!isIndex(index) || index >= this.treeSize) return undefined;
    return this.store.get(entryKey(index));
  }

  /** Up to `limit` entries from index `from`, in order. */
  async entries(from: number, limit: number): Promise<AuditEntry[]> {
    if (!isIndex(from)) throw new AuditRangeError(`from must be a non-negative integer, got ${from}`);
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new AuditRangeError(`limit must be a positive integer, got ${limit}`);
    }
    const end = Math.min(this.treeSize, from + limit);
    if (from >= end) return [];
    const out: AuditEntry[] = [];
    for await (const bytes of this.store.values({ gte: entryKey(from), lt: entryKey(end) })) {
      out.push(JSON.parse(Buffer.from(bytes).toString('utf8')) as AuditEntry);
    }
    return out;
  }

  /** The stored leaf hash of an entry. */
  leafHashAt(index: number): Promise<Buffer> {
    return this.subtreeHashAt(0, index);
  }

  /**
   * The stored hash of the perfect subtree of `height` whose leaves start at index·2^height, as
   * the appends wrote it: what roots and proofs are made of (the auditor checks each).
   */
  async subtreeHashAt(height: number, index: number): Promise<Buffer> {
    this.checkIndex((index + 1) * 2 ** height - 1, this.treeSize);
    return (await this.nodes([[height, index]]))[0]!;
  }

  /** The RFC 6962 root of the first `size` entries (the empty root for 0). */
  async rootAt(size: number): Promise<Buffer> {
    this.checkSize('tree size', size, 0);
    return size === 0 ? EMPTY_ROOT : (await this.subtrees([[0, size]]))[0]!;
  }

  /** The current size and root, signed by the gateway operator. */
  async treeHead(): Promise<TreeHead> {
    const treeSize = this.treeSize;
    const rootHash = (await this.rootAt(treeSize)).toString('hex');
    const timestamp = new Date().toISOString();
    const logId = this.id;
    if (logId === undefined)
      throw new Error('audit log: a log opened to read only has no tree heads to sign');
    const signature = await this.signer.sign(auditTreeHeadMessage({ logId, treeSize, rootHash, timestamp }));
    return {
      logId,
      treeSize,
      rootHash,
      timestamp,
      signature: Buffer.from(signature).toString('base64'),
      signerMspId: this.signer.mspId,
      signerCertificate: this.signer.certificate,
    };
  }

  /** The audit path of entry `index` in the tree of `treeSize` entries (leaf end first). */
  async inclusionProof(index: number, treeSize: number): Promise<Buffer[]> {
    this.checkSize('tree size', treeSize, 1);
    this.checkIndex(index, treeSize);
    return this.prove((getNode) => inclusionProof(index, treeSize, getNode));
  }

  /** Proves the tree of `from` entries is a prefix of the tree of `to` entries. */
  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    this.checkSize('to', to, 1);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) {
      throw new AuditRangeError(`from must be an integer between 1 and to (${to}), got ${from}`);
    }
    return this.prove((getNode) => consistencyProof(from, to, getNode));
  }

  /**
   * Whether the stored entry at `index` is the one committed to: its bytes are rehashed and proved
   * against `head` (a tree head kept earlier, e.g. anchored on the ledger), else the current root.
   */
  async verifyEntry(index: number, head?: Pick<TreeHead, 'treeSize' | 'rootHash'>): Promise<boolean> {
    const treeSize = head?.treeSize ?? this.treeSize;
    if (!isIndex(index) || index >= treeSize || treeSize > this.treeSize) return false;
    const bytes = await this.entryBytes(index);
    if (!bytes) return false;
    const root = head ? Buffer.from(head.rootHash, 'hex') : await this.rootAt(treeSize);
    const proof = await this.inclusionProof(index, treeSize);
    return verifyInclusion(leafHash(bytes), index, treeSize, proof, root);
  }

  /**
   * Copies this log (entries, tree and id) into `archive`, a store of the gateway's layout, then
   * starts a new, empty log with a new id in its place; resolves with the new id. For a log that
   * no longer matches its anchor, on its operator's word only (new-log.ts). Not while appending.
   * Each step may be run again after a crash: the copy is of the same keys with the same values,
   * and the new id and the empty size are written together, before the old entries are deleted
   * (an entry past the size is never read, and is overwritten by the append that reaches it).
   */
  async startNew(archive: Level<string, Uint8Array>): Promise<string> {
    const target = archive.sublevel<string, Uint8Array>('audit', {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    let ops: { type: 'put'; key: string; value: Uint8Array; sublevel: Store }[] = [];
    for await (const [key, value] of this.store.iterator()) {
      ops.push({ type: 'put', key, value, sublevel: target });
      if (ops.length >= this.maxBatch) {
        await archive.batch(ops);
        ops = [];
      }
    }
    await archive.batch(ops, { sync: true });
    const id = randomBytes(16).toString('hex');
    await this.db.batch(
      [
        { type: 'del', key: SIZE_KEY, sublevel: this.store },
        { type: 'put', key: ID_KEY, value: Buffer.from(id, 'utf8'), sublevel: this.store },
      ],
      { sync: true },
    );
    this.id = id;
    this.treeSize = 0;
    this.frontier.length = 0;
    this.cache.clear();
    await this.store.clear({ gte: 'e:', lt: 'e;' });
    await this.store.clear({ gte: 'n:', lt: 'n;' });
    return id;
  }

  // ---------------------------------------------------------------- writing

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, this.maxBatch);
      const ops: { type: 'put'; key: string; value: Uint8Array; sublevel: Store }[] = [];
      const put = (key: string, value: Uint8Array): void => {
        ops.push({ type: 'put', key, value, sublevel: this.store });
      };
      const frontier = [...this.frontier];
      let size = this.treeSize;
      const results: AppendResult[] = [];
      for (const { entry } of group) {
        const index = size++;
        const bytes = entryBytes({ ...entry, index });
        let hash = leafHash(bytes);
        put(entryKey(index), bytes);
        put(nodeKey(0, index), hash);
        results.push({ index, leafHash: hash.toString('hex') });
        // Every trailing 1 bit of the index is a perfect subtree this leaf completes.
        let height = 0;
        let position = index;
        while (position % 2 === 1) {
          hash = nodeHash(frontier[height]!, hash);
          height += 1;
          position = (position - 1) / 2;
          put(nodeKey(height, position), hash);
        }
        frontier[height] = hash;
      }
      put(SIZE_KEY, Buffer.from(String(size), 'utf8'));
      try {
        await this.db.batch(ops, { sync: this.sync });
      } catch (error) {
        this.failures += group.length;
        for (const p of group) p.reject(error);
        continue;
      }
      this.treeSize = size;
      frontier.forEach((hash, height) => (this.frontier[height] = hash));
      group.forEach((p, i) => p.resolve(results[i]!));
    }
    this.flushing = undefined;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Runs a proof computation twice: first to learn which subtrees it needs (the RFC 6962
   * recursion depends on sizes only, never on hash values), then with those hashes read in one go.
   */
  private async prove(compute: (getNode: SubtreeHash) => Promise<Buffer[]>): Promise<Buffer[]> {
    const ranges: [number, number][] = [];
    await compute((start, size) => {
      ranges.push([start, size]);
      return EMPTY_ROOT;
    });
    const hashes = await this.subtrees(ranges);
    const byRange = new Map(ranges.map(([start, size], i) => [`${start}/${size}`, hashes[i]!]));
    return compute((start, size) => byRange.get(`${start}/${size}`)!);
  }

  /** MTH of each range, from the stored perfect subtrees that make it up (deduplicated, one read). */
  private async subtrees(ranges: readonly [start: number, size: number][]): Promise<Buffer[]> {
    const parts = ranges.map(([start, size]) => perfectSubtrees(start, size));
    const unique = new Map<string, [number, number]>();
    for (const part of parts) for (const [h, i] of part) unique.set(nodeKey(h, i), [h, i]);
    const hashes = await this.nodes([...unique.values()]);
    const byKey = new Map([...unique.keys()].map((key, i) => [key, hashes[i]!]));
    return parts.map((part) => foldSubtrees(part.map(([h, i]) => byKey.get(nodeKey(h, i))!)));
  }

  private async nodes(keys: readonly [height: number, index: number][]): Promise<Buffer[]> {
    const names = keys.map(([h, i]) => nodeKey(h, i));
    const out = names.map((name) => this.cached(name));
    const missing = names.flatMap((name, i) => (out[i] === undefined ? [i] : []));
    if (missing.length > 0) {
      const values = await this.store.getMany(missing.map((i) => names[i]!));
      values.forEach((value, j) => {
        const i = missing[j]!;
        if (value === undefined) throw new Error(`audit log: node ${keys[i]!.join('/')} is missing`);
        out[i] = Buffer.from(value);
        this.remember(names[i]!, out[i]);
      });
    }
    return out as Buffer[];
  }

  private cached(name: string): Buffer | undefined {
    const hit = this.cache.get(name);
    if (hit) {
      this.cache.delete(name);
      this.cache.set(name, hit);
    }
    return hit;
  }

  private remember(name: string, hash: Buffer): void {
    if (this.cacheLimit <= 0) return;
    this.cache.set(name, hash);
    if (this.cache.size > this.cacheLimit) this.cache.delete(this.cache.keys().next().value!);
  }

  private checkSize(name: string, size: number, min: number): void {
    if (!Number.isSafeInteger(size) || size < min || size > this.treeSize) {
      throw new AuditRangeError(
        `${name} ${size} is outside the log: it must be an integer from ${min} to the current size ${this.treeSize}`,
      );
    }
  }

  private checkIndex(index: number, treeSize: number): void {
    if (!isIndex(index) || index >= treeSize) {
      throw new AuditRangeError(
        `entry index ${index} is outside a tree of size ${treeSize}: it must be an integer from 0 to ${treeSize - 1}`,
      );
    }
  }
}
