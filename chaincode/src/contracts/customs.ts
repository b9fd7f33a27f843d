import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  AssessmentFailureReport,
  describeAssessmentFailure,
  nextAssessmentFailure,
  type AssessmentFailureRecord,
  type PublicAssessmentFailure,
} from '../domain/assessment-failure';
import { buyerQuotaKey, countsAgainstYear, fileQuotaEntry, type QuotaEntry } from '../domain/buyer-limits';
import { localDate } from '../domain/calendar';
import { canonicalJson } from '../domain/canonical';
import { customsCollection, customsToCarrierCollection, traderCollection } from '../domain/collections';
import { participantMspIds, readsCollectionInstruction, unknownConsignment } from '../domain/consignment';
import {
  assessConsignment,
  automaticDecisionRefusal,
  carrierCollection,
  CustomsSecret,
  fileInIndex,
  fixesTaxPoint,
  nextSellerCount,
  QueueFilter,
  queueItem,
  recentFromIndex,
  ReconciliationFilter,
  reconcileCollections,
  ReferralAnswer,
  RemittanceInput,
  remittanceReaders,
  selectRemittances,
  splitIndexKeys,
  splitValue,
  TariffSet,
  taxPoint,
  workQueue,
  type CarrierCollection,
  type EarlierTaxPoint,
  type ConsignmentAssessment,
  type PublicAssessment,
  type RecordVersions,
  type RemittanceReceipt,
  type RemittanceRecord,
  type SplitEntry,
} from '../domain/customs';
import { commitPayload } from '../domain/merkle';
import { assertPurpose } from '../domain/purposes';
import { RuleSet, SELLER_HISTORY_CAP } from '../domain/risk';
import { assertAllowed, isTrustedOperatorRole, TRUSTED_OPERATOR_ROLES } from '../domain/roles';
import {
  parseJsonWith,
  parseWith,
  Reference,
  SaltSeed,
  type DeclarationPayload,
  type LogisticsPayload,
  type OrderPayload,
  type PaymentPayload,
  type RecordKind,
} from '../domain/schemas';
import { recordsLocked, type DecisionEvent } from '../domain/state-machine';
import {
  assessmentReads,
  boundRead,
  commitAccessRecord,
  requireRecordedAccess,
  targetOf,
} from './access-records';
import { loadConsignment, loadVisibleConsignment } from './consignment-state';
import {
  KeyType,
  booleanArgument,
  compositeKey,
  emitEvent,
  listByPartialKey,
  listPrivateRange,
  privateKey,
  privateKeyRange,
  putJson,
  putPrivateJson,
  readJson,
  readPrivateJson,
  resolveCaller,
  result,
  transientBytes,
  transientString,
  txTime,
  type Caller,
  readOrganisation,
} from './context';
import type {
  ConsignmentRecord,
  CustomsSeal,
  FlagRecord,
  PartyRegistration,
  PrivateEnvelope,
  ReferralAnswerRecord,
  SubmissionRecord,
  TrustedOperatorRecord,
  TrustedTraderRecord,
  UniquenessRecord,
} from './records';
import {
  assertNotErased,
  heldConsignmentRecord,
  heldReferralAnswer,
  readCommittedEnvelope,
  readEnvelope,
  readErasureMark,
} from './private-records';

/*
 * Customs' side of a consignment: three-way matching, risk and revenue assessment, the rule sets and
 * tariffs they run on, the officers' work queue, reconciliation, and traders' answers to referrals.
 *
 * Endorsement. An assessment reads the order, payment and logistics data from three trader
 * collections, of which customs alone is a member of all: only the customs peer can endorse it. So
 * it writes only what customs alone may write: its own collection (whose endorsement policy is the
 * customs peer), the consignment's customs seal (a key-level policy naming customs), which carries
 * the public part of the assessment, and the duty and tax the carrier is to collect, in the
 * collection from customs to that carrier (whose endorsement policy is the customs peer too). The
 * lane, score and risk reasons never leave customs' collection; the seal says only whether the match
 * passed (with reason codes) and whether customs' service identity may release, which the release
 * itself would reveal anyway; the amounts reach the carrier alone.
 */

/** The user role of customs' automatic-release service identity. */
export const SERVICE_ROLE = 'service';

/** Keys in customs' own collection; the returns contract reads the assessment to bound refunds. */
export const customsKey = {
  config: (kind: ConfigKind, version?: string) =>
    version === undefined ? `${kind}~current` : `${kind}~version~${version}`,
  secret: 'secret~customs',
  assessment: (consignmentId: string) => `assessment~${consignmentId}`,
  /** A failed assessment since the latest that succeeded (AssessmentFailureRecord). */
  assessmentFailure: (consignmentId: string) => `assessmentfailure~${consignmentId}`,
  seller: (sellerId: string) => `sellerhistory~${sellerId}`,
  split: (mac: string) => `split~${mac}`,
  /** A buyer's purchases of a calendar year counted against the per-buyer limits (QuotaEntry[]). */
  buyerYear: (filing: BuyerQuotaFiling) => `buyeryear~${filing.buyer}~${filing.year}`,
};

/** Where a purchase is filed against its buyer's annual limit: buyer-limits.ts buyerQuotaKey. */
export type BuyerQuotaFiling = ReturnType<typeof buyerQuotaKey>;
/** Consignment ids, remittance references and MSP ids are printable ASCII: their keys sort within these ranges. */
const ASSESSMENTS = privateKeyRange(customsKey.assessment(''));
const ASSESSMENT_FAILURES = privateKeyRange(customsKey.assessmentFailure(''));
const REMITTANCES = privateKeyRange(privateKey.remittance(''));
const TRUSTED_OPERATORS = privateKeyRange(privateKey.trustedOperator(''));
/** A remittance as its platform's collection with customs keeps it. */
interface StoredRemittance {
  readonly remittance: RemittanceRecord;
  readonly salt: string;
}
/** Earlier assessments kept in a record for the explanation view. */
const HISTORY_KEPT = 20;
type ConfigKind = 'ruleset' | 'tariffs';

