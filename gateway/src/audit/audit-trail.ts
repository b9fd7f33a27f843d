import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AuditLog } from './audit-log.js';

/**
 * One audit entry per request, refused ones included, appended when the response has been sent:
 * who, what route and resource, for which purpose, the outcome and the ledger transaction. Never
 * bodies or headers. A failed append is logged; it never takes the request or the process down.
 */
export function auditTrail(log: AuditLog, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const time = new Date().toISOString();
    res.on('finish', () => {
      const audit = res.locals.audit ?? {};
      const principal = req.principal;
      log
        .append({
          time,
          requestId: req.requestId,
          user: principal?.user ?? '',
          mspId: principal?.mspId ?? '',
          role: principal?.role ?? '',
          method: req.method,
          route: audit.route ?? 'unmatched',
          resource: audit.resource ?? '',
          purpose: audit.purpose ?? '',
          outcome: res.statusCode,
          txId: audit.txId ?? '',
        })
        .catch((error: unknown) =>
          logger.error({ err: error, requestId: req.requestId }, 'audit log append failed'),
        );
    });
    next();
  };
}
