import type { Context } from 'fabric-contract-api';

import { ASSESSMENT_READS } from '../domain/customs';
import { assertPurpose } from '../domain/purposes';
import type { RecordKind } from '../domain/schemas';
import { compositeKey, KeyType, type Caller } from './context';
import type { AccessRecord, AssessmentReads, CustomsSeal } from './records';

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