interface StoredConfig<T> {
  readonly value: T;
  readonly setBy: string;
  readonly setByUser: string;
  readonly setAt: string;
  readonly txId: string;
}

interface EarlierAssessment {
  readonly number: number;
  readonly assessedAt: string;
  readonly txId: string;
  readonly lane: string;
  readonly score: number;
  readonly matchResult: string;
  readonly releasable: boolean;
}

/** An assessment as customs keeps it, with everything that explains it. */
export interface AssessmentRecord extends ConsignmentAssessment {
  readonly consignmentId: string;
  readonly number: number;
  readonly platformMspId?: string;
  readonly destinationCountry: string;
  /** The payment's paidAt: the reconciliation's period (domain/customs.ts reconcileCollections). */
  readonly paidAt?: string;
  readonly ruleSetVersion: string;
  readonly tariffSetVersion: string;
  readonly basis: RecordVersions;
  readonly decisionsSoFar: number;
  readonly referralAnswers: number;
  /** Where the purchase counts against its buyer's annual limit; absent when it does not count. */
  readonly buyerQuota?: BuyerQuotaFiling;
  /** Fixed at the first assessment, so re-assessing does not count the consignment twice. */
  readonly sellerConsignmentsBefore: number;
  readonly firstAssessedAt: string;
  /** Fixed by the first assessment that priced the goods on a declaration (domain/customs.ts taxPoint). */
  readonly taxPointAt?: string;
  readonly assessedAt: string;
  readonly assessedBy: string;
  readonly txId: string;
  readonly earlier: readonly EarlierAssessment[];
}

/**
 * customs:getAssessment's answer: the latest assessment with the consignment's status, the referral
 * answers received in place of their count (who, when, which referral; not their text), and the
 * failure that stands since, if any.
 */
export interface AssessmentView extends Omit<AssessmentRecord, 'referralAnswers'> {
  readonly status: ConsignmentRecord['status'];
  readonly referralAnswers: readonly (ReferralAnswerRecord & {
    readonly erased?: { readonly txId: string; readonly at: string; readonly reason: string };
  })[];
  readonly assessmentFailed: AssessmentFailureRecord | null;
}

/** customs:getMatch's answer: what the customs seal makes public of the assessments. */
export interface MatchView {
  readonly consignmentId: string;
  readonly assessment: PublicAssessment | null;
  readonly assessmentFailed: PublicAssessmentFailure | null;
}

/**
 * What customs instructs a consignment's carrier to collect from the buyer at delivery, in the
 * collection from customs to that carrier. Written by the assessment it comes from, replaced by the
 * next, and deleted by one that leaves the carrier nothing to collect.
 */
export interface CollectionInstruction extends CarrierCollection {
  readonly consignmentId: string;
  readonly carrierMspId: string;
  readonly assessment: { readonly number: number; readonly txId: string; readonly assessedAt: string };
}

function versionsOf(records: readonly SubmissionRecord[]): RecordVersions {
  return Object.fromEntries(records.map((r) => [r.kind, r.version])) as RecordVersions;
}

function sealKey(ctx: Context, id: string): string {
  return compositeKey(ctx, KeyType.customsSeal, [id]);
}

/**
 * For consignment:recordDecision: whether the decision is automatic, that is recorded by customs'
 * service identity, which may only release on a releasable assessment of the records as they stand.
 * Reads public keys only, so any two endorsers can check it.
 */
export async function automaticDecision(
  ctx: Context,
  caller: Caller,
  consignmentId: string,
  decision: DecisionEvent,
): Promise<boolean> {
  if (caller.role !== 'customs' || caller.userRole !== SERVICE_ROLE) return false;
  const refusal = await refusalOfAutomatic(ctx, consignmentId, decision);
  if (refusal !== undefined) {
    throw new Error(`customs' service identity cannot decide on consignment ${consignmentId}: ${refusal}`);
  }
  return true;
}

/** Why customs' service identity may not take this decision now (undefined: it may), from public keys. */
async function refusalOfAutomatic(
  ctx: Context,
  consignmentId: string,
  decision: DecisionEvent,
): Promise<string | undefined> {
  const seal = await readJson<CustomsSeal>(ctx, sealKey(ctx, consignmentId));
  const records = await listByPartialKey<SubmissionRecord>(ctx, KeyType.record, [consignmentId]);
  return automaticDecisionRefusal({
    decision,
    assessment: seal?.assessment,
    ...(seal?.assessmentFailure ? { failure: seal.assessmentFailure } : {}),
    currentBasis: versionsOf(records),
    decisionsSoFar: seal?.decisions ?? 0,
  });
}

@Info({
  title: 'CustomsContract',
  description:
    'Customs: three-way matching, risk and revenue assessment, rule sets and tariffs, the work queue, reconciliation and referral answers',
})
export class CustomsContract extends Contract {
  constructor() {
    super('customs');
  }

  /**
   * A new risk rule set version becomes current. Transient 'ruleSet' (RuleSet JSON), and 'secret'
   * (32 bytes hex) the first time: the seed of random selection and of the split-shipment index keys,
   * set once. A version label keeps its content forever; putting an old version again reinstates it.
   */
  @Transaction()
  @Returns('string')
  public async putRuleSet(ctx: Context): Promise<string> {
    const caller = await this.customsCaller(ctx, 'manageCustomsConfig');
    const ruleSet = parseJsonWith(RuleSet, 'rule set', transientBytes(ctx, 'ruleSet'));
    await this.keepSecret(ctx, caller);
    return this.putConfig(ctx, caller, 'ruleset', ruleSet);
  }

  /** A new tariff set version becomes current. Transient 'tariffs' (TariffSet JSON). */
  @Transaction()
  @Returns('string')
  public async putTariffs(ctx: Context): Promise<string> {
    const caller = await this.customsCaller(ctx, 'manageCustomsConfig');
    const tariffs = parseJsonWith(TariffSet, 'tariff set', transientBytes(ctx, 'tariffs'));
    return this.putConfig(ctx, caller, 'tariffs', tariffs);
  }

