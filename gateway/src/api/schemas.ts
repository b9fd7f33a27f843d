import {
  CONSIGNMENT_ID_PATTERN,
  PARTY_ID_PATTERN,
  purposeNames,
  recordKinds,
} from '@customs-ledger/chaincode';
import { z } from '../http/openapi.js';

/*
 * Request parameters are defined with the gateway's own zod (so they carry OpenAPI metadata) from
 * the chaincode's patterns; bodies reuse the chaincode's payload schemas, so the gateway and the
 * chaincode validate by the same rules and the API documents them.
 */
export const ConsignmentIdParam = z.object({
  id: z
    .string()
    .regex(CONSIGNMENT_ID_PATTERN, 'must be 1-64 characters: letters, digits, . _ - (not first)')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'CN-2026-000123' }),
});

export const PartyIdParam = z.object({
  id: z
    .string()
    .regex(PARTY_ID_PATTERN, 'must be 64 lowercase hex characters')
    .openapi({ param: { name: 'id', in: 'path' }, description: 'Pseudonymous party id (64 hex)' }),
});

export const DetailsQuery = z.strictObject({
  record: z.enum(recordKinds).openapi({ description: 'Which record of the consignment to read' }),
  purpose: z
    .enum(purposeNames as [string, ...string[]])
    .openapi({ description: 'Why the personal data is read; each purpose is allowed only for some roles' }),
});

export const NoQuery = z.strictObject({});

/**
 * A number in a query string or a path: decimal digits (and a fraction where allowed) only, since
 * a coerced number would read '' and ' ' as 0, '0x1' as 1 and '1e2' as 100. The OpenAPI generator
 * sees the string the value starts as, so the schema says its type, bounds and whether it is
 * required explicitly.
 */
export function NumberParam(options: {
  readonly min: number;
  readonly max: number;
  readonly description?: string;
  readonly required?: boolean;
  readonly fraction?: boolean;
}) {
  const { min, max, description, required = false, fraction = false } = options;
  return z
    .string()
    .regex(
      fraction ? /^[0-9]+(\.[0-9]+)?$/ : /^[0-9]+$/,
      fraction ? 'must be a decimal number' : 'must be a decimal integer',
    )
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .openapi({
      ...(description ? { description } : {}),
      type: fraction ? 'number' : 'integer',
      minimum: min,
      maximum: max,
      param: { required },
    });
}

export const JsonResult = z.record(z.string(), z.unknown()).openapi({ type: 'object' });

export const DisclosureRequest = z.strictObject({
  record: z.enum(recordKinds),
  fields: z
    .array(z.string().regex(/^(\/[^/]*)+$/, 'must be a JSON pointer such as /lines/0/hsCode'))
    .min(1)
    .max(100)
    .openapi({ description: 'JSON pointers of the fields to disclose' }),
  purpose: z.enum(purposeNames as [string, ...string[]]),
});
