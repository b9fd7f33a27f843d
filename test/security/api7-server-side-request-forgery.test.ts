/**
 * OWASP API7:2023 Server Side Request Forgery: the gateway fetches no URL that a request names.
 * The only URL-valued field is an order line's productUrl, which is stored, never fetched; the only
 * URL the gateway ever fetches is JWKS_URL, from its operator's configuration, and a JWT header
 * pointing elsewhere (jku, x5u) is not followed. A local listener counts any attempt.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestGateway, type TestGateway } from '../support/gateway.js';
import { orderPayload } from '../support/payloads.js';
import { expectProblem, settled } from './support.js';

let t: TestGateway;
let trap: Server;
let hits = 0;
let trapUrl: string;

beforeAll(async () => {
  trap = createServer((_req, res) => {
    hits++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
  t = await startTestGateway({ JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!' });
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => trap?.close(resolve));
});

describe('URLs in requests', () => {
  it('stores a productUrl without fetching it, through customs’ assessment too', async () => {
    const platform = t.as('platforma-operator');
    const create = await platform.post('/v1/consignments', {
      consignmentId: 'SSRF-1',
      orderNumber: 'ORD-SSRF-1',
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(create.status).toBe(201);
    const order = orderPayload('ORD-SSRF-1');
    const lines = (order.lines as Record<string, unknown>[]).map((l) => ({
      ...l,
      productUrl: `${trapUrl}/product`,
    }));
    expect((await platform.post('/v1/consignments/SSRF-1/order', { ...order, lines })).status).toBe(201);
    await t.as('customs-officer').post('/v1/consignments/SSRF-1/assessment', {});
    await settled(t);
    const read = await t
      .as('customs-officer')
      .get('/v1/consignments/SSRF-1/details?record=order&purpose=risk_assessment');
    expect(read.text).toContain(`${trapUrl}/product`);
    expect(hits).toBe(0);
  });

  it('refuses non-http(s) product URLs', async () => {
    const order = orderPayload('ORD-SSRF-1');
    const lines = (order.lines as Record<string, unknown>[]).map((l) => ({
      ...l,
      productUrl: 'file:///etc/passwd',
    }));
    expectProblem(
      await t.as('platforma-operator').post('/v1/consignments/SSRF-1/order', { ...order, lines }),
      400,
      /productUrl/,
    );
  });

  it('does not follow a JWT header that points at a key elsewhere', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const header of [
      { alg: 'RS256', jku: `${trapUrl}/jwks` },
      { alg: 'RS256', x5u: `${trapUrl}/cert` },
    ]) {
      const token = `${b64(header)}.${b64({ sub: 'x', org: 'PlatformAMSP', exp: Math.floor(Date.now() / 1000) + 60 })}.c2ln`;
      expectProblem(
        await client(t.gateway.url, { Authorization: `Bearer ${token}` }).get('/v1/consignments/SSRF-1'),
        401,
      );
    }
    expect(hits).toBe(0);
  });
});
