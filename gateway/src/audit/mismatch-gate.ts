import type { RequestHandler } from 'express';
import { HttpProblem } from '../http/problem.js';

/**
 * What every request is answered while the audit log does not match its last anchor on the ledger
 * (`mismatch` says how): the anchored entries, acknowledged requests, are gone, and so what to do.
 */
export function auditMismatchDetail(mismatch: string): string {
  return (
    `the gateway's audit log does not match its anchor on the ledger: ${mismatch}. ` +
    'The gateway serves no request and records nothing until its operator restores the audit log ' +
    'that holds the anchored entries (DATA_DIR/gateway/store, from a copy made after that anchor) ' +
    'and restarts it; with no such copy left, AUDIT_LOG_ABANDON set to the log id sets this log ' +
    'aside for a new one (README, "An audit log that lost anchored entries")'
  );
}

/**
 * Refuses every request, 503, once the audit log is known not to match its anchor (AuditAnchorer):
 * placed before the audit trail, so that nothing is appended to a log that can never again be
 * consistent with its own anchors. No Retry-After: waiting does not mend it.
 */
export function refuseOnAuditMismatch(mismatch: () => string | undefined): RequestHandler {
  return (_req, _res, next) => {
    const problem = mismatch();
    next(problem === undefined ? undefined : new HttpProblem(503, auditMismatchDetail(problem)));
  };
}
