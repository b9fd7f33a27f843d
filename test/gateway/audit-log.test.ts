import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, treeHeadMessage, type AuditEntry } from '../../gateway/src/audit/audit-log.js';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/src/audit/merkle.js';

/** RFC 6962's definition, literally: the reference the stored-subtree implementation must match. */
function naiveRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

const leavesOf = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const mthOf = (leaves: Buffer[]) => async (start: number, size: number) =>
  naiveRoot(leaves.slice(start, start + size));

describe('RFC 6962 proofs', () => {
  it('every inclusion proof verifies for trees of 1 to 40 leaves, and fails for another index or root', async () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = leavesOf(n);
      const root = naiveRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, mthOf(leaves));
        expect(verifyInclusion(leaves[i]!, i, n, proof, root), `n=${n} i=${i}`).toBe(true);
        if (n > 1) expect(verifyInclusion(leaves[i]!, (i + 1) % n, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaves[i]!, i, n, proof, leafHash(Buffer.from('other')))).toBe(false);
      }
    }
  });

  it('every consistency proof verifies for sizes 1 ≤ m ≤ n ≤ 24, and fails against a rewritten old tree', async () => {
    for (let n = 1; n <= 24; n++) {
      const leaves = leavesOf(n);
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, mthOf(leaves));
        const oldRoot = naiveRoot(leaves.slice(0, m));
        expect(verifyConsistency(m, n, oldRoot, naiveRoot(leaves), proof), `m=${m} n=${n}`).toBe(true);
        const rewritten = [...leaves.slice(0, m)];
        rewritten[0] = leafHash(Buffer.from('rewritten'));
        if (m < n)
          expect(verifyConsistency(m, n, naiveRoot(rewritten), naiveRoot(leaves), proof)).toBe(false);
      }
    }
  });
});

describe('the audit log in LevelDB', () => {
  let dir: string;
  let db: Level<string, Uint8Array>;
  let log: AuditLog;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = {
    mspId: 'CustomsMSP',
    certificate: 'test',
    sign: async (message: Uint8Array) => sign('sha256', message, privateKey),
  };
  const entry = (i: number): Omit<AuditEntry, 'index'> => ({
    time: new Date(0).toISOString(),
    requestId: `req-${i}`,
    user: 'u',
    mspId: 'PlatformAMSP',
    role: 'operator',
    method: 'POST',
    route: '/v1/consignments',
    resource: `consignment/C-${i}`,
    purpose: '',
    outcome: 201,
    txId: '',
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-'));
    db = new Level(join(dir, 'store'), { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    log = await AuditLog.open(db, signer);
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('concurrent appends get dense unique indices and roots equal the RFC 6962 definition', async () => {
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => log.append(entry(i))));
    expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 150 }, (_, i) => i),
    );
    const leaves = await Promise.all(Array.from({ length: 150 }, (_, i) => log.leafHashAt(i)));
    for (const size of [1, 2, 3, 64, 100, 150])
      expect((await log.rootAt(size)).equals(naiveRoot(leaves.slice(0, size)))).toBe(true);
    for (const i of [0, 1, 77, 149]) {
      const bytes = (await log.entryBytes(i))!;
      expect(leafHash(bytes).equals(leaves[i]!)).toBe(true);
      expect(
        verifyInclusion(leaves[i]!, i, 150, await log.inclusionProof(i, 150), await log.rootAt(150)),
      ).toBe(true);
    }
    expect(
      verifyConsistency(
        60,
        150,
        await log.rootAt(60),
        await log.rootAt(150),
        await log.consistencyProof(60, 150),
      ),
    ).toBe(true);
  });

  it('signs tree heads; the head survives reopening and new appends extend it consistently', async () => {
    const head = await log.treeHead();
    expect(verify('sha256', treeHeadMessage(head), publicKey, Buffer.from(head.signature, 'base64'))).toBe(
      true,
    );
    const reopened = await AuditLog.open(db, signer);
    expect((await reopened.rootAt(head.treeSize)).toString('hex')).toBe(head.rootHash);
    await reopened.append(entry(150));
    const proof = await reopened.consistencyProof(head.treeSize, 151);
    expect(
      verifyConsistency(
        head.treeSize,
        151,
        Buffer.from(head.rootHash, 'hex'),
        await reopened.rootAt(151),
        proof,
      ),
    ).toBe(true);
    log = reopened;
  });

  it('an entry rewritten in the store no longer matches the tree head taken before', async () => {
    const head = await log.treeHead();
    const audit = db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
    const key = `e:${(42).toString(16).padStart(16, '0')}`;
    const original = (await audit.get(key))!;
    await audit.put(key, Buffer.from(Buffer.from(original).toString().replace('C-42', 'C-99')));
    const tampered = (await log.entryBytes(42))!;
    const proof = await log.inclusionProof(42, head.treeSize);
    expect(
      verifyInclusion(leafHash(tampered), 42, head.treeSize, proof, Buffer.from(head.rootHash, 'hex')),
    ).toBe(false);
    expect(
      verifyInclusion(leafHash(original), 42, head.treeSize, proof, Buffer.from(head.rootHash, 'hex')),
    ).toBe(true);
  });
});
