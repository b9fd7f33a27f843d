import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnchorPage, AuditAnchor } from '@customs-ledger/chaincode';
import { AuditLog } from '../../gateway/src/audit/audit-log.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { client, type ApiClient } from '../support/gateway.js';
import { orderPayload } from '../support/payloads.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';

/*
 * The gateway as users run it (`node gateway/dist/main.js`, as `npm start` does after building it;
 * its own process, real HTTP), killed with SIGKILL at a random moment while clients write, 20 times on the same data directory,
 * with the embedded ledger on the gateway's thread in even rounds and on its worker thread in odd ones
 * (LEDGER_THREAD). Every write
 * carries an Idempotency-Key. After the last kill the gateway starts once more and the test checks:
 * every acknowledged write is there and its key replays the first answer; a write that got no
 * answer is either wholly there or not at all, and its retry is answered as a first answer would
 * have been (replayed, or from the transaction committed) and writes nothing twice; the block
 * chain verifies from genesis; every answered request is in the gateway's audit log; no tree head
 * anchored on the ledger is ahead of, or differs from, that log.
 */

const ROUNDS = 20;
const WRITERS = 8;
/** The kill lands this long after the round's first acknowledgement: 150 ms plus up to SPREAD. */
const KILL_AFTER_MS = 150;
const KILL_SPREAD_MS = 450;

interface Write {
  readonly user: string;
  readonly path: string;
  readonly body: unknown;
  readonly key: string;
  /** The answer the client saw, if any, with the request id it carried. */
  answer?: { readonly status: number; readonly body: unknown; readonly requestId: string | null };
}

