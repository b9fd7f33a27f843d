import { createHash } from 'node:crypto';

/*
 * RFC 6962 / RFC 9162 Merkle tree hashing: leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ l ‖ r),
 * the tree over n leaves split at the largest power of two below n. Proof generation takes a
 * function giving the hash of any subtree D[start : start+size], so stores can answer it from
 * stored perfect subtrees in O(log n).
 */

export type SubtreeHash = (start: number, size: number) => Promise<Buffer>;

export const leafHash = (data: Uint8Array): Buffer =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
export const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer =>
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
export const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(m, D[start : start+n]) of RFC 6962 §2.1.1. */
export async function inclusionProof(index: number, treeSize: number, mth: SubtreeHash): Promise<Buffer[]> {
  if (!Number.isInteger(index) || index < 0 || index >= treeSize) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${treeSize}`);
  }
  const path = async (m: number, start: number, n: number): Promise<Buffer[]> => {
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...(await path(m, start, k)), await mth(start + k, n - k)]
      : [...(await path(m - k, start + k, n - k)), await mth(start, k)];
  };
  return path(index, 0, treeSize);
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2. */
export async function consistencyProof(
  oldSize: number,
  newSize: number,
  mth: SubtreeHash,
): Promise<Buffer[]> {
  if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > newSize) {
    throw new RangeError(`no consistency proof from size ${oldSize} to size ${newSize}`);
  }
  const subproof = async (m: number, start: number, n: number, complete: boolean): Promise<Buffer[]> => {
    if (m === n) return complete ? [] : [await mth(start, m)];
    const k = splitPoint(n);
    return m <= k
      ? [...(await subproof(m, start, k, complete)), await mth(start + k, n - k)]
      : [...(await subproof(m - k, start + k, n - k, false)), await mth(start, k)];
  };
  return subproof(oldSize, 0, newSize, true);
}

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (oldSize < 1 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
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
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}
