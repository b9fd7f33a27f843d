/**
 * A write whose block reached the disk while the disk reported a failure: the ledger cannot tell
 * whether the block is there, so the transaction's outcome is unknown, and it may well be committed.
 * Such an answer must not be kept under the request's Idempotency-Key: a retry under the key has to
 * learn the outcome from the ledger, and is then answered as if nothing had gone wrong, with the one
 * record version the first run wrote. Until session 25 a batch answered it "503 not applied" in a
 * 200 that was kept for the key, so the retry replayed it for a day, and a client that followed its
 * advice (send it again under a new key) wrote a second version of the record.
 *
 * The fault: LevelDB writes the block's batch, then reports an I/O error, as a device can after the
 * data is in the log (the embedded ledger reopens its store before the next block; reopen.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testRuleSet } from '../support/customs-config.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually, parcelToFrance, putRuleSet } from '../support/parcel.js';
import { declarationPayload, orderPayload } from '../support/payloads.js';

const RUN = randomBytes(3).toString('hex').toUpperCase();
const ID = `UNCONF-${RUN}`;
const PLATFORM = 'platforma-operator';

type Db = Level<string, Uint8Array>;
const batchOf = Level.prototype.batch as (this: Db) => ReturnType<Db['batch']>;

/** Set to a store location and a key fragment: the next block written there that holds the fragment fails after it is written. */
let failNextWrite: { location: string; holding: string } | undefined;

let t: TestGateway;

