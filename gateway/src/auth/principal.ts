import type { OrgRole } from '@customs-ledger/chaincode';
import type { KeyedWrite } from '../services/keyed-write.js';

/**
 * The user (in the gateway operator's organisation) that signs and anchors the audit log's tree
 * heads. No caller may be that user: its ledger identity would be the audit log's.
 */
export const AUDIT_SIGNER = 'gateway-audit';

/**
 * What a user name may be, from an API key or a JWT's `sub`: it becomes a ledger enrolment name,
 * stays in access records for good and is shown in logs and consoles. 1 to 128 characters, not
 * starting with a space; no control characters, no invisible formatting characters (the
 * bidirectional marks, overrides and isolates, with which a name shows as another, CVE-2021-42574,
 * and the zero-width ones, with which two names look alike) and no lone UTF-16 surrogate.
 */
export const USER_NAME = /^[^\p{Cc}\p{Cf}\p{Cs}\s][^\p{Cc}\p{Cf}\p{Cs}]{0,127}$/u;

/**
 * The user roles of each kind of organisation, one demo user each: customs has officers, the
 * automatic-release service identity and governance; the auditor organisation auditors; traders
 * operators. On Fabric, only these roles sign as a connection profile's users.
 */
export const USER_ROLES: Readonly<Record<OrgRole, readonly string[]>> = {
  platform: ['operator'],
  payment: ['operator'],
  post: ['operator'],
  express: ['operator'],
  customs: ['officer', 'service', 'governance'],
  auditor: ['auditor'],
};

/**
 * Customs' user roles for its writes: decisions on consignments, returns and parties are its
 * officers'; the rules, tariffs and return policies they apply, its officers' or its governance's.
 * Never its service identity's, which releases only what an assessment allows (chaincode).
 */
export const DECIDING_USER_ROLES: readonly string[] = ['officer'];
export const CONFIGURING_USER_ROLES: readonly string[] = ['officer', 'governance'];
/**
 * Who may read personal data (a purpose still decides what): traders' operators, customs' officers
 * and auditors, never customs' governance or service users, whose work needs none over HTTP.
 */
export const PERSONAL_DATA_USER_ROLES: readonly string[] = ['operator', 'officer', 'auditor'];

/** Who is calling: one user of one organisation, as established by an API key or a JWT. */
export interface Principal {
  readonly user: string;
  readonly mspId: string;
  /** The organisation's role on the network (from the organisation registry). */
  readonly orgRole: OrgRole;
  /** The user's role within the organisation: operator, officer, service, auditor, governance. */
  readonly role: string;
  readonly authMethod: 'api-key' | 'jwt';
  /**
   * When the credential stops being accepted, in milliseconds since the epoch: a JWT's `exp` plus the
   * verifier's clock tolerance, or an API key's expiry (none for a key that never expires). What
   * outlives the request it was authenticated for, the event stream, must end then.
   */
  readonly expiresAt?: number;
  /** A JWT's own `exp`, in milliseconds since the epoch (expiresAt adds the clock tolerance). */
  readonly tokenExpiresAt?: number;
  /** The API key's id (keyIdOf), for an API key: a revoked key ends the event streams it opened. */
  readonly apiKeyId?: string;
  /**
   * On a write with an Idempotency-Key, set by the route for the request's handler: the ids of the
   * records the request creates and of the transactions it submits derive from the key.
   */
  readonly keyedWrite?: KeyedWrite;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the authentication middleware; absent on public routes. */
      principal?: Principal;
      /** Set first for every request: the X-Request-Id header when valid, else a new UUID. */
      requestId: string;
    }
    interface Locals {
      /** What the audit trail records about the request beyond method, path and outcome. */
      audit?: { route?: string; resource?: string; purpose?: string; txId?: string };
    }
  }
}
