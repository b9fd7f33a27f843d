import { createHash, createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { canonicalJson, fromBytes, toBytes } from '../../chaincode/src/domain/canonical.js';
import {
  commitPayload,
  disclose,
  flatten,
  inclusionProof,
  keptPayload,
  leafHash,
  merkleRoot,
  parseSaltSeed,
  verifyDisclosure,
  verifyInclusion,
  type DisclosurePackage,
} from '../../chaincode/src/domain/merkle.js';
import { CT_LEAF_INPUTS, CT_ROOTS } from '../support/ct-vectors.js';

const SEED = '000102030405060708090a0b0c0d0e0f';
const OTHER_SEED = 'ffeeddccbbaa99887766554433221100';

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  parts.forEach((p) => h.update(p));
  return h.digest('hex');
};

describe('canonical JSON', () => {
  it.each([
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ z: { y: 2, x: 1 } }, '{"z":{"x":1,"y":2}}'],
    [1e21, '1e+21'],
    [0.1 + 0.2, '0.30000000000000004'],
    ['é\u2028', '"é\u2028"'],
    [{ a: undefined, b: 2 }, '{"b":2}'],
  ])('canonicalJson(%j) = %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('round-trips through bytes', () => {
    const value = { b: [1, 2], a: 'ü' };
    expect(fromBytes(toBytes(value))).toEqual(value);
    expect(Buffer.from(toBytes(value)).toString('utf8')).toBe('{"a":"ü","b":[1,2]}');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson(undefined)).toThrow();
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => fromBytes(new Uint8Array())).toThrow(/empty/);
  });
});

describe('RFC 6962 tree', () => {
  const leaves = CT_LEAF_INPUTS.map((hex) => ({ hash: sha256(Uint8Array.of(0), Buffer.from(hex, 'hex')) }));

  it.each(CT_ROOTS.map((root, n) => [n, root] as const))(
    'root of the first %i reference leaves',
    (n, root) => {
      expect(merkleRoot(leaves.slice(0, n))).toBe(root);
    },
  );

  const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const treeOf = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ hash: sha256(Uint8Array.of(0), Buffer.from(`leaf ${i}`)) }));

  it.each([...sizes, 16, 17, 31, 33, 100])(
    'every leaf of a %i-leaf tree verifies with a proof of the RFC length',
    (n) => {
      const tree = treeOf(n);
      const root = merkleRoot(tree);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(tree, i);
        // Proof length: the depth of leaf i in the RFC 6962 (left-full) tree.
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(root, n, i, tree[i]!.hash, proof)).toBe(true);
      }
    },
  );

  it.each(sizes)('tampering is detected in a %i-leaf tree', (n) => {
    const tree = treeOf(n);
    const root = merkleRoot(tree);
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(tree, i);
      const leaf = tree[i]!.hash;
      expect(verifyInclusion(flip(root), n, i, leaf, proof)).toBe(false);
      expect(verifyInclusion(root, n, i, flip(leaf), proof)).toBe(false);
      proof.forEach((_, j) => {
        const bad = proof.map((p, k) => (k === j ? flip(p) : p));
        expect(verifyInclusion(root, n, i, leaf, bad)).toBe(false);
      });
      if (n > 1) {
        expect(verifyInclusion(root, n, (i + 1) % n, leaf, proof)).toBe(false);
        expect(verifyInclusion(root, n, i, leaf, proof.slice(0, -1))).toBe(false);
      }
      expect(verifyInclusion(root, n, i, leaf, [...proof, root])).toBe(false);
      expect(verifyInclusion(root, n, n, leaf, proof)).toBe(false);
      expect(verifyInclusion(root, n, -1, leaf, proof)).toBe(false);
    }
  });

  it('refuses an out-of-range proof request', () => {
    expect(() => inclusionProof(treeOf(3), 3)).toThrow(/out of range/);
    expect(() => inclusionProof([], 0)).toThrow(/out of range/);
  });
});

