import { z } from 'zod';

import type { RecordVersions } from './customs';

/*
 * An assessment that could not be made. Customs practice: a parcel whose risk assessment cannot be
 * completed is held for an officer, never released by default. Customs' pipeline reports such a
 * failure (customs:recordAssessmentFailure), and the officers' queue shows it until an assessment
 * succeeds.
 *
 * The report carries the error as the pipeline met it, and an error may quote what it choked on: a
 * value of the order, a name, a document number. So the record keeps a code and a reason that is
 * either one of the messages known to name configuration only (currencies, dates, versions,
 * collections: what customs or the network's operators fix), or a fixed sentence. The error itself
 * is not kept: an officer asking for the assessment on demand reads the chaincode's own words, as
 * customs may.
 */

export const assessmentFailureCodes = [
  /** The chaincode could not assess a consignment that had everything an assessment needs. */
  'ASSESSMENT_ERROR',
  /** The ledger did not take the assessment, try after try (customs' peer down, every try timing out). */
  'LEDGER_UNAVAILABLE',
] as const;
export type AssessmentFailureCode = (typeof assessmentFailureCodes)[number];

/** What customs' pipeline reports (transient data: the error text is not kept as it came). */
export const AssessmentFailureReport = z.strictObject({
  /** 'refused': the chaincode answered with an error; 'unavailable': the ledger did not answer. */
  cause: z.enum(['refused', 'unavailable']),
  message: z.string().max(4000),
});
export type AssessmentFailureReport = z.infer<typeof AssessmentFailureReport>;

/**
 * Errors whose text names configuration only, never a value of the consignment's records; where a
 * pattern has a `kept` group, only that part is kept.
 */
const CONFIGURATION_ERRORS: readonly RegExp[] = [
  /^no [A-Z]{3} rate against [A-Z]{3} valid on \d{4}-\d{2}-\d{2}$/,
  /^more than one [A-Z]{3} rate against [A-Z]{3} from \d{4}-\d{2}-\d{2}$/,
  /^[A-Z]{3} rate against [A-Z]{3} must be positive$/,
  /^\d+ tariffs for [A-Z]{2} from \d{4}-\d{2}-\d{2}$/,
  /^customs has no (risk rule set|tariff set|secret) yet\b[^\n]{0,120}$/,
  // The peer's refusal of a write to a collection the chaincode definition lacks (committed without
  // the collections its chaincode writes); the call and transaction it names give nothing to fix.
  /^[A-Z_]+ failed: transaction ID: [0-9a-f]{64}: (?<kept>collection [A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\/[A-Za-z0-9-]+ could not be found)$/,
];

export const UNEXPECTED_ERROR_REASON =
  'the assessment failed on an error it does not explain without the consignment’s data; an officer’s on-demand assessment shows it';
export const UNAVAILABLE_REASON = 'the ledger did not take the assessment, try after try';

/** The code and the reason kept and shown for a reported failure: no personal data in either. */
export function describeAssessmentFailure(report: AssessmentFailureReport): {
  readonly code: AssessmentFailureCode;
  readonly reason: string;
} {
  if (report.cause === 'unavailable') return { code: 'LEDGER_UNAVAILABLE', reason: UNAVAILABLE_REASON };
  const message = report.message.trim();
  for (const pattern of CONFIGURATION_ERRORS) {
    const known = pattern.exec(message);
    if (known) return { code: 'ASSESSMENT_ERROR', reason: known.groups?.kept ?? message };
  }
  return { code: 'ASSESSMENT_ERROR', reason: UNEXPECTED_ERROR_REASON };
}

/** A failure as customs keeps it, in its own collection, until an assessment of the consignment succeeds. */
export interface AssessmentFailureRecord {
  readonly consignmentId: string;
  readonly destinationCountry: string;
  readonly code: AssessmentFailureCode;
  readonly reason: string;
  /** Versions of the records the failed assessment was tried on. */
  readonly basis: RecordVersions;
  /** Failures recorded since the last assessment that succeeded. */
  readonly failures: number;
  readonly firstFailedAt: string;
  readonly failedAt: string;
  readonly recordedBy: string;
  readonly txId: string;
}

/**
 * The public trace of a failure, in the consignment's customs seal: that customs knew it could not
 * assess the consignment, when, and on which records. The reason stays in customs' collection, as
 * customs' configuration does. It keeps customs' service identity from releasing the consignment
 * (automaticDecisionRefusal) until an assessment succeeds, which takes it off.
 */
export interface PublicAssessmentFailure {
  readonly code: AssessmentFailureCode;
  readonly failedAt: string;
  readonly txId: string;
  readonly basis: RecordVersions;
}

/** The record of one more failure, counting on from the earlier one since the last assessment. */
export function nextAssessmentFailure(
  previous: AssessmentFailureRecord | undefined,
  failure: Omit<AssessmentFailureRecord, 'failures' | 'firstFailedAt'>,
): AssessmentFailureRecord {
  return {
    ...failure,
    failures: (previous?.failures ?? 0) + 1,
    firstFailedAt: previous?.firstFailedAt ?? failure.failedAt,
  };
}
