import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { z } from 'zod';

import { restoreQuota } from '../domain/buyer-limits';
import { canonicalJson } from '../domain/canonical';
import { customsCollection, traderCollection } from '../domain/collections';
import { commitPayload } from '../domain/merkle';
import {
  assertAuthorisationUnused,
  assertBeforeDeadline,
  assertRefundWithinPaid,
  assertReturnable,
  assertScanPlace,
  assertStep,
  assertVatRefundable,
  assertWholeBeforeDelivery,
  assertWithinAssessed,
  assessedOnReturn,
  BUILT_IN_RETURN_POLICY_SETS,
  consignmentStatusAfterReturnScan,
  DEFAULT_RETURN_POLICY_SET,
  returnDeadlines,
  returnPolicyFor,
  returnsReadableBy,
  ReturnDecision,
  ReturnPolicySet,
  ReturnRequest,
  ReturnScan,
  ReturnShipment,
  statusAfter,
  type AppliedReturnPolicy,
  type AssessedOnReturn,
  type ReturnDeadlines,
  type ReturnLine,
  type ReturnStatus,
  type ReturnStep,
} from '../domain/returns';
import { assertAllowed } from '../domain/roles';
import {
  OrderPayload,
  parseJsonWith,
  parseWith,
  PaymentPayload,
  type RefundPayload,
} from '../domain/schemas';
import { returnableStatuses } from '../domain/state-machine';
import { canSeeConsignment, claimReusable, unknownConsignment } from '../domain/consignment';
import { loadConsignment, updateStatus } from './consignment-state';
import {
  customsKey,
  readBuyerYear,
  writeBuyerYear,
  type AssessmentRecord,
  type BuyerQuotaFiling,
} from './customs';
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
  readOrganisation,
  type NetworkRecord,
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
import { heldConsignmentRecord, readKeptPayload } from './private-records';

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
  /** The only carrier that may ship and scan the return: named by the platform, else the consignment's. */
  readonly carrierMspId: string;
  readonly destinationCountry: string;
  /** The policy in force when the return was requested; later policy changes do not move its deadlines. */
  readonly policy: AppliedReturnPolicy;
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

/** A return policy set as customs installed it (public: traders must know the deadlines they work to). */
export interface StoredReturnPolicySet {
  readonly policySet: ReturnPolicySet;
  readonly setBy: string;
  readonly setAt: string;
  readonly txId: string;
}

const ReturnIdArg = ReturnRequest.shape.returnId.unwrap();
const PolicyVersionArg = ReturnPolicySet.shape.version;

/**
 * What the return steps read of the order and of the payment: no personal data, so an erasure of
 * the buyer's data keeps them (z.object, not strict: the record's other kept fields are ignored).
 */
