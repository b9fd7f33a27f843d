/**
 * The ledger store's read caches (point reads, partial composite key queries, key histories) must
 * answer exactly what LevelDB holds after every commit: a write drops or replaces what it changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { historyKey, LedgerStore, type StoreOp } from '../../gateway/src/ledger/embedded/store.js';
import { encodeVersioned } from '../../gateway/src/ledger/embedded/version.js';

const MAX_RUNE = '\u{10FFFF}';
const composite = (...parts: string[]) => `\u0000${parts.join('\u0000')}\u0000`;
let dir: string;
let store: LedgerStore;
let block = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-cache-'));
  store = await LedgerStore.open(dir, { cacheBytes: 1024 * 1024 });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Commits puts (value) and deletes (null) of public state, with their history rows, as a block would. */
async function commit(writes: Record<string, string | null>): Promise<void> {
  const version = { blockNum: ++block, txNum: 0 };
  const ops: StoreOp[] = [];
  for (const [key, value] of Object.entries(writes)) {
    ops.push(
      value === null
        ? { type: 'del', sublevel: store.state, key }
        : { type: 'put', sublevel: store.state, key, value: encodeVersioned(version, Buffer.from(value)) },
      {
        type: 'put',
        sublevel: store.history,
        key: historyKey(key, version),
        value: Buffer.from(value ?? 'deleted'),
      },
    );
  }
  await store.write(ops);
}

async function query(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of store.range(store.state, prefix, prefix + MAX_RUNE)) {
    out.push(`${entry.key.split('\u0000').slice(1, -1).join('/')}=${Buffer.from(entry.value).toString()}`);
  }
  return out;
}

describe('the ledger store read caches', () => {
  it('a partial composite key query sees every later put, change and delete under its prefix', async () => {
    const prefix = composite('record', 'C-1');
    await commit({ [composite('record', 'C-1', 'order')]: 'o1' });
    expect(await query(prefix)).toEqual(['record/C-1/order=o1']);
    await commit({
      [composite('record', 'C-1', 'payment')]: 'p1',
      [composite('record', 'C-10', 'order')]: 'x',
    });
    expect(await query(prefix)).toEqual(['record/C-1/order=o1', 'record/C-1/payment=p1']);
    await commit({ [composite('record', 'C-1', 'order')]: 'o2' });
    expect(await query(prefix)).toEqual(['record/C-1/order=o2', 'record/C-1/payment=p1']);
    await commit({ [composite('record', 'C-1', 'payment')]: null });
    expect(await query(prefix)).toEqual(['record/C-1/order=o2']);
    expect(await query(composite('record'))).toEqual(['record/C-1/order=o2', 'record/C-10/order=x']);
  });

  it('a range over a plain key ending in U+0000, bounded as a partial composite key query, sees a later put under it', async () => {
    const start = 'plain\u0000';
    const keysIn = async (): Promise<string[]> => {
      const keys: string[] = [];
      for await (const entry of store.range(store.state, start, start + MAX_RUNE)) keys.push(entry.key);
      return keys;
    };
    expect(await keysIn()).toEqual([]);
    await commit({ 'plain\u0000x': 'v1' });
    expect(await keysIn()).toEqual(['plain\u0000x']);
  });

  it('a key’s history gains each new version, newest first', async () => {
    const key = composite('consignment', 'C-1');
    await commit({ [key]: 'v1' });
    expect((await store.historyOf(key)).map((r) => Buffer.from(r).toString())).toEqual(['v1']);
    await commit({ [key]: 'v2' });
    await commit({ [composite('consignment', 'C-10')]: 'other' });
    expect((await store.historyOf(key)).map((r) => Buffer.from(r).toString())).toEqual(['v2', 'v1']);
  });

  it('a point read sees a put after a cached miss, and a delete after a cached hit', async () => {
    const key = composite('consignment', 'C-2');
    expect(await store.read(store.state, key)).toBeUndefined();
    await commit({ [key]: 'v1' });
    expect(Buffer.from((await store.getVersioned(store.state, key))!.value).toString()).toBe('v1');
    await commit({ [key]: null });
    expect(await store.read(store.state, key)).toBeUndefined();
  });

  it('keeps cached values in buffers of their own, never views that pin a shared buffer', async () => {
    const key = composite('consignment', 'C-3');
    const pooled = Buffer.from('small value'); // a slice of Node's shared 8 KiB pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    await store.write([{ type: 'put', sublevel: store.transactions, key, value: pooled }]);
    const cached = (await store.read(store.transactions, key))!;
    expect(Buffer.from(cached).toString()).toBe('small value');
    expect(cached.buffer.byteLength).toBe(cached.byteLength);
    await commit({ [composite('record', 'C-3', 'order')]: 'o' });
    for (let i = 0; i < 2; i++) {
      for await (const entry of store.range(
        store.state,
        composite('record', 'C-3'),
        composite('record', 'C-3') + MAX_RUNE,
      )) {
        if (i === 1) expect(entry.value.buffer.byteLength).toBe(entry.value.byteLength);
      }
    }
  });

  it('stays within its byte budget however many keys are read', async () => {
    const big = 'x'.repeat(4096);
    for (let i = 0; i < 50; i++) {
      await commit(
        Object.fromEntries(Array.from({ length: 20 }, (_, j) => [composite('k', `${i}-${j}`), big])),
      );
    }
    for (let i = 0; i < 50; i++) await query(composite('k'));
    for (let i = 0; i < 50; i++)
      for (let j = 0; j < 20; j++) await store.read(store.state, composite('k', `${i}-${j}`));
    // 1000 values of 4 KiB were read (4 MiB, twice over); the caches hold at most their 1 MiB.
    expect(store.cacheUsage().bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(store.cacheUsage().bytes).toBeGreaterThan(0);
  });
});
