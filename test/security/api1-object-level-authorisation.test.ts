/**
 * OWASP API1:2023 Broken Object Level Authorization. A consignment belongs to its platform,
 * carrier and payment provider (and is seen by customs and auditors), a party to the platform that
 * registered it: another platform or carrier cannot read any of it, write to it, or learn it
 * exists, and its attempts commit nothing. The reads are every documented GET on a consignment,
 * a return or a party that a platform may call, so a new route is covered without editing this.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';
import {
  committedSubmissions,
  consignmentOfPlatformA,
  expectProblem,
  partyOfPlatformA,
  releasedWithReturn,
  settled,
} from './support.js';

let t: TestGateway;
/** Released, delivered and under return: every read has something to show. */
const ID = 'BOLA-1';
/** All four records in, not yet locked by a release: writes reach the ownership checks. */
const OPEN = 'BOLA-2';
let returnId: string;
let partyId: string;
/** Every documented read of one object that a platform may call, made concrete for A's objects. */
let reads: { path: string; concrete: string; missing: string; id: string; missingId: string }[];
const MISSING = 'NO-SUCH-1';

/**
 * A problem as its reader sees it, with the object's id in a placeholder: an outsider's answer
 * about someone else's object must be this, byte for byte, of an object that does not exist.
 */
function answer(res: { status: number; text: string }, id: string): string {
  return `${res.status} ${res.text.replaceAll(id, '{id}')}`;
}

/** Reads that are public by design, and why. */
const PUBLIC: Record<string, string> = {
  '/v1/parties/{id}':
    "a party's pseudonymous id and registrations, without personal data: an organisation sees its own registrations (other platforms' are for customs and auditors only, and the trusted-trader status for customs)",
};

/** Reads that a platform may call but that are another participant's: who reads them instead, and why. */
const READER: Record<string, { user: string; why: string }> = {
  '/v1/consignments/{id}/collection-instruction': {
    user: 'post-operator',
    why: "revenue data for the consignment's carrier: its own platform gets the 404 of a stranger (test/api/collection-instruction.test.ts)",
  },
};

/** Values for required query parameters: the first of each enumeration, or a purpose platforms have. */
const QUERY: Record<string, string> = { record: 'order', purpose: 'dispute_resolution' };

