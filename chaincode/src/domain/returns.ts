import { z } from 'zod';
import {
  addDays,
  calendarProblem,
  endOfDay,
  isCalendarDate,
  IsoDate,
  localDate,
  workingDayFrom,
} from './calendar';
import { ConfigVersion } from './customs';
import {
  applyFraction,
  decimalFraction,
  fromCents,
  toCents,
  vatCollectedAtImport,
  type DecimalFraction,
  type DutyAssessment,
  type DutyAssessmentLine,
} from './revenue';
import {
  CountryCode,
  CurrencyCode,
  Money,
  Quantity,
  ReasonCode,
  Reference,
  TrackingNumber,
  UnLocode,
} from './schemas';
import type { ConsignmentStatus } from './state-machine';

/*
 * Returns and refunds as pure rules (DOMAIN.md "Returns and refunds"): the deadlines a destination
 * sets from the release date, which order lines and quantities may still be returned, and the order
 * of a return's steps. The chaincode applies them; nothing here reads the ledger.
 */

const Days = z.number().int().min(1).max(3650);

/**
 * The days on which a deadline does not end, where the destination moves it to the next working
 * day (calendar.ts workingDayFrom): weekly rest days as ISO weekdays (6 Saturday, 7 Sunday), public
 * holidays, and rest days worked instead.
 */
