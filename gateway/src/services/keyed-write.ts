import { createHash, randomUUID } from 'node:crypto';

/** fabric-gateway's nonce length. */
const NONCE_LENGTH = 24;

/**
 * A write request that came with an Idempotency-Key. What the gateway chooses for it is derived from
 * the key, its sender and the request, so that the retry of a request whose answer was lost (a
 * crash before the answer was kept, an outcome the ledger could not confirm) chooses the same: the
 * same ids for the records it creates, and the same transaction ids for the transactions it submits.
 * A ledger refuses a transaction id it already holds, and the ledger client then answers with that
 * transaction's outcome (services/ledger-client.ts): a retried write is applied once and answered
 * as the first time. Another request under the same key (another body) derives other ids.
 */
export class KeyedWrite {
  private readonly seed: Buffer;
  private submissions = 0;

  constructor(sender: { readonly mspId: string; readonly user: string }, key: string, requestHash: string) {
    this.seed = createHash('sha256')
      .update(JSON.stringify([sender.mspId, sender.user, key, requestHash]))
      .digest();
  }

  /** The id of a record the request creates without naming it. */
  recordId(prefix: string): string {
    return `${prefix}-${this.derive('record', prefix).toString('hex').slice(0, 32)}`;
  }

  /**
   * The nonces of the request's next submission, one per proposal: a proposal made again after its
   * transaction was committed invalid (a read conflict) needs a new transaction id. Submissions are
   * numbered in the order the request makes them, which a retry repeats.
   */
  nextSubmission(): (proposal: number) => Uint8Array {
    const submission = this.submissions++;
    return (proposal) => this.derive('nonce', String(submission), String(proposal)).subarray(0, NONCE_LENGTH);
  }

  private derive(...parts: string[]): Buffer {
    return createHash('sha256').update(this.seed).update(JSON.stringify(parts)).digest();
  }
}

/** The id of a new record whose client named none: from the request's key when it has one, else random. */
export function newRecordId(prefix: string, write: KeyedWrite | undefined): string {
  return write?.recordId(prefix) ?? `${prefix}-${randomUUID()}`;
}
