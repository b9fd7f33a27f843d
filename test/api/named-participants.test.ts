/**
 * The parts of a consignment its creator names (platformMspId, carrierMspId, paymentMspId on
 * POST /v1/consignments and the batch's create): the named organisation is bound from creation and
 * writes with no join key of its own, no other organisation takes its part however well it
 * guesses the keys, and a name of the wrong role is refused. Over real HTTP, on the embedded ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';
import { readSseUntil } from '../support/sse.js';
import { committedSubmissions, expectProblem, settled } from '../security/support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

const route = { originCountry: 'CN', destinationCountry: 'FR' };
const create = (user: string, body: Record<string, unknown>) => t.as(user).post('/v1/consignments', body);
const write = (user: string, id: string, path: string, body: unknown) =>
  t.as(user).post(`/v1/consignments/${id}/${path}`, body);
const parts = async (id: string) =>
  (await t.as('customs-officer').get<{ consignment: Record<string, unknown> }>(`/v1/consignments/${id}`)).body
    .consignment;
const created = (res: ApiResponse<unknown>) => expect(res.status, res.text).toBe(201);
/** A problem with the consignment's id in a placeholder, to compare with the answer for a missing one. */
const answer = (res: { status: number; text: string }, id: string) =>
  `${res.status} ${res.text.replaceAll(id, '{id}')}`;

/** Refused exactly as on a consignment that does not exist, and nothing committed. */
async function refusedAsMissing(user: string, id: string, path: string, body: unknown): Promise<void> {
  const before = await committedSubmissions(t);
  const res = await write(user, id, path, body);
  expectProblem(res, 404);
  expect(answer(res, id), `${user} ${path}`).toBe(answer(await write(user, 'NO-SUCH-NAMED', path, body), 'NO-SUCH-NAMED'));
  expect(await committedSubmissions(t)).toBe(before);
} // prettier-ignore

