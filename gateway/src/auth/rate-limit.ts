import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { HttpProblem, sendProblem } from '../http/problem.js';

const WINDOW_MS = 60_000;

/** A fixed budget of requests per minute for each user (by organisation and user name). */
export function rateLimitPerPrincipal(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => (req.principal ? `${req.principal.mspId}/${req.principal.user}` : 'anonymous'),
    handler: (req, res, _next, options) => {
      const retryAfter = Math.ceil(options.windowMs / 1000);
      sendProblem(
        res,
        new HttpProblem(429, `rate limit of ${perMinute} requests per minute exceeded`, {
          headers: { 'Retry-After': String(retryAfter) },
        }),
        req.originalUrl,
      );
    },
  });
}
