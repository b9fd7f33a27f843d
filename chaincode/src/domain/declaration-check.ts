import { localDate } from './calendar';
import { convertCents, MissingRateError, toCents, type RateTable } from './revenue';
import type { DeclarationPayload, OrderPayload } from './schemas';

/*
 * Whether the declaration says what the order it is derived from says (DOMAIN.md: the declaration
 * is "derived from the above"). Duty, VAT, the de minimis tests and the buyer's limits are computed
 * on the declaration, while the three-way match checks the order: a declaration that states less
 * than was sold, moves value to a subheading with a lower rate, or names another route would be
 * taxed on its own word with the match passed. Pure; reasons are codes, never the values compared.
 *
 * Choices worth knowing:
 * - Values are compared per HS6 subheading: a declaration may group or split the order's lines
 *   within a subheading, nothing more. When the subheadings differ, only the totals are compared.
 * - The order's discount may come off the declared values (the price actually paid), spread over
 *   the subheadings in any way: each subheading is declared at its order value or less, by at most
 *   the whole discount, and all together at no less than the order's lines less the discount.
 * - A declared value in another currency is converted to the order's at the order's date; within
 *   1 % of the order's figure it counts as equal (the declarant may have used another day's rate).
 *   Without a rate the values are not compared, and `notCompared` says so, for an officer.
 */

export const declarationMismatchCodes = [
  'DECLARATION_ROUTE',
  'DECLARATION_HS_CODES',
  'DECLARATION_VALUE',
] as const;
export type DeclarationMismatchCode = (typeof declarationMismatchCodes)[number];

export interface DeclarationCheckInput {
  readonly order: OrderPayload;
  readonly declaration: DeclarationPayload;
  /** The consignment's own route, as created. */
  readonly route: { readonly originCountry: string; readonly destinationCountry: string };
  /** For declared values in another currency than the order's. */
  readonly rates: RateTable;
}

export interface DeclarationCheck {
  /** In the order of declarationMismatchCodes. */
  readonly reasons: DeclarationMismatchCode[];
  /** Why the declared values could not be compared, when they could not. */
  readonly notCompared?: string;
}

/** Tolerance for a converted value: 1 % of the figure it is compared with, rounded up to the cent. */
const CONVERTED_TOLERANCE = 0.01;

/** Cents per HS6 subheading. */
type BySubheading = Map<string, number>;

function addTo(groups: BySubheading, hsCode: string, cents: number): void {
  const hs6 = hsCode.slice(0, 6);
  groups.set(hs6, (groups.get(hs6) ?? 0) + cents);
}

function sum(groups: BySubheading): number {
  return [...groups.values()].reduce((s, c) => s + c, 0);
}

export function checkDeclaration(input: DeclarationCheckInput): DeclarationCheck {
  const { order, declaration, route } = input;
  const found = new Set<DeclarationMismatchCode>();

  if (
    declaration.originCountry !== route.originCountry ||
    declaration.destinationCountry !== route.destinationCountry
  ) {
    found.add('DECLARATION_ROUTE');
  }

  const ordered: BySubheading = new Map();
  for (const line of order.lines) addTo(ordered, line.hsCode, toCents(line.lineValue));
  const declared: BySubheading = new Map();
  let converted = false;
  let notCompared: string | undefined;
  const date = localDate(order.orderedAt, route.destinationCountry);
  for (const line of declaration.lines) {
    try {
      addTo(
        declared,
        line.hsCode,
        convertCents(toCents(line.value), line.currency, order.currency, date, input.rates),
      );
      converted ||= line.currency !== order.currency;
    } catch (error) {
      if (!(error instanceof MissingRateError)) throw error;
      notCompared = `declared values not compared with the order's: ${error.message}`;
    }
  }

  const subheadings = (lines: readonly { readonly hsCode: string }[]) =>
    new Set(lines.map((l) => l.hsCode.slice(0, 6)));
  const orderedHs6 = subheadings(order.lines);
  const declaredHs6 = subheadings(declaration.lines);
  const sameSubheadings =
    orderedHs6.size === declaredHs6.size && [...orderedHs6].every((hs6) => declaredHs6.has(hs6));
  if (!sameSubheadings) found.add('DECLARATION_HS_CODES');

  if (notCompared === undefined) {
    const discount = toCents(order.discount);
    const slack = (cents: number) => (converted ? Math.ceil(cents * CONVERTED_TOLERANCE) : 0);
    const within = (value: number, orderValue: number) =>
      value <= orderValue + slack(orderValue) && value >= orderValue - discount - slack(orderValue);
    const perSubheading = [...ordered].every(([hs6, cents]) => within(declared.get(hs6) ?? 0, cents));
    if ((sameSubheadings && !perSubheading) || !within(sum(declared), sum(ordered))) {
      found.add('DECLARATION_VALUE');
    }
  }

  return {
    reasons: declarationMismatchCodes.filter((code) => found.has(code)),
    ...(notCompared !== undefined ? { notCompared } : {}),
  };
}
