import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import {
  AuditLog,
  AuditRangeError,
  entryBytes,
  type AuditEntryInput,
  type TreeHead,
} from '../../gateway/src/audit/audit-log.js';
import {
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/src/audit/merkle.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

/** MTH straight from RFC 6962's definition, over leaf hashes. */
function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = {
  mspId: 'CustomsMSP',
  certificate: '-----BEGIN CERTIFICATE-----\n(test)\n-----END CERTIFICATE-----\n',
  sign: async (message: Uint8Array) => sign('sha256', message, privateKey),
};

const entry = (i: number): AuditEntryInput => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  requestId: `req-${String(i).padStart(4, '0')}`,
  user: i % 5 === 0 ? '' : 'platforma-operator',
  mspId: i % 5 === 0 ? '' : 'PlatformAMSP',
  role: i % 5 === 0 ? '' : 'operator',
  method: i % 3 === 0 ? 'GET' : 'POST',
  route: i % 5 === 0 ? 'unmatched' : '/v1/consignments/{id}',
  resource: `consignment/C-${i}`,
  purpose: '',
  outcome: i % 5 === 0 ? 401 : 201,
  txId: i % 3 === 0 ? '' : `tx-${i}`,
});

const N = 300;
const sizesUpTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function openDb(path: string): Promise<GatewayStore> {
  const db = await openGatewayStore(path);
  return db;
}

