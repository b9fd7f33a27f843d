import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Authenticator,
  identify,
  requireAuthentication,
  unauthorized,
} from '../../gateway/src/auth/authenticate.js';
import type { Principal } from '../../gateway/src/auth/principal.js';
import { rateLimitPerPrincipal } from '../../gateway/src/auth/rate-limit.js';
import { problemHandler } from '../../gateway/src/http/problem.js';
import type { ClientIdentity, LedgerPort, SubmitResult } from '../../gateway/src/ledger/port.js';
import { httpLogger } from '../../gateway/src/observability/http-logger.js';
import { createMetrics, type Metrics } from '../../gateway/src/observability/metrics.js';
import { requestContext } from '../../gateway/src/observability/request-context.js';

const LIMIT = 3;
const TOKENS: Record<string, Principal> = {
  'token-alice': {
    user: 'alice',
    mspId: 'PlatformAMSP',
    orgRole: 'platform',
    role: 'operator',
    authMethod: 'api-key',
  },
  'token-bob': { user: 'bob', mspId: 'PostMSP', orgRole: 'post', role: 'operator', authMethod: 'api-key' },
  'token-carol': {
    user: 'carol',
    mspId: 'PostMSP',
    orgRole: 'post',
    role: 'operator',
    authMethod: 'api-key',
  },
  'token-dave': {
    user: 'dave',
    mspId: 'CustomsMSP',
    orgRole: 'customs',
    role: 'officer',
    authMethod: 'api-key',
  },
};

/** Bearer tokens from a fixed table: these tests are about what comes around authentication. */
const tableAuthenticator: Authenticator = {
  authenticate: async (authorization) => {
    const principal = TOKENS[authorization?.replace(/^Bearer /, '') ?? ''];
    if (!principal) throw unauthorized('unknown API key');
    return principal;
  },
  stillAccepts: () => true,
};

const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line));
    callback();
  },
});

let metrics: Metrics;
let server: Server;
let url: string;

beforeAll(async () => {
  metrics = createMetrics();
  const logger = pino({ level: 'info' }, logStream);
  const app = express();
  app.use(requestContext());
  app.use(httpLogger(logger));
  app.use(metrics.httpMiddleware);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.render());
  });
  const api = express.Router();
  api.use(identify(tableAuthenticator), requireAuthentication);
  api.use(rateLimitPerPrincipal(LIMIT));
  api.get('/v1/items/:id', (req, res) => {
    res.json({ id: req.params.id, requestId: req.requestId });
  });
  api.get('/v1/broken', () => {
    throw new Error('boom');
  });
  // Answers only after the client has given up.
  api.get('/v1/slow', (_req, res) => {
    setTimeout(() => {
      if (!res.destroyed) res.json({ late: true });
    }, 300);
  });
  app.use(api);
  app.use(problemHandler(pino({ level: 'silent' })));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url + path, { headers });

