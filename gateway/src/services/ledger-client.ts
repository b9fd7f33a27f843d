import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig } from '../config.js';
import { statusForRefusal } from '../http/ledger-errors.js';
import type { IdentityProvider, Signer } from '../ledger/identities.js';
import {
  chaincodeMessage,
  CommitError,
  duplicateTransactionId,
  EndorseError,
  GrpcStatus,
  OutcomeUnknownError,
  TxValidationCode,
  worthProposingAgain,
  type LedgerPort,
} from '../ledger/port.js';
import { Semaphore } from './semaphore.js';

/**
 * A conflict at commit (a stale read, or a key policy set meanwhile) means the state changed
 * between simulation and commit: simulate again, a few times.
 */
const MAX_ATTEMPTS = 5;

export interface LedgerClientOptions {
  /** Submissions in flight at once (default 256). */
  readonly maxSubmissionsInFlight?: number;
  /**
   * The random pause before attempt n+1 after a conflict is at most n times this (default 40 ms):
   * about a block interval, so that the writes the proposal collided with are committed by then.
   */
  readonly conflictBackoffMs?: number;
  /**
   * Fabric only. Each peer commits blocks on its own, and the gateway waits for the commit on one
   * peer only: right after a write, another peer may not have that block yet, and a proposal it
   * endorses is refused as if the write had not happened ("consignment … does not exist", "… is
   * not visible to A" before the record that bound A, "… needs status shipped"). Two kinds of
   * refusal are therefore proposed again after growing pauses (pauseMs, 2 × pauseMs, …), at most
   * four times, before they are reported as they are: a refusal that something is absent, and a
   * refusal by some of the organisations asked to endorse while the others endorsed (the chaincode
   * is deterministic, so their peers' states differ). A peer starved of CPU was seen to lag by more
   * than a second.
   */
  readonly staleReads?: { readonly pauseMs: number };
}

const STALE_READ_RETRIES = 4;

/** About one block interval plus commit on a small Fabric network (BatchTimeout 100 ms). */
const FABRIC_BLOCK_MS = 250;

/** How the gateway's services submit on each backend: on Fabric, paced by its blocks, and retrying stale reads. */
export function ledgerClientOptions(ledger: GatewayConfig['ledger']): LedgerClientOptions {
  return ledger === 'fabric'
    ? { conflictBackoffMs: FABRIC_BLOCK_MS, staleReads: { pauseMs: FABRIC_BLOCK_MS } }
    : {};
}

export interface Submitted<T> {
  readonly value: T;
  readonly txId: string;
  readonly blockNumber: bigint;
}

