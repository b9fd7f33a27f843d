/**
 * Customs over HTTP: consignments assessed as soon as their data is complete and released with no
 * officer when everything matches and the lane is green; the rest in the officers' queue with
 * reasons; referrals answered and assessed again; customs-only routes refused to traders.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET } from '@customs-ledger/chaincode';
import {
  assessmentWithDeclaration,
  eventually,
  parcelToFrance,
  putRuleSet,
  startCustomsTestGateway,
} from '../support/parcel.js';
import { testRuleSet } from '../support/customs-config.js';
import type { TestGateway } from '../support/gateway.js';

let t: TestGateway;
const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();

beforeAll(async () => {
  t = await startCustomsTestGateway('api-test-1');
});
afterAll(async () => {
  await t?.close();
});

const parcel = (id: string, paid?: number): Promise<void> => parcelToFrance(t, id, paid);

const assessment = (id: string) =>
  t.as(OFFICER).get<{
    number?: number;
    basis?: Record<string, number>;
    releasable?: boolean;
    risk?: { lane: string };
    referralAnswers?: unknown[];
  }>(`/v1/customs/assessments/${id}`);
const status = async (id: string) =>
  (await t.as(OFFICER).get<{ consignment: { status: string } }>(`/v1/consignments/${id}`)).body.consignment
    ?.status ?? 'none';

describe('automatic assessment and release', () => {
  it('a matched, green consignment is released by customs-service with no officer', async () => {
    const id = `CUS-GREEN-${RUN}`;
    await parcel(id);
    expect(
      await eventually(
        () => status(id),
        (s) => s === 'released',
      ),
    ).toBe('released');
    const view = await t.as(OFFICER).get<{ decisions: Record<string, unknown>[] }>(`/v1/consignments/${id}`);
    expect(view.body.decisions).toEqual([
      expect.objectContaining({
        decision: 'release',
        automatic: true,
        reasonCodes: ['AUTO_RELEASE_GREEN_LANE'],
      }),
    ]);
    const explained = await assessment(id);
    expect(explained.body).toMatchObject({ releasable: true, risk: { lane: 'green' } });
    const match = await t.as(PLATFORM).get(`/v1/consignments/${id}/match`);
    expect(match.body).toMatchObject({ assessment: { match: { result: 'pass', reasons: [] } } });
    expect(match.text).not.toContain('lane');
  });

  it('a mismatch waits in the officers’ queue with its reasons; a referral answered is assessed again', async () => {
    const id = `CUS-AMBER-${RUN}`;
    await parcel(id, 40);
    // Assessed once the three records are in, and again with the declaration.
    const first = await assessmentWithDeclaration<{ number?: number }>(t, id);
    expect(first.body).toMatchObject({ releasable: false, risk: { lane: 'amber' } });
    expect(await status(id)).toBe('created');

    const queue = await t
      .as(OFFICER)
      .get<{ items: { consignmentId: string; reasonCodes: string[] }[] }>(
        '/v1/customs/queue?lane=amber&limit=200',
      );
    expect(queue.status, queue.text).toBe(200);
    expect(queue.body.items.find((i) => i.consignmentId === id)?.reasonCodes).toContain(
      'MATCH_PAYMENT_AMOUNT',
    );
    const match = await t.as(PLATFORM).get(`/v1/consignments/${id}/match`);
    expect(match.body).toMatchObject({
      assessment: { match: { result: 'fail', reasons: ['PAYMENT_AMOUNT'] } },
    });

    const refer = await t
      .as(OFFICER)
      .post(`/v1/consignments/${id}/decision`, { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] });
    expect(refer.status, refer.text).toBe(201);
    const answer = await t.as(PLATFORM).post(`/v1/consignments/${id}/referral-answer`, {
      message: 'Partial refund before capture; invoice sent.',
    });
    expect(answer.status, answer.text).toBe(201);
    const again = first.body.number! + 1;
    const second = await eventually(
      () => assessment(id),
      (r) => r.body.number === again,
    );
    expect(second.body).toMatchObject({
      number: again,
      referralAnswers: [expect.objectContaining({ answeredBy: 'PlatformAMSP' })],
    });
    expect(await status(id)).toBe('referred');
  });

  it('customs can run an assessment on demand; incomplete data is refused', async () => {
    const id = `CUS-DEMAND-${RUN}`;
    const created = await t.as(PLATFORM).post('/v1/consignments', {
      consignmentId: id,
      orderNumber: `ORD-${id}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status).toBe(201);
    const early = await t.as(OFFICER).post(`/v1/consignments/${id}/assessment`, undefined);
    expect(early.status).toBe(422);
    expect(early.headers.get('content-type')).toContain('application/problem+json');
    expect(early.body.detail).toMatch(/has no order, payment, logistics data yet/);
  });
});

describe('customs-only routes', () => {
  it.each([
    ['get', '/v1/customs/queue'],
    ['get', '/v1/customs/rule-set'],
    ['get', '/v1/customs/tariffs'],
    ['get', '/v1/customs/reconciliation'],
    ['get', `/v1/customs/assessments/CUS-GREEN-${RUN}`],
    ['post', `/v1/consignments/CUS-GREEN-${RUN}/assessment`],
    ['post', '/v1/customs/rule-set'],
  ])('a trader gets 403 for %s %s', async (method, path) => {
    const res =
      method === 'get' ? await t.as(PLATFORM).get(path) : await t.as(PLATFORM).post(path, DEFAULT_RULE_SET);
    expect(res.status).toBe(403);
  });

  it('a bad rule set or filter is a 400 problem and changes nothing', async () => {
    const before = await t.as(OFFICER).get('/v1/customs/rule-set');
    for (const body of [
      { ...DEFAULT_RULE_SET, version: 'bad-1', thresholds: { amber: 70, red: 60 } },
      { ...DEFAULT_RULE_SET, version: 'bad-2', astrology: true },
      { ...DEFAULT_RULE_SET, version: 'bad 3' },
    ]) {
      const res = await t.as(OFFICER).post('/v1/customs/rule-set', body);
      expect(res.status, res.text).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await t.as(OFFICER).get('/v1/customs/rule-set')).body).toEqual(before.body);
    expect((await t.as(OFFICER).get('/v1/customs/queue?lane=purple')).status).toBe(400);
    expect((await t.as(OFFICER).get('/v1/customs/queue?limit=0')).status).toBe(400);
    const answer = await t
      .as(PLATFORM)
      .post(`/v1/consignments/CUS-GREEN-${RUN}/referral-answer`, { message: '' });
    expect(answer.status).toBe(400);
  });

  it('the current rule set and tariffs are customs’ to read', async () => {
    const rules = await t.as(OFFICER).get('/v1/customs/rule-set');
    expect(rules.body).toMatchObject({ ruleSet: { value: { version: 'api-test-1' } } });
    const tariffs = await t.as(OFFICER).get('/v1/customs/tariffs');
    expect(tariffs.body).toMatchObject({ tariffs: { value: { version: DEFAULT_TARIFF_SET.version } } });
  });
});

describe('remittances under a checkout scheme', () => {
  const period = '2026-11';
  const reconciled = async () =>
    (
      await t
        .as(OFFICER)
        .get<{ rows: { remittances: number; remitted: number; unremitted: number; declared: number }[] }>(
          `/v1/customs/reconciliation?platformMspId=PlatformAMSP&period=${period}`,
        )
    ).body.rows;

  it('a platform records what it remitted, and the reconciliation sets it against what it declared', async () => {
    const [before] = await reconciled();
    const remittance = { period, currency: 'EUR', amount: 12.34, reference: `IOSS/${RUN}/1` };
    const res = await t.as(PLATFORM).post<{ txId: string }>('/v1/remittances', remittance);
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('x-transaction-id')).toBe(res.body.txId);
    expect(res.body).toMatchObject({ ...remittance, platformMspId: 'PlatformAMSP' });
    const [after] = await reconciled();
    expect(after).toMatchObject({
      declared: before?.declared ?? 0,
      remittances: (before?.remittances ?? 0) + 1,
      remitted: Number(((before?.remitted ?? 0) + 12.34).toFixed(2)),
      unremitted: Number(((before?.unremitted ?? 0) - 12.34).toFixed(2)),
    });
    const own = await t.as(PLATFORM).get<{ remittances: { reference: string }[] }>('/v1/remittances');
    expect(own.body.remittances.map((r) => r.reference)).toContain(remittance.reference);
    const all = await t
      .as(OFFICER)
      .get<{ remittances: { reference: string }[] }>(`/v1/remittances?period=${period}`);
    expect(all.body.remittances.map((r) => r.reference)).toContain(remittance.reference);
  });

  it('refuses a second remittance under one reference, a bad one, and everyone but the platform, changing nothing', async () => {
    const remittance = { period, currency: 'EUR', amount: 1, reference: `IOSS/${RUN}/2` };
    expect((await t.as(PLATFORM).post('/v1/remittances', remittance)).status).toBe(201);
    const before = await reconciled();
    const again = await t.as(PLATFORM).post('/v1/remittances', { ...remittance, amount: 2 });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body.detail).toBe(`remittance ${remittance.reference} of PlatformAMSP already exists`);
    for (const [body, field] of [
      [{ ...remittance, reference: `IOSS/${RUN}/3`, amount: 1.234 }, '/amount'],
      [{ ...remittance, reference: `IOSS/${RUN}/3`, period: '2026-13' }, '/period'],
      [{ ...remittance, reference: `IOSS/${RUN}/3`, platformMspId: 'PlatformBMSP' }, '/platformMspId'],
    ] as const) {
      const bad = await t.as(PLATFORM).post('/v1/remittances', body);
      expect(bad.status, bad.text).toBe(400);
      expect(JSON.stringify(bad.body.errors)).toContain(field);
    }
    for (const user of [OFFICER, 'post-operator', 'auditor']) {
      expect(
        (await t.as(user).post('/v1/remittances', { ...remittance, reference: `IOSS/${RUN}/4` })).status,
      ).toBe(403);
    }
    expect(await reconciled()).toEqual(before);
  });

  it('a platform reads its own remittances only', async () => {
    const other = await t.as('platformb-operator').get<{ remittances: unknown[] }>('/v1/remittances');
    expect(other.status).toBe(200);
    expect(other.body.remittances).toEqual([]);
    const named = await t.as('platformb-operator').get('/v1/remittances?platformMspId=PlatformAMSP');
    expect(named.status).toBe(403);
    expect(named.body.detail).toBe('PlatformBMSP cannot read the remittances of PlatformAMSP');
    expect((await t.as('post-operator').get('/v1/remittances')).status).toBe(403);
  });
});

describe('goods customs looks out for by name', () => {
  it('a recall notice put in force sends a parcel naming the product to red, and a malformed one is refused', async () => {
    const inForce = testRuleSet('api-test-1');
    const bad = await t.as(OFFICER).post('/v1/customs/rule-set', {
      ...inForce,
      version: 'api-test-recall-bad',
      productRecalls: [{ reference: 'SG-TEST-1', terms: ['Cotton T-shirt'] }],
    });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body.errors)).toContain('/productRecalls/0/terms/0');
    expect((await t.as(OFFICER).get('/v1/customs/rule-set')).body).toMatchObject({
      ruleSet: { value: { version: 'api-test-1' } },
    });

    await putRuleSet(t, {
      ...inForce,
      version: 'api-test-recall',
      productRecalls: [{ reference: 'SG-TEST-1', hsPrefixes: ['6109'], terms: ['cotton t shirt'] }],
    });
    try {
      const id = `CUS-RECALL-${RUN}`;
      await parcel(id);
      const explained = await assessmentWithDeclaration<{
        risk: { lane: string; hardRule?: string; reasons: unknown[] };
      }>(t, id);
      expect(explained.body.risk).toMatchObject({
        lane: 'red',
        hardRule: 'PRODUCT_RECALL',
        reasons: expect.arrayContaining([
          { code: 'PRODUCT_RECALL', detail: 'line 1: HS 610910, recalled under SG-TEST-1' },
        ]),
      });
      expect(await status(id)).not.toBe('released');
    } finally {
      await putRuleSet(t, inForce);
    }
  });
});