describe('a part the creator names', () => {
  it('a named carrier writes its waybill, and a named payment provider its payment, though the creator named neither key', async () => {
    const id = 'NAMED-API-1';
    const order = `ORD-${id}`;
    // The platform knows who carries and who is paid, not the tracking number the label will get.
    created(await create('platforma-operator', { consignmentId: id, orderNumber: order, ...route, carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' }));
    expect(await parts(id)).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' });
    expect((await parts(id)).joinKeys).not.toHaveProperty('trackingNumber');
    // Named, they see it at once, and learn of it from their event streams.
    expect((await t.as('post-operator').get(`/v1/consignments/${id}`)).status).toBe(200);
    const seen = await readSseUntil(t, 'post-operator', (events) => events.some((e) => e.data.consignmentId === id));
    expect(seen.find((e) => e.data.consignmentId === id)).toMatchObject({ event: 'ConsignmentCreated', data: { named: { carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' } } });

    // Provenance says whom the creator named (auditors included: organisations, not commercial references).
    const history = await t.as('auditor').get<{ entries: { type: string; detail: Record<string, unknown> }[] }>(`/v1/consignments/${id}/history`);
    expect(history.body.entries[0]).toMatchObject({ type: 'created', detail: { named: { carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' } } });

    created(await write('post-operator', id, 'logistics', logisticsPayload(order, 'RRNAMEDAPI1FR')));
    created(await write('payment-operator', id, 'payment', paymentPayload(order, `PAY-${id}`)));
    created(await write('post-operator', id, 'movements', { type: 'dispatched', location: 'CNSHA' }));
    created(await write('post-operator', id, 'declaration', declarationPayload()));
    created(await write('platforma-operator', id, 'order', orderPayload(order)));
    expect(await parts(id)).toMatchObject({
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: 'PaymentMSP',
      status: 'dispatched',
      joinKeys: { orderNumber: order, trackingNumber: 'RRNAMEDAPI1FR', paymentTransactionId: `PAY-${id}` },
    });
  }); // prettier-ignore

  it('an organisation that was not named cannot take a named part, even with the keys', async () => {
    await settled(t); // customs' pipeline, busy with the last test's records, commits nothing meanwhile
    const id = 'NAMED-API-2';
    const order = `ORD-${id}`;
    const tracking = 'RRNAMEDAPI2FR';
    // The post creates it, naming the platform that booked it, with a guessable order number.
    created(await create('post-operator', { consignmentId: id, orderNumber: order, trackingNumber: tracking, ...route, platformMspId: 'PlatformAMSP' }));
    await refusedAsMissing('platformb-operator', id, 'order', orderPayload(order));
    await refusedAsMissing('platformb-operator', id, 'declaration', declarationPayload());
    await refusedAsMissing('platformb-operator', id, 'payment', paymentPayload(order, `PAY-${id}`));
    // A platform creates one naming the post, with the tracking number: the express carrier has it too.
    const other = 'NAMED-API-3';
    created(await create('platforma-operator', { consignmentId: other, orderNumber: `ORD-${other}`, trackingNumber: 'RRNAMEDAPI3FR', ...route, carrierMspId: 'PostMSP' }));
    await refusedAsMissing('express-operator', other, 'logistics', logisticsPayload(`ORD-${other}`, 'RRNAMEDAPI3FR'));
    await refusedAsMissing('express-operator', other, 'movements', { type: 'dispatched', location: 'CNSHA' });
    await refusedAsMissing('express-operator', other, 'declaration', declarationPayload());
    expect(await parts(id)).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' });
    expect(await parts(other)).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' });
    expect((await t.as('platformb-operator').get(`/v1/consignments/${id}`)).status).toBe(404);
    // The named platform writes its order.
    created(await write('platforma-operator', id, 'order', orderPayload(order)));
  }); // prettier-ignore

  it('a creator cannot name an organisation of another role, nor another organisation for its own part', async () => {
    await settled(t);
    const before = await committedSubmissions(t);
    const refused = async (user: string, names: Record<string, string>, status: number, detail: string | RegExp) => {
      const res = await create(user, { orderNumber: `ORD-NAMED-X-${Object.values(names).join('-')}`, ...route, ...names });
      expectProblem(res, status, detail);
    };
    await refused('platforma-operator', { carrierMspId: 'PlatformBMSP' }, 422, 'carrierMspId PlatformBMSP is not a registered carrier (post or express)');
    await refused('platforma-operator', { carrierMspId: 'PaymentMSP' }, 422, 'carrierMspId PaymentMSP is not a registered carrier (post or express)');
    await refused('platforma-operator', { carrierMspId: 'NoSuchMSP' }, 422, 'carrierMspId NoSuchMSP is not a registered carrier (post or express)');
    await refused('platforma-operator', { paymentMspId: 'PlatformBMSP' }, 422, "paymentMspId PlatformBMSP is neither a registered payment provider nor the consignment's platform");
    await refused('platforma-operator', { platformMspId: 'PlatformBMSP' }, 422, "platformMspId PlatformBMSP cannot be named: the consignment's platform is its creator PlatformAMSP");
    await refused('post-operator', { carrierMspId: 'ExpressMSP' }, 422, "carrierMspId ExpressMSP cannot be named: the consignment's carrier is its creator PostMSP");
    await refused('post-operator', { platformMspId: 'CustomsMSP' }, 422, 'platformMspId CustomsMSP is not a registered platform');
    // Not an MSP id at all: refused by the gateway, naming the field.
    const malformed = await create('platforma-operator', { orderNumber: 'ORD-NAMED-X-BAD', ...route, carrierMspId: 'Post MSP' });
    expectProblem(malformed, 400);
    expect(malformed.text).toContain('/carrierMspId');
    expect(await committedSubmissions(t)).toBe(before);
  }); // prettier-ignore

  it('the batch creates with names too, checked alike', async () => {
    const res = await t.as('platforma-operator').post<{ results: { status: number; problem?: { detail: string } }[] }>('/v1/batch', {
      operations: [
        { op: 'create', consignmentId: 'NAMED-BAT-1', body: { orderNumber: 'ORD-NAMED-BAT-1', ...route, carrierMspId: 'ExpressMSP' } },
        { op: 'create', consignmentId: 'NAMED-BAT-2', body: { orderNumber: 'ORD-NAMED-BAT-2', ...route, carrierMspId: 'PlatformBMSP' } },
      ],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual([201, 422]);
    expect(res.body.results[1]!.problem!.detail).toBe('carrierMspId PlatformBMSP is not a registered carrier (post or express)');
    created(await write('express-operator', 'NAMED-BAT-1', 'logistics', logisticsPayload('ORD-NAMED-BAT-1', 'EX0000NAMEDBAT1')));
    expect(await parts('NAMED-BAT-1')).toMatchObject({ carrierMspId: 'ExpressMSP' });
  }); // prettier-ignore

  it('documents the names in the OpenAPI description of the create', async () => {
    const doc = (await t.as('platforma-operator').get<Record<string, unknown>>('/openapi.json')).body as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }>;
    };
    const schema = doc.paths['/v1/consignments']!.post!.requestBody!.content['application/json']!.schema;
    expect(schema.properties).toMatchObject({
      platformMspId: { description: expect.stringContaining('bound from creation') },
      carrierMspId: { description: expect.stringContaining('bound from creation') },
      paymentMspId: { description: expect.stringContaining('bound from creation') },
    });
  }); // prettier-ignore
});
