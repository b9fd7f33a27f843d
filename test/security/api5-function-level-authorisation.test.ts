/**
 * OWASP API5:2023 Broken Function Level Authorization: every write is refused to the roles that do
 * not own it, at the gateway (403 naming the allowed roles) and again in the chaincode; taken from
 * the routes the gateway documents, so a new route cannot be forgotten here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { committedSubmissions, consignmentOfPlatformA, expectProblem, settled } from './support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
  await consignmentOfPlatformA(t, 'BFLA-1');
  await settled(t);
});
afterAll(async () => {
  await t?.close();
});

/** Who may call each documented write, from the route definitions' x-roles in the OpenAPI document. */
async function writeRoutes(): Promise<{ path: string; roles: string[] }[]> {
  const doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { 'x-roles'?: string[] | 'any' }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    ops.post && Array.isArray(ops.post['x-roles']) ? [{ path, roles: ops.post['x-roles'] }] : [],
  );
}

const USER_OF_ROLE: Record<string, string> = {
  platform: 'platforma-operator',
  payment: 'payment-operator',
  post: 'post-operator',
  express: 'express-operator',
  customs: 'customs-officer',
  auditor: 'auditor',
};

describe('role-restricted writes', () => {
  it('are documented with the roles allowed', async () => {
    const routes = await writeRoutes();
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.find((r) => r.path === '/v1/consignments/{id}/decision')?.roles).toEqual(['customs']);
  });

  it('refuse every other role with 403 and commit nothing', async () => {
    const before = await committedSubmissions(t);
    let refusals = 0;
    for (const { path, roles } of await writeRoutes()) {
      const concrete = path
        .replace('{id}', 'BFLA-1')
        .replace('{returnId}', 'RT-1')
        .replace(/\{[^}]+\}/g, 'a'.repeat(64));
      for (const [role, user] of Object.entries(USER_OF_ROLE)) {
        if (roles.includes(role)) continue;
        const res = await t.as(user).post(concrete, {});
        expectProblem(res, 403, /not allowed/);
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(60);
    expect(await committedSubmissions(t)).toBe(before);
  });

  it('the chaincode refuses a role the gateway would have let through: a customs decision by a platform', async () => {
    // The same rule holds below the gateway: see test/chaincode-ledger/roles.test.ts for every function.
    const res = await t
      .as('platforma-operator')
      .post('/v1/consignments/BFLA-1/decision', { decision: 'release', reasonCodes: [] });
    expectProblem(res, 403);
  });
});
