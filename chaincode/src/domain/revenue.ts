import { z } from 'zod';

import { IsoDate, isCalendarDate } from './calendar';
import { EligibleGoods } from './eligible-goods';
import { CountryCode, CurrencyCode, Money, parseWith } from './schemas';

/*
 * Duty and VAT on a consignment, from a tariff that is data (DOMAIN.md: thresholds, rates and
 * flat duties must be configuration, never code). Pure and exact: money is integer cents,
 * rates are read as the decimals they were written as, and every rounding is half-up to the
 * cent, so all endorsers compute the same figures.
 *
 * Choices worth knowing:
 * - Customs value is CIF by default (goods + freight + insurance, freight and insurance
 *   apportioned to lines by value); a tariff may say FOB (the United States), which leaves
 *   freight and insurance out.
 * - De minimis thresholds compare the intrinsic value (goods only, converted to the tariff's
 *   currency), or the customs value where the tariff says so (deMinimisOn: China's limit is on
 *   the dutiable price, freight and insurance included), and apply "at or under". 0 means no de
 *   minimis.
 * - The flat duty per item category applies on dates in [from, until) and, when
 *   maxIntrinsicValue is set, only to consignments at or under it (the EU interim rule covers
 *   the low-value consignments that lost their 150 EUR relief; dearer parcels pay ad valorem).
 *   Inside its scope it replaces both ad valorem duty and the duty de minimis. It is charged
 *   once per distinct HS6 subheading and booked on the first line of that subheading.
 * - Duty and VAT are computed and rounded per line; totals are the sums of the lines.
 * - VAT is charged on (line customs value + line duty) at the rate for the line's HS heading or
 *   chapter, else the standard rate.
 * - What was collected at checkout counts only under the 'platform' model (IOSS-like); under
 *   'carrier' and 'buyer' everything due is still to collect.
 */

// ---------------------------------------------------------------- exact arithmetic

export interface DecimalFraction {
  readonly n: bigint;
  /** Always positive. */
  readonly d: bigint;
}

/** The exact decimal a number was written as (its shortest round-trip representation), as n / d. */
export function decimalFraction(value: number): DecimalFraction {
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!m) throw new Error(`cannot read ${value} as a decimal`);
  const [, sign = '', int = '0', frac = '', exp = '+0'] = m;
  let n = BigInt(int + frac);
  let d = 10n ** BigInt(frac.length);
  const e = Number(exp);
  if (e > 0) n *= 10n ** BigInt(e);
  else d *= 10n ** BigInt(-e);
  return { n: sign === '-' ? -n : n, d };
}

/** n / d rounded half away from zero (half-up for the non-negative amounts used here). */
function roundHalfUp(n: bigint, d: bigint): bigint {
  if (n < 0n) return -roundHalfUp(-n, d);
  return (2n * n + d) / (2n * d);
}

function toSafeNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`amount of ${value} cents is out of range`);
  return n;
}

