import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { GatewayConfig } from '../config.js';
import { HttpProblem } from '../http/problem.js';
import type { Principal } from './principal.js';

const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * JWT bearer tokens: HS256 with a shared secret, RS256/ES256 with keys from a JWKS file or URL.
 * Only those algorithms are accepted (so `alg: none` and algorithm confusion are refused);
 * `exp` and the audience are required. Claims: sub = user, org = MSP id, role = user role.
 */
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    private readonly config: GatewayConfig['jwt'],
    private readonly network: NetworkConfig,
  ) {
    this.secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
    if (config.jwks) {
      this.jwks = /^https?:\/\//.test(config.jwks)
        ? createRemoteJWKSet(new URL(config.jwks))
        : createLocalJWKSet(
            JSON.parse(readFileSync(config.jwks, 'utf8')) as Parameters<typeof createLocalJWKSet>[0],
          );
    }
  }

  async verify(token: string): Promise<Principal> {
    const alg = headerAlgorithm(token);
    const options = {
      audience: this.config.audience,
      issuer: this.config.issuer,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    };
    let payload: Record<string, unknown>;
    try {
      if (alg === 'HS256' && this.secret) {
        ({ payload } = await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] }));
      } else if ((alg === 'RS256' || alg === 'ES256') && this.jwks) {
        ({ payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256'] }));
      } else {
        throw unauthorized(`JWT algorithm '${alg}' is not accepted`);
      }
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      if (error instanceof errors.JWTExpired) throw unauthorized('JWT has expired');
      if (error instanceof errors.JWTClaimValidationFailed)
        throw unauthorized(`JWT claim '${error.claim}' is invalid`);
      if (error instanceof errors.JWSSignatureVerificationFailed)
        throw unauthorized('JWT signature is invalid');
      throw unauthorized('JWT could not be verified');
    }
    const user = payload.sub;
    const mspId = payload.org;
    const role = payload.role;
    if (typeof mspId !== 'string') throw unauthorized("JWT is missing the claim 'org'");
    if (typeof role !== 'string') throw unauthorized("JWT is missing the claim 'role'");
    const org = this.network.organisations.find((o) => o.mspId === mspId);
    if (!org) throw unauthorized(`JWT names an unknown organisation '${mspId}'`);
    return { user: String(user), mspId, orgRole: org.role, role, authMethod: 'jwt' };
  }
}

function headerAlgorithm(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as {
      alg?: unknown;
    };
    return typeof header.alg === 'string' ? header.alg : 'missing';
  } catch {
    throw unauthorized('JWT header is malformed');
  }
}

export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="customs-ledger"' } });
}
