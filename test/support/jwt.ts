import { createHmac } from 'node:crypto';

/** JWT_SECRET of the test gateways that accept HS256 JWTs. */
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';

/** A JSON value as one base64url segment of a compact JWT. */
export const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signed by hand rather than with a library, so that a test may put any header or claim in it. */
export function hs256(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
}

/** The current time as JWTs count it (exp, nbf, iat): whole seconds since the epoch. */
export const now = (): number => Math.floor(Date.now() / 1000);

/**
 * An Authorization header the test gateways accept for this user: their audience and issuer, and a
 * token valid for five minutes unless `exp` says otherwise.
 */
export function bearerJwt(user: { sub: string; org: string; role: string; exp?: number }): string {
  return `Bearer ${hs256({ aud: 'customs-ledger', iss: 'https://idp.example', exp: now() + 300, ...user })}`;
}
