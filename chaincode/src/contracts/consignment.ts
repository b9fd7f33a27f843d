import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';

import { accessLogWalk } from '../domain/access';
import { assertNotLaterThanTransaction } from '../domain/clock';
import { traderCollection, type OrgRole } from '../domain/collections';
import {
  bindParticipant,
  claimReusable,
  collectionMembers,
  mergeJoinKeys,
  participantsAtCreation,
  participantsOf,
  payloadJoinKeys,
  slotFor,
  uniquenessClaims,
  unknownConsignment,
} from '../domain/consignment';
import { commitPayload, discloseLeaves } from '../domain/merkle';
import { nextRecordVersion } from '../domain/history';
import { assertDisclosable } from '../domain/minimisation';
import { PageRequest, pageOf } from '../domain/pages';
import { assertPurpose } from '../domain/purposes';
import { assertDeliveryPlace, assertNotGoingBack } from '../domain/returns';
import { assertAllowed, seesEveryOrganisation, type Action } from '../domain/roles';
import {
  BatchOperations,
  ConsignmentId,
  CreateConsignment,
  Decision,
  DisclosurePaths,
  Movement,
  PartyId,
  parseJsonWith,
  parseWith,
  recordKinds,
  SubjectType,
  type BatchFunction,
  type RecordKind,
} from '../domain/schemas';
import {
  assessmentAccessRecords,
  boundRead,
  commitAccessRecord,
  requireRecordedAccess,
  targetOf,
} from './access-records';
import { BatchConflict, BatchWrites } from './batch-context';
import { consignmentKey, loadConsignment, loadVisibleConsignment, updateStatus } from './consignment-state';
import { automaticDecision } from './customs';
import type { ErasureRecord } from '../domain/erasure';
import { assertNotErased, heldConsignmentRecord, minimisedEnvelope, readHeldLeaves } from './private-records';
import type { ReturnRecord } from './returns';
import {
  assertDeclared,
  assertInCustody,
  assertScanOrder,
  nextStatus,
  recordsLocked,
  type ConsignmentStatus,
} from '../domain/state-machine';
import {
  KeyType,
  compositeKey,
  emitEvent,
  listByPartialKey,
  privateKey,
  putJson,
  putPrivateJson,
  readJson,
  resolveCaller,
  result,
  transientPayload,
  txTime,
  type Caller,
  readOrganisation,
} from './context';
import {
  byTimeThenTx,
  type AccessRecord,
  type BatchEvents,
  type BatchOutcome,
  type ConsignmentRecord,
  type CustomsSeal,
  type DecisionRecord,
  type MovementRecord,
  type PartyRegistration,
  type PrivateEnvelope,
  type SubmissionRecord,
  type UniquenessRecord,
} from './records';

const submitAction: Record<RecordKind, Action> = {
  order: 'submitOrder',
  payment: 'submitPayment',
  logistics: 'submitLogistics',
  declaration: 'submitDeclaration',
};

@Info({
  title: 'ConsignmentContract',
  description:
    'Cross-border e-commerce consignments: order, payment, logistics and declaration records, movements, decisions and personal-data access records',
})
export class ConsignmentContract extends Contract {
  constructor() {
    super('consignment');
  }

