import { createHash } from 'node:crypto';

import { z } from 'zod';

import { localDate, utcDate } from './calendar';
import { canonicalJson } from './canonical';
import type { MatchReasonCode, MatchResult } from './matching';
import { applyRate, convertCents, decimalFraction, MissingRateError, RateTable, toCents } from './revenue';
import { CurrencyCode, HsPrefix, IsoDateTime, Money, parseWith, Reference } from './schemas';

/*
 * Layered risk assessment of a consignment against a versioned rule set that is data:
 *   1. hard rules (straight to red or green);
 *   2. weighted indicators summed into a score, multiplied by the trusted-trader factor for a
 *      trusted seller and by the trusted-operator factor for each trusted platform or carrier;
 *   3. thresholds into a lane (green: release; amber: request information; red: inspect);
 *   4. random selection: a green becomes amber when the given draw is below the rate.
 * Pure: time, history and the random draw come in as arguments. Reason details carry codes,
 * line numbers, HS codes and rule parameters, never a personal value, description or amount.
 *
 * Choices worth knowing:
 * - A red hard rule beats a green one whatever the listing order; all fired hard rules are
 *   reported, the deciding one in hardRule. The score is computed even when a hard rule decides.
 * - Each indicator counts once per consignment, however many lines trip it.
 * - Match failures score per reason, as MATCH_<reason>; missing order, payment or logistics
 *   data scores MATCH_INCOMPLETE. Indicators absent from the rule set are off.
 * - Scores are exact to 2 decimals (half-up after the trusted-trader factor); a score equal to
 *   a threshold reaches that lane.
 * - Random selection also applies to a green decided by a hard rule (compliance measurement).
 * - A comparison that needs a currency rate the table lacks (a reference price, the split
 *   threshold) is not made: one RATE_MISSING reason names each one skipped, and no trusted-trader
 *   clean rule fires, so an officer makes it (customs.ts blocks automatic release on it).
 */

export const hardRuleCodes = [
  'PROHIBITED_HS',
  'PRODUCT_RECALL',
  'WATCHLISTED_SELLER',
  'WATCHLISTED_BUYER',
  'TRUSTED_TRADER_CLEAN',
] as const;
export type HardRuleCode = (typeof hardRuleCodes)[number];

/** Match failures score per reason: MATCH_ + the matching reason code. */
export const indicatorCodes = [
  'MATCH_AMOUNT_FORMULA',
  'MATCH_ORDER_LINES_VALUE',
  'MATCH_PAYMENT_AMOUNT',
  'MATCH_CURRENCY',
  'MATCH_ORDER_NUMBER',
  'MATCH_CONSIGNEE_NAME',
  'MATCH_CONSIGNEE_PHONE',
  'MATCH_CONSIGNEE_ADDRESS',
  'MATCH_BUYER_NOT_VERIFIED_OR_PAYER',
  'MATCH_DUPLICATE_ORDER_NUMBER',
  'MATCH_DUPLICATE_TRACKING_NUMBER',
  'MATCH_BUYER_PURCHASE_LIMIT',
  'MATCH_BUYER_ANNUAL_LIMIT',
  'MATCH_GOODS_NOT_ELIGIBLE',
  'MATCH_DECLARATION_ROUTE',
  'MATCH_DECLARATION_HS_CODES',
  'MATCH_DECLARATION_VALUE',
  'MATCH_INCOMPLETE',
  'UNDERVALUATION',
  'NOMINAL_VALUE',
  'VAGUE_DESCRIPTION',
  'MISSING_HS6',
  'SPLIT_SHIPMENT',
  'RESTRICTED_HS',
  'IPR_SENSITIVE',
  'NEW_SELLER',
] as const;
export type IndicatorCode = (typeof indicatorCodes)[number];

export function matchIndicator(reason: MatchReasonCode): IndicatorCode {
  return `MATCH_${reason}`;
}

/** Reasons that carry no weight: how the score was lowered, a random draw, a comparison not made. */
export const unweightedReasonCodes = [
  'TRUSTED_TRADER',
  'TRUSTED_OPERATOR',
  'RANDOM_SELECTION',
  'RATE_MISSING',
] as const;

export type RiskReasonCode = HardRuleCode | IndicatorCode | (typeof unweightedReasonCodes)[number];

export const lanes = ['green', 'amber', 'red'] as const;
export type Lane = (typeof lanes)[number];