let dataDir: string;
let gateway: GatewayProcess | undefined;
afterAll(async () => {
  await gateway?.kill();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts the gateway process on the test's data directory, anchoring its audit log often. */
async function start(
  ledgerThread: 'main' | 'worker',
): Promise<{ gateway: GatewayProcess; as: (user: string) => ApiClient }> {
  gateway = await startGatewayProcess(dataDir, {
    AUDIT_ANCHOR_EVERY: '25',
    AUDIT_ANCHOR_SECONDS: '1',
    LEDGER_THREAD: ledgerThread,
  });
  const started = gateway;
  return { gateway: started, as: (user) => client(started.url, started.auth(user)) };
}

describe('the gateway killed with SIGKILL while clients write over HTTP', () => {
  it('loses no acknowledged write nor its audit entry, leaves none half-written, and its chain and audit log verify', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'crash-http-'));
    const writes: Write[] = [];
    const run = randomBytes(3).toString('hex').toUpperCase();

    for (let round = 0; round < ROUNDS; round++) {
      const { gateway: running, as } = await start(round % 2 === 0 ? 'main' : 'worker');
      let firstAck: (() => void) | undefined;
      const acknowledged = new Promise<void>((resolve) => (firstAck = resolve));
      let stop = false;
      const send = async (write: Write): Promise<void> => {
        writes.push(write);
        const res = await as(write.user).post(write.path, write.body, { 'Idempotency-Key': write.key });
        write.answer = { status: res.status, body: res.body, requestId: res.headers.get('x-request-id') };
        firstAck?.();
      };
      const writer = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const id = `CR-${run}-${round}-${w}-${n}`;
          try {
            await send({
              user: 'platforma-operator',
              path: '/v1/consignments',
              body: {
                consignmentId: id,
                orderNumber: `ORD-${id}`,
                originCountry: 'CN',
                destinationCountry: 'FR',
              },
              key: `create-${id}`,
            });
            await send({
              user: 'platforma-operator',
              path: `/v1/consignments/${id}/order`,
              body: orderPayload(`ORD-${id}`),
              key: `order-${id}`,
            });
          } catch {
            return; // the gateway died under this request: it stays unanswered
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await acknowledged;
      await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS + Math.random() * KILL_SPREAD_MS));
      await running.kill();
      stop = true;
      await Promise.all(writers);
    }

    const answered = writes.filter((w) => w.answer !== undefined);
    const unanswered = writes.filter((w) => w.answer === undefined);
    expect(answered.length).toBeGreaterThan(ROUNDS * WRITERS);
    // Under this load every answered write succeeds: anything else would be a bug, not a crash effect.
    expect(answered.filter((w) => w.answer!.status !== 201).map((w) => [w.path, w.answer])).toEqual([]);

    const { gateway: last, as } = await start('worker');
    for (const write of answered) {
      const replay = await as(write.user).post(write.path, write.body, { 'Idempotency-Key': write.key });
      expect({ path: write.path, status: replay.status, body: replay.body }).toEqual({
        path: write.path,
        status: write.answer!.status,
        body: write.answer!.body,
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    for (const write of unanswered) {
      const isCreate = write.path === '/v1/consignments';
      const consignmentId = isCreate
        ? (write.body as { consignmentId: string }).consignmentId
        : write.path.split('/')[3]!;
      const before = await as(write.user).get<{ records: { kind: string }[] }>(
        `/v1/consignments/${consignmentId}`,
      );
      const committed = isCreate
        ? before.status === 200
        : before.status === 200 && before.body.records.some((r) => r.kind === 'order');
      const retry = await as(write.user).post(write.path, write.body, { 'Idempotency-Key': write.key });
      const replayed = retry.headers.get('idempotent-replayed') === 'true';
      // Wholly there or not at all, the retry is answered 201 with the one write there is: the answer
      // the gateway kept before dying, replayed; or, if it died before keeping it, the transaction
      // the first run committed (its id comes from the key); or the write, made now. Never a
      // duplicate refused, never an order's second version.
      expect(retry.status, retry.text).toBe(201);
      if (!committed) expect(replayed, retry.text).toBe(false);
      if (!isCreate) expect(retry.body, retry.text).toMatchObject({ kind: 'order', version: 1 });
    }
    await last.stop();
    gateway = undefined;

    // The log keeps one id through every restart: all its anchors are under it.
    const store = await openGatewayStore(gatewayStorePath(dataDir));
    try {
      const log = await AuditLog.open(
        store,
        {
          mspId: 'CustomsMSP',
          certificate: '',
          sign: () => {
            throw new Error('the check signs nothing');
          },
        },
        { readOnly: true },
      );
      expect(log.logId).toMatch(/^[0-9a-f]{32}$/);
      // Every answer the clients got is in the log: a response waits for its entry.
      const logged = new Map<string, { route: string; outcome: number }>();
      for (let from = 0; from < log.size(); from += 1000) {
        for (const entry of await log.entries(from, 1000)) logged.set(entry.requestId, entry);
      }
      const route = (path: string): string =>
        path.replace(/^\/v1\/consignments\/[^/]+/, '/v1/consignments/{id}');
      expect(
        answered
          .map((w) => ({ write: w, entry: logged.get(w.answer!.requestId ?? '') }))
          .filter(
            ({ write, entry }) =>
              entry?.outcome !== write.answer!.status || entry.route !== route(write.path),
          )
          .map(({ write, entry }) => [write.path, write.answer!.requestId, entry]),
      ).toEqual([]);
      const { ledger } = await openEmbeddedNetwork({
        dataDir,
        networkConfigPath: 'config/organisations.json',
        collectionsConfigPath: 'chaincode/collections_config.json',
      });
      let anchors: AuditAnchor[];
      try {
        expect(await ledger.verifyChain()).toEqual({ ok: true, height: Number(ledger.height()) });
        const auditor = await ledger.enrolUser('AuditorMSP', 'crash-test-auditor', { role: 'auditor' });
        anchors = [];
        for (let after: number | null = 0; after !== null;) {
          const page = JSON.parse(
            Buffer.from(
              await ledger.evaluate(auditor, 'audit:getAnchors', {
                arguments: ['CustomsMSP', log.logId!, JSON.stringify({ after })],
              }),
            ).toString(),
          ) as AnchorPage;
          anchors.push(...page.anchors);
          after = page.next;
        }
      } finally {
        await ledger.close();
      }
      // Anchoring runs beside the writes (every 25 entries or second): some rounds end before one.
      expect(anchors.length).toBeGreaterThan(0);
      for (const anchor of anchors) {
        expect(anchor.treeSize).toBeLessThanOrEqual(log.size());
        expect((await log.rootAt(anchor.treeSize)).toString('hex')).toBe(anchor.rootHash);
      }
    } finally {
      await store.close();
    }
  }, 300_000);
});
