/** RFC 6962 / RFC 9162 Merkle tree checks with WebCrypto, so the auditor's browser checks the gateway's proofs itself. */

const hex = (bytes: ArrayBuffer): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text: string): Uint8Array =>
  new Uint8Array((text.match(/../g) ?? []).map((b) => parseInt(b, 16)));

async function sha256(...parts: Uint8Array[]): Promise<string> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return hex(await crypto.subtle.digest('SHA-256', joined));
}

/**
 * RFC 8785 canonical JSON of an audit entry: a flat object of strings and integers, for which
 * sorted keys and JSON.stringify's escaping are exactly the canonical form.
 */
export function canonicalEntry(entry: Record<string, string | number>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(entry)
        .sort()
        .map((k) => [k, entry[k]]),
    ),
  );
}

/** Leaf hash: SHA-256(0x00 ‖ leaf data). */
export const leafHash = (data: string): Promise<string> =>
  sha256(new Uint8Array([0]), new TextEncoder().encode(data));

/** RFC 9162 §2.1.3.2: does this audit path lead from the leaf at `index` to `root` in a tree of `size`? */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: string,
  path: readonly string[],
  root: string,
): Promise<boolean> {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(new Uint8Array([1]), unhex(p), unhex(r));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(new Uint8Array([1]), unhex(r), unhex(p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r === root;
}

/**
 * RFC 9162 §2.1.4.2: does this consistency proof show the tree of `first` entries with root
 * `firstRoot` to be a prefix of the tree of `second` entries with root `secondRoot`?
 */
export async function verifyConsistency(
  first: number,
  second: number,
  proof: readonly string[],
  firstRoot: string,
  secondRoot: string,
): Promise<boolean> {
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot === secondRoot;
  // A first tree of a power-of-two size is a complete subtree: its root starts the path.
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await sha256(new Uint8Array([1]), unhex(c), unhex(fr));
      sr = await sha256(new Uint8Array([1]), unhex(c), unhex(sr));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await sha256(new Uint8Array([1]), unhex(sr), unhex(c));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr === firstRoot && sr === secondRoot && sn === 0;
}
