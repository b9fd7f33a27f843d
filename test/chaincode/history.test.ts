import { describe, expect, it } from 'vitest';
import {
  HistoryPageRequest,
  historyWalk,
  MAX_RECORD_VERSIONS,
  nextRecordVersion,
} from '../../chaincode/src/domain/history.js';
import {
  CURSOR_MAX_LENGTH,
  decodeCursor,
  encodeCursor,
  PAGE_LIMIT,
  pageOf,
  type PagePosition,
} from '../../chaincode/src/domain/pages.js';
import type { RecordKind } from '../../chaincode/src/domain/schemas.js';

const ID = 'CN-HIST-1';
const tx = (n: number) => n.toString(16).padStart(64, '0');
const at = (second: number) => new Date(Date.UTC(2026, 6, 1, 12, 0, second)).toISOString();

/** A page of consignment ID's history, or of one record's versions. */
const pageOfHistory = <T extends { at: string; txId: string }>(
  entries: readonly T[],
  request: HistoryPageRequest,
) => pageOf(historyWalk(ID, request.record), entries, request);
/** The cursor of a walk of a consignment's history (of one record's versions, with `record`) at a position. */
const historyCursor = (c: PagePosition & { consignmentId: string; record?: RecordKind }) =>
  encodeCursor(historyWalk(c.consignmentId, c.record), c);

interface E {
  readonly at: string;
  readonly txId: string;
  readonly name: string;
}
const e = (name: string, second: number, t: number): E => ({ name, at: at(second), txId: tx(t) });

/** Every page of `entries` from the start, `limit` at a time. */
function walk(entries: readonly E[], limit: number, record?: 'order'): string[][] {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = pageOfHistory(entries, HistoryPageRequest.parse({ limit, after, record }));
    pages.push(page.entries.map((x) => x.name));
    if (!page.hasMore) return pages;
    after = page.next!;
  }
}

describe('the versions of a record', () => {
  it('count from 1, one per correction, up to the limit', () => {
    expect(nextRecordVersion(ID, 'order', undefined)).toBe(1);
    expect(nextRecordVersion(ID, 'order', 1)).toBe(2);
    expect(nextRecordVersion(ID, 'logistics', MAX_RECORD_VERSIONS - 1)).toBe(MAX_RECORD_VERSIONS);
  });

  it('are refused past the limit, naming it', () => {
    expect(() => nextRecordVersion(ID, 'declaration', MAX_RECORD_VERSIONS)).toThrow(
      `the declaration record of consignment ${ID} has ${MAX_RECORD_VERSIONS} versions, the most a record may have (${MAX_RECORD_VERSIONS}); it takes no further correction`,
    );
  });

  it('fit on one page of the history, so a reader of one record asks once', () => {
    expect(MAX_RECORD_VERSIONS).toBeLessThanOrEqual(PAGE_LIMIT.max);
  });
});

describe('a page request', () => {
  it('defaults to 100 entries and takes 1 to 500', () => {
    expect(HistoryPageRequest.parse({})).toEqual({ limit: 100 });
    expect(HistoryPageRequest.parse({ limit: 500 }).limit).toBe(500);
    for (const limit of [0, 501, 1.5, -1])
      expect(HistoryPageRequest.safeParse({ limit }).success).toBe(false);
  });

  it('refuses unknown fields and an overlong cursor', () => {
    expect(HistoryPageRequest.safeParse({ offset: 3 }).success).toBe(false);
    expect(HistoryPageRequest.safeParse({ after: 'a'.repeat(CURSOR_MAX_LENGTH + 1) }).success).toBe(false);
  });
});

