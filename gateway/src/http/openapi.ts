import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';

extendZodWithOpenApi(z);

/** Routes register themselves here as they are defined: the OpenAPI document is the route table. */
export const registry = new OpenAPIRegistry();

export const ProblemSchema = registry.register(
  'Problem',
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      instance: z.string().optional(),
      errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
    })
    .openapi({ description: 'RFC 9457 problem details (application/problem+json)' }),
);

registry.registerComponent('securitySchemes', 'bearer', {
  type: 'http',
  scheme: 'bearer',
  description:
    'An API key (issued by `npm run keys`, accepted until it expires or is revoked; the demo users’ in dev-credentials.json never expire) or a JWT (HS256, RS256 or ES256)',
});

registry.registerComponent('securitySchemes', 'metricsToken', {
  type: 'http',
  scheme: 'bearer',
  description:
    "The gateway's metrics token: METRICS_TOKEN, or else the one it generated in DATA_DIR/gateway/metrics-token",
});

/**
 * A schema for the OpenAPI document. The chaincode package is CommonJS, so its payload schemas
 * come from zod's CommonJS build, a second zod instance that the OpenAPI extension cannot patch
 * after the fact; those are converted with zod's own JSON Schema output instead.
 */
export function documentedSchema(schema: ZodType): ZodType | Record<string, unknown> {
  if (typeof (schema as { openapi?: unknown }).openapi === 'function') return schema;
  return jsonSchemaOf(schema, 'input');
}

/**
 * A chaincode object schema inside a response schema, as the chaincode's values come out of it
 * (defaults applied). The generator would walk the second instance's schema itself, but it writes
 * a regular expression's flags into the pattern (`^…$/u`), which matches nothing meant; zod's own
 * JSON Schema output spells patterns right.
 */
export function nestedChaincodeSchema(schema: ZodType) {
  return z.looseObject({}).openapi(jsonSchemaOf(schema, 'output') as never);
}

function jsonSchemaOf(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-2020-12', io });
  return jsonSchema;
}

/**
 * A registered (named) schema, or null. The generator writes `.nullable()` of a named schema
 * wrongly: into the component itself (every use of it then nullable), as a bare reference that
 * refuses null, or as an `allOf` no value satisfies, depending on the chain; a union is written
 * as `anyOf: [{ $ref }, { type: 'null' }]`.
 */
export function orNull<T extends ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Customs ledger gateway',
      version: '1.0.0',
      description:
        'Advance electronic data for cross-border e-commerce (WCO Framework of Standards): order, payment and logistics data, movements, declarations and clearance, shared on a permissioned ledger with purpose-bound access to personal data.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
  });
  return cached;
}

export { z };