  /**
   * joinKeysJson: {orderNumber?, trackingNumber?, paymentTransactionId?, originCountry,
   * destinationCountry, platformMspId?, carrierMspId?, paymentMspId?}: the join keys, and the
   * organisations the creator names for the other parts, each bound from creation.
   */
  @Transaction()
  @Returns('string')
  public async create(ctx: Context, consignmentId: string, joinKeysJson: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('createConsignment', caller);
    const id = parseWith(ConsignmentId, 'consignmentId', consignmentId);
    const { platformMspId, carrierMspId, paymentMspId, ...joinKeys } = parseJsonWith(
      CreateConsignment,
      'joinKeys',
      joinKeysJson,
    );
    // The creator takes its own part, and the organisations it names theirs; the parts it leaves
    // unnamed are taken by proof of a link (bindParticipant).
    const named = { platformMspId, carrierMspId, paymentMspId };
    const roles = new Map<string, OrgRole | undefined>();
    for (const mspId of new Set(Object.values(named))) {
      if (mspId === undefined || mspId === caller.mspId) continue;
      roles.set(mspId, (await readOrganisation(ctx, caller.network, mspId))?.role);
    }
    const { participants, pendingClaims } = participantsAtCreation(caller, named, (mspId) =>
      mspId === caller.mspId ? caller.role : roles.get(mspId),
    );
    const key = consignmentKey(ctx, id);
    if (await readJson<ConsignmentRecord>(ctx, key)) throw new Error(`consignment ${id} already exists`);
    const now = txTime(ctx);
    const record: ConsignmentRecord = {
      consignmentId: id,
      status: 'created',
      ...participants,
      ...(pendingClaims.length > 0 ? { pendingClaims } : {}),
      joinKeys,
      createdBy: caller.mspId,
      createdAt: now,
      updatedAt: now,
      txId: ctx.stub.getTxID(),
    };
    await this.claimJoinKeys(ctx, record);
    await putJson(ctx, key, record);
    await this.createCustomsSeal(ctx, id, caller.network.customsMspId);
    // The named organisations join the consignment here (the gateway's event filter learns them from it).
    const others = Object.fromEntries(
      Object.entries(participants).filter(([, mspId]) => mspId !== caller.mspId),
    );
    emitEvent(ctx, 'ConsignmentCreated', {
      consignmentId: id,
      status: record.status,
      createdBy: caller.mspId,
      ...(Object.keys(others).length > 0 ? { named: others } : {}),
      originCountry: joinKeys.originCountry,
      destinationCountry: joinKeys.destinationCountry,
    });
    return result(record);
  }

  /** Transient 'payload' (OrderPayload) and 'saltSeed'. Returns the public record summary, never the payload. */
  @Transaction()
  @Returns('string')
  public async submitOrder(ctx: Context, consignmentId: string): Promise<string> {
    return this.submit(ctx, consignmentId, 'order');
  }

  /** Transient 'payload' (PaymentPayload) and 'saltSeed'. */
  @Transaction()
  @Returns('string')
  public async submitPayment(ctx: Context, consignmentId: string): Promise<string> {
    return this.submit(ctx, consignmentId, 'payment');
  }

  /** Transient 'payload' (LogisticsPayload) and 'saltSeed'. */
  @Transaction()
  @Returns('string')
  public async submitLogistics(ctx: Context, consignmentId: string): Promise<string> {
    return this.submit(ctx, consignmentId, 'logistics');
  }

  /** Transient 'payload' (DeclarationPayload) and 'saltSeed'. */
  @Transaction()
  @Returns('string')
  public async submitDeclaration(ctx: Context, consignmentId: string): Promise<string> {
    return this.submit(ctx, consignmentId, 'declaration');
  }

