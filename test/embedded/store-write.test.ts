/**
 * A block is one LevelDB batch: when an operation of it is refused while the batch is being built,
 * nothing of the block is written, the reads and their caches do not see it, the batch is released,
 * and the store takes the next block.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractChainedBatch } from 'abstract-level';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { LedgerStore, type StoreOp } from '../../gateway/src/ledger/embedded/store.js';
import { encodeVersioned } from '../../gateway/src/ledger/embedded/version.js';

let dir: string;
let store: LedgerStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-write-'));
  store = await LedgerStore.open(dir, { cacheBytes: 1024 * 1024 });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const put = (key: string, value: string, blockNum: number): StoreOp => ({
  type: 'put',
  sublevel: store.state,
  key,
  value: encodeVersioned({ blockNum, txNum: 0 }, Buffer.from(value)),
});

const valueOf = async (key: string): Promise<string | undefined> => {
  const read = await store.getVersioned(store.state, key);
  return read === undefined ? undefined : Buffer.from(read.value).toString();
};

it('a block with an operation LevelDB refuses writes none of it, releases its batch, and the next block commits', async () => {
  await store.write([put('a', 'a1', 1)]);
  expect(await valueOf('a')).toBe('a1');
  // The store's LevelDB, to see the batch the write builds (the store keeps it private).
  const db = (store as unknown as { db: { batch(): AbstractChainedBatch<unknown, string, Uint8Array> } }).db;
  const batches = vi.spyOn(db, 'batch');

  const refused = { type: 'put', sublevel: store.state, key: 'c', value: undefined } as unknown as StoreOp;
  await expect(store.write([put('a', 'a2', 2), put('b', 'b2', 2), refused])).rejects.toThrow(/value/i);

  expect(await valueOf('a')).toBe('a1');
  expect(await valueOf('b')).toBeUndefined();
  const built = batches.mock.results[0]!.value as AbstractChainedBatch<unknown, string, Uint8Array>;
  expect(() => built.put('d', Buffer.from('d'))).toThrow(
    expect.objectContaining({ code: 'LEVEL_BATCH_NOT_OPEN' }),
  );
  batches.mockRestore();

  await store.write([put('a', 'a3', 3), put('b', 'b3', 3)]);
  expect([await valueOf('a'), await valueOf('b')]).toEqual(['a3', 'b3']);
});
