import { createHmac } from 'node:crypto';

import { IsoDate } from './calendar';
import { canonicalJson } from './canonical';
import { normaliseDocumentNumber, type BuyerLimitCode, type MatchReasonCode } from './matching';
import {
  convertCents,
  fromCents,
  MissingRateError,
  toCents,
  type BuyerLimits,
  type RateTable,
} from './revenue';
import type { OrderPayload } from './schemas';
import type { ConsignmentStatus } from './state-machine';

/*
 * Per-buyer limits on cross-border e-commerce retail imports (DOMAIN.md, three-way match; China:
 * 5,000 CNY a purchase, 26,000 CNY a calendar year). Pure: the contract supplies the buyer's other
 * purchases of the year with their consignments' statuses, and records what comes out.
 *
 * Choices worth knowing:
 * - The value counted is the consignment's customs value from the revenue assessment (goods,
 *   freight and insurance under CIF), in the tariff's currency, in which the limits are set.
 * - A buyer is the person, not the platform account: purchases are filed under a keyed hash of the
 *   identity document (type, country, number normalised as in the match), so purchases on several
 *   platforms count together, and the key tells nothing to anyone without customs' secret.
 * - The year is the UTC calendar year of the order.
 * - A purchase counts from its first assessment, not from its release: parcels assessed side by
 *   side could otherwise each pass a limit that together they exceed. It stops counting when its
 *   consignment ends without import (seized, returned to sender, exited), and a return gives back
 *   what customs' return decision restores.
 * - A purchase over a limit is not counted at all: it cannot clear as a cross-border retail
 *   import, and whatever an officer then decides on it is outside the buyer's quota.
 * - At the limit passes; over it fails.
 * - A purchase of the year filed in a currency the rates do not convert (the tariff changed its
 *   currency, or lost a rate) cannot be added up: the annual limit is not checked, and `notChecked`
 *   names the missing rate as risk.ts names one. Nothing is passed silently: the purchase is not
 *   filed in the year, and the assessment leaves it to an officer (RATE_MISSING, customs.ts).
 */

/** Statuses of a consignment whose goods were never imported: its purchase no longer counts. */
export const notImportedStatuses: readonly ConsignmentStatus[] = ['seized', 'returned_to_sender', 'exited'];

/** One purchase in a buyer's year, as customs files it (customs-only). */
export interface QuotaEntry {
  readonly consignmentId: string;
  /** Customs value, in `currency`. */
  readonly value: number;
  readonly currency: string;
  /** What customs' return decisions gave back, in `currency`. */
  readonly restored: number;
}

export interface BuyerLimitInput {
  readonly limits: BuyerLimits;
  /** The limits' currency: the tariff's. */
  readonly currency: string;
  /** This purchase's customs value, in `currency`. */
  readonly purchase: number;
  /** The buyer's purchases of the year, with their consignments' statuses; this one's is skipped. */
  readonly year: readonly (QuotaEntry & { readonly status: ConsignmentStatus })[];
  readonly consignmentId: string;
  /** For entries filed in another currency (a tariff changed its currency): rates and date to convert. */
  readonly rates: RateTable;
  readonly date: string;
}

export interface BuyerLimitOutcome {
  readonly currency: string;
  readonly perPurchase?: number;
  readonly perYear?: number;
  readonly purchase: number;
  /**
   * The year's other purchases that still count, net of what returns restored; absent when one of
   * them is in a currency the rates do not convert.
   */
  readonly usedBefore?: number;
  /** Per purchase first, then per year; empty when within both limits. */
  readonly reasons: BuyerLimitCode[];
  /** Why the annual limit was not checked, when it was not: the rate missing to add up the year. */
  readonly notChecked?: string;
}