/** Integer cents of an amount with at most two decimals; anything else is refused. */
export function toCents(amount: number): number {
  const { n, d } = decimalFraction(amount);
  const scaled = n * 100n;
  if (scaled % d !== 0n) throw new Error(`amount ${amount} has more than two decimals`);
  return toSafeNumber(scaled / d);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

/** cents × n / d, rounded half-up to the cent. */
export function applyFraction(cents: number, fraction: DecimalFraction): number {
  return toSafeNumber(roundHalfUp(BigInt(cents) * fraction.n, fraction.d));
}

/** cents × rate, rounded half-up to the cent. */
export function applyRate(cents: number, rate: number): number {
  return applyFraction(cents, decimalFraction(rate));
}

/**
 * Splits total cents in proportion to weights (largest remainder, ties to the earlier line),
 * so the shares always add up to the total. All-zero weights split evenly.
 */
export function apportionCents(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const w = (sum === 0 ? weights.map(() => 1) : weights).map((x) => BigInt(x));
  const s = BigInt(sum === 0 ? weights.length : sum);
  const t = BigInt(total);
  const shares = w.map((x) => (t * x) / s);
  const remainders = w.map((x) => (t * x) % s);
  let left = total - shares.reduce((a, b) => a + Number(b), 0);
  const order = remainders
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  const result = shares.map(Number);
  for (const { i } of order) {
    if (left <= 0) break;
    result[i] = (result[i] ?? 0) + 1;
    left -= 1;
  }
  return result;
}

// ---------------------------------------------------------------- dates

function assertIsoDate(value: string, what: string): string {
  if (!isCalendarDate(value)) throw new Error(`${what} '${value}' must be a calendar date YYYY-MM-DD`);
  return value;
}

// ---------------------------------------------------------------- configuration

/** A rate as a fraction (0.2 = 20 %); above 1 is allowed for punitive duties. */
const Ratio = z.number().min(0).max(10);
/** HS chapter (2 digits) or heading (4 digits). */
const HsChapterOrHeading = z
  .string()
  .regex(/^\d{2}(?:\d{2})?$/, 'must be an HS chapter (2 digits) or heading (4)');

/**
 * The widest a currency rate may be, either way: a billion units of the base per unit, or a
 * billionth. The weakest currencies traded reach about a million to the US dollar (the Iranian
 * rial on the open market), so this leaves room for hyperinflation, while an absurd rate (1e300
 * was taken before) is refused where it is set: it made every assessment in that currency fail,
 * its amounts no longer whole cents a number can hold. A rate within the bound can still overflow
 * on the largest amounts; that consignment's assessment then fails, for an officer (revenue.ts
 * toSafeNumber), not every one.
 */
export const MAX_CURRENCY_RATE = 1_000_000_000;

export const CurrencyRate = z.strictObject({
  currency: CurrencyCode,
  /** Units of the base (tariff) currency per 1 unit of `currency`. */
  rate: z
    .number()
    .min(1 / MAX_CURRENCY_RATE, `must be at least ${1 / MAX_CURRENCY_RATE}`)
    .max(MAX_CURRENCY_RATE, `must be at most ${MAX_CURRENCY_RATE}`),
  validFrom: IsoDate,
});
export type CurrencyRate = z.infer<typeof CurrencyRate>;

function checkRates(base: string, rates: readonly CurrencyRate[], ctx: z.RefinementCtx, path: PropertyKey[]) {
  const seen = new Set<string>();
  rates.forEach((r, i) => {
    const key = `${r.currency} ${r.validFrom}`;
    if (r.currency === base) {
      ctx.addIssue({ code: 'custom', path: [...path, i], message: `rate for the base currency ${base}` });
    } else if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, i],
        message: `second ${r.currency} rate from ${r.validFrom}`,
      });
    }
    seen.add(key);
  });
}

/** Conversion rates against a base currency. */
export const RateTable = z
  .strictObject({ base: CurrencyCode, rates: z.array(CurrencyRate) })
  .superRefine((t, ctx) => checkRates(t.base, t.rates, ctx, ['rates']));
export type RateTable = z.infer<typeof RateTable>;

export const FlatDutyPerItemCategory = z
  .strictObject({
    /** In the tariff's currency, per distinct HS6 subheading in the consignment. */
    amount: Money,
    /** First day the rule applies. */
    from: IsoDate,
    /** First day it no longer applies. */
    until: IsoDate,
    /** Applies only to consignments whose intrinsic value is at or under this; absent = all. */
    maxIntrinsicValue: Money.optional(),
  })
  .refine((f) => f.from < f.until, { message: 'from must be before until', path: ['until'] });
export type FlatDutyPerItemCategory = z.infer<typeof FlatDutyPerItemCategory>;

