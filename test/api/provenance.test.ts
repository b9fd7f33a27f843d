/**
 * Provenance over HTTP: GET /v1/consignments/{id}/history lists every version of every record of a
 * consignment in transaction-time order, each with its organisation and registered role, transaction, block
 * and the hash of what it wrote; each entry is then found, byte for byte, in the stored blocks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProvenance } from '../../auditor/src/checks/provenance.js';
import { LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import type { TestGateway } from '../support/gateway.js';
import { startCustomsTestGateway } from '../support/parcel.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

interface Entry {
  readonly type: string;
  readonly at: string;
  readonly block: number | null;
  readonly txId: string;
  readonly by: { readonly mspId: string; readonly role: string; readonly user?: string };
  readonly stateKey: { readonly objectType: string; readonly attributes: string[] };
  readonly valueHash: string;
  readonly detail: Record<string, unknown>;
}

const PLATFORM = 'platforma-operator';
const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const id = `PROV-${RUN}`;
const orderNumber = `ORD-${id}`;

let t: TestGateway;
let dataDir: string;
let entries: Entry[];
const txOf: Record<string, string> = {};

async function write(user: string, path: string, body: unknown, label: string): Promise<void> {
  const res = await t.as(user).post(path, body);
  expect(res.status, res.text).toBe(201);
  txOf[label] = res.headers.get('x-transaction-id')!;
}

/** Polls the history until an entry is there (customs' pipeline follows events asynchronously). */
async function historyWith(wanted: (e: Entry) => boolean): Promise<Entry[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await t.as(OFFICER).get<{ entries: Entry[] }>(`/v1/consignments/${id}/history`);
    expect(res.status, res.text).toBe(200);
    if (res.body.entries.some(wanted) || Date.now() > until) return res.body.entries;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'provenance-'));
  // No random selection; the demo payer differs from the buyer, so the officer decides, not the pipeline.
  t = await startCustomsTestGateway(`prov-${RUN}`, { dataDir });

  const base = `/v1/consignments/${id}`;
  await write(
    PLATFORM,
    '/v1/consignments',
    {
      consignmentId: id,
      orderNumber,
      trackingNumber: `RR${RUN}FR`,
      paymentTransactionId: `PAY-${id}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    },
    'create',
  );
  await write(PLATFORM, `${base}/order`, orderPayload(orderNumber, { goodsValue: 41 }), 'order v1');
  // A correction before release: a second version of the same record.
  await write(PLATFORM, `${base}/order`, orderPayload(orderNumber), 'order v2');
  await write('payment-operator', `${base}/payment`, paymentPayload(orderNumber, `PAY-${id}`), 'payment');
  await write('post-operator', `${base}/logistics`, logisticsPayload(orderNumber, `RR${RUN}FR`), 'logistics');
  await write(PLATFORM, `${base}/declaration`, declarationPayload(), 'declaration');
  // customs' pipeline assesses as data arrives; the officer decides on the assessment of all four records.
  await historyWith(
    (e) => e.type === 'assessed' && (e.detail.basis as Record<string, number>).declaration === 1,
  );
  await write(OFFICER, `${base}/decision`, { decision: 'release', reasonCodes: ['DOCS_CHECKED'] }, 'release');
  await write('post-operator', `${base}/movements`, { type: 'dispatched', location: 'CNSZX' }, 'dispatched');
  await write('post-operator', `${base}/movements`, { type: 'arrived', location: 'FRCDG' }, 'arrived');
  const read = await t.as(OFFICER).get(`${base}/details?record=order&purpose=risk_assessment`);
  expect(read.status, read.text).toBe(200);
  txOf.read = (read.body as { accessTxId: string }).accessTxId;
  entries = await historyWith((e) => e.type === 'personal_data_read');
});

afterAll(async () => {
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('GET /v1/consignments/{id}/history', () => {
  it('lists every record, each version, in transaction-time order', () => {
    // The pipeline may assess more than once as records arrive; each assessment's reads follow it.
    const assessments = new Set(entries.filter((e) => e.type === 'assessed').map((e) => e.txId));
    for (const txId of assessments) {
      const at = entries.findIndex((e) => e.txId === txId);
      const reads = entries.filter((e) => e.txId === txId && e.type === 'personal_data_read');
      expect(entries.slice(at + 1, at + 1 + reads.length)).toEqual(reads);
      expect(reads.map((e) => `${e.detail.record}:${e.detail.purpose}`)).toEqual(
        expect.arrayContaining([
          'order:risk_assessment',
          'payment:risk_assessment',
          'logistics:risk_assessment',
        ]),
      );
    }
    const types = entries
      .filter((e) => !(e.type === 'personal_data_read' && assessments.has(e.txId)))
      .map((e) => e.type);
    // Assessed once the order, payment and logistics are in (perhaps before the declaration),
    // and the release rests on an assessment made after the declaration.
    expect(types.indexOf('assessed')).toBeGreaterThan(types.indexOf('logistics_submitted'));
    expect(types.lastIndexOf('assessed')).toBeGreaterThan(types.indexOf('declaration_submitted'));
    expect(types.lastIndexOf('assessed')).toBe(types.indexOf('decision_release') - 1);
    expect(types.filter((type) => type !== 'assessed')).toEqual([
      'created',
      'order_submitted',
      'order_submitted',
      'payment_submitted',
      'logistics_submitted',
      'declaration_submitted',
      'decision_release',
      'movement_dispatched',
      'movement_arrived',
      'personal_data_read',
    ]);
    const ours = ['create', 'order v1', 'order v2', 'payment', 'logistics', 'declaration'];
    const written = entries.filter((e) => !assessments.has(e.txId));
    expect(written.slice(0, 6).map((e) => e.txId)).toEqual(ours.map((label) => txOf[label]));
    expect(entries.slice(-4).map((e) => e.txId)).toEqual([
      txOf.release,
      txOf.dispatched,
      txOf.arrived,
      txOf.read,
    ]);
    expect(entries.filter((e) => e.type === 'order_submitted').map((e) => e.detail.version)).toEqual([1, 2]);
    const roots = entries.filter((e) => e.type === 'order_submitted').map((e) => e.detail.root);
    expect(roots[0]).not.toBe(roots[1]);

    const positions = entries.map((e) => `${e.at} ${e.txId}`);
    expect([...positions].sort()).toEqual(positions);
    const blocks = entries.map((e) => e.block);
    expect(blocks.every((b) => typeof b === 'number')).toBe(true);
    // Sequential writes each waited for their commit, so each is in a later block than the one before.
    expect(new Set(blocks.slice(0, 6)).size).toBe(6);
  });

  it('names who wrote each entry, by organisation and registered role', () => {
    const by = Object.fromEntries(entries.map((e) => [e.type, `${e.by.mspId}/${e.by.role}`]));
    expect(by).toMatchObject({
      created: 'PlatformAMSP/platform',
      payment_submitted: 'PaymentMSP/payment',
      logistics_submitted: 'PostMSP/post',
      assessed: 'CustomsMSP/customs',
      decision_release: 'CustomsMSP/customs',
      personal_data_read: 'CustomsMSP/customs',
    });
    const release = entries.find((e) => e.type === 'decision_release')!;
    expect(release.detail).toMatchObject({
      automatic: false,
      reasonCodes: ['DOCS_CHECKED'],
      statusBefore: 'created',
      statusAfter: 'released',
    });
    const read = entries.find((e) => e.type === 'personal_data_read' && e.txId === txOf.read)!;
    expect(read.by.user).toMatch(/CN=customs-officer/);
    expect(read.detail).toEqual({ record: 'order', purpose: 'risk_assessment' });
    // The pipeline's assessments read as customs' service user.
    const assessed = entries.find((e) => e.type === 'assessed')!;
    const pipelineRead = entries.find((e) => e.type === 'personal_data_read' && e.txId === assessed.txId)!;
    expect(pipelineRead.by).toMatchObject({ mspId: 'CustomsMSP', role: 'customs' });
    expect(pipelineRead.by.user).toMatch(/CN=customs-service/);
  });

  it('carries no personal data', async () => {
    const res = await t.as(OFFICER).get(`/v1/consignments/${id}/history`);
    const buyer = orderPayload(orderNumber).buyer;
    expect(res.text).not.toContain(buyer.name);
    expect(res.text).not.toContain(buyer.document.number);
  });

  it('is visible to the consignment’s participants, customs and auditors only', async () => {
    expect((await t.as('auditor').get(`/v1/consignments/${id}/history`)).status).toBe(200);
    expect((await t.as('post-operator').get(`/v1/consignments/${id}/history`)).status).toBe(200);
    const outsider = await t.as('platformb-operator').get(`/v1/consignments/${id}/history`);
    expect(outsider.status).toBe(404);
    expect(outsider.headers.get('content-type')).toContain('application/problem+json');
    expect((await t.as(OFFICER).get('/v1/consignments/NO-SUCH-ONE/history')).status).toBe(404);
  });
});

describe('each entry against the stored blocks', () => {
  let store: LedgerStore;
  beforeAll(async () => {
    await t.gateway.close();
    store = await LedgerStore.openExisting(join(dataDir, 'ledger'));
  });
  afterAll(async () => {
    await store?.close();
  });

  it('is a valid transaction in the block named, writing the value its hash commits to', async () => {
    expect(await checkProvenance(store, entries)).toEqual({
      ok: true,
      checked: entries.length,
      problems: [],
      newer: [],
      height: expect.any(Number),
    });
  });

  it('a changed hash, block, key or transaction is named as the entry at fault, a block beyond the copy set apart', async () => {
    const [created, orderV1, orderV2, payment] = entries as [Entry, Entry, Entry, Entry];
    const claims = [
      { ...created, valueHash: orderV1.valueHash },
      { ...orderV1, block: orderV2.block },
      { ...orderV2, stateKey: payment.stateKey },
      { ...payment, txId: 'f'.repeat(64) },
      { ...payment, block: 1_000_000 },
    ];
    const report = await checkProvenance(store, claims);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.index, p.reason])).toEqual([
      [0, expect.stringMatching(/^the value written hashes to [0-9a-f]{64}, not /)],
      [1, `block ${orderV2.block} does not hold transaction ${orderV1.txId}`],
      [2, `the transaction wrote no value to record/${id}/payment`],
      [3, `block ${payment.block} does not hold transaction ${'f'.repeat(64)}`],
    ]);
    // Beyond the blocks stored: newer than this copy of the ledger, neither verified nor a mismatch.
    expect(report.newer).toEqual([{ index: 4, type: payment.type, txId: payment.txId, block: 1_000_000 }]);
    expect(report.checked).toBe(claims.length - 1);
  });
});
