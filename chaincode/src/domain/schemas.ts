import { isValid as isIsoCountry } from 'i18n-iso-countries';
import { z } from 'zod';

import { bytesToString } from './canonical';
import { escapePointerToken } from './merkle';
import { purposeNames } from './purposes';
import { decisionEvents, movementEvents } from './state-machine';

/*
 * Shapes of everything the chaincode accepts. Objects are strict: an unknown key is refused
 * rather than silently committed into a Merkle root or stored in a private collection.
 */

// ---------------------------------------------------------------- building blocks

/**
 * What free text may not hold: C0 and C1 control characters (a NUL ends a string early for C
 * readers, an escape sequence restyles a terminal) and the bidirectional embeddings, overrides and
 * isolates, with which "Shirt\u202Eevil" shows in a console as other text than it is (CVE-2021-42574).
 * Multi-line text keeps tab and line feed; marks such as U+200F stay, as right-to-left names need them.
 */
const UNSAFE_IN_LINE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const UNSAFE_IN_LINES = /(?![\t\n])[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

// Refused rather than trimmed: the stored payload must be exactly what the client committed to.
const freeText = (max: number, unsafe: RegExp) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^\S(?:[\s\S]*\S)?$/, 'must not be blank or start or end with whitespace')
    .refine((s) => !unsafe.test(s), {
      error: (issue) => {
        const c = unsafe.exec(String(issue.input))?.[0] ?? '';
        const code = `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
        return `must not contain ${code}: control and bidirectional formatting characters are refused`;
      },
    });

/** One line of free text: a name, a description, an address line. */
const text = (max: number) => freeText(max, UNSAFE_IN_LINE);
/** Free text of several lines, such as a trader's answer to customs. */
export const multiLineText = (max: number) => freeText(max, UNSAFE_IN_LINES);

/**
 * An assigned ISO 3166-1 alpha-2 code (and XK, Kosovo, as customs use it): a made-up code such as
 * ZZ would find no tariff and no return policy of its own, and say nothing to anyone.
 */
export const CountryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
  .refine((code) => isIsoCountry(code), 'is not an assigned ISO 3166-1 alpha-2 country code');
/** ISO 4217. */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code');
export const HsCode = z.string().regex(/^\d{6,10}$/, 'must be 6 to 10 digits');
/** HS codes by prefix: a chapter (2 digits) to a national tariff line (10). */
export const HsPrefix = z.string().regex(/^\d{2,10}$/, 'must be 2 to 10 digits');
/** Pseudonymous party id: 32 bytes, lowercase hex (for example a keyed hash of the platform account). */
export const PARTY_ID_PATTERN = /^[0-9a-f]{64}$/;
export const PartyId = z.string().regex(PARTY_ID_PATTERN, 'must be 64 lowercase hex characters');
export const IsoDateTime = z.iso.datetime({ offset: true });
/** UN/LOCODE without the space: country + 3 characters (letters or digits 2–9). */
export const UnLocode = z.string().regex(/^[A-Z]{2}[A-Z2-9]{3}$/, 'must be a 5-character UN/LOCODE');
/** Upper-case reason or risk code, e.g. UNDERVALUATION. */
export const ReasonCode = z.string().regex(/^[A-Z][A-Z0-9_]{0,47}$/, 'must be an upper-case code');

/**
 * The most any amount of money may be: 100 million units of its currency. Duty and VAT are
 * computed in integer cents, which must stay safe integers (revenue.ts); at this bound a
 * declaration of 999 lines, with freight and insurance, each at the most, under the highest rates
 * a tariff may set (1000 % duty, then 1000 % VAT on value and duty), is due 1.2e15 cents, under
 * 2^53 (9.0e15) with room for a conversion into a currency worth up to seven times less. A larger
 * amount was stored, then could not be assessed: the consignment escaped customs' risk checks.
 */
export const MAX_MONEY = 100_000_000;

/** Money: a non-negative finite number up to MAX_MONEY with at most two decimals. */
export const Money = z
  .number()
  .nonnegative()
  .max(MAX_MONEY, `must be at most ${MAX_MONEY}`)
  .refine((n) => Number.isFinite(n) && Math.round(n * 100) / 100 === n, 'must have at most 2 decimals');

/** An amount that may be negative (a correction downwards), within MAX_MONEY either way, at most two decimals. */
export const SignedMoney = z
  .number()
  .min(-MAX_MONEY, `must be at least -${MAX_MONEY}`)
  .max(MAX_MONEY, `must be at most ${MAX_MONEY}`)
  .refine((n) => Number.isFinite(n) && Math.round(n * 100) / 100 === n, 'must have at most 2 decimals');

/**
 * The most an order line may count (pieces, or grams and millilitres of goods sold by measure),
 * and the most a waybill may weigh or hold: far beyond any parcel, and bounded so that nothing
 * derived from them (a reference price times a quantity, risk.ts) is out of all proportion.
 */
export const MAX_QUANTITY = 1_000_000;
export const MAX_GROSS_WEIGHT_KG = 100_000;
export const MAX_PACKAGES = 10_000;

/** An order line's quantity, or what a return takes back of it. */
export const Quantity = z.number().positive().max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`);

export const CONSIGNMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ConsignmentId = z
  .string()
  .regex(CONSIGNMENT_ID_PATTERN, 'must be 1-64 characters: letters, digits, . _ - (not first)');
/** A number a business gives its own document: an order number, a remittance's reference. */
export const BusinessNumber = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, 'must be 1-64 characters: letters, digits, . _ / -');
export const OrderNumber = BusinessNumber;
/** S10 (posts) or a carrier's house air waybill number. */
export const TrackingNumber = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{3,39}$/, 'must be 4-40 characters: letters, digits, -');
export const PaymentTransactionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 characters: letters, digits, . _ : -');

