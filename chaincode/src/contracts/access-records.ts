import type { Context } from 'fabric-contract-api';

import { ACCESS_VALID_MINUTES, accessRefusal, type ReadForm, type ReadTarget } from '../domain/access';
import { ASSESSMENT_READS } from '../domain/customs';
import { describeRecord } from '../domain/erasure';
import { assertPurpose, type Purpose } from '../domain/purposes';
import type { RecordKind, SubjectType } from '../domain/schemas';
import { compositeKey, emitEvent, KeyType, putJson, readJson, txTime, type Caller } from './context';
import type { HeldRecord } from './private-records';
import type { AccessRecord, AssessmentReads, CustomsSeal } from './records';

/*
 * Every function that hands out personal data (a private payload or its salt seed, a disclosure
 * package, a referral answer, a watch-list flag) takes the id of the transaction that committed
 * its access record, and hands it out only to the user that record names, for the record it names,
 * within ACCESS_VALID_MINUTES. The recording transaction refuses whatever the read would refuse,
 * so a refused read leaves nothing on the access log, and no application holding a member's
 * identity can read around the log by calling the chaincode itself.
 */

/** A transaction that reads one record writes one access record, under the record's subject. */
function accessKey(ctx: Context, subjectType: SubjectType, subjectId: string, txId: string): string {
  return compositeKey(ctx, KeyType.access, [subjectType, subjectId, txId]);
}

/** What an access record names of a private record: the record, and which one where there are several. */
export function targetOf(held: HeldRecord): ReadTarget {
  return {
    subjectType: held.subjectType,
    subjectId: held.subjectId,
    recordKind: held.recordKind,
    ...(held.recordTxId === undefined ? {} : { recordTxId: held.recordTxId }),
  };
}

/**
 * Commits the access record of a read the caller is about to make (with `fields`, a disclosure of
 * those fields), and this transaction's PersonalDataAccessed event.
 */
export async function commitAccessRecord(
  ctx: Context,
  caller: Caller,
  target: ReadTarget,
  purpose: Purpose,
  fields?: readonly string[],
): Promise<AccessRecord> {
  const recordTxId = target.recordTxId === undefined ? {} : { recordTxId: target.recordTxId };
  const disclosed = fields === undefined ? {} : { fields };
  const access: AccessRecord = {
    subjectType: target.subjectType,
    subjectId: target.subjectId,
    recordKind: target.recordKind,
    ...recordTxId,
    purpose,
    mspId: caller.mspId,
    userId: caller.userId,
    at: txTime(ctx),
    txId: ctx.stub.getTxID(),
    ...disclosed,
  };
  await putJson(ctx, accessKey(ctx, access.subjectType, access.subjectId, access.txId), access);
  emitEvent(ctx, 'PersonalDataAccessed', {
    subjectType: access.subjectType,
    subjectId: access.subjectId,
    recordKind: access.recordKind,
    ...recordTxId,
    purpose,
    mspId: caller.mspId,
    ...disclosed,
  });
  return access;
}

/** A read that hands out personal data, as its refusals name it. */
export interface BoundRead {
  readonly target: ReadTarget;
  readonly form: ReadForm;
  /** What is read, in words ("the order record of consignment …"). */
  readonly what: string;
  /** The transaction that records such a read, which a refusal tells the caller to submit. */
  readonly recordedBy: string;
}

/** A read (or disclosure) of a private record, recorded by `recordedBy`. */
export function boundRead(held: HeldRecord, recordedBy: string, form: ReadForm = 'read'): BoundRead {
  return { target: targetOf(held), form, what: describeRecord(held), recordedBy };
}

const TX_ID = /^[0-9a-f]{64}$/;

/** The access record transaction `txId` wrote on the subject's log, if it wrote one. */
export async function readAccessRecord(
  ctx: Context,
  subjectType: SubjectType,
  subjectId: string,
  txId: string,
): Promise<AccessRecord | undefined> {
  return TX_ID.test(txId)
    ? readJson<AccessRecord>(ctx, accessKey(ctx, subjectType, subjectId, txId))
    : undefined;
}

