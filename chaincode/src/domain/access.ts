import { z } from 'zod';

import type { Walk } from './pages';
import { CONSIGNMENT_ID_PATTERN, SubjectType } from './schemas';

/*
 * Reads of personal data bound to their access records. Pure: the transaction time and the access
 * record are arguments (contracts/access-records.ts reads them).
 */

/**
 * How long a committed access record lets its user have what it names: one window for every read
 * of personal data. Long enough for a gateway to commit the record and then evaluate the read,
 * short enough that a record is no standing licence to read the record again later.
 */
export const ACCESS_VALID_MINUTES = 10;

/** The record a read hands out, as its access record names it. */
export interface ReadTarget {
  readonly subjectType: SubjectType;
  /** The consignment id, or the party id. */
  readonly subjectId: string;
  /** A consignment record's kind, 'referral_answer', 'party' (a registration) or 'flag'. */
  readonly recordKind: string;
  /** Which one, where a subject holds several of the kind: the transaction that wrote it. */
  readonly recordTxId?: string;
}

/** A read of the whole record, or a selective disclosure of the fields its access record names. */
export type ReadForm = 'read' | 'disclosure';

/** What of an access record decides what it lets out, and to whom. */
export interface RecordedAccess extends ReadTarget {
  readonly mspId: string;
  readonly userId: string;
  readonly at: string;
  readonly fields?: readonly string[];
}

/** Who asks for the target, in which form, when (the transaction's time). */
export interface ReadRequest {
  readonly target: ReadTarget;
  readonly form: ReadForm;
  readonly mspId: string;
  readonly userId: string;
  readonly at: string;
}

/**
 * Why an access record does not let this request have its target (undefined: it does).
 * 'unrecorded': no record, or one of another user, subject, record or form; a disclosure record
 * lets out its fields only, never the whole record, and a read record is no disclosure.
 * 'stale': the request's own record, older than ACCESS_VALID_MINUTES.
 */
export function accessRefusal(
  access: RecordedAccess | undefined,
  request: ReadRequest,
): 'unrecorded' | 'stale' | undefined {
  const { target } = request;
  if (
    access === undefined ||
    access.mspId !== request.mspId ||
    access.userId !== request.userId ||
    access.subjectType !== target.subjectType ||
    access.subjectId !== target.subjectId ||
    access.recordKind !== target.recordKind ||
    access.recordTxId !== target.recordTxId ||
    (access.fields !== undefined) !== (request.form === 'disclosure')
  ) {
    return 'unrecorded';
  }
  const minutes = (Date.parse(request.at) - Date.parse(access.at)) / 60_000;
  return minutes <= ACCESS_VALID_MINUTES ? undefined : 'stale';
}

/**
 * A walk of a subject's access log, by pages (domain/pages.ts): its cursors name the subject, so
 * that one cannot continue the log of another.
 */
export function accessLogWalk(subjectType: SubjectType, subjectId: string): Walk {
  return {
    list: 'access log',
    subject: `${subjectType} ${subjectId}'s access log`,
    scope: ['access-log', subjectType, subjectId],
    scopeSchema: [
      z.literal('access-log'),
      SubjectType,
      // A party id (64 hex) has the form of a consignment id too.
      z.string().regex(CONSIGNMENT_ID_PATTERN),
    ],
    otherWalk: ([, type, id]) => {
      if (type !== subjectType) return `was returned for a ${type}'s access log, not a ${subjectType}'s`;
      return id === subjectId ? undefined : `was returned for another ${subjectType}, not ${subjectId}`;
    },
  };
}
