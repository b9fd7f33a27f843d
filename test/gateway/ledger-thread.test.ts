import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  chaincodeMessage,
  EndorseError,
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  type ChaincodeEvent,
  type ClientIdentity,
} from '../../gateway/src/ledger/port.js';
import { fromWire, toWire } from '../../gateway/src/ledger/thread/protocol.js';
import { WorkerLedger } from '../../gateway/src/ledger/thread/worker-ledger.js';
import { startTestGateway } from '../support/gateway.js';

/*
 * The embedded ledger on its own worker thread (LEDGER_THREAD=worker): the gateway's
 * side must behave as the ledger does in-process (results, error classes and their fields, events
 * in order and each once, however many), and a thread that stops must turn into UNAVAILABLE for
 * everything waiting on it, never into a request that hangs.
 */

const RUN = randomBytes(3).toString('hex').toUpperCase();
const dataDirs: string[] = [];

async function openThread(options: { onStopped?: (error: Error) => void; networkConfigPath?: string } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ledger-thread-'));
  dataDirs.push(dataDir);
  return WorkerLedger.open(
    {
      dataDir,
      networkConfigPath: options.networkConfigPath ?? 'config/organisations.json',
      collectionsConfigPath: 'chaincode/collections_config.json',
      batchTimeoutMs: 20,
    },
    { onStopped: options.onStopped },
  );
}

const joinKeys = (id: string): string =>
  JSON.stringify({ orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' });
const json = (bytes: Uint8Array): Record<string, unknown> =>
  JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;

afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the embedded ledger on a worker thread', () => {
  let ledger: WorkerLedger;
  let platform: ClientIdentity;
  let post: ClientIdentity;

  beforeAll(async () => {
    ({ ledger } = await openThread());
    platform = await ledger.enrolUser('PlatformAMSP', 'platforma-operator', { role: 'operator' });
    post = await ledger.enrolUser('PostMSP', 'post-operator', { role: 'operator' });
  });
  afterAll(async () => {
    await ledger?.close();
  });

  it('submits and evaluates as the ledger does, with the block of each transaction', async () => {
    const id = `WT-${RUN}-1`;
    const submitted = await ledger.submit(platform, 'consignment:create', { arguments: [id, joinKeys(id)] });
    expect(json(submitted.result)).toMatchObject({ consignmentId: id, status: 'created' });
    expect(typeof submitted.blockNumber).toBe('bigint');
    expect(await ledger.blockOf(platform, submitted.transactionId)).toBe(submitted.blockNumber);
    expect(await ledger.blockOf(platform, 'no-such-transaction')).toBeUndefined();
    // The chain height, as the event hub fixes a stream's start by it: past the block just committed.
    expect(await ledger.chainHeight()).toBe(submitted.blockNumber + 1n);
    const read = json(await ledger.evaluate(platform, 'consignment:get', { arguments: [id] }));
    expect(read).toMatchObject({ consignment: { consignmentId: id, status: 'created' } });
  });

  it("keeps the ledger's error classes and fields across the thread", async () => {
    const id = `WT-${RUN}-2`;
    await ledger.submit(platform, 'consignment:create', { arguments: [id, joinKeys(id)] });
    const refusal = await ledger
      .submit(platform, 'consignment:create', { arguments: [id, joinKeys(id)] })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(EndorseError);
    expect((refusal as EndorseError).details.length).toBeGreaterThan(0);
    expect(chaincodeMessage(refusal as EndorseError)).toMatch(/already exists/);

    const unknown = await ledger
      .evaluate(platform, 'consignment:get', { arguments: [`WT-${RUN}-none`] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(GatewayError);
    expect(unknown).not.toBeInstanceOf(EndorseError);
    expect((unknown as GatewayError).code).toBe(GrpcStatus.UNKNOWN);
    expect(chaincodeMessage(unknown as GatewayError)).toMatch(/does not exist/);
  });

  it('endorses, then submits on request, once', async () => {
    const id = `WT-${RUN}-3`;
    const endorsed = await ledger.endorse(platform, 'consignment:create', { arguments: [id, joinKeys(id)] });
    expect(json(endorsed.result)).toMatchObject({ consignmentId: id });
    const commit = await endorsed.submit();
    const status = await commit.getStatus();
    expect(status).toMatchObject({ transactionId: endorsed.transactionId, successful: true });
    expect(await commit.getStatus()).toEqual(status);
    await expect(endorsed.submit()).rejects.toThrow(/already submitted/);
  });

  it('signs with the identity it issued, and refuses one it did not issue', async () => {
    const signature = await post.sign(Buffer.from('message'));
    expect(signature.length).toBeGreaterThan(60);
    const foreign: ClientIdentity = { ...post };
    await expect(ledger.evaluate(foreign, 'org:listOrganisations')).rejects.toThrow(
      /was not issued by this ledger/,
    );
  });

  it('streams more events than its credit, in commit order and each once, and stops on abort', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `WT-${RUN}-E${i}`);
    const from = await ledger.submit(platform, 'consignment:create', {
      arguments: [`WT-${RUN}-E-first`, joinKeys(`WT-${RUN}-E-first`)],
    });
    await Promise.all(
      ids.map((id) => ledger.submit(post, 'consignment:create', { arguments: [id, trackingKeys(id)] })),
    );
    const stop = new AbortController();
    const seen: ChaincodeEvent[] = [];
    for await (const event of ledger.events({
      startBlock: from.blockNumber,
      afterTransactionId: from.transactionId,
      signal: stop.signal,
    })) {
      seen.push(event);
      if (seen.length === ids.length) stop.abort();
    }
    const created = seen.map((e) => json(e.payload).consignmentId);
    expect(new Set(created)).toEqual(new Set(ids));
    expect(created).toHaveLength(ids.length);
    const positions = seen.map((e) => e.blockNumber);
    expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);
  });
});

