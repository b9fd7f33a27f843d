import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response, Router } from 'express';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import canonicalizeModule from 'canonicalize';
import type { z, ZodType } from 'zod';
import type { OrgRole } from '@customs-ledger/chaincode';
import { USER_ROLES, type Principal } from '../auth/principal.js';
import { problemFromLedgerError } from './ledger-errors.js';
import { fieldErrors, HttpProblem, invalidFields, problemBody } from './problem.js';
import { documentedSchema, ProblemSchema, registry, z as documentedZod } from './openapi.js';
import { jsonText } from './json.js';
import { headerCount } from './request-checks.js';
import { KeyedWrite } from '../services/keyed-write.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal;
  readonly requestId: string;
  /** Adds to what the audit trail records for this request (resource, purpose, txId). */
  audit(fields: { resource?: string; purpose?: string; txId?: string }): void;
}

export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The answer holds an outcome the ledger did not confirm (a batch's transaction that may yet be
   * committed): it is sent but not kept under the request's Idempotency-Key, so that a retry under
   * the key runs again and learns that outcome from the ledger instead of replaying this answer.
   */
  readonly unconfirmed?: boolean;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** The query of a route that takes no parameters: any is refused. */
export const NoQuery = documentedZod.strictObject({});

export interface RouteDefinition<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends ZodType = ZodType,
> {
  readonly method: 'get' | 'post';
  /** OpenAPI form, e.g. /v1/consignments/{id}. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** The organisation roles allowed to call the route (function-level authorisation). */
  readonly roles: 'any' | readonly OrgRole[];
  /** Within those organisations, the user roles allowed (auth/principal.ts); absent, any. */
  readonly userRoles?: readonly string[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: ZodType }>>;
  /**
   * Problem statuses only the handler knows it answers (e.g. 404 for a version named in the query);
   * those that follow from the route's shape are documented anyway (problemStatuses).
   */
  readonly problems?: readonly ProblemStatus[];
  /**
   * The response carries personal data. It is never kept for Idempotency-Key replays: a copy in the
   * gateway's store would outlive an erasure of the data. Each call is its own recorded access.
   */
  readonly returnsPersonalData?: boolean;
  /** A regular JSON route. */
  readonly handler?: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<RouteResult>;
  /** A streaming route (Server-Sent Events): writes the response itself. */
  readonly stream?: (
    ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>,
    req: Request,
    res: Response,
  ) => Promise<void>;
}

