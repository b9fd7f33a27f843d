import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuditEntryInput, AuditLog } from './audit-log.js';

/** The status recorded when the client went away before a response was sent (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = 499;

let failedAppends = 0;

/** Audit entries that could not be appended since the process started (for metrics). */
export function auditTrailFailures(): number {
  return failedAppends;
}

/**
 * One audit entry per request, refused ones included (401, 403, 404, 429, validation errors),
 * appended when the response has been sent: who (empty when unauthenticated), which route and
 * resource, for which purpose, the outcome and the ledger transaction, as the route recorded them
 * in res.locals.audit. Never bodies, query strings or headers. A request whose connection closes
 * without a finished response (a client that went away, an event stream that ended) is recorded
 * on 'close'. A failed append is logged and counted; it never reaches the request or the process.
 */
export function auditTrail(log: AuditLog, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const time = new Date().toISOString();
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      let entry: AuditEntryInput;
      try {
        entry = entryFor(req, res, time);
      } catch (error) {
        failed(logger, error, req);
        return;
      }
      log.append(entry).catch((error: unknown) => failed(logger, error, req));
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}

function entryFor(req: Request, res: Response, time: string): AuditEntryInput {
  const audit = res.locals.audit ?? {};
  const principal = req.principal;
  return {
    time,
    requestId: req.requestId ?? '',
    user: principal?.user ?? '',
    mspId: principal?.mspId ?? '',
    role: principal?.role ?? '',
    method: req.method,
    route: audit.route ?? 'unmatched',
    resource: audit.resource ?? '',
    purpose: audit.purpose ?? '',
    outcome: res.writableFinished || res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST,
    txId: audit.txId ?? '',
  };
}

function failed(logger: Logger, error: unknown, req: Request): void {
  failedAppends += 1;
  try {
    logger.error(
      { err: error, requestId: req.requestId, auditFailures: failedAppends },
      'audit log append failed; the request is not in the audit log',
    );
  } catch {
    // A logger that throws must not take the process down either.
  }
}
