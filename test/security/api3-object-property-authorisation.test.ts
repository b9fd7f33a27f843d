/**
 * OWASP API3:2023 Broken Object Property Level Authorization: clients cannot set server-owned
 * properties (mass assignment: unknown fields are refused by name, on every documented write), and
 * each role reads only the properties it needs (public views filtered by role, personal data
 * filtered by purpose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { orderPayload, PERSONAL } from '../support/payloads.js';
import { consignmentOfPlatformA, expectProblem } from './support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
  await consignmentOfPlatformA(t, 'PROP-1');
});
afterAll(async () => {
  await t?.close();
});

describe('writing properties', () => {
  it('refuses mass assignment: a client cannot set status, owner, risk or lane', async () => {
    const platform = t.as('platforma-operator');
    for (const field of ['status', 'createdBy', 'platformMspId', 'txId', 'risk', 'lane']) {
      const res = await platform.post('/v1/consignments', {
        consignmentId: `MASS-${field}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
        [field]: field === 'status' ? 'released' : 'x',
      });
      expectProblem(res, 400, new RegExp(`unknown field '${field}'`));
    }
    expectProblem(
      await platform.post(
        '/v1/consignments/PROP-1/order',
        orderPayload('ORD-PROP-1', { status: 'released' }),
      ),
      400,
      /unknown field 'status'/,
    );
    const view = await platform.get('/v1/consignments/PROP-1');
    expect(view.body).toMatchObject({ consignment: { status: 'created' } });
  });

  it('every documented write refuses server-owned fields by name, as a role that may call it', async () => {
    type Schema = { $ref?: string; properties?: Record<string, unknown> };
    const doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        {
          post?: {
            'x-roles': string[] | 'any';
            requestBody?: { content: { 'application/json': { schema: Schema } } };
          };
        }
      >;
      components: { schemas: Record<string, Schema> };
    };
    const SERVER_OWNED = { status: 'released', createdBy: 'CustomsMSP', txId: 'f'.repeat(64) };
    const userOf: Record<string, string> = {
      platform: 'platforma-operator',
      payment: 'payment-operator',
      post: 'post-operator',
      express: 'express-operator',
      customs: 'customs-officer',
    };
    let writes = 0;
    for (const [path, { post }] of Object.entries(doc.paths)) {
      if (!post?.requestBody) continue;
      const roles = post['x-roles'];
      const user = userOf[roles === 'any' ? 'platform' : roles[0]!]!;
      const concrete = path.startsWith('/v1/parties/')
        ? path.replace('{id}', 'a'.repeat(64))
        : path.replace(/\{[^}]+\}/g, 'PROP-1');
      const res = await t
        .as(user)
        .post<{ errors: { pointer: string; message: string }[] }>(concrete, SERVER_OWNED);
      expectProblem(res, 400);
      // A field the operation itself declares is its input (POST /v1/verify checks a package's txId).
      let schema = post.requestBody.content['application/json'].schema;
      if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()!]!;
      const undeclared = Object.keys(SERVER_OWNED).filter((f) => !(f in (schema.properties ?? {})));
      expect(undeclared.length, path).toBeGreaterThan(0);
      const refused = res.body.errors.map((e) => e.message);
      for (const field of undeclared) {
        expect(refused, `${path}: ${res.text}`).toContain(`unknown field '${field}'`);
      }
      writes++;
    }
    expect(writes).toBeGreaterThan(20);
  });

  it('refuses malformed JSON and wrong types, naming the field', async () => {
    const platform = t.as('platforma-operator');
    expectProblem(await platform.post('/v1/consignments', '{"consignmentId": "X",'), 400, /not valid JSON/);
    const wrongType = await platform.post('/v1/consignments', {
      consignmentId: 42,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expectProblem(wrongType, 400, /\/body\/consignmentId/);
    expectProblem(await platform.get('/v1/consignments/PROP-1?debug=1'), 400, /unknown field 'debug'/);
  });
});

describe('reading properties', () => {
  it('an auditor sees commitments, not the join keys that identify the order', async () => {
    const auditor = await t.as('auditor').get('/v1/consignments/PROP-1');
    expect(auditor.status).toBe(200);
    expect(auditor.text).not.toContain('ORD-PROP-1');
    const platform = await t.as('platforma-operator').get('/v1/consignments/PROP-1');
    expect(platform.text).toContain('ORD-PROP-1');
  });

  it('personal data comes filtered by purpose: revenue assessment gets no identity document', async () => {
    const risk = await t
      .as('customs-officer')
      .get<{ payload: { buyer: Record<string, unknown> } }>(
        '/v1/consignments/PROP-1/details?record=order&purpose=risk_assessment',
      );
    expect(risk.body.payload.buyer.document).toMatchObject({ number: PERSONAL.buyerDocument });
    const revenue = await t
      .as('customs-officer')
      .get<{ payload: { buyer: Record<string, unknown> } }>(
        '/v1/consignments/PROP-1/details?record=order&purpose=revenue_assessment',
      );
    expect(revenue.status).toBe(200);
    expect(revenue.body.payload.buyer.document).toBeUndefined();
    expect(revenue.text).not.toContain(PERSONAL.buyerDocument);
  });
});
