import { createHmac } from 'node:crypto';

import { z } from 'zod';

import type { AssessmentFailureRecord, PublicAssessmentFailure } from './assessment-failure';
import { checkBuyerLimits, type BuyerLimitInput, type BuyerLimitOutcome } from './buyer-limits';
import { localDate, utcDate } from './calendar';
import { canonicalJson } from './canonical';
import { checkDeclaration, type DeclarationCheck } from './declaration-check';
import { allEligible } from './eligible-goods';
import { normaliseText, threeWayMatch, type MatchResult } from './matching';
import type { Purpose } from './purposes';
import {
  assessDuty,
  checkoutCollectionRefusal,
  reliefThresholds,
  rateTable,
  compareKeys,
  Period,
  reconcile,
  selectTariff,
  TariffConfig,
  type CollectionModel,
  type CollectionRecord,
  type DutyAssessment,
  type DutyLineInput,
  type RateTable,
  type ReconciliationRow,
} from './revenue';
import {
  assessRisk,
  lanes,
  RuleSet,
  selectionDraw,
  SELLER_HISTORY_CAP,
  type Lane,
  type AssessRiskInput,
  type RecentConsignment,
  type RiskAssessment,
  type RiskLine,
} from './risk';
import {
  BusinessNumber,
  CountryCode,
  CurrencyCode,
  MspId,
  SignedMoney,
  multiLineText,
  ReasonCode,
  type DeclarationPayload,
  type LogisticsPayload,
  type OrderPayload,
  type PaymentPayload,
  type RecordKind,
  type VerificationLevel,
} from './schemas';
import { statuses, type ConsignmentStatus, type DecisionEvent } from './state-machine';

/*
 * A customs assessment of one consignment: three-way match, risk and revenue combined, and whether
 * customs' service identity may release it with no officer. Pure: the contract gathers the data
 * (private records, party status, history) and records what comes out.
 *
 * Choices worth knowing:
 * - Risk looks at the order lines (they carry quantities, which undervaluation needs); the value
 *   declared is the declaration's when it has one currency, else the order's goods value. The
 *   declaration must say what the order says (declaration-check.ts, part of the match), and its
 *   and the waybill's descriptions are checked for vagueness too.
 * - The split-shipment window is measured on order times, not on when customs happens to assess;
 *   a split stays under one of the destination's relief thresholds (revenue.ts reliefThresholds),
 *   the rule set's threshold only where the destination has no tariff.
 * - Duty is computed on the declaration lines when there is a declaration (what is declared is what
 *   is taxed), else on the order lines, on the day of the assessment.
 * - The collection model is 'platform' when the declaration carries a collection number (IOSS-like)
 *   and the destination's checkout scheme covers the goods (revenue.ts checkoutCollectionRefusal);
 *   otherwise the tariff set says who collects at import.
 * - Automatic release needs a passed match, the green lane, every risk comparison made (a missing
 *   currency rate leaves one to an officer, as a tariff gap leaves revenue), no line under a
 *   protected mark, a revenue assessment, and no customs decision yet: once an officer has acted (referral, hold, inspection), an officer
 *   decides.
 * - The per-buyer limits of the destination's tariff are part of the match, checked on the customs
 *   value the revenue assessment found; without a revenue assessment they are not checked (and
 *   the consignment is not releasable anyway). An annual limit a missing rate leaves unchecked is a
 *   RATE_MISSING for an officer, as the declared values the declaration check could not compare are.
 */

export const ConfigVersion = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'must be a short version label');