/**
 * Customs stops counting a seller's consignments here: the count only matters while the seller is
 * new, and a counter rewritten by every assessment of a busy seller would make them collide.
 */
export const SELLER_HISTORY_CAP = 100;

const Hs6 = z.string().regex(/^\d{6}$/, 'must be an HS6 subheading (6 digits)');
const Fraction01 = z.number().min(0).max(1);
/** Lower-case words (letters, their marks, digits), single spaces: what `words` makes of a description. */
const Words = z
  .string()
  .regex(
    /^[\p{Ll}\p{Lo}\p{Lm}\p{N}][\p{Ll}\p{Lo}\p{Lm}\p{M}\p{N}]*(?: [\p{Ll}\p{Lo}\p{Lm}\p{N}][\p{Ll}\p{Lo}\p{Lm}\p{M}\p{N}]*)*$/u,
    'must be lower-case words separated by single spaces',
  );

/**
 * Goods customs looks out for by name: a right holder's application for action (EU Regulation
 * 608/2013) naming its marks, or a recall or dangerous-product alert (EU Safety Gate) naming the
 * product. A line matches when its description holds one of the terms word for word and its HS
 * code falls under one of the prefixes; a line with no well-formed HS code is compared on the
 * terms alone, so leaving the code out does not escape the notice.
 */
const GoodsNotice = z.strictObject({
  /** Public: reason details name it, never the term that matched. */
  reference: Reference,
  /** Absent: any HS code. */
  hsPrefixes: z.array(HsPrefix).min(1).optional(),
  terms: z.array(Words).min(1),
});
export type GoodsNotice = z.infer<typeof GoodsNotice>;

export const RuleSet = z
  .strictObject({
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'must be a short version label'),
    hardRules: z.array(z.strictObject({ code: z.enum(hardRuleCodes), lane: z.enum(['green', 'red']) })),
    indicators: z.array(z.strictObject({ code: z.enum(indicatorCodes), weight: Money })),
    thresholds: z
      .strictObject({ amber: Money, red: Money })
      .refine((t) => t.amber <= t.red, { message: 'amber must not exceed red', path: ['red'] }),
    randomSelectionRate: Fraction01,
    /** Multiplies a trusted trader's score (0.5 halves it). */
    trustedTraderFactor: Fraction01,
    /**
     * Multiplies the score once for each of the consignment's platform and carrier that customs
     * recognises as a trusted operator (AEO). Absent (before chaincode 1.11): they lower nothing.
     */
    trustedOperatorFactor: Fraction01.optional(),
    /** Typical unit price per HS6. */
    referencePrices: z.record(Hs6, z.strictObject({ price: Money, currency: CurrencyCode })),
    /** A unit value below this share of the reference price is undervalued. */
    undervaluationRatio: z.number().gt(0).max(1),
    /** Values at or under this (in any currency) are nominal: the "0 or 1" declarations. */
    nominalValueMax: Money,
    /** Lower-case words; a description made only of them is vague. */
    vagueDescriptions: z.array(Words),
    prohibitedHsPrefixes: z.array(HsPrefix),
    restrictedHsPrefixes: z.array(HsPrefix),
    /** For IPR_SENSITIVE: marks right holders asked customs to protect. Absent (before chaincode 1.11): none. */
    protectedMarks: z.array(GoodsNotice).optional(),
    /** For PRODUCT_RECALL: products recalled or notified as dangerous. Absent (before chaincode 1.11): none. */
    productRecalls: z.array(GoodsNotice).optional(),
    splitShipment: z.strictObject({
      windowHours: z.number().positive().finite(),
      /** For a destination whose tariff is not known; else its relief thresholds (AssessRiskInput). */
      threshold: Money,
      currency: CurrencyCode,
    }),
    /** A seller with at most this many earlier consignments is new. */
    newSellerMaxConsignments: z
      .number()
      .int()
      .min(0)
      .max(SELLER_HISTORY_CAP - 1),
  })
  .superRefine((r, ctx) => {
    const once = (codes: string[], path: string) =>
      codes.forEach((code, i) => {
        if (codes.indexOf(code) !== i)
          ctx.addIssue({ code: 'custom', path: [path, i], message: `${code} twice` });
      });
    once(
      r.hardRules.map((h) => h.code),
      'hardRules',
    );
    once(
      r.indicators.map((h) => h.code),
      'indicators',
    );
    once(
      (r.protectedMarks ?? []).map((n) => n.reference),
      'protectedMarks',
    );
    once(
      (r.productRecalls ?? []).map((n) => n.reference),
      'productRecalls',
    );
    // A notice its rule does not look at would be customs' list in force doing nothing.
    const unused = (
      notices: readonly GoodsNotice[] | undefined,
      path: string,
      rule: string,
      listed: boolean,
    ) => {
      if ((notices?.length ?? 0) > 0 && !listed)
        ctx.addIssue({
          code: 'custom',
          path: [path],
          message: `are looked at only under ${rule}, which is not listed`,
        });
    };
    unused(
      r.protectedMarks,
      'protectedMarks',
      'the indicator IPR_SENSITIVE',
      r.indicators.some((i) => i.code === 'IPR_SENSITIVE'),
    );
    unused(
      r.productRecalls,
      'productRecalls',
      'the hard rule PRODUCT_RECALL',
      r.hardRules.some((h) => h.code === 'PRODUCT_RECALL'),
    );
  });