beforeAll(async () => {
  t = await startTestGateway();
  returnId = await releasedWithReturn(t, ID);
  partyId = await partyOfPlatformA(t, 'BOLA-P-1');
  await consignmentOfPlatformA(t, OPEN);
  await settled(t);
  const doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<
        string,
        {
          'x-roles': string[] | 'any';
          parameters?: { in: string; name: string; required?: boolean; schema: { enum?: string[] } }[];
        }
      >
    >;
  };
  reads = Object.entries(doc.paths).flatMap(([path, ops]) => {
    const get = ops.get;
    if (!get || !/^\/v1\/(consignments|parties)\/\{id\}/.test(path) || path in PUBLIC) return [];
    if (get['x-roles'] !== 'any' && !get['x-roles'].includes('platform')) return [];
    const query = new URLSearchParams(
      (get.parameters ?? [])
        .filter((p) => p.in === 'query' && p.required)
        .map((p) => [p.name, QUERY[p.name] ?? p.schema.enum?.[0] ?? '1']),
    ).toString();
    const id = path.startsWith('/v1/parties/') ? partyId : ID;
    const missingId = path.startsWith('/v1/parties/') ? 'f'.repeat(64) : MISSING;
    const at = (objectId: string) =>
      path
        .replace('{id}', objectId)
        .replace('{returnId}', returnId)
        .replace('{platformMspId}', 'PlatformAMSP') + (query ? `?${query}` : '');
    return [{ path, concrete: at(id), missing: at(missingId), id, missingId }];
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe("another trader's consignment", () => {
  it('every read of a consignment, its returns and a party is documented and covered here', () => {
    const paths = reads.map((r) => r.path);
    for (const expected of [
      '/v1/consignments/{id}',
      '/v1/consignments/{id}/details',
      '/v1/consignments/{id}/history',
      '/v1/consignments/{id}/access-log',
      '/v1/consignments/{id}/collection-instruction',
      '/v1/consignments/{id}/returns/{returnId}',
      '/v1/parties/{id}/access-log',
      '/v1/parties/{id}/registrations/{platformMspId}',
    ])
      expect(paths).toContain(expected);
  });

  it("a party's public view carries nothing personal", async () => {
    const res = await t.as('platformb-operator').get(`/v1/parties/${partyId}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toMatch(/Bolander|BOLA-P-1|passport/);
  });

  it('the owner can read each (the control that shows these reads work)', async () => {
    for (const { path, concrete } of reads) {
      const res = await t.as(READER[path]?.user ?? 'platforma-operator').get(concrete);
      expect(res.status, `${concrete}: ${res.text}`).toBe(200);
    }
  });

  it('platform B cannot read any of them, nor tell them from objects that do not exist', async () => {
    for (const { concrete, missing, id, missingId } of reads) {
      const res = await t.as('platformb-operator').get(concrete);
      expect([403, 404], `${concrete}: ${res.text}`).toContain(res.status);
      expectProblem(res, res.status);
      const absent = await t.as('platformb-operator').get(missing);
      expect(answer(res, id), concrete).toBe(answer(absent, missingId));
    }
  });

  it('the consignment is read by its carrier, payment provider, customs and auditors', async () => {
    for (const user of [
      'platforma-operator',
      'payment-operator',
      'post-operator',
      'customs-officer',
      'auditor',
    ]) {
      expect((await t.as(user).get(`/v1/consignments/${ID}`)).status, user).toBe(200);
    }
  });

  it('platform B and the express carrier cannot write to it, nor tell it from one that does not exist, and nothing is committed', async () => {
    const before = await committedSubmissions(t);
    // Valid bodies, so that what refuses them is the ownership check and not validation. The join
    // keys are the consignment's own: knowing them proves no part in it.
    const writes: [string, string, unknown][] = [
      ['platformb-operator', `${OPEN}/order`, orderPayload(`ORD-${OPEN}`)],
      // Delivered, so its records are locked: the stranger is refused as a stranger, not told the status.
      ['platformb-operator', `${ID}/order`, orderPayload(`ORD-${ID}`)],
      ['platformb-operator', `${OPEN}/declaration`, declarationPayload()],
      ['platformb-operator', `${OPEN}/payment`, paymentPayload(`ORD-${OPEN}`, `PAY-${OPEN}`)],
      ['platformb-operator', `${OPEN}/referral-answer`, { message: 'Invoice attached', documents: [] }],
      ['platformb-operator', `${OPEN}/disclosures`, { record: 'order', fields: ['/goodsValue'], purpose: 'dispute_resolution' }],
      ['express-operator', `${OPEN}/logistics`, logisticsPayload(`ORD-${OPEN}`, 'EX123456789')],
      ['express-operator', `${OPEN}/declaration`, declarationPayload()],
      ['express-operator', `${OPEN}/movements`, { type: 'dispatched', location: 'CNSHA' }],
      ['platformb-operator', `${ID}/returns`, { reason: 'defective', lines: [{ lineNo: 1, quantity: 1 }], authorisation: 'RMA-B' }],
      ['platformb-operator', `${ID}/returns/{returnId}/refund`, { refundTransactionId: 'RF-B', amount: 1, currency: 'EUR', refundedAt: '2026-12-01T10:00:00Z' }],
      ['express-operator', `${ID}/returns/{returnId}/shipment`, { trackingNumber: 'EX987654321' }],
      ['express-operator', `${ID}/returns/{returnId}/scan`, { type: 'exited', location: 'FRCDG', country: 'FR' }],
    ]; // prettier-ignore
    const post = (user: string, path: string, body: unknown) =>
      t.as(user).post(`/v1/consignments/${path.replace('{returnId}', returnId)}`, body);
    for (const [user, path, body] of writes) {
      const res = await post(user, path, body);
      expect([403, 404], `${user} ${path}: ${res.text}`).toContain(res.status);
      expectProblem(res, res.status);
      const id = path.startsWith(OPEN) ? OPEN : ID;
      const absent = await post(user, path.replace(id, MISSING), body);
      expect(answer(res, id), `${user} ${path}`).toBe(answer(absent, MISSING));
    }
    // A disclosure package of A's order, as B would be handed a forged one to verify.
    const verify = (consignmentId: string) =>
      t.as('platformb-operator').post('/v1/verify', {
        consignmentId,
        record: 'order',
        disclosure: {
          root: 'a'.repeat(64),
          leafCount: 2,
          fields: [{ path: '/goodsValue', value: 40, salt: 's', index: 0, hash: 'b'.repeat(64), proof: ['c'.repeat(64)] }],
        },
      }); // prettier-ignore
    expect(answer(await verify(OPEN), OPEN)).toBe(answer(await verify(MISSING), MISSING));
    expect(await committedSubmissions(t)).toBe(before);
    const view = await t
      .as('customs-officer')
      .get<{ consignment: Record<string, unknown> }>(`/v1/consignments/${OPEN}`);
    expect(view.body.consignment).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' });
  });
});

describe('an empty part of a consignment', () => {
  const post = (user: string, path: string, body: unknown) =>
    t.as(user).post(path === '' ? '/v1/consignments' : `/v1/consignments/${path}`, body);
  const parts = async (id: string) =>
    (await t.as('customs-officer').get<{ consignment: Record<string, unknown> }>(`/v1/consignments/${id}`))
      .body.consignment;
  /** Refused exactly as on a missing consignment, and nothing committed. */
  async function refusedAsMissing(user: string, id: string, path: string, body: unknown): Promise<void> {
    const before = await committedSubmissions(t);
    const res = await post(user, `${id}/${path}`, body);
    expectProblem(res, 404);
    expect(answer(res, id), `${user} ${path}`).toBe(
      answer(await post(user, `${MISSING}/${path}`, body), MISSING),
    );
    expect(await committedSubmissions(t)).toBe(before);
  }

  it('is not taken by a carrier or payment provider the creator did not name, by declaring or with the order number', async () => {
    const id = 'BOLA-EMPTY-1';
    const order = `ORD-${id}`;
    const created = await post('platforma-operator', '', { consignmentId: id, orderNumber: order, trackingNumber: 'RRBOLAEMPTY1FR', paymentTransactionId: `PAY-${id}`, originCountry: 'CN', destinationCountry: 'FR' });
    expect(created.status, created.text).toBe(201);
    await refusedAsMissing('express-operator', id, 'declaration', declarationPayload());
    await refusedAsMissing('express-operator', id, 'logistics', logisticsPayload(order, 'EX000000001'));
    await refusedAsMissing('payment-operator', id, 'payment', paymentPayload(order, 'PAY-GUESSED'));
    await refusedAsMissing('platformb-operator', id, 'payment', paymentPayload(order, `PAY-${id}`));
    expect(await parts(id)).not.toHaveProperty('carrierMspId');
    expect(await parts(id)).not.toHaveProperty('paymentMspId');
    // The named ones bind by the keys the creator gave them.
    expect((await post('post-operator', `${id}/logistics`, logisticsPayload(order, 'RRBOLAEMPTY1FR'))).status).toBe(201);
    expect((await post('payment-operator', `${id}/payment`, paymentPayload(order, `PAY-${id}`))).status).toBe(201);
    expect((await post('post-operator', `${id}/declaration`, declarationPayload())).status).toBe(201);
    expect(await parts(id)).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' });
  }); // prettier-ignore

  it('is not taken by a carrier when the creator named no tracking number', async () => {
    const id = 'BOLA-EMPTY-2';
    const order = `ORD-${id}`;
    const created = await post('platforma-operator', '', { consignmentId: id, orderNumber: order, originCountry: 'CN', destinationCountry: 'FR' });
    expect(created.status, created.text).toBe(201);
    await refusedAsMissing('express-operator', id, 'logistics', logisticsPayload(order, 'EX000000002'));
    await refusedAsMissing('express-operator', id, 'declaration', declarationPayload());
    await refusedAsMissing('express-operator', id, 'movements', { type: 'dispatched', location: 'CNSHA' });
    expect(await parts(id)).not.toHaveProperty('carrierMspId');
    expect((await post('platforma-operator', `${id}/order`, orderPayload(order))).status).toBe(201);
  }); // prettier-ignore

  it("is not taken by a platform on a carrier's consignment before the carrier names its order", async () => {
    const id = 'BOLA-EMPTY-3';
    const order = `ORD-${id}`;
    const created = await post('post-operator', '', { consignmentId: id, trackingNumber: 'RRBOLAEMPTY3FR', originCountry: 'CN', destinationCountry: 'FR' });
    expect(created.status, created.text).toBe(201);
    await refusedAsMissing('platformb-operator', id, 'order', orderPayload(order));
    await refusedAsMissing('platformb-operator', id, 'declaration', declarationPayload());
    expect(await parts(id)).not.toHaveProperty('platformMspId');
    // The post's waybill names the order; its platform then binds by it, and reads what it takes part in.
    expect((await post('post-operator', `${id}/logistics`, logisticsPayload(order, 'RRBOLAEMPTY3FR'))).status).toBe(201);
    expect((await post('platforma-operator', `${id}/order`, orderPayload(order))).status).toBe(201);
    expect((await post('platforma-operator', `${id}/declaration`, declarationPayload())).status).toBe(201);
    expect(await parts(id)).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' });
    expect((await t.as('platforma-operator').get(`/v1/consignments/${id}`)).status).toBe(200);
  }); // prettier-ignore
});