const trackingKeys = (id: string): string =>
  JSON.stringify({
    trackingNumber: `T${id.replaceAll('-', '')}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });

describe('when the ledger thread stops', () => {
  it('fails what waits on it, and every later call, as UNAVAILABLE, and says so once', async () => {
    const stops: Error[] = [];
    const { ledger } = await openThread({ onStopped: (error) => stops.push(error) });
    const platform = await ledger.enrolUser('PlatformAMSP', 'platforma-operator', { role: 'operator' });
    const stream = ledger.events({ startBlock: 0n })[Symbol.asyncIterator]();
    await stream.next();
    const streamEnd = (async () => {
      for (;;) if ((await stream.next()).done) return;
    })().catch((error: unknown) => error);
    const waiting = ledger
      .submit(platform, 'consignment:create', { arguments: [`WT-${RUN}-S`, joinKeys(`WT-${RUN}-S`)] })
      .catch((error: unknown) => error);

    // A crash of the thread, as an uncaught error in it would end it.
    await (ledger as unknown as { worker: Worker }).worker.terminate();

    for (const error of [await waiting, await streamEnd]) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe(GrpcStatus.UNAVAILABLE);
    }
    // The thread may have committed the submission before it stopped: its outcome is not known.
    expect(await waiting).toBeInstanceOf(OutcomeUnknownError);
    expect(await streamEnd).not.toBeInstanceOf(OutcomeUnknownError);
    const later = await ledger.evaluate(platform, 'org:listOrganisations').catch((error: unknown) => error);
    expect((later as GatewayError).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(later).not.toBeInstanceOf(OutcomeUnknownError);
    expect(stops).toHaveLength(1);
    await ledger.close();
  });

  it('names the submitted transaction whose commit status can no longer be learnt', async () => {
    const { ledger } = await openThread();
    const platform = await ledger.enrolUser('PlatformAMSP', 'platforma-operator', { role: 'operator' });
    const id = `WT-${RUN}-C`;
    const endorsed = await ledger.endorse(platform, 'consignment:create', { arguments: [id, joinKeys(id)] });
    const commit = await endorsed.submit();
    await (ledger as unknown as { worker: Worker }).worker.terminate();
    // Handed to ordering before the thread ended: committed or not, nobody here can tell.
    const error = await commit.getStatus().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ code: GrpcStatus.UNAVAILABLE, transactionId: endorsed.transactionId });
    await ledger.close();
  });

  it('keeps the ledger errors’ classes and fields across the threads', () => {
    for (const error of [
      new OutcomeUnknownError(
        GrpcStatus.UNAVAILABLE,
        'block could not be confirmed written',
        [],
        'a'.repeat(64),
      ),
      new EndorseError(
        GrpcStatus.ABORTED,
        'failed to endorse',
        [{ address: 'p', mspId: 'M', message: 'm' }],
        'b'.repeat(64),
      ),
      new GatewayError(GrpcStatus.UNAVAILABLE, 'ledger is closed'),
    ]) {
      const back = fromWire(toWire(error));
      expect(back.constructor).toBe(error.constructor);
      expect(back).toMatchObject({
        code: error.code,
        detail: error.detail,
        details: error.details,
        transactionId: error.transactionId,
      });
    }
  });

  it('over HTTP: /readyz answers 503 "ledger unavailable", and API calls 503 problem+json', async () => {
    // The gateway's own ledger, caught as it opens, so that its thread can be ended as a crash would.
    const opened: WorkerLedger[] = [];
    const open = WorkerLedger.open.bind(WorkerLedger);
    const spy = vi.spyOn(WorkerLedger, 'open').mockImplementation(async (...args) => {
      const result = await open(...args);
      opened.push(result.ledger);
      return result;
    });
    const t = await startTestGateway({ LEDGER_THREAD: 'worker' }).finally(() => spy.mockRestore());
    try {
      expect(opened).toHaveLength(1);
      const readiness = async () => {
        const res = await fetch(`${t.gateway.url}/readyz`);
        return { status: res.status, body: (await res.json()) as unknown };
      };
      expect(await readiness()).toEqual({ status: 200, body: { status: 'ready' } });
      const id = `WT-${RUN}-H`;
      const create = () =>
        t.as('platforma-operator').post('/v1/consignments', {
          consignmentId: id,
          orderNumber: `ORD-${id}`,
          originCountry: 'CN',
          destinationCountry: 'FR',
        });

      await (opened[0] as unknown as { worker: Worker }).worker.terminate();

      expect(await readiness()).toEqual({ status: 503, body: { status: 'ledger unavailable' } });
      for (const res of [await create(), await t.as('platforma-operator').get(`/v1/consignments/${id}`)]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('retry-after')).not.toBeNull();
        expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
      }
      // A batch answers each operation so, with when to send it again (in a new batch).
      const batch = await t.as('platforma-operator').post<{ results: unknown[] }>(
        '/v1/batch',
        {
          operations: [
            {
              op: 'create',
              consignmentId: id,
              body: { orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' },
            },
          ],
        },
        { 'Idempotency-Key': `batch-${id}` },
      );
      expect(batch.status, batch.text).toBe(200);
      expect(batch.body.results).toEqual([
        {
          index: 0,
          status: 503,
          problem: {
            type: 'about:blank',
            title: 'Service Unavailable',
            status: 503,
            detail: 'the ledger is not available; retry later',
          },
          retryAfter: '2',
        },
      ]);
    } finally {
      await t.close();
    }
  });

  it('is not a failure when the ledger is closed', async () => {
    const stops: Error[] = [];
    const { ledger } = await openThread({ onStopped: (error) => stops.push(error) });
    const platform = await ledger.enrolUser('PlatformAMSP', 'platforma-operator', { role: 'operator' });
    await ledger.close();
    await ledger.close();
    expect(stops).toEqual([]);
    const later = await ledger.evaluate(platform, 'org:listOrganisations').catch((error: unknown) => error);
    expect((later as GatewayError).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('reports a network that cannot be opened as the error the thread met', async () => {
    await expect(openThread({ networkConfigPath: 'config/no-such-file.json' })).rejects.toThrow(
      /no-such-file\.json/,
    );
  });
});
