import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atOrBefore, JoinStore } from '../../gateway/src/services/join-store.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

const at = (block: number, seq = 0, sub = 0) => ({ block: BigInt(block), seq, sub });

let dir: string;
let db: GatewayStore;
const open = async (): Promise<GatewayStore> => {
  const level = await openGatewayStore(dir);
  return level;
};
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'join-store-'));
  db = await open();
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the join store', () => {
  it('keeps the first position at which each organisation joined a key, per kind', async () => {
    const joins = new JoinStore(db);
    await joins.join('consignment', 'C-1', 'PlatformAMSP', at(3, 1, 7));
    await joins.join('consignment', 'C-1', 'PostMSP', at(5));
    await joins.join('consignment', 'C-1', 'PlatformAMSP', at(9));
    await joins.join('party', 'C-1', 'PlatformBMSP', at(4));
    expect(await joins.joinedAt('consignment', 'C-1', 'PlatformAMSP')).toEqual(at(3, 1, 7));
    expect(await joins.joinedAt('consignment', 'C-1', 'PostMSP')).toEqual(at(5));
    expect(await joins.joinedAt('consignment', 'C-1', 'PaymentMSP')).toBeUndefined();
    expect(await joins.joinedAt('consignment', 'C-1', 'PlatformBMSP')).toBeUndefined();
    expect(await joins.joinedAt('party', 'C-1', 'PlatformBMSP')).toEqual(at(4));
    expect(await joins.joinedAt('consignment', 'C-2', 'PlatformAMSP')).toBeUndefined();
  });

  it('tells MSP ids apart that share a prefix, and keeps block numbers beyond 2^53', async () => {
    const joins = new JoinStore(db);
    await joins.join('consignment', 'C-1', 'PostMSP2', at(1));
    await joins.join('consignment', 'C-1', 'PostMSP', at(2));
    expect(await joins.joinedAt('consignment', 'C-1', 'PostMSP')).toEqual(at(2));
    const far = { block: 2n ** 60n + 1n, seq: 4, sub: 2 };
    await joins.join('consignment', 'C-3', 'PostMSP', far);
    await joins.commit({ nextBlock: far.block + 1n, origin: 'tx0' });
    expect(await new JoinStore(db).joinedAt('consignment', 'C-3', 'PostMSP')).toEqual(far);
  });

  it('stores exactly the joins committed with a checkpoint: those learnt after it are lost in a crash', async () => {
    const joins = new JoinStore(db);
    expect(await joins.checkpoint()).toBeUndefined();
    await joins.join('consignment', 'C-1', 'PlatformAMSP', at(1));
    await joins.commit({ nextBlock: 2n, origin: 'tx0' });
    await joins.join('consignment', 'C-1', 'PostMSP', at(2));
    await joins.join('consignment', 'C-2', 'PlatformAMSP', at(2));
    // Learnt joins count at once, in this process.
    expect(await joins.joinedAt('consignment', 'C-2', 'PlatformAMSP')).toEqual(at(2));

    // The process dies here: the store is opened again.
    await db.close();
    db = await open();
    const reopened = new JoinStore(db);
    expect(await reopened.checkpoint()).toEqual({ nextBlock: 2n, origin: 'tx0' });
    expect(await reopened.joinedAt('consignment', 'C-1', 'PlatformAMSP')).toEqual(at(1));
    expect(await reopened.joinedAt('consignment', 'C-1', 'PostMSP')).toBeUndefined();
    expect(await reopened.joinedAt('consignment', 'C-2', 'PlatformAMSP')).toBeUndefined();
  });

  it('keeps the joins of a commit that failed, for the next one', async () => {
    const joins = new JoinStore(db);
    await joins.join('consignment', 'C-1', 'PlatformAMSP', at(1));
    await db.close();
    await expect(joins.commit({ nextBlock: 2n, origin: 'tx0' })).rejects.toThrow();
    expect(await joins.joinedAt('consignment', 'C-1', 'PlatformAMSP')).toEqual(at(1));
    db = await open();
    const again = new JoinStore(db);
    await again.join('consignment', 'C-1', 'PlatformAMSP', at(1));
    await again.commit({ nextBlock: 2n, origin: 'tx0' });
    expect(await new JoinStore(db).joinedAt('consignment', 'C-1', 'PlatformAMSP')).toEqual(at(1));
  });

  it('clear() forgets the joins and the checkpoint', async () => {
    const joins = new JoinStore(db);
    await joins.join('party', 'P-1', 'PlatformAMSP', at(1));
    await joins.commit({ nextBlock: 2n, origin: 'tx0' });
    await joins.clear();
    expect(await joins.checkpoint()).toBeUndefined();
    expect(await joins.joinedAt('party', 'P-1', 'PlatformAMSP')).toBeUndefined();
    expect(await new JoinStore(db).joinedAt('party', 'P-1', 'PlatformAMSP')).toBeUndefined();
  });

  it('orders positions by block, then transaction, then event within the transaction', () => {
    expect(atOrBefore(at(1, 5, 5), at(2))).toBe(true);
    expect(atOrBefore(at(2, 1, 9), at(2, 2, 0))).toBe(true);
    expect(atOrBefore(at(2, 2, 1), at(2, 2, 0))).toBe(false);
    expect(atOrBefore(at(2, 2, 0), at(2, 2, 0))).toBe(true);
  });
});
