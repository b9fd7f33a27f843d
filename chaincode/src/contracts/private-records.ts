import type { Context } from 'fabric-contract-api';

import {
  describeRecord,
  erasedMessage,
  redactedKey,
  type ErasableRecord,
  type ErasureRecord,
  type RedactedEnvelope,
} from '../domain/erasure';
import { commitPayload, keptPayload, type HeldLeaf } from '../domain/merkle';
import { excludedFields, minimisedPayload, type PersonalRecord } from '../domain/minimisation';
import type { Purpose } from '../domain/purposes';
import { compositeKey, KeyType, privateKey, readJson, readPrivateJson } from './context';
import type { PartyRegistration, PrivateEnvelope, ReferralAnswerRecord, SubmissionRecord } from './records';

/**
 * A private record as its holder's collection keeps it: located by its public commitment, and
 * read either whole (the envelope the submitter wrote) or, after an erasure, as the redacted
 * version that replaced it.
 */
export interface HeldRecord {
  readonly subjectType: 'consignment' | 'party';
  /** The consignment id, or the party id for a registration. */
  readonly subjectId: string;
  readonly recordKind: ErasableRecord;
  /** The transaction that wrote it, for a kind a consignment holds several of (referral answers). */
  readonly recordTxId?: string;
  readonly collection: string;
  /** The organisation that submitted it: the collection's owner with customs. */
  readonly holder: string;
  readonly originalKey: string;
  readonly root: string;
  readonly leafCount: number;
}

export function heldConsignmentRecord(record: SubmissionRecord): HeldRecord {
  return {
    subjectType: 'consignment',
    subjectId: record.consignmentId,
    recordKind: record.kind,
    collection: record.collection,
    holder: record.submittedBy,
    originalKey: privateKey.record(record.kind, record.consignmentId),
    root: record.root,
    leafCount: record.leafCount,
  };
}

export function heldReferralAnswer(answer: ReferralAnswerRecord): HeldRecord {
  return {
    subjectType: 'consignment',
    subjectId: answer.consignmentId,
    recordKind: 'referral_answer',
    recordTxId: answer.txId,
    collection: answer.collection,
    holder: answer.answeredBy,
    originalKey: privateKey.referralAnswer(answer.consignmentId, answer.txId),
    root: answer.root,
    leafCount: answer.leafCount,
  };
}

export function heldPartyRegistration(registration: PartyRegistration): HeldRecord {
  return {
    subjectType: 'party',
    subjectId: registration.partyId,
    recordKind: 'party',
    collection: registration.collection,
    holder: registration.registeredBy,
    originalKey: privateKey.party(registration.partyId),
    root: registration.root,
    leafCount: registration.leafCount,
  };
}

/**
 * The envelope of a record as submitted, checked against its public commitment (what a reader is
 * given must be what was committed).
 */
export async function readCommittedEnvelope<P>(ctx: Context, held: HeldRecord): Promise<PrivateEnvelope<P>> {
  const envelope = await readEnvelope<P>(ctx, held);
  if (commitPayload(envelope.payload, envelope.saltSeed).root !== held.root) {
    throw new Error(`private data of ${describeRecord(held)} does not match its committed root`);
  }
  return envelope;
}

/**
 * What a purpose-bound read hands out of a record: its payload less the fields the purpose does not
 * need (domain/minimisation.ts). The whole envelope is checked against the record's committed root
 * first (readCommittedEnvelope), so what is handed out is part of what was committed; the reader
 * relies on that check, as it relies on the chaincode for the read itself. The salt seed goes with a
 * whole payload only, which its reader can check against the root again: beside a payload with
 * fields withheld the seed proves nothing the chaincode has not checked, and would let the reader
 * test guesses of the withheld values against the public root.
 */
export async function minimisedEnvelope(
  ctx: Context,
  held: HeldRecord,
  record: PersonalRecord,
  purpose: Purpose,
): Promise<{ readonly payload: unknown; readonly saltSeed?: string }> {
  const envelope = await readCommittedEnvelope(ctx, held);
  if (excludedFields(record, purpose).length === 0) return envelope;
  return { payload: minimisedPayload(record, purpose, envelope.payload) };
}

