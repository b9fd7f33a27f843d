import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { ConfigError, type GatewayConfig } from '../config.js';
import { HttpProblem } from '../http/problem.js';
import { unauthorized } from './authenticate.js';
import { AUDIT_SIGNER, USER_NAME, USER_ROLES, type Principal } from './principal.js';

/** Exactly these: `none`, other HMAC sizes, PS*, EdDSA … are all refused before any key is looked up. */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
/** How far past `exp` (and before `nbf`) a token is still accepted, for clocks that disagree. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** The last moment a JavaScript Date can hold, in seconds: an `exp` beyond it is no time at all. */
const LAST_TIME_SECONDS = 8.64e12;
const ROLE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

type KeyLookup = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** The remote key set could not be fetched: the gateway's problem, not the caller's. */
class KeySourceUnavailable extends Error {}

/**
 * JWT bearer tokens: HS256 with the shared secret, RS256/ES256 with public keys from a JWKS file or
 * URL. The secret is used only for HS256 and JWKS keys only for RS256/ES256, so a public key can never
 * serve as an HMAC secret. `exp` and the audience are required, the issuer when configured.
 * Claims: sub = user, org = MSP id (an organisation of the network), role = the user's role.
 */
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwks: KeyLookup | undefined;

  constructor(
    private readonly config: GatewayConfig['jwt'],
    private readonly network: NetworkConfig,
  ) {
    this.secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
    this.jwks = config.jwks ? keySet(config.jwks) : undefined;
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => this.key(header, input), {
        algorithms: [...JWT_ALGORITHMS],
        audience: this.config.audience,
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        requiredClaims: ['exp', 'sub', 'org', 'role'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw this.problemFor(error, token);
    }
    const { sub, org, role, exp } = payload;
    if (typeof sub !== 'string' || !USER_NAME.test(sub)) {
      throw unauthorized(
        "JWT claim 'sub' must be a user name (1-128 printable characters, no invisible formatting)",
      );
    }
    if (exp! > LAST_TIME_SECONDS) {
      throw unauthorized(`JWT claim 'exp' must be a time (seconds since 1970, at most ${LAST_TIME_SECONDS})`);
    }
    if (sub === AUDIT_SIGNER) throw unauthorized(`JWT claim 'sub' names the gateway's own audit signer`);
    if (typeof org !== 'string') throw unauthorized("JWT claim 'org' must be an MSP id string");
    if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
      throw unauthorized("JWT claim 'role' must be a role name (letters, digits, '.', '_', '-')");
    }
    const organisation = this.network.organisations.find((o) => o.mspId === org);
    if (!organisation) {
      throw unauthorized(`JWT claim 'org' names an unknown organisation: not in the network configuration`);
    }
    const roles = USER_ROLES[organisation.role];
    if (!roles.includes(role)) {
      throw unauthorized(
        `JWT claim 'role' must be a user role of a ${organisation.role} organisation (${roles.join(', ')}), not '${role}'`,
      );
    }
    return {
      user: sub,
      mspId: organisation.mspId,
      orgRole: organisation.role,
      role,
      authMethod: 'jwt',
      // The moment jose starts refusing it (it compares whole seconds); exp is required and numeric.
      expiresAt: (Math.ceil(exp!) + CLOCK_TOLERANCE_SECONDS) * 1000,
      tokenExpiresAt: exp! * 1000,
    };
  }

  private async key(
    header: CompactJWSHeaderParameters,
    input: FlattenedJWSInput,
  ): Promise<CryptoKey | Uint8Array> {
    if (header.alg === 'HS256') {
      if (!this.secret) throw unauthorized('HS256 JWTs are not accepted: no shared secret is configured');
      return this.secret;
    }
    if (!this.jwks) throw unauthorized(`${header.alg} JWTs are not accepted: no JWKS is configured`);
    return this.jwks(header, input);
  }

  private problemFor(error: unknown, token: string): HttpProblem {
    if (error instanceof HttpProblem) return error;
    if (error instanceof KeySourceUnavailable) {
      return new HttpProblem(503, 'the JWT verification keys (JWKS) cannot be retrieved; try again later', {
        headers: { 'Retry-After': '30' },
      });
    }
    if (error instanceof errors.JWTExpired) return unauthorized('JWT has expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.reason === 'missing') return unauthorized(`JWT is missing the claim '${error.claim}'`);
      switch (error.claim) {
        case 'aud':
          return unauthorized(`JWT audience (aud) is not '${this.config.audience}'`);
        case 'iss':
          return unauthorized(`JWT issuer (iss) is not '${this.config.issuer ?? ''}'`);
        case 'nbf':
          return unauthorized('JWT is not valid yet (nbf is in the future)');
        default:
          return unauthorized(`JWT claim '${error.claim}' is invalid`);
      }
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return unauthorized(
        `JWT algorithm ${algorithmOf(token)} is not supported; accepted: ${JWT_ALGORITHMS.join(', ')}`,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed)
      return unauthorized('JWT signature is invalid');
    if (error instanceof errors.JWKSNoMatchingKey) {
      return unauthorized('no key in the configured JWKS matches the JWT (kid and alg)');
    }
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      return unauthorized('several JWKS keys match the JWT; it must name its key with kid');
    }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
      return unauthorized('JWT is malformed');
    }
    return unauthorized('JWT could not be verified');
  }
}

/** Host names of this machine, as URL.hostname spells them. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** The header's alg for an error message, only when it is a short plain name (never other token bytes). */
function algorithmOf(token: string): string {
  try {
    const { alg } = decodeProtectedHeader(token);
    return typeof alg === 'string' && /^[A-Za-z0-9+_-]{1,16}$/.test(alg) ? `'${alg}'` : '(unreadable)';
  } catch {
    return '(unreadable)';
  }
}

/**
 * A JWKS file path (read now) or an https URL (fetched when a token first needs it, then cached);
 * plain http only from this machine: the key set decides who may sign in as anyone, and over plain
 * http anyone on the way could hand the gateway keys of their own.
 */
function keySet(source: string): KeyLookup {
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new ConfigError(`JWT_JWKS: '${source}' is not a valid URL`);
    }
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
      throw new ConfigError(
        `JWT_JWKS: ${source} is plain http, so anyone between the gateway and ${url.hostname} could hand it keys to sign any JWT with: use https (plain http only from this machine: localhost, 127.0.0.1, [::1])`,
      );
    }
    const remote = createRemoteJWKSet(url);
    return async (header, input) => {
      try {
        return await remote(header, input);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
          throw error;
        }
        throw new KeySourceUnavailable('JWKS fetch failed', { cause: error });
      }
    };
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(source, 'utf8')) as JSONWebKeySet;
  } catch (error) {
    throw new ConfigError(`JWT_JWKS: cannot read a JSON key set from ${source}: ${(error as Error).message}`);
  }
  try {
    const local = createLocalJWKSet(jwks);
    return (header, input) => local(header, input);
  } catch (error) {
    throw new ConfigError(`JWT_JWKS: ${source} is not a JWK set: ${(error as Error).message}`);
  }
}
