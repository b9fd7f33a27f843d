/**
 * Purpose limitation of customs' reads over HTTP: the automatic assessment's reads of the order,
 * payment, logistics and declaration are on the consignment's access log, with their purposes and
 * customs' service user; a referral answer's text is not in the assessment explained, and is read
 * only through a purpose-bound read that the access log then lists.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/access-log.js';
import {
  assessmentWithDeclaration,
  eventually,
  parcelToFrance,
  startCustomsTestGateway,
} from '../support/parcel.js';
import type { TestGateway } from '../support/gateway.js';
import { readSseUntil } from '../support/sse.js';

let t: TestGateway;
const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();

beforeAll(async () => {
  t = await startCustomsTestGateway('reads-test-1');
});
afterAll(async () => {
  await t?.close();
});

const parcel = (id: string, paid?: number): Promise<void> => parcelToFrance(t, id, paid);

describe("an automatic assessment's reads", () => {
  it('are on the access log: each record read, under each purpose it was read for, by customs’ service user', async () => {
    const id = `READS-AUTO-${RUN}`;
    await parcel(id, 52.8);
    const assessment = await assessmentWithDeclaration<{ txId?: string; assessedBy?: string }>(t, id);
    expect(assessment.status, assessment.text).toBe(200);
    expect(assessment.body.assessedBy).toMatch(/CN=customs-service\b/);
    const txId = assessment.body.txId!;
    const reads = (await accessLog(t, 'consignment', id)).filter((e) => e.txId === txId);
    expect(reads.map((e) => `${e.recordKind}:${e.purpose}`).sort()).toEqual([
      'declaration:revenue_assessment',
      'declaration:risk_assessment',
      'logistics:risk_assessment',
      'order:revenue_assessment',
      'order:risk_assessment',
      'payment:risk_assessment',
    ]);
    for (const read of reads) {
      expect(read).toMatchObject({
        mspId: 'CustomsMSP',
        userId: expect.stringMatching(/CN=customs-service\b/),
      });
    }
    // The consignment's platform, whose buyer's data was read, sees them too; so does the history.
    expect((await accessLog(t, 'consignment', id, PLATFORM)).filter((e) => e.txId === txId)).toHaveLength(6);
    const history = await t
      .as('auditor')
      .get<{ entries: { type: string; txId: string; detail: { purpose: string } }[] }>(
        `/v1/consignments/${id}/history`,
      );
    expect(
      history.body.entries.filter((e) => e.type === 'personal_data_read' && e.txId === txId),
    ).toHaveLength(6);
  });

  it('an officer’s assessment names the officer', async () => {
    const id = `READS-OFFICER-${RUN}`;
    await parcel(id, 40);
    await assessmentWithDeclaration(t, id);
    const res = await t
      .as(OFFICER)
      .post<{ assessment: { txId: string } }>(`/v1/consignments/${id}/assessment`, undefined);
    expect(res.status, res.text).toBe(201);
    const reads = (await accessLog(t, 'consignment', id)).filter((e) => e.txId === res.body.assessment.txId);
    expect(reads).toHaveLength(6);
    expect(new Set(reads.map((e) => e.userId))).toEqual(
      new Set([expect.stringMatching(/CN=customs-officer\b/)]),
    );
  });
});

describe('a referral answer', () => {
  const id = `READS-REFER-${RUN}`;
  const message = `Gift for my sister Anna Kowalska, Ul. Lipowa 7 (${RUN}); invoice attached.`;
  let answerTxId: string;
  const path = (purpose?: string, tx = answerTxId) =>
    `/v1/consignments/${id}/referral-answers/${tx}${purpose ? `?purpose=${purpose}` : ''}`;

  beforeAll(async () => {
    await parcel(id, 40);
    await assessmentWithDeclaration(t, id);
    const refer = await t
      .as(OFFICER)
      .post(`/v1/consignments/${id}/decision`, { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] });
    expect(refer.status, refer.text).toBe(201);
    const answer = await t.as(PLATFORM).post<{ txId: string }>(`/v1/consignments/${id}/referral-answer`, {
      message,
      documents: [{ type: 'invoice', reference: `INV-${RUN}` }],
    });
    expect(answer.status, answer.text).toBe(201);
    answerTxId = answer.body.txId;
  });

  it('is refused (409, like every step the status does not allow) on a consignment not referred', async () => {
    const open = `${id}-OPEN`;
    await parcel(open, 40);
    const answer = await t
      .as(PLATFORM)
      .post(`/v1/consignments/${open}/referral-answer`, { message, documents: [] });
    expect(answer.status, answer.text).toBe(409);
    expect(answer.body).toMatchObject({
      detail: expect.stringMatching(/, not referred: there is no referral to answer$/),
    });
  });

  it('is not handed out with the assessment: only who answered, when, and the commitment', async () => {
    const explained = await eventually(
      () => t.as(OFFICER).get<{ referralAnswers: { txId: string }[] }>(`/v1/customs/assessments/${id}`),
      (r) => r.body.referralAnswers?.length === 1,
    );
    expect(explained.body.referralAnswers).toEqual([
      expect.objectContaining({
        txId: answerTxId,
        answeredBy: 'PlatformAMSP',
        answeredAt: expect.any(String),
      }),
    ]);
    expect(explained.text).not.toContain('Kowalska');
    expect(explained.text).not.toContain(`INV-${RUN}`);
    const demanded = await t.as(OFFICER).post(`/v1/consignments/${id}/assessment`, undefined);
    expect(demanded.status, demanded.text).toBe(201);
    expect(demanded.text).not.toContain('Kowalska');
  });

  it('is read for a stated purpose, by an officer, and the read is on the access log first', async () => {
    expect((await t.as(OFFICER).get(path())).status).toBe(400);
    expect((await t.as(OFFICER).get(path('delivery'))).status).toBe(403);
    expect((await t.as('customs-service').get(path('risk_assessment'))).status).toBe(403);
    expect((await t.as(PLATFORM).get(path('audit'))).status).toBe(403);
    expect((await t.as(OFFICER).get(path('risk_assessment', 'a'.repeat(64)))).status).toBe(404);
    expect((await accessLog(t, 'consignment', id)).filter((e) => e.recordKind === 'referral_answer')).toEqual(
      [],
    );

    const read = await t
      .as(OFFICER)
      .get<{ answer: { message: string }; access: { txId: string; purpose: string } }>(
        path('risk_assessment'),
      );
    expect(read.status, read.text).toBe(200);
    expect(read.body.answer).toEqual({ message, documents: [{ type: 'invoice', reference: `INV-${RUN}` }] });
    expect(read.body.access.purpose).toBe('risk_assessment');
    expect((await accessLog(t, 'consignment', id)).filter((e) => e.recordKind === 'referral_answer')).toEqual(
      [
        expect.objectContaining({
          recordTxId: answerTxId,
          purpose: 'risk_assessment',
          mspId: 'CustomsMSP',
          userId: expect.stringMatching(/CN=customs-officer\b/),
          txId: read.body.access.txId,
        }),
      ],
    );
  });

  it('is told to the platform following its events, as the access log would tell it', async () => {
    const readByCustoms = (e: { event: string; data: Record<string, unknown> }) =>
      e.event === 'PersonalDataAccessed' &&
      e.data.subjectId === id &&
      e.data.recordKind === 'referral_answer';
    const events = await readSseUntil(t, PLATFORM, (seen) => seen.some(readByCustoms));
    expect(events.filter(readByCustoms)).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          subjectType: 'consignment',
          mspId: 'CustomsMSP',
          purpose: 'risk_assessment',
        }),
      }),
    ]);
    // An organisation not taking part is not.
    const other = await readSseUntil(
      t,
      'platformb-operator',
      (seen) => seen.some(readByCustoms),
      undefined,
      2_000,
    );
    expect(other.filter(readByCustoms)).toEqual([]);
  });
});
