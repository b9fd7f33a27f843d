import type { PublicAssessmentFailure } from '../domain/assessment-failure';
import type { ParticipantSlot, Participants } from '../domain/consignment';
import type { PublicAssessment } from '../domain/customs';
import type { ConsignmentStatus, DecisionEvent, MovementEvent } from '../domain/state-machine';
import type { Purpose } from '../domain/purposes';
import type { JoinKeys, PartyKind, RecordKind, SubjectType, VerificationLevel } from '../domain/schemas';

/*
 * Shapes of the values stored on the public state. None holds personal data: ids, statuses,
 * codes, and Merkle roots of the private payloads.
 */

export interface ConsignmentRecord extends Participants {
  readonly consignmentId: string;
  readonly status: ConsignmentStatus;
  readonly joinKeys: JoinKeys;
  /**
   * Parts its creator named whose organisation has written no record yet: their join keys are not
   * claimed in that organisation's name until it does (participantsAtCreation). Absent when none.
   */
  readonly pendingClaims?: readonly ParticipantSlot[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The transaction that last wrote this record. */
  readonly txId: string;
}

export interface SubmissionRecord {
  readonly kind: RecordKind;
  readonly consignmentId: string;
  readonly submittedBy: string;
  readonly collection: string;
  readonly root: string;
  readonly leafCount: number;
  readonly submittedAt: string;
  /** 1 for the first submission, +1 per correction. */
  readonly version: number;
  readonly txId: string;
}

export interface MovementRecord {
  readonly consignmentId: string;
  readonly type: MovementEvent;
  readonly location: string;
  readonly occurredAt?: string;
  readonly recordedBy: string;
  readonly recordedAt: string;
  readonly statusBefore: ConsignmentStatus;
  readonly statusAfter: ConsignmentStatus;
  readonly txId: string;
}

/** The customs-endorsed counterpart of a consignment: how many decisions, and the latest. */
export interface CustomsSeal {
  readonly consignmentId: string;
  readonly customsMspId: string;
  readonly decisions: number;
  readonly lastDecisionTxId: string | null;
  readonly status: ConsignmentStatus;
  /** The latest customs assessment's public part (customs:assess writes it). */
  readonly assessment?: PublicAssessment;
  /** A failure of customs' assessment since the latest one (customs:recordAssessmentFailure). */
  readonly assessmentFailure?: PublicAssessmentFailure;
  /** Customs decisions on returns of the consignment (returns:decide). */
  readonly returnDecisions?: number;
  readonly lastReturnDecisionTxId?: string;
  /**
   * The access records of the latest assessment's reads of personal data (access-records.ts): the
   * assessment, endorsed by customs alone, can write no access record key of its own.
   */
  readonly assessmentReads?: AssessmentReads;
}

/** Who read which records of a consignment in one assessment, and for which purpose each. */
export interface AssessmentReads {
  readonly txId: string;
  readonly at: string;
  readonly mspId: string;
  /** The reading customs user: its service identity, or the officer who asked for the assessment. */
  readonly userId: string;
  readonly reads: readonly { readonly recordKind: RecordKind; readonly purpose: Purpose }[];
}

export interface DecisionRecord {
  readonly consignmentId: string;
  readonly decision: DecisionEvent;
  readonly reasonCodes: readonly string[];
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly statusBefore: ConsignmentStatus;
  readonly statusAfter: ConsignmentStatus;
  /** Recorded by customs' service identity on a releasable assessment, with no officer. */
  readonly automatic?: boolean;
  readonly txId: string;
}

export interface UniquenessRecord {
  readonly consignmentId: string;
  readonly claimedAt: string;
  readonly txId: string;
}

export interface PartyRegistration {
  readonly partyId: string;
  readonly kind: PartyKind;
  readonly verificationLevel: VerificationLevel;
  readonly registeredBy: string;
  readonly collection: string;
  readonly root: string;
  readonly leafCount: number;
  readonly registeredAt: string;
  readonly version: number;
  readonly txId: string;
}

/** Customs' grant or withdrawal of authorised economic operator (AEO) status, in its own collection. */
interface AeoStatus {
  readonly trusted: boolean;
  readonly reference: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly txId: string;
}

/** A seller's (on the public state before 1.12). */
export interface TrustedTraderRecord extends AeoStatus {
  readonly partyId: string;
  /** The transaction that copied it from the public state (party:adoptTrustedTraders); txId is the public record's. */
  readonly adoptedTxId?: string;
}

/** The one copy of the public trusted-trader statuses of before 1.12 into customs' collection. */
export interface TrustedTraderAdoption {
  /** The party ids whose statuses were copied. */
  readonly adopted: readonly string[];
  /**
   * Public records not copied: the party's status had been set in customs' collection already, the
   * record was not of a status's shape, or it named another organisation than customs as its setter.
   */
  readonly skipped: readonly {
    readonly partyId: string;
    readonly reason: 'already_set' | 'malformed' | 'not_set_by_customs';
  }[];
  readonly adoptedBy: string;
  readonly adoptedAt: string;
  readonly txId: string;
}

/** A platform's or carrier's, in customs' own collection. */
export interface TrustedOperatorRecord extends AeoStatus {
  readonly mspId: string;
}

export interface AccessRecord {
  readonly subjectType: SubjectType;
  readonly subjectId: string;
  readonly recordKind: string;
  /**
   * For a kind a subject holds several of (a consignment's referral answers, a party's registrations,
   * one per platform): the transaction that wrote the one read.
   */
  readonly recordTxId?: string;
  readonly purpose: Purpose;
  readonly mspId: string;
  /** The reading user (x509::subject::issuer): accountability needs the person, not only the organisation. */
  readonly userId: string;
  readonly at: string;
  readonly txId: string;
  /**
   * A selective disclosure's fields (JSON pointers of the leaves its package revealed): what left
   * the holder's collection. Absent for a read of the record, which gets its purpose's fields.
   */
  readonly fields?: readonly string[];
}

/** What a private collection holds for a committed payload: enough to recompute every salt and the root. */
export interface PrivateEnvelope<P = unknown> {
  readonly payload: P;
  readonly saltSeed: string;
}

export interface FlagRecord {
  readonly partyId: string;
  readonly watchlisted: boolean;
  readonly reasonCode: string;
  readonly flaggedBy: string;
  readonly flaggedAt: string;
  readonly txId: string;
}

/** A trader's answer to a referral: its Merkle root; the answer itself is in the trader's collection with customs. */
export interface ReferralAnswerRecord {
  readonly consignmentId: string;
  readonly answeredBy: string;
  /** The referral (decision transaction) it answers. */
  readonly referralTxId: string | null;
  readonly collection: string;
  readonly root: string;
  readonly leafCount: number;
  readonly answeredAt: string;
  readonly txId: string;
}

/** What became of one operation of a batch transaction (in the transaction's result, so public). */
export type BatchOutcome =
  | { readonly index: number; readonly status: 'applied'; readonly result: unknown }
  | { readonly index: number; readonly status: 'refused'; readonly message: string }
  /** It touched state an earlier operation of the transaction wrote: run it in a later transaction. */
  | { readonly index: number; readonly status: 'deferred'; readonly message: string };

/** The payload of BatchApplied, the one event of a batch transaction: each applied operation's own event. */
export interface BatchEvents {
  readonly events: readonly { readonly index: number; readonly name: string; readonly payload: unknown }[];
  readonly txId: string;
}

/** Chronological order for append-only records keyed by txId (txIds are random). */
export function byTimeThenTx<T extends { readonly txId: string }>(
  time: (r: T) => string,
): (a: T, b: T) => number {
  return (a, b) =>
    time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : a.txId < b.txId ? -1 : a.txId > b.txId ? 1 : 0;
}