  /** The current rule set, or the given version; null when none. Customs only (evaluate). */
  @Transaction(false)
  @Returns('string')
  public async getRuleSet(ctx: Context, version: string): Promise<string> {
    return this.getConfig(ctx, 'ruleset', version);
  }

  /** The current tariff set, or the given version; null when none. Customs only (evaluate). */
  @Transaction(false)
  @Returns('string')
  public async getTariffs(ctx: Context, version: string): Promise<string> {
    return this.getConfig(ctx, 'tariffs', version);
  }

  /**
   * Customs grants or withdraws a platform's or carrier's trusted-operator (AEO) status, which its
   * risk rules weigh (domain/risk.ts, trustedOperatorFactor). Kept in customs' own collection, which
   * customs' peer alone endorses (privateKey.trustedOperator says why); the event tells the
   * organisation.
   */
  @Transaction()
  @Returns('string')
  public async setTrustedOperator(
    ctx: Context,
    mspId: string,
    trusted: boolean,
    reference: string,
  ): Promise<string> {
    const caller = await this.customsCaller(ctx, 'setTrustedOperator');
    const isTrusted = booleanArgument(trusted as unknown, 'trusted');
    const ref = parseWith(Reference, 'reference', reference);
    const org = await readOrganisation(ctx, caller.network, mspId);
    if (!org) throw new Error(`organisation ${mspId} is not registered`);
    if (!isTrustedOperatorRole(org.role)) {
      throw new Error(
        `${mspId} has role ${org.role}: trusted-operator status is for ${TRUSTED_OPERATOR_ROLES.join(', ')}`,
      );
    }
    const record: TrustedOperatorRecord = {
      mspId,
      trusted: isTrusted,
      reference: ref,
      setBy: caller.mspId,
      setAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    const collection = customsCollection(caller.network.customsMspId);
    await putPrivateJson(ctx, collection, privateKey.trustedOperator(mspId), record);
    emitEvent(ctx, 'TrustedOperatorSet', { mspId, trusted: isTrusted });
    return result(record);
  }

  /** Every trusted-operator status customs has set, withdrawn ones included, by MSP id. Customs only (evaluate). */
  @Transaction(false)
  @Returns('string')
  public async trustedOperators(ctx: Context): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readTrustedOperators');
    const collection = customsCollection(caller.network.customsMspId);
    return result({
      trustedOperators: await listPrivateRange<TrustedOperatorRecord>(ctx, collection, TRUSTED_OPERATORS),
    });
  }

