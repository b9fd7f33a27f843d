import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { GatewayConfig } from '../config.js';
import type { LedgerPort } from '../ledger/port.js';
import type { IdentityProvider } from '../ledger/identities.js';
import { identify, requireAuthentication, type Authenticator } from '../auth/authenticate.js';
import { requireMetricsToken } from '../auth/metrics-token.js';
import { rateLimitPerPrincipal, rateLimitUnauthenticated } from '../auth/rate-limit.js';
import { requestContext } from '../observability/request-context.js';
import { httpLogger } from '../observability/http-logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RefusedScrapesLog } from '../observability/refused-scrapes.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditTrail } from '../audit/audit-trail.js';
import { auditAnchorRoutes, auditRoutes } from '../audit/routes.js';
import { auditMismatchDetail, refuseOnAuditMismatch } from '../audit/mismatch-gate.js';
import { apiRoutes } from '../api/index.js';
import { eventRoutes } from '../api/events.js';
import type { EventHub } from '../services/event-hub.js';
import { customsRoutes } from '../api/customs.js';
import type { CustomsService } from '../services/customs-service.js';
import type { LedgerClient } from '../services/ledger-client.js';
import { AuditAnchorService } from '../services/audit-anchor-service.js';
import { mountRoutes, type IdempotencyStore } from './route.js';
import { docsRouter } from './docs.js';
import { consoleRouter } from './console.js';
import { HttpProblem, problemHandler } from './problem.js';
import { checkJsonBody, verifyJsonText } from './request-checks.js';
import { ProblemSchema, registry, z } from './openapi.js';

/**
 * The operations endpoints, documented like every route so that the OpenAPI document stays the
 * whole inventory of what answers (the static files of the docs page under /docs/ and of the
 * console under /console/ aside). All but /metrics answer without credentials.
 */