/** Per-buyer limits on cross-border e-commerce retail imports, in the tariff's currency (buyer-limits.ts). */
export const BuyerLimits = z
  .strictObject({
    /** The customs value one purchase may have. */
    perPurchase: Money.refine((n) => n > 0, 'must be positive').optional(),
    /** The customs value a buyer's purchases of a calendar year may have together. */
    perYear: Money.refine((n) => n > 0, 'must be positive').optional(),
  })
  .refine((l) => l.perPurchase !== undefined || l.perYear !== undefined, 'must set perPurchase or perYear');
export type BuyerLimits = z.infer<typeof BuyerLimits>;

export const TariffConfig = z
  .strictObject({
    /** Destination country. */
    country: CountryCode,
    /** First day this version of the country's tariff applies (see selectTariff). */
    validFrom: IsoDate,
    currency: CurrencyCode,
    /** CIF (default) or FOB customs value. */
    valuationBasis: z.enum(['CIF', 'FOB']).optional(),
    /** Value (deMinimisOn) at or under which no duty is due; 0 = none. */
    deMinimisDuty: Money,
    /** Value (deMinimisOn) at or under which no VAT is due; 0 = none. */
    deMinimisVat: Money,
    /**
     * The value the de minimis thresholds compare: the goods alone (default), or the customs value
     * (China's transaction limit is on the dutiable price, with freight and insurance, as its
     * per-purchase limit is: a parcel over one is over the other).
     */
    deMinimisOn: z.enum(['intrinsic', 'customs']).optional(),
    /** Standard VAT (or sales tax) rate; 0 where there is none. */
    vatRate: Ratio,
    /** Other VAT rates by HS chapter or heading (heading wins). */
    vatRates: z.record(HsChapterOrHeading, Ratio).optional(),
    /** Ad valorem duty rates by HS chapter or heading (heading wins). */
    dutyRates: z.record(HsChapterOrHeading, Ratio),
    /** Rate for goods in no listed chapter or heading; absent = such goods are refused. */
    defaultDutyRate: Ratio.optional(),
    flatDutyPerItemCategory: FlatDutyPerItemCategory.optional(),
    /** Absent: the destination sets no per-buyer limits. */
    buyerLimits: BuyerLimits.optional(),
    /** The goods its cross-border retail channel admits (eligible-goods.ts). Absent: any. */
    eligibleGoods: EligibleGoods.optional(),
    /**
     * The destination takes the import VAT a platform collected at checkout under a collection
     * number (the EU's IOSS: consignments of at most 150 EUR intrinsic value). Absent: it has no
     * such scheme, and a number on the declaration changes nothing: VAT is collected at import.
     */
    checkoutCollection: z
      .strictObject({ scheme: z.string().regex(/^[A-Za-z0-9 -]{1,32}$/), maxIntrinsicValue: Money })
      .optional(),
    currencyRates: z.array(CurrencyRate),
  })
  .superRefine((t, ctx) => checkRates(t.currency, t.currencyRates, ctx, ['currencyRates']));
export type TariffConfig = z.infer<typeof TariffConfig>;

export function rateTable(tariff: Pick<TariffConfig, 'currency' | 'currencyRates'>): RateTable {
  return { base: tariff.currency, rates: tariff.currencyRates };
}

/** The version of a country's tariff in force on a date: the latest validFrom on or before it. */
export function selectTariff(tariffs: readonly TariffConfig[], country: string, date: string): TariffConfig {
  assertIsoDate(date, 'date');
  const candidates = tariffs.filter((t) => t.country === country && t.validFrom <= date);
  const latest = candidates.reduce<string | undefined>(
    (max, t) => (max === undefined || t.validFrom > max ? t.validFrom : max),
    undefined,
  );
  const chosen = candidates.filter((t) => t.validFrom === latest);
  if (chosen.length === 0) throw new Error(`no tariff for ${country} in force on ${date}`);
  if (chosen.length > 1) throw new Error(`${chosen.length} tariffs for ${country} from ${latest}`);
  return chosen[0] as TariffConfig;
}

// ---------------------------------------------------------------- currency conversion

/** A rate table without the rate a conversion needs: a gap in the configuration, not bad input. */
export class MissingRateError extends Error {}