export type RuleSet = z.infer<typeof RuleSet>;

export interface RiskLine {
  /** Defaults to the line's position, from 1. */
  readonly lineNo?: number;
  readonly hsCode?: string;
  readonly description: string;
  /** Line value. */
  readonly value: number;
  readonly currency: string;
  /** When absent the whole line value is compared with one unit's reference price. */
  readonly quantity?: number;
}

export interface RecentConsignment {
  readonly value: number;
  readonly currency: string;
  /** ISO 8601 date-time with offset. */
  readonly at: string;
}

export interface AssessRiskInput {
  readonly ruleSet: RuleSet;
  readonly match: Pick<MatchResult, 'complete' | 'reasons'>;
  readonly lines: readonly RiskLine[];
  readonly declaredValue: number;
  readonly currency: string;
  /** When the consignment is assessed: ISO 8601 date-time with offset, or a date (midnight UTC). */
  readonly date: string;
  /** The destination, whose calendar date of `date` picks the currency rates (calendar.ts). */
  readonly destinationCountry: string;
  /** For reference prices and the split-shipment threshold; e.g. rateTable(tariff). */
  readonly rates: RateTable;
  readonly seller: {
    readonly trustedTrader: boolean;
    readonly watchlisted: boolean;
    readonly consignmentsSoFar: number;
  };
  readonly buyer: { readonly watchlisted: boolean };
  /** The consignment's platform and carrier (MSP ids) that customs recognises as trusted operators. */
  readonly trustedOperators?: readonly string[];
  /** Other consignments of the same buyer or consignee from the same seller, ordered before or after this one. */
  readonly recentConsignments: readonly RecentConsignment[];
  /**
   * This consignment's value as the split-shipment check adds it up, as the recent consignments'
   * are filed (customs.ts splitValue); absent, the declared value.
   */
  readonly splitValue?: { readonly value: number; readonly currency: string };
  /** In [0, 1); see selectionDraw. */
  readonly randomDraw: number;
  /** The goods' other descriptions (the declaration's lines, the waybill's), checked for vagueness. */
  readonly otherDescriptions?: readonly { readonly where: string; readonly description: string }[];
  /** Comparisons the caller could not make for want of a rate: each a RATE_MISSING note, as ours. */
  readonly comparisonsNotMade?: readonly string[];
  /**
   * The destination's relief thresholds (revenue.ts reliefThresholds), which a split shipment would
   * stay under; absent (no tariff known), the rule set's threshold; empty, nothing to split for.
   */
  readonly splitThresholds?: readonly { readonly value: number; readonly currency: string }[];
}

export interface RiskReason {
  readonly code: RiskReasonCode;
  /** Indicators only. */
  readonly weight?: number;
  readonly detail: string;
}

export interface RiskAssessment {
  readonly ruleSetVersion: string;
  readonly lane: Lane;
  /** After the trusted-trader and trusted-operator factors, 2 decimals. */
  readonly score: number;
  readonly reasons: RiskReason[];
  /** The hard rule that decided the lane, if any. */
  readonly hardRule?: HardRuleCode;
  readonly selectedAtRandom: boolean;
}

/**
 * A deterministic draw in [0, 1) from SHA-256 of (consignment id, rule set version, seed): every
 * endorser draws the same, and nobody can predict it without the seed (keep it with customs).
 */
