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
