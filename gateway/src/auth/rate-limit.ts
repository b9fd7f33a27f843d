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

interface Budget {
  readonly perMinute: number;
  /** The budget a request draws on. */
  readonly key: (req: Request) => string;
  /** Whose budget it is, in the 429's detail. */
  readonly who: (req: Request) => string;
  readonly skip?: (req: Request) => boolean;
}

/** Sends the standard RateLimit headers; over the limit, a 429 problem with Retry-After. */
function limiter({ perMinute, key, who, skip }: Budget): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    ...(skip ? { skip } : {}),
    retryAfter: (req) => retryAfterSeconds(req),
    handler: (req, res) => {
      sendProblem(
        res,
        new HttpProblem(429, `rate limit of ${perMinute} requests per minute exceeded for ${who(req)}`, {
          headers: { 'Retry-After': String(retryAfterSeconds(req)) },
        }),
        req.originalUrl,
      );
    },
  });
}

function userOf(req: Request): string {
  // Without a principal every caller would share one budget: fail the request instead of limiting wrongly.
  if (!req.principal) throw new Error('the per-principal rate limit must come after authentication');
  return `${req.principal.mspId}/${req.principal.user}`;
}

/** A budget of requests per minute for each authenticated user (organisation and user name). */
export function rateLimitPerPrincipal(perMinute: number): RequestHandler {
  return limiter({ perMinute, key: (req) => `principal:${userOf(req)}`, who: userOf });
}

/**
 * A budget of requests per minute for each client address, drawn on only by requests without a
 * principal (no or bad credentials), so that guessing keys or flooding is bounded while a user
 * with good credentials behind the same address keeps its own budget. The address is the
 * socket's unless `trust proxy` says otherwise (behind a proxy, all clients share its address);
 * IPv6 clients are grouped by /56, as one client usually holds a whole prefix.
 */
export function rateLimitUnauthenticated(perMinute: number): RequestHandler {
  return limiter({
    perMinute,
    key: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    who: () => 'this client without valid credentials',
    skip: (req) => req.principal !== undefined,
  });
}
