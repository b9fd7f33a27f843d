import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { logisticsPayload, orderPayload } from '../support/payloads.js';
import { readSse } from '../support/sse.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.close();
});

interface BatchAnswer {
  succeeded: number;
  failed: number;
  results: {
    index: number;
    status: number;
    txId?: string;
    problem?: Record<string, unknown> & { detail: string };
  }[];
}

const tracking = (n: number) => `RRBAT${String(n).padStart(4, '0')}CN`;

describe('POST /v1/batch', () => {
  const ids = Array.from({ length: 20 }, (_, n) => `BAT-${n}`);

  it("puts a batch in one transaction per round: every consignment's next operation together", async () => {
    const operations = ids.flatMap((id, n) => [
      {
        op: 'create',
        consignmentId: id,
        body: { trackingNumber: tracking(n), originCountry: 'CN', destinationCountry: 'FR' },
      },
      { op: 'logistics', consignmentId: id, body: logisticsPayload(`ORD-${id}`, tracking(n)) },
      { op: 'movement', consignmentId: id, body: { type: 'dispatched', location: 'CNSHA' } },
    ]);
    const res = await t.as('post-operator').post<BatchAnswer>('/v1/batch', { operations });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ succeeded: 60, failed: 0 });
    expect(res.body.results.map((r) => r.index)).toEqual(operations.map((_, i) => i));
    // Creates, then waybills, then dispatch scans: three transactions for sixty operations.
    const txIds = new Set(res.body.results.map((r) => r.txId));
    expect(txIds.size).toBe(3);
    expect(res.text).not.toContain('Zebulon');
    const view = await t.as('post-operator').get(`/v1/consignments/${ids[7]}`);
    expect(view.body).toMatchObject({ consignment: { status: 'dispatched', carrierMspId: 'PostMSP' } });
  });

  it('streams a batch transaction as its operations’ events, resumable from inside the transaction', async () => {
    const all = await readSse(t, 'post-operator', 60);
    expect(all.map((e) => e.event)).toEqual([
      ...ids.map(() => 'ConsignmentCreated'),
      ...ids.map(() => 'RecordSubmitted'),
      ...ids.map(() => 'MovementRecorded'),
    ]);
    expect(all[0]!.id).toMatch(/^\d+:[0-9a-f]{64}:0$/);
    expect(new Set(all.map((e) => e.id)).size).toBe(60);
    expect(all.map((e) => e.data.consignmentId)).toEqual([...ids, ...ids, ...ids]);

    const resumed = await readSse(t, 'post-operator', 50, all[9]!.id);
    expect(resumed.map((e) => e.id)).toEqual(all.slice(10).map((e) => e.id));
    // An organisation with no part in these consignments sees none of their events.
    const platformEvents = await readSse(t, 'platformb-operator', 1, undefined, 1_500);
    expect(platformEvents.filter((e) => String(e.data.consignmentId).startsWith('BAT-'))).toEqual([]);
  });

  it('answers each operation as its single request would: refused ones stand alone, duplicates collide', async () => {
    const res = await t.as('platforma-operator').post<BatchAnswer>('/v1/batch', {
      operations: [
        {
          op: 'create',
          consignmentId: 'BAT-P1',
          body: { orderNumber: 'ORD-BAT-P', originCountry: 'CN', destinationCountry: 'FR' },
        },
        // The same order number in the same transaction: deferred by the chaincode, then refused.
        {
          op: 'create',
          consignmentId: 'BAT-P2',
          body: { orderNumber: 'ORD-BAT-P', originCountry: 'CN', destinationCountry: 'FR' },
        },
        { op: 'order', consignmentId: 'BAT-P1', body: orderPayload('ORD-BAT-P') },
        { op: 'order', consignmentId: 'BAT-0', body: orderPayload('ORD-BAT-0') },
        { op: 'logistics', consignmentId: 'BAT-P1', body: logisticsPayload('ORD-BAT-P', 'RRBATP1CN') },
        { op: 'create', consignmentId: 'bad id!', body: { originCountry: 'CN', destinationCountry: 'FR' } },
        { op: 'movement', consignmentId: 'BAT-P1', body: { type: 'teleported', location: 'CNSHA' } },
        // Refused by the gateway, as its single request would be: no transaction carries it.
        { op: 'order', consignmentId: 'BAT\u0000P3', body: orderPayload('ORD-BAT-P3') },
        // A create whose body names another consignment than the operation: was the operation's.
        {
          op: 'create',
          consignmentId: 'BAT-P4',
          body: { consignmentId: 'BAT-OTHER', orderNumber: 'ORD-BAT-P4', originCountry: 'CN', destinationCountry: 'FR' },
        },
      ],
    }); // prettier-ignore
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual([201, 409, 201, 201, 403, 400, 403, 400, 400]);
    expect(res.body.results[8]!.problem!.detail).toBe(
      '/body/consignmentId: must be the operation’s consignmentId, or left out',
    );
    expect(res.body.results[7]!.problem!.detail).toMatch(/^\/consignmentId: must be 1-64 characters/);
    expect(res.body.results[1]!.problem!.detail).toBe(
      'order number ORD-BAT-P of PlatformAMSP is already used by consignment BAT-P1',
    );
    expect(res.body.results[4]!.problem!.detail).toMatch(/logistics is not allowed for role platform/);
    expect(res.body).toMatchObject({ succeeded: 3, failed: 6 });
    // Each refusal is the RFC 9457 problem its single request answers, field errors included.
    for (const r of res.body.results.filter((r) => r.status >= 400)) {
      expect(r.problem).toMatchObject({ type: 'about:blank', title: expect.any(String), status: r.status });
    }
    expect(res.body.results[5]!.problem!.errors).toEqual([
      expect.objectContaining({ pointer: expect.stringMatching(/^\/consignmentId/) }),
    ]);
    const single = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: 'BAT-P3',
      orderNumber: 'ORD-BAT-P',
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    const { instance: _, ...singleProblem } = single.body;
    expect(res.body.results[1]!.problem).toEqual(singleProblem);
    expect(single.status).toBe(409);
    for (const id of ['BAT-P2', 'BAT-P4', 'BAT-OTHER']) {
      expect((await t.as('customs-officer').get(`/v1/consignments/${id}`)).status, id).toBe(404);
    }
    const p1 = await t
      .as('platforma-operator')
      .get<{ records: { kind: string }[] }>('/v1/consignments/BAT-P1');
    expect(p1.body.records.map((r) => r.kind)).toEqual(['order']);
  });
  it('refuses an unknown field of an operation as its single request does, naming the field', async () => {
    const body = { orderNumber: 'ORD-BAT-U', originCountry: 'CN', destinationCountry: 'FR', colour: 'red' };
    const batch = await t.as('platforma-operator').post<BatchAnswer>('/v1/batch', {
      operations: [{ op: 'create', consignmentId: 'BAT-U', body }],
    });
    const single = await t
      .as('platforma-operator')
      .post('/v1/consignments', { consignmentId: 'BAT-U', ...body });
    expect(single.status).toBe(400);
    const { instance: _, ...singleProblem } = single.body;
    expect(batch.body.results[0]!.problem).toEqual({
      ...singleProblem,
      detail: "/body/colour: unknown field 'colour'",
      errors: [{ pointer: '/body/colour', message: "unknown field 'colour'" }],
    });
  });
});