/**
 * The services' view of the ledger: calls chaincode functions as the principal's own identity,
 * with JSON in and out, and retries a conflicting submission with a new proposal (never the same
 * one: a resubmitted transaction id would only be marked a duplicate). A keyed write's proposals
 * have transaction ids derived from its Idempotency-Key (services/keyed-write.ts); one the ledger
 * already holds is answered with that transaction's outcome.
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
    private readonly options: LedgerClientOptions = {},
  ) {
    this.submissions = new Semaphore(options.maxSubmissionsInFlight ?? 256);
  }

  async submit<T>(
    principal: Signer,
    transaction: string,
    args: readonly string[],
    options: { transient?: Record<string, Uint8Array>; endorsingOrganizations?: readonly string[] } = {},
  ): Promise<Submitted<T>> {
    const identity = await this.identities.identityFor(principal);
    const nonceOf = principal.keyedWrite?.submission(transaction, args);
    return this.submissions.run(async () => {
      let staleRetries = 0;
      let attempt = 1;
      /** Proposals whose transaction may be on the ledger: each needs a transaction id of its own. */
      let proposal = 0;
      for (;;) {
        const nonce = nonceOf?.(proposal);
        try {
          const { result, transactionId, blockNumber } = await this.ledger.submit(identity, transaction, {
            arguments: args,
            transientData: options.transient,
            endorsingOrganizations: options.endorsingOrganizations,
            nonce,
          });
          return { value: parse<T>(result), txId: transactionId, blockNumber };
        } catch (error) {
          const duplicate = nonce && duplicateTransactionId(error);
          if (duplicate) {
            // An earlier run of this request (its answer lost) proposed this very transaction: its
            // outcome is this request's, whatever simulating again would give now.
            const earlier = await this.ledger.committedTransaction(identity, duplicate);
            if (!earlier) {
              // Another peer holds it and the one asked has not committed its block yet (Fabric).
              throw new OutcomeUnknownError(
                GrpcStatus.UNAVAILABLE,
                `transaction ${duplicate} is on the ledger but not yet readable here; retry`,
                [],
                duplicate,
              );
            }
            if (earlier.code === TxValidationCode.VALID) {
              return { value: parse<T>(earlier.result), txId: duplicate, blockNumber: earlier.blockNumber };
            }
            const refused = new CommitError(duplicate, earlier.code);
            if (!worthProposingAgain(refused)) throw refused;
            proposal++;
            continue;
          }
          const staleReads = this.options.staleReads;
          const mayBeStale =
            refusedAsAbsent(error) || refusedBySomeEndorsers(error, options.endorsingOrganizations);
          if (staleReads && staleRetries < STALE_READ_RETRIES && mayBeStale) {
            // Refused at endorsement: nothing was ordered, so the same transaction id is proposed again.
            staleRetries++;
            await sleep(staleReads.pauseMs * staleRetries);
            continue;
          }
          if (attempt >= MAX_ATTEMPTS || !worthProposingAgain(error)) throw error;
          await sleep(Math.random() * (this.options.conflictBackoffMs ?? 40) * attempt);
          attempt++;
          proposal++;
        }
      }
    });
  }

  async evaluate<T>(principal: Signer, transaction: string, args: readonly string[]): Promise<T> {
    const identity = await this.identities.identityFor(principal);
    return parse<T>(await this.ledger.evaluate(identity, transaction, { arguments: args }));
  }

  async blocksOf(principal: Signer, transactionIds: readonly string[]): Promise<BlockIndex> {
    const identity = await this.identities.identityFor(principal);
    const unique = [...new Set(transactionIds)];
    const blocks = await Promise.all(unique.map((txId) => this.ledger.blockOf(identity, txId)));
    const index = new Map<string, bigint>();
    unique.forEach((txId, i) => {
      const block = blocks[i];
      if (block !== undefined) index.set(txId, block);
    });
    return index;
  }
}

/** Block numbers of committed transactions (each asked once); a transaction no block holds is absent. */
export type BlockIndex = ReadonlyMap<string, bigint>;

/** Customs' refusal to assess a consignment whose order, payment or logistics it does not see yet. */
const RECORDS_NOT_YET = / has no [a-z, ]+ data yet: /;

/**
 * A chaincode refusal at endorsement saying that something does not exist (a 404 refusal), or that
 * a consignment's records are not all there yet: what a peer a block behind says.
 */
function refusedAsAbsent(error: unknown): boolean {
  const refusal = error instanceof EndorseError ? chaincodeMessage(error) : undefined;
  return refusal !== undefined && (statusForRefusal(refusal) === 404 || RECORDS_NOT_YET.test(refusal));
}

/**
 * A chaincode refusal from some of the organisations asked to endorse, the others having endorsed:
 * Fabric's gateway reports only the endorsers that failed.
 */
function refusedBySomeEndorsers(error: unknown, asked: readonly string[] | undefined): boolean {
  if (!(error instanceof EndorseError) || chaincodeMessage(error) === undefined) return false;
  const refusing = new Set(error.details.map((d) => d.mspId));
  return (asked ?? []).some((mspId) => !refusing.has(mspId));
}

function parse<T>(bytes: Uint8Array): T {
  const text = Buffer.from(bytes).toString('utf8');
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