/** The public key of a record's erasure mark. */
export function erasureMarkKey(ctx: Context, held: HeldRecord): string {
  return compositeKey(ctx, KeyType.erasure, [
    held.subjectType,
    held.subjectId,
    held.recordKind,
    held.holder,
    ...(held.recordTxId === undefined ? [] : [held.recordTxId]),
  ]);
}

export async function readErasureMark(ctx: Context, held: HeldRecord): Promise<ErasureRecord | undefined> {
  return readJson<ErasureRecord>(ctx, erasureMarkKey(ctx, held));
}

/**
 * Refuses the recording of a read of a record an erasure has touched: its original is purged, so
 * the whole record cannot be handed out (readEnvelope refuses it). A registration made again since
 * is a new commitment, held whole again. Reading the mark puts it in the transaction's read set, so
 * an erasure that commits meanwhile fails the recording transaction (MVCC) and its retry lands here.
 */
export async function assertNotErased(ctx: Context, held: HeldRecord): Promise<void> {
  const mark = await readErasureMark(ctx, held);
  if (mark && mark.root === held.root) throw new Error(erasedMessage(mark));
}

/**
 * The envelope of a record as it was submitted. Where it is gone, says whether it was erased (the
 * gateway answers 410) or is simply not on this peer (a non-member, or a peer still reconciling).
 */
export async function readEnvelope<P>(ctx: Context, held: HeldRecord): Promise<PrivateEnvelope<P>> {
  const envelope = await readPrivateJson<PrivateEnvelope<P>>(ctx, held.collection, held.originalKey);
  if (envelope) return envelope;
  const mark = await readErasureMark(ctx, held);
  if (mark) throw new Error(erasedMessage(mark));
  throw new Error(`private data of ${describeRecord(held)} is not available on this peer`);
}

/**
 * The record's leaves as its collection holds them now: every value and salt of the original
 * envelope (checked against the committed root), or the latest redacted version's kept values
 * and erased fields' hashes. `key` is where they were read from, the key a further erasure purges.
 */
export interface HeldLeaves {
  readonly leaves: readonly HeldLeaf[];
  /** The private key that holds them: the original, or the latest redacted version. */
  readonly key: string;
  readonly mark: ErasureRecord | undefined;
  readonly steps: RedactedEnvelope['erasures'];
}

export async function readHeldLeaves(ctx: Context, held: HeldRecord): Promise<HeldLeaves> {
  const mark = await readErasureMark(ctx, held);
  const original = await readPrivateJson<PrivateEnvelope>(ctx, held.collection, held.originalKey);
  if (original) {
    const commitment = commitPayload(original.payload, original.saltSeed);
    if (commitment.root !== held.root) {
      throw new Error(`private data of ${describeRecord(held)} does not match its committed root`);
    }
    return { leaves: commitment.leaves, key: held.originalKey, mark, steps: [] };
  }
  return readRedactedLeaves(ctx, held, mark);
}

/**
 * A record's payload for a step that needs only fields an erasure keeps (goods, amounts,
 * currency): the payload as submitted or, once the original is purged, the kept fields of the
 * latest redacted version with the erased ones absent. The caller validates what it uses.
 */
export async function readKeptPayload(ctx: Context, held: HeldRecord): Promise<unknown> {
  const original = await readPrivateJson<PrivateEnvelope>(ctx, held.collection, held.originalKey);
  if (original) return original.payload;
  const { leaves } = await readRedactedLeaves(ctx, held, await readErasureMark(ctx, held));
  return keptPayload(leaves);
}

/** The latest redacted version of a record whose original key is gone. */
async function readRedactedLeaves(
  ctx: Context,
  held: HeldRecord,
  mark: ErasureRecord | undefined,
): Promise<HeldLeaves> {
  if (!mark) throw new Error(`private data of ${describeRecord(held)} is not available on this peer`);
  const key = redactedKey(held.originalKey, mark.redactedVersion);
  const redacted = await readPrivateJson<RedactedEnvelope>(ctx, held.collection, key);
  if (!redacted) throw new Error(`redacted data of ${describeRecord(held)} is not available on this peer`);
  return { leaves: redacted.leaves, key, mark, steps: redacted.erasures };
}
