import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LevelIdempotencyStore } from '../../gateway/src/http/idempotency.js';
import type { StoredResponse } from '../../gateway/src/http/route.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

let dir: string;
let db: GatewayStore;

async function openDb(): Promise<GatewayStore> {
  const level = await openGatewayStore(join(dir, 'store'));
  return level;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idempotency-'));
  db = await openDb();
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const SCOPE = 'PlatformAMSP/platforma-operator';
const KEY = 'idem-key-0001';
const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);
const CREATED: StoredResponse = {
  status: 201,
  body: { consignmentId: 'C-1', status: 'created' },
  headers: { Location: '/v1/consignments/C-1', 'X-Transaction-Id': 'f'.repeat(64) },
};

describe('LevelIdempotencyStore', () => {
  it('begins a new request, then replays the stored response for the same request', async () => {
    const store = new LevelIdempotencyStore(db);
    expect(await store.begin(SCOPE, KEY, HASH)).toEqual({ kind: 'new' });
    await store.complete(SCOPE, KEY, HASH, CREATED);
    expect(await store.begin(SCOPE, KEY, HASH)).toEqual({ kind: 'replay', response: CREATED });
    // Replaying does not consume the record.
    expect(await store.begin(SCOPE, KEY, HASH)).toEqual({ kind: 'replay', response: CREATED });
  });

  it('refuses the same key with another request', async () => {
    const store = new LevelIdempotencyStore(db);
    await store.begin(SCOPE, KEY, HASH);
    await store.complete(SCOPE, KEY, HASH, CREATED);
    expect(await store.begin(SCOPE, KEY, OTHER_HASH)).toEqual({ kind: 'mismatch' });
  });

  it('reports a request still being processed as in flight, even to concurrent begins', async () => {
    const store = new LevelIdempotencyStore(db);
    const results = await Promise.all([1, 2, 3].map(() => store.begin(SCOPE, KEY, HASH)));
    expect(results.filter((r) => r.kind === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in-flight')).toHaveLength(2);
    // In flight whatever the body: the first request has not answered yet.
    expect(await store.begin(SCOPE, KEY, OTHER_HASH)).toEqual({ kind: 'in-flight' });
    await store.complete(SCOPE, KEY, HASH, CREATED);
    expect((await store.begin(SCOPE, KEY, HASH)).kind).toBe('replay');
  });

  it('a begin racing a completion sees either in-flight or the stored response, never new', async () => {
    const store = new LevelIdempotencyStore(db);
    await store.begin(SCOPE, KEY, HASH);
    const [, raced] = await Promise.all([
      store.complete(SCOPE, KEY, HASH, CREATED),
      store.begin(SCOPE, KEY, HASH),
    ]);
    expect(['in-flight', 'replay']).toContain(raced.kind);
  });

  it('abandon lets the client retry with the same key, even with another body', async () => {
    const store = new LevelIdempotencyStore(db);
    expect((await store.begin(SCOPE, KEY, HASH)).kind).toBe('new');
    await store.abandon(SCOPE, KEY);
    expect((await store.begin(SCOPE, KEY, OTHER_HASH)).kind).toBe('new');
    await store.complete(SCOPE, KEY, OTHER_HASH, CREATED);
    expect(await store.begin(SCOPE, KEY, OTHER_HASH)).toEqual({ kind: 'replay', response: CREATED });
  });

  it('keeps completed responses across a restart; in-flight markers are not kept', async () => {
    const store = new LevelIdempotencyStore(db);
    await store.begin(SCOPE, KEY, HASH);
    await store.complete(SCOPE, KEY, HASH, CREATED);
    await store.begin(SCOPE, 'idem-key-crashed', HASH);
    await db.close();

    db = await openDb();
    const reopened = new LevelIdempotencyStore(db);
    expect(await reopened.begin(SCOPE, KEY, HASH)).toEqual({ kind: 'replay', response: CREATED });
    expect(await reopened.begin(SCOPE, KEY, OTHER_HASH)).toEqual({ kind: 'mismatch' });
    // The request in flight at the crash is processed again (the chaincode refuses a duplicate create).
    expect(await reopened.begin(SCOPE, 'idem-key-crashed', HASH)).toEqual({ kind: 'new' });
  });

  it('treats an expired record as absent, and the sweep deletes it', async () => {
    let now = 1_000_000;
    const store = new LevelIdempotencyStore(db, { ttlMs: 60_000, now: () => now });
    await store.begin(SCOPE, KEY, HASH);
    await store.complete(SCOPE, KEY, HASH, CREATED);
    await store.begin(SCOPE, 'idem-key-fresh', HASH);
    now += 30_000;
    await store.complete(SCOPE, 'idem-key-fresh', HASH, CREATED);
    now += 29_999;
    expect((await store.begin(SCOPE, KEY, OTHER_HASH)).kind).toBe('mismatch');
    now += 1;
    // Expired: the key is free again, for any body.
    expect(await store.sweep()).toBe(1);
    expect(await store.begin(SCOPE, KEY, OTHER_HASH)).toEqual({ kind: 'new' });
    await store.abandon(SCOPE, KEY);
    expect((await store.begin(SCOPE, 'idem-key-fresh', HASH)).kind).toBe('replay');
    now += 30_000;
    expect((await store.begin(SCOPE, 'idem-key-fresh', HASH)).kind).toBe('new');
  });

  it('with a sweep interval, deletes expired records on its own until closed', async () => {
    const store = new LevelIdempotencyStore(db, { ttlMs: 20, sweepIntervalMs: 10 });
    await store.begin(SCOPE, 'idem-key-swept', HASH);
    await store.complete(SCOPE, 'idem-key-swept', HASH, CREATED);
    const stored = async () => (await db.keys().all()).filter((k) => k.includes('idem-key-swept'));
    expect(await stored()).toHaveLength(1);
    await vi.waitFor(async () => expect(await stored()).toEqual([]), { timeout: 2_000 });
    store.close();
  });

  it('sweeps first when told, not a whole interval after opening', async () => {
    let now = 0;
    const earlier = new LevelIdempotencyStore(db, { ttlMs: 1_000, now: () => now });
    await earlier.begin(SCOPE, 'idem-key-old', HASH);
    await earlier.complete(SCOPE, 'idem-key-old', HASH, CREATED);
    now = 1_000;
    // As a gateway restarted more often than hourly: the first sweep comes soon after start.
    const store = new LevelIdempotencyStore(db, {
      ttlMs: 1_000,
      now: () => now,
      sweepIntervalMs: 60 * 60 * 1000,
      firstSweepAfterMs: 10,
    });
    const stored = async () => (await db.keys().all()).filter((k) => k.includes('idem-key-old'));
    await vi.waitFor(async () => expect(await stored()).toEqual([]), { timeout: 2_000 });
    store.close();
  });

  it('never confuses one scope with another, whatever the scope and key contain', async () => {
    const store = new LevelIdempotencyStore(db);
    // Pairs that a naive `${scope}/${key}` or `${scope}:${key}` would map to the same record.
    const pairs: [string, string][] = [
      ['PlatformAMSP/alice', 'key-0001'],
      ['PlatformAMSP', 'alice/key-0001'],
      ['PlatformAMSP/alice/key', '0001'],
      ['PlatformAMSP/alice:key', '0001'],
      ['PlatformAMSP/alice', 'key:0001'],
      ['["PlatformAMSP/alice","key-0001"]', ''],
      ['', '["PlatformAMSP/alice","key-0001"]'],
      ['PlatformAMSP/alice\u0000', 'key-0001'],
    ];
    for (const [scope, key] of pairs) expect((await store.begin(scope, key, HASH)).kind).toBe('new');
    for (const [i, [scope, key]] of pairs.entries()) {
      await store.complete(scope, key, HASH, { ...CREATED, body: { pair: i } });
    }
    for (const [i, [scope, key]] of pairs.entries()) {
      expect(await store.begin(scope, key, HASH)).toEqual({
        kind: 'replay',
        response: { ...CREATED, body: { pair: i } },
      });
    }
  });

  it('leaves the rest of the gateway store alone', async () => {
    await db.put('audit-like-key', new Uint8Array([1, 2, 3]));
    let now = 0;
    const store = new LevelIdempotencyStore(db, { ttlMs: 1_000, now: () => now });
    await store.begin(SCOPE, KEY, HASH);
    await store.complete(SCOPE, KEY, HASH, CREATED);
    now = 1_000;
    expect(await store.sweep()).toBe(1);
    expect([...(await db.get('audit-like-key'))!]).toEqual([1, 2, 3]);
  });
});
