/**
 * Idempotency-Keys as the route layer applies them, over real HTTP and the gateway's LevelDB store:
 * a refusal is the request's answer and is replayed as it was sent; a refusal that asks to be
 * retried (a write conflict after the ledger client's own retries) is not stored, so the retry the
 * client makes under the same key runs again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { Router } from 'express';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelIdempotencyStore } from '../../gateway/src/http/idempotency.js';
import { HttpProblem, problemHandler } from '../../gateway/src/http/problem.js';
import { defineRoute, mountRoutes } from '../../gateway/src/http/route.js';
import { CommitError, TxValidationCode } from '../../gateway/src/ledger/port.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

let dir: string;
let db: GatewayStore;
let server: Server;
let url: string;
const calls = { conflictOnce: 0, refused: 0, items: 0 };

const route = (path: string, handler: () => Promise<{ status: number; body: unknown }>) =>
  defineRoute({
    method: 'post',
    path,
    summary: 'test route',
    tags: ['test'],
    roles: 'any',
    ...(path.includes('{id}') ? { params: z.object({ id: z.string() }) } : {}),
    body: z.strictObject({ n: z.number() }),
    responses: { 201: { description: 'done' } },
    handler,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'route-idempotency-'));
  db = await openGatewayStore(join(dir, 'store'));
  const router = Router();
  router.use(express.json());
  router.use((req, _res, next) => {
    req.principal = {
      user: 'u',
      mspId: 'PlatformAMSP',
      orgRole: 'platform',
      role: 'operator',
      authMethod: 'api-key',
    };
    req.requestId = 'test-request';
    next();
  });
  mountRoutes(
    router,
    [
      route('/test/conflict-once', async () => {
        if (calls.conflictOnce++ === 0)
          throw new CommitError('ab'.repeat(32), TxValidationCode.MVCC_READ_CONFLICT);
        return { status: 201, body: { done: calls.conflictOnce } };
      }),
      route('/test/items/{id}/declaration', async () => ({ status: 201, body: { call: ++calls.items } })),
      route('/test/refused', async () => {
        calls.refused++;
        throw new HttpProblem(409, 'consignment T-1 already exists');
      }),
    ] as never,
    new LevelIdempotencyStore(db),
  );
  const app = express();
  app.use(router);
  app.use(problemHandler(pino({ level: 'silent' })));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, key: string) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ n: 1 }),
  });

describe('Idempotency-Key at the route layer', () => {
  it('runs a request again after a conflict it was told to retry, then replays its success', async () => {
    const conflict = await post('/test/conflict-once', 'retry-after-conflict');
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('retry-after')).toBe('0');
    const retried = await post('/test/conflict-once', 'retry-after-conflict');
    expect(retried.status, await retried.clone().text()).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const replayed = await post('/test/conflict-once', 'retry-after-conflict');
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual(await retried.json());
    expect(calls.conflictOnce).toBe(2);
  });

  it('replays a final refusal as it was first answered, title included', async () => {
    const first = await post('/test/refused', 'final-refusal');
    const again = await post('/test/refused', 'final-refusal');
    expect(first.status).toBe(409);
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    const body = await first.json();
    expect(body).toMatchObject({ title: 'Conflict', status: 409, detail: 'consignment T-1 already exists' });
    expect(await again.json()).toEqual(body);
    expect(calls.refused).toBe(1);
  });

  it('hashes the request target as routed: a path spelled with percent-escapes is the same request', async () => {
    const plain = await post('/test/items/IP-MX1/declaration', 'spelling-key-1');
    expect(plain.status).toBe(201);
    const first = await plain.text();
    for (const spelling of ['/test/items/IP%2DMX1/declaration', '/test/items/%49P-MX1/declaration']) {
      const again = await post(spelling, 'spelling-key-1');
      expect(again.status, spelling).toBe(201);
      expect(again.headers.get('idempotent-replayed'), spelling).toBe('true');
      expect(await again.text()).toBe(first);
    }
    // Another target under the key is another request.
    expect((await post('/test/items/IP-MX2/declaration', 'spelling-key-1')).status).toBe(422);
    expect(calls.items).toBe(1);
  });
});
