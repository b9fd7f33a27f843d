import type { Request, RequestHandler } from 'express';
import { HttpProblem } from '../http/problem.js';
import { headerCount } from '../http/request-checks.js';
import type { ApiKeyStore } from './api-keys.js';
import type { JwtVerifier } from './jwt.js';
import type { Principal } from './principal.js';

/** The challenge sent with every 401 (RFC 6750 §3). */
export const WWW_AUTHENTICATE = 'Bearer realm="customs-ledger"';

/** A 401 problem with a Bearer challenge. The detail must never contain the presented credential. */
export function unauthorized(detail: string, challenge = WWW_AUTHENTICATE): HttpProblem {
  return new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': challenge } });
}

export interface Authenticator {
  /** The principal for an Authorization header; rejects with a 401 problem saying what is wrong. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /**
   * Whether the credential a principal presented is still accepted (one past its expiry, a JWT's or
   * an API key's, is not, nor is a revoked API key), for what outlives the request it was checked
   * for: an event stream.
   */
  stillAccepts(principal: Principal): boolean;
}

// RFC 6750 b64token: API keys (clk_ + base64url) and compact JWTs (base64url segments) both fit.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of `Authorization: Bearer <token>`, where `credential` names what the token should be
 * (for the refusals) and `challenge` is the 401's WWW-Authenticate. Every refusal says what is
 * wrong without repeating any part of the header.
 */
export function bearerToken(
  authorization: string | undefined,
  credential: string,
  challenge = WWW_AUTHENTICATE,
): string {
  const header = authorization?.trim() ?? '';
  if (header === '') {
    throw unauthorized(
      `missing Authorization header; send 'Authorization: Bearer <${credential}>'`,
      challenge,
    );
  }
  const space = header.indexOf(' ');
  // Without a space the whole header may be a bare credential: it is never echoed, not even as a "scheme".
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw unauthorized(
      `Authorization header must use the Bearer scheme: 'Bearer <${credential}>'`,
      challenge,
    );
  }
  const token = space < 0 ? '' : header.slice(space + 1).trim();
  if (token === '') throw unauthorized('Bearer token is empty', challenge);
  if (!B64TOKEN.test(token)) {
    throw unauthorized('Bearer token is malformed: it must be a single token without spaces', challenge);
  }
  return token;
}

/** The request's one Authorization header; 400 for several. */
export function authorizationOf(req: Request): string | undefined {
  // Node takes the first; a proxy in front that took the last would have let another user in.
  if (headerCount(req, 'authorization') > 1) {
    throw new HttpProblem(400, 'send one Authorization header, not several');
  }
  return req.get('Authorization');
}

/** `Authorization: Bearer <token>`: a token with two dots is a JWT, anything else an API key. */
export class BearerAuthenticator implements Authenticator {
  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly jwt?: JwtVerifier,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization, 'API key or JWT');
    if (token.split('.').length === 3) {
      if (!this.jwt) {
        throw unauthorized('JWT bearer tokens are not accepted by this gateway (no JWT key is configured)');
      }
      return this.jwt.verify(token);
    }
    return this.apiKeys.authenticate(token);
  }

  stillAccepts(principal: Principal): boolean {
    return (
      (principal.expiresAt === undefined || Date.now() < principal.expiresAt) &&
      (principal.apiKeyId === undefined || this.apiKeys.accepts(principal.apiKeyId))
    );
  }
}

/** Why identify could not set req.principal, until requireAuthentication sends it. */
const refusals = new WeakMap<Request, unknown>();

/**
 * Sets req.principal when the credentials are good; otherwise keeps the refusal for
 * requireAuthentication, so that what runs in between (the limit on clients without valid
 * credentials, ahead of the audit trail) can tell who is calling before anything is sent.
 */
export function identify(authenticator: Authenticator): RequestHandler {
  return (req, _res, next) => {
    let authorization: string | undefined;
    try {
      authorization = authorizationOf(req);
    } catch (refusal) {
      refusals.set(req, refusal);
      next();
      return;
    }
    authenticator.authenticate(authorization).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (error: unknown) => {
        refusals.set(req, error);
        next();
      },
    );
  };
}

/** Lets a caller with a principal through; passes the refusal identify kept on to the problem handler. */
export const requireAuthentication: RequestHandler = (req, _res, next) => {
  if (req.principal) return next();
  // Without identify before it there is no refusal to send: fail closed all the same.
  next(refusals.get(req) ?? unauthorized('authentication required'));
};
