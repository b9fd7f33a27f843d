/**
 * OWASP API1:2023 Broken Object Level Authorization. A consignment belongs to its platform,
 * carrier and payment provider (and is seen by customs and auditors): another platform or carrier
 * cannot read any of it, write to it, or learn it exists, and its attempts commit nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { logisticsPayload, orderPayload } from '../support/payloads.js';
import { committedSubmissions, consignmentOfPlatformA, expectProblem, settled } from './support.js';

let t: TestGateway;
const ID = 'BOLA-1';

beforeAll(async () => {
  t = await startTestGateway();
  await consignmentOfPlatformA(t, ID);
  await settled(t);
});
afterAll(async () => {
  await t?.close();
});

describe("another trader's consignment", () => {
  const reads = [
    `/v1/consignments/${ID}`,
    `/v1/consignments/${ID}/history`,
    `/v1/consignments/${ID}/details?record=order&purpose=dispute_resolution`,
    `/v1/consignments/${ID}/access-log`,
    `/v1/consignments/${ID}/match`,
    `/v1/consignments/${ID}/returns`,
  ];
  it.each(reads)(
    'platform B cannot read %s, nor tell it from a consignment that does not exist',
    async (path) => {
      const res = await t.as('platformb-operator').get(path);
      expect([403, 404]).toContain(res.status);
      expectProblem(res, res.status);
      const missing = await t.as('platformb-operator').get(path.replace(ID, 'NO-SUCH-1'));
      expect(missing.status).toBe(res.status);
    },
  );

  it('the participants can (the control that shows these reads work)', async () => {
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

  it('platform B and the express carrier cannot write to it, and nothing is committed', async () => {
    const before = await committedSubmissions(t);
    const writes: [string, string, unknown][] = [
      ['platformb-operator', '/order', orderPayload(`ORD-${ID}`)],
      ['platformb-operator', '/declaration', {}],
      [
        'platformb-operator',
        '/disclosures',
        { record: 'order', fields: ['/goodsValue'], purpose: 'dispute_resolution' },
      ],
      ['platformb-operator', '/referral-answer', { message: 'x', attachments: [] }],
      [
        'platformb-operator',
        '/returns',
        { reason: 'defective', lines: [{ lineNo: 1, quantity: 1 }], authorisation: 'RMA-1' },
      ],
      ['express-operator', '/logistics', logisticsPayload(`ORD-${ID}`, 'EX123456789')],
      ['express-operator', '/movements', { type: 'dispatched', location: 'CNSHA' }],
    ];
    for (const [user, path, body] of writes) {
      const res = await t.as(user).post(`/v1/consignments/${ID}${path}`, body);
      expect([400, 403, 404, 422], `${user} ${path}: ${res.text}`).toContain(res.status);
    }
    expect(await committedSubmissions(t)).toBe(before);
    const view = await t
      .as('customs-officer')
      .get<{ consignment: Record<string, unknown> }>(`/v1/consignments/${ID}`);
    expect(view.body.consignment).toMatchObject({ platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' });
  });

  it("a platform cannot read another platform's party access log", async () => {
    const party = await t.as('platforma-operator').post<{ partyId: string }>('/v1/parties', {
      kind: 'buyer',
      verificationLevel: 'basic',
      party: { name: 'Ida Bolander', document: { type: 'passport', number: 'BOLA-P-1', country: 'FR' } },
    });
    expect(party.status, party.text).toBe(201);
    expect(
      (await t.as('platforma-operator').get(`/v1/parties/${party.body.partyId}/access-log`)).status,
    ).toBe(200);
    expectProblem(await t.as('platformb-operator').get(`/v1/parties/${party.body.partyId}/access-log`), 404);
  });
});
