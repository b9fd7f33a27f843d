/**
 * OWASP API2:2023 Broken Authentication: every documented operation but the operations endpoints
 * needs a known API key or a valid JWT (taken from /openapi.json, so a new route is covered);
 * expired, unsigned, forged and wrong-scheme credentials are refused with 401 problem+json.
 * (The verifiers themselves, JWKS and key storage: test/gateway/auth.test.ts.)
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestGateway, type TestGateway } from '../support/gateway.js';
import { b64url, bearerJwt, hs256, now, TEST_JWT_SECRET } from '../support/jwt.js';
import { readSseUntil } from '../support/sse.js';
import { expectProblem } from './support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ JWT_SECRET: TEST_JWT_SECRET, JWT_ISSUER: 'https://idp.example' });
  const res = await t.as('platforma-operator').post('/v1/consignments', {
    consignmentId: 'AUTH-1',
    orderNumber: 'ORD-AUTH-1',
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(res.status, res.text).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const as = (authorization: string) => client(t.gateway.url, { Authorization: authorization });

describe('authentication', () => {
  it('refuses a missing header, another scheme, an unknown key and a key in the query string', async () => {
    expectProblem(await client(t.gateway.url).get('/v1/consignments/AUTH-1'), 401);
    expectProblem(await as('Basic dXNlcjpwYXNz').get('/v1/consignments/AUTH-1'), 401);
    expectProblem(await as('Bearer clk_not-a-real-key').get('/v1/consignments/AUTH-1'), 401);
    const key = t.gateway.credentials.find((c) => c.user === 'platforma-operator')!.apiKey;
    expectProblem(await client(t.gateway.url).get(`/v1/consignments/AUTH-1?api_key=${key}`), 401);
  });

  it('refuses a request with more than one Authorization header, or Idempotency-Key, with 400', async () => {
    const keyOf = (user: string) => t.gateway.credentials.find((c) => c.user === user)!.apiKey;
    // fetch joins repeated headers into one; node:http sends each of an array's values on its own line.
    const send = (method: string, headers: Record<string, string | string[]>, body?: string) =>
      new Promise<{ status: number; type: string; detail: string }>((resolve, reject) => {
        const req = request(`${t.gateway.url}/v1/consignments${method === 'GET' ? '/AUTH-1' : ''}`, {
          method,
        });
        for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              type: res.headers['content-type'] ?? '',
              detail: (JSON.parse(text) as { detail: string }).detail,
            }),
          );
        });
        req.on('error', reject);
        req.end(body);
      });
    const platformA = `Bearer ${keyOf('platforma-operator')}`;
    const platformB = `Bearer ${keyOf('platformb-operator')}`;
    for (const authorization of [
      [platformB, platformA],
      [platformA, platformA],
      [platformA, 'Bearer clk_not-a-real-key'],
    ]) {
      const res = await send('GET', { Authorization: authorization });
      expect(res).toEqual({
        status: 400,
        type: expect.stringContaining('application/problem+json') as string,
        detail: 'send one Authorization header, not several',
      });
    }
    const res = await send(
      'POST',
      {
        Authorization: platformA,
        'Content-Type': 'application/json',
        'Idempotency-Key': ['dup-key-0001', 'dup-key-0002'],
      },
      JSON.stringify({ consignmentId: 'AUTH-DUP', originCountry: 'CN', destinationCountry: 'FR' }),
    );
    expect([res.status, res.detail]).toEqual([400, 'send one Idempotency-Key header, not several']);
    expectProblem(await t.as('platforma-operator').get('/v1/consignments/AUTH-DUP'), 404);
  });

  it('accepts a valid HS256 JWT and refuses an expired one, alg none, a forged signature, a foreign audience or issuer', async () => {
    const claims = {
      sub: 'jwt-user',
      org: 'PlatformAMSP',
      role: 'operator',
      aud: 'customs-ledger',
      iss: 'https://idp.example',
      exp: now() + 300,
    };
    const ok = await as(`Bearer ${hs256(claims)}`).get('/v1/consignments/AUTH-1');
    expect(ok.status, ok.text).toBe(200);
    expectProblem(
      await as(`Bearer ${hs256({ ...claims, exp: now() - 600 })}`).get('/v1/consignments/AUTH-1'),
      401,
    );
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expectProblem(await as(`Bearer ${none}`).get('/v1/consignments/AUTH-1'), 401);
    const forged = hs256({ ...claims, org: 'CustomsMSP' }).replace(/\.[^.]+$/, '.' + 'A'.repeat(43));
    expectProblem(await as(`Bearer ${forged}`).get('/v1/consignments/AUTH-1'), 401);
    expectProblem(
      await as(`Bearer ${hs256({ ...claims, aud: 'another-api' })}`).get('/v1/consignments/AUTH-1'),
      401,
    );
    for (const iss of ['https://evil.example', undefined]) {
      expectProblem(await as(`Bearer ${hs256({ ...claims, iss })}`).get('/v1/consignments/AUTH-1'), 401);
    }
  });

  it('says on GET /v1/me when the credential expires: a JWT its exp, a demo key never', async () => {
    const exp = now() + 600;
    const jwt = await as(bearerJwt({ sub: 'jwt-me', org: 'PostMSP', role: 'operator', exp })).get('/v1/me');
    expect(jwt.status, jwt.text).toBe(200);
    expect(jwt.body).toEqual({
      user: 'jwt-me',
      mspId: 'PostMSP',
      orgRole: 'post',
      role: 'operator',
      authMethod: 'jwt',
      expiresAt: new Date(exp * 1000).toISOString(),
      purposes: ['delivery', 'return_processing', 'audit'],
      decides: false,
    });
    const demo = await t.as('platforma-operator').get('/v1/me');
    expect(demo.body).toMatchObject({ authMethod: 'api-key', expiresAt: null });
  });

  it('signs for a JWT user with the role its token names now, not the role of its first request', async () => {
    const customs = (sub: string, role: string): string => bearerJwt({ sub, org: 'CustomsMSP', role });
    // carol's first ledger call is as customs' service identity, which the chaincode lets only release.
    const read = await as(customs('carol', 'service')).get('/v1/consignments/AUTH-1');
    expect(read.status, read.text).toBe(200);
    // Her token now says officer: the hold is signed as an officer's, so the chaincode takes it.
    const hold = { decision: 'hold', reasonCodes: ['DOCUMENTS_REQUESTED'] };
    const held = await as(customs('carol', 'officer')).post('/v1/consignments/AUTH-1/decision', hold);
    expect(held.status, held.text).toBe(201);
    expect(held.body).toMatchObject({ decision: 'hold', automatic: false });
  });

  it("refuses a JWT naming the gateway's audit signer, whose ledger identity signs the audit log", async () => {
    const jwt = bearerJwt({ sub: 'gateway-audit', org: 'PlatformAMSP', role: 'service' });
    expectProblem(await as(jwt).get('/v1/consignments/AUTH-1'), 401, /audit signer/);
  });

  it('enrols JWT users whose names are not file names', async () => {
    for (const sub of ['Alice Smith', '../etc/passwd', "o'brien@example.org"]) {
      const res = await as(bearerJwt({ sub, org: 'PlatformAMSP', role: 'operator' })).get(
        '/v1/consignments/AUTH-1',
      );
      expect(res.status, `${sub}: ${res.text}`).toBe(200);
    }
  });

  it('ends an event stream when the JWT it was opened with expires, and refuses the reconnection', async () => {
    // The verifier allows 30 s of clock skew: a token whose exp was 25 s ago is good for 4 to 5 s more
    // (room for a loaded machine to open the stream in time).
    const exp = now() - 25;
    const expiresAt = (exp + 30) * 1000;
    const jwt = bearerJwt({ sub: 'jwt-listener', org: 'CustomsMSP', role: 'officer', exp });
    // An API key has no expiry: its stream, open meanwhile, must still deliver afterwards.
    const keyed = readSseUntil(
      t,
      'customs-officer',
      (events) => events.some((e) => e.data.consignmentId === 'AUTH-EXP'),
      undefined,
      20_000,
    );
    const stream = await fetch(`${t.gateway.url}/v1/events`, {
      headers: { Authorization: jwt },
      signal: AbortSignal.timeout(15_000),
    });
    expect(stream.status).toBe(200);
    await stream.text(); // resolves when the gateway ends the stream
    // Not before the token expired (timers may round by a millisecond or so), and not long after
    // (left open, the stream would last until the client's 15 s timeout).
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
    expect(Date.now()).toBeLessThan(expiresAt + 4000);
    expectProblem(await as(jwt).get('/v1/events'), 401, 'JWT has expired');

    const created = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: 'AUTH-EXP',
      orderNumber: 'ORD-AUTH-EXP',
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status, created.text).toBe(201);
    expect((await keyed).map((e) => e.data.consignmentId)).toContain('AUTH-EXP');
  });

  it('answers every documented operation anonymously only where it declares no security', async () => {
    const doc = await client(t.gateway.url).get<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    }>('/openapi.json');
    const open: string[] = [];
    for (const [path, methods] of Object.entries(doc.body.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, 'AUTH-1');
      for (const [method, op] of Object.entries(methods)) {
        const anonymous = client(t.gateway.url);
        const res = method === 'get' ? await anonymous.get(concrete) : await anonymous.post(concrete, {});
        if (op.security?.length === 0) {
          open.push(path);
          expect(res.status, path).toBe(200);
        } else {
          expectProblem(res, 401, /authentication|Authorization/i);
        }
      }
    }
    expect(open.sort()).toEqual(['/docs', '/healthz', '/openapi.json', '/readyz']);
  });
});