/** Stores the first response of a write per (user, Idempotency-Key), so a retry replays it. */
export interface IdempotencyStore {
  begin(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<
    | { readonly kind: 'new' }
    | { readonly kind: 'replay'; readonly response: StoredResponse }
    | { readonly kind: 'mismatch' }
    | { readonly kind: 'in-flight' }
  >;
  complete(scope: string, key: string, requestHash: string, response: StoredResponse): Promise<void>;
  abandon(scope: string, key: string): Promise<void>;
}

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

export function defineRoute<P extends AnyObject, Q extends AnyObject, B extends ZodType>(
  definition: RouteDefinition<P, Q, B>,
): RouteDefinition<P, Q, B> {
  return definition;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

const IdempotencyHeader = documentedZod.object({
  'Idempotency-Key': documentedZod.string().regex(IDEMPOTENCY_KEY).optional().openapi({
    description: 'Retries with the same key and body get the first response; another body gets 422.',
  }),
});

/**
 * Mounts routes on a router and registers each in the OpenAPI document, so what is documented is
 * exactly what answers. Every request passes, in order: role check, validation of params, query
 * and body (unknown fields refused), idempotency for writes, the handler, error mapping.
 */
export function mountRoutes(
  router: Router,
  routes: readonly RouteDefinition[],
  idempotency: IdempotencyStore,
): void {
  const expressPathOf = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');
  const methods = new Map<string, string[]>();
  for (const route of routes) {
    const path = expressPathOf(route.path);
    methods.set(path, [...(methods.get(path) ?? []), route.method.toUpperCase()]);
  }
  // Express answers HEAD with a path's GET route, which runs its handler: a HEAD of a personal-data
  // read committed an access record. The API has no HEAD.
  for (const [path, allowed] of methods) {
    router.head(path, (req, _res, next) => {
      const allow = [...allowed].sort().join(', ');
      next(
        new HttpProblem(405, `${req.method} is not allowed here: ${allow}`, { headers: { Allow: allow } }),
      );
    });
  }
  for (const route of routes) {
    // An Idempotency-Key's request hash spells the path from the parsed parameters.
    if (route.path.includes('{') && !route.params) throw new Error(`${route.path} declares no params`);
    registerOpenApi(route);
    router[route.method](
      expressPathOf(route.path),
      async (req: Request, res: Response, next: NextFunction) => {
        res.locals.audit = { ...res.locals.audit, route: route.path };
        try {
          await handle(route, req, res, idempotency);
        } catch (error) {
          const problem = error instanceof HttpProblem ? error : problemFromLedgerError(error);
          if (!problem) throw error;
          // Answered by the problem handler, which also logs a 500 with what failed.
          if (!res.headersSent) next(problem);
        }
      },
    );
  }
}

async function handle(
  route: RouteDefinition,
  req: Request,
  res: Response,
  idempotency: IdempotencyStore,
): Promise<void> {
  const principal = req.principal;
  if (!principal) throw new HttpProblem(401, 'authentication required');
  if (route.roles !== 'any' && !route.roles.includes(principal.orgRole)) {
    throw new HttpProblem(
      403,
      `${route.method.toUpperCase()} ${route.path} is not allowed for ${principal.mspId} (role ${principal.orgRole}); allowed roles: ${route.roles.join(', ')}`,
    );
  }
  if (route.userRoles && !route.userRoles.includes(principal.role)) {
    // The caller is told the roles its own organisation has that may: customs' service user learns
    // that an officer may, not that an operator of a platform may too.
    const own = route.userRoles.filter((role) => USER_ROLES[principal.orgRole].includes(role));
    throw new HttpProblem(
      403,
      `${route.method.toUpperCase()} ${route.path} is not allowed for user ${principal.user} of ${principal.mspId} (user role ${principal.role}); allowed user roles: ${(own.length > 0 ? own : route.userRoles).join(', ')}`,
    );
  }
  const params = parse(route.params, req.params, '/params');
  // A route that names no query parameters takes none: an unknown one is refused, as everywhere.
  const query = parse(route.query ?? NoQuery, req.query, '/query');
  // No body at all would otherwise be refused as not JSON (415), and Content-Length: 0 as '{}'.
  const bodyless = req.get('Transfer-Encoding') === undefined && !(Number(req.get('Content-Length')) > 0);
  if (route.body && bodyless) {
    throw new HttpProblem(400, 'request body is empty; this operation takes a JSON body');
  }
  if (route.body && !req.is('application/json')) {
    throw new HttpProblem(415, 'request body must be JSON (Content-Type: application/json)');
  }
  const body = parse(route.body, route.body ? req.body : undefined, '/body');
  const ctx: RouteContext<unknown, unknown, unknown> = {
    params,
    query,
    body,
    principal,
    requestId: req.requestId,
    audit: (fields) => {
      res.locals.audit = { ...res.locals.audit, ...fields };
    },
  };
  if (route.stream) {
    await route.stream(ctx as never, req, res);
    return;
  }
  const key = req.get('Idempotency-Key');
  if (route.method === 'get' || key === undefined || route.returnsPersonalData) {
    send(res, await route.handler!(ctx as never));
    return;
  }
  if (headerCount(req, 'idempotency-key') > 1) {
    throw new HttpProblem(400, 'send one Idempotency-Key header, not several');
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new HttpProblem(
      400,
      'Idempotency-Key must be 8 to 128 characters of letters, digits, ".", "_", ":" or "-"',
    );
  }
  const scope = `${principal.mspId}/${principal.user}`;
  // The target as routed, from its decoded parameters: /IP%2DMX… and /IP-MX… are one request. For
  // a path spelled plainly this is the path as sent, so keys already stored keep their hash.
  const target = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String((params as Record<string, unknown>)[name])),
  );
  const requestHash = createHash('sha256')
    .update(`${route.method} ${target} ${canonicalize(body ?? null)}`)
    .digest('hex');
  const run = async (): Promise<RouteResult> =>
    route.handler!({
      ...ctx,
      principal: { ...principal, keyedWrite: new KeyedWrite(principal, key, requestHash) },
    } as never);
  const state = await idempotency.begin(scope, key, requestHash);
  if (state.kind === 'replay') {
    send(res, { ...state.response, headers: { ...state.response.headers, 'Idempotent-Replayed': 'true' } });
    return;
  }
  if (state.kind === 'mismatch') {
    throw new HttpProblem(422, 'this Idempotency-Key was already used with a different request');
  }
  if (state.kind === 'in-flight') {
    throw new HttpProblem(409, 'a request with this Idempotency-Key is still being processed; retry later', {
      headers: { 'Retry-After': '1' },
    });
  }
  let result: RouteResult;
  try {
    result = await run();
  } catch (error) {
    const problem = error instanceof HttpProblem ? error : problemFromLedgerError(error);
    // A refusal is the request's answer and is replayed too; a server-side failure is not, nor is a
    // refusal that asks to be retried (Retry-After): its retry under the same key must run again.
    if (problem && problem.status < 500 && problem.options.headers?.['Retry-After'] === undefined) {
      await idempotency.complete(scope, key, requestHash, problemResponse(problem, req.originalUrl));
    } else {
      await idempotency.abandon(scope, key);
    }
    throw error;
  }
  if (result.unconfirmed) {
    await idempotency.abandon(scope, key);
  } else {
    await idempotency.complete(scope, key, requestHash, {
      status: result.status,
      body: result.body ?? null,
      headers: { ...result.headers },
    });
  }
  send(res, result);
}

