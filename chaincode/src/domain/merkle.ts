import { createHash, createHmac } from 'node:crypto';

import { canonicalJson } from './canonical';

/**
 * Salted field commitments over a JSON payload, arranged as an RFC 6962 Merkle tree.
 *
 * Each scalar (or empty container) becomes a leaf at its JSON-pointer path. Its salt is
 * HMAC-SHA256(saltSeed, path): unguessable without the seed, identical on every endorser, and
 * independent per field, so disclosing one field's salt says nothing about the others. Leaves
 * and nodes use RFC 6962 domain separation (0x00 / 0x01 prefixes) so a node can never be
 * passed off as a leaf.
 */

export type JsonScalar = string | number | boolean | null;
/** A leaf value: a scalar, or an empty object/array (which has no leaves beneath it). */
export type LeafValue = JsonScalar | Record<string, never> | never[];

export interface Leaf {
  readonly path: string;
  readonly salt: string;
  readonly value: LeafValue;
  readonly hash: string;
}

export interface Commitment {
  readonly root: string;
  readonly leafCount: number;
  readonly leaves: readonly Leaf[];
}

export interface DisclosedField {
  readonly index: number;
  readonly path: string;
  readonly value: LeafValue;
  readonly salt: string;
  /** The committed leaf hash, carried so a verifier can tell a bad proof from bad field data. */
  readonly hash: string;
  readonly proof: readonly string[];
}

export interface DisclosurePackage {
  readonly root: string;
  readonly leafCount: number;
  readonly fields: readonly DisclosedField[];
}

export type DisclosureFailureCode = 'format' | 'path' | 'salt' | 'value' | 'leaf' | 'proof' | 'root';

export type DisclosureVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: DisclosureFailureCode;
      readonly path?: string;
      readonly reason: string;
    };

const MIN_SEED_BYTES = 16;
const MAX_SEED_BYTES = 256;
const HEX_64 = /^[0-9a-f]{64}$/;

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** Validates and decodes a salt seed (hex, at least 16 bytes). Buffer.from(hex) alone would silently truncate. */
export function parseSaltSeed(saltSeedHex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(saltSeedHex)) {
    throw new Error('saltSeed must be an even-length hexadecimal string');
  }
  const bytes = Buffer.from(saltSeedHex, 'hex');
  if (bytes.length < MIN_SEED_BYTES) throw new Error(`saltSeed must be at least ${MIN_SEED_BYTES} bytes`);
  if (bytes.length > MAX_SEED_BYTES) throw new Error(`saltSeed must be at most ${MAX_SEED_BYTES} bytes`);
  return bytes;
}

/** RFC 6901 escaping of one reference token. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeafValue(value: unknown): value is LeafValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/** Compares strings by their UTF-8 bytes (Fabric's key order), not by UTF-16 code units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The payload's leaves as [path, value] pairs, sorted by path in UTF-8 byte order. */
export function flatten(payload: unknown): [string, LeafValue][] {
  const out: [string, LeafValue][] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((item, i) => walk(item, `${path}/${i}`));
    } else if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        // JSON has no undefined; skipping it matches what canonical JSON would store.
        if (v !== undefined) walk(v, `${path}/${escapePointerToken(k)}`);
      }
    } else if (isLeafValue(value)) {
      out.push([path, value]);
    } else {
      throw new Error(`value at '${path}' is not JSON (${typeof value})`);
    }
  };
  walk(payload, '');
  return out.sort(([a], [b]) => compareUtf8(a, b));
}

export function fieldSalt(seed: Uint8Array, path: string): string {
  return createHmac('sha256', seed).update(path, 'utf8').digest('hex');
}