export const IdentityDocument = z.strictObject({
  type: z.enum(['passport', 'national_id', 'tax_id', 'residence_permit', 'driving_licence', 'other']),
  number: text(64),
  country: CountryCode,
});

export const Address = z.strictObject({
  line1: text(200),
  line2: text(200).optional(),
  city: text(100),
  postcode: text(20),
  country: CountryCode,
});

export const Consignee = z.strictObject({
  name: text(200),
  phone: z.string().regex(/^\+?[0-9][0-9 ()-]{3,31}$/, 'must be a phone number'),
  address: Address,
});

// ---------------------------------------------------------------- private payloads

export const OrderLine = z.strictObject({
  lineNo: z.number().int().positive(),
  description: text(500),
  hsCode: HsCode,
  quantity: Quantity,
  unit: text(16),
  unitPrice: Money,
  lineValue: Money,
  originCountry: CountryCode,
  productUrl: z.url({ protocol: /^https?$/ }).optional(),
});

export const OrderPayload = z.strictObject({
  orderNumber: OrderNumber,
  platformId: text(64).optional(),
  seller: z.strictObject({ id: PartyId, name: text(200) }),
  buyer: z.strictObject({ id: PartyId, name: text(200), document: IdentityDocument }),
  consignee: Consignee,
  goodsValue: Money,
  freight: Money,
  insurance: Money,
  discount: Money,
  taxCollected: Money,
  amountPaid: Money,
  currency: CurrencyCode,
  orderedAt: IsoDateTime,
  lines: z.array(OrderLine).min(1).max(999),
});
export type OrderPayload = z.infer<typeof OrderPayload>;

export const PaymentPayload = z.strictObject({
  paymentTransactionId: PaymentTransactionId,
  orderNumber: OrderNumber,
  payer: z.strictObject({ name: text(200), document: IdentityDocument }),
  amountPaid: Money,
  currency: CurrencyCode,
  paidAt: IsoDateTime,
});
export type PaymentPayload = z.infer<typeof PaymentPayload>;

