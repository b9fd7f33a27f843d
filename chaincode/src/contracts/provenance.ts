import { createHash } from 'node:crypto';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import type { OrgRole } from '../domain/collections';
import type { PublicAssessment } from '../domain/customs';
import { participantsOf } from '../domain/consignment';
import type { ErasureRecord } from '../domain/erasure';
import { HistoryPageRequest, historyWalk } from '../domain/history';
import { pageOf } from '../domain/pages';
import { parseJsonWith, recordKinds, type RecordKind } from '../domain/schemas';
import { accessRecordsOfSealVersion } from './access-records';
import { loadVisibleConsignment } from './consignment-state';
import { KeyType, resolveCaller, result, readOrganisation, type NetworkRecord } from './context';
import type {
  AccessRecord,
  ConsignmentRecord,
  CustomsSeal,
  DecisionRecord,
  MovementRecord,
  ReferralAnswerRecord,
  SubmissionRecord,
} from './records';
import type { ReturnRecord } from './returns';

type KeyTypeName = (typeof KeyType)[keyof typeof KeyType];

/** Where a provenance entry's value lives on the public state: the composite key's parts. */
export interface StateKeyRef {
  readonly objectType: KeyTypeName;
  readonly attributes: readonly string[];
}

/**
 * One thing that happened to a consignment, as the ledger holds it: the transaction, its time,
 * the organisation (and its registered role) that wrote it, the state key it wrote and the
 * SHA-256 of the exact bytes written there, so an auditor can match the entry to the block.
 */
export interface ProvenanceEntry {
  readonly type: string;
  readonly at: string;
  readonly txId: string;
  readonly by: { readonly mspId: string; readonly role: OrgRole | 'unregistered'; readonly user?: string };
  readonly stateKey: StateKeyRef;
  readonly valueHash: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A value written to a key: its bytes (for the hash), parsed, and the writing transaction. */
interface Written<T> {
  readonly bytes: Uint8Array;
  readonly value: T;
  readonly txId: string;
  readonly at: string;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

@Info({
  title: 'ProvenanceContract',
  description: "A consignment's history across every record it has on the public state, by pages",
})
export class ProvenanceContract extends Contract {
  constructor() {
    super('provenance');
  }

  /**
   * A page of every version of every record of a consignment, oldest first by transaction time
   * (domain/history.ts): creation, each submission and correction of its order, payment, logistics
   * and declaration records, movements, customs assessments (and failures to assess) and
   * decisions, referral answers, personal-data accesses and erasures; or, with `record`, the
   * versions of that record alone.
   * pageJson: HistoryPageRequest. Visible to whoever may see the consignment; holds no personal
   * data (roots and hashes only).
   *
   * Fabric lets a page bound what is returned, not all that is read: a key's history comes newest
   * first and whole (GetHistoryForKey takes no start or page size), and the append-only records
   * are keyed by transaction id, not time, so no range starts at a cursor. Every page therefore
   * reads the consignment's keys; what it bounds is the hashing, the organisations' roles, the
   * answer and the gateway's block look-ups. What is read is bounded where it can be: a record has
   * at most MAX_RECORD_VERSIONS versions, and a walk of one record reads that record's key alone.
   */
  @Transaction(false)
  @Returns('string')
  public async history(ctx: Context, consignmentId: string, pageJson: string): Promise<string> {
    const request = parseJsonWith(HistoryPageRequest, 'history page', pageJson);
    const caller = await resolveCaller(ctx);
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const trail = new Trail(ctx, caller.network);
    if (request.record === undefined) await gatherAll(ctx, trail, id);
    else await gatherRecord(ctx, trail, id, request.record);
    const page = pageOf(historyWalk(id, request.record), trail.candidates, request);
    const entries: ProvenanceEntry[] = [];
    // One at a time, so that each organisation's role is read once.
    for (const candidate of page.entries) entries.push(await candidate.entry());
    return result({
      consignmentId: id,
      entries,
      hasMore: page.hasMore,
      next: page.next,
    });
  }
}

/** An entry as gathered: where it sorts, and how to make it if it is on the page. */
interface Candidate {
  readonly at: string;
  readonly txId: string;
  readonly entry: () => Promise<ProvenanceEntry>;
}

/** The entries of a history, each made (hashed, its writer's role read) only if it is on the page. */
class Trail {
  readonly candidates: Candidate[] = [];
  private readonly roles: RoleBook;
  constructor(ctx: Context, network: NetworkRecord) {
    this.roles = new RoleBook(ctx, network);
  }

