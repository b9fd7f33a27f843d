import { z } from 'zod';

import { CONSIGNMENT_ID_PATTERN, recordKinds, type RecordKind } from './schemas';

/*
 * How a consignment's provenance is read, and how far one participant may grow it. Pure: the
 * contract (contracts/provenance.ts) gathers the entries, these rules order and page them.
 */

/**
 * The most versions one record (order, payment, logistics, declaration) of a consignment may
 * have. A real record is submitted once and corrected a handful of times (a wrong weight, a
 * missing line, an amended declaration); a hundred leaves room for any honest process while
 * keeping each record's history, which every provenance read walks whole (Fabric's history of a
 * key has no paging), small. Without it one participant could correct a record without end and
 * make every read of the consignment's history, by customs and auditors too, as slow as it likes.
 */
export const MAX_RECORD_VERSIONS = 100;

/** The version a submission of a record would write after `previous`, or a refusal naming the limit. */
export function nextRecordVersion(
  consignmentId: string,
  kind: RecordKind,
  previous: number | undefined,
): number {
  const next = (previous ?? 0) + 1;
  if (next > MAX_RECORD_VERSIONS) {
    throw new Error(
      `the ${kind} record of consignment ${consignmentId} has ${previous} versions, the most a record may have (${MAX_RECORD_VERSIONS}); it takes no further correction`,
    );
  }
  return next;
}

/** Entries per page of a history: when the client names none, and the most it may ask for. */
export const HISTORY_PAGE_LIMIT = { default: 100, max: 500 } as const;

const TX_ID = /^[0-9a-f]{64}$/;

/**
 * Where an entry stands in a history: its transaction time, its transaction and its place among
 * that transaction's entries. Transactions are ordered by time, then by id, so that every reader
 * and every endorser orders them alike; a transaction's entries keep the order in which the
 * history lists its sources (creation, records, movements, …), which its commit fixed for good.
 */
export interface HistoryPosition {
  readonly at: string;
  readonly txId: string;
  readonly n: number;
}

export function compareHistoryPositions(a: HistoryPosition, b: HistoryPosition): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.txId !== b.txId) return a.txId < b.txId ? -1 : 1;
  return a.n - b.n;
}

/**
 * What a history cursor carries. It names the consignment and the record the walk was restricted
 * to, so that it cannot continue another walk; the chaincode also requires it to name an entry
 * the history has.
 */
const CursorContent = z.tuple([
  z.literal(1),
  z.string().regex(CONSIGNMENT_ID_PATTERN),
  z.enum(recordKinds).nullable(),
  z.iso.datetime(),
  z.string().regex(TX_ID),
  z.number().int().min(0).max(1_000_000),
]);

export interface HistoryCursor extends HistoryPosition {
  readonly consignmentId: string;
  readonly record?: RecordKind;
}

/** Base64url of a JSON array: opaque to clients, who pass it back as it came. */
export function encodeHistoryCursor(cursor: HistoryCursor): string {
  const content: z.infer<typeof CursorContent> = [
    1,
    cursor.consignmentId,
    cursor.record ?? null,
    cursor.at,
    cursor.txId,
    cursor.n,
  ];
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
}

/** Longer than any cursor encodeHistoryCursor makes (its longest is about 250 characters). */
export const HISTORY_CURSOR_MAX_LENGTH = 400;

/**
 * The walk a cursor continues, or why it is none of this history's: altered, truncated, made
 * for another consignment, or for a walk restricted to another record.
 */
export function decodeHistoryCursor(
  cursor: string,
  consignmentId: string,
  record: RecordKind | undefined,
): HistoryCursor | { readonly refused: string } {
  const refused = (why: string) => ({ refused: `the history cursor ${why}` });
  if (cursor.length > HISTORY_CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return refused('is not one this history returned');
  }
  let content: unknown;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return refused('is not one this history returned');
  }
  const parsed = CursorContent.safeParse(content);
  if (!parsed.success) return refused('is not one this history returned');
  const [, id, kind, at, txId, n] = parsed.data;
  if (id !== consignmentId) return refused(`was returned for another consignment, not ${consignmentId}`);
  if ((kind ?? undefined) !== record) {
    return refused(
      `continues a walk of ${kind === null ? 'every entry' : `the ${kind} record`}; ask as it did`,
    );
  }
  return { consignmentId: id, ...(kind === null ? {} : { record: kind }), at, txId, n };
}

/** A page request, as the contract takes it (JSON) and the gateway's query validates it. */
export const HistoryPageRequest = z.strictObject({
  limit: z.number().int().min(1).max(HISTORY_PAGE_LIMIT.max).default(HISTORY_PAGE_LIMIT.default),
  /** The `next` of the page before. */
  after: z.string().max(HISTORY_CURSOR_MAX_LENGTH).optional(),
  /** Only the versions of this record. */
  record: z.enum(recordKinds).optional(),
});
export type HistoryPageRequest = z.infer<typeof HistoryPageRequest>;
/** A page request as a client gives it: the limit may be left to its default. */
export type HistoryPageInput = z.input<typeof HistoryPageRequest>;

export interface HistoryPage<T> {
  readonly entries: readonly T[];
  /** Whether entries follow this page now. */
  readonly hasMore: boolean;
  /**
   * The cursor after this page's last entry (the request's own after an empty page, null for an
   * empty history): the next page's `after` while hasMore, and later what came since.
   */
  readonly next: string | null;
}

/**
 * The page after the request's cursor, oldest first, of `entries` listed as the history gathers
 * them (each transaction's in the order of its sources). Transaction times are their clients'
 * (within the chaincode's 10 minutes of the peer's clock): an entry committed after a page was
 * read sorts after it unless its transaction was stamped before that page's last entry, which a
 * transaction in flight while the page was read can be.
 */
export function historyPage<T extends { readonly at: string; readonly txId: string }>(
  consignmentId: string,
  entries: readonly T[],
  request: HistoryPageRequest,
): HistoryPage<T> {
  const seen = new Map<string, number>();
  const positioned = entries.map((entry) => {
    const n = seen.get(entry.txId) ?? 0;
    seen.set(entry.txId, n + 1);
    return { entry, at: entry.at, txId: entry.txId, n };
  });
  positioned.sort(compareHistoryPositions);
  let from = 0;
  if (request.after !== undefined) {
    const cursor = decodeHistoryCursor(request.after, consignmentId, request.record);
    if ('refused' in cursor) throw new Error(cursor.refused);
    const index = positioned.findIndex((p) => compareHistoryPositions(p, cursor) === 0);
    if (index < 0) throw new Error(`the history cursor names no entry of consignment ${consignmentId}`);
    from = index + 1;
  }
  const page = positioned.slice(from, from + request.limit);
  const last = page.at(-1);
  return {
    entries: page.map((p) => p.entry),
    hasMore: from + page.length < positioned.length,
    next:
      last === undefined
        ? (request.after ?? null)
        : encodeHistoryCursor({
            consignmentId,
            ...(request.record === undefined ? {} : { record: request.record }),
            at: last.at,
            txId: last.txId,
            n: last.n,
          }),
  };
}
