import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { HttpProblem, sendProblem } from '../http/problem.js';

const WINDOW_MS = 60_000;

/** Seconds until the caller's window resets (at least 1). */
function retryAfterSeconds(req: Request): number {
  const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
  const ms = reset ? reset.getTime() - Date.now() : WINDOW_MS;
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * A budget of requests per minute for each user (organisation and user name), or per client address
 * when no principal is set. Sends the standard RateLimit headers; over the limit, a 429 problem with
 * Retry-After.
 */
export function rateLimitPerPrincipal(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) =>
      req.principal
        ? `principal:${req.principal.mspId}/${req.principal.user}`
        : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    retryAfter: (req) => retryAfterSeconds(req),
    handler: (req, res) => {
      const who = req.principal ? `${req.principal.mspId}/${req.principal.user}` : 'this client';
      sendProblem(
        res,
        new HttpProblem(429, `rate limit of ${perMinute} requests per minute exceeded for ${who}`, {
          headers: { 'Retry-After': String(retryAfterSeconds(req)) },
        }),
        req.originalUrl,
      );
    },
  });
}
