/**
 * Paging of GET /v1/consignments/{id}/history over HTTP: a walk of any page size sees every entry
 * once, in order, also while entries are appended; the limit is bounded; a cursor that this
 * history did not return is 400 problem+json naming it; `record` walks one record's versions.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor, historyWalk } from '@customs-ledger/chaincode';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createPayload, logisticsPayload, orderPayload, testKeys } from '../support/payloads.js';
import { expectProblem } from '../security/support.js';

interface Entry {
  readonly type: string;
  readonly at: string;
  readonly txId: string;
  readonly block: number | null;
  readonly detail: Record<string, unknown>;
}
interface Page {
  readonly consignmentId: string;
  readonly entries: Entry[];
  readonly hasMore: boolean;
  readonly next: string | null;
}

const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const id = `PAGE-${RUN}`;
const other = `PAGE-OTHER-${RUN}`;
const CORRECTIONS = 11;

let t: TestGateway;

const page = async (query: string, user = 'auditor') => {
  const res = await t.as(user).get<Page>(`/v1/consignments/${id}/history${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
};

/** Every page from `after` on, `limit` at a time; between pages, `between` may append entries. */
async function walk(limit: number, between?: (pageNumber: number) => Promise<void>) {
  const pages: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const p = await page(`?limit=${limit}${after === null ? '' : `&after=${after}`}`);
    pages.push(p);
    expect(p.entries.length).toBeLessThanOrEqual(limit);
    if (!p.hasMore) return pages;
    expect(p.entries).toHaveLength(limit);
    after = p.next;
    await between?.(pages.length);
  }
}

const key = (e: Entry) => `${e.txId}/${e.type}/${JSON.stringify(e.detail)}`;

async function post(user: string, path: string, body: unknown): Promise<void> {
  const res = await t.as(user).post(path, body);
  expect(res.status, res.text).toBe(201);
}

beforeAll(async () => {
  t = await startTestGateway();
  const { orderNumber } = testKeys(id);
  await post(PLATFORM, '/v1/consignments', createPayload(id));
  await post(PLATFORM, '/v1/consignments', createPayload(other));
  for (let v = 1; v <= CORRECTIONS; v++) {
    await post(PLATFORM, `/v1/consignments/${id}/order`, orderPayload(orderNumber, { goodsValue: 40 + v }));
  }
});