export const NonWorkingDays = z
  .strictObject({
    weekdays: z
      .array(z.number().int().min(1).max(7))
      .max(6, 'at most 6 weekdays: a week needs a working day')
      .refine((days) => new Set(days).size === days.length, 'each weekday once'),
    holidays: z.array(IsoDate).max(1000, 'at most 1000 holidays'),
    workingDays: z.array(IsoDate).max(1000, 'at most 1000 working days').optional(),
  })
  .superRefine((off, ctx) => {
    // zod goes on after a date it refused: such a calendar is refused for that date already.
    if (![...off.holidays, ...(off.workingDays ?? [])].every(isCalendarDate)) return;
    const problem = calendarProblem(off);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** What a destination allows: days after release for each step. */
export const ReturnPolicy = z.strictObject({
  /** The platform must request the return within this many days of release. */
  requestDays: Days,
  /** The goods must leave the country (exit scan) or arrive back at origin within this many days of release. */
  arrivalDays: Days,
  /** Customs may refund duty/VAT or invalidate the declaration within this many days of release. */
  decisionDays: Days,
  /**
   * Without it a deadline ends on its last calendar day, whatever day that is (as until chaincode
   * 1.10); with it, a last day that is a rest day or a holiday moves to the next working day.
   */
  nonWorkingDays: NonWorkingDays.optional(),
});
export type ReturnPolicy = z.infer<typeof ReturnPolicy>;
type DayCount = 'requestDays' | 'arrivalDays' | 'decisionDays';

/**
 * Each deadline at or after the one before it: a step due before the step it follows could only be
 * taken in time by luck, and customs could not refund goods that came back on their last day.
 */
const DEADLINE_ORDER: readonly [DayCount, DayCount, string][] = [
  ['arrivalDays', 'requestDays', 'goods cannot be due back before the return may be requested'],
  ['decisionDays', 'arrivalDays', 'customs must be able to decide on goods that are back on their last day'],
];

/**
 * The return policies customs has in force, by destination: an ISO country code, 'EU' for every
 * country in the EU's customs territory without its own entry, and 'default' for every other
 * destination.
 */
export const ReturnPolicySet = z.strictObject({
  version: ConfigVersion,
  policies: z
    .record(
      z
        .string()
        .refine(
          (entry) => entry === 'EU' || entry === 'default' || CountryCode.safeParse(entry).success,
          "must be a country code, 'EU' or 'default'",
        ),
      ReturnPolicy,
    )
    .refine((p) => p.default !== undefined, "must have a 'default' policy")
    .superRefine((policies, ctx) => {
      for (const [entry, policy] of Object.entries(policies)) {
        for (const [later, earlier, why] of DEADLINE_ORDER) {
          if (policy[later] >= policy[earlier]) continue;
          ctx.addIssue({
            code: 'custom',
            path: [entry],
            message: `${later} (${policy[later]}) for ${entry} must be at least its ${earlier} (${policy[earlier]}): ${why}`,
          });
        }
      }
    })
    .refine((p) => Object.keys(p).length <= 300, 'at most 300 policies'),
});
export type ReturnPolicySet = z.infer<typeof ReturnPolicySet>;

/**
 * A policy as applied to a return: fixed on the return when requested, with where it came from.
 * Its non-working days stay in the policy set (the version names it): the deadlines they moved are
 * on the return already, and a holiday list on every return record would only weigh on the ledger.
 */
export type AppliedReturnPolicy = Omit<ReturnPolicy, 'nonWorkingDays'> & {
  /** The policy set's version. */
  readonly version: string;
  /** Which entry applied: the country, 'EU' or 'default'. */
  readonly entry: string;
};

/** EU member states. */
export const EU_MEMBER_STATES: readonly string[] = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
]; // prettier-ignore

/**
 * The EU's customs territory, by the country codes in it: one customs territory, one rule for
 * invalidating an import declaration (the Union Customs Code's). Its member states, Monaco (inside
 * it), San Marino (customs union), the French outermost regions that have codes of their own
 * (Saint-Martin among them; Saint-Barthélemy left the EU in 2012) and Åland (outside the EU's VAT
 * area, inside its customs territory).
 */
export const EU_CUSTOMS_TERRITORY: readonly string[] = [
  ...EU_MEMBER_STATES,
  'MC', 'SM', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF', 'AX',
]; // prettier-ignore

/**
 * In force until customs installs its own (returns:putPolicy). China: request within 30 days of
 * release, goods back within 45, tax not levied. EU: the goods must leave, with proof of exit, and
 * the declaration's invalidation be applied for within 90 days (Delegated Regulation (EU)
 * 2015/2446 Art. 148); customs then has up to 120 days from accepting the application to decide
 * (Union Customs Code Art. 22(3)), so 90 + 120 = 210 days to decide. Elsewhere the EU's periods
 * are taken as a default. The buyer's annual limit, which customs' decision restores, is the
 * tariff's (revenue.ts BuyerLimits).
 */
export const DEFAULT_RETURN_POLICY_SET: ReturnPolicySet = {
  version: 'default-2026.2',
  policies: {
    CN: { requestDays: 30, arrivalDays: 45, decisionDays: 90 },
    EU: { requestDays: 90, arrivalDays: 90, decisionDays: 210 },
    default: { requestDays: 90, arrivalDays: 90, decisionDays: 210 },
  },
};

/**
 * Every built-in set, the one in force last. A version label always names the same content, and
 * returns requested under an earlier built-in set name it: its label must still answer with it,
 * and never be put with other content. The first one gave customs only the 90 days the goods had
 * to leave in to decide as well.
 */
export const BUILT_IN_RETURN_POLICY_SETS: readonly ReturnPolicySet[] = [
  {
    version: 'default-2026',
    policies: {
      CN: { requestDays: 30, arrivalDays: 45, decisionDays: 90 },
      EU: { requestDays: 90, arrivalDays: 90, decisionDays: 90 },
      default: { requestDays: 90, arrivalDays: 90, decisionDays: 90 },
    },
  },
  DEFAULT_RETURN_POLICY_SET,
];

/**
 * The policy for a destination: its own entry, else the EU's for a country in the EU's customs
 * territory, else the default.
 */
export function returnPolicyFor(
  destinationCountry: string,
  set: ReturnPolicySet = DEFAULT_RETURN_POLICY_SET,
): AppliedReturnPolicy & Pick<ReturnPolicy, 'nonWorkingDays'> {
  const eu = EU_CUSTOMS_TERRITORY.includes(destinationCountry) ? 'EU' : undefined;
  const entry = [destinationCountry, eu, 'default'].find((k) => k !== undefined && set.policies[k]);
  return { ...set.policies[entry!]!, version: set.version, entry: entry! };
}

export const returnDeadlineNames = ['request', 'arrival', 'decision'] as const;
export type ReturnDeadlineName = (typeof returnDeadlineNames)[number];

const DEADLINE_LABEL: Record<ReturnDeadlineName, string> = {
  request: 'return request deadline',
  arrival: 'return arrival deadline',
  decision: 'duty refund and invalidation deadline',
};

export interface ReturnDeadlines {
  readonly releasedAt: string;
  readonly request: string;
  readonly arrival: string;
  readonly decision: string;
}

/**
 * The three deadlines, as instants: the end of the last of so many calendar days after the day of
 * release, in the destination (calendar.ts). A period of days starts the day after the event and
 * ends at the close of its last day (EU Regulation 1182/71 Art. 3; China's Civil Code Art. 201,
 * 203), so a parcel released at 18:00 on 1 March may be returned until the close of 31 March, 30
 * days later; counted in hours from the release, the deadline passed at 18:00 that day. A last day
 * that falls on a rest day or a public holiday moves to the next working day (1182/71 Art. 3(4); Civil
 * Code Art. 203) where the policy names the destination's non-working days; without them it stays.
 */
export function returnDeadlines(
  policy: Pick<ReturnPolicy, 'requestDays' | 'arrivalDays' | 'decisionDays' | 'nonWorkingDays'>,
  releasedAt: string,
  country: string,
): ReturnDeadlines {
  const released = localDate(releasedAt, country);
  const lastDay = (date: string) =>
    policy.nonWorkingDays === undefined ? date : workingDayFrom(date, policy.nonWorkingDays);
  const after = (days: number) => endOfDay(lastDay(addDays(released, days)), country);
  return {
    releasedAt,
    request: after(policy.requestDays),
    arrival: after(policy.arrivalDays),
    decision: after(policy.decisionDays),
  };
}

/**
 * Refuses a step taken after its deadline, saying which deadline it was, when it passed and what
 * it was counted from. A step exactly at the deadline is in time.
 */
export function assertBeforeDeadline(
  name: ReturnDeadlineName,
  deadlines: ReturnDeadlines,
  policy: Pick<ReturnPolicy, 'requestDays' | 'arrivalDays' | 'decisionDays'>,
  destinationCountry: string,
  now: string,
): void {
  const deadline = deadlines[name];
  if (Date.parse(now) <= Date.parse(deadline)) return;
  const days = { request: policy.requestDays, arrival: policy.arrivalDays, decision: policy.decisionDays }[
    name
  ];
  // A deadline that ends a day later than its count of days is one whose last day was not a working
  // day. One computed by 1.8, in hours from the release, ends no day, and nothing moved it.
  const { requestDays, arrivalDays, decisionDays } = policy;
  const counted = returnDeadlines(
    { requestDays, arrivalDays, decisionDays },
    deadlines.releasedAt,
    destinationCountry,
  )[name];
  const endsADay = endOfDay(localDate(deadline, destinationCountry), destinationCountry) === deadline;
  const moved =
    endsADay && Date.parse(deadline) > Date.parse(counted)
      ? ', its last day moved to the next working day'
      : '';
  throw new Error(
    `${DEADLINE_LABEL[name]} for ${destinationCountry} passed on ${deadline} (${days} days after release on ${deadlines.releasedAt}${moved})`,
  );
}

/**
 * The returns of a consignment an organisation may read: all of them when it sees the consignment;
 * else those it was named to take back. That carrier needs the return (its lines, deadlines and
 * authorisation) to carry it, and nothing else of the consignment: not its other returns.
 */
export function returnsReadableBy<R extends { readonly carrierMspId: string }>(
  mspId: string,
  seesConsignment: boolean,
  returns: readonly R[],
): R[] {
  return seesConsignment ? [...returns] : returns.filter((r) => r.carrierMspId === mspId);
}

// ---------------------------------------------------------------- what may be returned

export const ReturnLine = z.strictObject({
  lineNo: z.number().int().positive(),
  quantity: Quantity,
});
export type ReturnLine = z.infer<typeof ReturnLine>;

export interface OrderedLine {
  readonly lineNo: number;
  readonly quantity: number;
  /** As the order gives it (free text, schemas.ts OrderLine). */
  readonly unit?: string;
}

/**
 * Units that count whole articles: UN/ECE Recommendation 20 codes (H87 piece, C62 one, EA each,
 * NAR articles, PR pair, SET, PK pack, BX box, NMB number, NPR pairs; PCE its former piece) and
 * the words platforms write for them.
 */
const COUNT_UNITS = new Set([
  'h87', 'c62', 'ea', 'nar', 'pr', 'set', 'pk', 'bx', 'nmb', 'npr', 'pce',
  'pc', 'pcs', 'piece', 'pieces', 'each', 'unit', 'units', 'item', 'items', 'article', 'articles',
  'pair', 'pairs', 'sets', 'pack', 'packs', 'box', 'boxes',
]); // prettier-ignore

/** Finer than a gram or millilitre is no quantity a parcel's goods come back in. */
const RETURN_DECIMALS = 3;

const decimalsOf = (quantity: number) => decimalFraction(quantity).d.toString().length - 1;

/**
 * How finely a line's goods may come back: whole articles for a count unit, else to the thousandth;
 * never finer than is needed to return what was ordered. A return of a sliver (0.001 of a T-shirt,
 * 5e-324) would take nothing back and leave the line never quite returned.
 */
function assertQuantityFits(order: OrderedLine, quantity: number): void {
  const counted = order.unit !== undefined && COUNT_UNITS.has(order.unit.toLowerCase());
  const allowed = Math.max(counted ? 0 : RETURN_DECIMALS, decimalsOf(order.quantity));
  if (decimalsOf(quantity) <= allowed) return;
  const what = `a quantity${order.unit === undefined ? '' : ` in ${order.unit}`}`;
  throw new Error(
    `order line ${order.lineNo}: ${quantity} cannot be returned; ${what} ${allowed === 0 ? 'is a whole number' : `has at most ${allowed} decimals`}`,
  );
}

/**
 * Quantities as the decimals they were written as, on one power-of-ten scale: the schemas bound
 * neither the order's nor a return's decimals, and float sums and differences would refuse a
 * return of exactly what is left (0.3 ordered, 0.1 returned, 0.2 asked).
 */
function onOneScale(quantities: readonly number[]): {
  readonly scaled: bigint[];
  readonly show: (v: bigint) => string;
} {
  const fractions = quantities.map(decimalFraction);
  const scale = fractions.reduce((max, f) => (f.d > max ? f.d : max), 1n);
  const digits = scale.toString().length - 1;
  return {
    scaled: fractions.map((f) => f.n * (scale / f.d)),
    show: (v) => {
      const abs = v < 0n ? -v : v;
      const fraction = (abs % scale).toString().padStart(digits, '0').replace(/0+$/, '');
      return `${v < 0n ? '-' : ''}${abs / scale}${fraction === '' ? '' : `.${fraction}`}`;
    },
  };
}

/** An order line on one scale: ordered, returned before, left, and `asked` of it now. */
function lineBalance(order: OrderedLine, alreadyReturned: readonly ReturnLine[], asked: number) {
  const earlier = alreadyReturned.filter((r) => r.lineNo === order.lineNo).map((r) => r.quantity);
  const { scaled, show } = onOneScale([order.quantity, asked, ...earlier]);
  const [quantity, askedNow, ...returned] = scaled as [bigint, bigint, ...bigint[]];
  const before = returned.reduce((n, q) => n + q, 0n);
  return { quantity, asked: askedNow, before, left: quantity - before, show };
}

/**
 * Checks a return's lines against the order and the returns already requested: partial returns
 * add up to at most what was ordered, line by line, exactly.
 */
export function assertReturnable(
  ordered: readonly OrderedLine[],
  alreadyReturned: readonly ReturnLine[],
  lines: readonly ReturnLine[],
): void {
  const seen = new Set<number>();
  for (const line of lines) {
    if (seen.has(line.lineNo)) throw new Error(`the return lists order line ${line.lineNo} twice`);
    seen.add(line.lineNo);
    const order = ordered.find((o) => o.lineNo === line.lineNo);
    if (!order) throw new Error(`the order has no line ${line.lineNo}`);
    const { quantity, asked, before, left, show } = lineBalance(order, alreadyReturned, line.quantity);
    // Exactly what is left may always go back, however finely earlier returns (some recorded before
    // this rule) cut the line.
    if (asked !== left) assertQuantityFits(order, line.quantity);
    if (asked > left) {
      // As written: 1e+308 scaled would print as 309 digits.
      throw new Error(
        `order line ${line.lineNo}: ${line.quantity} cannot be returned; ${show(quantity)} ordered, ${show(before)} already returned, ${show(left)} left`,
      );
    }
  }
}

/**
 * A return before delivery takes back the whole parcel, all that is left of every order line: the
 * goods go back unopened and the consignment ends 'exited' (consignmentStatusAfterReturnScan). Part
 * of an undelivered parcel cannot leave while the rest stays, or the buyer's annual quota (which an
 * exited purchase no longer uses) and customs' refund caps (which follow the returned lines) would
 * disagree about what left. Part of an order goes back once it is delivered.
 */
export function assertWholeBeforeDelivery(
  status: ConsignmentStatus,
  ordered: readonly OrderedLine[],
  alreadyReturned: readonly ReturnLine[],
  lines: readonly ReturnLine[],
): void {
  if (status === 'delivered') return;
  const short = ordered.flatMap((order) => {
    // After assertReturnable, which refuses a line listed twice.
    const asked = lines.find((l) => l.lineNo === order.lineNo)?.quantity ?? 0;
    const balance = lineBalance(order, alreadyReturned, asked);
    const missing = balance.left - balance.asked;
    return missing > 0n ? [`line ${order.lineNo} by ${balance.show(missing)}`] : [];
  });
  if (short.length > 0) {
    throw new Error(
      `the consignment is '${status}', not delivered: a return before delivery takes back the whole parcel, and this one is short of ${short.join(', ')}; return part of the order once it is delivered`,
    );
  }
}

/**
 * The platform's return authorisation (RMA) admits one return: the same number on a second return
 * of the consignment would be a second return the platform did not authorise.
 */
export function assertAuthorisationUnused(
  consignmentId: string,
  earlier: readonly { readonly returnId: string; readonly authorisation: string }[],
  authorisation: string,
): void {
  const user = earlier.find((r) => r.authorisation === authorisation);
  if (user) {
    throw new Error(
      `return authorisation ${authorisation} is already used by return ${user.returnId} of consignment ${consignmentId}`,
    );
  }
}

// ---------------------------------------------------------------- amounts

export interface ValuedLine extends OrderedLine {
  readonly lineValue: number;
}

const ZERO: DecimalFraction = { n: 0n, d: 1n };
const ONE: DecimalFraction = { n: 1n, d: 1n };

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** a + b, reduced: a sum over hundreds of lines would otherwise carry the product of their denominators. */
function add(a: DecimalFraction, b: DecimalFraction): DecimalFraction {
  const n = a.n * b.d + b.n * a.d;
  const d = a.d * b.d;
  const g = gcd(n < 0n ? -n : n, d);
  return { n: n / g, d: d / g };
}

/**
 * The part of the lines' value a return takes back, as an exact fraction (line values in cents,
 * quantities as the decimals they were written as): its lines' value over all lines' value, at
 * most the whole; lines not among them count for nothing. Lines worth nothing together weigh the
 * same each, as revenue.ts apportions charges over them. A float share would round a refund cap
 * off the cent the README promises.
 */
export function returnedShare(ordered: readonly ValuedLine[], lines: readonly ReturnLine[]): DecimalFraction {
  const values = ordered.reduce((n, o) => n + BigInt(toCents(o.lineValue)), 0n);
  const total = values === 0n ? BigInt(ordered.length) : values;
  if (total === 0n) return ZERO;
  const back = lines.reduce<DecimalFraction>((sum, l) => {
    const o = ordered.find((x) => x.lineNo === l.lineNo);
    if (!o) return sum;
    const weight = values === 0n ? 1n : BigInt(toCents(o.lineValue));
    const returned = decimalFraction(l.quantity);
    const of = decimalFraction(o.quantity);
    return add(sum, { n: weight * returned.n * of.d, d: returned.d * of.n });
  }, ZERO);
  return back.n >= back.d * total ? ONE : { n: back.n, d: back.d * total };
}

/** An amount's share, rounded half-up to the cent. */
export function assessedShare(assessed: number, share: DecimalFraction): number {
  return fromCents(applyFraction(toCents(assessed), share));
}

/** An order line as the refund caps read it: its HS code ties it to the assessed lines. */
export interface ClassifiedLine extends ValuedLine {
  readonly hsCode: string;
}

/** What the revenue assessment put on one of its lines, in the tariff's currency. */
export type AssessedLine = Pick<DutyAssessmentLine, 'hs6' | 'duty' | 'vat' | 'customsValue'>;

export interface AssessedOnReturn {
  readonly duty: number;
  readonly vat: number;
  readonly customsValue: number;
}

const AMOUNTS = ['duty', 'vat', 'customsValue'] as const;

const money = (cents: number, currency: string) => `${fromCents(cents).toFixed(2)} ${currency}`;

/**
 * Customs refunds no VAT where it collected none at import. Under a checkout scheme (the platform
 * model, EU IOSS) the import is exempt from VAT: the platform charged it with the price, and the
 * seller refunds it with the price and corrects its scheme return. The duty is a customs debt at
 * import under every model (under IOSS the declarant pays it for the platform), so customs refunds
 * it as assessed.
 */
export function assertVatRefundable(
  vatRefund: number,
  assessment: Pick<DutyAssessment, 'collectionModel' | 'collectedAtCheckout' | 'currency'>,
): void {
  if (vatCollectedAtImport(assessment.collectionModel) || toCents(vatRefund) === 0) return;
  const { currency } = assessment;
  throw new Error(
    `VAT refund of ${money(toCents(vatRefund), currency)}: customs collected no VAT at import, the goods being under the platform's checkout scheme (IOSS), which charged the VAT with the price (${money(toCents(assessment.collectedAtCheckout), currency)} declared collected); the seller refunds it with the price`,
  );
}

/**
 * What the revenue assessment put on the goods a return takes back: the most customs refunds of
 * duty and VAT for it, and restores to the buyer's annual limit.
 *
 * After earlier returns (their lines, which may name the same order lines again), it is what was
 * assessed on their goods and this return's together, less what was assessed on theirs alone, each
 * rounded once: a return in parts then gets back exactly what it would in one, where parts rounded
 * each on its own would not (three thirds of 0.10 are 0.03 each, 0.09).
 *
 * The assessed lines are the declaration's when there was one, and carry no order line numbers, so
 * they are tied to the order lines by HS6 subheading: within one, duty and VAT rates are the same
 * (they are set by heading or chapter), and the flat duty is charged once per subheading. Each
 * subheading's assessed amounts are spread over the order lines of that subheading by value and
 * prorated by the quantity returned; with one order line per subheading, that is exactly what the
 * assessment put on the line. What was assessed on a subheading the order does not have (the
 * declarant classified the goods otherwise) cannot be tied to lines, and is spread over all order
 * lines by value. Exact fractions, rounded half-up to the cent once per amount.
 */
export function assessedOnReturn(
  ordered: readonly ClassifiedLine[],
  assessed: readonly AssessedLine[],
  lines: readonly ReturnLine[],
  earlier: readonly ReturnLine[] = [],
): AssessedOnReturn {
  const before = assessedOn(ordered, assessed, earlier);
  const through = assessedOn(ordered, assessed, [...earlier, ...lines]);
  const less = (amount: keyof AssessedOnReturn) =>
    fromCents(toCents(through[amount]) - toCents(before[amount]));
  return { duty: less('duty'), vat: less('vat'), customsValue: less('customsValue') };
}

function assessedOn(
  ordered: readonly ClassifiedLine[],
  assessed: readonly AssessedLine[],
  lines: readonly ReturnLine[],
): AssessedOnReturn {
  const total = { duty: ZERO, vat: ZERO, customsValue: ZERO };
  const centsOf = (on: readonly AssessedLine[], amount: keyof AssessedOnReturn) =>
    on.reduce((n, l) => n + BigInt(toCents(l[amount])), 0n);
  const accrue = (on: readonly AssessedLine[], share: DecimalFraction) => {
    for (const amount of AMOUNTS) {
      total[amount] = add(total[amount], { n: centsOf(on, amount) * share.n, d: share.d });
    }
  };
  const unmatched: AssessedLine[] = [];
  for (const hs6 of new Set(assessed.map((l) => l.hs6))) {
    const on = assessed.filter((l) => l.hs6 === hs6);
    const orderLines = ordered.filter((o) => o.hsCode.slice(0, 6) === hs6);
    if (orderLines.length === 0) unmatched.push(...on);
    else accrue(on, returnedShare(orderLines, lines));
  }
  accrue(unmatched, returnedShare(ordered, lines));
  // The totals are in cents: one cent times each, rounded half-up.
  const rounded = (f: DecimalFraction) => fromCents(applyFraction(1, f));
  return {
    duty: rounded(total.duty),
    vat: rounded(total.vat),
    customsValue: rounded(total.customsValue),
  };
}

/**
 * Customs refunds at most what it assessed on the goods that came back (assessedOnReturn), and
 * with the earlier returns' refunds never more than the assessed amount itself.
 */
export function assertWithinAssessed(input: {
  readonly what: string;
  readonly currency: string;
  readonly assessed: number;
  /** What the assessment put on this return's goods. */
  readonly onReturn: number;
  readonly asked: number;
  readonly earlier: number;
}): void {
  const { what, currency } = input;
  const [assessed, onReturn, asked, earlier] = [
    input.assessed,
    input.onReturn,
    input.asked,
    input.earlier,
  ].map(toCents) as [number, number, number, number];
  const of = (cents: number) => money(cents, currency);
  if (asked > onReturn) {
    throw new Error(
      `${what} of ${of(asked)} exceeds what customs assessed on the returned goods: at most ${of(onReturn)} (of the ${of(assessed)} assessed)`,
    );
  }
  if (earlier + asked > assessed) {
    throw new Error(
      `${what} of ${of(asked)} with ${of(earlier)} on earlier returns exceeds the ${of(assessed)} assessed`,
    );
  }
}

/** The buyer is refunded at most what was paid, in the payment's currency, over all returns. */
export function assertRefundWithinPaid(
  refund: { readonly amount: number; readonly currency: string },
  paid: { readonly amount: number; readonly currency: string },
  earlierRefunds: number,
): void {
  if (refund.currency !== paid.currency) {
    throw new Error(`the refund is in ${refund.currency} but the payment was in ${paid.currency}`);
  }
  const [amount, total, earlier] = [refund.amount, paid.amount, earlierRefunds].map(toCents) as [
    number,
    number,
    number,
  ];
  if (amount + earlier > total) {
    throw new Error(
      `a refund of ${money(amount, paid.currency)} exceeds what is left to refund: ${money(total, paid.currency)} paid, ${money(earlier, paid.currency)} refunded on earlier returns, ${money(total - earlier, paid.currency)} left`,
    );
  }
}

// ---------------------------------------------------------------- steps

export const returnStatuses = ['requested', 'shipped', 'returned', 'closed'] as const;
export type ReturnStatus = (typeof returnStatuses)[number];

export const ReturnReason = z.enum([
  'not_as_described',
  'defective',
  'damaged',
  'wrong_item',
  'changed_mind',
  'other',
]);

export const ReturnRequest = z.strictObject({
  returnId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
    .optional(),
  reason: ReturnReason,
  lines: z.array(ReturnLine).min(1).max(999),
  /** The platform's return authorisation (RMA) number. */
  authorisation: Reference,
  /** The carrier the platform authorises to take the goods back; the consignment's carrier when absent. */
  carrierMspId: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be an MSP id')
    .optional(),
});
export type ReturnRequest = z.infer<typeof ReturnRequest>;

export const ReturnShipment = z.strictObject({ trackingNumber: TrackingNumber });

/** Proof the goods left: an exit scan at the border, or the arrival scan back at origin. */
export const ReturnScan = z.strictObject({
  type: z.enum(['exited', 'arrived_at_origin']),
  location: UnLocode,
  country: CountryCode,
});
export type ReturnScan = z.infer<typeof ReturnScan>;

/**
 * Customs territories larger than one country, by the country codes that share one: goods leave it,
 * or come back into it, through any of them. The EU's (EU_CUSTOMS_TERRITORY); Switzerland and
 * Liechtenstein (customs treaty). Hong Kong is not China's: a separate customs territory.
 */
const CUSTOMS_TERRITORIES: readonly { readonly name: string; readonly countries: readonly string[] }[] = [
  { name: 'the EU', countries: EU_CUSTOMS_TERRITORY },
  { name: 'Switzerland and Liechtenstein', countries: ['CH', 'LI'] },
];

/** The customs territory larger than one country that holds `country`, if any. */
function territoryOf(country: string): (typeof CUSTOMS_TERRITORIES)[number] | undefined {
  return CUSTOMS_TERRITORIES.find((t) => t.countries.includes(country));
}

/**
 * Where a delivery scan may be: in the destination's customs territory (`CUSTOMS_TERRITORIES`,
 * else the country itself), by its UN/LOCODE's country. A delivery recorded elsewhere made the
 * consignment "delivered" where it never was imported, and its return's exit scan, which must be
 * in that territory, then looked wrong wherever the goods left from.
 */
export function assertDeliveryPlace(location: string, destinationCountry: string): void {
  const at = location.slice(0, 2);
  const where = placeMissed(at, destinationCountry, 'destination', territoryOf(destinationCountry));
  if (where !== undefined)
    throw new Error(`a delivery must be in ${where}, not ${at} (location ${location})`);
}

/** Where a place in country `at` should have been, unless it is in `territory` (else in `country`). */
function placeMissed(
  at: string,
  country: string,
  role: 'origin' | 'destination',
  territory: (typeof CUSTOMS_TERRITORIES)[number] | undefined,
): string | undefined {
  if (territory ? territory.countries.includes(at) : at === country) return undefined;
  return territory ? `${territory.name} (the ${role} ${country} is in it)` : `${country} (${role})`;
}

/**
 * Where a scan proves the goods left: an exit from the destination's customs territory, or arrival
 * back in the origin's (`CUSTOMS_TERRITORIES`, else the country itself). The place is the
 * location's: a UN/LOCODE begins with its country's code, so a country that differs from it is the
 * carrier's word against its own location.
 */
export function assertScanPlace(
  scan: ReturnScan,
  route: { readonly destinationCountry: string; readonly originCountry: string },
): void {
  const at = scan.location.slice(0, 2);
  if (scan.country !== at) {
    throw new Error(`the scan says country ${scan.country} but its location ${scan.location} is in ${at}`);
  }
  const [country, role] =
    scan.type === 'arrived_at_origin'
      ? ([route.originCountry, 'origin'] as const)
      : ([route.destinationCountry, 'destination'] as const);
  // Back "home" inside the destination's own territory (a German seller's parcel to France) proves
  // nothing left it: then only the origin country itself will do.
  const territory =
    scan.type === 'arrived_at_origin' && territoryOf(country) === territoryOf(route.destinationCountry)
      ? undefined
      : territoryOf(country);
  const where = placeMissed(at, country, role, territory);
  if (where !== undefined) throw new Error(`a scan of type '${scan.type}' must be in ${where}, not ${at}`);
}

export const ReturnDecision = z
  .strictObject({
    outcome: z.enum(['duty_refunded', 'declaration_invalidated', 'refused']),
    dutyRefund: Money,
    vatRefund: Money,
    currency: CurrencyCode,
    /** For a purchase counted against its buyer's annual limit: the amount given back to it. */
    quotaRestored: Money.optional(),
    reasonCodes: z.array(ReasonCode).max(20),
  })
  .refine((d) => d.outcome !== 'refused' || (d.dutyRefund === 0 && d.vatRefund === 0 && !d.quotaRestored), {
    message: 'a refused return refunds nothing',
  });
export type ReturnDecision = z.infer<typeof ReturnDecision>;

export type ReturnStep = 'ship' | 'scan' | 'refund' | 'decide';

/**
 * A return may be requested once customs released the goods, before their delivery too (the buyer
 * withdraws from the purchase on the way). Once such a return is shipped, the goods are on their way
 * back: a delivery scan after it would have them both delivered in the destination and gone back
 * (with the price and customs' duty refunded). A parcel is delivered whole, so any shipped return
 * refuses the delivery.
 */
export function assertNotGoingBack(
  consignmentId: string,
  returns: readonly { readonly returnId: string; readonly status: ReturnStatus }[],
): void {
  const gone = returns.find((r) => r.status !== 'requested');
  if (gone) {
    throw new Error(
      `cannot apply 'delivered' to consignment ${consignmentId}: its goods went back under return ${gone.returnId} (status '${gone.status}')`,
    );
  }
}

/**
 * The consignment's status once a return's goods have left the destination (the return's scan). A
 * return before delivery takes the parcel whole (assertNotGoingBack): its goods have left for good,
 * and the consignment ends 'exited', as goods returned to sender do. A delivered consignment stays
 * delivered: what of it came back is the return's record, and customs decides on the declaration.
 */
export function consignmentStatusAfterReturnScan(status: ConsignmentStatus): ConsignmentStatus {
  return status === 'released' ? 'exited' : status;
}

/**
 * Which step may come in which status: the carrier ships a requested return, scans it once it is
 * shipped; the refund may follow the shipment; customs decides once the goods have left. A return
 * closes when refunded and decided.
 */
export function assertStep(
  step: ReturnStep,
  state: { readonly status: ReturnStatus; readonly refunded: boolean; readonly decided: boolean },
  returnId: string,
): void {
  const allowed: Record<ReturnStep, readonly ReturnStatus[]> = {
    ship: ['requested'],
    scan: ['shipped'],
    refund: ['shipped', 'returned'],
    decide: ['returned'],
  };
  const already = (step === 'refund' && state.refunded) || (step === 'decide' && state.decided);
  if (already)
    throw new Error(`return ${returnId} was already ${step === 'refund' ? 'refunded' : 'decided'}`);
  if (!allowed[step].includes(state.status)) {
    throw new Error(
      `cannot apply '${step}' to return ${returnId} in status '${state.status}'; it needs status ${allowed[step].join(' or ')}`,
    );
  }
}

/** The status after a step: closed once the goods are back, the buyer refunded and customs decided. */
export function statusAfter(
  step: ReturnStep,
  state: { readonly status: ReturnStatus; readonly refunded: boolean; readonly decided: boolean },
): ReturnStatus {
  const status: ReturnStatus = step === 'ship' ? 'shipped' : step === 'scan' ? 'returned' : state.status;
  const refunded = state.refunded || step === 'refund';
  const decided = state.decided || step === 'decide';
  return status === 'returned' && refunded && decided ? 'closed' : status;
}
