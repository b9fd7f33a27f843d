import type { AuditEntryInput } from '../../gateway/src/audit/audit-log.js';

/** An audit entry for a test's log: an auditor's answered GET, with `fields` in its place. */
export function auditEntry(requestId: string, fields: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    time: new Date().toISOString(),
    requestId,
    user: 'auditor',
    mspId: 'AuditorMSP',
    role: 'auditor',
    method: 'GET',
    route: '/v1/me',
    resource: '',
    purpose: '',
    outcome: 200,
    txId: '',
    ...fields,
  };
}