  /**
   * Matches, risk-assesses and assesses duty on a consignment whose order, payment and logistics
   * data are all present, as often as its records change. Endorsed by customs alone (see above).
   * Returns, and publishes in the seal and the ConsignmentAssessed event, the public part only.
   */
  @Transaction()
  @Returns('string')
  public async assess(ctx: Context, consignmentId: string): Promise<string> {
    const { caller, consignment } = await this.openToAssessment(ctx, consignmentId);
    const customs = customsCollection(caller.network.customsMspId);
    const id = consignment.consignmentId;
    const records = await listByPartialKey<SubmissionRecord>(ctx, KeyType.record, [id]);
    const missing = (['order', 'payment', 'logistics'] as const).filter(
      (k) => !records.some((r) => r.kind === k),
    );
    if (missing.length > 0) {
      throw new Error(
        `consignment ${id} has no ${missing.join(', ')} data yet: the assessment needs order, payment and logistics`,
      );
    }
    const payload = async <T>(kind: RecordKind): Promise<T | undefined> => {
      const record = records.find((r) => r.kind === kind);
      if (!record) return undefined;
      // Fabric checked the private value against the hash committed with the record; no re-commit needed.
      return (await readEnvelope<T>(ctx, heldConsignmentRecord(record))).payload;
    };
    const order = (await payload<OrderPayload>('order'))!;
    const payment = (await payload<PaymentPayload>('payment'))!;
    const logistics = (await payload<LogisticsPayload>('logistics'))!;
    const declaration = await payload<DeclarationPayload>('declaration');

    const ruleSet = await this.requireConfig<RuleSet>(ctx, customs, 'ruleset', 'customs:putRuleSet');
    const tariffSet = await this.requireConfig<TariffSet>(ctx, customs, 'tariffs', 'customs:putTariffs');
    const secret = await readPrivateJson<{ secret: string }>(ctx, customs, customsKey.secret);
    if (!secret) throw new Error('customs has no secret yet; it comes with the first customs:putRuleSet');

    const seal = await readJson<CustomsSeal>(ctx, sealKey(ctx, id));
    if (!seal) throw new Error(`consignment ${id} has no customs seal; it cannot be assessed`);
    const previous = await readPrivateJson<AssessmentRecord>(ctx, customs, customsKey.assessment(id));
    const sellerId = order.seller.id;
    const buyerId = order.buyer.id;
    const trusted = await readPrivateJson<TrustedTraderRecord>(
      ctx,
      customs,
      privateKey.trustedTrader(sellerId),
    );
    // Customs' own copy of the status, for an organisation the registry still lists in such a role.
    const trustedOperators: string[] = [];
    for (const mspId of [consignment.platformMspId, consignment.carrierMspId]) {
      if (mspId === undefined) continue;
      const status = await readPrivateJson<TrustedOperatorRecord>(
        ctx,
        customs,
        privateKey.trustedOperator(mspId),
      );
      const org = status?.trusted === true ? await readOrganisation(ctx, caller.network, mspId) : undefined;
      if (org !== undefined && isTrustedOperatorRole(org.role)) trustedOperators.push(mspId);
    }
    const watched = async (partyId: string) =>
      (await readPrivateJson<FlagRecord>(ctx, customs, privateKey.flag(partyId)))?.watchlisted === true;
    const buyerRegistration = consignment.platformMspId
      ? await readJson<PartyRegistration>(
          ctx,
          compositeKey(ctx, KeyType.party, [buyerId, consignment.platformMspId]),
        )
      : undefined;
    const claimedElsewhere = async (
      type: typeof KeyType.orderNumber | typeof KeyType.trackingNumber,
      owner: string | undefined,
      value: string,
    ) => {
      if (owner === undefined) return false;
      const claim = await readJson<UniquenessRecord>(ctx, compositeKey(ctx, type, [owner, value]));
      return claim !== undefined && claim.consignmentId !== id;
    };

    const sellerKey = customsKey.seller(sellerId);
    const sellerCount = previous
      ? undefined
      : ((await readPrivateJson<{ consignments: number }>(ctx, customs, sellerKey))?.consignments ?? 0);
    const sellerConsignmentsBefore = previous?.sellerConsignmentsBefore ?? sellerCount ?? 0;
    const splitKeys = splitIndexKeys(secret.secret, sellerId, buyerId, order.consignee).map(customsKey.split);
    const splitLists = await Promise.all(
      splitKeys.map(
        async (key) => (await readPrivateJson<{ entries: SplitEntry[] }>(ctx, customs, key))?.entries ?? [],
      ),
    );
    const answers = await listByPartialKey<ReferralAnswerRecord>(ctx, KeyType.referralAnswer, [id]);
    const buyerQuota = buyerQuotaKey(
      secret.secret,
      order.buyer.document,
      localDate(order.orderedAt, consignment.joinKeys.destinationCountry),
    );
    const buyerPurchases = await readBuyerYear(ctx, customs, buyerQuota);
    const buyerYear = await Promise.all(
      buyerPurchases
        .filter((e) => e.consignmentId !== id)
        .map(async (e) => ({ ...e, status: (await loadConsignment(ctx, caller, e.consignmentId)).status })),
    );

    const now = txTime(ctx);
    const earlierTaxPoint: EarlierTaxPoint | undefined = previous && {
      ...(previous.taxPointAt === undefined ? {} : { taxPointAt: previous.taxPointAt }),
      assessedAt: previous.assessedAt,
      declared: previous.basis.declaration !== undefined,
      revenueAssessed: previous.revenue.assessed,
    };
    const taxPointAt = taxPoint(earlierTaxPoint, now);
    const assessment = assessConsignment({
      consignmentId: id,
      originCountry: consignment.joinKeys.originCountry,
      destinationCountry: consignment.joinKeys.destinationCountry,
      order,
      payment,
      logistics,
      ...(declaration ? { declaration } : {}),
      buyerVerification: buyerRegistration?.verificationLevel ?? 'none',
      orderNumberTakenByOtherConsignment: await claimedElsewhere(
        KeyType.orderNumber,
        consignment.platformMspId,
        order.orderNumber,
      ),
      trackingNumberTakenByOtherConsignment: await claimedElsewhere(
        KeyType.trackingNumber,
        consignment.carrierMspId,
        logistics.trackingNumber,
      ),
      ruleSet: ruleSet.value,
      tariffSet: tariffSet.value,
      secret: secret.secret,
      assessedAt: now,
      taxPointAt,
      seller: {
        trustedTrader: trusted?.trusted === true,
        watchlisted: await watched(sellerId),
        consignmentsSoFar: sellerConsignmentsBefore,
      },
      buyer: { watchlisted: await watched(buyerId) },
      trustedOperators,
      recentConsignments: recentFromIndex(splitLists, id),
      buyerYear,
      decisionsSoFar: seal.decisions,
    });
    const counted = countsAgainstYear(assessment.buyerLimits, assessment.match)
      ? assessment.buyerLimits
      : undefined;

    const txId = ctx.stub.getTxID();
    const record: AssessmentRecord = {
      consignmentId: id,
      number: (previous?.number ?? 0) + 1,
      ...(consignment.platformMspId ? { platformMspId: consignment.platformMspId } : {}),
      destinationCountry: consignment.joinKeys.destinationCountry,
      paidAt: payment.paidAt,
      ruleSetVersion: ruleSet.value.version,
      tariffSetVersion: tariffSet.value.version,
      basis: versionsOf(records),
      decisionsSoFar: seal.decisions,
      referralAnswers: answers.length,
      ...(counted ? { buyerQuota } : {}),
      sellerConsignmentsBefore,
      firstAssessedAt: previous?.firstAssessedAt ?? now,
      ...(fixesTaxPoint(
        { declared: declaration !== undefined, revenueAssessed: assessment.revenue.assessed },
        earlierTaxPoint,
      )
        ? { taxPointAt }
        : {}),
      assessedAt: now,
      assessedBy: caller.userId,
      txId,
      earlier: previous
        ? [
            {
              number: previous.number,
              assessedAt: previous.assessedAt,
              txId: previous.txId,
              lane: previous.risk.lane,
              score: previous.risk.score,
              matchResult: previous.match.result,
              releasable: previous.releasable,
            },
            ...previous.earlier,
          ].slice(0, HISTORY_KEPT)
        : [],
      ...assessment,
    };
    await putPrivateJson(ctx, customs, customsKey.assessment(id), record);
    // Assessed: a failure before is no longer the officers' concern. The seal's history keeps it.
    if (seal.assessmentFailure) await ctx.stub.deletePrivateData(customs, customsKey.assessmentFailure(id));
    await instructCarrier(ctx, caller, consignment, record, previous);
    if (sellerCount !== undefined && sellerCount < SELLER_HISTORY_CAP) {
      await putPrivateJson(ctx, customs, sellerKey, { consignments: nextSellerCount(sellerCount) });
    }
    const declared = splitValue(
      order,
      declaration,
      tariffSet.value,
      consignment.joinKeys.destinationCountry,
      localDate(taxPointAt, consignment.joinKeys.destinationCountry),
    );
    const entry: SplitEntry = { consignmentId: id, ...declared, at: order.orderedAt };
    for (const [i, key] of splitKeys.entries()) {
      const before = splitLists[i] ?? [];
      const after = fileInIndex(before, entry, ruleSet.value.splitShipment.windowHours);
      // An unchanged list is not rewritten, so re-assessing does not collide with the buyer's other parcels.
      if (canonicalJson(after) !== canonicalJson(before)) {
        await putPrivateJson(ctx, customs, key, { entries: after });
      }
    }
    if (previous?.buyerQuota && (!counted || !sameFiling(previous.buyerQuota, buyerQuota))) {
      const before = sameFiling(previous.buyerQuota, buyerQuota)
        ? buyerPurchases
        : await readBuyerYear(ctx, customs, previous.buyerQuota);
      await writeBuyerYear(
        ctx,
        customs,
        previous.buyerQuota,
        before,
        before.filter((e) => e.consignmentId !== id),
      );
    }
    if (counted) {
      const purchase = { consignmentId: id, value: counted.purchase, currency: counted.currency };
      await writeBuyerYear(
        ctx,
        customs,
        buyerQuota,
        buyerPurchases,
        fileQuotaEntry(buyerPurchases, purchase),
      );
    }
    const publicPart: PublicAssessment = {
      number: record.number,
      assessedAt: now,
      txId,
      match: { result: assessment.match.result, reasons: assessment.match.reasons },
      releasable: assessment.releasable,
      basis: record.basis,
      decisionsSoFar: seal.decisions,
    };
    // The access records of the reads above, in the seal this transaction writes (access-records.ts).
    // No event of their own: a transaction has one, ConsignmentAssessed, which reaches the same
    // organisations and stands for them (every assessment reads the records its basis lists).
    const { assessmentFailure: _failedBefore, ...sealBefore } = seal;
    await putJson(ctx, sealKey(ctx, id), {
      ...sealBefore,
      assessment: publicPart,
      assessmentReads: assessmentReads(ctx, caller, now, records),
    } satisfies CustomsSeal);
    emitEvent(ctx, 'ConsignmentAssessed', {
      consignmentId: id,
      assessment: record.number,
      match: publicPart.match.result,
      matchReasons: publicPart.match.reasons,
      releasable: publicPart.releasable,
    });
    return result({ consignmentId: id, ...publicPart });
  }

