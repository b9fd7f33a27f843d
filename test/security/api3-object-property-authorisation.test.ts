/**
 * OWASP API3:2023 Broken Object Property Level Authorization: clients cannot set server-owned
 * properties (mass assignment: unknown fields are refused by name, on every documented write), and
 * each role reads only the properties it needs (public views filtered by role, personal data
 * filtered by purpose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { orderPayload, PERSONAL } from '../support/payloads.js';
import { readSseUntil, type SseEvent } from '../support/sse.js';
import { consignmentOfPlatformA, expectProblem, releasedWithReturn } from './support.js';

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
    for (const field of ['status', 'createdBy', 'pendingClaims', 'txId', 'risk', 'lane']) {
      const res = await platform.post('/v1/consignments', {
        consignmentId: `MASS-${field}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
        [field]: field === 'status' ? 'released' : 'x',
      });
      expectProblem(res, 400, new RegExp(`unknown field '${field}'`));
    }
    // The parts are named by the creator for its counterparts: its own is its own.
    expectProblem(
      await platform.post('/v1/consignments', {
        consignmentId: 'MASS-platformMspId',
        originCountry: 'CN',
        destinationCountry: 'FR',
        platformMspId: 'PlatformBMSP',
      }),
      422,
      "platformMspId PlatformBMSP cannot be named: the consignment's platform is its creator PlatformAMSP",
    );
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

describe('reading properties beyond the consignment view: history, events and returns', () => {
  // PROP-HOLD is held by the officer with a reason; PROP-RET is released and returned, and customs
  // refuses the return with a reason before the payment provider refunds.
  const HOLD_REASON = 'UNDERVALUATION_SUSPECTED';
  const RETURN_REASON = 'EXIT_NOT_PROVEN';
  const RETURN_TRACKING = 'RRPROPRET01CN';
  let returnId: string;
  let refundText: string;

  const created = (res: { status: number; text: string }): void => expect(res.status, res.text).toBe(201);
  const history = async (user: string, id: string) => {
    const res = await t
      .as(user)
      .get<{ entries: { type: string; detail: Record<string, unknown> }[] }>(
        `/v1/consignments/${id}/history`,
      );
    expect(res.status, res.text).toBe(200);
    const entry = (type: string) => res.body.entries.find((e) => e.type === type)?.detail;
    return { text: res.text, entry };
  };
  /** Every event this user may see, from block 0 up to customs' decision on PROP-RET's return. */
  const events = (user: string): Promise<SseEvent[]> =>
    readSseUntil(t, user, (seen) =>
      seen.some((e) => e.event === 'ReturnDecided' && e.data.consignmentId === 'PROP-RET'),
    );
  const eventOf = (seen: SseEvent[], name: string, id: string) =>
    seen.find((e) => e.event === name && e.data.consignmentId === id)?.data;

  beforeAll(async () => {
    await consignmentOfPlatformA(t, 'PROP-HOLD');
    await consignmentOfPlatformA(t, 'PROP-REFER');
    const officer = t.as('customs-officer');
    created(
      await officer.post('/v1/consignments/PROP-REFER/decision', {
        decision: 'refer',
        reasonCodes: ['VALUE_QUERY'],
      }),
    );
    created(
      await officer.post('/v1/consignments/PROP-HOLD/decision', {
        decision: 'hold',
        reasonCodes: [HOLD_REASON],
      }),
    );
    returnId = await releasedWithReturn(t, 'PROP-RET');
    const base = `/v1/consignments/PROP-RET/returns/${returnId}`;
    const post = t.as('post-operator');
    created(await post.post(`${base}/shipment`, { trackingNumber: RETURN_TRACKING }));
    created(await post.post(`${base}/scan`, { type: 'exited', location: 'FRCDG', country: 'FR' }));
    created(
      await officer.post(`${base}/decision`, {
        outcome: 'refused',
        dutyRefund: 0,
        vatRefund: 0,
        currency: 'EUR',
        reasonCodes: [RETURN_REASON],
      }),
    );
    const refund = await t.as('payment-operator').post(`${base}/refund`, {
      refundTransactionId: 'RF-PROP-RET',
      amount: 10,
      currency: 'EUR',
      refundedAt: '2026-12-01T10:00:00Z',
    });
    created(refund);
    refundText = refund.text;
  });

  it("the platform's history has no reason codes of customs' decisions", async () => {
    const held = await history('platforma-operator', 'PROP-HOLD');
    expect(held.entry('decision_hold')).toMatchObject({ statusAfter: 'held' });
    expect(held.entry('decision_hold')).not.toHaveProperty('reasonCodes');
    expect(held.text).not.toContain(HOLD_REASON);
    const returned = await history('platforma-operator', 'PROP-RET');
    expect(returned.entry('return_decided')).toMatchObject({ outcome: 'refused' });
    expect(returned.text).not.toContain(RETURN_REASON);
    // The platform may know the order and the return's RMA and tracking numbers.
    expect(returned.entry('created')).toMatchObject({ joinKeys: { orderNumber: 'ORD-PROP-RET' } });
    expect(returned.entry('return_requested')).toMatchObject({ authorisation: 'RMA-PROP-RET' });
    expect(returned.entry('return_shipped')).toMatchObject({ trackingNumber: RETURN_TRACKING });
  });

  it("the auditor's history has neither the join keys nor the return's RMA and tracking numbers nor reason codes", async () => {
    const returned = await history('auditor', 'PROP-RET');
    expect(returned.entry('created')).toMatchObject({
      joinKeys: { originCountry: 'CN', destinationCountry: 'FR' },
    });
    expect(returned.entry('created')?.joinKeys).not.toHaveProperty('orderNumber');
    expect(returned.entry('return_shipped')).toMatchObject({ returnId });
    expect(returned.entry('return_shipped')).not.toHaveProperty('trackingNumber');
    expect(returned.entry('return_requested')).toMatchObject({ returnId, reason: expect.any(String) });
    expect(returned.entry('return_requested')).not.toHaveProperty('authorisation');
    for (const leak of ['ORD-PROP-RET', 'RMA-PROP-RET', RETURN_TRACKING, RETURN_REASON])
      expect(returned.text).not.toContain(leak);
    expect((await history('auditor', 'PROP-HOLD')).text).not.toContain(HOLD_REASON);
  });

  it('customs sees all of it in the history', async () => {
    const held = await history('customs-officer', 'PROP-HOLD');
    expect(held.entry('decision_hold')).toMatchObject({ reasonCodes: [HOLD_REASON] });
    const returned = await history('customs-officer', 'PROP-RET');
    expect(returned.entry('created')).toMatchObject({ joinKeys: { orderNumber: 'ORD-PROP-RET' } });
    expect(returned.entry('return_shipped')).toMatchObject({ trackingNumber: RETURN_TRACKING });
    expect(returned.entry('return_requested')).toMatchObject({ authorisation: 'RMA-PROP-RET' });
    expect(returned.entry('return_decided')).toMatchObject({ reasonCodes: [RETURN_REASON] });
  });

  it('the event stream (a replay from block 0) withholds the same properties', async () => {
    const [platform, auditor, customs] = await Promise.all([
      events('platforma-operator'),
      events('auditor'),
      events('customs-officer'),
    ]);
    expect(eventOf(platform, 'DecisionRecorded', 'PROP-HOLD')).toMatchObject({ decision: 'hold' });
    expect(eventOf(platform, 'DecisionRecorded', 'PROP-HOLD')).not.toHaveProperty('reasonCodes');
    expect(eventOf(platform, 'ReturnShipped', 'PROP-RET')).toMatchObject({ trackingNumber: RETURN_TRACKING });
    expect(JSON.stringify(platform)).not.toContain(HOLD_REASON);

    expect(eventOf(auditor, 'DecisionRecorded', 'PROP-HOLD')).not.toHaveProperty('reasonCodes');
    expect(eventOf(auditor, 'ReturnShipped', 'PROP-RET')).toMatchObject({ returnId });
    expect(eventOf(auditor, 'ReturnShipped', 'PROP-RET')).not.toHaveProperty('trackingNumber');
    for (const leak of ['ORD-PROP-', RETURN_TRACKING, HOLD_REASON]) {
      expect(JSON.stringify(auditor)).not.toContain(leak);
    }

    expect(eventOf(customs, 'DecisionRecorded', 'PROP-HOLD')).toMatchObject({ reasonCodes: [HOLD_REASON] });
    expect(eventOf(customs, 'ReturnShipped', 'PROP-RET')).toMatchObject({ trackingNumber: RETURN_TRACKING });
  });

  it("the returns withhold the return's RMA and tracking numbers from the auditor and reason codes from all but customs", async () => {
    const read = async (user: string) => {
      const list = await t
        .as(user)
        .get<{ returns: Record<string, Record<string, unknown>>[] }>('/v1/consignments/PROP-RET/returns');
      const one = await t
        .as(user)
        .get<Record<string, Record<string, unknown>>>(`/v1/consignments/PROP-RET/returns/${returnId}`);
      expect(list.status, list.text).toBe(200);
      expect(one.status, one.text).toBe(200);
      return [list.body.returns[0]!, one.body];
    };
    for (const auditor of await read('auditor')) {
      expect(auditor.shipment).toMatchObject({ carrierMspId: 'PostMSP' });
      expect(auditor.shipment).not.toHaveProperty('trackingNumber');
      expect(auditor).toMatchObject({ returnId, status: 'closed' });
      expect(auditor).not.toHaveProperty('authorisation');
      expect(auditor.decision).toMatchObject({ outcome: 'refused' });
      expect(auditor.decision).not.toHaveProperty('reasonCodes');
    }
    for (const platform of await read('platforma-operator')) {
      expect(platform.shipment).toMatchObject({ trackingNumber: RETURN_TRACKING });
      expect(platform).toMatchObject({ authorisation: 'RMA-PROP-RET' });
      expect(platform.decision).not.toHaveProperty('reasonCodes');
    }
    for (const customs of await read('customs-officer')) {
      expect(customs.shipment).toMatchObject({ trackingNumber: RETURN_TRACKING });
      expect(customs.decision).toMatchObject({ reasonCodes: [RETURN_REASON] });
    }
    // A step answers with the whole return: the refund after customs' decision carries no reasons.
    expect(refundText).toContain('"outcome":"refused"');
    expect(refundText).not.toContain(RETURN_REASON);
  });

  it("a referral's reason codes are the trader's questions: the platform sees them in the view, the history and the events", async () => {
    const view = await t
      .as('platforma-operator')
      .get<{ decisions: { decision: string; reasonCodes?: string[] }[] }>('/v1/consignments/PROP-REFER');
    expect(view.body.decisions).toMatchObject([{ decision: 'refer', reasonCodes: ['VALUE_QUERY'] }]);
    const referred = await history('platforma-operator', 'PROP-REFER');
    expect(referred.entry('decision_refer')).toMatchObject({ reasonCodes: ['VALUE_QUERY'] });
    expect(eventOf(await events('platforma-operator'), 'DecisionRecorded', 'PROP-REFER')).toMatchObject({
      decision: 'refer',
      reasonCodes: ['VALUE_QUERY'],
    });
  });
});