/**
 * The committed access record (transaction accessTxId) that lets the caller make this read now,
 * or a refusal saying how to get one.
 */
export async function requireRecordedAccess(
  ctx: Context,
  caller: Caller,
  read: BoundRead,
  accessTxId: string,
): Promise<AccessRecord> {
  const { target } = read;
  const access = await readAccessRecord(ctx, target.subjectType, target.subjectId, accessTxId);
  const refusal = accessRefusal(access, {
    target,
    form: read.form,
    mspId: caller.mspId,
    userId: caller.userId,
    at: txTime(ctx),
  });
  if (refusal === undefined) return access!;
  const recording = `${read.form} of ${read.what}`;
  if (refusal === 'stale') {
    throw new Error(
      `the ${recording} recorded by transaction ${accessTxId} is more than ${ACCESS_VALID_MINUTES} minutes old; record it again (${read.recordedBy}) and pass the new transaction's id`,
    );
  }
  throw new Error(
    `transaction '${accessTxId}' recorded no ${recording} by this user; record it first (${read.recordedBy}, under a purpose) and pass that transaction's id`,
  );
}

/*
 * Access records that cannot be keys of their own.
 *
 * customs:assess reads the order, payment, logistics and declaration records from collections of
 * which customs alone is a member, so customs' peer alone can endorse it. A public key it created
 * would be validated against the chaincode-level policy (any two organisations' peers; a key-level
 * policy set in the same transaction governs only later writes: FABRIC-SEMANTICS 11a, 11f), so it
 * cannot write access records under KeyType.access. It writes them where it can: in the version of
 * the consignment's customs seal it writes anyway (a key-level policy naming customs), as
 * `assessmentReads`, one entry per record read and purpose. A seal version carries on the reads of
 * the assessment before it (decisions rewrite the seal), so a version's reads are the access records
 * of the transaction that wrote that version only. consignment:accessLog and provenance:history list
 * them, from the seal's history, with the access records under KeyType.access.
 */

/** The reads of this assessment transaction, for the seal it writes. */
export function assessmentReads(
  ctx: Context,
  caller: Caller,
  at: string,
  records: readonly { readonly kind: RecordKind }[],
): AssessmentReads {
  return {
    txId: ctx.stub.getTxID(),
    at,
    mspId: caller.mspId,
    userId: caller.userId,
    reads: records.flatMap((r) =>
      ASSESSMENT_READS[r.kind].map((purpose) => ({
        recordKind: r.kind,
        purpose: assertPurpose(purpose, caller),
      })),
    ),
  };
}

/** The access records a seal version holds: none unless that version's transaction assessed. */
export function accessRecordsOfSealVersion(seal: CustomsSeal, versionTxId: string): AccessRecord[] {
  const reads = seal.assessmentReads;
  if (reads === undefined || reads.txId !== versionTxId) return [];
  return reads.reads.map((r) => ({
    subjectType: 'consignment',
    subjectId: seal.consignmentId,
    recordKind: r.recordKind,
    purpose: r.purpose,
    mspId: reads.mspId,
    userId: reads.userId,
    at: reads.at,
    txId: reads.txId,
  }));
}

/** Every assessment's access records on a consignment, from its seal's history (evaluate). */
export async function assessmentAccessRecords(ctx: Context, consignmentId: string): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  const key = compositeKey(ctx, KeyType.customsSeal, [consignmentId]);
  for await (const modification of ctx.stub.getHistoryForKey(key)) {
    if (modification.isDelete || modification.value.length === 0) continue;
    const seal = JSON.parse(Buffer.from(modification.value).toString('utf8')) as CustomsSeal;
    out.push(...accessRecordsOfSealVersion(seal, modification.txId));
  }
  return out;
}
