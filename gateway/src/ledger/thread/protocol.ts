/*
 * The messages between the gateway's thread and the worker thread that runs the embedded ledger.
 * Everything crosses by structured clone (Uint8Array, bigint and plain objects survive it); errors
 * and identities, which do not, have a wire form of their own here.
 */
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { EmbeddedNetworkOptions } from '../embedded/network.js';
import type { CacheUsage } from '../embedded/store.js';
import {
  CommitError,
  EndorseError,
  GatewayError,
  OutcomeUnknownError,
  type CommitStatus,
  type CommittedTransaction,
  type ErrorDetail,
  type EventsOptions,
  type ProposalOptions,
  type SubmitResult,
  type ChaincodeEvent,
} from '../port.js';

/** What the worker is started with (its workerData). */
export type LedgerThreadData = EmbeddedNetworkOptions;

/** A client identity issued by the ledger thread: its key stays there, the gateway names it by ref. */
export interface IdentityHandle {
  readonly ref: number;
  readonly mspId: string;
  readonly certificate: string;
}

type Proposal = [identity: number, transactionName: string, options: ProposalOptions];

/** The calls the ledger thread answers: arguments and result of each. */
export interface LedgerThreadCalls {
  evaluate: { args: Proposal; result: Uint8Array };
  submit: { args: Proposal; result: SubmitResult };
  /** The first half of submit; the transaction waits in the ledger thread until submitted or discarded. */
  endorse: { args: Proposal; result: { transactionId: string; result: Uint8Array } };
  submitEndorsed: { args: [transactionId: string]; result: null };
  commitStatus: { args: [transactionId: string]; result: CommitStatus };
  /** Forgets an endorsed or submitted transaction the gateway no longer holds. */
  discard: { args: [transactionId: string]; result: null };
  blockOf: { args: [identity: number, transactionId: string]; result: bigint | undefined };
  committedTransaction: {
    args: [identity: number, transactionId: string];
    result: CommittedTransaction | undefined;
  };
  chainHeight: { args: []; result: bigint };
  enrolUser: {
    args: [mspId: string, user: string, attrs: Record<string, string>];
    result: IdentityHandle;
  };
  sign: { args: [identity: number, message: Uint8Array]; result: Uint8Array };
  cacheUsage: { args: []; result: CacheUsage };
  close: { args: []; result: null };
}
export type LedgerThreadMethod = keyof LedgerThreadCalls;

export type CallMessage = {
  [M in LedgerThreadMethod]: {
    readonly kind: 'call';
    readonly id: number;
    readonly method: M;
    readonly args: LedgerThreadCalls[M]['args'];
  };
}[LedgerThreadMethod];

/** Gateway → ledger thread. Event streams are flow-controlled by credit: one event per unit. */
export type ToLedgerThread =
  | CallMessage
  | {
      readonly kind: 'subscribe';
      readonly stream: number;
      readonly options: Omit<EventsOptions, 'signal'>;
      readonly credit: number;
    }
  | { readonly kind: 'credit'; readonly stream: number; readonly credit: number }
  | { readonly kind: 'unsubscribe'; readonly stream: number };

/** Ledger thread → gateway. */
export type FromLedgerThread =
  | { readonly kind: 'ready'; readonly network: NetworkConfig }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'event'; readonly stream: number; readonly event: ChaincodeEvent }
  | { readonly kind: 'end'; readonly stream: number; readonly error?: WireError }
  /** Opening the network failed: the worker exits after sending this. */
  | { readonly kind: 'failed'; readonly error: WireError };

/** An error as it crosses threads: the ledger's own error classes keep their class and fields. */
export type WireError =
  | {
      readonly type: 'GatewayError' | 'EndorseError' | 'OutcomeUnknownError';
      readonly code: number;
      readonly detail: string;
      readonly details: readonly ErrorDetail[];
      readonly transactionId?: string;
      readonly stack?: string;
    }
  | {
      readonly type: 'CommitError';
      readonly transactionId: string;
      readonly code: number;
      readonly stack?: string;
    }
  | {
      readonly type: 'Error';
      readonly name: string;
      readonly message: string;
      readonly code?: string;
      /** A file system error's call and file (what it refused in the data directory). */
      readonly syscall?: string;
      readonly path?: string;
      readonly stack?: string;
      /** What it was caused by (LevelDB's open failure carries LEVEL_LOCKED there). */
      readonly cause?: WireError;
    };

export function toWire(error: unknown): WireError {
  if (error instanceof GatewayError) {
    return {
      type:
        error instanceof EndorseError
          ? 'EndorseError'
          : error instanceof OutcomeUnknownError
            ? 'OutcomeUnknownError'
            : 'GatewayError',
      code: error.code,
      detail: error.detail,
      details: error.details,
      transactionId: error.transactionId,
      stack: error.stack,
    };
  }
  if (error instanceof CommitError) {
    return { type: 'CommitError', transactionId: error.transactionId, code: error.code, stack: error.stack };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const { code, syscall, path } = e as { code?: unknown; syscall?: unknown; path?: unknown };
  return {
    type: 'Error',
    name: e.name,
    message: e.message,
    code: typeof code === 'string' ? code : undefined,
    syscall: typeof syscall === 'string' ? syscall : undefined,
    path: typeof path === 'string' ? path : undefined,
    stack: e.stack,
    ...(e.cause === undefined ? {} : { cause: toWire(e.cause) }),
  };
}

/** The error as the ledger thread threw it; its stack is the ledger thread's, where it arose. */
export function fromWire(wire: WireError): Error {
  let error: Error;
  switch (wire.type) {
    case 'GatewayError':
    case 'EndorseError':
    case 'OutcomeUnknownError': {
      const Class = { GatewayError, EndorseError, OutcomeUnknownError }[wire.type];
      error = new Class(wire.code, wire.detail, wire.details, wire.transactionId);
      break;
    }
    case 'CommitError':
      error = new CommitError(wire.transactionId, wire.code);
      break;
    default:
      error = Object.assign(
        new Error(wire.message, wire.cause === undefined ? {} : { cause: fromWire(wire.cause) }),
        Object.fromEntries(
          (['code', 'syscall', 'path'] as const).flatMap((field) =>
            wire[field] === undefined ? [] : [[field, wire[field]]],
          ),
        ),
      );
      error.name = wire.name;
  }
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
