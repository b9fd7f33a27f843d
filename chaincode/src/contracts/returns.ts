import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { traderCollection } from '../domain/collections';
import { commitPayload } from '../domain/merkle';
import {
  assertBeforeDeadline,
  assertReturnable,
  assertStep,
  returnDeadlines,
  returnPolicyFor,
  ReturnDecision,
  ReturnRequest,
  ReturnScan,
  ReturnShipment,
  statusAfter,
  type ReturnDeadlines,
  type ReturnLine,
  type ReturnStatus,
  type ReturnStep,
} from '../domain/returns';
import { assertAllowed } from '../domain/roles';
import { ConsignmentId, parseJsonWith, parseWith, type OrderPayload } from '../domain/schemas';
import { loadConsignment, loadVisibleConsignment } from './consignment-state';
import {
  compositeKey,
  emitEvent,
  KeyType,
  listByPartialKey,
  privateKey,
  putJson,
  putPrivateJson,
  readJson,
  readPrivateJson,
  resolveCaller,
  result,
  transientPayload,
  txTime,
  type Caller,
} from './context';
import {
  byTimeThenTx,
  type ConsignmentRecord,
  type CustomsSeal,
  type DecisionRecord,
  type PrivateEnvelope,
  type SubmissionRecord,
  type UniquenessRecord,
} from './records';

/**
 * A return of some or all of a consignment's goods, on the public state: no personal data (the
 * refund itself is in the refunder's collection, committed here by its Merkle root). Rewritten at
 * each step; `step` names the step that wrote this version, so its history is the return's trail.
 */
export interface ReturnRecord {
  readonly consignmentId: string;
  readonly returnId: string;
  readonly status: ReturnStatus;
  readonly step: 'request' | ReturnStep;
  readonly reason: string;
  readonly lines: readonly ReturnLine[];
  readonly authorisation: string;
  readonly destinationCountry: string;
  readonly deadlines: ReturnDeadlines;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly shipment?: {
    readonly carrierMspId: string;
    readonly trackingNumber: string;
    readonly shippedAt: string;
  };
  readonly proof?: {
    readonly type: 'exited' | 'arrived_at_origin';
    readonly location: string;
    readonly country: string;
    readonly scannedBy: string;
    readonly scannedAt: string;
  };
  readonly refund?: {
    readonly refundedBy: string;
    readonly collection: string;
    readonly root: string;
    readonly leafCount: number;
    readonly recordedAt: string;
  };
  readonly decision?: ReturnDecision & { readonly decidedBy: string; readonly decidedAt: string };
  readonly updatedAt: string;
  /** The transaction that wrote this version. */
  readonly txId: string;
}

const ReturnIdArg = ReturnRequest.shape.returnId.unwrap();

@Info({
  title: 'ReturnsContract',
  description: 'Returns and refunds: request, return shipment, proof of exit, refund, customs decision',
})
export class ReturnsContract extends Contract {
  constructor() {
    super('returns');
  }

