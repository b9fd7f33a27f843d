import type { Logger } from 'pino';
import type { AuditAnchor } from '@customs-ledger/chaincode';
import type { ClientIdentity, LedgerPort } from '../ledger/port.js';
import type { AuditLog } from './audit-log.js';

/** When to anchor: after this many new entries, or this many seconds after the last anchor if the log grew. */
export interface AnchorSchedule {
  readonly everyEntries: number;
  readonly everySeconds: number;
}

/** An anchor as the audit contract stores it (audit:anchor, audit:latestAnchor, audit:getAnchors). */
export type AnchorRecord = AuditAnchor;

export interface AnchorerStatus {
  /** The size of the last anchor on the ledger, undefined until it has been read. */
  readonly anchoredSize: number | undefined;
  readonly lastAnchorAt: string | undefined;
  /** Consecutive failed attempts (0 after a success). */
  readonly failures: number;
  /**
   * Set once the ledger's last anchor is known not to match the local log (truncated or
   * rewritten): nothing is anchored then, and the gateway serves no request (mismatch-gate.ts).
   * Undefined while the log matches, and while the anchor could not be read yet.
   */
  readonly mismatch: string | undefined;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * Anchors the audit log's signed tree head on the ledger (audit:anchor) every N entries or T
 * seconds, whichever comes first, so an auditor can later prove the log was never rewritten: any
 * later log must be consistent (RFC 6962) with every anchored head. Skips when the log has not
 * grown since the last anchor. A ledger failure is logged and retried at a later tick (backing off
 * up to T seconds); anchoring never blocks or fails requests. On start, and after a failure, it
 * reads the gateway's last anchor from the ledger and checks that the local log still matches it;
 * a log that does not is never anchored again: a head of it would contradict the anchored one.
 */
export class AuditAnchorer {
  private timer: NodeJS.Timeout | undefined;
  private anchoredSize: number | undefined;
  private lastAnchorAt = Date.now();
  private lastSuccess: string | undefined;
  private inFlight: Promise<AnchorRecord | undefined> | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  private mismatch: string | undefined;
  private reportedMismatch: string | undefined;

  constructor(
    private readonly log: AuditLog,
    private readonly ledger: LedgerPort,
    private readonly identity: ClientIdentity,
    private readonly schedule: AnchorSchedule,
    private readonly logger: Logger,
  ) {}

