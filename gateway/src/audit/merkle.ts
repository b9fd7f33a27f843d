import { createHash } from 'node:crypto';

/*
 * RFC 6962 / RFC 9162 Merkle tree hashing, pure.
 *
 *   leaf hash  = SHA-256(0x00 ‖ data)
 *   node hash  = SHA-256(0x01 ‖ left ‖ right)
 *   MTH({})    = SHA-256()
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two strictly below n
 *
 * Proof generation takes a function giving MTH of any subtree D[start : start+size] that the
 * proof needs, so a store can answer it from stored perfect subtrees in O(log n) reads instead
 * of rehashing leaves. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally.
 */

export const HASH_SIZE = 32;

/** MTH(D[start : start+size]): may read from a store (async) or compute (sync). */
export type SubtreeHash = (start: number, size: number) => Uint8Array | Promise<Uint8Array>;

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`no split point for a tree of size ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The perfect subtrees whose hashes make up MTH(D[start : start+size]), as [height, index] pairs
 * (the subtree of height h and index i covers leaves [i·2^h, (i+1)·2^h)), left to right. `start`
 * must be where RFC 6962's recursion can place a subtree: a multiple of the largest power of two
 * not exceeding `size` (true for every subtree a root, inclusion or consistency proof needs).
 */
export function perfectSubtrees(start: number, size: number): [height: number, index: number][] {
  const out: [number, number][] = [];
  let offset = start;
  let remaining = size;
  while (remaining > 0) {
    let width = 1;
    while (width * 2 <= remaining) width *= 2;
    if (offset % width !== 0) throw new RangeError(`subtree [${start}, ${start + size}) is not aligned`);
    out.push([Math.log2(width), offset / width]);
    offset += width;
    remaining -= width;
  }
  return out;
}

/** Folds the perfect subtrees of a range (as listed by perfectSubtrees) into its MTH: right to left. */
export function foldSubtrees(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1]!);
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

function checkSize(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf `leafIndex` in the tree of `treeSize`. */
export async function inclusionProof(
  leafIndex: number,
  treeSize: number,
  getNode: SubtreeHash,
): Promise<Buffer[]> {
  checkSize('treeSize', treeSize, 1);
  checkSize('leafIndex', leafIndex, 0);
  if (leafIndex >= treeSize) {
    throw new RangeError(`leaf index ${leafIndex} is outside a tree of size ${treeSize}`);
  }
  // Iterative form of PATH: descend from the root, collecting siblings, then reverse (leaf first).
  const siblings: Buffer[] = [];
  let m = leafIndex;
  let start = 0;
  let n = treeSize;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      siblings.push(Buffer.from(await getNode(start + k, n - k)));
      n = k;
    } else {
      siblings.push(Buffer.from(await getNode(start, k)));
      m -= k;
      start += k;
      n -= k;
    }
  }
  return siblings.reverse();
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2: proves the tree of `oldSize` is a prefix of the tree of `newSize`. */
export async function consistencyProof(
  oldSize: number,
  newSize: number,
  getNode: SubtreeHash,
): Promise<Buffer[]> {
  checkSize('oldSize', oldSize, 1);
  checkSize('newSize', newSize, 1);
  if (oldSize > newSize) {
    throw new RangeError(`no consistency proof from size ${oldSize} to the smaller size ${newSize}`);
  }
  // Iterative form of SUBPROOF(m, D[n], true), collected root-first then reversed.
  const proof: Buffer[] = [];
  let m = oldSize;
  let start = 0;
  let n = newSize;
  let complete = true;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(Buffer.from(await getNode(start + k, n - k)));
      n = k;
    } else {
      proof.push(Buffer.from(await getNode(start, k)));
      m -= k;
      start += k;
      n -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(Buffer.from(await getNode(start, m)));
  return proof.reverse();
}

const isHash = (h: Uint8Array): boolean => h.length === HASH_SIZE;
const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

/** RFC 9162 §2.1.3.2: does `proof` show `leaf` (a leaf hash) at `index` in the tree of `treeSize` with `root`? */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return false;
  if (index < 0 || index >= treeSize) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  // Shifts are done by halving: tree sizes may exceed 32 bits.
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `oldSize` and `oldRoot` is a prefix of the tree of `newSize` and `newRoot`? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 1 || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === newSize) return proof.length === 0 && equal(oldRoot, newRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
}