  add(
    type: string,
    ref: StateKeyRef,
    written: Written<unknown>,
    mspId: string,
    detail: Record<string, unknown>,
    user?: string,
  ): void {
    this.candidates.push({
      at: written.at,
      txId: written.txId,
      entry: async () => ({
        type,
        at: written.at,
        txId: written.txId,
        by: { mspId, role: await this.roles.of(mspId), ...(user === undefined ? {} : { user }) },
        stateKey: ref,
        valueHash: sha256Hex(written.bytes),
        detail,
      }),
    });
  }
}

/** Every version of one record of the consignment. */
async function gatherRecord(ctx: Context, trail: Trail, id: string, kind: RecordKind): Promise<void> {
  const ref = { objectType: KeyType.record, attributes: [id, kind] };
  for (const v of await versionsOf<SubmissionRecord>(ctx, ref)) {
    trail.add(`${kind}_submitted`, ref, v, v.value.submittedBy, {
      version: v.value.version,
      root: v.value.root,
      leafCount: v.value.leafCount,
      collection: v.value.collection,
    });
  }
}

/** Everything that happened to the consignment, each transaction's entries in this order. */
async function gatherAll(ctx: Context, trail: Trail, id: string): Promise<void> {
  const consignmentRef = { objectType: KeyType.consignment, attributes: [id] };
  const versions = await versionsOf<ConsignmentRecord>(ctx, consignmentRef);
  const created = versions[0];
  if (created) {
    // The organisations its creator named for the other parts, bound from creation.
    const named = Object.fromEntries(
      Object.entries(participantsOf(created.value)).filter(
        ([, mspId]) => mspId !== undefined && mspId !== created.value.createdBy,
      ),
    );
    trail.add('created', consignmentRef, created, created.value.createdBy, {
      status: created.value.status,
      joinKeys: created.value.joinKeys,
      ...(Object.keys(named).length > 0 ? { named } : {}),
    });
  }

  for (const kind of recordKinds) await gatherRecord(ctx, trail, id, kind);

  for (const m of await appendOnly<MovementRecord>(ctx, KeyType.movement, [id], (m) => m.recordedAt)) {
    trail.add(`movement_${m.value.type}`, m.ref, m, m.value.recordedBy, {
      location: m.value.location,
      ...(m.value.occurredAt === undefined ? {} : { occurredAt: m.value.occurredAt }),
      statusBefore: m.value.statusBefore,
      statusAfter: m.value.statusAfter,
    });
  }

  const sealRef = { objectType: KeyType.customsSeal, attributes: [id] };
  let lastAssessment: number | undefined;
  const assessmentReads: { read: AccessRecord; version: Written<CustomsSeal> }[] = [];
  for (const v of await versionsOf<CustomsSeal>(ctx, sealRef)) {
    // Listed with the other personal-data reads below (access-records.ts).
    assessmentReads.push(
      ...accessRecordsOfSealVersion(v.value, v.txId).map((read) => ({ read, version: v })),
    );
    // Customs could not assess it (customs:recordAssessmentFailure): the version that failure wrote.
    const failure = v.value.assessmentFailure;
    if (failure !== undefined && failure.txId === v.txId) {
      trail.add('assessment_failed', sealRef, v, v.value.customsMspId, {
        code: failure.code,
        basis: failure.basis,
      });
    }
    const assessment: PublicAssessment | undefined = v.value.assessment;
    if (assessment === undefined || assessment.number === lastAssessment) continue;
    lastAssessment = assessment.number;
    trail.add('assessed', sealRef, v, v.value.customsMspId, {
      number: assessment.number,
      match: assessment.match.result,
      reasons: assessment.match.reasons,
      releasable: assessment.releasable,
      basis: assessment.basis,
    });
  }

  for (const d of await appendOnly<DecisionRecord>(ctx, KeyType.decision, [id], (d) => d.decidedAt)) {
    trail.add(`decision_${d.value.decision}`, d.ref, d, d.value.decidedBy, {
      reasonCodes: d.value.reasonCodes,
      statusBefore: d.value.statusBefore,
      statusAfter: d.value.statusAfter,
      automatic: d.value.automatic === true,
    });
  }

  for (const a of await appendOnly<ReferralAnswerRecord>(
    ctx,
    KeyType.referralAnswer,
    [id],
    (a) => a.answeredAt,
  )) {
    trail.add('referral_answered', a.ref, a, a.value.answeredBy, {
      referralTxId: a.value.referralTxId,
      root: a.value.root,
      leafCount: a.value.leafCount,
    });
  }

  for (const r of await appendOnly<ReturnRecord>(ctx, KeyType.return, [id], (r) => r.requestedAt)) {
    for (const v of await versionsOf<ReturnRecord>(ctx, r.ref)) {
      const by = RETURN_STEP_BY[v.value.step](v.value);
      trail.add(`return_${RETURN_STEP_TYPE[v.value.step]}`, r.ref, v, by, returnDetail(v.value));
    }
  }

  for (const { read, version } of assessmentReads) {
    trail.add(
      'personal_data_read',
      sealRef,
      version,
      read.mspId,
      { record: read.recordKind, purpose: read.purpose },
      read.userId,
    );
  }
  for (const a of await appendOnly<AccessRecord>(ctx, KeyType.access, ['consignment', id], (a) => a.at)) {
    trail.add(
      'personal_data_read',
      a.ref,
      a,
      a.value.mspId,
      {
        record: a.value.recordKind,
        ...(a.value.recordTxId === undefined ? {} : { recordTxId: a.value.recordTxId }),
        purpose: a.value.purpose,
        ...(a.value.fields === undefined ? {} : { fields: a.value.fields }),
      },
      a.value.userId,
    );
  }

  // A mark is rewritten by each erasure of its record: every version is one erasure.
  for (const m of await appendOnly<ErasureRecord>(ctx, KeyType.erasure, ['consignment', id], (m) => m.txId)) {
    for (const v of await versionsOf<ErasureRecord>(ctx, m.ref)) {
      const step = v.value.erasures.at(-1)!;
      trail.add(
        'personal_data_erased',
        m.ref,
        v,
        step.erasedBy,
        {
          record: v.value.recordKind,
          ...(v.value.recordTxId === undefined ? {} : { recordTxId: v.value.recordTxId }),
          fields: step.paths,
          reason: step.reason,
          ...(step.reference === undefined ? {} : { reference: step.reference }),
        },
        step.userId,
      );
    }
  }
}

const RETURN_STEP_TYPE: Record<ReturnRecord['step'], string> = {
  request: 'requested',
  ship: 'shipped',
  scan: 'scanned',
  refund: 'refunded',
  decide: 'decided',
};

/** Who wrote a version of a return, from what that step recorded. */
const RETURN_STEP_BY: Record<ReturnRecord['step'], (r: ReturnRecord) => string> = {
  request: (r) => r.requestedBy,
  ship: (r) => r.shipment!.carrierMspId,
  scan: (r) => r.proof!.scannedBy,
  refund: (r) => r.refund!.refundedBy,
  decide: (r) => r.decision!.decidedBy,
};

/** What each step of a return adds, for the trail. */
function returnDetail(r: ReturnRecord): Record<string, unknown> {
  const base = { returnId: r.returnId, status: r.status };
  switch (r.step) {
    case 'request':
      return {
        ...base,
        reason: r.reason,
        lines: r.lines,
        authorisation: r.authorisation,
        deadlines: r.deadlines,
      };
    case 'ship':
      return { ...base, trackingNumber: r.shipment!.trackingNumber };
    case 'scan':
      return { ...base, type: r.proof!.type, location: r.proof!.location };
    case 'refund':
      return { ...base, root: r.refund!.root, leafCount: r.refund!.leafCount };
    case 'decide': {
      const { decidedBy: _by, decidedAt: _at, ...decision } = r.decision!;
      return { ...base, ...decision };
    }
  }
}

/** Registered roles by MSP id, read once per organisation. */
class RoleBook {
  private readonly known = new Map<string, OrgRole | 'unregistered'>();
  constructor(
    private readonly ctx: Context,
    private readonly network: NetworkRecord,
  ) {}

