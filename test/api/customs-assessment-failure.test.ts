/**
 * A consignment whose automatic assessment fails does not vanish from customs' sight. Over real
 * HTTP and the embedded ledger, on a network whose chaincode definition was committed without the
 * collections from customs to each carrier (as a network deployed before chaincode 1.1 keeps them
 * when its upgrade is committed with its old collections): customs:assess cannot write what the
 * carrier is to collect, so it fails for a parcel on which the carrier collects VAT at delivery.
 * That parcel waits in the officers' queue marked as failed, with a reason free of personal data,
 * not releasable, its match saying so to everyone who sees it; the failure is counted on /metrics;
 * it is still there after the gateway restarts; an officer can decide on it; once the definition has
 * the collections, the next change of customs' configuration has the pipeline assess it again by
 * itself, which clears the failure, and the officer can assess it on demand too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from '@customs-ledger/chaincode';
import { QueuePageSchema } from '../../gateway/src/api/customs.js';
import { MatchViewSchema } from '../../gateway/src/api/responses.js';
import {
  collectionsBeforeCarrierInstructions,
  startTestGateway,
  type TestGateway,
} from '../support/gateway.js';
import { eventually, parcelToFrance } from '../support/parcel.js';

const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();
/** The collection the definition lacks, in the peer's words: what the network's operators fix. */
const MISSING_COLLECTION = 'collection customs/customs/CustomsMSP-to-PostMSP could not be found';

interface QueueItem {
  consignmentId: string;
  status: string;
  lane: string | null;
  releasable: boolean;
  reasonCodes: string[];
  assessmentFailed: { code: string; reason: string; failures: number } | null;
}

let dataDir: string;
/** COLLECTIONS_CONFIG of the network before its definition has the collections its chaincode writes. */
let before: Record<string, string>;
let t: TestGateway;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'assessment-failure-'));
  before = { COLLECTIONS_CONFIG: await collectionsBeforeCarrierInstructions(dataDir) };
  t = await startTestGateway(before, dataDir);
});
afterAll(async () => {
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const queued = async (id: string): Promise<QueueItem | undefined> => {
  const res = await t.as(OFFICER).get<{ items: QueueItem[] }>('/v1/customs/queue?limit=200');
  expect(res.status, res.text).toBe(200);
  return res.body.items.find((i) => i.consignmentId === id);
};

describe('an automatic assessment that fails', () => {
  const france = `AF-FR-${RUN}`;

  it('puts the consignment in the officers’ queue, marked as failed, not releasable, and counts it', async () => {
    await parcelToFrance(t, france);
    const item = await eventually(
      () => queued(france),
      (i) => i !== undefined,
    );
    expect(item).toMatchObject({
      status: 'created',
      lane: null,
      releasable: false,
      reasonCodes: ['ASSESSMENT_FAILED'],
      // Once for its logistics, again if its declaration came after that try.
      assessmentFailed: { code: 'ASSESSMENT_ERROR', failures: expect.any(Number) },
    });
    // The reason names the collection the definition lacks, and nothing of the buyer.
    expect(item!.assessmentFailed!.reason).toBe(MISSING_COLLECTION);
    expect(JSON.stringify(item)).not.toContain(`P-${france}`);
    // Never assessed: asked for its assessment, customs is told why there is none.
    const none = await t.as(OFFICER).get(`/v1/customs/assessments/${france}`);
    expect(none.status).toBe(404);
    expect(none.body.detail).toMatch(
      /has no assessment record yet: its automatic assessment failed \(ASSESSMENT_ERROR, \d+ time\(s\), last at .+\): collection customs\/customs\/CustomsMSP-to-PostMSP could not be found$/,
    );
    // Its platform sees that customs could not assess it, and not why.
    const match = await t.as('platforma-operator').get(`/v1/consignments/${france}/match`);
    expect(match.status, match.text).toBe(200);
    expect(match.body).toMatchObject({ assessment: null, assessmentFailed: { code: 'ASSESSMENT_ERROR' } });
    expect(match.text).not.toContain('could not be found');
    // As the OpenAPI document describes them.
    expect(MatchViewSchema.safeParse(match.body).error).toBeUndefined();
    const page = await t.as(OFFICER).get('/v1/customs/queue?limit=200');
    expect(QueuePageSchema.safeParse(page.body).error).toBeUndefined();
    const failedOnly = await t
      .as(OFFICER)
      .get<{ items: QueueItem[] }>('/v1/customs/queue?reason=ASSESSMENT_FAILED&limit=200');
    expect(failedOnly.body.items.map((i) => i.consignmentId)).toContain(france);

    const metrics = await t.metrics();
    expect(metrics).toMatch(/^customs_assessment_failures_total\{code="ASSESSMENT_ERROR"\} [1-9]/m);
  });

  it('is still in the queue after the gateway restarts', async () => {
    await t.close();
    t = await startTestGateway(before, dataDir);
    expect(await queued(france)).toMatchObject({
      releasable: false,
      assessmentFailed: { code: 'ASSESSMENT_ERROR' },
    });
  });

  it('leaves the officer the decision, the chaincode’s words on demand, and a new assessment once fixed', async () => {
    // On demand the officer reads what the chaincode said, as customs may.
    const onDemand = await t.as(OFFICER).post(`/v1/consignments/${france}/assessment`, undefined);
    expect(onDemand.status, onDemand.text).toBe(422);
    expect(onDemand.body).toMatchObject({ detail: expect.stringContaining(MISSING_COLLECTION) });

    const hold = await t
      .as(OFFICER)
      .post(`/v1/consignments/${france}/decision`, { decision: 'hold', reasonCodes: ['ASSESSMENT_FAILED'] });
    expect(hold.status, hold.text).toBe(201);
    expect(await queued(france)).toMatchObject({
      status: 'held',
      assessmentFailed: { code: 'ASSESSMENT_ERROR' },
    });

    // The definition committed with the collections: the gateway restarted on the network's own.
    await t.close();
    t = await startTestGateway({}, dataDir);
    // The pipeline tries every failed assessment again on a change of customs' configuration,
    // without an officer asking.
    const rules = await t
      .as(OFFICER)
      .post('/v1/customs/rule-set', { ...DEFAULT_RULE_SET, version: `after-fix-${RUN}` });
    expect(rules.status, rules.text).toBe(201);
    const retried = await eventually(
      () => queued(france),
      (queuedItem) => queuedItem?.assessmentFailed === null,
    );
    expect(retried).toMatchObject({ assessmentFailed: null, lane: expect.any(String) });
    const assessed = await t.as(OFFICER).post(`/v1/consignments/${france}/assessment`, undefined);
    expect(assessed.status, assessed.text).toBe(201);
    const item = await queued(france);
    expect(item).toMatchObject({ status: 'held', assessmentFailed: null });
    expect(item!.lane).not.toBeNull();
    expect(item!.reasonCodes).not.toContain('ASSESSMENT_FAILED');
    const explained = await t.as(OFFICER).get(`/v1/customs/assessments/${france}`);
    expect(explained.body).toMatchObject({ assessmentFailed: null });
    const match = await t.as('platforma-operator').get(`/v1/consignments/${france}/match`);
    expect(match.body).toMatchObject({ assessment: { number: expect.any(Number) }, assessmentFailed: null });
  });
});
