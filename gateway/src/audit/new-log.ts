import { join } from 'node:path';
import type { Logger } from 'pino';
import { openGatewayStore } from '../storage/gateway-store.js';
import type { AuditAnchorer } from './anchor.js';
import type { AuditLog } from './audit-log.js';

/** Where a log set aside for a new one is kept: a store of the gateway's layout, one per log id. */
export const abandonedAuditLogPath = (dataDir: string, logId: string): string =>
  join(dataDir, 'gateway', 'abandoned-audit-logs', logId);

/**
 * The operator's way out of an audit log that does not match its anchor when no copy holding the
 * anchored entries is left: AUDIT_LOG_ABANDON names the log, and only that log, only while it is
 * known not to match, is set aside (copied whole to abandonedAuditLogPath) for a new, empty log with
 * a new id. Logged at error, with both ids: the old log's anchors stay on the ledger, where an
 * auditor sees a log that stopped, and this line, the copy and the README say why. Any other case
 * leaves the log as it is and says why the setting was not acted on.
 */
export async function abandonAuditLogIfAcknowledged(options: {
  readonly acknowledged: string | undefined;
  readonly dataDir: string;
  readonly log: AuditLog;
  readonly anchorer: AuditAnchorer;
  readonly logger: Logger;
}): Promise<void> {
  const { acknowledged, dataDir, log, anchorer, logger } = options;
  if (acknowledged === undefined) return;
  const { mismatch, anchoredSize } = anchorer.status();
  const logId = log.logId;
  if (logId !== acknowledged || mismatch === undefined) {
    logger.warn(
      { logId, acknowledged },
      logId !== acknowledged
        ? `AUDIT_LOG_ABANDON names log ${acknowledged}, not this gateway's log ${logId}: nothing was done; unset it`
        : anchoredSize === undefined
          ? `AUDIT_LOG_ABANDON: the ledger's anchor of log ${logId} could not be read, so the log was kept; start again once the ledger answers`
          : `AUDIT_LOG_ABANDON: log ${logId} matches its anchor on the ledger, so it was kept; unset it`,
    );
    return;
  }
  const archivePath = abandonedAuditLogPath(dataDir, logId);
  const archive = await openGatewayStore(archivePath);
  let newLogId: string;
  try {
    newLogId = await log.startNew(archive);
  } finally {
    await archive.close();
  }
  logger.error(
    { previousLogId: logId, newLogId, mismatch, entries: archivePath },
    `audit log ${logId} abandoned on the operator's word (AUDIT_LOG_ABANDON): it did not match its anchor on the ledger (${mismatch}); its entries are kept in ${archivePath}, and a new log ${newLogId} starts empty. The old log's anchors stay on the ledger: the entries they cover that were lost are lost`,
  );
  await anchorer.recheck();
}
