import { declarationMismatchCodes, type DeclarationMismatchCode } from './declaration-check';
import type { LogisticsPayload, OrderPayload, PaymentPayload, VerificationLevel } from './schemas';

/*
 * Three-way match of order, payment and logistics data, as China Customs practises it
 * (DOMAIN.md). Pure: the caller supplies the payloads it holds and the results of the
 * uniqueness look-ups. Reasons are codes only, never the personal values that differed.
 *
 * Choices worth knowing:
 * - Every check whose inputs are present runs, so a failure is reported before all three
 *   records have arrived: 'fail' wins over 'incomplete'; 'pass' needs all three and no reason.
 * - Amounts are compared in integer cents. When order and payment currencies differ only
 *   CURRENCY is reported: the two amounts cannot be compared.
 * - Only 'verified' counts as identity-verified; 'basic' (an account check) does not.
 * - Text is compared after NFC, trimming, collapsing whitespace and lower-casing; phones by
 *   their digits only (so '+33 6…' and '0033 6…' differ); identity document numbers also
 *   ignore spaces and hyphens.
 * - The per-buyer limits need the customs value and the buyer's other purchases of the year, so
 *   they are checked by buyer-limits.ts; the match reports what that check found. So for the
 *   declaration, which must say what the order says (declaration-check.ts), and for the
 *   destination's list of goods eligible for its cross-border retail channel (eligible-goods.ts).
 */

export const matchReasonCodes = [
  'AMOUNT_FORMULA',
  'ORDER_LINES_VALUE',
  'PAYMENT_AMOUNT',
  'CURRENCY',
  'ORDER_NUMBER',
  'CONSIGNEE_NAME',
  'CONSIGNEE_PHONE',
  'CONSIGNEE_ADDRESS',
  'BUYER_NOT_VERIFIED_OR_PAYER',
  'DUPLICATE_ORDER_NUMBER',
  'DUPLICATE_TRACKING_NUMBER',
  'BUYER_PURCHASE_LIMIT',
  'BUYER_ANNUAL_LIMIT',
  'GOODS_NOT_ELIGIBLE',
  ...declarationMismatchCodes,
] as const;
export type MatchReasonCode = (typeof matchReasonCodes)[number];
/** Found by checkBuyerLimits (buyer-limits.ts), which needs the revenue assessment's customs value. */
export type BuyerLimitCode = Extract<MatchReasonCode, `BUYER_${string}_LIMIT`>;

export type MatchOutcome = 'pass' | 'fail' | 'incomplete';

export interface MatchInput {
  readonly order?: OrderPayload;
  readonly payment?: PaymentPayload;
  readonly logistics?: LogisticsPayload;
  /** The buyer's identity verification level, from the platform's party registration. */
  readonly buyerVerification: VerificationLevel;
  /** The order number is already claimed by another consignment of the same platform. */
  readonly orderNumberTakenByOtherConsignment: boolean;
  /** The tracking number is already claimed by another consignment of the same carrier. */
  readonly trackingNumberTakenByOtherConsignment: boolean;
  /** The per-buyer limits this purchase exceeds; none when the destination sets none. */
  readonly buyerLimitsExceeded?: readonly BuyerLimitCode[];
  /** Where the declaration departs from the order; none when there is no declaration yet. */
  readonly declarationMismatches?: readonly DeclarationMismatchCode[];
  /** A line's goods are not on the destination's list for its cross-border retail channel (eligible-goods.ts). */
  readonly goodsNotEligible?: boolean;
}

export interface MatchResult {
  /** Order, payment and logistics data are all present. */
  readonly complete: boolean;
  readonly result: MatchOutcome;
  /** In the order of matchReasonCodes. */
  readonly reasons: MatchReasonCode[];
}

/** Integer cents of a money amount with at most two decimals (schemas.ts Money). */
function cents(amount: number): number {
  return Math.round(amount * 100);
}