export function selectionDraw(consignmentId: string, ruleSetVersion: string, seed: string): number {
  const digest = createHash('sha256')
    .update(canonicalJson([consignmentId, ruleSetVersion, seed]), 'utf8')
    .digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function epochMs(value: string, what: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    utcDate(value); // validates the calendar date
    return Date.parse(`${value}T00:00:00Z`);
  }
  if (!IsoDateTime.safeParse(value).success) {
    throw new Error(`${what} '${value}' must be an ISO 8601 date-time with an offset, or a date`);
  }
  return Date.parse(value);
}

/** The line's HS code when well-formed (6 to 10 digits): a malformed one is free text. */
function wellFormedHs(hsCode: string | undefined): string | undefined {
  return hsCode !== undefined && /^\d{6,10}$/.test(hsCode) ? hsCode : undefined;
}

/** An HS code for a reason detail: shown only when well-formed. */
function shownHs(hsCode: string | undefined): string {
  const hs = wellFormedHs(hsCode);
  return hs === undefined ? 'HS code' : `HS ${hs}`;
}

/**
 * Lower-case words of letters (with their marks) and digits. Invisible characters (variation
 * selectors, joiners) are dropped first, so none can hide a word; NFKC folds compatibility forms,
 * so full-width "ＧＩＦＴ" and "gift" are one word; marks stay in their word, so a Thai or Devanagari
 * word is not cut at its vowel signs, but a mark cannot start one.
 */
function words(text: string): string[] {
  return text
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .map((w) => w.replace(/^\p{M}+/u, ''))
    .filter((w) => w.length > 0);
}

/**
 * Whether a description is vague: no word, or only the rule set's vague words and phrases, both taken
 * as `words` gives them. The entries are taken once, for every description of an assessment.
 */
export function vagueDescriptions(vague: readonly string[]): (description: string) => boolean {
  const entries = new Set(vague.map((v) => words(v).join(' ')));
  return (description) => {
    const ws = words(description);
    return ws.length === 0 || entries.has(ws.join(' ')) || ws.every((w) => entries.has(w));
  };
}

/**
 * The notices a line falls under: a term among its description's words, its HS code under a prefix.
 * The terms are taken as `words` gives them once, for every line of an assessment.
 */
export function noticesFor(
  notices: readonly GoodsNotice[],
): (line: Pick<RiskLine, 'hsCode' | 'description'>) => GoodsNotice[] {
  const compiled = notices.map((notice) => ({ notice, terms: notice.terms.map(words) }));
  return (line) => {
    const ws = words(line.description);
    const hs = wellFormedHs(line.hsCode);
    const holds = (t: readonly string[]) => {
      for (let i = 0; i + t.length <= ws.length; i++) if (t.every((w, j) => ws[i + j] === w)) return true;
      return false;
    };
    return compiled
      .filter(
        ({ notice, terms }) =>
          (hs === undefined ||
            notice.hsPrefixes === undefined ||
            notice.hsPrefixes.some((p) => hs.startsWith(p))) &&
          terms.some(holds),
      )
      .map(({ notice }) => notice);
  };
}

/** a < b for non-negative decimals given as products of numbers. */
function productLess(a: readonly number[], b: readonly number[]): boolean {
  const side = (xs: readonly number[]) =>
    xs.map(decimalFraction).reduce((p, f) => ({ n: p.n * f.n, d: p.d * f.d }), { n: 1n, d: 1n });
  const x = side(a);
  const y = side(b);
  return x.n * y.d < y.n * x.d;
}