  async of(mspId: string): Promise<OrgRole | 'unregistered'> {
    let role = this.known.get(mspId);
    if (role === undefined) {
      role = (await readOrganisation(this.ctx, this.network, mspId))?.role ?? 'unregistered';
      this.known.set(mspId, role);
    }
    return role;
  }
}

/** Every committed version of a key, oldest first (Fabric's history database answers newest first). */
async function versionsOf<T>(ctx: Context, ref: StateKeyRef): Promise<Written<T>[]> {
  const key = ctx.stub.createCompositeKey(ref.objectType, [...ref.attributes]);
  const out: Written<T>[] = [];
  for await (const modification of ctx.stub.getHistoryForKey(key)) {
    if (modification.isDelete || modification.value.length === 0) continue;
    const value = JSON.parse(Buffer.from(modification.value).toString('utf8')) as T;
    out.push({
      bytes: modification.value,
      value,
      txId: modification.txId,
      at: historyTime(modification.timestamp),
    });
  }
  return out.reverse();
}

/** Values of append-only keys (one write each, by the transaction named in the value). */
async function appendOnly<T extends { readonly txId: string }>(
  ctx: Context,
  objectType: KeyTypeName,
  prefix: string[],
  timeOf: (value: T) => string,
): Promise<(Written<T> & { readonly ref: StateKeyRef })[]> {
  const out: (Written<T> & { readonly ref: StateKeyRef })[] = [];
  for await (const kv of ctx.stub.getStateByPartialCompositeKey(objectType, prefix)) {
    if (kv.value.length === 0) continue;
    const value = JSON.parse(Buffer.from(kv.value).toString('utf8')) as T;
    const { attributes } = ctx.stub.splitCompositeKey(kv.key);
    out.push({
      bytes: kv.value,
      value,
      txId: value.txId,
      at: timeOf(value),
      ref: { objectType, attributes },
    });
  }
  return out;
}

/** The history database's timestamp is the transaction's, as txTime() records it elsewhere. */
function historyTime(timestamp: { seconds: number | { toNumber(): number }; nanos: number }): string {
  const seconds = typeof timestamp.seconds === 'number' ? timestamp.seconds : timestamp.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor(timestamp.nanos / 1e6)).toISOString();
}
