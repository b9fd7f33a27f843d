import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { IdentityProvider, Signer } from './identities.js';
import type { ClientIdentity } from './port.js';

/** How long before an identity's certificate ends the log starts saying so. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

/**
 * The identities the gateway signs with end with their certificates (Fabric CA issues them for a
 * year unless told otherwise; the embedded ledger's CAs last ten years), and from then on the ledger
 * refuses every transaction they make: an outage with a date known in advance. This provider hands
 * out the identities of the one it wraps and keeps, for each organisation, the earliest end among
 * those it has handed out, for /metrics to show; and it says in the log, once for each certificate
 * it sees, when one ends within EXPIRY_WARNING_DAYS or has ended.
 */
export class ExpiryWatchingIdentityProvider implements IdentityProvider {
  private readonly seen = new Set<string>();
  private readonly earliest = new Map<string, number>();

  constructor(
    private readonly identities: IdentityProvider,
    private readonly logger: Logger,
  ) {}

  async identityFor(principal: Signer): Promise<ClientIdentity> {
    const identity = await this.identities.identityFor(principal);
    if (!this.seen.has(identity.certificate)) {
      this.seen.add(identity.certificate);
      this.note(identity, principal);
    }
    return identity;
  }

  /** For each organisation, the earliest end (ms since the epoch) of the certificates handed out so far. */
  earliestExpiries(): ReadonlyMap<string, number> {
    return this.earliest;
  }

  private note(identity: ClientIdentity, principal: Signer): void {
    let notAfter: number;
    try {
      notAfter = Date.parse(new X509Certificate(identity.certificate).validTo);
    } catch {
      return; // The ledger refuses an unreadable certificate, with its own words.
    }
    const known = this.earliest.get(identity.mspId);
    if (known === undefined || notAfter < known) this.earliest.set(identity.mspId, notAfter);
    const left = notAfter - Date.now();
    if (left > EXPIRY_WARNING_DAYS * DAY_MS) return;
    const context = {
      mspId: identity.mspId,
      user: principal.user,
      role: principal.role,
      notAfter: new Date(notAfter).toISOString(),
    };
    if (left <= 0) {
      this.logger.error(
        context,
        `the ledger identity of ${identity.mspId} that signs for ${principal.user} (${principal.role}) expired at ${context.notAfter}: the ledger refuses its transactions; renew its certificate`,
      );
    } else {
      this.logger.warn(
        context,
        `the ledger identity of ${identity.mspId} that signs for ${principal.user} (${principal.role}) expires at ${context.notAfter}, in ${Math.ceil(left / DAY_MS)} days: renew its certificate before then, or the ledger refuses its transactions`,
      );
    }
  }
}
