import { expect } from 'vitest';
import type { ApiResponse, TestGateway } from '../support/gateway.js';
import {
  createPayload,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from '../support/payloads.js';

/*
 * Shared by the OWASP API Security Top 10 (2023) suites in this folder, one file per item that
 * applies to this API.
 */

/** A refusal as the API promises it: the status, problem+json, the detail, and no internals. */
export function expectProblem(res: ApiResponse<unknown>, status: number, detail?: RegExp | string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = res.body as { status: number; detail: string };
  expect(body.status).toBe(status);
  if (detail) expect(body.detail).toMatch(detail);
  expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|\/gateway\/src\//);
}

/** A consignment of Platform A with all four records, paid through the payment provider, carried by the post. */
export async function consignmentOfPlatformA(t: TestGateway, id: string): Promise<void> {
  const orderNumber = `ORD-${id}`;
  const steps: [string, string, unknown][] = [
    ['platforma-operator', '', createPayload(id)],
    ['platforma-operator', '/order', orderPayload(orderNumber)],
    ['payment-operator', '/payment', paymentPayload(orderNumber, testKeys(id).paymentTransactionId)],
    ['post-operator', '/logistics', logisticsPayload(orderNumber, testKeys(id).trackingNumber)],
    ['platforma-operator', '/declaration', declarationPayload()],
  ];
  for (const [user, path, body] of steps) {
    const res = await t
      .as(user)
      .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
}

/** consignmentOfPlatformA, then assessed and released by customs (automatically or by the officer), and delivered. */
export async function releasedAndDelivered(t: TestGateway, id: string): Promise<void> {
  const created = (res: ApiResponse<unknown>) => expect(res.status, res.text).toBe(201);
  await consignmentOfPlatformA(t, id);
  const officer = t.as('customs-officer');
  const assessment = await officer.post<{ automaticRelease?: string }>(
    `/v1/consignments/${id}/assessment`,
    {},
  );
  created(assessment);
  if (!assessment.body.automaticRelease) {
    created(await officer.post(`/v1/consignments/${id}/decision`, { decision: 'release', reasonCodes: [] }));
  }
  created(
    await t
      .as('post-operator')
      .post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: 'FRLYS' }),
  );
}

/** releasedAndDelivered, with a return of one unit (of two) requested by the platform; gives the return's id. */
export async function releasedWithReturn(t: TestGateway, id: string): Promise<string> {
  await releasedAndDelivered(t, id);
  const ret = await t.as('platforma-operator').post<{ returnId: string }>(`/v1/consignments/${id}/returns`, {
    reason: 'not_as_described',
    lines: [{ lineNo: 1, quantity: 1 }],
    authorisation: `RMA-${id}`,
  });
  expect(ret.status, ret.text).toBe(201);
  return ret.body.returnId;
}

/** A buyer registered by Platform A; gives its pseudonymous party id. */
export async function partyOfPlatformA(t: TestGateway, documentNumber: string): Promise<string> {
  const party = await t.as('platforma-operator').post<{ partyId: string }>('/v1/parties', {
    kind: 'buyer',
    verificationLevel: 'basic',
    party: { name: 'Ida Bolander', document: { type: 'passport', number: documentNumber, country: 'FR' } },
  });
  expect(party.status, party.text).toBe(201);
  return party.body.partyId;
}

/** Ledger submissions committed so far, from the gateway's own metrics: a refused request adds none. */
export async function committedSubmissions(t: TestGateway): Promise<number> {
  const text = await t.metrics();
  return [
    ...text.matchAll(/^ledger_call_duration_seconds_count\{operation="submit",[^}]*outcome="ok"\} (\d+)/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Waits until customs' pipeline has finished with what was written: no commit for 3 × intervalMs. */
export async function settled(t: TestGateway, intervalMs = 500): Promise<void> {
  let last = await committedSubmissions(t);
  for (let quiet = 0; quiet < 3;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = await committedSubmissions(t);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}
