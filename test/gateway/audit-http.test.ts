import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrgRole } from '@customs-ledger/chaincode';
import { AuditLog, entryBytes, type AuditEntry } from '../../gateway/src/audit/audit-log.js';
import { auditTrail, auditTrailFailures } from '../../gateway/src/audit/audit-trail.js';
import { auditRoutes } from '../../gateway/src/audit/routes.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../gateway/src/audit/merkle.js';
import { mountRoutes, type IdempotencyStore } from '../../gateway/src/http/route.js';
import { HttpProblem, problemHandler } from '../../gateway/src/http/problem.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = {
  mspId: 'CustomsMSP',
  certificate: 'test certificate',
  sign: async (message: Uint8Array) => sign('sha256', message, privateKey),
};
const silent = pino({ level: 'silent' });

const USERS: Record<string, { mspId: string; orgRole: OrgRole; role: string }> = {
  auditor: { mspId: 'AuditorMSP', orgRole: 'auditor', role: 'auditor' },
  officer: { mspId: 'CustomsMSP', orgRole: 'customs', role: 'officer' },
  platform: { mspId: 'PlatformAMSP', orgRole: 'platform', role: 'operator' },
};

/** Stand-ins for the gateway's request id, authentication and rate limit: "Bearer <user>". */
const requestId: RequestHandler = (req, _res, next) => {
  req.requestId = req.get('X-Request-Id') ?? 'no-id';
  next();
};
const authenticate: RequestHandler = (req, _res, next) => {
  const user = /^Bearer (\w+)$/.exec(req.get('Authorization') ?? '')?.[1];
  const known = user ? USERS[user] : undefined;
  if (!known) return next(new HttpProblem(401, 'authentication required'));
  req.principal = { user: user!, ...known, authMethod: 'api-key' };
  next();
};
const rateLimit: RequestHandler = (req, _res, next) =>
  next(req.get('X-Test-Limit') ? new HttpProblem(429, 'slow down') : undefined);

const noIdempotency: IdempotencyStore = {
  begin: async () => ({ kind: 'new' }),
  complete: async () => undefined,
  abandon: async () => undefined,
};

