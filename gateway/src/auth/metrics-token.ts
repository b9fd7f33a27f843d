import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { HttpProblem } from '../http/problem.js';
import type { ScrapeRefusal } from '../observability/refused-scrapes.js';
import { authorizationOf, bearerToken, unauthorized } from './authenticate.js';

/**
 * Its own realm: an API key or a JWT is no credential here, and a client told `customs-ledger`
 * would try one.
 */
const CHALLENGE = 'Bearer realm="customs-ledger metrics"';

/** Where the gateway keeps the metrics token it generated, when METRICS_TOKEN is unset. */
export function metricsTokenFile(dataDir: string): string {
  return join(dataDir, 'gateway', 'metrics-token');
}

// Digests of equal length, so that timingSafeEqual can compare them and the time taken tells
// nothing of the token, its length included.
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Lets through a request bearing the metrics token; anything else is 401 with a Bearer challenge
 * (RFC 6750), saying what is wrong but nothing of the token, and served nothing of the metrics.
 * Scrapers are operators' machines, not users: a token that reads metrics only, rather than a
 * user's API key that could also write to the ledger. Each refusal is told to `refused`: the
 * request log leaves scrapes out, and a scraper refused for good would otherwise go unseen.
 */
export function requireMetricsToken(
  token: string,
  refused: (refusal: ScrapeRefusal) => void,
): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    try {
      const presented = bearerToken(authorizationOf(req), 'metrics token', CHALLENGE);
      if (!timingSafeEqual(digest(presented), expected)) {
        throw unauthorized('Bearer token is not the metrics token', `${CHALLENGE}, error="invalid_token"`);
      }
    } catch (refusal) {
      if (refusal instanceof HttpProblem) {
        refused({ client: req.ip ?? req.socket.remoteAddress ?? 'unknown', reason: refusal.detail });
      }
      throw refusal;
    }
    next();
  };
}
