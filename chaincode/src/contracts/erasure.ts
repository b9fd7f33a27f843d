import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  assertConsignmentErasure,
  assertPartyErasure,
  ErasureSubject,
  orderProofRefusal,
  personalPaths,
  redactedKey,
  redactLeaves,
  roleInOrder,
  type ErasureRecord,
  type ErasureSubject as Subject,
  type RedactedEnvelope,
} from '../domain/erasure';
import { verifyDisclosure, type DisclosurePackage, type HeldLeaf } from '../domain/merkle';
import { assertAllowed } from '../domain/roles';
import { parseJsonWith, type PartyKind } from '../domain/schemas';
import { readAccessRecord } from './access-records';
import { loadVisibleConsignment } from './consignment-state';
import {
  KeyType,
  compositeKey,
  emitEvent,
  listByPartialKey,
  putJson,
  putPrivateJson,
  readJson,
  resolveCaller,
  result,
  transientBytes,
  txTime,
  type Caller,
} from './context';
import {
  erasureMarkKey,
  heldConsignmentRecord,
  heldPartyRegistration,
  heldReferralAnswer,
  readHeldLeaves,
  type HeldLeaves,
  type HeldRecord,
} from './private-records';
import type { DecisionRecord, PartyRegistration, ReferralAnswerRecord, SubmissionRecord } from './records';

@Info({
  title: 'ErasureContract',
  description:
    'Purges a party’s personal data from private collections at the end of its retention period or on a lawful request; hashes, commitments and the fact of the purge remain',
})
export class ErasureContract extends Contract {
  constructor() {
    super('erasure');
  }

