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
  /** Submissions made so far, by what they submit. */
  private readonly submissions = new Map<string, number>();

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
   * The nonces of the request's next submission of this transaction with these arguments, one per
   * proposal: a proposal made again after its transaction was committed invalid (a read conflict)
   * needs a new transaction id. Derived from what is submitted, not from the order of submissions:
   * a retry whose earlier steps went otherwise (a batch whose rounds hold other operations) must not
   * meet the first run's transaction for another content. The same content submitted twice in one
   * request is told apart by its count.
   */
  submission(transaction: string, args: readonly string[]): (proposal: number) => Uint8Array {
    const content = JSON.stringify([transaction, args]);
    const count = this.submissions.get(content) ?? 0;
    this.submissions.set(content, count + 1);
    return (proposal) =>
      this.derive('nonce', content, String(count), String(proposal)).subarray(0, NONCE_LENGTH);
  }

  private derive(...parts: string[]): Buffer {
    return createHash('sha256').update(this.seed).update(JSON.stringify(parts)).digest();
  }
}

/** The id of a new record whose client named none: from the request's key when it has one, else random. */
export function newRecordId(prefix: string, write: KeyedWrite | undefined): string {
  return write?.recordId(prefix) ?? `${prefix}-${randomUUID()}`;
}