function problemResponse(problem: HttpProblem, instance: string): StoredResponse {
  return {
    status: problem.status,
    body: problemBody(problem, instance),
    headers: { 'Content-Type': 'application/problem+json', ...problem.options.headers },
  };
}

function send(res: Response, result: RouteResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  if (result.body === undefined) {
    res.status(result.status).end();
    return;
  }
  res.status(result.status);
  if (res.getHeader('Content-Type') === undefined) res.type('application/json');
  res.send(jsonText(result.body));
}

function parse(schema: ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw invalidFields(fieldErrors(result.error, where));
}

/** What each problem status means on this API, as the OpenAPI document says it. */
const PROBLEM_MEANINGS = {
  400: 'Malformed: the problem names each offending field (JSON pointer)',
  401: 'No valid API key or JWT: missing, malformed, unknown, revoked or expired (the detail says which, and when an expired API key expired)',
  403: "The caller's organisation or user role may not do this",
  404: 'Does not exist, or is not visible to the caller (the same answer for both)',
  409: 'Conflicts with the current state (a status that does not allow it, a key already used, a concurrent change: retry) or an Idempotency-Key still in progress',
  410: 'The personal data asked for was erased; its commitment stays on the ledger',
  413: 'The body is larger than the limit (BODY_LIMIT)',
  415: 'The body is not JSON, not UTF-8, or not decompressible',
  422: 'A business rule refuses it, or the Idempotency-Key was used with another request',
  500: "The ledger's copy of the record no longer matches the commitment its block holds (damaged or altered storage, logged for the operator); nothing is returned",
  429: 'Too many requests or event streams: Retry-After says when to try again',
  503: "The ledger or the gateway store cannot serve now: Retry-After says when to try again (a write the ledger took but did not confirm names its txId: it may yet be committed, and a retry under the same Idempotency-Key is answered from the ledger); or, without Retry-After, the gateway's audit log does not match its anchor on the ledger, until its operator restores it, or the ledger refuses the identity the gateway signs with, whose certificate expired, until its operator renews it",
  504: 'The ledger did not complete the transaction in time; nothing was written: retry',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_MEANINGS;

/**
 * The problems a route may answer: those every route may (validation, authentication, roles, rate,
 * an unavailable or slow ledger), those its shape brings (a path parameter names what may not be
 * found; a body may be too large or not JSON; a write may conflict or break a rule; personal data
 * may be erased), and those its definition adds. The fuzz test holds every answer to this list.
 */
function problemStatuses(route: RouteDefinition): ProblemStatus[] {
  const statuses = new Set<ProblemStatus>([400, 401, 403, 429, 503, 504, ...(route.problems ?? [])]);
  if (route.path.includes('{')) statuses.add(404);
  if (route.body) for (const status of [413, 415] as const) statuses.add(status);
  if (route.method === 'post') for (const status of [409, 422] as const) statuses.add(status);
  if (route.returnsPersonalData) for (const status of [410, 500] as const) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}

function registerOpenApi(route: RouteDefinition): void {
  const responses: RouteConfig['responses'] = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = response.schema
      ? {
          description: response.description,
          content: { 'application/json': { schema: documentedSchema(response.schema) as never } },
        }
      : { description: response.description };
  }
  for (const status of problemStatuses(route)) {
    responses[status] ??= {
      description: PROBLEM_MEANINGS[status],
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  registry.registerPath({
    method: route.method,
    path: route.path,
    summary: route.summary,
    description: [
      route.description,
      `Allowed organisation roles: ${route.roles === 'any' ? 'any authenticated user' : route.roles.join(', ')}.`,
      route.userRoles && `Allowed user roles: ${route.userRoles.join(', ')}.`,
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: [...route.tags],
    // Machine-readable too, for clients (and tests) that derive who may call what.
    'x-roles': route.roles === 'any' ? 'any' : [...route.roles],
    ...(route.userRoles ? { 'x-user-roles': [...route.userRoles] } : {}),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.body
        ? {
            body: {
              content: { 'application/json': { schema: documentedSchema(route.body) as never } },
              required: true,
            },
          }
        : {}),
      ...(route.method === 'post' && !route.returnsPersonalData ? { headers: IdempotencyHeader } : {}),
    } as RouteConfig['request'],
    responses,
  });
}