export function leafHash(path: string, salt: string, value: LeafValue): string {
  return sha256(LEAF_PREFIX, Buffer.from(canonicalJson([path, salt, value]), 'utf8')).toString('hex');
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** Largest power of two strictly less than n (n ≥ 2), the RFC 6962 split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A node of an RFC 6962 tree over leaf hashes, each hash computed once. */
interface MerkleNode {
  readonly hash: Buffer;
  readonly size: number;
  readonly children?: readonly [MerkleNode, MerkleNode];
}

/** The tree of one or more leaf hashes: O(n) hashes, where each proof is then a walk of O(log n). */
function merkleTree(hashes: readonly Buffer[], start = 0, end = hashes.length): MerkleNode {
  const size = end - start;
  if (size === 1) return { hash: hashes[start] as Buffer, size };
  const k = splitPoint(size);
  const left = merkleTree(hashes, start, start + k);
  const right = merkleTree(hashes, start + k, end);
  return { hash: nodeHash(left.hash, right.hash), size, children: [left, right] };
}

/** RFC 6962 audit path of the leaf at index, leaf-to-root order. */
function auditPath(root: MerkleNode, index: number): Buffer[] {
  const path: Buffer[] = [];
  let node = root;
  let i = index;
  while (node.children) {
    const [left, right] = node.children;
    if (i < left.size) {
      path.push(right.hash);
      node = left;
    } else {
      path.push(left.hash);
      i -= left.size;
      node = right;
    }
  }
  return path.reverse();
}

function toHashBuffers(leaves: readonly { readonly hash: string }[]): Buffer[] {
  return leaves.map((l) => Buffer.from(l.hash, 'hex'));
}

/** RFC 6962 Merkle Tree Hash of leaf hashes (hex). */
export function merkleRoot(leaves: readonly { readonly hash: string }[]): string {
  return (leaves.length === 0 ? sha256() : merkleTree(toHashBuffers(leaves)).hash).toString('hex');
}

export function commitPayload(payload: unknown, saltSeedHex: string): Commitment {
  const seed = parseSaltSeed(saltSeedHex);
  const leaves: Leaf[] = flatten(payload).map(([path, value]) => {
    const salt = fieldSalt(seed, path);
    return { path, salt, value, hash: leafHash(path, salt, value) };
  });
  return { root: merkleRoot(leaves), leafCount: leaves.length, leaves };
}

/** RFC 6962 audit path for the leaf at index, leaf-to-root order (hex). */
export function inclusionProof(leaves: readonly { readonly hash: string }[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new Error(`leaf index ${index} is out of range for ${leaves.length} leaves`);
  }
  return auditPath(merkleTree(toHashBuffers(leaves)), index).map((h) => h.toString('hex'));
}

/** RFC 9162 §2.1.3.2 inclusion verification. */
export function verifyInclusion(
  root: string,
  leafCount: number,
  index: number,
  leafHashHex: string,
  proof: readonly string[],
): boolean {
  if (!Number.isSafeInteger(leafCount) || !Number.isSafeInteger(index)) return false;
  if (index < 0 || index >= leafCount) return false;
  if (!HEX_64.test(root) || !HEX_64.test(leafHashHex) || !proof.every((p) => HEX_64.test(p))) return false;
  let fn = index;
  let sn = leafCount - 1;
  let r: Buffer = Buffer.from(leafHashHex, 'hex');
  for (const p of proof) {
    if (sn === 0) return false;
    const sibling = Buffer.from(p, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === root;
}

/**
 * A committed leaf as its holder keeps it: with its value and salt, or, once erased, its hash
 * alone. The hashes keep the root computable, so the fields kept stay disclosable.
 */
export type HeldLeaf =
  | { readonly path: string; readonly hash: string; readonly value: LeafValue; readonly salt: string }
  | { readonly path: string; readonly hash: string; readonly erased: true };

export function isErased(leaf: HeldLeaf): leaf is Extract<HeldLeaf, { erased: true }> {
  return 'erased' in leaf;
}

/**
 * The payload that held leaves still carry: flatten() undone over the kept leaves, the erased
 * ones absent. A container whose keys are exactly 0..n-1 reads as an array; callers validate the
 * fields they use with their own schema.
 */
export function keptPayload(leaves: readonly HeldLeaf[]): unknown {
  type Branch = Map<string, Branch | { readonly value: LeafValue }>;
  const top: Branch = new Map();
  for (const leaf of leaves) {
    if (isErased(leaf)) continue;
    // A payload that is itself a single leaf (an empty object) has the path ''.
    if (leaf.path === '') return leaf.value;
    const tokens = leaf.path
      .slice(1)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let branch = top;
    for (const token of tokens.slice(0, -1)) {
      let next = branch.get(token);
      if (!(next instanceof Map)) {
        next = new Map();
        branch.set(token, next);
      }
      branch = next;
    }
    branch.set(tokens.at(-1) as string, { value: leaf.value });
  }
  const build = (node: Branch | { readonly value: LeafValue }): unknown => {
    if (!(node instanceof Map)) return node.value;
    const keys = [...node.keys()];
    if (keys.length > 0 && keys.every((k) => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < keys.length)) {
      const items: unknown[] = [];
      for (const [k, child] of node) items[Number(k)] = build(child);
      return items;
    }
    return Object.fromEntries([...node].map(([k, child]) => [k, build(child)]));
  };
  return build(top);
}

/** Whether a leaf lies at or under a path ('' is the whole payload), as disclose() selects. */
export function underPath(leafPath: string, path: string): boolean {
  return path === '' || leafPath === path || leafPath.startsWith(`${path}/`);
}

/**
 * Discloses the leaves at the given paths, or under them when a path names an object or
 * array (e.g. '/consignee/address' discloses every address field).
 */
export function disclose(payload: unknown, saltSeedHex: string, paths: readonly string[]): DisclosurePackage {
  return discloseLeaves(commitPayload(payload, saltSeedHex).leaves, paths);
}

/** disclose() over held leaves: an erased leaf cannot be disclosed, the others can as before. */
export function discloseLeaves(leaves: readonly HeldLeaf[], paths: readonly string[]): DisclosurePackage {
  const chosen = new Set<number>();
  for (const p of paths) {
    let found = false;
    leaves.forEach((leaf, i) => {
      if (underPath(leaf.path, p)) {
        chosen.add(i);
        found = true;
      }
    });
    if (!found) throw new Error(`no field at path '${p}'`);
  }
  // One tree for every proof: a proof made from the leaves anew costs O(n) hashes, and a record
  // of 999 order lines disclosed whole took minutes of the gateway's thread.
  const tree = merkleTree(toHashBuffers(leaves));
  const fields = [...chosen]
    .sort((a, b) => a - b)
    .map((index): DisclosedField => {
      const leaf = leaves[index] as HeldLeaf;
      if (isErased(leaf)) throw new Error(`field '${leaf.path}' was erased: only its hash remains`);
      return {
        index,
        path: leaf.path,
        value: leaf.value,
        salt: leaf.salt,
        hash: leaf.hash,
        proof: auditPath(tree, index).map((h) => h.toString('hex')),
      };
    });
  return { root: tree.hash.toString('hex'), leafCount: leaves.length, fields };
}

function isPointer(p: unknown): p is string {
  // RFC 6901: '' or a sequence of '/'-prefixed tokens where '~' is only followed by 0 or 1.
  return typeof p === 'string' && (p === '' || (p.startsWith('/') && !/~(?![01])/.test(p)));
}

function fail(code: DisclosureFailureCode, reason: string, path?: string): DisclosureVerdict {
  return path === undefined ? { ok: false, code, reason } : { ok: false, code, path, reason };
}

/**
 * Checks a disclosure package. The reason separates what a verifier can tell apart: a malformed
 * path, salt or value; field data that does not hash to the committed leaf ('leaf': the value,
 * salt or path was changed); a committed leaf whose proof does not reach the root ('proof');
 * and, when the on-chain commitment is given, a package for a different one ('root'). An RFC 6962
 * root does not bind the tree size by itself, so a verifier should pass the committed leafCount too.
 */
export function verifyDisclosure(
  pkg: DisclosurePackage,
  committed?: { readonly root: string; readonly leafCount: number },
): DisclosureVerdict {
  if (typeof pkg !== 'object' || pkg === null || !Array.isArray(pkg.fields)) {
    return fail('format', 'package must be an object with a fields array');
  }
  if (typeof pkg.root !== 'string' || !HEX_64.test(pkg.root)) {
    return fail('format', 'root must be 64 lowercase hex characters');
  }
  if (!Number.isSafeInteger(pkg.leafCount) || pkg.leafCount < 1) {
    return fail('format', 'leafCount must be a positive integer');
  }
  if (pkg.fields.length === 0) return fail('format', 'package discloses no fields');
  if (committed && (pkg.root !== committed.root || pkg.leafCount !== committed.leafCount)) {
    return fail(
      'root',
      `package commits to root ${pkg.root} over ${pkg.leafCount} leaves, not the committed ${committed.root} over ${committed.leafCount}`,
    );
  }
  let previous: { index: number; path: string } | undefined;
  for (const field of pkg.fields) {
    const at = typeof field?.path === 'string' ? field.path : undefined;
    if (!isPointer(field?.path)) return fail('path', 'path is not a JSON pointer', at);
    if (!Number.isSafeInteger(field.index) || field.index < 0 || field.index >= pkg.leafCount) {
      return fail('path', `index ${String(field.index)} is outside the tree of ${pkg.leafCount} leaves`, at);
    }
    // Leaves are sorted by path, so disclosed paths must increase with their indices.
    if (previous && (field.index <= previous.index || compareUtf8(field.path, previous.path) <= 0)) {
      return fail('path', 'fields must be in increasing index and path order without duplicates', at);
    }
    if (typeof field.salt !== 'string' || !HEX_64.test(field.salt)) {
      return fail('salt', 'salt must be 64 lowercase hex characters', at);
    }
    if (!isLeafValue(field.value)) {
      return fail('value', 'value must be a JSON scalar or an empty object or array', at);
    }
    if (typeof field.hash !== 'string' || !HEX_64.test(field.hash)) {
      return fail('format', 'hash must be 64 lowercase hex characters', at);
    }
    if (
      !Array.isArray(field.proof) ||
      !field.proof.every((p: unknown) => typeof p === 'string' && HEX_64.test(p))
    ) {
      return fail('proof', 'proof must be an array of 64-hex hashes', at);
    }
    if (!verifyInclusion(pkg.root, pkg.leafCount, field.index, field.hash, field.proof)) {
      return fail('proof', `proof does not link leaf ${field.index} to the root`, at);
    }
    if (leafHash(field.path, field.salt, field.value) !== field.hash) {
      return fail('leaf', 'value, salt or path does not match the committed leaf hash', at);
    }
    previous = { index: field.index, path: field.path };
  }
  return { ok: true };
}
