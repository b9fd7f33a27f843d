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
 * One audit entry per request, refused ones included (401, 403, 404, 429, validation errors): who
 * (empty when unauthenticated), which route and resource, for which purpose, the outcome and the
 * ledger transaction, as the route recorded them in res.locals.audit. Never bodies, query strings
 * or headers.
 *
 * The response is held until its entry is appended (synced, in the log's group commit), so a
 * client that got an answer can count on the request being in the log, whenever the gateway
 * crashes. A stream (its headers went long before it ends) and a request whose connection closes
 * without a response (a client that went away) are recorded when they end. A failed append is
 * logged and counted; the response still goes (a write's transaction is already committed, and a
 * read of personal data is recorded on the ledger), and the failure never reaches the process.
 */
export function auditTrail(log: AuditLog, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const time = new Date().toISOString();
    let recorded: Promise<void> | undefined;
    const record = (outcome: number): Promise<void> => {
      recorded ??= appendEntry(log, logger, req, () => entryFor(req, res, time, outcome));
      return recorded;
    };
    const end = res.end;
    let ending = false;
    res.end = function endOnceRecorded(this: Response, ...args: unknown[]): Response {
      if (res.headersSent) return end.apply(res, args as Parameters<Response['end']>);
      // A second end while the first waits would end the response twice.
      if (!ending) {
        ending = true;
        void record(res.statusCode).then(() => end.apply(res, args as Parameters<Response['end']>));
      }
      return res;
    } as Response['end'];
    res.once('finish', () => void record(res.statusCode));
    res.once('close', () => void record(res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST));
    next();
  };
}

async function appendEntry(
  log: AuditLog,
  logger: Logger,
  req: Request,
  entry: () => AuditEntryInput,
): Promise<void> {
  try {
    await log.append(entry());
  } catch (error) {
    failed(logger, error, req);
  }
}

function entryFor(req: Request, res: Response, time: string, outcome: number): AuditEntryInput {
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
    outcome,
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
