/**
 * A purge is only a purge once LevelDB has compacted the purged keys: until then the value is in
 * its log or table files. The compaction runs right after the purging block's commit; these tests
 * cover a crash or a failed compaction in between, which must be finished when the store is next
 * opened or with the next purge.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import { filesContaining } from '../support/files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purge-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('purged private data in the LevelDB files', () => {
  it('stays in the files after a crash before compaction, and is gone once the store is reopened', async () => {
    const secret = `purge-me-${randomBytes(8).toString('hex')}`;
    const key = 'PlatformACustoms\u0000order~C-1';
    let store = await LedgerStore.open(dir);
    await store.write([
      { type: 'put', sublevel: store.privateData, key, value: Buffer.from(`{"name":"${secret}"}`) },
    ]);
    await store.flushBeforePurge([key]);
    await store.write([{ type: 'del', sublevel: store.privateData, key }, store.pendingPurgeOp([key])]);
    await store.close(); // the crash: the block committed, its compaction never ran
    expect(await filesContaining(dir, [secret])).not.toEqual([]);

    store = await LedgerStore.open(dir);
    try {
      expect(await filesContaining(dir, [secret])).toEqual([]);
      expect(await store.savepoint.get('purged')).toBeUndefined();
      expect(await store.privateData.get(key)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a purge recorded while an earlier one is still uncompacted keeps both: one compaction removes both values', async () => {
    const secrets = [1, 2].map((n) => `purge-me-${n}-${randomBytes(8).toString('hex')}`);
    const keys = ['c\u0000first', 'c\u0000second'];
    const store = await LedgerStore.open(dir);
    try {
      await store.write(
        keys.map((key, i) => ({
          type: 'put' as const,
          sublevel: store.privateData,
          key,
          value: Buffer.from(`{"name":"${secrets[i]}"}`),
        })),
      );
      for (const key of keys) {
        await store.flushBeforePurge([key]);
        // The first purge's compaction is never run, as when it failed after its block was written.
        await store.write([{ type: 'del', sublevel: store.privateData, key }, store.pendingPurgeOp([key])]);
      }
      // Read back rather than only seen gone from the files: LevelDB may compact a neighbour by chance.
      const pending = JSON.parse(Buffer.from((await store.savepoint.get('purged'))!).toString()) as string[];
      expect(pending.sort()).toEqual([...keys].sort());
      await store.compactPurged();
      expect(await filesContaining(dir, secrets)).toEqual([]);
      expect(await store.savepoint.get('purged')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('compacts only what was purged: other private values stay readable', async () => {
    const store = await LedgerStore.open(dir);
    try {
      const kept = Buffer.from('{"name":"kept"}');
      await store.write([
        { type: 'put', sublevel: store.privateData, key: 'c\u0000a', value: Buffer.from('{"name":"gone"}') },
        { type: 'put', sublevel: store.privateData, key: 'c\u0000b', value: kept },
      ]);
      await store.flushBeforePurge(['c\u0000a']);
      await store.write([
        { type: 'del', sublevel: store.privateData, key: 'c\u0000a' },
        store.pendingPurgeOp(['c\u0000a']),
      ]);
      await store.compactPurged();
      expect(await filesContaining(dir, ['"gone"'])).toEqual([]);
      expect(Buffer.from((await store.privateData.get('c\u0000b'))!).equals(kept)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
