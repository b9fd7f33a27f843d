import express, { type Express } from 'express';
import type { LedgerPort } from '../ledger/port.js';

export interface AppDependencies {
  readonly ledger: LedgerPort;
  readonly ledgerKind: 'embedded' | 'fabric';
  readonly isReady: () => boolean;
}

/** The HTTP application. Issue [2/7] builds the API on top; this carries the health endpoints. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ledger: deps.ledgerKind });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' });
  });
  return app;
}