afterAll(async () => {
  await t?.close();
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Another spelling of a cursor's bytes: base64url leaves unread the low bits of a last character
 * that ends mid-byte, and a lone character after whole groups of four.
 */
function sameBytes(cursor: string): string {
  if (cursor.length % 4 === 0) return `${cursor}A`;
  const last = BASE64URL.indexOf(cursor.at(-1)!);
  return cursor.slice(0, -1) + BASE64URL[last ^ 1]!;
}

describe('a walk of the history', () => {
  it('sees every entry once, in transaction-time order, whatever the page size', async () => {
    const [whole] = await walk(500);
    expect(whole!.entries.map((e) => e.type)).toEqual([
      'created',
      ...Array<string>(CORRECTIONS).fill('order_submitted'),
    ]);
    const positions = whole!.entries.map((e) => [e.at, e.txId]);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(whole!.entries.every((e) => typeof e.block === 'number')).toBe(true);
    for (const limit of [1, 5, CORRECTIONS + 1]) {
      const pages = await walk(limit);
      expect(pages.flatMap((p) => p.entries.map(key))).toEqual(whole!.entries.map(key));
    }
  });

  it('sees each entry appended during the walk once, after those before it', async () => {
    const before = (await walk(500))[0]!.entries.map(key);
    const { orderNumber, trackingNumber } = testKeys(id);
    const appended: string[] = [];
    const pages = await walk(4, async (n) => {
      if (n === 1) await post(PLATFORM, `/v1/consignments/${id}/order`, orderPayload(orderNumber));
      if (n === 2)
        await post(
          'post-operator',
          `/v1/consignments/${id}/logistics`,
          logisticsPayload(orderNumber, trackingNumber),
        );
      if (n <= 2) appended.push(n === 1 ? 'order_submitted' : 'logistics_submitted');
    });
    const seen = pages.flatMap((p) => p.entries);
    expect(new Set(seen.map(key)).size).toBe(seen.length);
    expect(seen.slice(0, before.length).map(key)).toEqual(before);
    expect(seen.slice(before.length).map((e) => e.type)).toEqual(appended);
  });

  it('gives with the last page a cursor for what is appended later, and an empty page until then', async () => {
    const pages = await walk(500);
    const last = pages.at(-1)!;
    expect(last.hasMore).toBe(false);
    expect(await page(`?after=${last.next}`)).toEqual({
      consignmentId: id,
      entries: [],
      hasMore: false,
      next: last.next,
    });
    await post(PLATFORM, `/v1/consignments/${id}/order`, orderPayload(testKeys(id).orderNumber));
    const later = await page(`?after=${last.next}`);
    expect(later.entries.map((e) => e.type)).toEqual(['order_submitted']);
    expect(later.hasMore).toBe(false);
  });

  it('gives 100 entries when no limit is named', async () => {
    // Fewer than 100 here: the whole history, and nothing more to ask for.
    const first = await page('');
    expect(first.entries.length).toBeLessThanOrEqual(100);
    expect(first.hasMore).toBe(false);
  });

  it('of one record lists its versions alone, and its cursor continues only that walk', async () => {
    const first = await page('?record=order&limit=2');
    expect(first.entries.map((e) => e.detail.version)).toEqual([1, 2]);
    expect(first.hasMore).toBe(true);
    const rest = await page(`?record=order&limit=500&after=${first.next}`);
    expect(rest.entries.map((e) => e.detail.version)).toEqual(
      Array.from({ length: rest.entries.length }, (_, i) => i + 3),
    );
    expect(rest.entries.every((e) => e.type === 'order_submitted')).toBe(true);
    expectProblem(
      await t.as('auditor').get(`/v1/consignments/${id}/history?after=${first.next}`),
      400,
      'the history cursor continues a walk of the order record; ask as it did',
    );
  });
});

describe('a page request the history refuses with 400 problem+json', () => {
  it.each(['0', '501', '-1', '1.5', 'ten', '', '1e2'])('limit=%s', async (limit) => {
    const res = await t.as('auditor').get(`/v1/consignments/${id}/history?limit=${limit}`);
    expectProblem(res, 400);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('/query/limit');
  });

  it('two limits, an unknown parameter or an unknown record', async () => {
    for (const query of ['limit=1&limit=2', 'offset=3', 'record=customs']) {
      expectProblem(await t.as('auditor').get(`/v1/consignments/${id}/history?${query}`), 400);
    }
  });

  it('a cursor altered, spelt otherwise, cut short, overlong, of another consignment or naming no entry, at /query/after', async () => {
    const { next } = await page('?limit=3');
    expect(Buffer.from(sameBytes(next!), 'base64url')).toEqual(Buffer.from(next!, 'base64url'));
    const flipped = next!.slice(0, 12) + (next![12] === 'A' ? 'B' : 'A') + next!.slice(13);
    const [created] = (await page('?limit=1')).entries;
    const madeUp = encodeCursor(historyWalk(id, undefined), { at: created!.at, txId: 'f'.repeat(64), n: 0 });
    const cases: [string, string][] = [
      [flipped, 'the history cursor'],
      [sameBytes(next!), 'the history cursor is not one this history returned'],
      [next!.slice(0, -3), 'the history cursor'],
      ['x'.repeat(401), 'after'],
      ['not a cursor!', 'the history cursor is not one this history returned'],
      [madeUp, `the history cursor names no entry of consignment ${id}`],
    ];
    for (const [after, detail] of cases) {
      const res = await t
        .as('auditor')
        .get(`/v1/consignments/${id}/history?after=${encodeURIComponent(after)}`);
      expectProblem(res, 400, detail);
      const pointers = (res.body as { errors?: { pointer: string }[] }).errors?.map((e) => e.pointer);
      expect(pointers, after).toEqual(['/query/after']);
    }
    const res = await t.as('auditor').get(`/v1/consignments/${other}/history?after=${next}`);
    expectProblem(res, 400, `the history cursor was returned for another consignment, not ${other}`);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('/query/after');
  });

  it('but an outsider is told the consignment is not visible, with a cursor too', async () => {
    const { next } = await page('?limit=1');
    for (const query of ['', `?after=${next}`]) {
      expectProblem(
        await t.as('platformb-operator').get(`/v1/consignments/${id}/history${query}`),
        404,
        `consignment ${id} does not exist or is not visible to PlatformBMSP`,
      );
    }
  });
});