  /**
   * Transient 'subject' (domain/erasure.ts ErasureSubject). The caller erases what it holds as
   * controller in its own collection with customs (customs' copy is the same key, so it goes too):
   * the party's registration, or one consignment's records after checking that the consignment's
   * order names the party. Each record keeps a redacted version (hashes of erased fields, values
   * and salts of the others, no salt seed) under a new key; the original key is purged.
   */
  @Transaction()
  @Returns('string')
  public async erase(ctx: Context): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('erasePersonalData', caller);
    const subject = parseJsonWith(ErasureSubject, 'erasure subject', transientBytes(ctx, 'subject'));
    const now = txTime(ctx);
    const marks: ErasureRecord[] = [];
    let subjectId: string;
    if (subject.target.type === 'party') {
      subjectId = subject.partyId;
      const registration = await readJson<PartyRegistration>(
        ctx,
        compositeKey(ctx, KeyType.party, [subject.partyId, caller.mspId]),
      );
      if (!registration) throw new Error(`party ${subject.partyId} is not registered by ${caller.mspId}`);
      assertPartyErasure(subject.reason, now, registration);
      const held = heldPartyRegistration(registration);
      const mark = await this.redact(ctx, caller, held, personalPaths('party', registration.kind), subject);
      if (mark) marks.push(mark);
    } else {
      const consignment = await loadVisibleConsignment(ctx, caller, subject.target.consignmentId);
      subjectId = consignment.consignmentId;
      const records = await listByPartialKey<SubmissionRecord>(ctx, KeyType.record, [subjectId]);
      const mine = records.filter((r) => r.submittedBy === caller.mspId);
      if (mine.length === 0) {
        throw new Error(`consignment ${subjectId} holds no record submitted by ${caller.mspId} to erase`);
      }
      const decisions = await listByPartialKey<DecisionRecord>(ctx, KeyType.decision, [subjectId]);
      const releasedAt = decisions
        .filter((d) => d.decision === 'release')
        .map((d) => d.decidedAt)
        .sort()
        .at(-1);
      assertConsignmentErasure(subject.reason, now, {
        consignmentId: subjectId,
        status: consignment.status,
        statusSince: consignment.updatedAt,
        ...(releasedAt ? { releasedAt } : {}),
      });
      const { role, heldOrder } = await this.roleOfParty(ctx, caller, subject, records);
      for (const record of mine) {
        const held = heldConsignmentRecord(record);
        const paths = personalPaths(record.kind, role);
        const read = record.kind === 'order' ? heldOrder : undefined;
        const mark = await this.redact(ctx, caller, held, paths, subject, read);
        if (mark) marks.push(mark);
      }
      const answers = await listByPartialKey<ReferralAnswerRecord>(ctx, KeyType.referralAnswer, [subjectId]);
      for (const answer of answers.filter((a) => a.answeredBy === caller.mspId)) {
        const mark = await this.redact(
          ctx,
          caller,
          heldReferralAnswer(answer),
          personalPaths('referral_answer', role),
          subject,
        );
        if (mark) marks.push(mark);
      }
    }
    if (marks.length === 0) {
      throw new Error(
        `${subject.target.type === 'party' ? `the registration of party ${subject.partyId}` : `the records of consignment ${subjectId}`} held by ${caller.mspId} hold no personal data of party ${subject.partyId} left to erase (already erased, or none of its fields are in them)`,
      );
    }
    // Consignment erasures reach the consignment's participants; a registration's, its registrant.
    emitEvent(ctx, 'PersonalDataErased', {
      ...(subject.target.type === 'party' ? { partyId: subjectId } : { consignmentId: subjectId }),
      records: marks.map(markedRecord),
      reason: subject.reason,
      mspId: caller.mspId,
    });
    return result({
      subjectType: subject.target.type,
      subjectId,
      erased: marks.map((m) => ({ ...markedRecord(m), paths: m.erasures.at(-1)?.paths ?? [] })),
      txId: ctx.stub.getTxID(),
    });
  }

  /**
   * The party's role in the consignment's order: from the order itself when the caller holds it,
   * else from a disclosure of /buyer/id or /seller/id checked against the order's public commitment
   * and against its access record: the platform's disclosure for purpose data_subject_request.
   * With the order's leaves as read, when the caller holds it (it redacts them next).
   */
  private async roleOfParty(
    ctx: Context,
    caller: Caller,
    subject: Subject,
    records: readonly SubmissionRecord[],
  ): Promise<{ role: PartyKind; heldOrder?: HeldLeaves }> {
    const target = subject.target as Extract<Subject['target'], { type: 'consignment' }>;
    const id = target.consignmentId;
    const order = records.find((r) => r.kind === 'order');
    if (!order) throw new Error(`consignment ${id} has no order record naming its buyer and seller`);
    let leaves: readonly HeldLeaf[];
    let heldOrder: HeldLeaves | undefined;
    if (order.submittedBy === caller.mspId) {
      heldOrder = await readHeldLeaves(ctx, heldConsignmentRecord(order));
      leaves = heldOrder.leaves;
    } else {
      if (!target.orderProof) {
        throw new Error(
          `erasure of records of consignment ${id} needs an orderProof: a disclosure of /buyer/id or /seller/id of its order by ${order.submittedBy}, for purpose data_subject_request, with the transaction that recorded it`,
        );
      }
      const proof = target.orderProof;
      const refusal = orderProofRefusal(
        id,
        proof,
        await readAccessRecord(ctx, 'consignment', id, proof.accessTxId),
      );
      if (refusal) throw new Error(refusal);
      const disclosure = proof.disclosure as DisclosurePackage;
      const verdict = verifyDisclosure(disclosure, { root: order.root, leafCount: order.leafCount });
      if (!verdict.ok) throw new Error(`orderProof of consignment ${id} does not verify: ${verdict.reason}`);
      leaves = disclosure.fields;
    }
    const role = roleInOrder(leaves, subject.partyId);
    if (!role) {
      // A proof shows only the fields it discloses: the order may name the party where it does not look.
      throw new Error(
        heldOrder
          ? `the order of consignment ${id} does not name party ${subject.partyId}`
          : `the orderProof of consignment ${id} discloses no /buyer/id or /seller/id that is party ${subject.partyId}`,
      );
    }
    return heldOrder ? { role, heldOrder } : { role };
  }

  /**
   * Erases the subject's fields of one record: writes the next redacted version under a new key,
   * purges the key that held them, and updates the public mark. Undefined when nothing was left.
   * `read`: the record's leaves, when this transaction has read them already.
   */
  private async redact(
    ctx: Context,
    caller: Caller,
    held: HeldRecord,
    paths: readonly string[],
    subject: Subject,
    read?: HeldLeaves,
  ): Promise<ErasureRecord | undefined> {
    if (paths.length === 0) return undefined;
    const { leaves, key, mark, steps } = read ?? (await readHeldLeaves(ctx, held));
    const redaction = redactLeaves(leaves, paths);
    if (!redaction) return undefined;
    const txId = ctx.stub.getTxID();
    const at = txTime(ctx);
    const version = (mark?.redactedVersion ?? 0) + 1;
    const envelope: RedactedEnvelope = {
      root: held.root,
      leafCount: held.leafCount,
      leaves: redaction.leaves,
      erasures: [...steps, { erasedAt: at, txId, reason: subject.reason, paths: redaction.erased }],
    };
    await putPrivateJson(ctx, held.collection, redactedKey(held.originalKey, version), envelope);
    await ctx.stub.purgePrivateData(held.collection, key);
    const updated: ErasureRecord = {
      subjectType: held.subjectType,
      subjectId: held.subjectId,
      recordKind: held.recordKind,
      ...(held.recordTxId === undefined ? {} : { recordTxId: held.recordTxId }),
      holder: caller.mspId,
      collection: held.collection,
      root: held.root,
      leafCount: held.leafCount,
      erasedPaths: [...new Set([...(mark?.erasedPaths ?? []), ...redaction.erased])],
      redactedVersion: version,
      erasures: [
        ...(mark?.erasures ?? []),
        {
          txId,
          at,
          reason: subject.reason,
          ...(subject.reference ? { reference: subject.reference } : {}),
          erasedBy: caller.mspId,
          userId: caller.userId,
          paths: redaction.erased,
        },
      ],
      txId,
    };
    await putJson(ctx, erasureMarkKey(ctx, held), updated);
    return updated;
  }
}

/** Which record a mark is of: its kind, and for a referral answer the transaction that wrote it. */
function markedRecord(mark: ErasureRecord): { recordKind: string; recordTxId?: string } {
  return {
    recordKind: mark.recordKind,
    ...(mark.recordTxId === undefined ? {} : { recordTxId: mark.recordTxId }),
  };
}
