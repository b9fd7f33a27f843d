import { z } from 'zod';

/*
 * Pages of a list in time order (a consignment's history, a subject's access log), and the cursors
 * that continue a walk of one. Pure: each contract gathers its entries, these rules order and page
 * them.
 */

/** Entries per page: when the client names none, and the most it may ask for. */
export const PAGE_LIMIT = { default: 100, max: 500 } as const;

/** Longer than any cursor encodeCursor makes (the longest, an access log's, is under 300 characters). */
export const CURSOR_MAX_LENGTH = 400;

/** A page request, as a contract takes it (JSON) and the gateway's query validates it. */
export const PageRequest = z.strictObject({
  limit: z.number().int().min(1).max(PAGE_LIMIT.max).default(PAGE_LIMIT.default),
  /** The `next` of the page before. */
  after: z.string().max(CURSOR_MAX_LENGTH).optional(),
});
export type PageRequest = z.infer<typeof PageRequest>;
/** A page request as a client gives it: the limit may be left to its default. */
export type PageRequestInput = z.input<typeof PageRequest>;

const TX_ID = /^[0-9a-f]{64}$/;

/**
 * Where an entry stands in a list: its transaction time, its transaction and its place among that
 * transaction's entries. Transactions are ordered by time, then by id, so that every reader and
 * every endorser orders them alike; a transaction's entries keep the order in which the list
 * gathers them, which its commit fixed for good.
 */
export interface PagePosition {
  readonly at: string;
  readonly txId: string;
  readonly n: number;
}

export function comparePagePositions(a: PagePosition, b: PagePosition): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.txId !== b.txId) return a.txId < b.txId ? -1 : 1;
  return a.n - b.n;
}

/**
 * One walk of one list: what its cursors carry before the position (the subject, a restriction),
 * so that a cursor cannot continue another walk.
 */
export interface Walk {
  /** The list's name in refusals: "the <list> cursor …". */
  readonly list: string;
  /** The list's subject in refusals: "… names no entry of <subject>". */
  readonly subject: string;
  /** What this walk's cursors carry before the position, and what a cursor's may be. */
  readonly scope: readonly (string | null)[];
  readonly scopeSchema: readonly z.ZodType<string | null>[];
  /** Why a cursor of this list, well formed, continues another walk than this one; undefined if it does not. */
  readonly otherWalk: (scope: readonly (string | null)[]) => string | undefined;
}

function cursorContent(walk: Walk) {
  return z.tuple([
    z.literal(1),
    ...walk.scopeSchema,
    z.iso.datetime(),
    z.string().regex(TX_ID),
    z.number().int().min(0).max(1_000_000),
  ]);
}

/** Base64url of a JSON array: opaque to clients, who pass it back as it came. */
export function encodeCursor(walk: Walk, position: PagePosition): string {
  const content = [1, ...walk.scope, position.at, position.txId, position.n];
  return Buffer.from(JSON.stringify(content), 'utf8').toString('base64url');
}

/**
 * The position a cursor continues the walk from, or why it is none of this walk's: altered,
 * truncated, made for another list, or for another walk of this one.
 */
export function decodeCursor(walk: Walk, cursor: string): PagePosition | { readonly refused: string } {
  const refused = (why: string) => ({ refused: `the ${walk.list} cursor ${why}` });
  const notOurs = refused(`is not one this ${walk.list} returned`);
  if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return notOurs;
  let content: unknown;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return notOurs;
  }
  const parsed = cursorContent(walk).safeParse(content);
  if (!parsed.success) return notOurs;
  const fields = parsed.data as unknown[];
  const scope = fields.slice(1, -3) as (string | null)[];
  const other = walk.otherWalk(scope);
  if (other !== undefined) return refused(other);
  const [at, txId, n] = fields.slice(-3) as [string, string, number];
  return { at, txId, n };
}

export interface Page<T> {
  readonly entries: readonly T[];
  /** Whether entries follow this page now. */
  readonly hasMore: boolean;
  /**
   * The cursor after this page's last entry (the request's own after an empty page, null for an
   * empty list): the next page's `after` while hasMore, and later what came since.
   */
  readonly next: string | null;
}

/**
 * The page after the request's cursor, oldest first, of `entries` listed as the walk gathers them
 * (each transaction's in the order of its sources). Transaction times are their clients' (within
 * the chaincode's 10 minutes of the peer's clock): an entry committed after a page was read sorts
 * after it unless its transaction was stamped before that page's last entry, which a transaction in
 * flight while the page was read can be.
 */
export function pageOf<T extends { readonly at: string; readonly txId: string }>(
  walk: Walk,
  entries: readonly T[],
  request: PageRequest,
): Page<T> {
  const seen = new Map<string, number>();
  const positioned = entries.map((entry) => {
    const n = seen.get(entry.txId) ?? 0;
    seen.set(entry.txId, n + 1);
    return { entry, at: entry.at, txId: entry.txId, n };
  });
  positioned.sort(comparePagePositions);
  let from = 0;
  if (request.after !== undefined) {
    const cursor = decodeCursor(walk, request.after);
    if ('refused' in cursor) throw new Error(cursor.refused);
    const index = positioned.findIndex((p) => comparePagePositions(p, cursor) === 0);
    if (index < 0) throw new Error(`the ${walk.list} cursor names no entry of ${walk.subject}`);
    from = index + 1;
  }
  const page = positioned.slice(from, from + request.limit);
  const last = page.at(-1);
  return {
    entries: page.map((p) => p.entry),
    hasMore: from + page.length < positioned.length,
    next: last === undefined ? (request.after ?? null) : encodeCursor(walk, last),
  };
}
