/**
 * The ledger port: the one interface the gateway's services use to reach a ledger.
 * It is shaped like @hyperledger/fabric-gateway (proposal → endorse → submit → commit status)
 * so that the Fabric adapter is thin and the embedded adapter must behave like Fabric.
 */

/** A client identity: MSP id, PEM certificate, and a signer (the private key never leaves it). */
export interface ClientIdentity {
  readonly mspId: string;
  /** PEM-encoded X.509 certificate. */
  readonly certificate: string;
  /** Signs the message (ECDSA over its SHA-256), returning a DER-encoded, low-S signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface ProposalOptions {
  readonly arguments?: readonly (string | Uint8Array)[];
  /** Private inputs: never written to a block. */
  readonly transientData?: Readonly<Record<string, Uint8Array>>;
  /** Organisations whose peers must endorse; when absent the ledger chooses, as a Fabric gateway does. */
  readonly endorsingOrganizations?: readonly string[];
  /**
   * The proposal's nonce (24 random bytes by default). The transaction id is the hash of the nonce and
   * the creator, so a chosen nonce names the transaction in advance; a peer refuses to endorse a
   * proposal whose transaction is already on the ledger (see `duplicateTransactionId`).
   */
  readonly nonce?: Uint8Array;
}

/** Fabric's TxValidationCode values (peer/transaction.proto), so any commit failure is named. */
export const TxValidationCode = {
  VALID: 0,
  NIL_ENVELOPE: 1,
  BAD_PAYLOAD: 2,
  BAD_COMMON_HEADER: 3,
  BAD_CREATOR_SIGNATURE: 4,
  INVALID_ENDORSER_TRANSACTION: 5,
  INVALID_CONFIG_TRANSACTION: 6,
  UNSUPPORTED_TX_PAYLOAD: 7,
  BAD_PROPOSAL_TXID: 8,
  DUPLICATE_TXID: 9,
  ENDORSEMENT_POLICY_FAILURE: 10,
  MVCC_READ_CONFLICT: 11,
  PHANTOM_READ_CONFLICT: 12,
  UNKNOWN_TX_TYPE: 13,
  TARGET_CHAIN_NOT_FOUND: 14,
  MARSHAL_TX_ERROR: 15,
  NIL_TXACTION: 16,
  EXPIRED_CHAINCODE: 17,
  CHAINCODE_VERSION_CONFLICT: 18,
  BAD_HEADER_EXTENSION: 19,
  BAD_CHANNEL_HEADER: 20,
  BAD_RESPONSE_PAYLOAD: 21,
  BAD_RWSET: 22,
  ILLEGAL_WRITESET: 23,
  INVALID_WRITESET: 24,
  INVALID_CHAINCODE: 25,
  NOT_VALIDATED: 254,
  INVALID_OTHER_REASON: 255,
} as const;
export type TxValidationCodeName = keyof typeof TxValidationCode;

export interface CommitStatus {
  readonly transactionId: string;
  readonly code: number;
  readonly successful: boolean;
  readonly blockNumber: bigint;
}

/** An endorsed transaction, ready to be submitted to the orderer. */
export interface EndorsedTransaction {
  readonly transactionId: string;
  /** The chaincode's response payload (public on a submitted transaction: it goes into the block). */
  readonly result: Uint8Array;
  /** Sends the transaction to ordering; resolves when the orderer has accepted it. */
  submit(): Promise<Commit>;
}

export interface Commit {
  readonly transactionId: string;
  /** Waits for the block holding the transaction to commit; never throws for an invalid transaction. */
  getStatus(): Promise<CommitStatus>;
}

/** A transaction as its block holds it (the first copy of its id). */
export interface CommittedTransaction {
  readonly transactionId: string;
  readonly blockNumber: bigint;
  /** Its validation code (TxValidationCode): only a valid transaction changed the state. */
  readonly code: number;
  /** The chaincode's response payload, as endorsed. */
  readonly result: Uint8Array;
}

export interface SubmitResult {
  readonly result: Uint8Array;
  readonly transactionId: string;
  readonly blockNumber: bigint;
}

export interface ChaincodeEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

export interface EventsOptions {
  /** First block to deliver (inclusive). Defaults to the next block to be committed. */
  readonly startBlock?: bigint;
  /** Within startBlock, skip events up to and including this transaction (a checkpoint). */
  readonly afterTransactionId?: string;
  readonly signal?: AbortSignal;
}

export interface LedgerPort {
  /** Endorses, submits and waits for commit; throws EndorseError or CommitError as fabric-gateway does. */
  submit(identity: ClientIdentity, transactionName: string, options?: ProposalOptions): Promise<SubmitResult>;
  /** Runs a read on one peer without ordering anything; throws GatewayError on a chaincode error. */
  evaluate(identity: ClientIdentity, transactionName: string, options?: ProposalOptions): Promise<Uint8Array>;
  /** Endorses without submitting (the first half of submit). */
  endorse(
    identity: ClientIdentity,
    transactionName: string,
    options?: ProposalOptions,
  ): Promise<EndorsedTransaction>;
  /**
   * The number of the block that holds a committed transaction, or undefined if none does: how
   * provenance answers "when" in ledger terms, since transaction times are chosen by clients.
   */
  blockOf(identity: ClientIdentity, transactionId: string): Promise<bigint | undefined>;
  /** A transaction on the ledger with its validation code and result, or undefined if no block holds it. */
  committedTransaction(
    identity: ClientIdentity,
    transactionId: string,
  ): Promise<CommittedTransaction | undefined>;
  /** The number of the next block to be committed (the channel height, as qscc's GetChainInfo gives it). */
  chainHeight(): Promise<bigint>;
  /** Chaincode events in commit order, from a checkpoint; ends when the signal aborts or the ledger closes. */
  events(options?: EventsOptions): AsyncIterable<ChaincodeEvent>;
  close(): Promise<void>;
}

