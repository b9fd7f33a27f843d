import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-keys.js';
import { unauthorized, type JwtVerifier } from './jwt.js';
import type { Principal } from './principal.js';

export interface Authenticator {
  /** The principal for an Authorization header; rejects with a 401 problem saying what is wrong. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

/** `Authorization: Bearer <token>`: a token with two dots is a JWT, anything else an API key. */
export class BearerAuthenticator implements Authenticator {
  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly jwt: JwtVerifier | undefined,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization)
      throw unauthorized('missing Authorization header (expected: Bearer <api key or JWT>)');
    const match = /^Bearer +([^\s]+)$/i.exec(authorization);
    if (!match) throw unauthorized('Authorization must use the Bearer scheme');
    const token = match[1]!;
    if (token.split('.').length === 3) {
      if (!this.jwt) throw unauthorized('JWT bearer tokens are not enabled on this gateway');
      return this.jwt.verify(token);
    }
    const principal = this.apiKeys.lookup(token);
    if (!principal) throw unauthorized('unknown API key');
    return principal;
  }
}

export function authenticate(authenticator: Authenticator): RequestHandler {
  return (req, _res, next) => {
    authenticator.authenticate(req.get('Authorization')).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
