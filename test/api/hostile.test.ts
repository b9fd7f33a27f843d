import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestGateway, type TestGateway } from '../support/gateway.js';
import { orderPayload } from '../support/payloads.js';

const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ JWT_SECRET, BODY_LIMIT: '64kb' });
  const res = await t.as('platforma-operator').post('/v1/consignments', {
    consignmentId: 'HOST-1',
    orderNumber: 'ORD-HOST-1',
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(res.status, res.text).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
function hs256(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);

function expectProblem(
  res: { status: number; headers: Headers; body: unknown },
  status: number,
  detail?: RegExp,
): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = res.body as { status: number; detail: string };
  expect(body.status).toBe(status);
  if (detail) expect(body.detail).toMatch(detail);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
}

describe('authentication', () => {
  it('refuses a missing header, another scheme, and an unknown key', async () => {
    const anonymous = client(t.gateway.url);
    expectProblem(await anonymous.get('/v1/consignments/HOST-1'), 401);
    expectProblem(
      await anonymous.get('/v1/consignments/HOST-1', { Authorization: 'Basic dXNlcjpwYXNz' }),
      401,
    );
    expectProblem(
      await anonymous.get('/v1/consignments/HOST-1', { Authorization: 'Bearer clk_not-a-real-key' }),
      401,
    );
  });

  it('accepts a valid HS256 JWT and refuses an expired one, alg none, and a forged signature', async () => {
    const claims = {
      sub: 'jwt-user',
      org: 'PlatformAMSP',
      role: 'operator',
      aud: 'customs-ledger',
      exp: now() + 300,
    };
    const ok = await client(t.gateway.url, { Authorization: `Bearer ${hs256(claims)}` }).get(
      '/v1/consignments/HOST-1',
    );
    expect(ok.status, ok.text).toBe(200);
    const expired = hs256({ ...claims, exp: now() - 600 });
    expectProblem(
      await client(t.gateway.url, { Authorization: `Bearer ${expired}` }).get('/v1/consignments/HOST-1'),
      401,
    );
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expectProblem(
      await client(t.gateway.url, { Authorization: `Bearer ${none}` }).get('/v1/consignments/HOST-1'),
      401,
    );
    const forged = hs256({ ...claims, org: 'CustomsMSP' }).replace(/\.[^.]+$/, '.' + 'A'.repeat(43));
    expectProblem(
      await client(t.gateway.url, { Authorization: `Bearer ${forged}` }).get('/v1/consignments/HOST-1'),
      401,
    );
  });
});

describe('validation', () => {
  it('refuses malformed JSON, wrong types, unknown fields and oversize bodies, naming the field', async () => {
    const platform = t.as('platforma-operator');
    expectProblem(await platform.post('/v1/consignments', '{"consignmentId": "X",'), 400, /not valid JSON/);
    const wrongType = await platform.post('/v1/consignments', {
      consignmentId: 42,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expectProblem(wrongType, 400, /\/body\/consignmentId/);
    const big = await platform.post('/v1/consignments', {
      consignmentId: 'BIG',
      originCountry: 'CN',
      destinationCountry: 'FR',
      pad: 'x'.repeat(70_000),
    });
    expectProblem(big, 413);
  });

  it('refuses mass assignment: a client cannot set status, owner, risk or lane', async () => {
    const platform = t.as('platforma-operator');
    for (const field of ['status', 'createdBy', 'platformMspId', 'risk', 'lane']) {
      const res = await platform.post('/v1/consignments', {
        consignmentId: `MASS-${field}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
        [field]: field === 'status' ? 'released' : 'x',
      });
      expectProblem(res, 400, new RegExp(`unknown field '${field}'`));
    }
    const order = orderPayload('ORD-HOST-1', { status: 'released' });
    expectProblem(await platform.post('/v1/consignments/HOST-1/order', order), 400, /unknown field 'status'/);
    const view = await platform.get('/v1/consignments/HOST-1');
    expect(view.body).toMatchObject({ consignment: { status: 'created' } });
  });

  it('refuses unknown query parameters and bad path ids', async () => {
    const platform = t.as('platforma-operator');
    expectProblem(await platform.get('/v1/consignments/HOST-1?debug=1'), 400, /unknown field 'debug'/);
    expectProblem(await platform.get('/v1/consignments/%20bad'), 400);
  });
});

describe('function-level authorisation', () => {
  const cases: [string, string, string, unknown][] = [
    ['post-operator', 'POST', '/v1/consignments/HOST-1/order', orderPayload('ORD-HOST-1')],
    ['platforma-operator', 'POST', '/v1/consignments/HOST-1/logistics', {}],
    [
      'platforma-operator',
      'POST',
      '/v1/consignments/HOST-1/movements',
      { type: 'dispatched', location: 'CNSHA' },
    ],
    [
      'platforma-operator',
      'POST',
      '/v1/consignments/HOST-1/decision',
      { decision: 'release', reasonCodes: [] },
    ],
    ['post-operator', 'POST', '/v1/consignments/HOST-1/assessment', undefined],
    [
      'auditor',
      'POST',
      '/v1/consignments',
      { consignmentId: 'AUD-1', originCountry: 'CN', destinationCountry: 'FR' },
    ],
    ['payment-operator', 'POST', '/v1/parties', {}],
    ['platforma-operator', 'GET', '/v1/audit/tree-head', undefined],
  ];
  it.each(cases)('%s may not %s %s', async (user, method, path, body) => {
    const api = t.as(user);
    const res = method === 'GET' ? await api.get(path) : await api.post(path, body ?? {});
    expectProblem(res, 403, /not allowed/);
  });

  it('customs may call the assessment endpoint; without order, payment and logistics data it is refused', async () => {
    const refused = await t.as('customs-officer').post('/v1/consignments/HOST-1/assessment', {});
    expectProblem(refused, 422);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and body, with no second transaction', async () => {
    const platform = t.as('platforma-operator');
    const body = { consignmentId: 'IDEM-1', originCountry: 'CN', destinationCountry: 'FR' };
    const first = await platform.post('/v1/consignments', body, { 'Idempotency-Key': 'idem-key-0001' });
    expect(first.status, first.text).toBe(201);
    const again = await platform.post('/v1/consignments', body, { 'Idempotency-Key': 'idem-key-0001' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-transaction-id')).toBe(first.headers.get('x-transaction-id'));
    expect(again.body).toEqual(first.body);
    const other = await platform.post(
      '/v1/consignments',
      { ...body, destinationCountry: 'DE' },
      { 'Idempotency-Key': 'idem-key-0001' },
    );
    expectProblem(other, 422, /different request/);
  });

  it('without a key, a duplicate create is refused by the ledger as a conflict', async () => {
    const platform = t.as('platforma-operator');
    const body = { consignmentId: 'IDEM-2', originCountry: 'CN', destinationCountry: 'FR' };
    expect((await platform.post('/v1/consignments', body)).status).toBe(201);
    expectProblem(await platform.post('/v1/consignments', body), 409, /already exists/);
  });
});

describe('misconfiguration and inventory', () => {
  it('sets security headers and answers unknown routes with a problem', async () => {
    const res = await t.as('platforma-operator').get('/v1/nothing-here');
    expectProblem(res, 404);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves the OpenAPI document and the docs page; every documented path answers', async () => {
    const doc = await client(t.gateway.url).get<{ openapi: string; paths: Record<string, unknown> }>(
      '/openapi.json',
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/consignments',
        '/v1/consignments/{id}/details',
        '/v1/batch',
        '/v1/verify',
        '/v1/events',
      ]),
    );
    const docs = await client(t.gateway.url).get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});
