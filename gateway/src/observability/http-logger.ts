import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Level, Logger } from 'pino';

/** Probes and scrapes: not worth a log line each (refused scrapes are counted in refused-scrapes.ts). */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string | undefined): string => (url ?? '').split('?')[0] ?? '';

/** pino-std-serializers' view of a request, with the original request behind `raw`. */
interface SerializedRequest {
  readonly method: string;
  readonly url: string;
  readonly raw: IncomingMessage & { originalUrl?: string };
}

/**
 * One log line per request when it completes: request id (`reqId`), method, path without the query
 * string, status, response time, and the user and MSP id once authenticated. Never bodies or headers
 * (Authorization and Cookie are also redacted, should a header object ever be logged). 5xx at error,
 * 4xx at warn, the rest at info. `req.log` carries the request id for handlers that log.
 */
export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage) => (req as Request).requestId ?? randomUUID(),
    // The request id on every line of req.log; the request itself only on the completion line.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'reqId' },
    autoLogging: {
      ignore: (req: IncomingMessage) =>
        QUIET_PATHS.has(pathOf((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url)),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error: Error | undefined): Level =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    // Called at the start (no principal yet) and again on completion, when authentication has run.
    customProps: (req: IncomingMessage) => {
      const principal = (req as Request).principal;
      return principal ? { user: principal.user, mspId: principal.mspId } : {};
    },
    serializers: {
      req: (req: SerializedRequest) => ({
        method: req.method,
        path: pathOf(req.raw.originalUrl ?? req.url),
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  }) as unknown as RequestHandler;
}