/** The destination tariffs customs applies, as one versioned document. */
export const TariffSet = z
  .strictObject({
    version: ConfigVersion,
    tariffs: z.array(TariffConfig).min(1).max(500),
    /** Who collects at import what no platform collected at checkout under a collection number. */
    uncollectedBy: z.enum(['carrier', 'buyer']),
  })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.tariffs.forEach((t, i) => {
      const key = `${t.country} ${t.validFrom}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['tariffs', i], message: `${key} twice` });
      seen.add(key);
    });
  });
export type TariffSet = z.infer<typeof TariffSet>;

/** Customs' secret for random selection and for the keys of its split-shipment index: 32 bytes, hex. */
export const CustomsSecret = z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex');

/**
 * What an assessment reads each consignment record for (purpose limitation), so each read is on the
 * access log under the purpose it serves. Risk assessment (the three-way match, the declaration
 * check, the risk rules and the split-shipment index) reads all four, names, identity documents and
 * addresses included. Revenue assessment reads the order (values, charges, tax collected at checkout,
 * and the buyer's identity document, under which the purchase counts against the buyer's limits) and
 * the declaration (lines, collection number); never the payment or the waybill.
 */
export const ASSESSMENT_READS = {
  order: ['risk_assessment', 'revenue_assessment'],
  payment: ['risk_assessment'],
  logistics: ['risk_assessment'],
  declaration: ['risk_assessment', 'revenue_assessment'],
} as const satisfies Record<RecordKind, readonly Purpose[]>;

/** What a trader sends in answer to a referral (request for information). */
export const ReferralAnswer = z.strictObject({
  message: multiLineText(4000),
  documents: z
    .array(
      z.strictObject({
        type: z.enum(['invoice', 'payment_proof', 'product_description', 'licence', 'certificate', 'other']),
        reference: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,127}$/, 'must be a short reference'),
      }),
    )
    .max(20)
    .default([]),
});
export type ReferralAnswer = z.infer<typeof ReferralAnswer>;

// ---------------------------------------------------------------- inputs derived from the records

export function riskLines(order: OrderPayload): RiskLine[] {
  return order.lines.map((l) => ({
    lineNo: l.lineNo,
    hsCode: l.hsCode,
    description: l.description,
    value: l.lineValue,
    currency: order.currency,
    quantity: l.quantity,
  }));
}

export function declaredValue(
  order: OrderPayload,
  declaration: DeclarationPayload | undefined,
): { value: number; currency: string } {
  const currencies = new Set(declaration?.lines.map((l) => l.currency));
  if (declaration === undefined || currencies.size !== 1) {
    return { value: order.goodsValue, currency: order.currency };
  }
  const cents = declaration.lines.reduce((sum, l) => sum + Math.round(l.value * 100), 0);
  return { value: cents / 100, currency: declaration.lines[0]!.currency };
}

/**
 * A consignment's value as the split-shipment check adds it up, in the terms of the destination's
 * thresholds on the day: the declared goods (declaredValue), and where the destination tests them
 * on the customs value (deMinimisOn: China's 5,000 CNY), the order's freight and insurance too, in
 * the order's currency. The index files it so, and the check compares it so.
 */
export function splitValue(
  order: OrderPayload,
  declaration: DeclarationPayload | undefined,
  tariffSet: TariffSet,
  destinationCountry: string,
  date: string,
): { value: number; currency: string } {
  const declared = declaredValue(order, declaration);
  if (destinationTariff(tariffSet, destinationCountry, date)?.deMinimisOn !== 'customs') return declared;
  const goods = declared.currency === order.currency ? declared.value : order.goodsValue;
  const cents = [goods, order.freight, order.insurance].reduce((sum, v) => sum + Math.round(v * 100), 0);
  return { value: cents / 100, currency: order.currency };
}

export function dutyLines(order: OrderPayload, declaration: DeclarationPayload | undefined): DutyLineInput[] {
  return declaration
    ? declaration.lines.map((l) => ({ hsCode: l.hsCode, value: l.value, currency: l.currency }))
    : order.lines.map((l) => ({ hsCode: l.hsCode, value: l.lineValue, currency: order.currency }));
}

/** The model the declaration claims: the destination's scheme may still refuse it (assessRevenue). */
export function collectionModelFor(
  declaration: DeclarationPayload | undefined,
  uncollectedBy: TariffSet['uncollectedBy'],
): CollectionModel {
  return declaration?.vatCollectionNumber !== undefined ? 'platform' : uncollectedBy;
}

// ---------------------------------------------------------------- split-shipment index

/** One consignment as the split-shipment index remembers it (customs-only). */
export interface SplitEntry extends RecentConsignment {
  readonly consignmentId: string;
}

/**
 * The two index keys a consignment files under: same seller and buyer, same seller and consignee.
 * Keyed hashes, so the key hashes that reach the blocks cannot be tested against guessed names.
 */
export function splitIndexKeys(
  secret: string,
  sellerId: string,
  buyerId: string,
  consignee: OrderPayload['consignee'],
): [string, string] {
  const mac = (parts: readonly string[]) =>
    createHmac('sha256', Buffer.from(secret, 'hex')).update(canonicalJson(parts), 'utf8').digest('hex');
  const a = consignee.address;
  const place = [a.line1, a.line2 ?? '', a.city, a.postcode, a.country].map(normaliseText);
  return [
    mac(['buyer', sellerId, buyerId]),
    mac(['consignee', sellerId, normaliseText(consignee.name), ...place]),
  ];
}

/** The other consignments of the index lists, each once. */
export function recentFromIndex(lists: readonly (readonly SplitEntry[])[], selfId: string): SplitEntry[] {
  const byId = new Map<string, SplitEntry>();
  for (const entry of lists.flat()) if (entry.consignmentId !== selfId) byId.set(entry.consignmentId, entry);
  return [...byId.values()].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}

/**
 * An index list with this consignment in it (replacing an earlier entry of it), without entries
 * older than two windows before the latest order. Windows reach both ways and parcels are assessed
 * in any order (when their waybills come), so a parcel ordered up to a window before the latest
 * still finds every sibling within its window; one ordered earlier still, assessed after, may not.
 */
export function fileInIndex(
  entries: readonly SplitEntry[],
  entry: SplitEntry,
  windowHours: number,
): SplitEntry[] {
  const all = [...entries.filter((e) => e.consignmentId !== entry.consignmentId), entry];
  const latest = Math.max(...all.map((e) => Date.parse(e.at)));
  const from = latest - 2 * Math.round(windowHours * 3_600_000);
  return all
    .filter((e) => Date.parse(e.at) >= from)
    .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.consignmentId < y.consignmentId ? -1 : 1));
}

export function nextSellerCount(count: number): number {
  return Math.min(count + 1, SELLER_HISTORY_CAP);
}

// ---------------------------------------------------------------- the assessment

export const releaseBlockers = [
  'DECLARATION_MISSING',
  'MATCH_FAILED',
  'LANE_AMBER',
  'LANE_RED',
  'RISK_INCOMPLETE',
  // Goods under a right holder's application for action wait for an officer whatever their score.
  'PROTECTED_MARK',
  'REVENUE_NOT_ASSESSED',
  'CUSTOMS_DECISION_TAKEN',
] as const;
export type ReleaseBlocker = (typeof releaseBlockers)[number];

export interface AssessConsignmentInput {
  readonly consignmentId: string;
  readonly originCountry: string;
  readonly destinationCountry: string;
  readonly order: OrderPayload;
  readonly payment: PaymentPayload;
  readonly logistics: LogisticsPayload;
  readonly declaration?: DeclarationPayload;
  readonly buyerVerification: VerificationLevel;
  readonly orderNumberTakenByOtherConsignment: boolean;
  readonly trackingNumberTakenByOtherConsignment: boolean;
  readonly ruleSet: RuleSet;
  readonly tariffSet: TariffSet;
  readonly secret: string;
  /** Transaction time, ISO 8601 with offset. */
  readonly assessedAt: string;
  /** When the customs debt arose (taxPoint): the tariffs and currency rates are that day's. */
  readonly taxPointAt: string;
  readonly seller: AssessRiskInput['seller'];
  readonly buyer: AssessRiskInput['buyer'];
  readonly trustedOperators?: AssessRiskInput['trustedOperators'];
  readonly recentConsignments: AssessRiskInput['recentConsignments'];
  /** The buyer's purchases filed for the order's year, with their consignments' statuses. */
  readonly buyerYear: BuyerLimitInput['year'];
  /** Customs decisions already recorded on the consignment. */
  readonly decisionsSoFar: number;
}

export type RevenueOutcome =
  | {
      readonly assessed: true;
      readonly tariff: { readonly country: string; readonly validFrom: string };
      readonly duty: DutyAssessment;
      /** Why the declaration's collection number was not honoured, when it was not. */
      readonly collectionNumberRefused?: string;
    }
  | { readonly assessed: false; readonly error: string };

export interface ConsignmentAssessment {
  readonly match: MatchResult;
  /** null when the destination's tariff sets no per-buyer limits or revenue was not assessed. */
  readonly buyerLimits: BuyerLimitOutcome | null;
  readonly risk: RiskAssessment;
  readonly collectionModel: CollectionModel;
  readonly revenue: RevenueOutcome;
  readonly releasable: boolean;
  /** Why it is not releasable, in the order of releaseBlockers; empty when it is. */
  readonly blockers: ReleaseBlocker[];
}

/** What an earlier assessment of the consignment says about its tax point. */
export interface EarlierTaxPoint {
  /** The tax point it kept (chaincode 1.9 on), if one was fixed. */
  readonly taxPointAt?: string;
  readonly assessedAt: string;
  /** Whether it rested on a declaration and assessed revenue. */
  readonly declared: boolean;
  readonly revenueAssessed: boolean;
}

/**
 * When the customs debt arose, which fixes the tariff and the currency rates for every later
 * assessment: it arises when the declaration is accepted (Union Customs Code Art. 77(2)) and is
 * computed under the rules in force then (Art. 85(1)), so the first assessment that prices the
 * goods on a declaration fixes it, as near as the ledger knows the acceptance, and a re-assessment
 * after a referral's answer or a correction does not re-price them under the rules of its own day.
 * An assessment by chaincode 1.8, which kept no tax point, priced them on its own day. Until then
 * (no declaration, or revenue not assessed: a tariff customs has yet to add may come in force
 * later), the assessment's own time gives an estimate.
 */
export function taxPoint(earlier: EarlierTaxPoint | undefined, now: string): string {
  if (earlier?.taxPointAt !== undefined) return earlier.taxPointAt;
  return earlier?.declared && earlier.revenueAssessed ? earlier.assessedAt : now;
}

/** Whether an assessment keeps its tax point for the next (see taxPoint). */
export function fixesTaxPoint(
  assessment: { readonly declared: boolean; readonly revenueAssessed: boolean },
  earlier: EarlierTaxPoint | undefined,
): boolean {
  return (
    earlier?.taxPointAt !== undefined ||
    (earlier?.declared === true && earlier.revenueAssessed) ||
    (assessment.declared && assessment.revenueAssessed)
  );
}

function assessRevenue(
  input: AssessConsignmentInput,
  tariffSet: TariffSet,
): { readonly revenue: RevenueOutcome; readonly tariff?: TariffConfig } {
  const date = localDate(input.taxPointAt, input.destinationCountry);
  try {
    const tariff = selectTariff(tariffSet.tariffs, input.destinationCountry, date);
    const assess = (collectionModel: CollectionModel) =>
      assessDuty({
        tariff,
        lines: dutyLines(input.order, input.declaration),
        freight: input.order.freight,
        insurance: input.order.insurance,
        chargesCurrency: input.order.currency,
        date,
        collectionModel,
        vatCollected: input.order.taxCollected,
      });
    const claimed = collectionModelFor(input.declaration, tariffSet.uncollectedBy);
    let duty = assess(claimed);
    const refused =
      claimed === 'platform' ? checkoutCollectionRefusal(tariff, duty.intrinsicValue) : undefined;
    if (refused !== undefined) duty = assess(tariffSet.uncollectedBy);
    return {
      revenue: {
        assessed: true,
        tariff: { country: tariff.country, validFrom: tariff.validFrom },
        duty,
        ...(refused !== undefined ? { collectionNumberRefused: refused } : {}),
      },
      tariff,
    };
  } catch (error) {
    // A tariff gap (no tariff for the country, no rate for a chapter) is for an officer, not a failure.
    return { revenue: { assessed: false, error: (error as Error).message } };
  }
}

function assessBuyerLimits(
  input: AssessConsignmentInput,
  revenue: RevenueOutcome,
  tariff: TariffConfig | undefined,
): BuyerLimitOutcome | null {
  if (!revenue.assessed || tariff?.buyerLimits === undefined) return null;
  return checkBuyerLimits({
    limits: tariff.buyerLimits,
    currency: revenue.duty.currency,
    purchase: revenue.duty.customsValue,
    year: input.buyerYear,
    consignmentId: input.consignmentId,
    rates: rateTable(tariff),
    date: localDate(input.taxPointAt, input.destinationCountry),
  });
}

/** The destination's tariff on a date, if the tariff set has one. */
function destinationTariff(tariffSet: TariffSet, country: string, date: string): TariffConfig | undefined {
  try {
    return selectTariff(tariffSet.tariffs, country, date);
  } catch {
    return undefined;
  }
}

/**
 * Currency rates for risk (reference prices, the split threshold): the destination's tariff, else
 * any tariff kept in the consignment's currency; with neither, only same-currency comparisons are
 * made and the others are left to an officer.
 */
function riskRates(tariffSet: TariffSet, destination: TariffConfig | undefined, currency: string): RateTable {
  const tariff = destination ?? tariffSet.tariffs.find((t) => t.currency === currency);
  return tariff ? rateTable(tariff) : { base: currency, rates: [] };
}

export function assessConsignment(input: AssessConsignmentInput): ConsignmentAssessment {
  const { order, logistics, declaration } = input;
  const tariffSet = TariffSet.parse(input.tariffSet);
  const { revenue, tariff } = assessRevenue(input, tariffSet);
  const collectionModel = revenue.assessed
    ? revenue.duty.collectionModel
    : collectionModelFor(declaration, tariffSet.uncollectedBy);
  const buyerLimits = assessBuyerLimits(input, revenue, tariff);
  const declared = declaredValue(order, declaration);
  const date = localDate(input.taxPointAt, input.destinationCountry);
  const destination = destinationTariff(tariffSet, input.destinationCountry, date);
  const rates = riskRates(tariffSet, destination, declared.currency);
  const declarationCheck: DeclarationCheck | undefined =
    declaration && checkDeclaration({ order, declaration, route: input, rates });
  const eligible = destination?.eligibleGoods;
  const match = threeWayMatch({
    ...input,
    buyerLimitsExceeded: buyerLimits?.reasons ?? [],
    declarationMismatches: declarationCheck?.reasons ?? [],
    goodsNotEligible: eligible !== undefined && !allEligible(eligible, dutyLines(order, declaration)),
  });
  const risk = assessRisk({
    ruleSet: input.ruleSet,
    match,
    lines: riskLines(order),
    declaredValue: declared.value,
    currency: declared.currency,
    date: order.orderedAt,
    destinationCountry: input.destinationCountry,
    rates,
    seller: input.seller,
    buyer: input.buyer,
    ...(input.trustedOperators && { trustedOperators: input.trustedOperators }),
    recentConsignments: input.recentConsignments,
    splitValue: splitValue(order, declaration, tariffSet, input.destinationCountry, date),
    randomDraw: selectionDraw(input.consignmentId, input.ruleSet.version, input.secret),
    otherDescriptions: [
      ...(declaration?.lines ?? []).map((l, i) => ({
        where: `declaration line ${i + 1}`,
        description: l.description,
      })),
      { where: 'waybill', description: logistics.goodsDescription },
    ],
    comparisonsNotMade: [declarationCheck?.notCompared, buyerLimits?.notChecked].filter(
      (note): note is string => note !== undefined,
    ),
    ...(destination && {
      splitThresholds: reliefThresholds(destination, date).map((value) => ({
        value,
        currency: destination.currency,
      })),
    }),
  });
  const blockers: ReleaseBlocker[] = [];
  if (declaration === undefined) blockers.push('DECLARATION_MISSING');
  if (match.result !== 'pass') blockers.push('MATCH_FAILED');
  if (risk.lane === 'amber') blockers.push('LANE_AMBER');
  if (risk.lane === 'red') blockers.push('LANE_RED');
  if (risk.reasons.some((r) => r.code === 'RATE_MISSING')) blockers.push('RISK_INCOMPLETE');
  if (risk.reasons.some((r) => r.code === 'IPR_SENSITIVE')) blockers.push('PROTECTED_MARK');
  if (!revenue.assessed) blockers.push('REVENUE_NOT_ASSESSED');
  if (input.decisionsSoFar > 0) blockers.push('CUSTOMS_DECISION_TAKEN');
  return { match, buyerLimits, risk, collectionModel, revenue, releasable: blockers.length === 0, blockers };
}

// ---------------------------------------------------------------- what the carrier collects

/** What the consignment's carrier is to collect from the buyer at delivery, in the tariff's currency. */
export interface CarrierCollection {
  readonly currency: string;
  readonly duty: number;
  readonly vat: number;
  /** Always 0 under the 'carrier' model; kept so that toCollect = duty + vat − collectedAtCheckout reads whole. */
  readonly collectedAtCheckout: number;
  readonly toCollect: number;
}

/**
 * The carrier collects only under the 'carrier' model, and only a positive amount: under 'platform'
 * the buyer paid the VAT at checkout (a shortfall is the platform's, settled in reconciliation) and
 * the declarant pays the duty for the platform, nothing being asked of the buyer at the door; under
 * 'buyer' the buyer pays customs; and without a revenue assessment there is no amount to give.
 */
export function carrierCollection(
  assessment: Pick<ConsignmentAssessment, 'revenue'>,
): CarrierCollection | undefined {
  const { revenue } = assessment;
  if (!revenue.assessed) return undefined;
  const { collectionModel, currency, duty, vat, collectedAtCheckout, toCollect } = revenue.duty;
  if (collectionModel !== 'carrier' || toCollect <= 0) return undefined;
  return { currency, duty, vat, collectedAtCheckout, toCollect };
}

// ---------------------------------------------------------------- what is public, and automatic release

/** Versions of the records an assessment was made on (public: SubmissionRecord versions). */
export type RecordVersions = Partial<Record<RecordKind, number>>;

/**
 * The part of an assessment on the public state, in the customs seal: the match outcome and its
 * reason codes (never the values compared), and whether customs' service may release. The lane,
 * score and risk reasons stay in customs' own collection.
 */
export interface PublicAssessment {
  readonly number: number;
  readonly assessedAt: string;
  readonly txId: string;
  readonly match: { readonly result: MatchResult['result']; readonly reasons: readonly string[] };
  readonly releasable: boolean;
  readonly basis: RecordVersions;
  readonly decisionsSoFar: number;
}

export function sameVersions(a: RecordVersions, b: RecordVersions): boolean {
  const kinds = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<RecordKind>;
  return [...kinds].every((k) => a[k] === b[k]);
}

/**
 * Why customs' service identity may not record this decision, or undefined when it may: it only
 * releases, and only on a releasable assessment of the records as they stand, with no decision since.
 */
export function automaticDecisionRefusal(input: {
  readonly decision: DecisionEvent;
  readonly assessment: PublicAssessment | undefined;
  /** A failure recorded since the latest assessment (an assessment that succeeds takes it off). */
  readonly failure?: PublicAssessmentFailure;
  readonly currentBasis: RecordVersions;
  readonly decisionsSoFar: number;
}): string | undefined {
  const { assessment, failure } = input;
  if (input.decision !== 'release')
    return `an automatic decision can only be 'release', not '${input.decision}'`;
  // Checked before the assessment: a parcel customs could not assess is held for an officer, even
  // one whose earlier assessment of the same records allowed release.
  if (failure !== undefined) {
    return `its assessment failed (${failure.code}, transaction ${failure.txId}); an officer decides`;
  }
  if (assessment === undefined) return 'no assessment to release on';
  if (!assessment.releasable) return `assessment ${assessment.number} does not allow automatic release`;
  if (!sameVersions(assessment.basis, input.currentBasis)) {
    return `records changed since assessment ${assessment.number}; assess again`;
  }
  if (input.decisionsSoFar !== assessment.decisionsSoFar) {
    return `a customs decision was recorded since assessment ${assessment.number}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- the officers' work queue

/** Statuses in which a consignment waits for customs. */
export const openStatuses: readonly ConsignmentStatus[] = [
  'created',
  'dispatched',
  'arrived',
  'referred',
  'held',
  'inspection',
];

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Filters and paging of the work queue; strings as they come in a query string, or typed. */
export const QueueFilter = z.strictObject({
  lane: z.enum(lanes).optional(),
  status: z.enum(statuses).optional(),
  matchResult: z.enum(['pass', 'fail']).optional(),
  /** A risk reason or release blocker code. */
  reason: ReasonCode.optional(),
  destinationCountry: CountryCode.optional(),
  /** Waiting at least this long since the first assessment (or first failure, when none succeeded). */
  minAgeHours: z.coerce.number().min(0).max(100_000).optional(),
  /** Also consignments customs no longer has to act on (released, final, or about to be released). */
  includeClosed: z.union([z.boolean(), flag]).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type QueueFilter = z.infer<typeof QueueFilter>;

export interface QueueItem {
  readonly consignmentId: string;
  readonly status: ConsignmentStatus;
  readonly destinationCountry: string;
  /** null when no assessment of the consignment has succeeded yet. */
  readonly lane: Lane | null;
  readonly score: number | null;
  readonly matchResult: MatchResult['result'] | null;
  /** Risk reason codes, then release blockers, then ASSESSMENT_FAILED when the latest try failed. */
  readonly reasonCodes: readonly string[];
  /** Customs' service may still release it: its latest assessment allows it, and nothing changed since. */
  readonly releasable: boolean;
  readonly firstAssessedAt: string | null;
  readonly assessedAt: string | null;
  readonly assessments: number;
  readonly referralAnswers: number;
  /** The latest assessment failed: what is known of why, with no personal data (assessment-failure.ts). */
  readonly assessmentFailed: QueueFailure | null;
}

export type QueueFailure = Pick<
  AssessmentFailureRecord,
  'code' | 'reason' | 'failures' | 'firstFailedAt' | 'failedAt'
>;

/** What the queue shows of an assessment record (the contract's AssessmentRecord). */
export type QueuedAssessment = Pick<ConsignmentAssessment, 'match' | 'risk' | 'blockers' | 'releasable'> & {
  readonly consignmentId: string;
  readonly destinationCountry: string;
  readonly number: number;
  readonly firstAssessedAt: string;
  readonly assessedAt: string;
  readonly referralAnswers: number;
};

export const ASSESSMENT_FAILED = 'ASSESSMENT_FAILED';

/**
 * A consignment's line in the queue, from its latest assessment, its failure since, or both. A
 * failure makes it the officers' whatever the assessment before it allowed. `stillReleasable`: the
 * service may still release on the assessment (no decision or record change since).
 */
export function queueItem(
  status: ConsignmentStatus,
  entry:
    | {
        readonly assessment: QueuedAssessment;
        readonly stillReleasable: boolean;
        readonly failure?: AssessmentFailureRecord;
      }
    | { readonly failure: AssessmentFailureRecord },
): QueueItem {
  const { failure } = entry;
  const assessmentFailed: QueueFailure | null = failure
    ? {
        code: failure.code,
        reason: failure.reason,
        failures: failure.failures,
        firstFailedAt: failure.firstFailedAt,
        failedAt: failure.failedAt,
      }
    : null;
  const failed = failure ? [ASSESSMENT_FAILED] : [];
  if (!('assessment' in entry)) {
    return {
      consignmentId: entry.failure.consignmentId,
      status,
      destinationCountry: entry.failure.destinationCountry,
      lane: null,
      score: null,
      matchResult: null,
      reasonCodes: failed,
      releasable: false,
      firstAssessedAt: null,
      assessedAt: null,
      assessments: 0,
      referralAnswers: 0,
      assessmentFailed,
    };
  }
  const { assessment } = entry;
  return {
    consignmentId: assessment.consignmentId,
    status,
    destinationCountry: assessment.destinationCountry,
    lane: assessment.risk.lane,
    score: assessment.risk.score,
    matchResult: assessment.match.result,
    reasonCodes: [...assessment.risk.reasons.map((r) => r.code), ...assessment.blockers, ...failed],
    releasable: assessment.releasable && entry.stillReleasable && failure === undefined,
    firstAssessedAt: assessment.firstAssessedAt,
    assessedAt: assessment.assessedAt,
    assessments: assessment.number,
    referralAnswers: assessment.referralAnswers,
    assessmentFailed,
  };
}

/** Since when a consignment waits: its first assessment, or its first failure when none succeeded. */
function waitingSince(item: QueueItem): string {
  return item.firstAssessedAt ?? item.assessmentFailed?.firstFailedAt ?? '';
}

export interface QueuePage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: (QueueItem & { readonly ageHours: number })[];
}

const hoursBetween = (from: string, to: string): number =>
  Math.floor((Date.parse(to) - Date.parse(from)) / 36_000) / 100;

/**
 * A consignment customs' service may release is the service's: it releases within seconds of the
 * assessment. One still unreleased this long after it (the release failed, or the gateway stopped
 * in between) waits for an officer.
 */
export const AUTOMATIC_RELEASE_HOURS = 1 / 6;

/** The filtered page, oldest first (then by id), with each item's age at `now`. */
export function workQueue(
  items: readonly QueueItem[],
  filter: z.input<typeof QueueFilter>,
  now: string,
): QueuePage {
  const f = QueueFilter.parse(filter);
  const open = (i: QueueItem) =>
    openStatuses.includes(i.status) &&
    !(i.releasable && i.assessedAt !== null && hoursBetween(i.assessedAt, now) < AUTOMATIC_RELEASE_HOURS);
  const matching = items
    .filter((i) => f.includeClosed === true || f.status !== undefined || open(i))
    .filter((i) => f.status === undefined || i.status === f.status)
    .filter((i) => f.lane === undefined || i.lane === f.lane)
    .filter((i) => f.matchResult === undefined || i.matchResult === f.matchResult)
    .filter((i) => f.reason === undefined || i.reasonCodes.includes(f.reason))
    .filter((i) => f.destinationCountry === undefined || i.destinationCountry === f.destinationCountry)
    .filter((i) => f.minAgeHours === undefined || hoursBetween(waitingSince(i), now) >= f.minAgeHours)
    .sort((a, b) =>
      waitingSince(a) !== waitingSince(b)
        ? waitingSince(a) < waitingSince(b)
          ? -1
          : 1
        : a.consignmentId < b.consignmentId
          ? -1
          : 1,
    );
  return {
    total: matching.length,
    offset: f.offset,
    limit: f.limit,
    items: matching
      .slice(f.offset, f.offset + f.limit)
      .map((i) => ({ ...i, ageHours: hoursBetween(waitingSince(i), now) })),
  };
}

// ---------------------------------------------------------------- reconciliation

export const ReconciliationFilter = z.strictObject({
  platformMspId: MspId.optional(),
  period: Period.optional(),
});
export type ReconciliationFilter = z.infer<typeof ReconciliationFilter>;

/**
 * What a platform remitted for a period's sales under a checkout scheme (under IOSS, its monthly
 * return and payment), as it records it for customs, in the currency of the destination's tariff
 * (the reconciliation's rows are per currency). A correction of a period, upwards or downwards, is
 * a remittance of its own, under its own reference.
 */
export const RemittanceInput = z.strictObject({
  /** The month of the sales it is for (the reconciliation's period), not the month it was paid. */
  period: Period,
  currency: CurrencyCode,
  /** Negative for a correction that lowers what was remitted for the period. */
  amount: SignedMoney,
  /** The return's or the payment's reference: one remittance per reference and platform. */
  reference: BusinessNumber,
});
export type RemittanceInput = z.infer<typeof RemittanceInput>;

export interface RemittanceRecord extends RemittanceInput {
  readonly platformMspId: string;
  readonly recordedAt: string;
  readonly txId: string;
}

/** What a recorded remittance's transaction answers: public facts only, since its answer is in the block. */
export type RemittanceReceipt = Pick<RemittanceRecord, 'platformMspId' | 'recordedAt' | 'txId'>;

/** Whether a row keyed by platform and period is one `filter` asks for. */
const selectedBy =
  (filter: ReconciliationFilter) =>
  (r: { readonly platformMspId: string; readonly period: string }): boolean =>
    (filter.platformMspId === undefined || r.platformMspId === filter.platformMspId) &&
    (filter.period === undefined || r.period === filter.period);

/** The remittances `filter` selects, by platform, period, time recorded and reference. */
export function selectRemittances(
  remittances: readonly RemittanceRecord[],
  filter: ReconciliationFilter,
): RemittanceRecord[] {
  const key = (r: RemittanceRecord): string[] => [r.platformMspId, r.period, r.recordedAt, r.reference];
  return remittances.filter(selectedBy(filter)).sort((a, b) => compareKeys(key(a), key(b)));
}

/**
 * Whose remittances a caller may list with `filter`, among the network's platforms: customs every
 * platform's (or the one it names), a platform its own alone. Refuses a platform naming another.
 */
export function remittanceReaders(
  caller: { readonly mspId: string; readonly role: string },
  filter: ReconciliationFilter,
  platforms: readonly string[],
): string[] {
  if (caller.role === 'customs') {
    return platforms.filter((p) => filter.platformMspId === undefined || p === filter.platformMspId);
  }
  if ((filter.platformMspId ?? caller.mspId) !== caller.mspId) {
    throw new Error(`${caller.mspId} cannot read the remittances of ${filter.platformMspId}`);
  }
  return [caller.mspId];
}

/** One assessed consignment, as the reconciliation needs it. */
export interface AssessedCollection {
  readonly platformMspId?: string;
  /** When the payment was accepted (the payment record's paidAt); absent on assessments before 1.9. */
  readonly paidAt?: string;
  /** Whose calendar months the periods are. */
  readonly destinationCountry: string;
  readonly assessedAt: string;
  readonly revenue: RevenueOutcome;
}

/**
 * Declared-collected against assessed VAT, per platform, period and currency, for consignments
 * whose tax the platform collected at checkout. The period is the month the payment was accepted,
 * when the VAT of a sale under a checkout scheme becomes chargeable (VAT Directive Art. 66a), so
 * the platform's return for a month is compared with the sales it declares in it, and a parcel
 * assessed again later stays in its month. An assessment before chaincode 1.9, which does not keep
 * the payment's time, counts in the UTC month of the assessment, as it did, until the consignment is
 * assessed again.
 */
export function reconcileCollections(
  assessed: readonly AssessedCollection[],
  remittances: readonly RemittanceRecord[],
  filter: z.input<typeof ReconciliationFilter>,
): ReconciliationRow[] {
  const f = ReconciliationFilter.parse(filter);
  const records: CollectionRecord[] = assessed.flatMap((a) => {
    if (
      !a.revenue.assessed ||
      a.revenue.duty.collectionModel !== 'platform' ||
      a.platformMspId === undefined
    ) {
      return [];
    }
    return [
      {
        platformMspId: a.platformMspId,
        // An assessment before 1.9 stays in the UTC month of the assessment it was counted in.
        period: (a.paidAt === undefined
          ? utcDate(a.assessedAt)
          : localDate(a.paidAt, a.destinationCountry)
        ).slice(0, 7),
        currency: a.revenue.duty.currency,
        declaredCollected: a.revenue.duty.collectedAtCheckout,
        assessedVat: a.revenue.duty.vat,
      },
    ];
  });
  return reconcile(records.filter(selectedBy(f)), selectRemittances(remittances, f));
}
