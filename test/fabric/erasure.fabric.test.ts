/**
 * Erasure on a real Fabric network (`npm run test:fabric`): the chaincode's purgePrivateData
 * through the gateway's HTTP API, with the default network's cast (the platform takes the payment,
 * the post carries). After the purge the peers answer reads of the record as erased, the kept
 * fields' disclosures still verify, and the erasure is in the consignment's history. That no copy
 * stays on disk is the embedded ledger's test (test/api/erasure.test.ts); Fabric removes purged
 * data from its stores logically, its LevelDB files are compacted in their own time.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioBackend, startTestGateway, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

const RUN = randomBytes(3).toString('hex').toUpperCase();
const PLATFORM = 'platforma-operator';
const POST = 'post-operator';
const CUSTOMS = 'customs-officer';
const id = `ERA-FAB-${RUN}`;
const orderNumber = `ORD-${id}`;
let t: TestGateway;
let partyId: string;

describe.skipIf(process.env.LEDGER !== 'fabric')('erasure on Fabric', () => {
  beforeAll(async () => {
    t = await startTestGateway(scenarioBackend());
    const party = await t.as(PLATFORM).post<{ partyId: string }>('/v1/parties', {
      kind: 'buyer',
      verificationLevel: 'verified',
      party: { name: `Fabric Erasure ${RUN}`, document: { type: 'passport', number: `FE${RUN}`, country: 'FR' } },
    }); // prettier-ignore
    expect(party.status, party.text).toBe(201);
    partyId = party.body.partyId;
    const buyer = {
      id: partyId,
      name: `Fabric Erasure ${RUN}`,
      document: { type: 'passport', number: `FE${RUN}`, country: 'FR' },
    };
    const steps: [string, string, unknown][] = [
      [
        PLATFORM,
        '',
        { consignmentId: id, orderNumber, trackingNumber: `RR${RUN}FE`, originCountry: 'CN', destinationCountry: 'FR' },
      ],
      [PLATFORM, '/order', orderPayload(orderNumber, { buyer })],
      [PLATFORM, '/payment', paymentPayload(orderNumber, `PAY-${id}`)],
      [POST, '/logistics', logisticsPayload(orderNumber, `RR${RUN}FE`)],
      [PLATFORM, '/declaration', declarationPayload()],
      [POST, '/movements', { type: 'dispatched', location: 'CNSHA' }],
      [POST, '/movements', { type: 'arrived', location: 'FRCDG' }],
      [CUSTOMS, '/decision', { decision: 'release', reasonCodes: ['LOW_RISK'] }],
      [POST, '/movements', { type: 'delivered', location: 'FRLYS' }],
    ]; // prettier-ignore
    for (const [user, path, body] of steps) {
      const res = await t
        .as(user)
        .post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
      expect(res.status, `${path}: ${res.text}`).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('purges the buyer’s fields from the platform’s and the carrier’s records', async () => {
    const platform = await t.as(PLATFORM).post<{ erased: { recordKind: string }[] }>(`/v1/consignments/${id}/erasure`, {
      partyId,
      reason: 'erasure_request',
    }); // prettier-ignore
    expect(platform.status, platform.text).toBe(201);
    expect(platform.body.erased.map((e) => e.recordKind).sort()).toEqual(['order', 'payment']);
    // The platform shows the carrier which party the order names, for the data subject's request.
    const proof = await t
      .as(PLATFORM)
      .post<{ accessTxId: string; disclosure: unknown }>(`/v1/consignments/${id}/disclosures`, {
        record: 'order',
        fields: ['/buyer/id'],
        purpose: 'data_subject_request',
      });
    expect(proof.status, proof.text).toBe(201);
    const post = await t.as(POST).post(`/v1/consignments/${id}/erasure`, {
      partyId,
      reason: 'erasure_request',
      orderProof: { accessTxId: proof.body.accessTxId, disclosure: proof.body.disclosure },
    });
    expect(post.status, post.text).toBe(201);
    const registration = await t
      .as(PLATFORM)
      .post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' });
    expect(registration.status, registration.text).toBe(201);
  });

  it('answers reads of the purged records with 410 on the holders’ and customs’ peers', async () => {
    for (const [user, record] of [
      [PLATFORM, 'order'],
      [POST, 'logistics'],
      [CUSTOMS, 'payment'],
    ] as const) {
      const res = await t.as(user).get(`/v1/consignments/${id}/details?record=${record}&purpose=audit`);
      expect(res.status, res.text).toBe(410);
      expect(res.text).not.toContain(`Fabric Erasure ${RUN}`);
    }
  });

  it('still verifies a disclosure of the fields kept, and lists the erasures in the history', async () => {
    const kept = await t.as(PLATFORM).post(`/v1/consignments/${id}/disclosures`, {
      record: 'order',
      fields: ['/orderNumber', '/goodsValue'],
      purpose: 'audit',
    });
    expect(kept.status, kept.text).toBe(201);
    const verified = await t.as('auditor').post('/v1/verify', kept.body);
    expect(verified.body, verified.text).toMatchObject({ verified: true });
    const history = await t.as('auditor').get<{ entries: { type: string; detail: { record: string } }[] }>(`/v1/consignments/${id}/history`);
    const erased = history.body.entries.filter((e) => e.type === 'personal_data_erased').map((e) => e.detail.record);
    expect(erased.sort()).toEqual(['logistics', 'order', 'payment']);
  }); // prettier-ignore
});