// prettier-ignore
for (const [path, summary, content] of [
  ['/healthz', 'Liveness: the process answers', { 'application/json': { schema: z.object({ status: z.literal('ok'), ledger: z.string() }) } }],
  ['/openapi.json', 'This document', { 'application/json': { schema: z.looseObject({}) } }],
  ['/docs', 'The API documentation page', { 'text/html': { schema: z.string() } }],
] as const) {
  registry.registerPath({
    method: 'get',
    path,
    summary,
    tags: ['operations'],
    security: [],
    responses: { 200: { description: summary, content } },
  });
}
const Readiness = z.object({
  status: z.enum(['ready', 'starting', 'stopping', 'ledger unavailable', 'audit log mismatch']),
  detail: z.string().optional().openapi({
    description:
      "With 'audit log mismatch': how the audit log differs from its last anchor on the ledger, and what the operator must do",
  }),
});
registry.registerPath({
  method: 'get',
  path: '/readyz',
  summary:
    'Readiness: 200 once the gateway takes requests; 503 before, once it is stopping (while it still serves for STOP_DRAIN_SECONDS), if its ledger thread has stopped, and while its audit log does not match its anchor on the ledger',
  tags: ['operations'],
  security: [],
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'Not ready, and why', content: { 'application/json': { schema: Readiness } } },
  },
});
registry.registerPath({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (route templates and counts, no identifiers), for the metrics token only',
  tags: ['operations'],
  // Request counts per route and ledger call counts are business volumes: not for anonymous
  // clients, nor for every user of the API.
  security: [{ metricsToken: [] }],
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
    400: {
      description: 'Several Authorization headers',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
    401: {
      description: 'No metrics token, or another token',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
  },
});

export interface AppDependencies {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly ledger: LedgerPort;
  readonly network: NetworkConfig;
  readonly identities: IdentityProvider;
  readonly authenticator: Authenticator;
  readonly idempotency: IdempotencyStore;
  readonly auditLog: AuditLog;
  readonly events: EventHub;
  readonly customs: CustomsService;
  /** The services' one way to the ledger (one bound on submissions in flight for the gateway). */
  readonly client: LedgerClient;
  /** Key of the keyed hash that makes pseudonymous party ids. */
  readonly partyIdKey: string;
  /** The bearer token that reads /metrics. */
  readonly metricsToken: string;
  readonly metrics: Metrics;
  /** Where refused scrapes of /metrics are told, for a warning in the log. */
  readonly refusedScrapes: RefusedScrapesLog;
  /** Where the gateway is in its life: it takes requests only once ready, until it is stopping. */
  readonly phase: () => 'starting' | 'ready' | 'stopping';
  /** Whether the ledger's thread has stopped: the gateway cannot serve until it is restarted. */
  readonly ledgerStopped: () => boolean;
  /** How the audit log differs from its last anchor on the ledger, once known; undefined while it matches. */
  readonly auditMismatch: () => string | undefined;
}

/**
 * The HTTP application. Every request flows one way: request id → log and metrics → security
 * headers → refusal while the audit log does not match its ledger anchor → identification → rate
 * limit of clients without valid credentials (per address) → audit trail (records the outcome of
 * every request past that limit, refused ones too) → body (size, then depth) → authentication →
 * rate limit per user → route (role check → validation → idempotency → service → ledger). The
 * operations endpoints (/metrics behind its own token), the docs and the console answer before all
 * of it.
 */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // One spelling per path, as documented: /healthz/ or /DOCS must not answer as /healthz or /docs
  // (the routers mounted below are made so too).
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  // req.ip is the peer's address unless TRUST_PROXY names the proxies in front: X-Forwarded-For is
  // the client's to write, and trusting any sender's would give every forged value a fresh budget
  // of unauthenticated requests.
  const { trustProxy } = deps.config;
  app.set('trust proxy', typeof trustProxy === 'object' ? [...trustProxy] : trustProxy);
  // <, > and & in JSON strings as \u escapes: data other organisations wrote can never read as markup.
  app.set('json escape', true);
  app.use(requestContext());
  app.use(httpLogger(deps.logger));
  app.use(deps.metrics.httpMiddleware);
  app.use(helmet());
  // A stopping gateway serves until its listener closes; its clients' next requests go elsewhere,
  // and the stop need not wait for their idle keep-alive connections to time out.
  app.use((_req, res, next) => {
    if (deps.phase() === 'stopping') res.setHeader('Connection', 'close');
    next();
  });
  // Express answers OPTIONS by itself with the methods it routes; the API has no OPTIONS (HEAD of
  // the operations endpoints, the docs and the console is harmless; the API's routes refuse it).
  app.use((req, _res, next) =>
    next(req.method === 'OPTIONS' ? new HttpProblem(404, `no route for OPTIONS ${req.path}`) : undefined),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ledger: deps.config.ledger });
  });
  app.get('/readyz', (_req, res) => {
    const mismatch = deps.auditMismatch();
    if (mismatch !== undefined) {
      res.status(503).json({ status: 'audit log mismatch', detail: auditMismatchDetail(mismatch) });
      return;
    }
    const status = deps.ledgerStopped() ? 'ledger unavailable' : deps.phase();
    res.status(status === 'ready' ? 200 : 503).json({ status });
  });
  app.get(
    '/metrics',
    requireMetricsToken(deps.metricsToken, (refusal) => deps.refusedScrapes.record(refusal)),
    async (_req, res) => {
      res.type(deps.metrics.contentType).send(await deps.metrics.render());
    },
  );
  app.use(docsRouter());
  app.use(consoleRouter());

  // One spelling per route, as documented: /V1/… or a trailing slash must not reach a route that a
  // proxy's path rules (e.g. keeping /v1/audit internal) were written for under its documented name.
  const v1 = Router({ caseSensitive: true, strict: true });
  v1.use(refuseOnAuditMismatch(deps.auditMismatch));
  // Clients without valid credentials are held to their address's budget before the trail: past it,
  // a flood of guessed keys or bare requests is refused without growing the audit log, whose
  // entries for them could name no one. Within it, their 401s are recorded like every refusal; a
  // user's own 429s are recorded too, as they name who sent them.
  v1.use(identify(deps.authenticator));
  v1.use(rateLimitUnauthenticated(deps.config.rateLimitPerMinute));
  // The trail before the body parser, so requests it refuses (malformed JSON, 413) are recorded too.
  v1.use(auditTrail(deps.auditLog, deps.logger));
  v1.use(
    express.json({
      limit: deps.config.bodyLimit,
      strict: true,
      type: 'application/json',
      verify: verifyJsonText,
    }),
  );
  v1.use(requireAuthentication);
  v1.use(rateLimitPerPrincipal(deps.config.rateLimitPerMinute));
  // Walking a body is work: only for a user the budget allows.
  v1.use(checkJsonBody);
  mountRoutes(
    v1,
    [
      ...apiRoutes(deps),
      ...eventRoutes(deps.events, {
        streamsPerUser: deps.config.eventStreamsPerUser,
        stillAccepts: (principal) => deps.authenticator.stillAccepts(principal),
      }),
      ...auditRoutes(deps.auditLog),
      ...auditAnchorRoutes(deps.auditLog, new AuditAnchorService(deps.client, deps.config.gatewayMspId)),
      ...customsRoutes(deps.customs),
    ],
    deps.idempotency,
  );
  app.use(v1);

  app.use((req, _res, next) => next(new HttpProblem(404, `no route for ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger));
  return app;
}
