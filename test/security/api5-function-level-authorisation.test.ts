/**
 * OWASP API5:2023 Broken Function Level Authorization: every write is refused to the roles that do
 * not own it, at the gateway (403 naming the allowed roles) and again in the chaincode; taken from
 * the routes the gateway documents, so a new route cannot be forgotten here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_ROLES } from '../../gateway/src/auth/principal.js';
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

interface WriteRoute {
  readonly path: string;
  readonly roles: string[];
  /** Within those organisations, the user roles allowed; absent, any. */
  readonly userRoles?: string[];
}

/** Who may call each documented write, from x-roles and x-user-roles in the OpenAPI document. */
async function writeRoutes(): Promise<WriteRoute[]> {
  const doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { 'x-roles'?: string[] | 'any'; 'x-user-roles'?: string[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    ops.post && Array.isArray(ops.post['x-roles'])
      ? [{ path, roles: ops.post['x-roles'], userRoles: ops.post['x-user-roles'] }]
      : [],
  );
}

const concretePath = (path: string) =>
  path
    .replace('{id}', 'BFLA-1')
    .replace('{returnId}', 'RT-1')
    .replace(/\{[^}]+\}/g, 'a'.repeat(64));

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
      for (const [role, user] of Object.entries(USER_OF_ROLE)) {
        if (roles.includes(role)) continue;
        const res = await t.as(user).post(concretePath(path), {});
        expectProblem(res, 403, /not allowed/);
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(60);
    expect(await committedSubmissions(t)).toBe(before);
  });

  it("customs' decisions are its officers', its rules its officers' or governance's; never its service identity's", async () => {
    const routes = await writeRoutes();
    const userRolesOf = (path: string) => routes.find((r) => r.path === path)?.userRoles;
    expect(userRolesOf('/v1/consignments/{id}/decision')).toEqual(['officer']);
    expect(userRolesOf('/v1/consignments/{id}/returns/{returnId}/decision')).toEqual(['officer']);
    expect(userRolesOf('/v1/parties/{id}/trusted-trader')).toEqual(['officer']);
    expect(userRolesOf('/v1/customs/rule-set')).toEqual(['officer', 'governance']);
    const before = await committedSubmissions(t);
    let refusals = 0;
    for (const { path, userRoles } of routes) {
      if (!userRoles) continue;
      for (const [role, user] of [
        ['governance', 'customs-governance'],
        ['service', 'customs-service'],
      ] as const) {
        if (userRoles.includes(role)) continue;
        const res = await t.as(user).post(concretePath(path), {});
        // The roles customs has that may: officer, or officer and governance.
        const customsMay = userRoles.filter((r) => USER_ROLES.customs.includes(r));
        expectProblem(
          res,
          403,
          new RegExp(`user role ${role}\\); allowed user roles: ${customsMay.join(', ')}$`),
        );
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThanOrEqual(10);
    expect(await committedSubmissions(t)).toBe(before);
  });

  it('GET /v1/me tells a client whether its user takes those decisions, so it offers them to no one else', async () => {
    const decides = async (user: string) =>
      (await t.as(user).get<{ decides: boolean }>('/v1/me')).body.decides;
    expect(await decides('customs-officer')).toBe(true);
    for (const user of ['customs-service', 'customs-governance', 'platforma-operator', 'auditor']) {
      expect(await decides(user), user).toBe(false);
    }
  });

  it("customs' governance and service users read no personal data; its officers do, for a purpose", async () => {
    const details = '/v1/consignments/BFLA-1/details?record=order&purpose=risk_assessment';
    for (const user of ['customs-governance', 'customs-service']) {
      // Told the role of customs that may, not those of the platforms and the auditor.
      expectProblem(await t.as(user).get(details), 403, /allowed user roles: officer$/);
      const disclosure = { record: 'order', purpose: 'audit', fields: ['/goodsValue'] };
      const res = await t.as(user).post('/v1/consignments/BFLA-1/disclosures', disclosure);
      expectProblem(res, 403, /allowed user roles: officer$/);
    }
    expect((await t.as('customs-officer').get(details)).status).toBe(200);
  });

  it('the chaincode refuses a role the gateway would have let through: a customs decision by a platform', async () => {
    // The same rule holds below the gateway: see test/chaincode-ledger/roles.test.ts for every function.
    const res = await t
      .as('platforma-operator')
      .post('/v1/consignments/BFLA-1/decision', { decision: 'release', reasonCodes: [] });
    expectProblem(res, 403);
  });
});
