import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { LedgerPort } from '../ledger/port.js';

export interface Metrics {
  readonly httpMiddleware: RequestHandler;
  readonly contentType: string;
  render(): Promise<string>;
  /** The same port, timing every submit, evaluate and endorse. */
  instrumentLedger(port: LedgerPort): LedgerPort;
}

/** Prometheus metrics in a registry of their own (so several gateways can live in one test process). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const ledgerDuration = new Histogram({
    name: 'ledger_call_duration_seconds',
    help: 'Ledger port call latency by operation, transaction and outcome',
    labelNames: ['operation', 'transaction', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const httpMiddleware: RequestHandler = (req, res, next) => {
    const end = process.hrtime.bigint();
    res.on('finish', () => {
      // The route template, never the raw URL: ids in paths would explode the label set.
      const route =
        (res.locals.audit?.route as string | undefined) ??
        (req.route?.path as string | undefined) ??
        'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      httpDuration.observe(labels, Number(process.hrtime.bigint() - end) / 1e9);
      httpRequests.inc(labels);
    });
    next();
  };

  const timed = async <T>(operation: string, transaction: string, call: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const result = await call();
      outcome = 'ok';
      return result;
    } finally {
      ledgerDuration.observe(
        { operation, transaction, outcome },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  };

  return {
    httpMiddleware,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    instrumentLedger: (port) => ({
      submit: (identity, name, options) => timed('submit', name, () => port.submit(identity, name, options)),
      evaluate: (identity, name, options) =>
        timed('evaluate', name, () => port.evaluate(identity, name, options)),
      endorse: (identity, name, options) =>
        timed('endorse', name, () => port.endorse(identity, name, options)),
      events: (options) => port.events(options),
      close: () => port.close(),
    }),
  };
}