  /**
   * Records that customs could not assess a consignment that is still open to assessment: customs'
   * pipeline calls it when customs:assess failed on something other than the records not being
   * there yet. Transient 'failure' (AssessmentFailureReport: the error as met, which is not kept;
   * assessment-failure.ts keeps a code and a reason without personal data). The record goes to
   * customs' collection, where the work queue finds it, and its public trace to the customs seal,
   * where it keeps customs' service identity from releasing the consignment and tells auditors
   * that customs knew. A later assessment that succeeds takes both off. Endorsed by customs alone
   * (its collection, the seal's key-level policy), like the assessment.
   */
  @Transaction()
  @Returns('string')
  public async recordAssessmentFailure(ctx: Context, consignmentId: string): Promise<string> {
    const { caller, consignment } = await this.openToAssessment(ctx, consignmentId);
    const customs = customsCollection(caller.network.customsMspId);
    const id = consignment.consignmentId;
    const report = parseJsonWith(
      AssessmentFailureReport,
      'assessment failure',
      transientBytes(ctx, 'failure'),
    );
    const seal = await readJson<CustomsSeal>(ctx, sealKey(ctx, id));
    if (!seal) throw new Error(`consignment ${id} has no customs seal; it cannot be assessed`);
    const records = await listByPartialKey<SubmissionRecord>(ctx, KeyType.record, [id]);
    const key = customsKey.assessmentFailure(id);
    const txId = ctx.stub.getTxID();
    const now = txTime(ctx);
    const failure = nextAssessmentFailure(await readPrivateJson<AssessmentFailureRecord>(ctx, customs, key), {
      consignmentId: id,
      destinationCountry: consignment.joinKeys.destinationCountry,
      ...describeAssessmentFailure(report),
      basis: versionsOf(records),
      failedAt: now,
      recordedBy: caller.userId,
      txId,
    });
    await putPrivateJson(ctx, customs, key, failure);
    await putJson(ctx, sealKey(ctx, id), {
      ...seal,
      assessmentFailure: { code: failure.code, failedAt: now, txId, basis: failure.basis },
    } satisfies CustomsSeal);
    emitEvent(ctx, 'AssessmentFailed', { consignmentId: id, code: failure.code });
    return result(failure);
  }

  /**
   * The latest assessment with its explanation, earlier ones, and the referral answers received: who
   * answered, when, which referral, the answer's commitment, and for an erased one the erasure. Not
   * the answers themselves, which are personal data: readReferralAnswer gives an answer under a
   * stated purpose once recordReferralAnswerRead has put the read on the access log. Customs only
   * (evaluate).
   */
  @Transaction(false)
  @Returns('string')
  public async getAssessment(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readAssessment');
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    const record = await readPrivateJson<AssessmentRecord>(
      ctx,
      customsCollection(caller.network.customsMspId),
      customsKey.assessment(id),
    );
    const failure = await readPrivateJson<AssessmentFailureRecord>(
      ctx,
      customsCollection(caller.network.customsMspId),
      customsKey.assessmentFailure(id),
    );
    if (!record) {
      // Customs' own words about its configuration (assessment-failure.ts keeps no personal data).
      const why = failure
        ? `: its automatic assessment failed (${failure.code}, ${failure.failures} time(s), last at ${failure.failedAt}): ${failure.reason}`
        : '';
      throw new Error(`consignment ${id} has no assessment record yet${why}`);
    }
    const answers = await listByPartialKey<ReferralAnswerRecord>(ctx, KeyType.referralAnswer, [id]);
    const referralAnswers = await Promise.all(
      answers.map(async (a) => {
        // Erased with the consignment's personal data: the answer is gone, the fact stays. The
        // mark is public; the answer itself is not read here.
        const erasure = (await readErasureMark(ctx, heldReferralAnswer(a)))?.erasures.at(-1);
        return {
          ...a,
          ...(erasure ? { erased: { txId: erasure.txId, at: erasure.at, reason: erasure.reason } } : {}),
        };
      }),
    );
    return result({
      ...record,
      status: consignment.status,
      referralAnswers,
      assessmentFailed: failure ?? null,
    } satisfies AssessmentView);
  }

