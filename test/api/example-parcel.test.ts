import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { eventually, startCustomsTestGateway } from '../support/parcel.js';

/*
 * The README's "One parcel, step by step": the files in examples/parcel, sent as it sends them, by
 * the users it names, make a parcel customs assesses on its own and releases.
 */

let t: TestGateway;
beforeAll(async () => {
  t = await startCustomsTestGateway('example-parcel-1');
});
afterAll(async () => {
  await t?.close();
});

const example = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(
    await readFile(new URL(`../../examples/parcel/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

describe('the README’s parcel, from examples/parcel', () => {
  it('is created, takes its four records from their holders, and is assessed and released by customs', async () => {
    const consignment = await example('consignment');
    const id = String(consignment.consignmentId);
    const steps: [user: string, path: string, file: string][] = [
      ['platforma-operator', '/v1/consignments', 'consignment'],
      ['platforma-operator', `/v1/consignments/${id}/order`, 'order'],
      ['payment-operator', `/v1/consignments/${id}/payment`, 'payment'],
      ['post-operator', `/v1/consignments/${id}/logistics`, 'logistics'],
      ['platforma-operator', `/v1/consignments/${id}/declaration`, 'declaration'],
    ];
    for (const [user, path, file] of steps) {
      const res = await t.as(user).post(path, await example(file));
      expect(res.status, `${user} POST ${path}: ${res.text}`).toBe(201);
    }
    const assessment = await eventually(
      () =>
        t.as('customs-officer').get<{
          basis?: { declaration?: number };
          match?: { result: string };
          risk?: { lane: string };
          paidAt?: string;
          taxPointAt?: string;
          assessedAt?: string;
        }>(`/v1/customs/assessments/${id}`),
      (res) => res.body.basis?.declaration === 1,
    );
    expect(assessment.body).toMatchObject({ match: { result: 'pass' }, risk: { lane: 'green' } });
    // The reconciliation's month is the payment's; the tariff's day, this first assessment with the declaration.
    expect(assessment.body.paidAt).toBe((await example('payment')).paidAt);
    expect(assessment.body.taxPointAt).toBe(assessment.body.assessedAt);
    const status = await eventually(
      () => t.as('platforma-operator').get<{ consignment: { status: string } }>(`/v1/consignments/${id}`),
      (res) => res.body.consignment.status === 'released',
    );
    expect(status.body.consignment.status).toBe('released');
  });
});