export const LogisticsPayload = z.strictObject({
  trackingNumber: TrackingNumber,
  masterBill: text(64).optional(),
  orderNumber: OrderNumber,
  consignee: Consignee,
  grossWeightKg: z.number().positive().max(MAX_GROSS_WEIGHT_KG, `must be at most ${MAX_GROSS_WEIGHT_KG}`),
  packages: z.number().int().positive().max(MAX_PACKAGES, `must be at most ${MAX_PACKAGES}`),
  freight: Money,
  insurance: Money,
  goodsDescription: text(500),
});
export type LogisticsPayload = z.infer<typeof LogisticsPayload>;

export const DeclarationPayload = z.strictObject({
  declarant: text(200),
  mode: z.enum(['direct', 'bonded']),
  transportMode: z.enum(['air', 'sea', 'road', 'rail', 'mail', 'multimodal']),
  originCountry: CountryCode,
  destinationCountry: CountryCode,
  lines: z
    .array(z.strictObject({ hsCode: HsCode, description: text(500), value: Money, currency: CurrencyCode }))
    .min(1)
    .max(999),
  /** IOSS or another VAT collection number, where the platform collected the tax. */
  vatCollectionNumber: z
    .string()
    .regex(/^[A-Z0-9]{4,20}$/, 'must be 4-20 upper-case letters or digits')
    .optional(),
});
export type DeclarationPayload = z.infer<typeof DeclarationPayload>;

export const PartyPayload = z.strictObject({
  name: text(200),
  document: IdentityDocument,
  address: Address.optional(),
});
export type PartyPayload = z.infer<typeof PartyPayload>;

/** Customs' own note on a party; lives only in the customs collection. */
export const FlagPayload = z.strictObject({
  watchlisted: z.boolean(),
  reasonCode: ReasonCode,
});
export type FlagPayload = z.infer<typeof FlagPayload>;

/** The refund of a return to the buyer: the refunder's transaction is personal financial data. */
export const RefundPayload = z.strictObject({
  refundTransactionId: PaymentTransactionId,
  // A return is refunded once: a refund of nothing would use up that step and refuse the real one.
  amount: Money.positive('must be more than 0'),
  currency: CurrencyCode,
  refundedAt: IsoDateTime,
});
export type RefundPayload = z.infer<typeof RefundPayload>;

export const payloadSchemas = {
  order: OrderPayload,
  payment: PaymentPayload,
  logistics: LogisticsPayload,
  declaration: DeclarationPayload,
  party: PartyPayload,
  flag: FlagPayload,
  refund: RefundPayload,
} as const;
export type PayloadKind = keyof typeof payloadSchemas;
export type PayloadOf<K extends PayloadKind> = z.infer<(typeof payloadSchemas)[K]>;

/** The four records submitted against a consignment. */
export const recordKinds = ['order', 'payment', 'logistics', 'declaration'] as const;
export type RecordKind = (typeof recordKinds)[number];

// ---------------------------------------------------------------- public arguments

export const JoinKeys = z.strictObject({
  orderNumber: OrderNumber.optional(),
  trackingNumber: TrackingNumber.optional(),
  paymentTransactionId: PaymentTransactionId.optional(),
  originCountry: CountryCode,
  destinationCountry: CountryCode,
});
export type JoinKeys = z.infer<typeof JoinKeys>;

/** An organisation's MSP id, as Fabric names them: letters, digits, '.' and '-'. */
export const MspId = z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be an MSP id');

/**
 * What consignment:create takes: the join keys, and the organisations its creator names for the
 * other parts (domain/consignment.ts, participantsAtCreation), each bound from creation.
 */
export const CreateConsignment = JoinKeys.extend({
  platformMspId: MspId.optional().describe(
    'The platform whose order it is, named by the carrier that creates the consignment: bound from creation, it writes with no join key and no other platform can take its part',
  ),
  carrierMspId: MspId.optional().describe(
    'The post or express carrier, named by the platform that creates the consignment: bound from creation, it writes with no join key and no other carrier can take its part',
  ),
  paymentMspId: MspId.optional().describe(
    "The payment provider, or the consignment's platform when it takes the payment itself: bound from creation, it writes with no join key and no one else can take its part",
  ),
});
export type CreateConsignment = z.infer<typeof CreateConsignment>;

