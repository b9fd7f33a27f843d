import type { Logger } from 'pino';

/** A scrape of /metrics that was refused: who sent it and why, never what it presented. */
export interface ScrapeRefusal {
  /** The client's address (the peer's, or as TRUST_PROXY allows X-Forwarded-For to say). */
  readonly client: string;
  /** The refusal's detail, which by its contract never holds any of the credential. */
  readonly reason: string;
}

/** How long after a warning the next one waits, counting the refusals it will report. */
export const REFUSED_SCRAPES_INTERVAL_MS = 60_000;
/** Addresses named in one warning; a scan from many more is still counted in full. */
const MAX_CLIENTS = 10;

/**
 * Warns of refused /metrics scrapes: the first at once, then at most one line an interval with the
 * count since the last line, while refusals go on. A scraper left with a wrong token hits the
 * endpoint every few seconds for as long as nobody looks, and one line each would bury the rest of
 * the log; one line for it alone would hide that it goes on.
 */
export class RefusedScrapesLog {
  private refused = 0;
  private readonly clients = new Set<string>();
  private readonly reasons = new Set<string>();
  private waiting?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = REFUSED_SCRAPES_INTERVAL_MS,
  ) {}

  record({ client, reason }: ScrapeRefusal): void {
    this.refused += 1;
    if (this.clients.size < MAX_CLIENTS) this.clients.add(client);
    this.reasons.add(reason);
    if (this.waiting === undefined) this.flush();
  }

  /** Reports the refusals not reported yet, and stops waiting: the gateway is stopping. */
  close(): void {
    clearTimeout(this.waiting);
    this.waiting = undefined;
    if (this.refused > 0) this.warn();
  }

  private flush(): void {
    this.waiting = undefined;
    if (this.refused === 0) return;
    this.warn();
    this.waiting = setTimeout(() => this.flush(), this.intervalMs);
    this.waiting.unref();
  }

  private warn(): void {
    this.logger.warn(
      { refused: this.refused, clients: [...this.clients], reasons: [...this.reasons] },
      'refused scrapes of /metrics',
    );
    this.refused = 0;
    this.clients.clear();
    this.reasons.clear();
  }
}
