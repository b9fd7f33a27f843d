import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AssessmentFailureCode } from '@customs-ledger/chaincode';
import type { CacheUsage } from '../ledger/embedded/store.js';
import type { LedgerPort, ProposalOptions } from '../ledger/port.js';

export interface Metrics {
  /** Times every request; label `route` is the matched route template, never the raw URL. */
  readonly httpMiddleware: RequestHandler;
  /** The Content-Type of render()'s output (Prometheus text format). */
  readonly contentType: string;
  render(): Promise<string>;
  /** The same port, timing every submit, evaluate and endorse. */
  instrumentLedger(port: LedgerPort): LedgerPort;
  /** Counts an automatic assessment that failed for a reason other than data not there yet. */
  assessmentFailed(code: AssessmentFailureCode): void;
}

type LedgerOperation = 'submit' | 'evaluate' | 'endorse' | 'query';

/** The matched route template (`/v1/consignments/:id`), or 'unmatched' when no route handled the request. */
function routeTemplate(req: Request): string {
  const path: unknown = req.route?.path;
  if (path === undefined || path === null) return 'unmatched';
  // A template is a string in this project; anything else (a RegExp) still has a bounded set of values.
  return `${req.baseUrl ?? ''}${typeof path === 'string' ? path : String(path)}`;
}

export interface MetricsSources {
  /** What the embedded ledger's read caches hold, and their budget, in bytes (OpenLedger.cacheUsage). */
  readonly ledgerCacheUsage?: () => Promise<CacheUsage>;
  /** Whether the audit log is known not to match its last anchor on the ledger (AuditAnchorer). */
  readonly auditLogMismatch?: () => boolean;
  /** Per organisation, the earliest end (ms) of the ledger identities signed with (ExpiryWatchingIdentityProvider). */
  readonly identityExpiries?: () => ReadonlyMap<string, number>;
}

/**
 * Prometheus metrics in a registry of their own, so several gateways (or tests) can live in one process:
 * the default process metrics, HTTP latency and count per route template, ledger call latency, and
 * what the embedded ledger's read caches hold against their budget (caches that grow to their
 * budget are working, not leaking).
 */
export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { ledgerCacheUsage } = sources;
  if (ledgerCacheUsage) {
    // A ledger thread that stopped took its caches with it: both read 0.
    const usage = (): Promise<CacheUsage> => ledgerCacheUsage().catch(() => ({ bytes: 0, budgetBytes: 0 }));
    new Gauge({
      name: 'ledger_read_cache_bytes',
      help: "What the embedded ledger's read caches hold, in the bytes LEDGER_CACHE_MB bounds",
      registers: [registry],
      async collect() {
        this.set((await usage()).bytes);
      },
    });
    new Gauge({
      name: 'ledger_read_cache_budget_bytes',
      help: "What the embedded ledger's read caches may hold (LEDGER_CACHE_MB)",
      registers: [registry],
      async collect() {
        this.set((await usage()).budgetBytes);
      },
    });
  }
  const { auditLogMismatch } = sources;
  if (auditLogMismatch) {
    new Gauge({
      name: 'audit_log_anchor_mismatch',
      help: '1 while the audit log does not match its last anchor on the ledger (entries it anchored are gone, or were rewritten): the gateway refuses every /v1 request until its operator restores the log; else 0',
      registers: [registry],
      collect() {
        this.set(auditLogMismatch() ? 1 : 0);
      },
    });
  }
  const { identityExpiries } = sources;
  if (identityExpiries) {
    new Gauge({
      name: 'ledger_identity_expiry_timestamp_seconds',
      help: "When the first of the certificates the gateway has signed with for an organisation since it started ends (Unix time): from then the ledger refuses that identity's transactions, so alert well before, e.g. on ledger_identity_expiry_timestamp_seconds - time() < 30 * 86400",
      labelNames: ['msp_id'] as const,
      registers: [registry],
      collect() {
        for (const [mspId, notAfter] of identityExpiries()) this.set({ msp_id: mspId }, notAfter / 1000);
      },
    });
  }
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const ledgerDuration = new Histogram({
    name: 'ledger_call_duration_seconds',
    help: 'Ledger call duration by operation (submit, evaluate, endorse), transaction and outcome (ok, error)',
    labelNames: ['operation', 'transaction', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  const assessmentFailures = new Counter({
    name: 'customs_assessment_failures_total',
    help: "Customs' automatic assessments that failed, by code (ASSESSMENT_ERROR: the chaincode could not assess a complete consignment; LEDGER_UNAVAILABLE: the ledger did not take it, try after try); each such consignment waits in the officers' queue",
    labelNames: ['code'] as const,
    registers: [registry],
  });

  const httpMiddleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      // A response the client abandoned before it finished is counted as 499, not as the status it
      // would have had (nginx's convention for "client closed request").
      const status = res.writableFinished ? String(res.statusCode) : '499';
      const labels = { method: req.method, route: routeTemplate(req), status };
      httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      httpRequests.inc(labels);
    };
    // 'close' covers responses the client abandoned before they finished.
    res.once('finish', record);
    res.once('close', record);
    next();
  };

  const timed = async <T>(
    operation: LedgerOperation,
    transaction: string,
    call: () => Promise<T>,
  ): Promise<T> => {
    const end = ledgerDuration.startTimer({ operation, transaction });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  };

  return {
    httpMiddleware,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    assessmentFailed: (code) => assessmentFailures.inc({ code }),
    instrumentLedger: (port) => ({
      submit: (identity, name: string, options?: ProposalOptions) =>
        timed('submit', name, () => port.submit(identity, name, options)),
      evaluate: (identity, name: string, options?: ProposalOptions) =>
        timed('evaluate', name, () => port.evaluate(identity, name, options)),
      endorse: (identity, name: string, options?: ProposalOptions) =>
        timed('endorse', name, () => port.endorse(identity, name, options)),
      blockOf: (identity, transactionId) =>
        timed('query', 'qscc:GetBlockByTxID', () => port.blockOf(identity, transactionId)),
      committedTransaction: (identity, transactionId) =>
        timed('query', 'qscc:GetTransactionByID', () => port.committedTransaction(identity, transactionId)),
      chainHeight: () => timed('query', 'qscc:GetChainInfo', () => port.chainHeight()),
      events: (options) => port.events(options),
      close: () => port.close(),
    }),
  };
}