/**
 * The transactions a batch may carry, with the number of arguments each takes after the context.
 * Decisions and access records stay single transactions: each is an act of its own to audit.
 */
export const batchFunctionArity = {
  create: 2,
  submitOrder: 1,
  submitPayment: 1,
  submitLogistics: 1,
  submitDeclaration: 1,
  recordMovement: 2,
} as const;
export type BatchFunction = keyof typeof batchFunctionArity;

/** At most this many operations in one transaction: bounds the block size and the endorsement time. */
export const MAX_BATCH_OPERATIONS = 1000;

export const BatchOperations = z
  .array(
    z
      .strictObject({
        fn: z.enum(Object.keys(batchFunctionArity) as [BatchFunction, ...BatchFunction[]]),
        args: z.array(z.string()),
      })
      .refine((op) => op.args.length === batchFunctionArity[op.fn], {
        message: 'wrong number of arguments for the function',
        path: ['args'],
      }),
  )
  .min(1)
  .max(MAX_BATCH_OPERATIONS);
export type BatchOperation = z.infer<typeof BatchOperations>[number];

export const Movement = z.strictObject({
  type: z.enum(movementEvents),
  location: UnLocode,
  occurredAt: IsoDateTime.optional(),
});
export type Movement = z.infer<typeof Movement>;

export const Decision = z.strictObject({
  decision: z.enum(decisionEvents),
  reasonCodes: z.array(ReasonCode).max(20),
});
export type Decision = z.infer<typeof Decision>;

export const PartyKind = z.enum(['seller', 'buyer']);
export type PartyKind = z.infer<typeof PartyKind>;
export const VerificationLevel = z.enum(['none', 'basic', 'verified']);
export type VerificationLevel = z.infer<typeof VerificationLevel>;
export const SubjectType = z.enum(['consignment', 'party']);
export type SubjectType = z.infer<typeof SubjectType>;
export const PurposeName = z.enum(purposeNames as [string, ...string[]]);
/** What a disclosure request may name: a field, or an object or array whose every field goes. */
export const DISCLOSURE_PATH = {
  pattern: /^(\/[^/]*)+$/,
  maxLength: 256,
  /** Paths in one request. */
  maxCount: 100,
} as const;
/** The JSON pointers a selective disclosure is asked for. */
export const DisclosurePaths = z
  .array(
    z
      .string()
      .max(DISCLOSURE_PATH.maxLength)
      .regex(DISCLOSURE_PATH.pattern, 'must be a JSON pointer such as /buyer/id'),
  )
  .min(1)
  .max(DISCLOSURE_PATH.maxCount);
export const SaltSeed = z.string().regex(/^(?:[0-9a-fA-F]{2}){16,256}$/, 'must be 16-256 bytes of hex');
/** A short free-text public reference, such as an AEO certificate number. */
export const Reference = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$/, 'must be a short reference');

// ---------------------------------------------------------------- parsing with readable errors

/** JSON-pointer form of a zod issue path. */
function pointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${escapePointerToken(String(p))}`).join('');
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${pointer([...issue.path, k])}: unknown field`);
      }
      return [`${pointer(issue.path) || '/'}: ${issue.message}`];
    })
    .join('; ');
}

/** Validates a value, naming what was being validated and the offending field paths. */
export function parseWith<S extends z.ZodType>(schema: S, what: string, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

/** Parses JSON text and validates it; used for JSON-valued arguments and transient payloads. */
export function parseJsonWith<S extends z.ZodType>(
  schema: S,
  what: string,
  input: Uint8Array | string,
): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(typeof input === 'string' ? input : bytesToString(input));
  } catch (e) {
    throw new Error(`invalid ${what}: not JSON (${(e as Error).message})`);
  }
  return parseWith(schema, what, value);
}

export function parsePayload<K extends PayloadKind>(kind: K, input: Uint8Array | string): PayloadOf<K> {
  return parseJsonWith(payloadSchemas[kind], `${kind} payload`, input) as PayloadOf<K>;
}
