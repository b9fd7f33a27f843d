import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  foldSubtrees,
  inclusionProof,
  isPowerOfTwo,
  leafHash,
  nodeHash,
  perfectSubtrees,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/src/audit/merkle.js';
import { verifyConsistency as verifyConsistencyInBrowser } from '../../console/src/merkle.js';
import { CT_LEAF_INPUTS, CT_ROOTS } from '../support/ct-vectors.js';

/*
 * The RFC 6962 definitions, transcribed literally over arrays of leaf hashes: the reference the
 * iterative, store-friendly implementation must agree with for every size, index and size pair.
 */
function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return d[0]!;
  return nodeHash(mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const s = k(d.length);
  return m < s
    ? [...path(m, d.slice(0, s)), mth(d.slice(s))]
    : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  const s = k(n);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}
const proof = (m: number, d: Buffer[]): Buffer[] => subproof(m, d, true);

const MAX = 40;
const leaves = Array.from({ length: MAX }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const getNode = (start: number, size: number) => mth(leaves.slice(start, start + size));
const roots = Array.from({ length: MAX + 1 }, (_, n) => mth(leaves.slice(0, n)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');
const flip = (b: Uint8Array): Buffer => {
  const c = Buffer.from(b);
  c[0] = c[0]! ^ 1;
  return c;
};

describe('RFC 6962 hashing', () => {
  const ctLeaves = CT_LEAF_INPUTS.map((h) => leafHash(unhex(h)));
  const ctNode = (start: number, size: number) => mth(ctLeaves.slice(start, start + size));

  it('matches the reference tree heads, empty tree included', () => {
    expect(hex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(hex(mth(ctLeaves.slice(0, n))), `size ${n}`).toBe(CT_ROOTS[n]);
  });

  it('matches the reference inclusion and consistency proofs', async () => {
    expect((await inclusionProof(0, 8, ctNode)).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect((await inclusionProof(5, 8, ctNode)).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect((await consistencyProof(2, 8, ctNode)).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect((await consistencyProof(2, 5, ctNode)).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });

  it('domain-separates leaves from nodes', () => {
    const a = Buffer.alloc(32, 1);
    expect(leafHash(Buffer.concat([a, a])).equals(nodeHash(a, a))).toBe(false);
  });

  it('splits at the largest power of two below n', () => {
    for (let n = 2; n <= 1100; n++) {
      expect(splitPoint(n), `n=${n}`).toBe(k(n));
      expect(isPowerOfTwo(splitPoint(n))).toBe(true);
    }
    expect(splitPoint(2 ** 40 + 1)).toBe(2 ** 40);
    expect(() => splitPoint(1)).toThrow(RangeError);
    expect([1, 2, 4, 1024, 2 ** 52].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 6, 1023, 2 ** 52 - 1, -4, 2.5].some(isPowerOfTwo)).toBe(false);
  });

  it('decomposes every aligned subtree into perfect subtrees whose fold is its MTH', () => {
    for (let n = 1; n <= MAX; n++) {
      expect(hex(foldSubtrees(perfectSubtrees(0, n).map(([h, i]) => getNode(i * 2 ** h, 2 ** h))))).toBe(
        hex(roots[n]!),
      );
      // Right-hand subtrees as proofs need them: D[k : n] for every split of the recursion.
      const s = n > 1 ? k(n) : 0;
      if (s > 0) {
        const parts = perfectSubtrees(s, n - s);
        expect(parts.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(hex(foldSubtrees(parts.map(([h, i]) => getNode(i * 2 ** h, 2 ** h))))).toBe(
          hex(getNode(s, n - s)),
        );
      }
    }
    expect(foldSubtrees([]).equals(EMPTY_ROOT)).toBe(true);
    expect(() => perfectSubtrees(1, 2)).toThrow(RangeError);
  });
});

describe('inclusion proofs, every index of every tree of 1 to 40 leaves', () => {
  it('equal PATH(m, D[n]) and verify (RFC 9162 §2.1.3.2)', async () => {
    for (let n = 1; n <= MAX; n++) {
      const d = leaves.slice(0, n);
      for (let m = 0; m < n; m++) {
        const got = await inclusionProof(m, n, getNode);
        expect(got.map(hex), `m=${m} n=${n}`).toEqual(path(m, d).map(hex));
        expect(verifyInclusion(leaves[m]!, m, n, got, roots[n]!), `m=${m} n=${n}`).toBe(true);
      }
    }
  });

  it('fail for another leaf, index or root, an index beyond the size, and for a changed, shortened or lengthened path', async () => {
    for (let n = 1; n <= MAX; n++) {
      const root = roots[n]!;
      for (let m = 0; m < n; m++) {
        const p = await inclusionProof(m, n, getNode);
        const leaf = leaves[m]!;
        const where = `m=${m} n=${n}`;
        expect(verifyInclusion(flip(leaf), m, n, p, root), where).toBe(false);
        expect(verifyInclusion(leaf, m, n, p, flip(root)), where).toBe(false);
        if (n > 1) expect(verifyInclusion(leaf, (m + 1) % n, n, p, root), where).toBe(false);
        // (The size is not bound by the path alone, e.g. index 0 verifies alike in sizes 3 and 4:
        // it is bound by the signed tree head the root comes from.)
        expect(verifyInclusion(leaf, m, m, p, root), where).toBe(false);
        for (let j = 0; j < p.length; j++) {
          const changed = p.map((h, i) => (i === j ? flip(h) : h));
          expect(verifyInclusion(leaf, m, n, changed, root), `${where} j=${j}`).toBe(false);
        }
        if (p.length > 0) expect(verifyInclusion(leaf, m, n, p.slice(0, -1), root), where).toBe(false);
        expect(verifyInclusion(leaf, m, n, [...p, leaf], root), where).toBe(false);
      }
    }
  });

  it('refuse impossible arguments', async () => {
    await expect(inclusionProof(0, 0, getNode)).rejects.toThrow(RangeError);
    await expect(inclusionProof(5, 5, getNode)).rejects.toThrow(RangeError);
    await expect(inclusionProof(-1, 5, getNode)).rejects.toThrow(RangeError);
    await expect(inclusionProof(1.5, 5, getNode)).rejects.toThrow(RangeError);
    const p = await inclusionProof(1, 4, getNode);
    expect(verifyInclusion(leaves[1]!, 1, 4, p, roots[4]!)).toBe(true);
    expect(verifyInclusion(leaves[1]!, -1, 4, p, roots[4]!)).toBe(false);
    expect(verifyInclusion(leaves[1]!, 1, 4, [...p.slice(0, 1), Buffer.alloc(31)], roots[4]!)).toBe(false);
    expect(verifyInclusion(leaves[1]!.subarray(1), 1, 4, p, roots[4]!)).toBe(false);
  });
});

describe('consistency proofs, every pair of sizes 1 ≤ m ≤ n ≤ 40', () => {
  it('equal PROOF(m, D[n]) and verify (RFC 9162 §2.1.4.2)', async () => {
    for (let n = 1; n <= MAX; n++) {
      const d = leaves.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const got = await consistencyProof(m, n, getNode);
        expect(got.map(hex), `m=${m} n=${n}`).toEqual(proof(m, d).map(hex));
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, got), `m=${m} n=${n}`).toBe(true);
      }
    }
  });

  it('fail for a rewritten old tree, another root, swapped sizes and a changed or shortened proof', async () => {
    for (let n = 2; n <= MAX; n++) {
      for (let m = 1; m < n; m++) {
        const p = await consistencyProof(m, n, getNode);
        const where = `m=${m} n=${n}`;
        // The old tree with one entry rewritten: its root is not a prefix of the new tree.
        for (const r of [0, m - 1]) {
          const rewritten = leaves.slice(0, m).map((h, i) => (i === r ? flip(h) : h));
          expect(verifyConsistency(m, n, mth(rewritten), roots[n]!, p), `${where} r=${r}`).toBe(false);
        }
        expect(verifyConsistency(m, n, roots[m]!, flip(roots[n]!), p), where).toBe(false);
        expect(verifyConsistency(n, m, roots[n]!, roots[m]!, p), where).toBe(false);
        if (m + 1 < n) expect(verifyConsistency(m + 1, n, roots[m]!, roots[n]!, p), where).toBe(false);
        for (let j = 0; j < p.length; j++) {
          const changed = p.map((h, i) => (i === j ? flip(h) : h));
          expect(verifyConsistency(m, n, roots[m]!, roots[n]!, changed), `${where} j=${j}`).toBe(false);
        }
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, p.slice(0, -1)), where).toBe(false);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, []), where).toBe(false);
      }
    }
  });

  it('treat equal sizes and impossible arguments as RFC 9162 does', async () => {
    expect(await consistencyProof(7, 7, getNode)).toEqual([]);
    expect(verifyConsistency(7, 7, roots[7]!, roots[7]!, [])).toBe(true);
    expect(verifyConsistency(7, 7, roots[7]!, roots[8]!, [])).toBe(false);
    expect(verifyConsistency(7, 7, roots[7]!, roots[7]!, [roots[7]!])).toBe(false);
    expect(verifyConsistency(0, 7, EMPTY_ROOT, roots[7]!, [])).toBe(false);
    await expect(consistencyProof(0, 7, getNode)).rejects.toThrow(RangeError);
    await expect(consistencyProof(8, 7, getNode)).rejects.toThrow(RangeError);
  });
});

describe('the web console’s consistency check (WebCrypto), every pair of sizes 1 ≤ m ≤ n ≤ 40', () => {
  it('accepts what the gateway proves and refuses what the gateway’s own check refuses', async () => {
    const browser = (m: number, n: number, p: readonly Buffer[], from: Buffer, to: Buffer) =>
      verifyConsistencyInBrowser(m, n, p.map(hex), hex(from), hex(to));
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const p = await consistencyProof(m, n, getNode);
        const where = `m=${m} n=${n}`;
        expect(await browser(m, n, p, roots[m]!, roots[n]!), where).toBe(true);
        if (m === n) continue;
        expect(await browser(m, n, p, flip(roots[m]!), roots[n]!), where).toBe(false);
        expect(await browser(m, n, p, roots[m]!, flip(roots[n]!)), where).toBe(false);
        expect(await browser(n, m, p, roots[n]!, roots[m]!), where).toBe(false);
        for (let j = 0; j < p.length; j++) {
          const changed = p.map((h, i) => (i === j ? flip(h) : h));
          expect(await browser(m, n, changed, roots[m]!, roots[n]!), `${where} j=${j}`).toBe(false);
        }
        expect(await browser(m, n, p.slice(0, -1), roots[m]!, roots[n]!), where).toBe(false);
      }
    }
  });
});