function rateOn(currency: string, date: string, table: RateTable): DecimalFraction {
  if (currency === table.base) return { n: 1n, d: 1n };
  let best: CurrencyRate | undefined;
  let ties = 0;
  for (const r of table.rates) {
    if (r.currency !== currency || r.validFrom > date) continue;
    if (best === undefined || r.validFrom > best.validFrom) {
      best = r;
      ties = 0;
    } else if (r.validFrom === best.validFrom) {
      ties += 1;
    }
  }
  if (best === undefined) {
    throw new MissingRateError(`no ${currency} rate against ${table.base} valid on ${date}`);
  }
  if (ties > 0)
    throw new Error(`more than one ${currency} rate against ${table.base} from ${best.validFrom}`);
  if (!(best.rate > 0)) throw new Error(`${currency} rate against ${table.base} must be positive`);
  return decimalFraction(best.rate);
}

/**
 * Converts cents between two currencies of a rate table (either may be its base), with the
 * latest rates valid on the date, rounded half-up to the cent once.
 */
export function convertCents(
  cents: number,
  from: string,
  to: string,
  date: string,
  rates: RateTable,
): number {
  assertIsoDate(date, 'conversion date');
  if (from === to) return cents;
  const f = rateOn(from, date, rates);
  const t = rateOn(to, date, rates);
  return toSafeNumber(roundHalfUp(BigInt(cents) * f.n * t.d, f.d * t.n));
}

/** convertCents for amounts with at most two decimals. */
export function convert(amount: number, from: string, to: string, date: string, rates: RateTable): number {
  return fromCents(convertCents(toCents(amount), from, to, date, rates));
}

// ---------------------------------------------------------------- duty and VAT

export const collectionModels = ['platform', 'carrier', 'buyer'] as const;
export type CollectionModel = (typeof collectionModels)[number];

/**
 * Whether customs collects the VAT at import. Not under a checkout scheme (the platform model, EU
 * IOSS), which makes the import exempt from VAT: the platform charged it with the price. The duty
 * is collected at import under every model.
 */
export function vatCollectedAtImport(collectionModel: CollectionModel): boolean {
  return collectionModel !== 'platform';
}

export interface DutyLineInput {
  /** 6 to 10 digits. */
  readonly hsCode: string;
  readonly value: number;
  readonly currency: string;
}

export interface AssessDutyInput {
  readonly tariff: TariffConfig;
  /** Declaration lines, or order lines as { hsCode, value: lineValue, currency }. */
  readonly lines: readonly DutyLineInput[];
  readonly freight: number;
  readonly insurance: number;
  /** Currency of freight, insurance and vatCollected; defaults to the lines' common currency. */
  readonly chargesCurrency?: string;
  /** Date of the assessment (acceptance of the declaration), YYYY-MM-DD. */
  readonly date: string;
  readonly collectionModel: CollectionModel;
  /** Import taxes the platform collected at checkout (order.taxCollected); counted under 'platform' only. */
  readonly vatCollected?: number;
}

export type DutyBasis = 'flat' | 'ad_valorem' | 'de_minimis';
export type VatBasis = 'standard' | 'de_minimis';

/** All amounts in the tariff's currency. */
export interface DutyAssessmentLine {
  readonly hsCode: string;
  readonly hs6: string;
  readonly value: number;
  readonly freight: number;
  readonly insurance: number;
  readonly customsValue: number;
  /** The ad valorem rate applied; null under a flat duty or the de minimis. */
  readonly dutyRate: number | null;
  readonly duty: number;
  /** null under the VAT de minimis. */
  readonly vatRate: number | null;
  readonly vat: number;
}

