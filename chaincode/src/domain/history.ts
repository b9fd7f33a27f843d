import { z } from 'zod';

import { PageRequest, type Walk } from './pages';
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

/** A history page request: a page, and optionally only the versions of one record. */
export const HistoryPageRequest = PageRequest.extend({
  /** Only the versions of this record. */
  record: z.enum(recordKinds).optional(),
});
export type HistoryPageRequest = z.infer<typeof HistoryPageRequest>;
/** A page request as a client gives it: the limit may be left to its default. */
export type HistoryPageInput = z.input<typeof HistoryPageRequest>;

/**
 * A walk of a consignment's history, or of one record's versions: its cursors name the consignment
 * and the record, so that one cannot continue another walk.
 */
export function historyWalk(consignmentId: string, record: RecordKind | undefined): Walk {
  return {
    list: 'history',
    subject: `consignment ${consignmentId}`,
    scope: [consignmentId, record ?? null],
    scopeSchema: [z.string().regex(CONSIGNMENT_ID_PATTERN), z.enum(recordKinds).nullable()],
    otherWalk: ([id, kind]) => {
      if (id !== consignmentId) return `was returned for another consignment, not ${consignmentId}`;
      if ((kind ?? undefined) === record) return undefined;
      return `continues a walk of ${kind === null ? 'every entry' : `the ${kind} record`}; ask as it did`;
    },
  };
}
