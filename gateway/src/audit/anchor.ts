import type { Logger } from 'pino';
import type { ClientIdentity, LedgerPort } from '../ledger/port.js';
import type { AuditLog } from './audit-log.js';

/**
 * Anchors the audit log's signed tree head on the ledger every N entries or T seconds, whichever
 * comes first, so an auditor can later prove the log was never rewritten. A failure is logged and
 * retried at the next tick; anchoring never blocks requests.
 */
export class AuditAnchorer {
  private timer: NodeJS.Timeout | undefined;
  private anchoredSize = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly log: AuditLog,
    private readonly ledger: LedgerPort,
    private readonly identity: ClientIdentity,
    private readonly every: { readonly everyEntries: number; readonly everySeconds: number },
    private readonly logger: Logger,
  ) {}

  /** Resumes after the last anchored size (a restarted gateway must not anchor an older head). */
  async start(): Promise<void> {
    const latest = JSON.parse(
      Buffer.from(
        await this.ledger.evaluate(this.identity, 'audit:latestAnchor', { arguments: [this.identity.mspId] }),
      ).toString(),
    ) as { treeSize: number } | null;
    this.anchoredSize = latest?.treeSize ?? 0;
    const tickMs = Math.min(1000, this.every.everySeconds * 1000);
    let lastAnchor = Date.now();
    this.timer = setInterval(() => {
      const grown = this.log.size() - this.anchoredSize;
      const due =
        grown >= this.every.everyEntries ||
        (grown > 0 && Date.now() - lastAnchor >= this.every.everySeconds * 1000);
      if (due && !this.inFlight) {
        lastAnchor = Date.now();
        void this.anchorNow();
      }
    }, tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  anchorNow(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const head = await this.log.treeHead();
        if (head.treeSize <= this.anchoredSize) return;
        await this.ledger.submit(this.identity, 'audit:anchor', {
          arguments: [String(head.treeSize), head.rootHash, head.timestamp, head.signature],
        });
        this.anchoredSize = head.treeSize;
      } catch (error) {
        this.logger.warn({ err: error }, 'audit log anchoring failed; retrying at the next tick');
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