export function checkBuyerLimits(input: BuyerLimitInput): BuyerLimitOutcome {
  const { limits, currency } = input;
  const used = usedCents(input);
  const purchaseCents = toCents(input.purchase);
  const reasons: BuyerLimitCode[] = [];
  if (limits.perPurchase !== undefined && purchaseCents > toCents(limits.perPurchase)) {
    reasons.push('BUYER_PURCHASE_LIMIT');
  }
  const annual = limits.perYear === undefined ? undefined : toCents(limits.perYear);
  if (annual !== undefined && typeof used === 'number' && used + purchaseCents > annual) {
    reasons.push('BUYER_ANNUAL_LIMIT');
  }
  return {
    currency,
    ...(limits.perPurchase !== undefined ? { perPurchase: limits.perPurchase } : {}),
    ...(limits.perYear !== undefined ? { perYear: limits.perYear } : {}),
    purchase: input.purchase,
    ...(typeof used === 'number' ? { usedBefore: fromCents(used) } : {}),
    reasons,
    ...(annual !== undefined && typeof used !== 'number'
      ? { notChecked: `buyer's annual limit not checked: ${used.message}` }
      : {}),
  };
}

/**
 * The year's other purchases that still count, in cents of the limits' currency, or the rate
 * missing to add them up.
 */
function usedCents(input: BuyerLimitInput): number | MissingRateError {
  let sum = 0;
  for (const e of input.year) {
    if (e.consignmentId === input.consignmentId || notImportedStatuses.includes(e.status)) continue;
    const net = Math.max(0, toCents(e.value) - toCents(e.restored));
    try {
      sum += convertCents(net, e.currency, input.currency, input.date, input.rates);
    } catch (error) {
      if (!(error instanceof MissingRateError)) throw error;
      return error;
    }
  }
  return sum;
}

/**
 * Whether the purchase is filed in its buyer's year: an annual limit applies, it was checked, the
 * purchase is within every limit, and its goods may come in through the cross-border retail channel
 * at all (eligible-goods.ts): goods outside it are no cross-border retail purchase.
 */
export function countsAgainstYear(
  outcome: BuyerLimitOutcome | null,
  match: { readonly reasons: readonly MatchReasonCode[] },
): outcome is BuyerLimitOutcome {
  return (
    outcome !== null &&
    outcome.perYear !== undefined &&
    outcome.notChecked === undefined &&
    outcome.reasons.length === 0 &&
    !match.reasons.includes('GOODS_NOT_ELIGIBLE')
  );
}

/**
 * Where a buyer's purchases of a year are filed: a keyed hash of the identity document, and the year
 * of the order's date in the destination (calendar.ts localDate).
 */
export function buyerQuotaKey(
  secret: string,
  document: OrderPayload['buyer']['document'],
  orderedOn: string,
): { readonly buyer: string; readonly year: string } {
  const buyer = createHmac('sha256', Buffer.from(secret, 'hex'))
    .update(
      canonicalJson([
        'buyer-quota',
        document.type,
        document.country,
        normaliseDocumentNumber(document.number),
      ]),
      'utf8',
    )
    .digest('hex');
  return { buyer, year: IsoDate.parse(orderedOn).slice(0, 4) };
}

/** The year's entries with this purchase in it at its latest value, keeping what returns restored. */
export function fileQuotaEntry(
  entries: readonly QuotaEntry[],
  purchase: Omit<QuotaEntry, 'restored'>,
): QuotaEntry[] {
  const earlier = entries.find((e) => e.consignmentId === purchase.consignmentId);
  const restored = earlier?.currency === purchase.currency ? earlier.restored : 0;
  return [
    ...entries.filter((e) => e.consignmentId !== purchase.consignmentId),
    { ...purchase, restored },
  ].sort((a, b) => (a.consignmentId < b.consignmentId ? -1 : a.consignmentId > b.consignmentId ? 1 : 0));
}

/** The year's entries after a return decision gave `amount` (in the entry's currency) back. */
export function restoreQuota(
  entries: readonly QuotaEntry[],
  consignmentId: string,
  amount: number,
): QuotaEntry[] {
  const entry = entries.find((e) => e.consignmentId === consignmentId);
  if (entry === undefined) {
    throw new Error(`consignment ${consignmentId} was never counted against its buyer's quota`);
  }
  const restored = toCents(entry.restored) + toCents(amount);
  if (restored > toCents(entry.value)) {
    throw new Error(
      `restoring ${amount} ${entry.currency} would give back more than the ${entry.value} ${entry.currency} counted for consignment ${consignmentId}`,
    );
  }
  return entries.map((e) => (e === entry ? { ...e, restored: fromCents(restored) } : e));
}