describe('the audit log in LevelDB', () => {
  let dir: string;
  let db: GatewayStore;
  let log: AuditLog;
  /** Leaf hashes as the reference computes them from the entries appended. */
  const leaves: Buffer[] = [];
  /** rootAt(size) for every size, as the log answered right after that append. */
  const roots: string[] = [hex(EMPTY_ROOT)];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-log-'));
    db = await openDb(join(dir, 'store'));
    log = await AuditLog.open(db, signer);
  });
  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`appends ${N} entries, each in one batch of O(log n) writes, with the RFC 6962 root after each`, async () => {
    const batch = vi.spyOn(db, 'batch');
    expect(log.size()).toBe(0);
    expect(hex(await log.rootAt(0))).toBe(hex(EMPTY_ROOT));
    for (let i = 0; i < N; i++) {
      const calls = batch.mock.calls.length;
      const result = await log.append(entry(i));
      expect(result.index).toBe(i);
      const bytes = entryBytes({ ...entry(i), index: i });
      leaves.push(leafHash(bytes));
      expect(result.leafHash).toBe(hex(leaves[i]!));
      // One batch: the entry, its leaf, one node per trailing 1 bit of i, and the size.
      expect(batch.mock.calls.length).toBe(calls + 1);
      const ops = (batch.mock.calls.at(-1) as unknown[])[0] as unknown[];
      const completed = (i ^ (i + 1)).toString(2).length - 1;
      expect(ops.length).toBe(3 + completed);
      expect(ops.length).toBeLessThanOrEqual(Math.floor(Math.log2(i + 1)) + 3);
      expect(log.size()).toBe(i + 1);
      const root = hex(await log.rootAt(i + 1));
      expect(root, `size ${i + 1}`).toBe(hex(naiveRoot(leaves)));
      roots.push(root);
    }
    batch.mockRestore();
    expect(Buffer.from((await log.entryBytes(7))!).equals(entryBytes({ ...entry(7), index: 7 }))).toBe(true);
    expect(await log.entry(7)).toEqual({ ...entry(7), index: 7 });
    expect((await log.leafHashAt(7)).equals(leaves[7]!)).toBe(true);
  });

  it('proves the inclusion of every entry in every tree size', async () => {
    for (const size of sizesUpTo(N)) {
      const root = Buffer.from(roots[size]!, 'hex');
      const indices = Array.from({ length: size }, (_, i) => i);
      const proofs = await Promise.all(indices.map((i) => log.inclusionProof(i, size)));
      for (const i of indices) {
        if (!verifyInclusion(leaves[i]!, i, size, proofs[i]!, root)) {
          throw new Error(`inclusion proof of ${i} in ${size} does not verify`);
        }
      }
    }
  });

  it('computes roots and proofs from O(log n) stored nodes, read at once', async () => {
    const uncached = await AuditLog.open(db, signer, { nodeCache: 0 });
    const getMany = vi.spyOn(db, 'getMany');
    const bound = (size: number) => 2 * Math.ceil(Math.log2(size)) + 1;
    for (const size of [2, 3, 5, 64, 65, 127, 128, 129, 200, 255, 256, 257, 299, 300]) {
      getMany.mockClear();
      await uncached.rootAt(size);
      expect(getMany.mock.calls.length).toBe(1);
      expect(getMany.mock.calls[0]![0].length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
      for (let i = 0; i < size; i++) {
        getMany.mockClear();
        await uncached.inclusionProof(i, size);
        expect(getMany.mock.calls.length).toBe(1);
        expect(getMany.mock.calls[0]![0].length, `${i} in ${size}`).toBeLessThanOrEqual(bound(size));
      }
      for (const from of [1, 2, Math.floor(size / 2), size - 1].filter((f) => f < size)) {
        getMany.mockClear();
        await uncached.consistencyProof(from, size);
        expect(getMany.mock.calls.length).toBe(1);
        expect(getMany.mock.calls[0]![0].length, `${from} → ${size}`).toBeLessThanOrEqual(bound(size));
      }
    }
    getMany.mockRestore();
  });

  it('proves consistency between many pairs of sizes, and not against another root', async () => {
    const pairs: [number, number][] = [];
    for (let n = 1; n <= 40; n++) for (let m = 1; m <= n; m++) pairs.push([m, n]);
    for (let m = 1; m <= N; m += 7) for (let n = m; n <= N; n += 13) pairs.push([m, n]);
    for (const m of [1, 2, 63, 64, 65, 127, 128, 129, 255, 256, 257, 299]) pairs.push([m, N]);
    for (const [m, n] of pairs) {
      const proof = await log.consistencyProof(m, n);
      const oldRoot = Buffer.from(roots[m]!, 'hex');
      const newRoot = Buffer.from(roots[n]!, 'hex');
      if (!verifyConsistency(m, n, oldRoot, newRoot, proof)) throw new Error(`${m} → ${n} does not verify`);
      if (m < n && verifyConsistency(m, n, Buffer.from(roots[m === 1 ? 2 : m - 1]!, 'hex'), newRoot, proof)) {
        throw new Error(`${m} → ${n} verifies against another old root`);
      }
    }
    expect(pairs.length).toBeGreaterThan(1000);
  });

  it('signs tree heads, naming its own log, over the bytes the audit contract verifies', async () => {
    const head = await log.treeHead();
    expect(head).toMatchObject({ treeSize: N, rootHash: roots[N], signerMspId: 'CustomsMSP' });
    expect(head.logId).toMatch(/^[0-9a-f]{32}$/);
    expect(head.logId).toBe(log.logId);
    expect(head.signerCertificate).toBe(signer.certificate);
    const message = auditTreeHeadMessage(head);
    expect(message.toString()).toBe(
      `{"logId":"${head.logId}","rootHash":"${head.rootHash}","timestamp":"${head.timestamp}","treeSize":${N}}`,
    );
    expect(verify('sha256', message, publicKey, Buffer.from(head.signature, 'base64'))).toBe(true);
    for (const changed of [{ treeSize: N - 1 }, { logId: 'f'.repeat(32) }]) {
      const other = auditTreeHeadMessage({ ...head, ...changed });
      expect(verify('sha256', other, publicKey, Buffer.from(head.signature, 'base64'))).toBe(false);
    }
  });

  it('keeps its id across reopening; a read-only open of a log without one gives it none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-id-'));
    const db = await openGatewayStore(dir);
    try {
      expect((await AuditLog.open(db, signer, { readOnly: true })).logId).toBeUndefined();
      const first = (await AuditLog.open(db, signer)).logId;
      expect(first).toMatch(/^[0-9a-f]{32}$/);
      expect((await AuditLog.open(db, signer)).logId).toBe(first);
      expect((await AuditLog.open(db, signer, { readOnly: true })).logId).toBe(first);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads entries in pages and refuses sizes and indices outside the log', async () => {
    const page = await log.entries(295, 10);
    expect(page.map((e) => e.index)).toEqual([295, 296, 297, 298, 299]);
    expect(page[0]).toEqual({ ...entry(295), index: 295 });
    expect((await log.entries(0, 1000)).map((e) => e.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(await log.entries(N, 10)).toEqual([]);
    expect(await log.entry(N)).toBeUndefined();
    expect(await log.entry(-1)).toBeUndefined();
    await expect(log.rootAt(N + 1)).rejects.toThrow(AuditRangeError);
    await expect(log.rootAt(-1)).rejects.toThrow(AuditRangeError);
    await expect(log.inclusionProof(N, N)).rejects.toThrow(AuditRangeError);
    await expect(log.inclusionProof(0, N + 1)).rejects.toThrow(/outside the log/);
    await expect(log.consistencyProof(0, 5)).rejects.toThrow(AuditRangeError);
    await expect(log.consistencyProof(6, 5)).rejects.toThrow(AuditRangeError);
    await expect(log.consistencyProof(5, N + 1)).rejects.toThrow(AuditRangeError);
    await expect(log.entries(-1, 5)).rejects.toThrow(AuditRangeError);
    await expect(log.leafHashAt(N)).rejects.toThrow(AuditRangeError);
  });

  it('reopens with the same size and roots, and extends the tree consistently', async () => {
    const head = await log.treeHead();
    await db.close();
    db = await openDb(join(dir, 'store'));
    log = await AuditLog.open(db, signer);
    expect(log.size()).toBe(N);
    for (const size of sizesUpTo(N)) expect(hex(await log.rootAt(size)), `size ${size}`).toBe(roots[size]);
    await log.append(entry(N));
    leaves.push(leafHash(entryBytes({ ...entry(N), index: N })));
    roots.push(hex(naiveRoot(leaves)));
    expect(hex(await log.rootAt(N + 1))).toBe(roots[N + 1]);
    const proof = await log.consistencyProof(head.treeSize, N + 1);
    expect(
      verifyConsistency(
        head.treeSize,
        N + 1,
        Buffer.from(head.rootHash, 'hex'),
        await log.rootAt(N + 1),
        proof,
      ),
    ).toBe(true);
  });

  it('keeps only the entry fields, so nothing else (a body, a header) can reach the log', async () => {
    const leaky = { ...entry(1000), body: { name: 'Jane Doe' }, authorization: 'Bearer x' };
    const { index } = await log.append(leaky as AuditEntryInput);
    const stored = Buffer.from((await log.entryBytes(index))!).toString();
    expect(stored).not.toMatch(/Jane|Bearer|body|authorization/);
    expect(await log.entry(index)).toEqual({ ...entry(1000), index });
    leaves.push(leafHash(entryBytes({ ...entry(1000), index })));
    roots.push(hex(naiveRoot(leaves)));
  });

  it('gives concurrent appends unique, dense indices, grouped into fewer batches', async () => {
    const before = log.size();
    const batch = vi.spyOn(db, 'batch');
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append(entry(2000 + i))));
    const indices = results.map((r) => r.index).sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: 500 }, (_, i) => before + i));
    expect(batch.mock.calls.length).toBeLessThan(500);
    batch.mockRestore();
    expect(log.size()).toBe(before + 500);
    // Indices follow arrival order, and every entry is at its index.
    results.forEach((r, i) => expect(r.index).toBe(before + i));
    for (const r of results.slice(0, 20)) {
      expect((await log.entry(r.index))?.requestId).toBe(entry(2000 + r.index - before).requestId);
      expect(hex(await log.leafHashAt(r.index))).toBe(r.leafHash);
    }
    const all = [...leaves];
    for (const r of results) all.push(Buffer.from(r.leafHash, 'hex'));
    expect(hex(await log.rootAt(log.size()))).toBe(hex(naiveRoot(all)));
    for (const i of [0, before, before + 250, log.size() - 1]) {
      expect(await log.verifyEntry(i)).toBe(true);
    }
  });

  describe('tampering', () => {
    let head: TreeHead;
    const victim = 42;
    const audit = () =>
      db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
    const key = `e:${victim.toString(16).padStart(16, '0')}`;

    beforeAll(async () => {
      head = await log.treeHead();
    });

    it('an entry with one byte changed in the store fails its inclusion proof against an earlier head', async () => {
      const original = Buffer.from((await audit().get(key))!);
      const changed = Buffer.from(original);
      const at = changed.indexOf('C-42') + 2;
      changed[at] = '9'.charCodeAt(0); // consignment/C-92
      await audit().put(key, changed);
      expect(Buffer.from((await log.entryBytes(victim))!).equals(changed)).toBe(true);

      const proof = await log.inclusionProof(victim, head.treeSize);
      const root = Buffer.from(head.rootHash, 'hex');
      expect(verifyInclusion(leafHash(changed), victim, head.treeSize, proof, root)).toBe(false);
      expect(verifyInclusion(leafHash(original), victim, head.treeSize, proof, root)).toBe(true);
      expect(await log.verifyEntry(victim, head)).toBe(false);
      expect(await log.verifyEntry(victim)).toBe(false);
      expect(await log.verifyEntry(victim - 1, head)).toBe(true);
      expect(await log.verifyEntry(victim + 1, head)).toBe(true);

      await audit().put(key, original);
      expect(await log.verifyEntry(victim, head)).toBe(true);
    });

    it('a log rebuilt with one entry changed is inconsistent with the earlier head', async () => {
      const otherDir = await mkdtemp(join(tmpdir(), 'audit-rewritten-'));
      const other = await openDb(join(otherDir, 'store'));
      try {
        const rewritten = await AuditLog.open(other, signer, { sync: false });
        for (let i = 0; i < head.treeSize; i++) {
          const original = (await log.entry(i))!;
          const { index: _index, ...input } = original;
          await rewritten.append(i === victim ? { ...input, outcome: 403 } : input);
        }
        await rewritten.append(entry(9999));
        const size = head.treeSize + 1;
        expect(hex(await rewritten.rootAt(head.treeSize))).not.toBe(head.rootHash);
        const proof = await rewritten.consistencyProof(head.treeSize, size);
        expect(
          verifyConsistency(
            head.treeSize,
            size,
            Buffer.from(head.rootHash, 'hex'),
            await rewritten.rootAt(size),
            proof,
          ),
        ).toBe(false);
        // The rebuilt log's own entries all verify against its own root: only an earlier head exposes it.
        expect(await rewritten.verifyEntry(victim)).toBe(true);
        expect(await rewritten.verifyEntry(victim, head)).toBe(false);
      } finally {
        await other.close();
        await rm(otherDir, { recursive: true, force: true });
      }
    });
  });

  it('a failed write rejects the append, counts it, and leaves the log as it was', async () => {
    const size = log.size();
    const root = hex(await log.rootAt(size));
    const batch = vi.spyOn(db, 'batch').mockRejectedValueOnce(new Error('disk full'));
    await expect(log.append(entry(5000))).rejects.toThrow('disk full');
    batch.mockRestore();
    expect(log.failedAppends).toBe(1);
    expect(log.size()).toBe(size);
    expect(hex(await log.rootAt(size))).toBe(root);
    const next = await log.append(entry(5001));
    expect(next.index).toBe(size);
    await log.drain();
    await db.close();
    await expect(log.append(entry(5002))).rejects.toThrow();
    expect(log.failedAppends).toBe(2);
    db = await openDb(join(dir, 'store'));
    log = await AuditLog.open(db, signer);
    expect(log.size()).toBe(size + 1);
    expect(await log.verifyEntry(size)).toBe(true);
  });
});
