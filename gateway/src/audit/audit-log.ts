import canonicalizeModule from 'canonicalize';
import type { Level } from 'level';
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, nodeHash, splitPoint } from './merkle.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export interface AuditEntry {
  readonly index: number;
  readonly time: string;
  readonly requestId: string;
  readonly user: string;
  readonly mspId: string;
  readonly role: string;
  readonly method: string;
  readonly route: string;
  readonly resource: string;
  readonly purpose: string;
  readonly outcome: number;
  readonly txId: string;
}

export interface AuditSigner {
  readonly mspId: string;
  readonly certificate: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A signed tree head: the log's size and root at a moment, signed by the gateway operator. */
export interface TreeHead {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly signerMspId: string;
  readonly signerCertificate: string;
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const entryKey = (index: number): string => `e:${hex16(index)}`;
const nodeKey = (level: number, index: number): string =>
  `n:${level.toString(16).padStart(2, '0')}:${hex16(index)}`;

export function treeHeadMessage(head: Pick<TreeHead, 'treeSize' | 'rootHash' | 'timestamp'>): Buffer {
  return Buffer.from(
    canonicalize({ treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp })!,
    'utf8',
  );
}

/**
 * The gateway's append-only request log as an RFC 6962 Merkle tree in LevelDB. Each append stores
 * the entry and the hash of every perfect subtree it completes, in one synchronous batch, so any
 * root and any proof is computed from O(log n) stored nodes. Concurrent appends are grouped into
 * one batch (group commit) and get dense, unique indices.
 */
export class AuditLog {
  private readonly store;
  private treeSize = 0;
  /** frontier[l]: the completed left subtree at level l still waiting for its right sibling. */
  private readonly frontier: Buffer[] = [];
  private pending: {
    entry: Omit<AuditEntry, 'index'>;
    resolve: (r: { index: number; leafHash: string }) => void;
    reject: (e: Error) => void;
  }[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    db: Level<string, Uint8Array>,
    private readonly signer: AuditSigner,
  ) {
    this.store = db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  static async open(db: Level<string, Uint8Array>, signer: AuditSigner): Promise<AuditLog> {
    const log = new AuditLog(db, signer);
    const size = await log.store.get('size');
    log.treeSize = size ? Number(Buffer.from(size).toString()) : 0;
    for (let level = 0; 2 ** level <= log.treeSize; level++) {
      if (Math.floor(log.treeSize / 2 ** level) % 2 === 1) {
        log.frontier[level] = await log.node(level, Math.floor(log.treeSize / 2 ** level) - 1);
      }
    }
    return log;
  }

  size(): number {
    return this.treeSize;
  }

  append(entry: Omit<AuditEntry, 'index'>): Promise<{ index: number; leafHash: string }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async entry(index: number): Promise<AuditEntry | undefined> {
    const bytes = await this.store.get(entryKey(index));
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as AuditEntry) : undefined;
  }

  /** The stored bytes of an entry: exactly what its leaf hash commits to. */
  async entryBytes(index: number): Promise<Uint8Array | undefined> {
    return this.store.get(entryKey(index));
  }

  async entries(from: number, limit: number): Promise<AuditEntry[]> {
    const result: AuditEntry[] = [];
    for await (const bytes of this.store.values({
      gte: entryKey(from),
      lt: entryKey(this.treeSize),
      limit,
    })) {
      result.push(JSON.parse(Buffer.from(bytes).toString('utf8')) as AuditEntry);
    }
    return result;
  }

  async rootAt(size: number): Promise<Buffer> {
    if (size < 0 || size > this.treeSize)
      throw new RangeError(`tree size ${size} is beyond the log (size ${this.treeSize})`);
    return size === 0 ? EMPTY_ROOT : this.subtree(0, size);
  }

  async treeHead(): Promise<TreeHead> {
    const treeSize = this.treeSize;
    const rootHash = (await this.rootAt(treeSize)).toString('hex');
    const timestamp = new Date().toISOString();
    const signature = await this.signer.sign(treeHeadMessage({ treeSize, rootHash, timestamp }));
    return {
      treeSize,
      rootHash,
      timestamp,
      signature: Buffer.from(signature).toString('base64'),
      signerMspId: this.signer.mspId,
      signerCertificate: this.signer.certificate,
    };
  }

  async inclusionProof(index: number, treeSize: number): Promise<Buffer[]> {
    if (treeSize > this.treeSize)
      throw new RangeError(`tree size ${treeSize} is beyond the log (size ${this.treeSize})`);
    return inclusionProof(index, treeSize, (start, size) => this.subtree(start, size));
  }

  async consistencyProof(from: number, to: number): Promise<Buffer[]> {
    if (to > this.treeSize) throw new RangeError(`tree size ${to} is beyond the log (size ${this.treeSize})`);
    return consistencyProof(from, to, (start, size) => this.subtree(start, size));
  }

  async leafHashAt(index: number): Promise<Buffer> {
    return this.node(0, index);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const ops: { type: 'put'; key: string; value: Uint8Array }[] = [];
      const frontier = [...this.frontier];
      let size = this.treeSize;
      const results: { index: number; leafHash: string }[] = [];
      for (const { entry } of batch) {
        const index = size++;
        const bytes = Buffer.from(canonicalize({ ...entry, index })!, 'utf8');
        let hash = leafHash(bytes);
        ops.push({ type: 'put', key: entryKey(index), value: bytes });
        ops.push({ type: 'put', key: nodeKey(0, index), value: hash });
        results.push({ index, leafHash: hash.toString('hex') });
        let level = 0;
        let position = index;
        while (position % 2 === 1) {
          hash = nodeHash(frontier[level]!, hash);
          level += 1;
          position = (position - 1) / 2;
          ops.push({ type: 'put', key: nodeKey(level, position), value: hash });
        }
        frontier[level] = hash;
      }
      ops.push({ type: 'put', key: 'size', value: Buffer.from(String(size)) });
      try {
        await this.store.batch(ops, { sync: true } as never);
        this.treeSize = size;
        frontier.forEach((hash, level) => (this.frontier[level] = hash));
        batch.forEach(({ resolve }, i) => resolve(results[i]!));
      } catch (error) {
        batch.forEach(({ reject }) => reject(error as Error));
      }
    }
    this.flushing = undefined;
  }

  /** MTH(D[start : start+size]) from stored perfect subtrees. */
  private async subtree(start: number, size: number): Promise<Buffer> {
    if ((size & (size - 1)) === 0 && start % size === 0) return this.node(Math.log2(size), start / size);
    const k = splitPoint(size);
    return nodeHash(await this.subtree(start, k), await this.subtree(start + k, size - k));
  }

  private async node(level: number, index: number): Promise<Buffer> {
    const bytes = await this.store.get(nodeKey(level, index));
    if (!bytes) throw new Error(`audit log node ${level}/${index} is missing`);
    return Buffer.from(bytes);
  }
}