export interface DutyAssessment {
  readonly currency: string;
  readonly collectionModel: CollectionModel;
  /** Goods only. */
  readonly intrinsicValue: number;
  readonly customsValue: number;
  /** Distinct HS6 subheadings. */
  readonly itemCategories: number;
  readonly duty: number;
  readonly vat: number;
  readonly dutyBasis: DutyBasis;
  readonly vatBasis: VatBasis;
  readonly totalDue: number;
  /** What the platform declared it collected at checkout (order.taxCollected); under 'platform' only. */
  readonly collectedAtCheckout: number;
  /**
   * What customs collects at import. Under 'platform' the duty alone: a checkout scheme (IOSS) makes
   * the import exempt from VAT, whatever the platform charged (a shortfall is the platform's, in
   * reconciliation), while the duty is a customs debt at import that the declarant pays for the
   * platform. Under the other models the duty and the VAT.
   */
  readonly toCollect: number;
  readonly lines: DutyAssessmentLine[];
}

const HS_CODE = /^\d{6,10}$/;

/** Rate for an HS code from a table keyed by heading or chapter; the heading wins. */
function lookupRate(table: Readonly<Record<string, number>> | undefined, hsCode: string): number | undefined {
  return table?.[hsCode.slice(0, 4)] ?? table?.[hsCode.slice(0, 2)];
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function assessDuty(input: AssessDutyInput): DutyAssessment {
  const tariff = parseWith(TariffConfig, 'tariff', input.tariff);
  const date = assertIsoDate(input.date, 'assessment date');
  const { lines } = input;
  if (lines.length === 0) throw new Error('a duty assessment needs at least one line');
  lines.forEach((l, i) => {
    if (!HS_CODE.test(l.hsCode))
      throw new Error(`line ${i + 1}: HS code '${l.hsCode}' must be 6 to 10 digits`);
  });
  const lineCurrencies = [...new Set(lines.map((l) => l.currency))];
  const chargesCurrency =
    input.chargesCurrency ?? (lineCurrencies.length === 1 ? lineCurrencies[0] : undefined);
  if (chargesCurrency === undefined) {
    throw new Error(
      'lines are in several currencies: chargesCurrency must say which freight and insurance are in',
    );
  }

  const rates = rateTable(tariff);
  const to = tariff.currency;
  const values = lines.map((l) => convertCents(toCents(l.value), l.currency, to, date, rates));
  // The thresholds are on the consignment's value, converted whole (per currency): converted line by
  // line and rounded, four lines of 43.61 USD make 150.00 EUR where the 174.44 USD make 150.02.
  const intrinsic = sum(
    lineCurrencies.map((currency) =>
      convertCents(
        sum(lines.filter((l) => l.currency === currency).map((l) => toCents(l.value))),
        currency,
        to,
        date,
        rates,
      ),
    ),
  );
  const freight = apportionCents(
    convertCents(toCents(input.freight), chargesCurrency, to, date, rates),
    values,
  );
  const insurance = apportionCents(
    convertCents(toCents(input.insurance), chargesCurrency, to, date, rates),
    values,
  );
  const cif = tariff.valuationBasis !== 'FOB';
  const customsValues = values.map((v, i) => v + (cif ? (freight[i] ?? 0) + (insurance[i] ?? 0) : 0));
  const hs6 = lines.map((l) => l.hsCode.slice(0, 6));
  const categories = new Set(hs6);
  const reliefValue = tariff.deMinimisOn === 'customs' ? sum(customsValues) : intrinsic;

  const flat = tariff.flatDutyPerItemCategory;
  const dutyBasis: DutyBasis =
    flat !== undefined &&
    flat.from <= date &&
    date < flat.until &&
    (flat.maxIntrinsicValue === undefined || intrinsic <= toCents(flat.maxIntrinsicValue))
      ? 'flat'
      : tariff.deMinimisDuty > 0 && reliefValue <= toCents(tariff.deMinimisDuty)
        ? 'de_minimis'
        : 'ad_valorem';

  const dutyRates: (number | null)[] = [];
  const duties: number[] = [];
  const charged = new Set<string>();
  lines.forEach((line, i) => {
    const code = hs6[i] as string;
    if (dutyBasis === 'flat') {
      dutyRates.push(null);
      duties.push(charged.has(code) ? 0 : toCents((flat as FlatDutyPerItemCategory).amount));
      charged.add(code);
    } else if (dutyBasis === 'de_minimis') {
      dutyRates.push(null);
      duties.push(0);
    } else {
      const rate = lookupRate(tariff.dutyRates, line.hsCode) ?? tariff.defaultDutyRate;
      if (rate === undefined) {
        throw new Error(
          `line ${i + 1}: no duty rate for HS heading ${line.hsCode.slice(0, 4)} or chapter ${line.hsCode.slice(0, 2)} in the ${tariff.country} tariff`,
        );
      }
      dutyRates.push(rate);
      duties.push(applyRate(customsValues[i] ?? 0, rate));
    }
  });

  const vatBasis: VatBasis =
    tariff.deMinimisVat > 0 && reliefValue <= toCents(tariff.deMinimisVat) ? 'de_minimis' : 'standard';
  const vatRates = lines.map((l) =>
    vatBasis === 'de_minimis' ? null : (lookupRate(tariff.vatRates, l.hsCode) ?? tariff.vatRate),
  );
  const vats = lines.map((_, i) => {
    const rate = vatRates[i];
    return rate === null || rate === undefined
      ? 0
      : applyRate((customsValues[i] ?? 0) + (duties[i] ?? 0), rate);
  });

  const duty = sum(duties);
  const vat = sum(vats);
  const totalDue = duty + vat;
  const collected =
    input.collectionModel === 'platform' && input.vatCollected !== undefined
      ? convertCents(toCents(input.vatCollected), chargesCurrency, to, date, rates)
      : 0;

  return {
    currency: to,
    collectionModel: input.collectionModel,
    intrinsicValue: fromCents(intrinsic),
    customsValue: fromCents(sum(customsValues)),
    itemCategories: categories.size,
    duty: fromCents(duty),
    vat: fromCents(vat),
    dutyBasis,
    vatBasis,
    totalDue: fromCents(totalDue),
    collectedAtCheckout: fromCents(collected),
    toCollect: fromCents(vatCollectedAtImport(input.collectionModel) ? totalDue : duty),
    lines: lines.map((line, i) => ({
      hsCode: line.hsCode,
      hs6: hs6[i] as string,
      value: fromCents(values[i] ?? 0),
      freight: fromCents(freight[i] ?? 0),
      insurance: fromCents(insurance[i] ?? 0),
      customsValue: fromCents(customsValues[i] ?? 0),
      dutyRate: dutyRates[i] ?? null,
      duty: fromCents(duties[i] ?? 0),
      vatRate: vatRates[i] ?? null,
      vat: fromCents(vats[i] ?? 0),
    })),
  };
}

/**
 * The intrinsic values at or under which a parcel to this destination gets relief it would lose
 * above them, in the tariff's currency: the duty and VAT de minimis, the flat duty's cap while it is
 * in force, the checkout scheme's cap, the per-purchase limit. Splitting an order into parcels under
 * one of them is what the split-shipment check looks for; where there is none (the US since August
 * 2025), nothing is gained by splitting.
 */
export function reliefThresholds(tariff: TariffConfig, date: string): number[] {
  const flat = tariff.flatDutyPerItemCategory;
  const inForce = flat !== undefined && flat.from <= date && date < flat.until;
  const all = [
    tariff.deMinimisDuty,
    tariff.deMinimisVat,
    inForce ? flat.maxIntrinsicValue : undefined,
    tariff.checkoutCollection?.maxIntrinsicValue,
    tariff.buyerLimits?.perPurchase,
  ];
  return [...new Set(all.filter((v): v is number => v !== undefined && v > 0))].sort((a, b) => a - b);
}

/**
 * Why a declared collection number does not put a consignment under the platform model, or
 * undefined when it does: the destination has no checkout scheme, or the goods are worth more than
 * the scheme covers (IOSS past 150 EUR: the VAT is due at import, whatever the checkout took).
 */
export function checkoutCollectionRefusal(
  tariff: Pick<TariffConfig, 'country' | 'currency' | 'checkoutCollection'>,
  intrinsicValue: number,
): string | undefined {
  const scheme = tariff.checkoutCollection;
  if (scheme === undefined) {
    return `${tariff.country} takes no VAT collected at checkout: it is collected at import`;
  }
  if (toCents(intrinsicValue) > toCents(scheme.maxIntrinsicValue)) {
    return `${scheme.scheme} covers goods of at most ${scheme.maxIntrinsicValue} ${tariff.currency}, not ${intrinsicValue} ${tariff.currency}: VAT is collected at import`;
  }
  return undefined;
}

// ---------------------------------------------------------------- reconciliation

/** A calendar month, YYYY-MM: the period of a return and of the reconciliation. */
export const Period = z.string().regex(/^\d{4}-(?:0[1-9]|1[0-2])$/, 'must be YYYY-MM');

export interface CollectionRecord {
  readonly platformMspId: string;
  /** YYYY-MM. */
  readonly period: string;
  readonly currency: string;
  /** What the platform declared as collected at checkout. */
  readonly declaredCollected: number;
  /** What customs assessed as VAT due. */
  readonly assessedVat: number;
}

/** What a platform says it remitted for a period's sales (its IOSS return and payment), in one currency. */
export interface RemittedAmount {
  readonly platformMspId: string;
  /** YYYY-MM: the period the amount is for, whenever it was paid. */
  readonly period: string;
  readonly currency: string;
  readonly amount: number;
}

export interface ReconciliationRow {
  readonly platformMspId: string;
  readonly period: string;
  readonly currency: string;
  readonly consignments: number;
  readonly declared: number;
  readonly assessed: number;
  /** declared − assessed: negative when the platform declared less than was assessed. */
  readonly difference: number;
  /** The remittances the platform recorded for the period, and what they add up to. */
  readonly remittances: number;
  readonly remitted: number;
  /** declared − remitted: positive when the platform remitted less than it declared as collected. */
  readonly unremitted: number;
}

/** Orders two keys of as many parts part by part, as strings: for sorting rows by several fields. */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Totals per platform, period and currency, sorted by those keys: what was declared as collected
 * and assessed over the period's consignments, against what the platform remitted for it. A
 * remittance for a period with no consignment assessed yet makes a row of its own.
 */
export function reconcile(
  records: readonly CollectionRecord[],
  remitted: readonly RemittedAmount[] = [],
): ReconciliationRow[] {
  interface Group {
    key: [string, string, string];
    n: number;
    declared: number;
    assessed: number;
    remittances: number;
    remitted: number;
  }
  const groups = new Map<string, Group>();
  const group = (platformMspId: string, period: string, currency: string): Group => {
    if (!Period.safeParse(period).success) throw new Error(`period '${period}' must be YYYY-MM`);
    const key: [string, string, string] = [platformMspId, period, currency];
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) {
      g = { key, n: 0, declared: 0, assessed: 0, remittances: 0, remitted: 0 };
      groups.set(id, g);
    }
    return g;
  };
  for (const r of records) {
    const g = group(r.platformMspId, r.period, r.currency);
    g.n += 1;
    g.declared += toCents(r.declaredCollected);
    g.assessed += toCents(r.assessedVat);
  }
  for (const r of remitted) {
    const g = group(r.platformMspId, r.period, r.currency);
    g.remittances += 1;
    g.remitted += toCents(r.amount);
  }
  return [...groups.values()]
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((g) => ({
      platformMspId: g.key[0],
      period: g.key[1],
      currency: g.key[2],
      consignments: g.n,
      declared: fromCents(g.declared),
      assessed: fromCents(g.assessed),
      difference: fromCents(g.declared - g.assessed),
      remittances: g.remittances,
      remitted: fromCents(g.remitted),
      unremitted: fromCents(g.declared - g.remitted),
    }));
}
