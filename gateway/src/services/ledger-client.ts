import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../auth/principal.js';
import { isRetryableConflict } from '../http/ledger-errors.js';
import type { IdentityProvider } from '../ledger/identities.js';
import type { LedgerPort } from '../ledger/port.js';
import { Semaphore } from './semaphore.js';

/** An MVCC conflict means the state changed between simulation and commit: simulate again, a few times. */
const MAX_ATTEMPTS = 4;
/**
 * Upper bound of the random pause before attempt n+1 is n times this: long enough for a peer that
 * lagged one block behind its peers to commit it (Fabric), short next to a block interval.
 */
const RETRY_BACKOFF_MS = 40;

export interface Submitted<T> {
  readonly value: T;
  readonly txId: string;
  readonly blockNumber: bigint;
}

/**
 * The services' view of the ledger: calls chaincode functions as the principal's own identity,
 * with JSON in and out, and retries a conflicting submission with a new proposal (never the same
 * one: a resubmitted transaction id would only be marked a duplicate).
 */
export class LedgerClient {
  /**
   * Submissions in flight at once. Past the ledger's capacity, more concurrent proposals only add
   * MVCC retries and memory: measured on the embedded ledger, 2,000 in flight committed less than
   * half of what 400 did. Requests beyond the limit wait their turn.
   */
  private readonly submissions: Semaphore;

  constructor(
    private readonly ledger: LedgerPort,
    private readonly identities: IdentityProvider,
    maxSubmissionsInFlight = 256,
  ) {
    this.submissions = new Semaphore(maxSubmissionsInFlight);
  }

  async submit<T>(
    principal: Principal,
    transaction: string,
    args: readonly string[],
    options: { transient?: Record<string, Uint8Array>; endorsingOrganizations?: readonly string[] } = {},
  ): Promise<Submitted<T>> {
    const identity = await this.identities.identityFor(principal);
    return this.submissions.run(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const { result, transactionId, blockNumber } = await this.ledger.submit(identity, transaction, {
            arguments: args,
            transientData: options.transient,
            endorsingOrganizations: options.endorsingOrganizations,
          });
          return { value: parse<T>(result), txId: transactionId, blockNumber };
        } catch (error) {
          if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
          await sleep(Math.random() * RETRY_BACKOFF_MS * attempt);
        }
      }
    });
  }

  async evaluate<T>(principal: Principal, transaction: string, args: readonly string[]): Promise<T> {
    const identity = await this.identities.identityFor(principal);
    return parse<T>(await this.ledger.evaluate(identity, transaction, { arguments: args }));
  }
}

function parse<T>(bytes: Uint8Array): T {
  const text = Buffer.from(bytes).toString('utf8');
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