interface Served {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

async function serve(log: AuditLog, logger: Logger = silent): Promise<Served> {
  const app = express();
  const v1 = Router();
  v1.use(requestId);
  v1.use(express.json());
  v1.use(auditTrail(log, logger));
  v1.use(authenticate);
  v1.use(rateLimit);
  v1.post('/v1/things/:id', (req, res) => {
    res.locals.audit = {
      route: '/v1/things/{id}',
      resource: `thing/${req.params.id}`,
      purpose: 'risk_assessment',
      txId: 'tx-123',
    };
    res.status(201).json({ echoed: req.body as unknown });
  });
  v1.get('/v1/stream', (_req, res) => {
    res.locals.audit = { route: '/v1/stream' };
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('data: hello\n\n');
  });
  mountRoutes(v1, auditRoutes(log), noIdempotency);
  app.use(v1);
  app.use((req, _res, next) => next(new HttpProblem(404, `no route for ${req.method} ${req.path}`)));
  app.use(problemHandler(silent));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let dir: string;
let db: GatewayStore;
let log: AuditLog;
let app: Served;

const call = async (path: string, user?: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (user) headers.set('Authorization', `Bearer ${user}`);
  const res = await fetch(app.url + path, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
};
const get = <T = Record<string, unknown>>(path: string, user = 'auditor') =>
  call(path, user) as Promise<{ status: number; body: T & { detail?: string }; text: string }>;

/** The entry of the request with this X-Request-Id, once the trail has written it. */
async function entryOf(id: string): Promise<AuditEntry> {
  let found: AuditEntry | undefined;
  await vi.waitFor(
    async () => {
      await log.drain();
      found = (await log.entries(0, 1000)).find((e) => e.requestId === id);
      expect(found, `no audit entry for ${id}`).toBeDefined();
    },
    { timeout: 3000, interval: 20 },
  );
  return found!;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-http-'));
  db = await openGatewayStore(join(dir, 'store'));
  log = await AuditLog.open(db, signer, { sync: false });
  app = await serve(log);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the audit trail', () => {
  it('records an authorised request: who, route, resource, purpose, outcome, transaction; never the body', async () => {
    const res = await call('/v1/things/T-1?name=Jane', 'officer', {
      method: 'POST',
      headers: { 'X-Request-Id': 'trail-ok-1', 'Content-Type': 'application/json', Cookie: 'k=secret' },
      body: JSON.stringify({ name: 'Jane Doe', passport: 'X1234567' }),
    });
    expect(res.status).toBe(201);
    const entry = await entryOf('trail-ok-1');
    expect(entry).toEqual({
      index: entry.index,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      requestId: 'trail-ok-1',
      user: 'officer',
      mspId: 'CustomsMSP',
      role: 'officer',
      method: 'POST',
      route: '/v1/things/{id}',
      resource: 'thing/T-1',
      purpose: 'risk_assessment',
      outcome: 201,
      txId: 'tx-123',
    });
    const stored = Buffer.from((await log.entryBytes(entry.index))!).toString();
    expect(stored).not.toMatch(/Jane|X1234567|secret|Bearer|name=/);
    expect(stored).toBe(entryBytes(entry).toString());
  });

  it.each([
    ['unauthenticated (401)', '/v1/things/T-2', undefined, {}, 401, 'unmatched'],
    ['unknown route (404)', '/v1/nowhere', 'officer', {}, 404, 'unmatched'],
    ['rate-limited (429)', '/v1/things/T-3', 'officer', { 'X-Test-Limit': '1' }, 429, 'unmatched'],
    ['forbidden (403)', '/v1/audit/tree-head', 'platform', {}, 403, '/v1/audit/tree-head'],
    ['invalid (400)', '/v1/audit/entries?limit=5000', 'auditor', {}, 400, '/v1/audit/entries'],
  ])(
    'records a refused request: %s',
    async (_name, path, user, headers: Record<string, string>, status, route) => {
      const id = `trail-${status}-${Math.random().toString(36).slice(2)}`;
      const method = path.startsWith('/v1/things') ? 'POST' : 'GET';
      const res = await call(path, user, { method, headers: { ...headers, 'X-Request-Id': id } });
      expect(res.status).toBe(status);
      const entry = await entryOf(id);
      expect(entry).toMatchObject({ outcome: status, route, method, resource: '', txId: '' });
      if (user) expect(entry).toMatchObject({ user, mspId: USERS[user]!.mspId, role: USERS[user]!.role });
      else expect(entry).toMatchObject({ user: '', mspId: '', role: '' });
    },
  );

  it('holds the response until its entry is in the log', async () => {
    // A slow append: an answer sent before its entry was appended would arrive first.
    const append = log.append.bind(log);
    const slow = vi.spyOn(log, 'append').mockImplementation(async (entry) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return append(entry);
    });
    try {
      const res = await call('/v1/things/T-2', 'officer', {
        method: 'POST',
        headers: { 'X-Request-Id': 'trail-held' },
      });
      expect(res.status).toBe(201);
      const newest = await log.entries(Math.max(0, log.size() - 5), 5);
      expect(newest.map((e) => e.requestId)).toContain('trail-held');
    } finally {
      slow.mockRestore();
    }
  });

  it('records a request whose client went away before the response ended (an event stream)', async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.url}/v1/stream`, {
      headers: { Authorization: 'Bearer officer', 'X-Request-Id': 'trail-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    controller.abort();
    expect(await entryOf('trail-stream')).toMatchObject({
      route: '/v1/stream',
      outcome: 200,
      user: 'officer',
    });
  });

  it('logs and counts a failed append, and the request and the process carry on', async () => {
    const failing = await AuditLog.open(db, signer, { sync: false });
    vi.spyOn(failing, 'append').mockRejectedValue(new Error('disk full'));
    const error = vi.fn();
    const logger = { ...silent, error } as unknown as Logger;
    const other = await serve(failing, logger);
    try {
      const before = auditTrailFailures();
      const res = await fetch(`${other.url}/v1/things/T-9`, {
        method: 'POST',
        headers: { Authorization: 'Bearer officer', 'X-Request-Id': 'trail-fail' },
      });
      expect(res.status).toBe(201);
      await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1));
      expect(error.mock.calls[0]![0]).toMatchObject({ requestId: 'trail-fail' });
      expect(auditTrailFailures()).toBe(before + 1);
    } finally {
      await other.close();
    }
  });
});

describe('the audit routes', () => {
  it('are for auditors and customs only', async () => {
    expect((await get('/v1/audit/tree-head', 'auditor')).status).toBe(200);
    expect((await get('/v1/audit/tree-head', 'officer')).status).toBe(200);
    expect((await get('/v1/audit/tree-head', 'platform')).status).toBe(403);
    expect((await call('/v1/audit/tree-head')).status).toBe(401);
  });

  it('serve a signed tree head, entries, and proofs that verify', async () => {
    for (let i = 0; i < 20; i++) await log.append({ ...(await log.entry(0))!, requestId: `filler-${i}` });
    const head = await get<{ treeSize: number; rootHash: string; signature: string }>('/v1/audit/tree-head');
    expect(head.status).toBe(200);
    const size = head.body.treeSize;
    expect(size).toBeGreaterThanOrEqual(20);

    const page = await get<{ treeSize: number; from: number; entries: AuditEntry[]; next: number | null }>(
      '/v1/audit/entries?from=1&limit=5',
    );
    expect(page.body.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(page.body.next).toBe(6);
    const last = await get<{ entries: AuditEntry[]; next: number | null }>(
      `/v1/audit/entries?from=${size - 2}&limit=1000`,
    );
    expect(last.body.entries.length).toBeGreaterThanOrEqual(2);

    const one = await get<{ entry: AuditEntry; leafHash: string }>('/v1/audit/entries/3');
    expect(one.status).toBe(200);
    expect(one.body.leafHash).toBe(leafHash(entryBytes(one.body.entry)).toString('hex'));

    const inclusion = await get<{
      leafIndex: number;
      treeSize: number;
      leafHash: string;
      auditPath: string[];
      rootHash: string;
    }>(`/v1/audit/proofs/inclusion?index=3&treeSize=${size}`);
    expect(inclusion.status, inclusion.text).toBe(200);
    expect(inclusion.body).toMatchObject({ leafIndex: 3, treeSize: size, rootHash: head.body.rootHash });
    expect(inclusion.body.leafHash).toBe(one.body.leafHash);
    expect(
      verifyInclusion(
        Buffer.from(inclusion.body.leafHash, 'hex'),
        3,
        size,
        inclusion.body.auditPath.map((h) => Buffer.from(h, 'hex')),
        Buffer.from(head.body.rootHash, 'hex'),
      ),
    ).toBe(true);

    const consistency = await get<{
      from: number;
      to: number;
      proof: string[];
      fromRoot: string;
      toRoot: string;
    }>(`/v1/audit/proofs/consistency?from=7&to=${size}`);
    expect(consistency.status, consistency.text).toBe(200);
    expect(consistency.body.toRoot).toBe(head.body.rootHash);
    expect(
      verifyConsistency(
        7,
        size,
        Buffer.from(consistency.body.fromRoot, 'hex'),
        Buffer.from(consistency.body.toRoot, 'hex'),
        consistency.body.proof.map((h) => Buffer.from(h, 'hex')),
      ),
    ).toBe(true);
  });

  it('answer out-of-range and malformed requests with a clear problem', async () => {
    const size = log.size();
    const cases: [string, number, RegExp][] = [
      [`/v1/audit/entries/${size + 100}`, 404, /does not exist: the log has \d+ entries/],
      ['/v1/audit/entries/-1', 400, /index/],
      ['/v1/audit/entries/abc', 400, /index/],
      [`/v1/audit/entries?from=${size + 100}`, 400, /beyond the end of the audit log/],
      ['/v1/audit/entries?limit=1001', 400, /limit/],
      ['/v1/audit/entries?limit=0', 400, /limit/],
      ['/v1/audit/entries?foo=1', 400, /unknown field 'foo'/],
      [`/v1/audit/proofs/inclusion?index=0&treeSize=${size + 100}`, 400, /beyond the end of the audit log/],
      ['/v1/audit/proofs/inclusion?index=5&treeSize=5', 400, /index 5 is not in a tree of size 5/],
      ['/v1/audit/proofs/inclusion?treeSize=5', 400, /index/],
      ['/v1/audit/proofs/inclusion?index=0&treeSize=0', 400, /treeSize/],
      ['/v1/audit/proofs/consistency?from=0&to=5', 400, /from/],
      ['/v1/audit/proofs/consistency?from=6&to=5', 400, /from 6 must not exceed to 5/],
      [`/v1/audit/proofs/consistency?from=1&to=${size + 100}`, 400, /beyond the end of the audit log/],
    ];
    for (const [path, status, detail] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      expect(res.body.detail, path).toMatch(detail);
    }
  });

  it('refuse an integer parameter that is empty or not written in decimal digits, never reading it as another number', async () => {
    const cases: [string, string][] = [];
    for (const bad of ['', '%20', '0x1', '1e2', '1.0', '+1', '-0', '0b1', '1%20']) {
      cases.push(
        [`/v1/audit/entries/${bad}`, '/params/index'],
        [`/v1/audit/entries?from=${bad}`, '/query/from'],
        [`/v1/audit/entries?limit=${bad}`, '/query/limit'],
        [`/v1/audit/proofs/inclusion?index=${bad}`, '/query/index'],
        [`/v1/audit/proofs/inclusion?index=0&treeSize=${bad}`, '/query/treeSize'],
        [`/v1/audit/proofs/consistency?from=${bad}`, '/query/from'],
        [`/v1/audit/proofs/consistency?from=1&to=${bad}`, '/query/to'],
      );
    }
    // An empty path segment is another route: /v1/audit/entries/ is the list.
    for (const [path, pointer] of cases.filter(([p]) => p !== '/v1/audit/entries/')) {
      const res = await call(path, 'auditor');
      expect(res.status, path).toBe(400);
      expect(res.body.detail, path).toBe(`${pointer}: must be a decimal integer`);
    }
    // Decimal digits are read as they are written.
    const entry = await get<{ entry: { index: number } }>('/v1/audit/entries/1');
    expect(entry.body.entry.index).toBe(1);
    const page = await get<{ from: number; entries: unknown[] }>('/v1/audit/entries?from=01&limit=2');
    expect([page.body.from, page.body.entries.length]).toEqual([1, 2]);
  });

  it('default to the current size when treeSize or to is omitted', async () => {
    const inclusion = await get<{ treeSize: number }>('/v1/audit/proofs/inclusion?index=0');
    const consistency = await get<{ to: number }>('/v1/audit/proofs/consistency?from=1');
    expect(inclusion.status).toBe(200);
    expect(inclusion.body.treeSize).toBeGreaterThan(0);
    expect(consistency.status).toBe(200);
    expect(consistency.body.to).toBeGreaterThan(0);
  });
});
