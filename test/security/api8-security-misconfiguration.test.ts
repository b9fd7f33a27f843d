/**
 * OWASP API8:2023 Security Misconfiguration: security headers on every answer, no framework
 * banner, no CORS grant to foreign origins, unknown routes and methods answered with a problem,
 * errors that say what is wrong without internals, and metrics (business volumes) for the metrics
 * token only.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { expectProblem } from './support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

describe('configuration as a client sees it', () => {
  it('sets security headers and no banner, on answers and on refusals', async () => {
    for (const res of [
      await t.as('platforma-operator').get('/v1/consignments/NONE-1'),
      await fetch(`${t.gateway.url}/healthz`),
    ]) {
      const headers = 'headers' in res ? res.headers : new Headers();
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('content-security-policy')).toContain("default-src 'self'");
    }
  });

  it('grants no cross-origin access to a foreign origin', async () => {
    const preflight = await fetch(`${t.gateway.url}/v1/consignments`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${t.gateway.url}/openapi.json`, { headers: { Origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers unknown routes and methods with a problem, not a framework page', async () => {
    expectProblem(await t.as('platforma-operator').get('/v1/nothing-here'), 404);
    const key = t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey;
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${t.gateway.url}/v1/consignments/NONE-1`, {
        method,
        headers: { Authorization: `Bearer ${key}` },
      });
      expect([404, 405], method).toContain(res.status);
      expect(res.headers.get('content-type'), method).toContain('application/problem+json');
      expect(await res.text()).not.toMatch(/<html|Cannot (PUT|DELETE|PATCH)/i);
    }
    // TRACE would echo the request (credentials included) back: cross-site tracing.
    const trace = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${t.gateway.url}/v1/consignments/NONE-1`,
        { method: 'TRACE', headers: { Authorization: `Bearer ${key}` } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect([404, 405]).toContain(trace.status);
    expect(trace.body).not.toContain(key);
  });

  it('answers a path that is not percent-encoding and a body that does not decompress with 400, not 500', async () => {
    const key = t.gateway.credentials.find((c) => c.user === 'platforma-operator')!.apiKey;
    const auth = { Authorization: `Bearer ${key}` };
    for (const path of ['/v1/consignments/%E0%A4%A', '/console/%E0%A4%A']) {
      const res = await fetch(`${t.gateway.url}${path}`, { headers: auth });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      expect(((await res.json()) as { detail: string }).detail, path).toBe(
        'request path is not valid percent-encoding',
      );
    }
    for (const encoding of ['gzip', 'deflate']) {
      const res = await fetch(`${t.gateway.url}/v1/consignments`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body: '{"consignmentId":"GZ-1"}',
      });
      expect(res.status, encoding).toBe(400);
      expect(res.headers.get('content-type'), encoding).toContain('application/problem+json');
      const text = await res.text();
      expect(text, encoding).not.toMatch(/zlib|incorrect header check|at \w+ \(/);
      expect((JSON.parse(text) as { detail: string }).detail).toBe(
        'request body could not be decompressed as its Content-Encoding says',
      );
    }
    expectProblem(await t.as('platforma-operator').get('/v1/consignments/GZ-1'), 404);
  });

  it('answers headers over the limit, and bytes that are not HTTP, with a problem too (Node answers them itself)', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        let answer = '';
        const socket = connect(t.gateway.port, '127.0.0.1', () => socket.end(text));
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const cases: [string, number, string][] = [
      [`GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'the request headers are larger than the limit of 16 KiB'],
      ['NOT HTTP AT ALL\r\n\r\n', 400, 'the request is not valid HTTP/1.1'],
    ]; // prettier-ignore
    for (const [request, status, detail] of cases) {
      const answer = await raw(request);
      const [head, body] = answer.split('\r\n\r\n') as [string, string];
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
      expect(JSON.parse(body)).toEqual({ type: 'about:blank', title: expect.any(String), status, detail });
    }
  });

  it('answers a JSON body in another charset than UTF-8 with 415, and a missing one with 400', async () => {
    const key = t.gateway.credentials.find((c) => c.user === 'platforma-operator')!.apiKey;
    const post = (headers: Record<string, string>, body?: string) =>
      t
        .as('platforma-operator')
        .post('/v1/consignments', body, { Authorization: `Bearer ${key}`, ...headers });
    const create = '{"consignmentId":"CS-1","originCountry":"CN","destinationCountry":"FR"}';
    for (const charset of ['UTF-16', 'utf-16le', 'UTF-32', 'latin1']) {
      expectProblem(
        await post({ 'Content-Type': `application/json; charset=${charset}` }, create),
        415,
        'request body must be UTF-8 JSON',
      );
    }
    // No body, and an empty one: neither is JSON of another type, nor an empty object.
    expectProblem(
      await post({ 'Content-Type': 'application/json' }),
      400,
      'request body is empty; this operation takes a JSON body',
    );
    expectProblem(
      await post({ 'Content-Type': 'application/json' }, ''),
      400,
      'request body is empty; this operation takes a JSON body',
    );
    expectProblem(await post({}), 400, 'request body is empty; this operation takes a JSON body');
    expectProblem(await post({ 'Content-Type': 'text/plain' }, create), 415);
    for (const charset of ['utf-8', 'UTF-8']) {
      const res = await post(
        { 'Content-Type': `application/json; charset=${charset}` },
        create.replace('CS-1', `CS-${charset}`),
      );
      expect(res.status, res.text).toBe(201);
    }
  });

  it('answers a body that is not UTF-8, or that holds no text where text goes, a __proto__ field or a field named twice, with 400 naming it, and writes nothing', async () => {
    const key = t.gateway.credentials.find((c) => c.user === 'platforma-operator')!.apiKey;
    const send = async (
      path: string,
      body: Uint8Array<ArrayBuffer> | string,
    ): Promise<ApiResponse<unknown>> => {
      const res = await fetch(`${t.gateway.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as unknown };
    };
    const create = (id: string, orderNumber: string) =>
      `{"consignmentId":"${id}","orderNumber":"${orderNumber}","originCountry":"CN","destinationCountry":"FR"}`;
    // The create with `raw` in its order number, after "O-".
    const bytes = (id: string, raw: number[]) => {
      const [before, after] = create(id, 'O-@').split('@') as [string, string];
      return new Uint8Array(Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]));
    };
    // Invalid bytes, an overlong "/" and a UTF-8-encoded surrogate: decoded, each was U+FFFD.
    for (const [id, raw] of [
      ['U8-FF', [0xff, 0xfe]],
      ['U8-OVERLONG', [0xc0, 0xaf]],
      ['U8-SURR', [0xed, 0xa0, 0x80]],
    ] as const) {
      expectProblem(
        await send('/v1/consignments', bytes(id, [...raw])),
        400,
        'request body is not valid UTF-8',
      );
      expectProblem(await t.as('platforma-operator').get(`/v1/consignments/${id}`), 404);
    }
    expectProblem(
      await send('/v1/consignments', create('LONE-1', 'O-\\ud800')),
      400,
      /^\/body\/orderNumber: the string holds a lone UTF-16 surrogate/,
    );
    expectProblem(await t.as('platforma-operator').get('/v1/consignments/LONE-1'), 404);
    const batch = {
      operations: [
        {
          op: 'create',
          consignmentId: 'PROTO-1',
          body: JSON.parse(create('PROTO-1', 'O-PROTO-1')) as object,
        },
      ],
    };
    // A batch operation's body is a record of any fields: __proto__ there was dropped, not refused,
    // and of a field named twice the last value was kept.
    for (const [added, problem] of [
      [
        '"__proto__":{"polluted":true},',
        '/body/operations/0/body/__proto__: the field name __proto__ is not allowed',
      ],
      [
        '"destinationCountry":"DE",',
        '/body/operations/0/body/destinationCountry: the field is named twice in its object; send each field once',
      ],
    ]) {
      expectProblem(
        await send('/v1/batch', JSON.stringify(batch).replace('"body":{', `"body":{${added}`)),
        400,
        problem,
      );
      expectProblem(await t.as('platforma-operator').get('/v1/consignments/PROTO-1'), 404);
    }
    // JSON.parse kept the last of two values of a field; a proxy or the client's own parser may read the first.
    expectProblem(
      await send(
        '/v1/consignments',
        create('DUP-1', 'O-DUP-1').replace('"orderNumber"', '"orderNumber":"O-X","orderNumber"'),
      ),
      400,
      '/body/orderNumber: the field is named twice in its object; send each field once',
    );
    expectProblem(await t.as('platforma-operator').get('/v1/consignments/DUP-1'), 404);
  });
});

describe('metrics', () => {
  const CHALLENGE = 'Bearer realm="customs-ledger metrics"';
  const scrape = (headers: Record<string, string> = {}): Promise<ApiResponse> =>
    client(t.gateway.url).get('/metrics', headers);

  /** A refusal that gives away neither a metric nor the token. */
  function expectRefused(res: ApiResponse, challenge: string, detail: RegExp): void {
    expectProblem(res, 401, detail);
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    expect(res.text).not.toMatch(/# (HELP|TYPE)|http_requests_total|ledger_call|nodejs_/);
    expect(res.text).not.toContain(t.gateway.metricsToken);
  }

  it('are refused to a client without credentials, with a Bearer challenge of their own realm', async () => {
    expectRefused(
      await scrape(),
      CHALLENGE,
      /^missing Authorization header; send 'Authorization: Bearer <metrics token>'$/,
    );
  });

  it("are refused to any other token: a guess, a near miss, and every demo user's API key", async () => {
    const token = t.gateway.metricsToken;
    const others = [
      randomBytes(32).toString('base64url'),
      token.slice(0, -1),
      `${token}A`,
      ...t.gateway.credentials.map((c) => c.apiKey),
    ];
    for (const other of others) {
      expectRefused(
        await scrape({ Authorization: `Bearer ${other}` }),
        `${CHALLENGE}, error="invalid_token"`,
        /^Bearer token is not the metrics token$/,
      );
    }
  });

  it('are refused to the token in another scheme or without one, never repeating it', async () => {
    const token = t.gateway.metricsToken;
    for (const authorization of [token, `Basic ${Buffer.from(`prometheus:${token}`).toString('base64')}`]) {
      expectRefused(await scrape({ Authorization: authorization }), CHALLENGE, /must use the Bearer scheme/);
    }
  });

  it('are refused to two Authorization headers, even both with the token', async () => {
    const authorization = `Bearer ${t.gateway.metricsToken}`;
    const res = await new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
      // fetch would join them into one; Node's client sends each on its own line.
      const headers = { Authorization: [authorization, authorization] };
      const req = request(`${t.gateway.url}/metrics`, { headers }, (answer) => {
        let text = '';
        answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 0, type: answer.headers['content-type'] ?? '', text }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status, res.text).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect((JSON.parse(res.text) as { detail: string }).detail).toBe(
      'send one Authorization header, not several',
    );
  });

  it('are the Prometheus text format for the metrics token', async () => {
    const res = await scrape({ Authorization: `Bearer ${t.gateway.metricsToken}` });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^# TYPE http_requests_total counter$/m);
    // The refusals above are counted like every request, under the route template.
    expect(res.text).toMatch(/^http_requests_total\{method="GET",route="\/metrics",status="401"\} \d+$/m);
  });
});