  /** Reads the last anchor (resuming after it) and starts the timer. Never throws for a ledger failure. */
  async start(): Promise<void> {
    if (this.timer) return;
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the last audit anchor; will retry at the next tick');
    }
    this.lastAnchorAt = Date.now();
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.schedule.everySeconds * 1000));
    this.timer.unref();
  }

  /**
   * Forgets what it knew of the log's anchor and reads it again: after the log was replaced by a
   * new one (new-log.ts). Never throws for a ledger failure; the next tick reads it then.
   */
  async recheck(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.mismatch = undefined;
    this.anchoredSize = undefined;
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the last audit anchor; will retry at the next tick');
    }
  }

  /** Stops the timer and waits for an anchor in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight) await this.inFlight;
  }

  /**
   * For a graceful stop, once no request can append any more: stops the timer and anchors the
   * entries appended since the last anchor. Without it a gateway stopped within
   * AUDIT_ANCHOR_SECONDS of its start left its whole log unanchored, and any gateway its last
   * entries, which a rewrite could then change undetected. Waits at most `timeoutMs`, so a ledger
   * that does not answer cannot hold the stop; those entries are then anchored after the next start.
   */
  async stopAndAnchor(timeoutMs: number): Promise<void> {
    await this.stop();
    if (this.mismatch) return;
    const size = this.log.size();
    if (this.anchoredSize !== undefined && size <= this.anchoredSize) {
      this.logger.info(
        { treeSize: size },
        'no audit entries since the last anchor: nothing to anchor on stopping',
      );
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), timeoutMs);
    });
    const outcome = await Promise.race([this.anchorNow(), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timed out') {
      this.logger.warn(
        { treeSize: size, anchoredSize: this.anchoredSize, timeoutMs },
        'the ledger did not anchor the audit log in time for the stop: its last entries are anchored after the next start',
      );
    }
  }

  /**
   * Anchors the current tree head now (after any anchor in flight); resolves with the stored anchor,
   * or undefined when there was nothing new to anchor or the ledger failed (logged). Never rejects.
   */
  anchorNow(): Promise<AnchorRecord | undefined> {
    return this.run(false);
  }

  private run(onlyIfDue: boolean): Promise<AnchorRecord | undefined> {
    const run = (this.inFlight ?? Promise.resolve(undefined)).then(() => this.attempt(onlyIfDue));
    this.inFlight = run;
    void run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    return run;
  }

  status(): AnchorerStatus {
    return {
      anchoredSize: this.anchoredSize,
      lastAnchorAt: this.lastSuccess,
      failures: this.failures,
      mismatch: this.mismatch,
    };
  }

  private tick(): void {
    if (this.mismatch || this.inFlight || Date.now() < this.nextAttemptAt) return;
    if (this.anchoredSize === undefined || this.isDue()) void this.run(true);
  }

  private isDue(): boolean {
    const anchored = this.anchoredSize ?? 0;
    const grown = this.log.size() - anchored;
    return (
      grown > 0 &&
      (grown >= this.schedule.everyEntries ||
        Date.now() - this.lastAnchorAt >= this.schedule.everySeconds * 1000)
    );
  }

  private async attempt(onlyIfDue: boolean): Promise<AnchorRecord | undefined> {
    try {
      if (this.anchoredSize === undefined) await this.refresh();
      const anchored = this.anchoredSize ?? 0;
      if (this.mismatch || this.log.size() <= anchored || (onlyIfDue && !this.isDue())) return undefined;
      const head = await this.log.treeHead();
      if (head.treeSize <= anchored) return undefined;
      const submitted = await this.ledger.submit(this.identity, 'audit:anchor', {
        arguments: [head.logId, String(head.treeSize), head.rootHash, head.timestamp, head.signature],
      });
      const record = JSON.parse(Buffer.from(submitted.result).toString('utf8')) as AnchorRecord;
      this.anchoredSize = head.treeSize;
      this.lastAnchorAt = Date.now();
      this.lastSuccess = new Date(this.lastAnchorAt).toISOString();
      this.failures = 0;
      this.nextAttemptAt = 0;
      this.logger.info(
        { treeSize: head.treeSize, rootHash: head.rootHash, txId: submitted.transactionId },
        'audit log tree head anchored on the ledger',
      );
      return record;
    } catch (error) {
      this.failures += 1;
      // Re-read the ledger before the next attempt: the failure may be a refused (stale) size.
      this.anchoredSize = undefined;
      const backoff = Math.min(
        1000 * 2 ** Math.min(this.failures - 1, 16),
        this.schedule.everySeconds * 1000,
      );
      this.nextAttemptAt = Date.now() + Math.min(backoff, MAX_BACKOFF_MS);
      this.logger.warn(
        { err: error, failures: this.failures },
        this.timer
          ? 'anchoring the audit log on the ledger failed; retrying at a later tick'
          : 'anchoring the audit log on the ledger failed; its entries are anchored after the next start',
      );
      return undefined;
    }
  }

  /** Reads the last anchor of this gateway's log and checks it against the local log. */
  private async refresh(): Promise<void> {
    const bytes = await this.ledger.evaluate(this.identity, 'audit:latestAnchor', {
      arguments: [this.identity.mspId, this.log.logId ?? ''],
    });
    const text = Buffer.from(bytes).toString('utf8');
    const latest = text === '' ? null : (JSON.parse(text) as AnchorRecord | null);
    if (latest) await this.check(latest);
    else this.mismatch = undefined;
    this.anchoredSize = latest?.treeSize ?? 0;
  }

  private async check(latest: AnchorRecord): Promise<void> {
    const size = this.log.size();
    let problem: string | undefined;
    if (latest.treeSize > size) {
      problem = `the ledger holds an anchor of ${latest.treeSize} entries of log ${latest.logId} (tx ${latest.txId}) but the audit log has only ${size}: it was truncated or replaced`;
    } else if ((await this.log.rootAt(latest.treeSize)).toString('hex') !== latest.rootHash) {
      problem = `the audit log's first ${latest.treeSize} entries do not match the tree head of log ${latest.logId} anchored in tx ${latest.txId}: the log was rewritten`;
    }
    this.mismatch = problem;
    if (problem && this.reportedMismatch !== latest.txId) {
      this.reportedMismatch = latest.txId;
      this.logger.error({ anchor: latest, treeSize: size }, problem);
    }
  }
}
