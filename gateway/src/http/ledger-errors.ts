import {
  chaincodeMessage,
  CommitError,
  isRetryableConflict,
  EndorseError,
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  TxValidationCode,
} from '../ledger/port.js';
import { HttpProblem } from './problem.js';

/**
 * The chaincode refuses with a sentence; these patterns give it its HTTP status, and where the
 * sentence is about one request field, where that field is. Order matters: the first match wins.
 * Anything else the chaincode refuses is a 422 (a business rule).
 */
const REFUSALS: readonly (readonly [RegExp, number, string?])[] = [
  // A cursor the chaincode finds no entry for: made up, not one of this list's.
  [/^the (history|access log) cursor /, 400, '/query/after'],
  [
    / is not allowed for | cannot read the | is not a member of collection |governance identity|not a governance/,
    403,
  ],
  // A participant may act, but not in this part of the consignment: "only the carrier of return R
  // (PostMSP) may …", "… is bound to payment provider P; A cannot act as its payment provider". An
  // organisation that takes no part in it is told it does not exist or is not visible (404).
  [/^only the [a-z ]+ of (consignment|return) | cannot act as its /, 403],
  // A disclosure of a field its purpose does not need (domain/minimisation.ts assertDisclosable).
  [/ may not be disclosed for purpose /, 403],
  // A disclosure asked for a path its record does not hold, or for a field an erasure took (merkle.ts discloseLeaves).
  [/^no field at path |^field '.*' was erased: only its hash remains$/, 400],
  // Personal data purged at the end of its retention or on request: the commitment stays, the data is gone.
  [/ was erased \(transaction /, 410],
  [/ is not visible to /, 404],
  [/ does not exist| is not registered|has no \w+ record/, 404],
  [
    / already exists| is already used by |already initialised| was already (refunded|decided)$| left to erase \(already erased/,
    409,
  ],
  // A step the consignment's status does not allow: a conflict with its state, as a refused transition is.
  [
    /^cannot apply | cannot change in status | in status '[a-z_]+' cannot be returned;| is refused while it is in status '| is [a-z_]+, not referred: |: its records are final, nothing to assess$|^retention of .+ has not started: | is under legal hold \(status '/,
    409,
  ],
  // The peer's copy of private data no longer hashes to the root its block committed (a damaged or
  // altered store): not the caller's doing, and nothing is handed out; the operator must look.
  [/ does not match its committed root$/, 500],
];

export function statusForRefusal(message: string): number {
  return refusalRule(message)?.[1] ?? 422;
}

const refusalRule = (message: string) => REFUSALS.find(([pattern]) => pattern.test(message));

function refusalProblem(refusal: string): HttpProblem {
  const pointer = refusalRule(refusal)?.[2];
  return new HttpProblem(
    statusForRefusal(refusal),
    refusal,
    pointer === undefined ? {} : { errors: [{ pointer, message: refusal }] },
  );
}

const RETRY_AFTER_SECONDS = '2';

/** A peer gave up on a simulation (Fabric's execute timeout): nothing was endorsed or ordered. */
const EXECUTE_TIMEOUT = 'timeout expired while executing transaction';

/**
 * The ledger refused the identity the gateway signs with because its certificate has expired (the
 * embedded ledger's proposal: "identity expired"; Fabric's orderer: "broadcast client identity
 * expired"). Not the client's doing, nor a fault in the code: the operator must renew it.
 */
const IDENTITY_EXPIRED = / identity expired\b/;

const timedOut = (error: GatewayError): boolean =>
  error.detail.includes(EXECUTE_TIMEOUT) || error.details.some((d) => d.message.includes(EXECUTE_TIMEOUT));

/**
 * Whether a write failed after the ledger took its transaction, whose outcome is then unknown (it
 * may yet commit), and which transaction that was where the ledger said.
 */
export function unconfirmedTransaction(error: unknown): { readonly txId?: string } | undefined {
  if (!(error instanceof OutcomeUnknownError)) return undefined;
  return error.transactionId === undefined ? {} : { txId: error.transactionId };
}

/**
 * Ledger errors as HTTP problems: a chaincode refusal is the client's problem (4xx with the
 * chaincode's own words); a ledger that cannot be reached is 503 with Retry-After.
 */
export function problemFromLedgerError(error: unknown): HttpProblem | undefined {
  if (isRetryableConflict(error)) {
    return new HttpProblem(409, 'the record was changed by a concurrent transaction; retry the request', {
      headers: { 'Retry-After': '0' },
      extensions: { txId: (error as CommitError | EndorseError).transactionId },
    });
  }
  if (error instanceof CommitError) {
    if (error.code === TxValidationCode.ENDORSEMENT_POLICY_FAILURE) {
      return new HttpProblem(403, 'the transaction does not satisfy the endorsement policy', {
        extensions: { txId: error.transactionId },
      });
    }
    return new HttpProblem(422, error.message, { extensions: { txId: error.transactionId } });
  }
  if (error instanceof OutcomeUnknownError) {
    const transaction =
      error.transactionId === undefined ? 'the transaction' : `transaction ${error.transactionId}`;
    return new HttpProblem(
      503,
      `the ledger took ${transaction} but did not confirm it: it may yet be committed. Retry under the same Idempotency-Key, which is answered from the ledger if it was; without one, read what it wrote before sending it again`,
      {
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        ...(error.transactionId === undefined ? {} : { extensions: { txId: error.transactionId } }),
      },
    );
  }
  if (error instanceof GatewayError) {
    const refusal = chaincodeMessage(error);
    if (refusal !== undefined) return refusalProblem(refusal);
    if (IDENTITY_EXPIRED.test(error.detail)) {
      return new HttpProblem(
        503,
        `the ledger refuses the identity this gateway signs with for the caller's organisation: ${error.detail}; the gateway's operator must renew its certificate`,
      );
    }
    if (timedOut(error)) {
      return new HttpProblem(
        504,
        'the ledger did not complete the transaction in time; nothing was written; retry later',
        {
          headers: { 'Retry-After': RETRY_AFTER_SECONDS },
        },
      );
    }
    if (
      error.code === GrpcStatus.UNAVAILABLE ||
      error.code === GrpcStatus.DEADLINE_EXCEEDED ||
      error.code === GrpcStatus.FAILED_PRECONDITION
    ) {
      return new HttpProblem(503, 'the ledger is not available; retry later', {
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      });
    }
  }
  return undefined;
}