export interface ErrorDetail {
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** gRPC status codes that fabric-gateway errors carry. */
export const GrpcStatus = {
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
} as const;

const grpcName: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus).map(([name, code]) => [code, name]),
);

/** Base of every ledger error: gRPC code and per-endorser details, as fabric-gateway's GatewayError. */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  constructor(
    readonly code: number,
    /** The message without its gRPC code prefix. */
    readonly detail: string,
    readonly details: readonly ErrorDetail[] = [],
    readonly transactionId?: string,
  ) {
    super(`${code} ${grpcName[code] ?? 'UNKNOWN'}: ${detail}`);
  }
}

/** Endorsement failed: nothing was ordered. */
export class EndorseError extends GatewayError {
  override readonly name = 'EndorseError';
}

/**
 * The transaction was handed to ordering and no outcome came back (a block that could not be
 * confirmed written, a connection lost while waiting for the commit status): it may be committed
 * yet, or never be. Not a refusal: before writing the same thing again, the submitter must learn the
 * outcome from the ledger, as a keyed write's retry does (its transaction id is the same).
 */
export class OutcomeUnknownError extends GatewayError {
  override readonly name = 'OutcomeUnknownError';
}

/** The transaction was ordered and committed, but is invalid. */
export class CommitError extends Error {
  override readonly name = 'CommitError';
  constructor(
    readonly transactionId: string,
    readonly code: number,
  ) {
    const codeName = Object.entries(TxValidationCode).find(([, c]) => c === code)?.[0] ?? String(code);
    super(`Transaction ${transactionId} failed to commit with status code ${code} (${codeName})`);
  }
}

/** Submits an endorsed transaction and waits for its commit: the second half of every adapter's submit. */
export async function commitEndorsed(transaction: EndorsedTransaction): Promise<SubmitResult> {
  const commit = await transaction.submit();
  const status = await commit.getStatus();
  if (!status.successful) throw new CommitError(status.transactionId, status.code);
  return {
    result: transaction.result,
    transactionId: transaction.transactionId,
    blockNumber: status.blockNumber,
  };
}

/**
 * The transaction id of a proposal a peer refused because that transaction is already on the
 * ledger (Fabric's endorser: "duplicate transaction found [<id>]. Creator [<hex>]"), else undefined.
 */
export function duplicateTransactionId(error: unknown): string | undefined {
  if (!(error instanceof GatewayError)) return undefined;
  for (const message of [error.detail, ...error.details.map((d) => d.message)]) {
    const m = /duplicate transaction found \[([0-9a-f]{64})\]/.exec(message);
    if (m) return m[1];
  }
  return undefined;
}

/** The chaincode's own message inside a ledger error, e.g. a refusal such as "caller PostMSP may not …". */
export function chaincodeMessage(error: GatewayError): string | undefined {
  for (const d of error.details) {
    const m = /^chaincode response \d+, ([\s\S]*)$/.exec(d.message);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Fabric's gateway says this when its endorsers simulated on different ledger heights: one peer
 * had committed a block touching the keys read and the other had not yet (seen on a real network
 * when two organisations write the same consignment within one block interval).
 */
const ENDORSERS_DISAGREE = 'ProposalResponsePayloads do not match';

/**
 * Whether a failed submission may succeed if proposed again (a fresh simulation on newer state):
 * a read conflict at commit, or endorsers that read different versions.
 */
export function isRetryableConflict(error: unknown): boolean {
  if (error instanceof CommitError) {
    return (
      error.code === TxValidationCode.MVCC_READ_CONFLICT ||
      error.code === TxValidationCode.PHANTOM_READ_CONFLICT
    );
  }
  return (
    error instanceof EndorseError &&
    error.code === GrpcStatus.ABORTED &&
    error.details.some((detail) => detail.message.includes(ENDORSERS_DISAGREE))
  );
}

/**
 * Whether a submission refused at commit may be answered otherwise by a new proposal, simulated on
 * the state as it is now: a read conflict (isRetryableConflict), or a key's endorsement policy that
 * a concurrent transaction set after this one was simulated. Fabric checks a written key against its
 * committed key-level policy before it checks reads, so of two creates of the same consignment the
 * second fails on the policies the first gave its keys (ENDORSEMENT_POLICY_FAILURE), not on its stale
 * read; simulated again, it is refused as what it is, a consignment that exists. A policy failure
 * that persists through the attempts is reported as such (403).
 */
export function worthProposingAgain(error: unknown): boolean {
  return (
    isRetryableConflict(error) ||
    (error instanceof CommitError && error.code === TxValidationCode.ENDORSEMENT_POLICY_FAILURE)
  );
}
