import type { Principal } from '../auth/principal.js';
import type { ClientIdentity } from './port.js';

/** What of a principal decides the identity that signs for it. */
export type Signer = Pick<Principal, 'user' | 'mspId' | 'role' | 'keyedWrite'>;

/** Gives the ledger identity that signs for a principal: the user's own X.509 identity in its organisation. */
export interface IdentityProvider {
  identityFor(principal: Signer): Promise<ClientIdentity>;
}

/** A ledger that issues its users' certificates itself: the embedded ledger, on either thread. */
export interface EnrollingLedger {
  enrolUser(mspId: string, user: string, attrs: Readonly<Record<string, string>>): Promise<ClientIdentity>;
}

/** Embedded ledger: each gateway user gets a certificate from its organisation's CA (kept in DATA_DIR/msp). */
export class EnrollingIdentityProvider implements IdentityProvider {
  private readonly cache = new Map<string, Promise<ClientIdentity>>();

  constructor(private readonly ledger: EnrollingLedger) {}

  identityFor(principal: Signer): Promise<ClientIdentity> {
    // The role is in the certificate, and the chaincode acts on it: one identity per role held.
    const key = JSON.stringify([principal.mspId, principal.user, principal.role]);
    let identity = this.cache.get(key);
    if (!identity) {
      identity = this.ledger.enrolUser(principal.mspId, principal.user, { role: principal.role });
      identity.catch(() => this.cache.delete(key));
      this.cache.set(key, identity);
    }
    return identity;
  }
}
