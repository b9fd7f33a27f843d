import {
  CONSIGNMENT_ID_PATTERN,
  DISCLOSURE_PATH,
  CURSOR_MAX_LENGTH,
  PAGE_LIMIT,
  MAX_RECORD_VERSIONS,
  MspId,
  ORG_ROLES,
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

/** The chaincode's rule for an MSP id, on the gateway's zod so that the parameter is documented. */
export const PartyRegistrationParams = PartyIdParam.extend({
  platformMspId: z
    .string()
    .refine((value) => MspId.safeParse(value).success, 'must be an MSP id (1-64 letters, digits, . -)')
    .openapi({
      param: { name: 'platformMspId', in: 'path' },
      description: 'The platform whose registration of the party is read',
      example: 'PlatformAMSP',
    }),
});

const Purpose = z
  .enum(purposeNames as [string, ...string[]])
  .openapi({ description: 'Why the personal data is read; each purpose is allowed only for some roles' });

export const DetailsQuery = z.strictObject({
  record: z.enum(recordKinds).openapi({ description: 'Which record of the consignment to read' }),
  purpose: Purpose,
});

/** A read of personal data that names its record in the path. */
export const PurposeQuery = z.strictObject({ purpose: Purpose });

export { NoQuery } from '../http/route.js';

/** A page of a list in time order: its size, and where the page before ended. */
export const PageQuery = z.strictObject({
  limit: NumberParam({
    min: 1,
    max: PAGE_LIMIT.max,
    description: `Entries on the page, ${PAGE_LIMIT.default} when not given`,
  }).optional(),
  after: z
    .string()
    .max(CURSOR_MAX_LENGTH)
    .optional()
    .openapi({ description: 'The `next` of the page before, as it came: the page starts after it' }),
});

export type PageQuery = z.infer<typeof PageQuery>;

/** What a page of a list in time order says beside its entries. */
export const PageFields = {
  hasMore: z.boolean().openapi({ description: 'Whether entries follow this page now' }),
  next: z.string().nullable().openapi({
    description:
      'The cursor after the last entry (the request’s own after an empty page; null for an empty list): `after` of the next page, and later of what was appended since',
  }),
};

export const HistoryQuery = PageQuery.extend({
  record: z
    .enum(recordKinds)
    .optional()
    .openapi({
      description: `Only the versions of this record (at most ${MAX_RECORD_VERSIONS}, so one page)`,
    }),
});

const HistoryEntry = z
  .object({
    type: z.string().openapi({
      description:
        'created, order_submitted … declaration_submitted, movement_<type>, assessed, decision_<decision>, referral_answered, return_<step>, personal_data_read, personal_data_erased',
    }),
    at: z.string().openapi({ format: 'date-time', description: 'The transaction time (its client’s)' }),
    txId: z.string(),
    block: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The block holding the transaction; null if the peer asked has none yet' }),
    by: z.object({
      mspId: z.string(),
      role: z.union([z.enum(ORG_ROLES), z.literal('unregistered')]),
      user: z.string().optional(),
    }),
    stateKey: z
      .object({ objectType: z.string(), attributes: z.array(z.string()) })
      .openapi({ description: 'The public-state key written (a composite key’s parts)' }),
    valueHash: z.string().openapi({ description: 'SHA-256 (hex) of the bytes the transaction wrote there' }),
    detail: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'What the entry’s type records; no personal data (roots and hashes only)' }),
  })
  .openapi('HistoryEntry');

export const HistoryPage = z
  .object({
    consignmentId: z.string(),
    entries: z.array(HistoryEntry),
    ...PageFields,
  })
  .openapi('HistoryPage', { description: 'A page of a consignment’s provenance, oldest first' });

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

export const DisclosureRequest = z.strictObject({
  record: z.enum(recordKinds),
  fields: z
    .array(
      z
        .string()
        .max(DISCLOSURE_PATH.maxLength)
        .regex(DISCLOSURE_PATH.pattern, 'must be a JSON pointer such as /lines/0/hsCode'),
    )
    .min(1)
    .max(DISCLOSURE_PATH.maxCount)
    .openapi({
      description: 'JSON pointers of the fields to disclose, or of objects or arrays whose every field goes',
    }),
  purpose: z.enum(purposeNames as [string, ...string[]]),
});
