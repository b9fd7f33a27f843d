/**
 * OWASP API9:2023 Improper Inventory Management: the OpenAPI document is the inventory. Every
 * operation it lists is served, and nothing it does not list answers: likely leftovers (admin,
 * debug, other versions, files) are 404 problems.
 */
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
  ])('%s %s is not there', async (method, path) => {
    const res = await fetch(`${t.gateway.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey}`,
      },
    });
    expect([404, 405]).toContain(res.status);
    expect(paths[path]?.[method.toLowerCase()]).toBeUndefined();
    expectProblem(
      { status: res.status, headers: res.headers, body: JSON.parse(await res.text()), text: '' },
      res.status,
    );
  });
});
