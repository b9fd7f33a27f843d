import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One JSON log line per request with its id, route, status and time; never bodies, and the
 * Authorization header is redacted (API keys and tokens must not reach logs).
 */
export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as unknown as { requestId: string }).requestId,
    autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0]!) },
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: {
        id: string;
        method: string;
        url: string;
        raw?: { principal?: { user: string; mspId: string } };
      }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
        user: req.raw?.principal?.user,
        mspId: req.raw?.principal?.mspId,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  }) as unknown as RequestHandler;
}
