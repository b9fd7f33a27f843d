/**
 * The organisation registry over HTTP, and customs' trusted-operator (AEO) status of platforms and
 * carriers: who may set it, what a refusal leaves, and what it does to the risk score.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessmentWithDeclaration, parcelToFrance, startCustomsTestGateway } from '../support/parcel.js';
import type { TestGateway } from '../support/gateway.js';

let t: TestGateway;
const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();

beforeAll(async () => {
  t = await startCustomsTestGateway('api-organisations-1');
});
afterAll(async () => {
  await t?.close();
});

interface Registry {
  customsMspId: string;
  organisations: { mspId: string; role: string; name: string }[];
}
interface Statuses {
  trustedOperators: { mspId: string; trusted: boolean; reference: string }[];
}
const statuses = async () => (await t.as(OFFICER).get<Statuses>('/v1/organisations/trusted-operators')).body;
const trustedOperator = async (mspId: string) =>
  (await statuses()).trustedOperators.find((o) => o.mspId === mspId);
const setOperator = (user: string, mspId: string, body: unknown) =>
  t.as(user).post(`/v1/organisations/${mspId}/trusted-operator`, body);

describe('the organisation registry', () => {
  it('every organisation reads it: MSP ids, roles and names', async () => {
    for (const user of ['platforma-operator', 'payment-operator', 'post-operator', OFFICER, 'auditor']) {
      const res = await t.as(user).get<Registry>('/v1/organisations');
      expect(res.status, res.text).toBe(200);
      expect(res.body.customsMspId).toBe('CustomsMSP');
      expect(res.body.organisations).toEqual(
        expect.arrayContaining([
          { mspId: 'PlatformAMSP', role: 'platform', name: expect.any(String) },
          { mspId: 'PostMSP', role: 'post', name: expect.any(String) },
        ]),
      );
    }
  });
});

describe('trusted-operator status', () => {
  it('is refused to anyone but a deciding customs user, for anything but a platform or carrier, and to a malformed request, changing nothing', async () => {
    const before = await statuses();
    expect(before).toEqual({ trustedOperators: [] });
    for (const user of ['platforma-operator', 'post-operator', 'auditor']) {
      expect((await t.as(user).get('/v1/organisations/trusted-operators')).status).toBe(403);
    }
    const ok = { trusted: true, reference: 'AEOF-FR-0001' };
    for (const user of ['platforma-operator', 'post-operator', 'auditor', 'customs-service']) {
      expect((await setOperator(user, 'PostMSP', ok)).status).toBe(403);
    }
    const cases: [string, unknown, number, string][] = [
      [
        'PaymentMSP',
        ok,
        422,
        'PaymentMSP has role payment: trusted-operator status is for platform, post, express',
      ],
      ['NobodyMSP', ok, 404, 'organisation NobodyMSP is not registered'],
      ['Post MSP', ok, 400, '/params/mspId'],
      ['PostMSP', { trusted: 'yes', reference: 'AEOF-FR-0001' }, 400, '/trusted'],
      ['PostMSP', { trusted: true, reference: '' }, 400, '/reference'],
      ['PostMSP', { ...ok, since: '2026-01-01' }, 400, 'since'],
    ];
    for (const [mspId, body, status, says] of cases) {
      const res = await setOperator(OFFICER, encodeURIComponent(mspId), body);
      expect(res.status, `${mspId} ${JSON.stringify(body)}: ${res.text}`).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.text).toContain(says);
    }
    expect(await statuses()).toEqual(before);
  });

  it('customs grants it; it lowers the score of the parcels the platform sells and the carrier carries, once for each', async () => {
    const granted = await setOperator(OFFICER, 'PlatformAMSP', { trusted: true, reference: 'AEOF-FR-0001' });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.body).toMatchObject({
      mspId: 'PlatformAMSP',
      trusted: true,
      reference: 'AEOF-FR-0001',
      setBy: 'CustomsMSP',
    });
    expect(granted.headers.get('x-transaction-id')).toBe((granted.body as { txId: string }).txId);
    expect((await setOperator(OFFICER, 'PostMSP', { trusted: true, reference: 'AEOF-FR-0002' })).status).toBe(
      201,
    );
    try {
      expect(await trustedOperator('PostMSP')).toMatchObject({ trusted: true, reference: 'AEOF-FR-0002' });

      // A payment of another amount: the match fails, so an officer decides whatever the score.
      const id = `ORG-AEO-${RUN}`;
      await parcelToFrance(t, id, 40);
      const { body } = await assessmentWithDeclaration<{
        risk: { score: number; reasons: { code: string; weight?: number; detail: string }[] };
      }>(t, id);
      const raw = body.risk.reasons.reduce((sum, r) => sum + (r.weight ?? 0), 0);
      expect(raw).toBeGreaterThan(0);
      expect(body.risk.reasons.find((r) => r.code === 'TRUSTED_OPERATOR')?.detail).toBe(
        `score ${raw} × 0.8 for each of PlatformAMSP, PostMSP`,
      );
      expect(body.risk.score).toBe(Math.round(raw * 64) / 100);
    } finally {
      for (const mspId of ['PlatformAMSP', 'PostMSP']) {
        expect(
          (await setOperator(OFFICER, mspId, { trusted: false, reference: 'AEOF-WITHDRAWN' })).status,
        ).toBe(201);
      }
    }
    expect(await trustedOperator('PlatformAMSP')).toMatchObject({
      trusted: false,
      reference: 'AEOF-WITHDRAWN',
    });
  });
});
