/**
 * OWASP API9:2023 Improper Inventory Management: the OpenAPI document is the inventory (the
 * operations endpoints included). Every operation it lists is served, and nothing it does not list
 * answers: another method on a documented path, likely leftovers (admin, debug, other versions,
 * files, other spellings of the docs) and paths escaping the docs' static files are 404 problems.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestGateway, type TestGateway } from '../support/gateway.js';
import { expectProblem } from './support.js';

let t: TestGateway;
let paths: Record<string, Record<string, unknown>>;

beforeAll(async () => {
  t = await startTestGateway();
  paths = ((await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as { paths: typeof paths }).paths;
});
afterAll(async () => {
  await t?.close();
});

describe('the inventory', () => {
  it('serves the OpenAPI 3.1 document and its docs page', async () => {
    const doc = await client(t.gateway.url).get<{ openapi: string }>('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const docs = await client(t.gateway.url).get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    // The one spelling a person may mistype is sent to the page; every other spelling is not there.
    const slash = await fetch(`${t.gateway.url}/docs/`, { redirect: 'manual' });
    expect([slash.status, slash.headers.get('location')]).toEqual([301, '/docs']);
    // The console's page likewise, by the name of its file too.
    for (const path of ['/console', '/console/index.html']) {
      const redirect = await fetch(`${t.gateway.url}${path}`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')], path).toEqual([301, '/console/']);
    }
  });

  it('serves every documented operation (none answers "no such route")', async () => {
    let operations = 0;
    for (const [path, methods] of Object.entries(paths)) {
      const concrete = path.replace(/\{index\}/, '0').replace(/\{[^}]+\}/g, 'X-1');
      for (const method of Object.keys(methods)) {
        operations++;
        if (path === '/v1/events') continue; // a stream that stays open; covered in test/api/events-audit.test.ts
        const res = await t
          .as('auditor')
          .get(concrete)
          .then((r) => (method === 'get' ? r : t.as('auditor').post(concrete, {})));
        const detail = String((res.body as { detail?: string }).detail ?? '');
        expect(detail, `${method} ${path}`).not.toMatch(/no route|not found: \//i);
      }
    }
    expect(operations).toBeGreaterThan(30);
  });

  it('answers no method a documented path does not list', async () => {
    const key = t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey;
    let probed = 0;
    for (const [path, methods] of Object.entries(paths)) {
      const concrete = path.replace(/\{index\}/, '0').replace(/\{[^}]+\}/g, 'X-1');
      // HEAD and OPTIONS too: Express answers them on its own for the paths it routes. HEAD of the
      // operations endpoints (a monitor's check) answers as their GET, without a body.
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']) {
        if (methods[method.toLowerCase()]) continue;
        if (method === 'HEAD' && methods.get && !path.startsWith('/v1/')) continue;
        const res = await fetch(`${t.gateway.url}${concrete}`, {
          method,
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
        });
        expect([404, 405], `${method} ${path}`).toContain(res.status);
        if (method === 'HEAD') expect(res.headers.get('allow'), path).toMatch(/^(GET|POST)(, (GET|POST))*$/);
        expect(res.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json');
        await res.arrayBuffer();
        probed++;
      }
    }
    expect(probed).toBeGreaterThan(220);
  });

  it('answers HEAD of the operations endpoints as their GET, and of a personal-data read with 405, reading nothing', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) {
      const res = await fetch(`${t.gateway.url}${path}`, { method: 'HEAD' });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe('');
    }
    const key = t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey;
    const head = await fetch(`${t.gateway.url}/v1/parties/X-1/watch-list?purpose=risk_assessment`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, POST');
  });

  it('serves the docs page’s assets and no other file, however the path is spelled', async () => {
    const key = t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey;
    // Raw paths: fetch would resolve the dot segments before sending.
    for (const path of [
      '/docs/assets/../../../package.json',
      '/docs/assets/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/docs/assets/..%2f..%2f..%2fpackage.json',
      '/docs/assets/%2e%2e%5c%2e%2e%5cpackage.json',
      '/docs/assets/package.json',
      '/docs/assets/index.html',
      '/docs/assets/oauth2-redirect.html',
      '/docs/assets/',
    ]) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${t.gateway.url}${path}`,
          { headers: { Authorization: `Bearer ${key}` } },
          (r) => {
            let body = '';
            r.on('data', (chunk: Buffer) => (body += chunk.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          },
        );
        req.path = path;
        req.on('error', reject);
        req.end();
      });
      expect([400, 403, 404], path).toContain(res.status);
      expect(res.body, path).not.toMatch(/"name"|<html/i);
    }
    for (const asset of ['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js']) {
      expect((await fetch(`${t.gateway.url}${asset}`)).status, asset).toBe(200);
    }
  });

  it.each([
    ['GET', '/admin'],
    ['GET', '/v1/admin/users'],
    ['GET', '/v1/debug'],
    ['GET', '/v2/consignments/X-1'],
    ['GET', '/v0/consignments/X-1'],
    ['GET', '/.env'],
    ['GET', '/v1/consignments'],
    ['DELETE', '/v1/consignments/X-1'],
    ['PUT', '/v1/parties/X-1'],
    ['GET', '/v1/internal/ledger'],
    ['GET', '/v1/openapi.json'],
    ['GET', '/swagger.json'],
    ['GET', '/api-docs'],
    ['GET', '/v1/health'],
    ['GET', '/server-status'],
    ['GET', '/.git/config'],
    ['GET', '/v1/consignments/X-1/raw'],
    ['GET', '/v1/parties'],
    ['GET', '/v1/users'],
    ['GET', '/v1/keys'],
    ['POST', '/v1/chaincode/invoke'],
    ['GET', '/V1/consignments/X-1'],
    ['GET', '/v1/Consignments/X-1'],
    ['GET', '/v1/consignments/X-1/'],
    ['GET', '/v1/audit/tree-head/'],
    ['GET', '/healthz/'],
    ['GET', '/readyz/'],
    ['GET', '/metrics/'],
    ['GET', '/openapi.json/'],
    ['GET', '/docs/init.js/'],
    ['GET', '/DOCS'],
    ['GET', '/Healthz'],
    ['GET', '/OPENAPI.JSON'],
    ['GET', '/Docs/assets/swagger-ui.css'],
    ['GET', '/CONSOLE/'],
  ])('%s %s is not there', async (method, path) => {
    const res = await fetch(`${t.gateway.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey}`,
      },
    });
    expect([404, 405]).toContain(res.status);
    expect(paths[path]?.[method.toLowerCase()]).toBeUndefined();
    // Not a route that answered with its own 404 ("consignment … does not exist"): no route at all.
    expectProblem(
      { status: res.status, headers: res.headers, body: JSON.parse(await res.text()), text: '' },
      res.status,
      /^no route for /,
    );
  });
});