beforeAll(async () => {
  (Level.prototype as { batch: unknown }).batch = function (this: Db, ...args: unknown[]) {
    if (args.length > 0) return (batchOf as (...a: unknown[]) => unknown).apply(this, args);
    const batch = batchOf.call(this);
    const fault = failNextWrite;
    if (fault === undefined || this.location !== fault.location) return batch;
    let holds = false;
    const put = batch.put.bind(batch);
    batch.put = (key: string, value: Uint8Array) => {
      holds ||= key.includes(fault.holding);
      return put(key, value);
    };
    const write = batch.write.bind(batch) as (options?: object) => Promise<void>;
    batch.write = (async (options?: object) => {
      await write(options);
      if (!holds || failNextWrite !== fault) return;
      failNextWrite = undefined;
      throw Object.assign(new Error('IO error: the device failed after the write (injected)'), {
        code: 'LEVEL_IO_ERROR',
      });
    }) as typeof batch.write;
    return batch;
  };
  t = await startTestGateway();
  const created = await t.as(PLATFORM).post('/v1/consignments', {
    consignmentId: ID,
    orderNumber: `ORD-${ID}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(created.status, created.text).toBe(201);
});

afterAll(async () => {
  (Level.prototype as { batch: unknown }).batch = batchOf;
  await t?.close();
});

interface BatchAnswer {
  readonly unconfirmed?: true;
  readonly results: readonly {
    readonly index: number;
    readonly status: number;
    readonly txId?: string;
    readonly retryAfter?: string;
    readonly problem?: { readonly detail: string };
  }[];
}

it('a batch whose transaction the ledger did not confirm: not kept under its key, and its retry is answered from the ledger, written once', async () => {
  const batch = { operations: [{ op: 'order', consignmentId: ID, body: orderPayload(`ORD-${ID}`) }] };
  const key = { 'Idempotency-Key': `unconfirmed-${RUN}` };
  failNextWrite = { location: join(t.dataDir, 'ledger'), holding: ID };

  const first = await t.as(PLATFORM).post<BatchAnswer>('/v1/batch', batch, key);
  expect(failNextWrite, 'the fault was met').toBeUndefined();
  expect(first.status, first.text).toBe(200);
  expect(first.body.unconfirmed).toBe(true);
  const [unconfirmed] = first.body.results;
  expect(unconfirmed).toMatchObject({ index: 0, status: 503, retryAfter: '2' });
  expect(unconfirmed!.txId).toMatch(/^[0-9a-f]{64}$/);
  expect(unconfirmed!.problem!.detail).toMatch(
    new RegExp(
      `^the ledger took transaction ${unconfirmed!.txId} but did not confirm it: it may yet be committed`,
    ),
  );
  expect(first.text).not.toMatch(/injected|IO error/);

  const retry = await t.as(PLATFORM).post<BatchAnswer>('/v1/batch', batch, key);
  expect(retry.status, retry.text).toBe(200);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
  expect(retry.body.unconfirmed).toBeUndefined();
  expect(retry.body.results).toEqual([
    expect.objectContaining({ index: 0, status: 201, txId: unconfirmed!.txId }),
  ]);
  // Now kept: the same key replays it.
  const replay = await t.as(PLATFORM).post<BatchAnswer>('/v1/batch', batch, key);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toEqual(retry.body);

  const versions = await t
    .as(PLATFORM)
    .get<{ entries: { txId: string }[] }>(`/v1/consignments/${ID}/history?record=order`);
  expect(versions.status, versions.text).toBe(200);
  expect(versions.body.entries.map((e) => e.txId)).toEqual([unconfirmed!.txId]);
});

it('a single write the ledger did not confirm is 503 naming its transaction, and its retry under the key is answered from the ledger', async () => {
  const id = `${ID}-S`;
  const body = { consignmentId: id, orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' };
  const key = { 'Idempotency-Key': `unconfirmed-single-${RUN}` };
  failNextWrite = { location: join(t.dataDir, 'ledger'), holding: id };

  const first = await t.as(PLATFORM).post('/v1/consignments', body, key);
  expect(failNextWrite, 'the fault was met').toBeUndefined();
  expect(first.status, first.text).toBe(503);
  expect(first.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(first.headers.get('retry-after')).toBe('2');
  const txId = first.body.txId as string;
  expect(txId).toMatch(/^[0-9a-f]{64}$/);

  const retry = await t.as(PLATFORM).post('/v1/consignments', body, key);
  expect(retry.status, retry.text).toBe(201);
  expect(retry.headers.get('x-transaction-id')).toBe(txId);
});

it("customs' pipeline, when the ledger did not confirm its assessment, assesses no second time: its next try is answered from the ledger", async () => {
  const id = `${ID}-C`;
  const officer = t.as('customs-officer');
  const assessment = () => officer.get<{ number: number; txId: string }>(`/v1/customs/assessments/${id}`);
  await putRuleSet(t, testRuleSet(`unconfirmed-${RUN}`));
  await parcelToFrance(t, id, 52.8, undefined, null);
  // The first assessment, without the declaration: not releasable.
  expect((await eventually(assessment, (r) => r.status === 200)).body.number).toBe(1);

  // The next block that writes the consignment's customs seal is the assessment with the declaration.
  failNextWrite = { location: join(t.dataDir, 'ledger'), holding: `customsseal\u0000${id}\u0000` };
  const declared = await t.as(PLATFORM).post(`/v1/consignments/${id}/declaration`, declarationPayload());
  expect(declared.status, declared.text).toBe(201);
  const status = async () =>
    (await officer.get<{ consignment: { status: string } }>(`/v1/consignments/${id}`)).body.consignment
      .status;
  expect(await eventually(status, (s) => s === 'released')).toBe('released');
  expect(failNextWrite, 'the fault was met').toBeUndefined();

  // The assessment whose block failed was committed: the try after it found it, and released on it.
  const second = (await assessment()).body;
  expect(second.number).toBe(2);
  const history = await t
    .as('auditor')
    .get<{ entries: { type: string; txId: string }[] }>(`/v1/consignments/${id}/history?limit=500`);
  const assessed = history.body.entries.filter((e) => e.type === 'assessed');
  expect(assessed).toHaveLength(2);
  expect(assessed.at(-1)!.txId).toBe(second.txId);
});