/** NFC, trimmed, whitespace collapsed, lower case. */
export function normaliseText(value: string): string {
  return value.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Digits only. */
export function normalisePhone(value: string): string {
  return value.replace(/\D/g, '');
}

/** Identity document numbers also ignore spaces and hyphens. */
export function normaliseDocumentNumber(value: string): string {
  return normaliseText(value).replace(/[\s-]/g, '');
}

type Consignee = OrderPayload['consignee'];
type IdentityDocument = OrderPayload['buyer']['document'];

function addressKey(address: Consignee['address']): string[] {
  return [
    // The split between the two street lines varies between systems.
    normaliseText(`${address.line1} ${address.line2 ?? ''}`),
    normaliseText(address.city),
    normaliseText(address.postcode).replace(/\s/g, ''),
    address.country,
  ];
}

/**
 * Whether the order's lines add up to its goods value. The amount formula and the payment are
 * checked on the goods value, while duty, VAT, the de minimis tests and the buyer's limits are
 * computed on line values (the declaration's, checked against these): without this, a sale paid at
 * 400 could be taxed, and released, as lines worth 40. A line's unit price is not held to its value:
 * it is a rounded figure (three for 10.00 is 3.33 each), and nothing is computed on it.
 */
function linesMakeGoodsValue(order: OrderPayload): boolean {
  return order.lines.reduce((total, line) => total + cents(line.lineValue), 0) === cents(order.goodsValue);
}

function sameDocument(a: IdentityDocument, b: IdentityDocument): boolean {
  return (
    a.type === b.type &&
    a.country === b.country &&
    normaliseDocumentNumber(a.number) === normaliseDocumentNumber(b.number)
  );
}

export function threeWayMatch(input: MatchInput): MatchResult {
  const { order, payment, logistics } = input;
  const found = new Set<MatchReasonCode>();

  if (order) {
    const expected =
      cents(order.goodsValue) +
      cents(order.freight) +
      cents(order.insurance) +
      cents(order.taxCollected) -
      cents(order.discount);
    if (cents(order.amountPaid) !== expected) found.add('AMOUNT_FORMULA');
    if (!linesMakeGoodsValue(order)) found.add('ORDER_LINES_VALUE');
  }

  if (order && payment) {
    if (order.currency !== payment.currency) found.add('CURRENCY');
    else if (cents(order.amountPaid) !== cents(payment.amountPaid)) found.add('PAYMENT_AMOUNT');
  }

  const orderNumbers = [order?.orderNumber, payment?.orderNumber, logistics?.orderNumber].filter(
    (n): n is string => n !== undefined,
  );
  if (new Set(orderNumbers).size > 1) found.add('ORDER_NUMBER');

  if (order && logistics) {
    const a = order.consignee;
    const b = logistics.consignee;
    if (normaliseText(a.name) !== normaliseText(b.name)) found.add('CONSIGNEE_NAME');
    if (normalisePhone(a.phone) !== normalisePhone(b.phone)) found.add('CONSIGNEE_PHONE');
    const ka = addressKey(a.address);
    const kb = addressKey(b.address);
    if (ka.some((part, i) => part !== kb[i])) found.add('CONSIGNEE_ADDRESS');
  }

  if (order && payment && input.buyerVerification !== 'verified') {
    const buyerIsPayer =
      normaliseText(order.buyer.name) === normaliseText(payment.payer.name) &&
      sameDocument(order.buyer.document, payment.payer.document);
    if (!buyerIsPayer) found.add('BUYER_NOT_VERIFIED_OR_PAYER');
  }

  if (input.orderNumberTakenByOtherConsignment) found.add('DUPLICATE_ORDER_NUMBER');
  if (input.trackingNumberTakenByOtherConsignment) found.add('DUPLICATE_TRACKING_NUMBER');
  for (const code of input.buyerLimitsExceeded ?? []) found.add(code);
  for (const code of input.declarationMismatches ?? []) found.add(code);
  if (input.goodsNotEligible === true) found.add('GOODS_NOT_ELIGIBLE');

  const complete = order !== undefined && payment !== undefined && logistics !== undefined;
  const reasons = matchReasonCodes.filter((code) => found.has(code));
  const result: MatchOutcome = reasons.length > 0 ? 'fail' : complete ? 'pass' : 'incomplete';
  return { complete, result, reasons };
}