  /**
   * Puts the read of a referral answer (answerTxId: the transaction that wrote it) on the
   * consignment's access log, under a purpose customs may read personal data for: the access record
   * names the answer, the customs user, the purpose and the time, and readReferralAnswer then gives
   * that user the answer. Refused, and nothing recorded, for an answer that does not exist or was
   * erased. Customs only; reads public state only, so any endorsers may endorse it.
   */
  @Transaction()
  @Returns('string')
  public async recordReferralAnswerRead(
    ctx: Context,
    consignmentId: string,
    answerTxId: string,
    purpose: string,
  ): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readAssessment');
    const allowedPurpose = assertPurpose(purpose, caller);
    const held = heldReferralAnswer(await this.referralAnswer(ctx, caller, consignmentId, answerTxId));
    await assertNotErased(ctx, held);
    return result(await commitAccessRecord(ctx, caller, targetOf(held), allowedPurpose));
  }

  /**
   * A referral answer's text and documents, for the customs user whose read of it
   * recordReferralAnswerRead committed (accessTxId) less than ACCESS_VALID_MINUTES ago: the
   * answer is never handed out without a purpose and an access record. Customs only (evaluate).
   */
  @Transaction(false)
  @Returns('string')
  public async readReferralAnswer(
    ctx: Context,
    consignmentId: string,
    answerTxId: string,
    accessTxId: string,
  ): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readAssessment');
    const answer = await this.referralAnswer(ctx, caller, consignmentId, answerTxId);
    const held = heldReferralAnswer(answer);
    const access = await requireRecordedAccess(
      ctx,
      caller,
      boundRead(held, 'customs:recordReferralAnswerRead'),
      accessTxId,
    );
    // Checked against its committed root, as every record is: the trader's words as they were sent.
    const envelope = await readCommittedEnvelope<ReferralAnswer>(ctx, held);
    return result({
      ...answer,
      answer: envelope.payload,
      access: { txId: access.txId, purpose: access.purpose, at: access.at },
    });
  }

  /**
   * The public part of the latest assessment, and the public trace of a failure to assess since
   * (the reason stays in customs' collection), for those who may see the consignment (evaluate).
   * Without the failure a consignment customs could not assess would read as one still waiting for
   * its records, and one assessed before as still releasable.
   */
  @Transaction(false)
  @Returns('string')
  public async getMatch(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const seal = await readJson<CustomsSeal>(ctx, sealKey(ctx, consignment.consignmentId));
    return result({
      consignmentId: consignment.consignmentId,
      assessment: seal?.assessment ?? null,
      assessmentFailed: seal?.assessmentFailure ?? null,
    } satisfies MatchView);
  }

  /**
   * What the consignment's carrier is to collect at delivery: { consignmentId, instruction }, null
   * when customs' latest assessment left it nothing (or there is none yet). For that carrier and
   * customs; to anyone else it is not visible, whether or not there is one (evaluate).
   */
  @Transaction(false)
  @Returns('string')
  public async getCollectionInstruction(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    const consignment = await loadVisibleConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    if (!readsCollectionInstruction(caller, consignment)) {
      throw new Error(`the collection instruction of consignment ${id} is not visible to ${caller.mspId}`);
    }
    const carrier = consignment.carrierMspId;
    if (carrier === undefined) return result({ consignmentId: id, instruction: null });
    const collection = customsToCarrierCollection(carrier, caller.network.customsMspId);
    const key = privateKey.collectionInstruction(id);
    const instruction = await readPrivateJson<CollectionInstruction>(ctx, collection, key);
    // The hash commits with the block even where the value has not reached this peer yet: that is
    // not "nothing to collect", and a carrier told so would hand the parcel over unpaid.
    if (!instruction && (await ctx.stub.getPrivateDataHash(collection, key)).length > 0) {
      throw new Error(`the collection instruction of consignment ${id} is not available on this peer yet`);
    }
    return result({ consignmentId: id, instruction: instruction ?? null });
  }

  /** The officers' work queue. filterJson: QueueFilter. Customs only (evaluate). */
  @Transaction(false)
  @Returns('string')
  public async workQueue(ctx: Context, filterJson: string): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readAssessment');
    const filter = parseJsonWith(QueueFilter, 'queue filter', filterJson);
    const failures = new Map(
      (
        await listPrivateRange<AssessmentFailureRecord>(
          ctx,
          customsCollection(caller.network.customsMspId),
          ASSESSMENT_FAILURES,
        )
      ).map((f) => [f.consignmentId, f]),
    );
    const status = async (consignmentId: string) =>
      (await readJson<ConsignmentRecord>(ctx, compositeKey(ctx, KeyType.consignment, [consignmentId])))
        ?.status;
    const items = [];
    for (const assessment of await this.assessments(ctx, caller)) {
      const now = await status(assessment.consignmentId);
      if (now === undefined) continue;
      const failure = failures.get(assessment.consignmentId);
      failures.delete(assessment.consignmentId);
      items.push(
        queueItem(now, {
          assessment,
          // Still releasable by the service: a decision or a changed record since makes it the officers'.
          stillReleasable:
            assessment.releasable &&
            (await refusalOfAutomatic(ctx, assessment.consignmentId, 'release')) === undefined,
          ...(failure ? { failure } : {}),
        }),
      );
    }
    // Never assessed: without these the queue, built from assessments, would not show them at all.
    for (const failure of failures.values()) {
      const now = await status(failure.consignmentId);
      if (now !== undefined) items.push(queueItem(now, { failure }));
    }
    return result(workQueue(items, filter, txTime(ctx)));
  }

  /**
   * VAT declared as collected at checkout, against VAT assessed and against what the platform
   * remitted, per platform and month. filterJson: ReconciliationFilter. Customs only.
   */
  @Transaction(false)
  @Returns('string')
  public async reconciliation(ctx: Context, filterJson: string): Promise<string> {
    const caller = await this.customsCaller(ctx, 'readAssessment');
    const filter = parseJsonWith(ReconciliationFilter, 'reconciliation filter', filterJson);
    const readers = remittanceReaders(caller, filter, await this.remitters(ctx));
    const remittances = await this.storedRemittances(ctx, caller, readers);
    return result({ rows: reconcileCollections(await this.assessments(ctx, caller), remittances, filter) });
  }

  /**
   * What the calling platform remitted for a month's sales under a checkout scheme (under IOSS, its
   * return and payment), for customs' reconciliation. Transient 'payload' (RemittanceInput) and
   * 'saltSeed': the record goes to the platform's collection with customs (the salt keeps its
   * amount from being guessed from the hash the block holds). A reference is recorded once; a
   * correction is a remittance of its own.
   */
  @Transaction()
  @Returns('string')
  public async recordRemittance(ctx: Context): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('recordRemittance', caller);
    const input = parseJsonWith(RemittanceInput, 'remittance', transientBytes(ctx, 'payload'));
    const salt = parseWith(SaltSeed, 'saltSeed', transientString(ctx, 'saltSeed')).toLowerCase();
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    // One key per reference, to refuse it twice (a private range query cannot precede a write). Its
    // hash is in the block, as is the function: that a platform remitted is public, what it remitted not.
    const key = privateKey.remittance(input.reference);
    if (await readPrivateJson<StoredRemittance>(ctx, collection, key)) {
      throw new Error(`remittance ${input.reference} of ${caller.mspId} already exists`);
    }
    const receipt: RemittanceReceipt = {
      platformMspId: caller.mspId,
      recordedAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    const remittance: RemittanceRecord = { ...input, ...receipt };
    await putPrivateJson(ctx, collection, key, { remittance, salt } satisfies StoredRemittance);
    // Written each time, never read here: two remittances at once must not conflict over it.
    await putJson(ctx, compositeKey(ctx, KeyType.remitter, [caller.mspId]), { platformMspId: caller.mspId });
    // The answer of a transaction is in its block, for every channel member to read.
    return result(receipt);
  }

  /**
   * The remittances platforms recorded, by platform, period and time: customs reads every
   * platform's, a platform its own. filterJson: ReconciliationFilter.
   */
  @Transaction(false)
  @Returns('string')
  public async remittances(ctx: Context, filterJson: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('readRemittances', caller);
    const filter = parseJsonWith(ReconciliationFilter, 'remittance filter', filterJson);
    const readers = remittanceReaders(caller, filter, await this.remitters(ctx));
    const remittances = await this.storedRemittances(ctx, caller, readers);
    return result({ remittances: selectRemittances(remittances, filter) });
  }

  /**
   * A participant's answer to a referral (request for information), while the consignment is
   * referred. Transient 'payload' (ReferralAnswer) and 'saltSeed': the answer goes to the trader's
   * collection with customs, its Merkle root on public state. Customs then assesses again.
   */
  @Transaction()
  @Returns('string')
  public async answerReferral(ctx: Context, consignmentId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('answerReferral', caller);
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    const id = consignment.consignmentId;
    if (!participantMspIds(consignment).includes(caller.mspId)) throw unknownConsignment(id, caller);
    if (consignment.status !== 'referred') {
      throw new Error(
        `consignment ${id} is ${consignment.status}, not referred: there is no referral to answer`,
      );
    }
    const answer = parseJsonWith(ReferralAnswer, 'referral answer', transientBytes(ctx, 'payload'));
    const saltSeed = parseWith(SaltSeed, 'saltSeed', transientString(ctx, 'saltSeed')).toLowerCase();
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    const txId = ctx.stub.getTxID();
    const commitment = commitPayload(answer, saltSeed);
    await putPrivateJson(ctx, collection, privateKey.referralAnswer(id, txId), {
      payload: answer,
      saltSeed,
    } satisfies PrivateEnvelope);
    const seal = await readJson<CustomsSeal>(ctx, sealKey(ctx, id));
    const record: ReferralAnswerRecord = {
      consignmentId: id,
      answeredBy: caller.mspId,
      referralTxId: seal?.lastDecisionTxId ?? null,
      collection,
      root: commitment.root,
      leafCount: commitment.leafCount,
      answeredAt: txTime(ctx),
      txId,
    };
    await putJson(ctx, compositeKey(ctx, KeyType.referralAnswer, [id, txId]), record);
    emitEvent(ctx, 'ReferralAnswered', { consignmentId: id, answeredBy: caller.mspId, root: record.root });
    return result(record);
  }

  // ---------------------------------------------------------------- helpers (not transactions)

  private async referralAnswer(
    ctx: Context,
    caller: Caller,
    consignmentId: string,
    answerTxId: string,
  ): Promise<ReferralAnswerRecord> {
    const id = (await loadConsignment(ctx, caller, consignmentId)).consignmentId;
    const answer = /^[0-9a-f]{64}$/.test(answerTxId)
      ? await readJson<ReferralAnswerRecord>(ctx, compositeKey(ctx, KeyType.referralAnswer, [id, answerTxId]))
      : undefined;
    if (!answer) throw new Error(`referral answer ${answerTxId} of consignment ${id} does not exist`);
    return answer;
  }

  /** Customs' caller, and the consignment if its records are still open to assessment. */
  private async openToAssessment(
    ctx: Context,
    consignmentId: string,
  ): Promise<{ caller: Caller; consignment: ConsignmentRecord }> {
    const caller = await this.customsCaller(ctx, 'assessConsignment');
    const consignment = await loadConsignment(ctx, caller, consignmentId);
    if (recordsLocked(consignment.status)) {
      throw new Error(
        `consignment ${consignment.consignmentId} is ${consignment.status}: its records are final, nothing to assess`,
      );
    }
    return { caller, consignment };
  }

  private async customsCaller(
    ctx: Context,
    action:
      | 'manageCustomsConfig'
      | 'assessConsignment'
      | 'readAssessment'
      | 'setTrustedOperator'
      | 'readTrustedOperators',
  ): Promise<Caller> {
    const caller = await resolveCaller(ctx);
    assertAllowed(action, caller);
    return caller;
  }

  /** Every assessment record, in consignment id order. Private range query: evaluate only. */
  private assessments(ctx: Context, caller: Caller): Promise<AssessmentRecord[]> {
    return listPrivateRange<AssessmentRecord>(
      ctx,
      customsCollection(caller.network.customsMspId),
      ASSESSMENTS,
    );
  }

  /** The remittances of the given platforms, each's from its collection with customs. Private range query: evaluate only. */
  private async storedRemittances(
    ctx: Context,
    caller: Caller,
    platformMspIds: readonly string[],
  ): Promise<RemittanceRecord[]> {
    const out: RemittanceRecord[] = [];
    for (const platform of platformMspIds) {
      const collection = traderCollection(platform, caller.network.customsMspId);
      for (const stored of await listPrivateRange<StoredRemittance>(ctx, collection, REMITTANCES)) {
        out.push(stored.remittance);
      }
    }
    return out;
  }

  /**
   * The platforms that have recorded remittances: whose collections with customs hold some. Not the
   * organisation registry, which may have dropped a platform since, or list one not yet in a
   * collection.
   */
  private async remitters(ctx: Context): Promise<string[]> {
    const marked = await listByPartialKey<{ platformMspId: string }>(ctx, KeyType.remitter, []);
    return marked.map((m) => m.platformMspId);
  }

  private async keepSecret(ctx: Context, caller: Caller): Promise<void> {
    const collection = customsCollection(caller.network.customsMspId);
    const stored = await readPrivateJson<{ secret: string }>(ctx, collection, customsKey.secret);
    const given = ctx.stub.getTransient().get('secret');
    if (given === undefined || given.length === 0) {
      if (!stored) throw new Error("the first rule set needs transient 'secret' (32 bytes, hex)");
      return;
    }
    const secret = parseWith(CustomsSecret, 'secret', Buffer.from(given).toString('utf8').toLowerCase());
    if (stored && stored.secret !== secret) {
      // Changing it would re-key the split-shipment index and lose its history.
      throw new Error('the customs secret is set once and cannot change');
    }
    if (!stored) await putPrivateJson(ctx, collection, customsKey.secret, { secret });
  }

  private async putConfig<T extends { readonly version: string }>(
    ctx: Context,
    caller: Caller,
    kind: ConfigKind,
    value: T,
  ): Promise<string> {
    const collection = customsCollection(caller.network.customsMspId);
    const archived = await readPrivateJson<StoredConfig<T>>(
      ctx,
      collection,
      customsKey.config(kind, value.version),
    );
    if (archived && canonicalJson(archived.value) !== canonicalJson(value)) {
      throw new Error(
        `${kind} version ${value.version} already exists with other content; use a new version label`,
      );
    }
    const stored: StoredConfig<T> = archived ?? {
      value,
      setBy: caller.mspId,
      setByUser: caller.userId,
      setAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    if (!archived) await putPrivateJson(ctx, collection, customsKey.config(kind, value.version), stored);
    await putPrivateJson(ctx, collection, customsKey.config(kind), stored);
    // Public: only that customs changed its configuration, not what.
    emitEvent(ctx, 'CustomsConfigChanged', { kind });
    return result({ kind, version: value.version, txId: ctx.stub.getTxID() });
  }

  private async getConfig(ctx: Context, kind: ConfigKind, version: string): Promise<string> {
    const caller = await this.customsCaller(ctx, 'manageCustomsConfig');
    const stored = await readPrivateJson<StoredConfig<unknown>>(
      ctx,
      customsCollection(caller.network.customsMspId),
      customsKey.config(kind, version === '' ? undefined : version),
    );
    return result(stored ?? null);
  }

  private async requireConfig<T>(
    ctx: Context,
    collection: string,
    kind: ConfigKind,
    how: string,
  ): Promise<StoredConfig<T>> {
    const stored = await readPrivateJson<StoredConfig<T>>(ctx, collection, customsKey.config(kind));
    if (!stored)
      throw new Error(`customs has no ${kind === 'ruleset' ? 'risk rule set' : 'tariff set'} yet (${how})`);
    return stored;
  }
}

