/**
 * LevelDB maps each table file it keeps open into memory, and what reads touch stays in the
 * gateway's RSS while the table is open: the ledger store keeps at most OPEN_TABLES of them open,
 * however big the store grows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerStore, OPEN_TABLES, type StoreOp } from '../../gateway/src/ledger/embedded/store.js';
import { encodeVersioned } from '../../gateway/src/ledger/embedded/version.js';

/** About 400 MB of incompressible values: some 100 table files of up to 4 MB. */
const KEYS = 400_000;
const key = (n: number) => `k${String(n).padStart(8, '0')}`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-open-tables-'));
  const store = await LedgerStore.open(dir);
  for (let block = 0; block < KEYS / 1_000; block++) {
    const ops: StoreOp[] = [];
    for (let n = block * 1_000; n < (block + 1) * 1_000; n++) {
      const value = encodeVersioned({ blockNum: block + 1, txNum: 0 }, randomBytes(1_000));
      ops.push({ type: 'put', sublevel: store.state, key: key(n), value });
    }
    await store.write(ops);
  }
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The store's table files mapped into this process now. */
async function mappedTables(): Promise<number> {
  const maps = await readFile('/proc/self/maps', 'utf8');
  const files = maps
    .split('\n')
    .map((line) => line.split(/\s+/).at(-1)!)
    .filter((path) => path.startsWith(dir) && path.endsWith('.ldb'));
  return new Set(files).size;
}

describe('the ledger store on a store of many table files', () => {
  it.runIf(process.platform === 'linux')('keeps at most OPEN_TABLES of them mapped', async () => {
    const tables = (await readdir(dir)).filter((file) => file.endsWith('.ldb')).length;
    expect(tables).toBeGreaterThan(OPEN_TABLES * 1.2);
    const store = await LedgerStore.open(dir, { cacheBytes: 1 });
    try {
      // A read in every table, and each of the store's reads answers.
      for (let n = 0; n < KEYS; n += 97) expect(store.read(store.state, key(n))).toBeDefined();
      const mapped = await mappedTables();
      expect(mapped).toBeGreaterThan(OPEN_TABLES / 2);
      expect(mapped).toBeLessThanOrEqual(OPEN_TABLES);
    } finally {
      await store.close();
    }
  });
});