  /** movementJson: {type: dispatched|arrived|delivered|exited, location (UN/LOCODE), occurredAt?}. */
  @Transaction()
  @Returns('string')
  public async recordMovement(ctx: Context, consignmentId: string, movementJson: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('recordMovement', caller);
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    // A carrier takes part in a consignment only as its carrier.
    if (consignment.carrierMspId !== caller.mspId) throw unknownConsignment(id, caller);
    const movement = parseJsonWith(Movement, 'movement', movementJson);
    if (movement.occurredAt !== undefined) {
      assertNotLaterThanTransaction('invalid movement: /occurredAt', movement.occurredAt, txTime(ctx));
    }
    const statusAfter = nextStatus(consignment.status, movement.type, id);
    const scans = await listByPartialKey<MovementRecord>(ctx, KeyType.movement, [id]);
    assertScanOrder(
      movement.type,
      scans.map((m) => m.type),
      id,
    );
    if (movement.type === 'delivered') {
      assertDeliveryPlace(movement.location, consignment.joinKeys.destinationCountry);
      assertNotGoingBack(id, await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [id]));
    }
    const record: MovementRecord = {
      consignmentId: id,
      type: movement.type,
      location: movement.location,
      occurredAt: movement.occurredAt,
      recordedBy: caller.mspId,
      recordedAt: txTime(ctx),
      statusBefore: consignment.status,
      statusAfter,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, compositeKey(ctx, KeyType.movement, [id, record.txId]), record);
    await updateStatus(ctx, consignment, statusAfter);
    emitEvent(ctx, 'MovementRecorded', {
      consignmentId: id,
      type: movement.type,
      location: movement.location,
      status: statusAfter,
    });
    return result(record);
  }

  /**
   * Many operations in one transaction, for throughput on Fabric, where a transaction's latency is
   * mostly block cutting. operationsJson: [{fn, args}], fn one of create, submitOrder, submitPayment,
   * submitLogistics, submitDeclaration, recordMovement, args as that transaction takes them; the
   * payload and salt seed of operation i travel as transient 'payload.<i>' and 'saltSeed.<i>'. Each
   * operation is checked exactly as its own transaction would be and is applied, refused (the
   * others stand) or deferred (it touched state an earlier operation wrote; submit it again in a
   * later transaction). The one event, BatchApplied, carries each applied operation's event.
   */
  @Transaction()
  @Returns('string')
  public async batch(ctx: Context, operationsJson: string): Promise<string> {
    const operations = parseJsonWith(BatchOperations, 'operations', operationsJson);
    const writes = new BatchWrites();
    const outcomes: BatchOutcome[] = [];
    const events: BatchEvents['events'][number][] = [];
    for (const [index, operation] of operations.entries()) {
      const staged = writes.stage(ctx, index);
      try {
        const value = await this.batchable[operation.fn].call(this, staged.ctx, ...operation.args);
        await staged.commit();
        outcomes.push({ index, status: 'applied', result: JSON.parse(value) as unknown });
        const event = staged.event;
        if (event)
          events.push({ index, name: event.name, payload: JSON.parse(event.payload.toString('utf8')) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({ index, status: error instanceof BatchConflict ? 'deferred' : 'refused', message });
      }
    }
    if (events.length > 0) emitEvent(ctx, 'BatchApplied', { events });
    return result({ outcomes });
  }

  private readonly batchable: Record<
    BatchFunction,
    (this: ConsignmentContract, ctx: Context, ...args: string[]) => Promise<string>
  > = {
    create: ConsignmentContract.prototype.create,
    submitOrder: ConsignmentContract.prototype.submitOrder,
    submitPayment: ConsignmentContract.prototype.submitPayment,
    submitLogistics: ConsignmentContract.prototype.submitLogistics,
    submitDeclaration: ConsignmentContract.prototype.submitDeclaration,
    recordMovement: ConsignmentContract.prototype.recordMovement,
  };

  /** decisionJson: {decision: release|hold|inspect|seize|return_to_sender|refer, reasonCodes: string[]}. */
  @Transaction()
  @Returns('string')
  public async recordDecision(ctx: Context, consignmentId: string, decisionJson: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('recordDecision', caller);
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const decision = parseJsonWith(Decision, 'decision', decisionJson);
    const statusAfter = nextStatus(consignment.status, decision.decision, id);
    if (decision.decision === 'seize') {
      const movements = await listByPartialKey<MovementRecord>(ctx, KeyType.movement, [id]);
      assertInCustody(
        decision.decision,
        movements.map((m) => m.type),
        id,
      );
    }
    const automatic = await automaticDecision(ctx, caller, id, decision.decision);
    if (decision.decision === 'release') {
      const declaration = await readJson<SubmissionRecord>(
        ctx,
        compositeKey(ctx, KeyType.record, [id, 'declaration']),
      );
      assertDeclared(decision.decision, declaration !== undefined, id);
    }
    const record: DecisionRecord = {
      consignmentId: id,
      decision: decision.decision,
      reasonCodes: decision.reasonCodes,
      decidedBy: caller.mspId,
      decidedAt: txTime(ctx),
      statusBefore: consignment.status,
      statusAfter,
      automatic,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, compositeKey(ctx, KeyType.decision, [id, record.txId]), record);
    await updateStatus(ctx, consignment, statusAfter);
    await this.updateCustomsSeal(ctx, id, record.txId, statusAfter);
    emitEvent(ctx, 'DecisionRecorded', {
      consignmentId: id,
      decision: decision.decision,
      reasonCodes: decision.reasonCodes,
      status: statusAfter,
      automatic,
    });
    return result(record);
  }

  /**
   * Created with the consignment (under the chaincode-level policy, like any new key) and from then
   * on changeable only with the customs peer's endorsement (FABRIC-SEMANTICS rows 11a–11g).
   */
  private async createCustomsSeal(ctx: Context, id: string, customsMspId: string): Promise<void> {
    const key = compositeKey(ctx, KeyType.customsSeal, [id]);
    const seal: CustomsSeal = {
      consignmentId: id,
      customsMspId,
      decisions: 0,
      lastDecisionTxId: null,
      status: 'created',
    };
    await putJson(ctx, key, seal);
    const policy = new KeyEndorsementPolicy();
    policy.addOrgs('PEER', customsMspId);
    await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
  }

  private async updateCustomsSeal(
    ctx: Context,
    id: string,
    txId: string,
    status: ConsignmentStatus,
  ): Promise<void> {
    const key = compositeKey(ctx, KeyType.customsSeal, [id]);
    const seal = await readJson<CustomsSeal>(ctx, key);
    if (!seal) throw new Error(`consignment ${id} has no customs seal; it cannot take customs decisions`);
    await putJson(ctx, key, { ...seal, decisions: seal.decisions + 1, lastDecisionTxId: txId, status });
  }

  /** Public record, record summaries, movements and decisions, for participants, customs and auditors. */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const records = await listByPartialKey<SubmissionRecord>(ctx, KeyType.record, [id]);
    const movements = await listByPartialKey<MovementRecord>(ctx, KeyType.movement, [id]);
    const decisions = await listByPartialKey<DecisionRecord>(ctx, KeyType.decision, [id]);
    const erasures = await listByPartialKey<ErasureRecord>(ctx, KeyType.erasure, ['consignment', id]);
    return result({
      consignment,
      records,
      erasures,
      movements: movements.sort(byTimeThenTx((m) => m.recordedAt)),
      decisions: decisions.sort(byTimeThenTx((d) => d.decidedAt)),
    });
  }

  /**
   * Puts a read of one record's personal data on the consignment's access log, under a purpose the
   * caller's role has: getPrivateRecord then hands the record to this user. For members of the
   * record's collection (its submitter and customs); refused, and nothing recorded, wherever the
   * read would be refused: a consignment not visible, no such record, not a member, a record erased.
   */
  @Transaction()
  @Returns('string')
  public async recordAccess(
    ctx: Context,
    consignmentId: string,
    recordKind: string,
    purpose: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const allowedPurpose = assertPurpose(purpose, caller);
    const held = heldConsignmentRecord(await this.memberRecord(ctx, caller, consignmentId, recordKind));
    await assertNotErased(ctx, held);
    return result(await commitAccessRecord(ctx, caller, targetOf(held), allowedPurpose));
  }

  /**
   * The private payload of one record, less the fields the access record's purpose does not need,
   * for the user whose read of it recordAccess committed (accessTxId) less than
   * ACCESS_VALID_MINUTES ago; its salt seed when nothing is withheld (private-records.ts
   * minimisedEnvelope). Evaluate only: submitted, the result would land in a block.
   */
  @Transaction(false)
  @Returns('string')
  public async getPrivateRecord(
    ctx: Context,
    consignmentId: string,
    kind: string,
    accessTxId: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const record = await this.memberRecord(ctx, caller, consignmentId, kind);
    const held = heldConsignmentRecord(record);
    const access = await requireRecordedAccess(
      ctx,
      caller,
      boundRead(held, 'consignment:recordAccess'),
      accessTxId,
    );
    return result({ ...record, ...(await minimisedEnvelope(ctx, held, record.kind, access.purpose)) });
  }

  /**
   * Puts a selective disclosure of a record on the consignment's access log: which holder (its
   * submitter or customs) disclosed which fields, under which purpose. pathsJson: JSON pointers of
   * the fields, or of objects or arrays whose every field goes. getDisclosure then gives this user
   * the package. The access record names each field (leaf) the package reveals, so the log says
   * what left the collection, not only that it was read.
   *
   * The package is built here, from the leaves the collection holds, and only its field names are
   * kept: a request the package would be refused for (a path the record does not have, an erased
   * field) is refused before anything is recorded, and what is recorded is what getDisclosure will
   * reveal. So is a path the purpose may not see (domain/minimisation.ts: an excluded field, one
   * under an excluded object, or an object holding one), whoever calls: the gateway or not. The
   * public state could not tell: the record's fields are committed as a Merkle root alone. Reading
   * the collection makes its members (the holder and customs) the endorsers.
   */
  @Transaction()
  @Returns('string')
  public async recordDisclosure(
    ctx: Context,
    consignmentId: string,
    recordKind: string,
    purpose: string,
    pathsJson: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const allowedPurpose = assertPurpose(purpose, caller);
    const paths = parseJsonWith(DisclosurePaths, 'fields', pathsJson);
    const kind = this.parseRecordKind(recordKind);
    assertDisclosable(kind, allowedPurpose, paths);
    const held = heldConsignmentRecord(await this.memberRecord(ctx, caller, consignmentId, recordKind));
    const { fields } = discloseLeaves((await readHeldLeaves(ctx, held)).leaves, paths);
    const revealed = fields.map((field) => field.path);
    return result(await commitAccessRecord(ctx, caller, targetOf(held), allowedPurpose, revealed));
  }

  /**
   * The selective-disclosure package of the fields recordDisclosure recorded (accessTxId), for the
   * user who recorded it, less than ACCESS_VALID_MINUTES ago: each field's value, salt and Merkle
   * proof against the record's root, with the record's public summary. After an erasure the kept
   * fields are still disclosed, their proofs running through the erased fields' hashes.
   * Evaluate only.
   */
  @Transaction(false)
  @Returns('string')
  public async getDisclosure(
    ctx: Context,
    consignmentId: string,
    kind: string,
    accessTxId: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const record = await this.memberRecord(ctx, caller, consignmentId, kind);
    const held = heldConsignmentRecord(record);
    const read = boundRead(held, 'consignment:recordDisclosure', 'disclosure');
    const { fields } = await requireRecordedAccess(ctx, caller, read, accessTxId);
    const { leaves } = await readHeldLeaves(ctx, held);
    return result({ ...record, disclosure: discloseLeaves(leaves, fields!) });
  }

  /** A record of a consignment the caller may see, if the caller is a member of its collection. */
  private async memberRecord(
    ctx: Context,
    caller: Caller,
    consignmentId: string,
    kind: string,
  ): Promise<SubmissionRecord> {
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const record = await this.requireRecord(ctx, consignment.consignmentId, this.parseRecordKind(kind));
    if (!collectionMembers(record.submittedBy, caller.network.customsMspId).includes(caller.mspId)) {
      throw new Error(`${caller.mspId} is not a member of collection ${record.collection}`);
    }
    return record;
  }

  /**
   * A page of a subject's access records, oldest first: for those who can see the subject, customs
   * and auditors. pageJson: PageRequest. As a history page (provenance:history), a page bounds what
   * is returned, not what is read: the records are keyed by transaction, not time.
   */
  @Transaction(false)
  @Returns('string')
  public async accessLog(
    ctx: Context,
    subjectType: string,
    subjectId: string,
    pageJson: string,
  ): Promise<string> {
    const request = parseJsonWith(PageRequest, 'access log page', pageJson);
    const caller = await resolveCaller(ctx);
    const type = parseWith(SubjectType, 'subjectType', subjectType);
    const seesAll = seesEveryOrganisation(caller.role);
    let id: string;
    if (type === 'consignment') {
      id = (await loadVisibleConsignment(ctx, caller, subjectId)).consignmentId;
    } else {
      id = parseWith(PartyId, 'subjectId', subjectId);
      if (!seesAll) {
        const mine = await readJson<PartyRegistration>(
          ctx,
          compositeKey(ctx, KeyType.party, [id, caller.mspId]),
        );
        if (!mine) throw new Error(`access log of party ${id} is not visible to ${caller.mspId}`);
      }
    }
    let entries = await listByPartialKey<AccessRecord>(ctx, KeyType.access, [type, id]);
    // Customs' assessments keep theirs in the consignment's seal (access-records.ts).
    if (type === 'consignment') entries.push(...(await assessmentAccessRecords(ctx, id)));
    // A party's registrant sees its own reads: the others' would tell it who else holds the person.
    if (type === 'party' && !seesAll) {
      entries = entries.filter((e) => e.mspId === caller.mspId);
    }
    const page = pageOf(accessLogWalk(type, id), entries, request);
    return result({ subjectType: type, subjectId: id, ...page });
  }

  // ---------------------------------------------------------------- helpers (not transactions)

  private parseRecordKind(kind: string): RecordKind {
    if (!(recordKinds as readonly string[]).includes(kind)) {
      throw new Error(`invalid record kind '${kind}'; expected one of ${recordKinds.join(', ')}`);
    }
    return kind as RecordKind;
  }

  private async requireRecord(ctx: Context, id: string, kind: RecordKind): Promise<SubmissionRecord> {
    const record = await readJson<SubmissionRecord>(ctx, compositeKey(ctx, KeyType.record, [id, kind]));
    if (!record) throw new Error(`consignment ${id} has no ${kind} record`);
    return record;
  }

  /**
   * Claims the consignment's uniqueness keys, or takes over a tracking number whose earlier claim is
   * past its six months (claimReusable). Reading a key and then writing it means two concurrent
   * claims of the same order or tracking number collide on MVCC: exactly one commits.
   */
  private async claimJoinKeys(ctx: Context, consignment: ConsignmentRecord): Promise<void> {
    const { joinKeys, pendingClaims } = consignment;
    for (const claim of uniquenessClaims(participantsOf(consignment), joinKeys, pendingClaims)) {
      const key = compositeKey(ctx, claim.type, [claim.owner, claim.value]);
      const existing = await readJson<UniquenessRecord>(ctx, key);
      const free =
        existing === undefined ||
        (existing.consignmentId !== consignment.consignmentId &&
          claimReusable(claim.type, existing.claimedAt, txTime(ctx)));
      if (free) {
        const value: UniquenessRecord = {
          consignmentId: consignment.consignmentId,
          claimedAt: txTime(ctx),
          txId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, value);
      } else if (existing.consignmentId !== consignment.consignmentId) {
        throw new Error(
          `${claim.label} ${claim.value} of ${claim.owner} is already used by consignment ${existing.consignmentId}`,
        );
      }
    }
  }

  /** Rewrites the consignment only when its status changes, so a no-op scan does not conflict with others. */
  private async submit(ctx: Context, consignmentId: string, kind: RecordKind): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed(submitAction[kind], caller);
    // Before the consignment is read: a malformed payload is refused alike whether it exists or not.
    const { payload, saltSeed } = transientPayload(ctx, kind);
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const carried = payloadJoinKeys(kind, payload);
    // Who may write first: a stranger must not learn the consignment's status from the refusal.
    const bound = bindParticipant(consignment, slotFor(kind, caller.role), caller, carried);
    if (recordsLocked(consignment.status)) {
      throw new Error(`records of consignment ${id} cannot change in status '${consignment.status}'`);
    }
    const merged = mergeJoinKeys(consignment.joinKeys, carried, id, kind);

    const recordKey = compositeKey(ctx, KeyType.record, [id, kind]);
    const previous = await readJson<SubmissionRecord>(ctx, recordKey);
    if (previous && previous.submittedBy !== caller.mspId) {
      throw new Error(
        `the ${kind} record of consignment ${id} was submitted by ${previous.submittedBy}; only it may correct the record`,
      );
    }
    const version = nextRecordVersion(id, kind, previous?.version);
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    const commitment = commitPayload(payload, saltSeed);
    await putPrivateJson(ctx, collection, privateKey.record(kind, id), {
      payload,
      saltSeed,
    } satisfies PrivateEnvelope);
    const record: SubmissionRecord = {
      kind,
      consignmentId: id,
      submittedBy: caller.mspId,
      collection,
      root: commitment.root,
      leafCount: commitment.leafCount,
      submittedAt: txTime(ctx),
      version,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, recordKey, record);

    // Only a new participant or a newly filled join key rewrites the consignment, keeping
    // concurrent submissions by the three traders from colliding needlessly.
    if (bound.changed || merged.changed) {
      const { pendingClaims: _before, ...rest } = consignment;
      const updated: ConsignmentRecord = {
        ...rest,
        ...bound.participants,
        ...(bound.pendingClaims.length > 0 ? { pendingClaims: bound.pendingClaims } : {}),
        joinKeys: merged.joinKeys,
        updatedAt: record.submittedAt,
        txId: record.txId,
      };
      await this.claimJoinKeys(ctx, updated);
      await putJson(ctx, consignmentKey(ctx, id), updated);
    }
    emitEvent(ctx, 'RecordSubmitted', {
      consignmentId: id,
      kind,
      root: record.root,
      version: record.version,
      submittedBy: caller.mspId,
    });
    return result(record);
  }
}