const OrderLines = z.object({ lines: OrderPayload.shape.lines });
const AmountPaid = z.object({
  amountPaid: PaymentPayload.shape.amountPaid,
  currency: PaymentPayload.shape.currency,
});

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
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    // A platform takes part in a consignment only as its platform (and payer of its own orders).
    if (consignment.platformMspId !== caller.mspId) throw unknownConsignment(id, caller);
    const rid = parseWith(ReturnIdArg, 'returnId', returnId);
    const request = parseJsonWith(ReturnRequest, 'return request', requestJson);
    if (request.returnId !== undefined && request.returnId !== rid) {
      throw new Error(`returnId '${request.returnId}' in the request does not match '${rid}'`);
    }
    if (await readJson<ReturnRecord>(ctx, returnKey(ctx, id, rid)))
      throw new Error(`return ${rid} of consignment ${id} already exists`);
    const releasedAt = await releaseTime(ctx, consignment);
    const country = consignment.joinKeys.destinationCountry;
    const installed = await readJson<StoredReturnPolicySet>(ctx, policyKey(ctx));
    const inForce = returnPolicyFor(country, installed?.policySet ?? DEFAULT_RETURN_POLICY_SET);
    const deadlines = returnDeadlines(inForce, releasedAt, country);
    const { nonWorkingDays: _kept, ...policy } = inForce;
    const now = txTime(ctx);
    assertBeforeDeadline('request', deadlines, policy, country, now);

    const carrierMspId = await returnCarrier(ctx, caller.network, consignment, request.carrierMspId);
    const order = await this.keptFields(ctx, consignment, 'order', OrderLines);
    const earlier = await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [id]);
    assertReturnable(
      order.lines,
      earlier.flatMap((r) => r.lines),
      request.lines,
    );
    assertWholeBeforeDelivery(
      consignment.status,
      order.lines,
      earlier.flatMap((r) => r.lines),
      request.lines,
    );
    assertAuthorisationUnused(id, earlier, request.authorisation);
    const record: ReturnRecord = {
      consignmentId: id,
      returnId: rid,
      status: 'requested',
      step: 'request',
      reason: request.reason,
      lines: request.lines,
      authorisation: request.authorisation,
      carrierMspId,
      destinationCountry: country,
      policy,
      deadlines,
      requestedBy: caller.mspId,
      requestedAt: now,
      updatedAt: now,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, returnKey(ctx, id, rid), record);
    await customsMustEndorse(ctx, returnKey(ctx, id, rid), caller.network.customsMspId);
    emitEvent(ctx, 'ReturnRequested', {
      consignmentId: id,
      returnId: rid,
      // Named here so that gateways pass the return's events to its carrier from its request on.
      carrierMspId,
      reason: request.reason,
      deadlines,
    });
    return result(record);
  }

  /**
   * The return's carrier takes it: its new tracking number, unique for that carrier, links to the
   * original consignment.
   */
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
    const { current } = await this.load(ctx, caller, consignmentId, returnId);
    if (current.carrierMspId !== caller.mspId) {
      throw new Error(`only the carrier of return ${current.returnId} (${current.carrierMspId}) may ship it`);
    }
    assertStep('ship', stateOf(current), current.returnId);
    assertBeforeDeadline(
      'arrival',
      current.deadlines,
      current.policy,
      current.destinationCountry,
      txTime(ctx),
    );
    const { trackingNumber } = parseJsonWith(ReturnShipment, 'return shipment', shipmentJson);
    const claim = compositeKey(ctx, KeyType.trackingNumber, [caller.mspId, trackingNumber]);
    const taken = await readJson<UniquenessRecord>(ctx, claim);
    if (taken && !claimReusable('tracking', taken.claimedAt, txTime(ctx))) {
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
   * The return's carrier records the proof the goods left: the exit scan in the destination's
   * customs territory or the arrival scan back in the country of origin, within the arrival deadline.
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
    const { current, consignment } = await this.load(ctx, caller, consignmentId, returnId);
    if (current.carrierMspId !== caller.mspId) {
      throw new Error(`only the carrier of return ${current.returnId} (${current.carrierMspId}) may scan it`);
    }
    assertStep('scan', stateOf(current), current.returnId);
    const now = txTime(ctx);
    assertBeforeDeadline('arrival', current.deadlines, current.policy, current.destinationCountry, now);
    const scan = parseJsonWith(ReturnScan, 'return scan', scanJson);
    assertScanPlace(scan, {
      destinationCountry: current.destinationCountry,
      originCountry: consignment.joinKeys.originCountry,
    });
    const record = await this.advance(ctx, current, 'scan', {
      proof: { ...scan, scannedBy: caller.mspId, scannedAt: now },
    });
    const consignmentStatus = consignmentStatusAfterReturnScan(consignment.status);
    await updateStatus(ctx, consignment, consignmentStatus);
    emitEvent(ctx, 'ReturnScanned', {
      consignmentId: record.consignmentId,
      returnId: record.returnId,
      type: scan.type,
      location: scan.location,
      status: record.status,
      consignmentStatus,
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
    const { current, consignment } = await this.load(ctx, caller, consignmentId, returnId);
    const refunder = consignment.paymentMspId ?? consignment.platformMspId;
    if (refunder !== caller.mspId) {
      throw new Error(
        `only the payment provider of consignment ${consignment.consignmentId} (${refunder ?? 'none'}) may refund it`,
      );
    }
    assertStep('refund', stateOf(current), current.returnId);
    const { payload, saltSeed } = transientPayload(ctx, 'refund');
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    const payment = await this.keptFields(ctx, consignment, 'payment', AmountPaid);
    const earlier = await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [current.consignmentId]);
    let refundedBefore = 0;
    for (const other of earlier) {
      if (!other.refund) continue;
      const envelope = await readPrivateJson<PrivateEnvelope<RefundPayload>>(
        ctx,
        other.refund.collection,
        refundKey(other),
      );
      if (!envelope) throw new Error(`the refund of return ${other.returnId} is not available on this peer`);
      refundedBefore += envelope.payload.amount;
    }
    assertRefundWithinPaid(
      payload,
      { amount: payment.amountPaid, currency: payment.currency },
      Math.round(refundedBefore * 100) / 100,
    );
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
   * refused; for a purchase counted against its buyer's annual limit, how much of it is restored
   * (given back to the buyer's year in customs' collection). Within the decision deadline, unless
   * refused. Also updates the customs seal, whose key-level policy makes the customs peer's
   * endorsement necessary.
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
    const { current, consignment } = await this.load(ctx, caller, consignmentId, returnId);
    assertStep('decide', stateOf(current), current.returnId);
    const decision = parseJsonWith(ReturnDecision, 'return decision', decisionJson);
    const { policy } = current;
    const now = txTime(ctx);
    if (decision.outcome !== 'refused') {
      assertBeforeDeadline('decision', current.deadlines, policy, current.destinationCountry, now);
    }
    const restoreTo =
      decision.outcome !== 'refused'
        ? await this.assertWithinAssessment(ctx, caller, current, consignment, decision)
        : undefined;
    if (restoreTo !== undefined) {
      const collection = customsCollection(caller.network.customsMspId);
      const year = await readBuyerYear(ctx, collection, restoreTo);
      const after = restoreQuota(year, current.consignmentId, decision.quotaRestored ?? 0);
      await writeBuyerYear(ctx, collection, restoreTo, year, after);
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

  /**
   * The consignment's returns, oldest first: for its participants, customs and auditors; for a
   * carrier named to take some back, those.
   */
  @Transaction(false)
  @Returns('string')
  public async list(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    const { consignment, sees } = await readingConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const returns = returnsReadableBy(
      caller.mspId,
      sees,
      await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [id]),
    );
    if (!sees && returns.length === 0) throw unknownConsignment(id, caller);
    return result({ consignmentId: id, returns: returns.sort(byTimeThenTx((r) => r.requestedAt)) });
  }

  /** One return of a consignment, for its participants, customs and auditors, and its named carrier. */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, consignmentId: string, returnId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    return result((await this.load(ctx, caller, consignmentId, returnId)).current);
  }

  /**
   * Customs puts a return policy set in force for returns requested from now on. A version label
   * keeps its content forever; putting an old version again reinstates it. The built-in sets'
   * labels, earlier ones included, count as taken although they are not stored: returns requested
   * under them name them, and must not come to mean other deadlines.
   */
  @Transaction()
  @Returns('string')
  public async putPolicy(ctx: Context, policyJson: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('manageCustomsConfig', caller);
    const policySet = parseJsonWith(ReturnPolicySet, 'return policy set', policyJson);
    const versionKey = policyKey(ctx, policySet.version);
    const archived = await readJson<StoredReturnPolicySet>(ctx, versionKey);
    const taken = archived?.policySet ?? builtInPolicySet(policySet.version);
    if (taken && canonicalJson(taken) !== canonicalJson(policySet)) {
      throw new Error(
        `return policy version ${policySet.version} already exists with other content; use a new version label`,
      );
    }
    const stored: StoredReturnPolicySet = archived ?? {
      policySet,
      setBy: caller.mspId,
      setAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    if (!archived) {
      await putJson(ctx, versionKey, stored);
      await customsMustEndorse(ctx, versionKey, caller.network.customsMspId);
    }
    await putJson(ctx, policyKey(ctx), stored);
    await customsMustEndorse(ctx, policyKey(ctx), caller.network.customsMspId);
    emitEvent(ctx, 'CustomsConfigChanged', { kind: 'returnpolicy', version: policySet.version });
    return result(stored);
  }

  /** The return policy set in force (or the given version); the built-in one until customs puts its own. */
  @Transaction(false)
  @Returns('string')
  public async getPolicy(ctx: Context, version: string): Promise<string> {
    await resolveCaller(ctx);
    if (version === '') {
      const current = await readJson<StoredReturnPolicySet>(ctx, policyKey(ctx));
      return result(current ?? { policySet: DEFAULT_RETURN_POLICY_SET, builtIn: true });
    }
    const v = parseWith(PolicyVersionArg, 'version', version);
    const stored = await readJson<StoredReturnPolicySet>(ctx, policyKey(ctx, v));
    if (stored) return result(stored);
    const builtIn = builtInPolicySet(v);
    if (!builtIn) throw new Error(`return policy version ${v} does not exist`);
    return result({ policySet: builtIn, builtIn: true });
  }

  // ---------------------------------------------------------------- helpers (not transactions)

  /**
   * A return as `caller` may read it or take a step on it, with its consignment. To a caller that
   * neither sees the consignment nor is the return's named carrier it is not visible, exactly as a
   * missing return would be, so that no one learns which returns exist from a refusal.
   */
  private async load(
    ctx: Context,
    caller: Caller,
    consignmentId: string,
    returnId: string,
  ): Promise<{ current: ReturnRecord; consignment: ConsignmentRecord }> {
    // Before the consignment is read: a malformed return id is refused alike whether it exists or not.
    const rid = parseWith(ReturnIdArg, 'returnId', returnId);
    const { consignment, sees } = await readingConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const record = await readJson<ReturnRecord>(ctx, returnKey(ctx, id, rid));
    if (!record) {
      if (sees) throw new Error(`return ${rid} of consignment ${id} does not exist`);
      throw unknownConsignment(id, caller);
    }
    if (returnsReadableBy(caller.mspId, sees, [record]).length === 0) throw unknownConsignment(id, caller);
    return { current: record, consignment };
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

  /**
   * The fields a step needs of a record, from its submitter's collection with customs: as
   * submitted, or from what an erasure kept. A delivered consignment's buyer may have their data
   * erased while it can still be returned; lines, amounts and currency are not theirs to erase,
   * so the return and the buyer's refund go on.
   */
  private async keptFields<S extends z.ZodType>(
    ctx: Context,
    consignment: ConsignmentRecord,
    kind: 'order' | 'payment',
    schema: S,
  ): Promise<z.infer<S>> {
    const id = consignment.consignmentId;
    const record = await readJson<SubmissionRecord>(ctx, compositeKey(ctx, KeyType.record, [id, kind]));
    if (!record) throw new Error(`consignment ${id} has no ${kind} record`);
    const payload = await readKeptPayload(ctx, heldConsignmentRecord(record));
    return parseWith(schema, `${kind} record of consignment ${id}`, payload);
  }

  /**
   * Customs refunds at most the duty and VAT it assessed on the goods that came back (by HS6
   * subheading and quantity returned, after the returns already decided, returns.ts
   * assessedOnReturn), less what the platform collected of it at checkout (IOSS; the seller refunds
   * that with the price), in the assessment's currency, and restores at most their customs
   * value to the buyer's annual limit, where the purchase counted against one. Reads its own
   * assessment and the order (in the platform's collection, of which customs is a member). Returns
   * the buyer's year the quota restored goes back to, when the decision restores some.
   */
  private async assertWithinAssessment(
    ctx: Context,
    caller: Caller,
    current: ReturnRecord,
    consignment: ConsignmentRecord,
    decision: ReturnDecision,
  ): Promise<BuyerQuotaFiling | undefined> {
    const id = current.consignmentId;
    const asked = decision.dutyRefund + decision.vatRefund + (decision.quotaRestored ?? 0);
    const assessment = await readPrivateJson<AssessmentRecord>(
      ctx,
      customsCollection(caller.network.customsMspId),
      customsKey.assessment(id),
    );
    const revenue = assessment?.revenue;
    // A decision of nothing is still recorded in its currency: that must be the assessment's too.
    if (revenue?.assessed && decision.currency !== revenue.duty.currency) {
      throw new Error(
        `the decision is in ${decision.currency} but customs assessed consignment ${id} in ${revenue.duty.currency}`,
      );
    }
    if (asked === 0) return undefined;
    if (!assessment || !revenue?.assessed) {
      throw new Error(
        `consignment ${id} has no revenue assessment; customs can refund only what it assessed`,
      );
    }
    const { duty } = revenue;
    const order = await this.keptFields(ctx, consignment, 'order', OrderLines);
    const others = (await listByPartialKey<ReturnRecord>(ctx, KeyType.return, [id])).filter(
      (r) => r.returnId !== current.returnId && r.decision,
    );
    // After the returns already decided (refused ones too: their goods' share is spent), so the
    // parts of a return in several add up to what it would get back in one.
    const onReturn = assessedOnReturn(
      order.lines,
      duty.lines,
      current.lines,
      others.flatMap((r) => r.lines),
    );
    const earlier = (pick: (d: ReturnDecision) => number) =>
      Math.round(others.reduce((n, r) => n + pick(r.decision!), 0) * 100) / 100;
    const check = (
      what: string,
      amount: keyof AssessedOnReturn,
      asked: number,
      pick: (d: ReturnDecision) => number,
    ) =>
      assertWithinAssessed({
        what,
        currency: duty.currency,
        assessed: duty[amount],
        onReturn: onReturn[amount],
        asked,
        earlier: earlier(pick),
      });
    check('duty refund', 'duty', decision.dutyRefund, (d) => d.dutyRefund);
    assertVatRefundable(decision.vatRefund, duty);
    check('VAT refund', 'vat', decision.vatRefund, (d) => d.vatRefund);
    if (decision.quotaRestored !== undefined) {
      const filing = assessment.buyerQuota;
      if (filing === undefined) {
        const limits = assessment.buyerLimits;
        const why =
          limits?.perYear === undefined
            ? `the tariff customs applied to ${current.destinationCountry} sets no annual buyer limit`
            : limits.notChecked !== undefined
              ? `the purchase was not counted: ${limits.notChecked}`
              : `the purchase exceeded the buyer's limits (${limits.reasons.join(', ')}) and was not counted`;
        throw new Error(`${why}; quotaRestored does not apply to consignment ${id}`);
      }
      check('quota restored', 'customsValue', decision.quotaRestored, (d) => d.quotaRestored ?? 0);
      return filing;
    }
    return undefined;
  }
}

/**
 * A key-level endorsement policy naming customs: every later write of a return or of the return
 * policy needs the customs peer's endorsement, so no two traders can forge a step, and customs'
 * peer alone (which alone holds the assessment that bounds refunds) can endorse its decision.
 */
async function customsMustEndorse(ctx: Context, key: string, customsMspId: string): Promise<void> {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', customsMspId);
  await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
}

function builtInPolicySet(version: string): ReturnPolicySet | undefined {
  return BUILT_IN_RETURN_POLICY_SETS.find((set) => set.version === version);
}

function policyKey(ctx: Context, version?: string): string {
  return compositeKey(ctx, KeyType.returnPolicy, version === undefined ? ['current'] : ['version', version]);
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

/** The consignment a return is read from, and whether the caller sees all of it (its returns included). */
async function readingConsignment(
  ctx: Context,
  caller: Caller,
  consignmentId: string,
): Promise<{ consignment: ConsignmentRecord; sees: boolean }> {
  assertAllowed('readConsignment', caller);
  const consignment = await loadConsignment(ctx, caller, consignmentId);
  return { consignment, sees: canSeeConsignment(caller, consignment) };
}

/** The carrier the platform names, which must be a registered carrier, else the consignment's own. */
async function returnCarrier(
  ctx: Context,
  network: NetworkRecord,
  consignment: ConsignmentRecord,
  named: string | undefined,
): Promise<string> {
  if (named === undefined) {
    if (!consignment.carrierMspId) {
      throw new Error(`consignment ${consignment.consignmentId} has no carrier; name the return's carrier`);
    }
    return consignment.carrierMspId;
  }
  const org = await readOrganisation(ctx, network, named);
  if (org?.role !== 'post' && org?.role !== 'express') {
    throw new Error(`${named} is not a registered carrier; a return is taken back by post or express`);
  }
  return named;
}

/** When customs released the consignment: the deadlines count from it. */
async function releaseTime(ctx: Context, consignment: ConsignmentRecord): Promise<string> {
  const id = consignment.consignmentId;
  if (!returnableStatuses.includes(consignment.status)) {
    throw new Error(
      `consignment ${id} in status '${consignment.status}' cannot be returned; it must be ${returnableStatuses.join(' or ')}`,
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
