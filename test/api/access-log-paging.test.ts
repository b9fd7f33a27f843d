/**
 * Paging of the access logs over HTTP (GET /v1/consignments/{id}/access-log and
 * /v1/parties/{id}/access-log): a walk of any page size sees every read once, in time order, and
 * `next` of the last page later gives the reads made since; the limit is bounded; a cursor this log
 * did not return is 400 problem+json.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessLogWalk,
  encodeCursor,
  PAGE_LIMIT,
  type AccessRecord,
  type Page,
} from '@customs-ledger/chaincode';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { accessLog } from '../support/access-log.js';
import { createPayload, orderPayload, testKeys } from '../support/payloads.js';
import { expectProblem } from '../security/support.js';

const PLATFORM = 'platforma-operator';
const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const id = `ALOG-${RUN}`;
const other = `ALOG-OTHER-${RUN}`;
const partyId = randomBytes(32).toString('hex');
const READS = 7;

let t: TestGateway;

const logPath = (subject: 'consignments' | 'parties', subjectId: string) =>
  `/v1/${subject}/${subjectId}/access-log`;

async function page(path: string, query: Record<string, string> = {}): Promise<Page<AccessRecord>> {
  const res = await t.as('auditor').get<Page<AccessRecord>>(`${path}?${new URLSearchParams(query)}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Every page, `limit` at a time: the pages' entries and the last page's cursor. */
async function walk(path: string, limit: number) {
  const pages: AccessRecord[][] = [];
  let after: string | undefined;
  for (;;) {
    const p = await page(path, { limit: String(limit), ...(after === undefined ? {} : { after }) });
    pages.push([...p.entries]);
    if (!p.hasMore) return { pages, next: p.next };
    expect(p.entries).toHaveLength(limit);
    after = p.next!;
  }
}

async function readOrder(): Promise<string> {
  const res = await t
    .as(PLATFORM)
    .get<{ accessTxId: string }>(`/v1/consignments/${id}/details?record=order&purpose=return_processing`);
  expect(res.status, res.text).toBe(200);
  return res.body.accessTxId;
}

const readNote = async () => {
  const res = await t.as(OFFICER).get(`/v1/parties/${partyId}/watch-list?purpose=risk_assessment`);
  expect(res.status, res.text).toBe(200);
};

const reads: string[] = [];

beforeAll(async () => {
  t = await startTestGateway();
  for (const consignment of [id, other]) {
    expect((await t.as(PLATFORM).post('/v1/consignments', createPayload(consignment))).status).toBe(201);
  }
  const order = await t
    .as(PLATFORM)
    .post(`/v1/consignments/${id}/order`, orderPayload(testKeys(id).orderNumber));
  expect(order.status, order.text).toBe(201);
  for (let i = 0; i < READS; i++) reads.push(await readOrder());
  for (let i = 0; i < 3; i++) await readNote();
});

afterAll(async () => {
  await t?.close();
});

describe("a walk of a consignment's access log", () => {
  const path = () => logPath('consignments', id);

  it(`gives ${PAGE_LIMIT.default} entries a page unless asked, each read once in time order`, async () => {
    const first = await page(path());
    expect(first.entries.map((e) => e.txId)).toEqual(reads);
    expect(first.hasMore).toBe(false);
    for (const limit of [1, 3, READS, READS + 1]) {
      const { pages } = await walk(path(), limit);
      expect(pages.flat().map((e) => e.txId)).toEqual(reads);
      expect(pages).toHaveLength(Math.max(1, Math.ceil(READS / limit)));
    }
  });

  it('continues, from the last page’s cursor, with the reads made since, and only those', async () => {
    const { next } = await walk(path(), 3);
    const empty = await page(path(), { after: next! });
    expect(empty).toEqual({ subjectType: 'consignment', subjectId: id, entries: [], hasMore: false, next });
    const later = await readOrder();
    reads.push(later);
    const since = await page(path(), { after: next! });
    expect(since.entries.map((e) => e.txId)).toEqual([later]);
    expect(await accessLog(t, 'consignment', id)).toHaveLength(reads.length);
  });
});

describe("a walk of a party's access log", () => {
  it('pages the same way, and its cursor is not a consignment’s', async () => {
    const path = logPath('parties', partyId);
    const { pages } = await walk(path, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 1]);
    expect(pages.flat().every((e) => e.recordKind === 'flag' && e.mspId === 'CustomsMSP')).toBe(true);
    const { next } = await page(path, { limit: '1' });
    expectProblem(
      await t.as('auditor').get(`${logPath('consignments', id)}?after=${next}`),
      400,
      "the access log cursor was returned for a party's access log, not a consignment's",
    );
  });
});

describe('a page request the access log refuses with 400 problem+json', () => {
  it.each(['0', String(PAGE_LIMIT.max + 1), '-1', '1.5', 'ten', ''])('limit=%s', async (limit) => {
    const res = await t.as('auditor').get(`${logPath('consignments', id)}?limit=${limit}`);
    expectProblem(res, 400);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('/query/limit');
  });

  it('a cursor altered, of another consignment, of its history, or naming no entry', async () => {
    const { next } = await page(logPath('consignments', id), { limit: '2' });
    const flipped = next!.slice(0, 12) + (next![12] === 'A' ? 'B' : 'A') + next!.slice(13);
    const history = await t.as('auditor').get<{ next: string }>(`/v1/consignments/${id}/history?limit=1`);
    const madeUp = encodeCursor(accessLogWalk('consignment', id), {
      at: new Date().toISOString(),
      txId: 'f'.repeat(64),
      n: 0,
    });
    const cases: [string, string, string][] = [
      [id, flipped, 'the access log cursor'],
      [id, 'not a cursor!', 'the access log cursor is not one this access log returned'],
      [id, history.body.next, 'the access log cursor is not one this access log returned'],
      [other, next!, `the access log cursor was returned for another consignment, not ${other}`],
      [id, madeUp, `the access log cursor names no entry of consignment ${id}'s access log`],
    ];
    for (const [subject, after, detail] of cases) {
      const res = await t
        .as('auditor')
        .get(`${logPath('consignments', subject)}?after=${encodeURIComponent(after)}`);
      expectProblem(res, 400, detail);
    }
  });

  it('an unknown parameter', async () => {
    expectProblem(await t.as('auditor').get(`${logPath('consignments', id)}?offset=3`), 400);
  });
});