  /**
   * The consignment's platform requests a return of order lines, within the destination's request
   * deadline from release. Reads the order from the platform's collection (endorse with the
   * platform and customs, its members) to check the lines against it and the earlier returns.
   */
  @Transaction()
  @Returns('string')
  public async request(
    ctx: Context,
    consignmentId: string,
    returnId: string,
    requestJson: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('requestReturn', caller);
    const consignment = await loadConsignment(ctx, consignmentId);
    const id = consignment.consignmentId;
    if (consignment.platformMspId !== caller.mspId) {
      throw new Error(
        `only the platform of consignment ${id} (${consignment.platformMspId ?? 'none'}) may request its return`,
      );
    }
    const rid = parseWith(ReturnIdArg, 'returnId', returnId);
    const request = parseJsonWith(ReturnRequest, 'return request', requestJson);
    if (request.returnId !== undefined && request.returnId !== rid) {
      throw new Error(`returnId '${request.returnId}' in the request does not match '${rid}'`);
    }
    if (await readJson<ReturnRecord>(ctx, returnKey(ctx, id, rid)))
      throw new Error(`return ${rid} of consignment ${id} already exists`);
    const releasedAt = await releaseTime(ctx, consignment);
    const country = consignment.joinKeys.destinationCountry;
    const policy = returnPolicyFor(country);
    const deadlines = returnDeadlines(policy, releasedAt);
    const now = txTime(ctx);
    assertBeforeDeadline('request', deadlines, policy, country, now);

    const order = await this.order(ctx, caller, consignment);
    const earlier = await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [id]);
    assertReturnable(
      order.lines,
      earlier.flatMap((r) => r.lines),
      request.lines,
    );
    const record: ReturnRecord = {
      consignmentId: id,
      returnId: rid,
      status: 'requested',
      step: 'request',
      reason: request.reason,
      lines: request.lines,
      authorisation: request.authorisation,
      destinationCountry: country,
      deadlines,
      requestedBy: caller.mspId,
      requestedAt: now,
      updatedAt: now,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, returnKey(ctx, id, rid), record);
    emitEvent(ctx, 'ReturnRequested', {
      consignmentId: id,
      returnId: rid,
      reason: request.reason,
      deadlines,
    });
    return result(record);
  }

  /** A carrier takes the return: its new tracking number, unique for that carrier, links to the original. */
  @Transaction()
  @Returns('string')
  public async ship(
    ctx: Context,
    consignmentId: string,
    returnId: string,
    shipmentJson: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('shipReturn', caller);
    const current = await this.load(ctx, consignmentId, returnId);
    assertStep('ship', stateOf(current), current.returnId);
    const policy = returnPolicyFor(current.destinationCountry);
    assertBeforeDeadline('arrival', current.deadlines, policy, current.destinationCountry, txTime(ctx));
    const { trackingNumber } = parseJsonWith(ReturnShipment, 'return shipment', shipmentJson);
    const claim = compositeKey(ctx, KeyType.trackingNumber, [caller.mspId, trackingNumber]);
    const taken = await readJson<UniquenessRecord>(ctx, claim);
    if (taken) {
      throw new Error(
        `tracking number ${trackingNumber} of ${caller.mspId} is already used by consignment ${taken.consignmentId}`,
      );
    }
    const now = txTime(ctx);
    await putJson(ctx, claim, {
      consignmentId: current.consignmentId,
      claimedAt: now,
      txId: ctx.stub.getTxID(),
    } satisfies UniquenessRecord);
    const record = await this.advance(ctx, current, 'ship', {
      shipment: { carrierMspId: caller.mspId, trackingNumber, shippedAt: now },
    });
    emitEvent(ctx, 'ReturnShipped', {
      consignmentId: record.consignmentId,
      returnId: record.returnId,
      carrierMspId: caller.mspId,
      trackingNumber,
    });
    return result(record);
  }

  /**
   * The return's carrier records the proof the goods left: the exit scan in the destination country
   * or the arrival scan back in the country of origin, within the arrival deadline.
   */
  @Transaction()
  @Returns('string')
  public async scan(
    ctx: Context,
    consignmentId: string,
    returnId: string,
    scanJson: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('scanReturn', caller);
    const current = await this.load(ctx, consignmentId, returnId);
    if (current.shipment && current.shipment.carrierMspId !== caller.mspId) {
      throw new Error(
        `only the carrier of return ${current.returnId} (${current.shipment.carrierMspId}) may scan it`,
      );
    }
    assertStep('scan', stateOf(current), current.returnId);
    const policy = returnPolicyFor(current.destinationCountry);
    const now = txTime(ctx);
    assertBeforeDeadline('arrival', current.deadlines, policy, current.destinationCountry, now);
    const scan = parseJsonWith(ReturnScan, 'return scan', scanJson);
    const consignment = await loadConsignment(ctx, current.consignmentId);
    const expected = scan.type === 'exited' ? current.destinationCountry : consignment.joinKeys.originCountry;
    if (scan.country !== expected) {
      throw new Error(
        `a scan of type '${scan.type}' must be in ${expected} (${scan.type === 'exited' ? 'destination' : 'origin'}), not ${scan.country}`,
      );
    }
    const record = await this.advance(ctx, current, 'scan', {
      proof: { ...scan, scannedBy: caller.mspId, scannedAt: now },
    });
    emitEvent(ctx, 'ReturnScanned', {
      consignmentId: record.consignmentId,
      returnId: record.returnId,
      type: scan.type,
      location: scan.location,
      status: record.status,
    });
    return result(record);
  }

  /**
   * The refund to the buyer, by the consignment's payment provider (or its platform when it took the
   * payment). Transient 'payload' (RefundPayload) and 'saltSeed': stored in the refunder's collection
   * with customs, committed here by its Merkle root.
   */
  @Transaction()
  @Returns('string')
  public async refund(ctx: Context, consignmentId: string, returnId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('refundReturn', caller);
    const current = await this.load(ctx, consignmentId, returnId);
    const consignment = await loadConsignment(ctx, current.consignmentId);
    const refunder = consignment.paymentMspId ?? consignment.platformMspId;
    if (refunder !== caller.mspId) {
      throw new Error(
        `only the payment provider of consignment ${consignment.consignmentId} (${refunder ?? 'none'}) may refund it`,
      );
    }
    assertStep('refund', stateOf(current), current.returnId);
    const { payload, saltSeed } = transientPayload(ctx, 'refund');
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    const commitment = commitPayload(payload, saltSeed);
    await putPrivateJson(ctx, collection, refundKey(current), {
      payload,
      saltSeed,
    } satisfies PrivateEnvelope);
    const record = await this.advance(ctx, current, 'refund', {
      refund: {
        refundedBy: caller.mspId,
        collection,
        root: commitment.root,
        leafCount: commitment.leafCount,
        recordedAt: txTime(ctx),
      },
    });
    emitEvent(ctx, 'RefundRecorded', {
      consignmentId: record.consignmentId,
      returnId: record.returnId,
      root: commitment.root,
      status: record.status,
    });
    return result(record);
  }

  /**
   * Customs decides on the returned goods: duty and VAT refunded, the declaration invalidated, or
   * refused; for a destination with a buyer quota, how much of it is restored. Within the decision
   * deadline, unless refused. Also updates the customs seal, whose key-level policy makes the
   * customs peer's endorsement necessary.
   */
  @Transaction()
  @Returns('string')
  public async decide(
    ctx: Context,
    consignmentId: string,
    returnId: string,
    decisionJson: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('decideReturn', caller);
    const current = await this.load(ctx, consignmentId, returnId);
    assertStep('decide', stateOf(current), current.returnId);
    const decision = parseJsonWith(ReturnDecision, 'return decision', decisionJson);
    const policy = returnPolicyFor(current.destinationCountry);
    const now = txTime(ctx);
    if (decision.outcome !== 'refused') {
      assertBeforeDeadline('decision', current.deadlines, policy, current.destinationCountry, now);
    }
    if (decision.quotaRestored !== undefined && !policy.annualQuota) {
      throw new Error(
        `${current.destinationCountry} keeps no annual buyer quota; quotaRestored does not apply`,
      );
    }
    const sealKey = compositeKey(ctx, KeyType.customsSeal, [current.consignmentId]);
    const seal = await readJson<CustomsSeal>(ctx, sealKey);
    if (!seal)
      throw new Error(
        `consignment ${current.consignmentId} has no customs seal; it cannot take customs decisions`,
      );
    await putJson(ctx, sealKey, {
      ...seal,
      returnDecisions: (seal.returnDecisions ?? 0) + 1,
      lastReturnDecisionTxId: ctx.stub.getTxID(),
    });
    const record = await this.advance(ctx, current, 'decide', {
      decision: { ...decision, decidedBy: caller.mspId, decidedAt: now },
    });
    emitEvent(ctx, 'ReturnDecided', {
      consignmentId: record.consignmentId,
      returnId: record.returnId,
      outcome: decision.outcome,
      status: record.status,
    });
    return result(record);
  }

  /** The consignment's returns, oldest first: for its participants, customs and auditors. */
  @Transaction(false)
  @Returns('string')
  public async list(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const returns = await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [consignment.consignmentId]);
    return result({
      consignmentId: consignment.consignmentId,
      returns: returns.sort(byTimeThenTx((r) => r.requestedAt)),
    });
  }

  // ---------------------------------------------------------------- helpers (not transactions)

  private async load(ctx: Context, consignmentId: string, returnId: string): Promise<ReturnRecord> {
    const id = parseWith(ConsignmentId, 'consignmentId', consignmentId);
    const rid = parseWith(ReturnIdArg, 'returnId', returnId);
    const record = await readJson<ReturnRecord>(ctx, returnKey(ctx, id, rid));
    if (!record) throw new Error(`return ${rid} of consignment ${id} does not exist`);
    return record;
  }

  private async advance(
    ctx: Context,
    current: ReturnRecord,
    step: ReturnStep,
    change: Partial<ReturnRecord>,
  ): Promise<ReturnRecord> {
    const record: ReturnRecord = {
      ...current,
      ...change,
      status: statusAfter(step, stateOf(current)),
      step,
      updatedAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, returnKey(ctx, current.consignmentId, current.returnId), record);
    return record;
  }

  /** The order as its platform submitted it, from the platform's collection (with customs). */
  private async order(ctx: Context, caller: Caller, consignment: ConsignmentRecord): Promise<OrderPayload> {
    const id = consignment.consignmentId;
    const record = await readJson<SubmissionRecord>(ctx, compositeKey(ctx, KeyType.record, [id, 'order']));
    if (!record) throw new Error(`consignment ${id} has no order record`);
    const envelope = await readPrivateJson<PrivateEnvelope<OrderPayload>>(
      ctx,
      traderCollection(record.submittedBy, caller.network.customsMspId),
      privateKey.record('order', id),
    );
    if (!envelope) throw new Error(`the order of consignment ${id} is not available on this peer`);
    return envelope.payload;
  }
}

function returnKey(ctx: Context, consignmentId: string, returnId: string): string {
  return compositeKey(ctx, KeyType.return, [consignmentId, returnId]);
}

function refundKey(record: ReturnRecord): string {
  return privateKey.record('refund', `${record.consignmentId}~${record.returnId}`);
}

function stateOf(record: ReturnRecord): { status: ReturnStatus; refunded: boolean; decided: boolean } {
  return {
    status: record.status,
    refunded: record.refund !== undefined,
    decided: record.decision !== undefined,
  };
}

/** When customs released the consignment: the deadlines count from it. */
async function releaseTime(ctx: Context, consignment: ConsignmentRecord): Promise<string> {
  const id = consignment.consignmentId;
  if (consignment.status !== 'released' && consignment.status !== 'delivered') {
    throw new Error(
      `consignment ${id} in status '${consignment.status}' cannot be returned; it must be released or delivered`,
    );
  }
  const decisions = await listByPartialKey<DecisionRecord>(ctx, KeyType.decision, [id]);
  const release = decisions
    .filter((d) => d.decision === 'release')
    .sort(byTimeThenTx((d) => d.decidedAt))
    .at(-1);
  if (!release) throw new Error(`consignment ${id} has no release decision`);
  return release.decidedAt;
}