export async function readBuyerYear(
  ctx: Context,
  collection: string,
  filing: BuyerQuotaFiling,
): Promise<QuotaEntry[]> {
  return (
    (await readPrivateJson<{ entries: QuotaEntry[] }>(ctx, collection, customsKey.buyerYear(filing)))
      ?.entries ?? []
  );
}

/** Rewrites a buyer's year only when it changed, so re-assessing does not collide with the buyer's other parcels. */
export async function writeBuyerYear(
  ctx: Context,
  collection: string,
  filing: BuyerQuotaFiling,
  before: readonly QuotaEntry[],
  after: readonly QuotaEntry[],
): Promise<void> {
  if (canonicalJson(after) !== canonicalJson(before)) {
    await putPrivateJson(ctx, collection, customsKey.buyerYear(filing), { entries: after });
  }
}

/**
 * Gives the carrier the amount the assessment leaves it to collect, replacing an earlier one, or
 * withdraws the earlier one when this assessment leaves nothing (a collection number now declared,
 * a tariff gap, nothing due).
 */
async function instructCarrier(
  ctx: Context,
  caller: Caller,
  consignment: ConsignmentRecord,
  record: AssessmentRecord,
  previous: AssessmentRecord | undefined,
): Promise<void> {
  // Bound by the logistics record, without which there is no assessment.
  const carrierMspId = consignment.carrierMspId!;
  const collection = customsToCarrierCollection(carrierMspId, caller.network.customsMspId);
  const key = privateKey.collectionInstruction(record.consignmentId);
  const owed = carrierCollection(record);
  if (owed) {
    await putPrivateJson(ctx, collection, key, {
      consignmentId: record.consignmentId,
      carrierMspId,
      ...owed,
      assessment: { number: record.number, txId: record.txId, assessedAt: record.assessedAt },
    } satisfies CollectionInstruction);
  } else if (previous && carrierCollection(previous)) {
    await ctx.stub.deletePrivateData(collection, key);
  }
}

function sameFiling(a: BuyerQuotaFiling, b: BuyerQuotaFiling): boolean {
  return a.buyer === b.buyer && a.year === b.year;
}
