/**
 * LEDGER_CACHE_MB is a promise about memory: what the ledger store's read caches count against it
 * must be what they hold in the heap, objects, map slots and buffers included, not only the bytes
 * of their keys and values (which, for a ledger's small values, are the lesser part). And the reads
 * that miss the caches must leave nothing behind outside the heap, where V8 does not see it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyKey, LedgerStore, type StoreOp } from '../../gateway/src/ledger/embedded/store.js';
import { encodeVersioned } from '../../gateway/src/ledger/embedded/version.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const minorGc = (): void => gc({ type: 'minor' });

const MAX_RUNE = '\u{10FFFF}';
const BUDGET = 8 * 1024 * 1024;
/**
 * Enough consignments to fill every cache several times over; each is read with a range query and
 * three histories.
 */
const CONSIGNMENTS = 4_000;
const KINDS = ['order', 'payment', 'logistics'];
const composite = (...parts: string[]) => `\u0000${parts.join('\u0000')}\u0000`;
const id = (n: number) => `CN${String(n).padStart(10, '0')}`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-cache-memory-'));
  const store = await LedgerStore.open(dir, { cacheBytes: 1 });
  for (let block = 0; block < CONSIGNMENTS / 100; block++) {
    const version = { blockNum: block + 1, txNum: 0 };
    const ops: StoreOp[] = [];
    for (let n = block * 100; n < (block + 1) * 100; n++) {
      for (const kind of KINDS) {
        // Small values, as a ledger's hashed records are: there the overheads weigh most.
        const value = Buffer.alloc(80, n);
        const key = composite('record', id(n), kind);
        ops.push(
          { type: 'put', sublevel: store.state, key, value: encodeVersioned(version, value) },
          { type: 'put', sublevel: store.history, key: historyKey(key, version), value },
        );
      }
    }
    await store.write(ops);
  }
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function heapBytes(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('the ledger store read caches in memory', () => {
  it('hold in the heap what they count against their budget, and no more than the budget', async () => {
    const store = await LedgerStore.open(dir, { cacheBytes: BUDGET });
    try {
      const before = heapBytes();
      for (let n = 0; n < CONSIGNMENTS; n++) {
        const prefix = composite('record', id(n));
        for await (const entry of store.range(store.state, prefix, prefix + MAX_RUNE)) void entry;
        for (const kind of KINDS) {
          store.read(store.state, composite('record', id(n), kind));
          await store.historyOf(composite('record', id(n), kind));
        }
        store.read(store.state, composite('absent', id(n)));
      }
      const held = heapBytes() - before;
      const counted = store.cacheUsage().bytes;
      // The caches are full: only the four sublevels never read here leave their shares unused.
      expect(counted).toBeGreaterThan(BUDGET * 0.55);
      expect(held).toBeLessThanOrEqual(counted * 1.2);
      expect(held).toBeGreaterThan(counted * 0.8);
      expect(held).toBeLessThanOrEqual(BUDGET);
    } finally {
      await store.close();
    }
  });
});

/** The process's anonymous resident memory outside V8's heap: mostly what native code allocated. */
async function outsideHeapBytes(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(/^RssAnon:\s+(\d+) kB$/m.exec(status)![1]) * 1024 - process.memoryUsage().heapTotal;
}

describe('the ledger store queries outside the heap', () => {
  it.runIf(process.platform === 'linux')(
    'leave little native memory behind each query that misses the caches',
    async () => {
      // No cache: every range query and history opens a LevelDB iterator. classic-level frees an
      // iterator's native buffers only when V8 collects it, and V8 does not count them. In a
      // gateway under load the iterators outlive young collections (they wait on LevelDB's thread
      // pool while requests allocate) and only a full collection, rare, frees them; two young
      // collections while they are open do the same here.
      const store = await LedgerStore.open(dir, { cacheBytes: 1 });
      const read = async (n: number): Promise<void> => {
        const prefix = composite('record', id(n));
        for await (const entry of store.range(store.state, prefix, prefix + MAX_RUNE)) void entry;
        for (const kind of KINDS) await store.historyOf(composite('record', id(n), kind));
      };
      try {
        gc();
        const before = await outsideHeapBytes();
        for (let from = 0; from < CONSIGNMENTS; from += 100) {
          const reads = Array.from({ length: 100 }, (_, i) => read(from + i));
          minorGc();
          minorGc();
          await Promise.all(reads);
        }
        const grown = (await outsideHeapBytes()) - before;
        // 16,000 iterators. Asking a thousand entries a page (64 KB reserved each), they left 55–59
        // MB behind in two runs; at the first page's size, 7–9.
        expect(grown).toBeLessThan(24 * 1024 * 1024);
      } finally {
        await store.close();
      }
    },
  );
});