describe('a history page', () => {
  // Listed as the contract gathers them, by source, not by time; two entries share transaction 3.
  const entries: E[] = [
    e('created', 0, 1),
    e('order v1', 1, 2),
    e('order v2', 5, 5),
    e('payment', 3, 4),
    e('assessed', 2, 3),
    e('read by the assessment', 2, 3),
    // The same instant as the payment: the transaction id decides.
    e('movement', 3, 0x3f),
  ];

  it('orders by transaction time, then transaction id, then the order of the gathering', () => {
    expect(walk(entries, 500)).toEqual([
      ['created', 'order v1', 'assessed', 'read by the assessment', 'payment', 'movement', 'order v2'],
    ]);
  });

  it('walked with any limit gives every entry once, in that order', () => {
    const whole = walk(entries, 500)[0];
    for (let limit = 1; limit <= entries.length + 1; limit++) {
      const pages = walk(entries, limit);
      expect(pages.flat()).toEqual(whole);
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
    }
  });

  it('splits the entries of one transaction across pages without losing or repeating one', () => {
    expect(walk(entries, 3)).toEqual([
      ['created', 'order v1', 'assessed'],
      ['read by the assessment', 'payment', 'movement'],
      ['order v2'],
    ]);
  });

  it('says whether more follow, and gives a cursor for what is appended later', () => {
    const first = pageOfHistory(entries.slice(0, 2), HistoryPageRequest.parse({ limit: 2 }));
    expect(first.hasMore).toBe(false);
    const later = [...entries.slice(0, 2), e('declaration', 9, 9)];
    const next = pageOfHistory(later, HistoryPageRequest.parse({ after: first.next }));
    expect(next.entries.map((x) => x.name)).toEqual(['declaration']);
    // Nothing new: an empty page that keeps the place.
    const none = pageOfHistory(later, HistoryPageRequest.parse({ after: next.next }));
    expect(none).toEqual({ entries: [], hasMore: false, next: next.next });
  });

  it('of an empty history is empty, with no cursor', () => {
    expect(pageOfHistory([], HistoryPageRequest.parse({}))).toEqual({
      entries: [],
      hasMore: false,
      next: null,
    });
  });

  it('refuses a cursor that names no entry of the history', () => {
    const stranger = historyCursor({ consignmentId: ID, at: at(4), txId: tx(99), n: 0 });
    expect(() => pageOfHistory(entries, HistoryPageRequest.parse({ after: stranger }))).toThrow(
      `the history cursor names no entry of consignment ${ID}`,
    );
  });
});

describe('a history cursor', () => {
  const cursor = historyCursor({ consignmentId: ID, at: at(1), txId: tx(2), n: 0 });

  it('is opaque, short, and gives back the position it was made for', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const longest = historyCursor({
      consignmentId: 'C'.repeat(64),
      record: 'declaration',
      at: at(1),
      txId: tx(2),
      n: 1_000_000,
    });
    expect(longest.length).toBeLessThan(CURSOR_MAX_LENGTH);
    expect(decodeCursor(historyWalk(ID, undefined), cursor)).toEqual({
      at: at(1),
      txId: tx(2),
      n: 0,
    });
  });

  it.each([
    ['altered', cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11)],
    ['truncated', cursor.slice(0, -4)],
    ['not base64url', `${cursor}=`],
    ['empty', ''],
    ['JSON of another shape', Buffer.from('{"at":"x"}').toString('base64url')],
    ['of another version', Buffer.from(JSON.stringify([2, ID, null, at(1), tx(2), 0])).toString('base64url')],
    [
      'with a negative place',
      Buffer.from(JSON.stringify([1, ID, null, at(1), tx(2), -1])).toString('base64url'),
    ],
  ])('is refused %s', (_what, bad) => {
    expect(decodeCursor(historyWalk(ID, undefined), bad)).toEqual({
      refused: 'the history cursor is not one this history returned',
    });
  });

  it('of another consignment, or of another walk, is refused saying so', () => {
    expect(decodeCursor(historyWalk('CN-OTHER', undefined), cursor)).toEqual({
      refused: 'the history cursor was returned for another consignment, not CN-OTHER',
    });
    expect(decodeCursor(historyWalk(ID, 'order'), cursor)).toEqual({
      refused: 'the history cursor continues a walk of every entry; ask as it did',
    });
  });

  it("of a record's walk continues only that walk", () => {
    const entries = [e('order v1', 1, 2), e('order v2', 5, 5)];
    expect(walk(entries, 1, 'order')).toEqual([['order v1'], ['order v2']]);
    const page = pageOfHistory(entries, HistoryPageRequest.parse({ limit: 1, record: 'order' }));
    expect(decodeCursor(historyWalk(ID, undefined), page.next!)).toEqual({
      refused: 'the history cursor continues a walk of the order record; ask as it did',
    });
  });
});