describe('request context', () => {
  it('echoes a well-formed X-Request-Id and uses it for the request', async () => {
    const res = await get('/v1/items/1', {
      Authorization: 'Bearer token-carol',
      'X-Request-Id': 'abc-123.XYZ_9',
    });
    expect(res.headers.get('x-request-id')).toBe('abc-123.XYZ_9');
    expect(await res.json()).toMatchObject({ requestId: 'abc-123.XYZ_9' });
  });

  it('generates a UUID when the header is absent or malformed', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const none = await get('/metrics');
    expect(none.headers.get('x-request-id')).toMatch(uuid);
    for (const bad of ['short', 'has space in it', 'x'.repeat(129), 'semi;colon!']) {
      const res = await get('/metrics', { 'X-Request-Id': bad });
      expect(res.headers.get('x-request-id')).toMatch(uuid);
    }
    // Even a refused request carries its id.
    const refused = await get('/v1/items/1', { 'X-Request-Id': 'refused-0001' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('refused-0001');
  });
});

describe('rate limit per principal', () => {
  it('answers 429 with Retry-After after N requests of one principal, not for another', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const ok = await get(`/v1/items/${i}`, { Authorization: 'Bearer token-alice' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit')).toMatch(/limit=3, remaining=\d+, reset=\d+/);
    }
    const limited = await get('/v1/items/x', { Authorization: 'Bearer token-alice' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({
      status: 429,
      title: 'Too Many Requests',
      detail: expect.stringMatching(/rate limit of 3 requests per minute exceeded for PlatformAMSP\/alice/),
    });

    const other = await get('/v1/items/x', { Authorization: 'Bearer token-bob' });
    expect(other.status).toBe(200);
  });
});

describe('HTTP logging', () => {
  it('logs one line per request with reqId, path without query, status, time and the principal', async () => {
    const res = await get('/v1/items/42?secret=query', {
      Authorization: 'Bearer token-bob',
      'X-Request-Id': 'log-test-0001',
      Cookie: 'session=do-not-log',
    });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const line = logLines.find((l) => l.reqId === 'log-test-0001');
    expect(line).toMatchObject({
      level: 30,
      reqId: 'log-test-0001',
      req: { method: 'GET', path: '/v1/items/42' },
      res: { status: 200 },
      user: 'bob',
      mspId: 'PostMSP',
      responseTime: expect.any(Number),
    });
    const text = JSON.stringify(logLines);
    expect(text).not.toContain('token-bob');
    expect(text).not.toContain('do-not-log');
    expect(text).not.toContain('secret=query');
  });

  it('logs 4xx at warn and 5xx at error, and nothing for /metrics', async () => {
    await get('/v1/items/1', { 'X-Request-Id': 'log-test-0401' });
    await get('/v1/broken', { Authorization: 'Bearer token-carol', 'X-Request-Id': 'log-test-0500' });
    await get('/metrics', { 'X-Request-Id': 'log-test-metrics' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logLines.find((l) => l.reqId === 'log-test-0401')).toMatchObject({
      level: 40,
      res: { status: 401 },
    });
    expect(logLines.find((l) => l.reqId === 'log-test-0500')).toMatchObject({
      level: 50,
      res: { status: 500 },
    });
    expect(logLines.find((l) => l.reqId === 'log-test-metrics')).toBeUndefined();
  });
});

describe('metrics', () => {
  it('exposes the HTTP histogram labelled by route template, never the raw URL', async () => {
    await get('/v1/items/raw-id-123', { Authorization: 'Bearer token-dave' });
    await get('/nowhere/at/all', { Authorization: 'Bearer token-dave' });
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/items\/:id",status="200"\} \d+/,
    );
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/items\/:id",status="200"\} \d+/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).not.toContain('raw-id-123');
    expect(text).not.toContain('/nowhere');
    expect(text).toContain('process_cpu_seconds_total'); // default process metrics
  });

  it('counts a request the client abandoned as 499, not as the status it would have had', async () => {
    await expect(
      fetch(url + '/v1/slow', {
        headers: { Authorization: 'Bearer token-dave' },
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/slow",status="499"\} 1/);
    expect(text).not.toMatch(/route="\/v1\/slow",status="200"/);
  });

  it('keeps registries apart: a second instance starts empty', async () => {
    const other = createMetrics();
    expect(await other.render()).not.toMatch(/http_requests_total\{/);
  });

  it('times ledger calls through instrumentLedger, by operation, transaction and outcome', async () => {
    const calls: string[] = [];
    const identity: ClientIdentity = {
      mspId: 'PlatformAMSP',
      certificate: 'PEM',
      sign: async () => new Uint8Array(),
    };
    // A test double of the port itself: the wrapper must only time and delegate.
    const port: LedgerPort = {
      submit: async (_identity, name): Promise<SubmitResult> => {
        calls.push(`submit ${name}`);
        return { result: new Uint8Array([1]), transactionId: 'tx1', blockNumber: 7n };
      },
      evaluate: async (_identity, name) => {
        calls.push(`evaluate ${name}`);
        throw new Error('chaincode refused');
      },
      endorse: async (_identity, name) => {
        calls.push(`endorse ${name}`);
        return {
          transactionId: 'tx2',
          result: new Uint8Array(),
          submit: () => Promise.reject(new Error('n/a')),
        };
      },
      blockOf: async (_identity, txId) => {
        calls.push(`blockOf ${txId}`);
        return 3n;
      },
      committedTransaction: async (_identity, txId) => {
        calls.push(`committedTransaction ${txId}`);
        return { transactionId: txId, blockNumber: 3n, code: 0, result: new Uint8Array([2]) };
      },
      chainHeight: async () => {
        calls.push('chainHeight');
        return 9n;
      },
      events: () => {
        calls.push('events');
        return (async function* () {})();
      },
      close: async () => {
        calls.push('close');
      },
    };
    const own = createMetrics();
    const ledger = own.instrumentLedger(port);
    await expect(ledger.submit(identity, 'consignment:create', { arguments: ['x'] })).resolves.toMatchObject({
      transactionId: 'tx1',
      blockNumber: 7n,
    });
    await expect(ledger.evaluate(identity, 'consignment:get')).rejects.toThrow('chaincode refused');
    await expect(ledger.endorse(identity, 'consignment:decide')).resolves.toMatchObject({
      transactionId: 'tx2',
    });
    await expect(ledger.blockOf(identity, 'tx1')).resolves.toBe(3n);
    await expect(ledger.committedTransaction(identity, 'tx1')).resolves.toMatchObject({ code: 0 });
    await expect(ledger.chainHeight()).resolves.toBe(9n);
    ledger.events();
    await ledger.close();
    expect(calls).toEqual([
      'submit consignment:create',
      'evaluate consignment:get',
      'endorse consignment:decide',
      'blockOf tx1',
      'committedTransaction tx1',
      'chainHeight',
      'events',
      'close',
    ]);

    const text = await own.render();
    expect(text).toContain('# TYPE ledger_call_duration_seconds histogram');
    expect(text).toMatch(
      /ledger_call_duration_seconds_count\{operation="submit",transaction="consignment:create",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /ledger_call_duration_seconds_count\{operation="evaluate",transaction="consignment:get",outcome="error"\} 1/,
    );
    expect(text).toMatch(
      /ledger_call_duration_seconds_count\{operation="endorse",transaction="consignment:decide",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /ledger_call_duration_seconds_count\{operation="query",transaction="qscc:GetBlockByTxID",outcome="ok"\} 1/,
    );
  });
});
