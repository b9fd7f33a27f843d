import {
  CommitError as FabricCommitError,
  CommitStatusError as FabricCommitStatusError,
  EndorseError as FabricEndorseError,
  GatewayError as FabricGatewayError,
} from '@hyperledger/fabric-gateway';
import {
  CommitError,
  EndorseError,
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  type ErrorDetail,
} from '../port.js';

/** gRPC status codes beyond the port's table, for classifying stream failures. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC ServiceError as @grpc/grpc-js produces it (only the fields used here). */
interface ServiceErrorLike {
  readonly code: number;
  readonly details: string;
  readonly message: string;
}

function isServiceErrorLike(error: unknown): error is Error & ServiceErrorLike {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceErrorLike>).code === 'number' &&
    typeof (error as Partial<ServiceErrorLike>).details === 'string'
  );
}

/** The text after grpc-js's `<code> <NAME>: ` prefix. */
function detailOf(error: { message: string; cause?: unknown }): string {
  if (isServiceErrorLike(error.cause)) return error.cause.details;
  return error.message.replace(/^\d+ [A-Z_]+: /, '');
}

function copyDetails(details: readonly { address: string; mspId: string; message: string }[]): ErrorDetail[] {
  return details.map(({ address, mspId, message }) => ({ address, mspId, message }));
}

/**
 * Fabric's exact message is kept, even for a code the port's name table does not know;
 * the original error stays reachable as `cause`.
 */
function keep<E extends Error>(mapped: E, original: Error): E {
  if (original.message && mapped.message !== original.message) mapped.message = original.message;
  mapped.cause = original;
  return mapped;
}

/**
 * A fabric-gateway error as the port's error, with the same code, message, per-endorser details
 * and transaction id, so the services cannot tell the Fabric adapter from the embedded ledger:
 *
 * - EndorseError → EndorseError (nothing was ordered);
 * - SubmitError, CommitStatusError, GatewayError → GatewayError;
 * - CommitError → CommitError with the TxValidationCode;
 * - a bare gRPC ServiceError → GatewayError with its code.
 *
 * Anything else (a programming error, a signer failure) is returned unchanged.
 */
export function toLedgerError(error: unknown): unknown {
  if (error instanceof GatewayError || error instanceof CommitError) return error;
  if (error instanceof FabricCommitError) {
    return keep(new CommitError(error.transactionId, error.code), error);
  }
  if (error instanceof FabricEndorseError) {
    return keep(
      new EndorseError(error.code, detailOf(error), copyDetails(error.details), error.transactionId),
      error,
    );
  }
  if (error instanceof FabricGatewayError) {
    // SubmitError and CommitStatusError carry the transaction id too.
    const transactionId = (error as Partial<FabricCommitStatusError>).transactionId;
    return keep(
      new GatewayError(
        error.code,
        detailOf(error),
        copyDetails(error.details),
        typeof transactionId === 'string' ? transactionId : undefined,
      ),
      error,
    );
  }
  if (isServiceErrorLike(error)) {
    return keep(new GatewayError(error.code, error.details), error);
  }
  return error;
}

/**
 * A Submit or CommitStatus failure that leaves the outcome unknown (isOutcomeUnknown), in the
 * port's terms: the transaction may be committed yet.
 */
export function toOutcomeUnknown(error: unknown): unknown {
  const mapped = toLedgerError(error);
  if (!(mapped instanceof GatewayError)) return mapped;
  const unknown = new OutcomeUnknownError(mapped.code, mapped.detail, mapped.details, mapped.transactionId);
  return keep(unknown, mapped.cause instanceof Error ? mapped.cause : mapped);
}

/** A failure to reach a peer at all, in the port's terms: gRPC UNAVAILABLE. */
export function unavailable(detail: string, cause?: unknown): GatewayError {
  const error = new GatewayError(GrpcStatus.UNAVAILABLE, detail);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** The gRPC code of a fabric-gateway error, a port error or a bare gRPC ServiceError. */
function codeOf(error: unknown): number | undefined {
  if (error instanceof FabricGatewayError || error instanceof GatewayError) return error.code;
  return isServiceErrorLike(error) ? error.code : undefined;
}

/**
 * Whether a Submit or CommitStatus call that failed with this error leaves the transaction's outcome
 * unknown: a deadline, a connection that failed or dropped, a peer or orderer that failed inside
 * may all have come after the orderer accepted the transaction. An orderer's own refusal (ABORTED)
 * and a malformed or forbidden request are answers.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  const code = codeOf(error);
  const unknown: readonly (number | undefined)[] = [
    GrpcCode.CANCELLED,
    GrpcCode.UNKNOWN,
    GrpcCode.DEADLINE_EXCEEDED,
    GrpcCode.INTERNAL,
    GrpcCode.UNAVAILABLE,
  ];
  return unknown.includes(code);
}

/**
 * Whether an event stream that failed with this error may be reopened: transport failures and a
 * peer shutting down (Fabric returns ABORTED when its ledger iterator closes) are transient;
 * permission, argument and not-found errors are not.
 */
export function isTransientStreamError(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  const transient: readonly number[] = [
    GrpcCode.CANCELLED,
    GrpcCode.UNKNOWN,
    GrpcCode.DEADLINE_EXCEEDED,
    GrpcCode.RESOURCE_EXHAUSTED,
    GrpcCode.ABORTED,
    GrpcCode.INTERNAL,
    GrpcCode.UNAVAILABLE,
  ];
  return transient.includes(code);
}