describe('field commitments', () => {
  const payload = {
    consignee: { name: 'Ana', address: { city: 'Lyon', country: 'FR' } },
    lines: [{ hsCode: '610910', qty: 2 }, { hsCode: '420222' }],
    notes: {},
    tags: [],
    'a/b~c': null,
    paid: true,
  };

  it('flattens to sorted JSON-pointer leaves, with empty containers as leaves', () => {
    expect(flatten(payload)).toEqual([
      ['/a~1b~0c', null],
      ['/consignee/address/city', 'Lyon'],
      ['/consignee/address/country', 'FR'],
      ['/consignee/name', 'Ana'],
      ['/lines/0/hsCode', '610910'],
      ['/lines/0/qty', 2],
      ['/lines/1/hsCode', '420222'],
      ['/notes', {}],
      ['/paid', true],
      ['/tags', []],
    ]);
    expect(flatten('scalar')).toEqual([['', 'scalar']]);
    expect(flatten({})).toEqual([['', {}]]);
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8 but after it in UTF-16.
    expect(flatten({ '\u{1F600}': 1, '\uFF21': 2 }).map(([p]) => p)).toEqual(['/\uFF21', '/\u{1F600}']);
  });

  it('derives per-field salts with HMAC-SHA256(seed, path) and hashes canonical [path, salt, value]', () => {
    const c = commitPayload(payload, SEED);
    expect(c.leafCount).toBe(10);
    for (const leaf of c.leaves) {
      const salt = createHmac('sha256', Buffer.from(SEED, 'hex')).update(leaf.path).digest('hex');
      expect(leaf.salt).toBe(salt);
      const expected = sha256(Uint8Array.of(0), Buffer.from(JSON.stringify([leaf.path, salt, leaf.value])));
      expect(leaf.hash).toBe(expected);
    }
    expect(c.root).toBe(merkleRoot(c.leaves));
  });

  it('is deterministic, independent of key order, and changes with the seed or any value', () => {
    const a = commitPayload(payload, SEED);
    const reordered = JSON.parse(canonicalJson(payload)) as unknown;
    expect(commitPayload(reordered, SEED).root).toBe(a.root);
    expect(commitPayload(payload, SEED.toUpperCase()).root).toBe(a.root);
    expect(commitPayload(payload, OTHER_SEED).root).not.toBe(a.root);
    expect(commitPayload({ ...payload, paid: false }, SEED).root).not.toBe(a.root);
    expect(commitPayload({ ...payload, lines: [payload.lines[0]] }, SEED).root).not.toBe(a.root);
  });

  it.each([
    ['', /even-length hexadecimal/],
    ['abc', /even-length hexadecimal/],
    ['zz'.repeat(16), /even-length hexadecimal/],
    ['00'.repeat(15), /at least 16 bytes/],
    ['00'.repeat(257), /at most 256 bytes/],
  ])('refuses salt seed %j', (seed, message) => {
    expect(() => parseSaltSeed(seed)).toThrow(message);
  });

  it('refuses non-JSON values', () => {
    expect(() => commitPayload({ a: () => 1 }, SEED)).toThrow(/not JSON/);
    expect(() => commitPayload({ a: Number.POSITIVE_INFINITY }, SEED)).toThrow(/not JSON/);
  });

  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(merkleRoot([])).toBe(sha256());
    expect(leafHash('', 'x', null)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('selective disclosure', () => {
  const order = {
    orderNumber: 'PA-1',
    consignee: {
      name: 'Ana Silva',
      phone: '+351 1',
      address: { line1: 'Rua 1', city: 'Porto', country: 'PT' },
    },
    goodsValue: 12.5,
    lines: [{ hsCode: '610910', description: 'T-shirt' }],
  };
  const { root, leafCount } = commitPayload(order, SEED);
  const pkg = disclose(order, SEED, ['/consignee/address', '/goodsValue']);

  it('discloses the requested leaves (a container path discloses everything under it) and verifies', () => {
    expect(pkg.root).toBe(root);
    expect(pkg.fields.map((f) => f.path)).toEqual([
      '/consignee/address/city',
      '/consignee/address/country',
      '/consignee/address/line1',
      '/goodsValue',
    ]);
    expect(verifyDisclosure(pkg)).toEqual({ ok: true });
    expect(verifyDisclosure(pkg, { root, leafCount })).toEqual({ ok: true });
    expect(verifyDisclosure(pkg, { root, leafCount: leafCount + 1 })).toMatchObject({
      ok: false,
      code: 'root',
    });
    // Nothing about undisclosed fields is in the package.
    expect(JSON.stringify(pkg)).not.toContain('Ana Silva');
  });

  it('refuses unknown paths', () => {
    expect(() => disclose(order, SEED, ['/buyer'])).toThrow("no field at path '/buyer'");
  });

  it('discloses a whole record of 999 lines at once, every field with its own proof to the root', () => {
    const lines = Array.from({ length: 999 }, (_, i) => ({
      hsCode: '610910',
      description: `item ${i}`,
      quantity: i + 1,
    }));
    const big = { ...order, lines };
    const committed = commitPayload(big, SEED);
    const whole = disclose(big, SEED, ['/lines']);
    expect(whole.fields).toHaveLength(3 * 999);
    expect(whole.root).toBe(committed.root);
    expect(new Set(whole.fields.map((f) => f.proof.join())).size).toBe(whole.fields.length);
    expect(verifyDisclosure(whole, committed)).toEqual({ ok: true });
  });

  const tamper = (change: (p: { -readonly [K in keyof DisclosurePackage]: unknown }) => void) => {
    const copy = JSON.parse(JSON.stringify(pkg)) as { -readonly [K in keyof DisclosurePackage]: unknown };
    change(copy);
    return verifyDisclosure(copy as DisclosurePackage, { root, leafCount });
  };
  type Field = { index: number; path: string; value: unknown; salt: string; hash: string; proof: string[] };
  const field = (p: { fields: unknown }, i: number) => (p.fields as Field[])[i]!;

  it.each<[string, (p: { fields: unknown; root: unknown; leafCount: unknown }) => void, string]>([
    ['a changed value', (p) => void (field(p, 0).value = 'Lisboa'), 'leaf'],
    ['a changed salt', (p) => void (field(p, 0).salt = field(p, 1).salt), 'leaf'],
    ['a malformed salt', (p) => void (field(p, 0).salt = 'xyz'), 'salt'],
    ['a renamed path keeping order', (p) => void (field(p, 3).path = '/goodsValue2'), 'leaf'],
    ['a path out of order', (p) => void (field(p, 1).path = '/a'), 'path'],
    ['a malformed path', (p) => void (field(p, 0).path = 'consignee'), 'path'],
    ['an index outside the tree', (p) => void (field(p, 3).index = 99), 'path'],
    ['a non-scalar value', (p) => void (field(p, 0).value = { a: 1 }), 'value'],
    ['a changed proof', (p) => void (field(p, 0).proof = [...field(p, 0).proof].reverse()), 'proof'],
    ['a shortened proof', (p) => void field(p, 1).proof.pop(), 'proof'],
    ['a swapped leaf hash', (p) => void (field(p, 0).hash = field(p, 1).hash), 'proof'],
    ['another root', (p) => void (p.root = '00'.repeat(32)), 'root'],
    ['no fields', (p) => void (p.fields = []), 'format'],
    ['a bad leaf count', (p) => void (p.leafCount = 0), 'format'],
  ])('detects %s', (_name, change, code) => {
    const verdict = tamper(change);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.code).toBe(code);
      expect(verdict.reason.length).toBeGreaterThan(0);
    }
  });
});

describe('kept payload (flatten undone over held leaves)', () => {
  const payload = {
    orderNumber: 'PA-1',
    'a/b~c': { empty: {}, none: [] },
    buyer: { id: 'b1', name: 'Ana Silva' },
    lines: Array.from({ length: 12 }, (_, i) => ({ lineNo: i + 1, lineValue: i * 1.5 })),
  };
  const { leaves } = commitPayload(payload, SEED);

  it('rebuilds the payload from every leaf: arrays in index order (10 sorts before 2), escaped keys, empty containers', () => {
    expect(keptPayload(leaves)).toEqual(payload);
  });

  it('leaves erased fields out and keeps the rest', () => {
    const held = leaves.map((l) => (l.path === '/buyer/name' ? { path: l.path, hash: l.hash, erased: true as const } : l));
    expect(keptPayload(held)).toEqual({ ...payload, buyer: { id: 'b1' } });
    expect(keptPayload(leaves.map((l) => ({ path: l.path, hash: l.hash, erased: true as const })))).toEqual({});
  }); // prettier-ignore
});