export function assessRisk(input: AssessRiskInput): RiskAssessment {
  const rules = parseWith(RuleSet, 'rule set', input.ruleSet);
  const rates = parseWith(RateTable, 'rate table', input.rates);
  if (!(input.randomDraw >= 0 && input.randomDraw < 1)) throw new Error('randomDraw must be in [0, 1)');
  const now = epochMs(input.date, 'date');
  const rateDate = localDate(input.date, input.destinationCountry);
  const lineNo = (l: RiskLine, i: number) => l.lineNo ?? i + 1;
  const isVague = vagueDescriptions(rules.vagueDescriptions);
  const protectedMarksOf = noticesFor(rules.protectedMarks ?? []);

  // ------------------------------------------------ indicators
  const fired = new Map<IndicatorCode, string[]>();
  const fire = (code: IndicatorCode, detail: string) => fired.set(code, [...(fired.get(code) ?? []), detail]);
  const skipped = new Set<string>(input.comparisonsNotMade);
  const convert = (cents: number, from: string, to: string, what: string): number | undefined => {
    try {
      return convertCents(cents, from, to, rateDate, rates);
    } catch (error) {
      if (!(error instanceof MissingRateError)) throw error;
      skipped.add(`${what} not checked: ${error.message}`);
      return undefined;
    }
  };

  for (const reason of input.match.reasons) fire(matchIndicator(reason), `three-way match: ${reason}`);
  if (!input.match.complete) fire('MATCH_INCOMPLETE', 'order, payment or logistics data missing');

  const nominal = toCents(rules.nominalValueMax);
  if (toCents(input.declaredValue) <= nominal) {
    fire('NOMINAL_VALUE', `declared value at or under ${rules.nominalValueMax}`);
  }

  input.lines.forEach((line, i) => {
    const n = lineNo(line, i);
    const hs = wellFormedHs(line.hsCode);
    if (hs === undefined) fire('MISSING_HS6', `line ${n}: no HS6 code`);
    if (isVague(line.description)) {
      fire('VAGUE_DESCRIPTION', `line ${n}: vague description`);
    }
    const valueCents = toCents(line.value);
    if (valueCents <= nominal) fire('NOMINAL_VALUE', `line ${n}: value at or under ${rules.nominalValueMax}`);
    const restricted = rules.restrictedHsPrefixes.find((p) => line.hsCode?.startsWith(p));
    if (restricted !== undefined) {
      fire('RESTRICTED_HS', `line ${n}: ${shownHs(line.hsCode)} under restricted prefix ${restricted}`);
    }
    for (const notice of protectedMarksOf(line)) {
      fire('IPR_SENSITIVE', `line ${n}: ${shownHs(line.hsCode)}, a mark protected under ${notice.reference}`);
    }
    if (hs === undefined) return;

    const reference = rules.referencePrices[hs.slice(0, 6)];
    if (reference === undefined) return;
    const value = convert(
      valueCents,
      line.currency,
      reference.currency,
      `line ${n} (HS6 ${hs.slice(0, 6)}): undervaluation`,
    );
    // value < ratio × price × quantity, exactly.
    if (
      value !== undefined &&
      productLess([value], [rules.undervaluationRatio, toCents(reference.price), line.quantity ?? 1])
    ) {
      fire(
        'UNDERVALUATION',
        `line ${n} (HS6 ${hs.slice(0, 6)}): under ${rules.undervaluationRatio} × the reference unit price`,
      );
    }
  });

  for (const { where, description } of input.otherDescriptions ?? []) {
    if (isVague(description)) fire('VAGUE_DESCRIPTION', `${where}: vague description`);
  }

  const split = rules.splitShipment;
  // Both sides of this order's time: the parcels of one purchase split over days reach customs in
  // any order, and a later order assessed first must not leave the earlier one to pass unflagged.
  const windowMs = Math.round(split.windowHours * 3_600_000);
  const inWindow = input.recentConsignments.filter(
    (c) => Math.abs(epochMs(c.at, 'recent consignment time') - now) <= windowMs,
  );
  const thresholds = input.splitThresholds ?? [{ value: split.threshold, currency: split.currency }];
  for (const threshold of inWindow.length > 0 ? thresholds : []) {
    const own = input.splitValue ?? { value: input.declaredValue, currency: input.currency };
    const [current, ...earlier] = [own, ...inWindow].map((c) =>
      convert(toCents(c.value), c.currency, threshold.currency, 'split shipment'),
    );
    const total = earlier.reduce<number | undefined>(
      (s, v) => (s === undefined || v === undefined ? undefined : s + v),
      current,
    );
    const limit = toCents(threshold.value);
    if (current !== undefined && total !== undefined && current <= limit && total > limit) {
      fire(
        'SPLIT_SHIPMENT',
        `${inWindow.length} other consignment(s) within ${split.windowHours} h bring the total over ${threshold.value} ${threshold.currency}`,
      );
      break;
    }
  }

  if (input.seller.consignmentsSoFar <= rules.newSellerMaxConsignments) {
    fire(
      'NEW_SELLER',
      `seller has ${input.seller.consignmentsSoFar} earlier consignment(s); new while at most ${rules.newSellerMaxConsignments}`,
    );
  }

  const indicatorReasons: RiskReason[] = rules.indicators
    .filter((ind) => fired.has(ind.code))
    .map((ind) => ({ code: ind.code, weight: ind.weight, detail: (fired.get(ind.code) ?? []).join('; ') }));

  // ------------------------------------------------ score
  const rawCents = indicatorReasons.reduce((s, r) => s + toCents(r.weight ?? 0), 0);
  const trusted = input.seller.trustedTrader;
  const sellerCents = trusted ? applyRate(rawCents, rules.trustedTraderFactor) : rawCents;
  const operatorFactor = rules.trustedOperatorFactor ?? 1;
  const operators = rules.trustedOperatorFactor === undefined ? [] : (input.trustedOperators ?? []);
  const scoreCents = operators.reduce((cents) => applyRate(cents, operatorFactor), sellerCents);
  const score = scoreCents / 100;
  const scoreLane: Lane =
    scoreCents >= toCents(rules.thresholds.red)
      ? 'red'
      : scoreCents >= toCents(rules.thresholds.amber)
        ? 'amber'
        : 'green';

  // ------------------------------------------------ hard rules
  const hardFired: { code: HardRuleCode; lane: 'green' | 'red'; detail: string }[] = [];
  for (const rule of rules.hardRules) {
    let detail: string | undefined;
    switch (rule.code) {
      case 'PROHIBITED_HS': {
        const hits = input.lines.flatMap((l, i) => {
          const p = rules.prohibitedHsPrefixes.find((pre) => l.hsCode?.startsWith(pre));
          return p === undefined
            ? []
            : [`line ${lineNo(l, i)}: ${shownHs(l.hsCode)} under prohibited prefix ${p}`];
        });
        if (hits.length > 0) detail = hits.join('; ');
        break;
      }
      case 'PRODUCT_RECALL': {
        const recalledOf = noticesFor(rules.productRecalls ?? []);
        const hits = input.lines.flatMap((l, i) =>
          recalledOf(l).map(
            (notice) => `line ${lineNo(l, i)}: ${shownHs(l.hsCode)}, recalled under ${notice.reference}`,
          ),
        );
        if (hits.length > 0) detail = hits.join('; ');
        break;
      }
      case 'WATCHLISTED_SELLER':
        if (input.seller.watchlisted) detail = 'seller on the watch list';
        break;
      case 'WATCHLISTED_BUYER':
        if (input.buyer.watchlisted) detail = 'buyer on the watch list';
        break;
      case 'TRUSTED_TRADER_CLEAN':
        if (
          trusted &&
          input.match.complete &&
          input.match.reasons.length === 0 &&
          indicatorReasons.length === 0 &&
          skipped.size === 0
        ) {
          detail = 'trusted trader, full three-way match, no indicator';
        }
        break;
    }
    if (detail !== undefined) hardFired.push({ code: rule.code, lane: rule.lane, detail });
  }
  const deciding = hardFired.find((h) => h.lane === 'red') ?? hardFired.find((h) => h.lane === 'green');

  const reasons: RiskReason[] = [
    ...hardFired.map((h) => ({ code: h.code, detail: h.detail })),
    ...indicatorReasons,
  ];
  if (skipped.size > 0) reasons.push({ code: 'RATE_MISSING', detail: [...skipped].join('; ') });
  if (trusted && rawCents > 0) {
    reasons.push({
      code: 'TRUSTED_TRADER',
      detail: `score ${rawCents / 100} × ${rules.trustedTraderFactor}`,
    });
  }
  if (operators.length > 0 && sellerCents > 0) {
    reasons.push({
      code: 'TRUSTED_OPERATOR',
      detail: `score ${sellerCents / 100} × ${operatorFactor} for each of ${operators.join(', ')}`,
    });
  }

  let lane: Lane = deciding?.lane ?? scoreLane;
  const selectedAtRandom = lane === 'green' && input.randomDraw < rules.randomSelectionRate;
  if (selectedAtRandom) {
    lane = 'amber';
    reasons.push({
      code: 'RANDOM_SELECTION',
      detail: `draw under the selection rate ${rules.randomSelectionRate}`,
    });
  }

  return {
    ruleSetVersion: rules.version,
    lane,
    score,
    reasons,
    ...(deciding ? { hardRule: deciding.code } : {}),
    selectedAtRandom,
  };
}
