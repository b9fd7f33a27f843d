/*
 * The gateway's side of the ledger thread (ledger-thread.ts): a LedgerPort whose calls run the
 * embedded ledger on another core. A read or write costs the gateway's thread only the HTTP work
 * around it and two structured-clone messages; proposals, simulations, signatures, validation and
 * LevelDB are the worker's.
 */
import { Worker } from 'node:worker_threads';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { AsyncQueue } from '../embedded/async-queue.js';
import type { CacheUsage } from '../embedded/store.js';
import {
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  type ChaincodeEvent,
  type ClientIdentity,
  type Commit,
  type CommitStatus,
  type CommittedTransaction,
  type EndorsedTransaction,
  type EventsOptions,
  type LedgerPort,
  type ProposalOptions,
  type SubmitResult,
} from '../port.js';
import {
  fromWire,
  type FromLedgerThread,
  type LedgerThreadCalls,
  type LedgerThreadData,
  type LedgerThreadMethod,
  type ToLedgerThread,
} from './protocol.js';

/** Events a subscription may have in flight: enough to keep the stream busy, bounded when it is not read. */
const EVENT_CREDIT = 256;

interface Call {
  /** For a call that, once sent, may have handed a transaction to ordering: which, where known. */
  readonly submission?: { readonly transactionId?: string };
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * A call that may hand a transaction to ordering, whose outcome a stop of the thread leaves unknown,
 * with the transaction where the call names it (a whole submit is endorsed in the thread).
 */
function submissionOf(method: LedgerThreadMethod, args: readonly unknown[]): Call['submission'] {
  if (method === 'submit') return {};
  if (method === 'submitEndorsed' || method === 'commitStatus') return { transactionId: args[0] as string };
  return undefined;
}

interface Subscription {
  push(event: ChaincodeEvent): void;
  end(error?: Error): void;
}

export interface WorkerLedgerOptions {
  /** Called once if the ledger thread stops without being closed (every later call fails with UNAVAILABLE). */
  readonly onStopped?: (error: Error) => void;
}

/** The embedded ledger on its own thread, as a LedgerPort. */
export class WorkerLedger implements LedgerPort {
  private readonly calls = new Map<number, Call>();
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly refs = new WeakMap<ClientIdentity, number>();
  /** Endorsed transactions and commits the caller dropped without finishing: the thread forgets them. */
  private readonly abandoned = new FinalizationRegistry<string>((transactionId) => {
    if (!this.stopped) this.call('discard', transactionId).catch(() => undefined);
  });
  private nextId = 0;
  /** Until the thread has opened the network (or failed to): how to settle `started`. */
  private startup?: { resolve(network: NetworkConfig): void; reject(error: Error): void };
  private readonly started = new Promise<NetworkConfig>(
    (resolve, reject) => (this.startup = { resolve, reject }),
  );
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly options: WorkerLedgerOptions,
  ) {
    worker.on('message', (message: FromLedgerThread) => this.receive(message));
    worker.on('error', (error) => this.stop(error));
    worker.on('exit', (code) => this.stop(new Error(`ledger thread exited with code ${code}`)));
  }

  /** Starts the thread, which opens the embedded network; resolves once it serves calls. */
  static async open(
    data: LedgerThreadData,
    options: WorkerLedgerOptions = {},
  ): Promise<{ ledger: WorkerLedger; network: NetworkConfig }> {
    const worker = startLedgerThread(data);
    const ledger = new WorkerLedger(worker, options);
    const network = await ledger.started.catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return { ledger, network };
  }

  /** Issues (or loads) a user's identity in the ledger thread; its key stays there. */
  async enrolUser(
    mspId: string,
    user: string,
    attrs: Readonly<Record<string, string>>,
  ): Promise<ClientIdentity> {
    const handle = await this.call('enrolUser', mspId, user, { ...attrs });
    const identity: ClientIdentity = {
      mspId: handle.mspId,
      certificate: handle.certificate,
      sign: (message) => this.call('sign', handle.ref, message),
    };
    this.refs.set(identity, handle.ref);
    return identity;
  }

  async evaluate(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<Uint8Array> {
    return this.call('evaluate', this.ref(identity), transactionName, options);
  }

  async submit(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<SubmitResult> {
    return this.call('submit', this.ref(identity), transactionName, options);
  }

  async endorse(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<EndorsedTransaction> {
    const { transactionId, result } = await this.call(
      'endorse',
      this.ref(identity),
      transactionName,
      options,
    );
    let submitted = false;
    const transaction: EndorsedTransaction = {
      transactionId,
      result,
      submit: async (): Promise<Commit> => {
        if (submitted) throw new Error(`transaction ${transactionId} was already submitted`);
        submitted = true;
        this.abandoned.unregister(transaction);
        await this.call('submitEndorsed', transactionId);
        let status: Promise<CommitStatus> | undefined;
        const commit: Commit = {
          transactionId,
          getStatus: () => (status ??= this.call('commitStatus', transactionId)),
        };
        this.abandoned.register(commit, transactionId);
        return commit;
      },
    };
    this.abandoned.register(transaction, transactionId, transaction);
    return transaction;
  }

  async blockOf(identity: ClientIdentity, transactionId: string): Promise<bigint | undefined> {
    return this.call('blockOf', this.ref(identity), transactionId);
  }

  committedTransaction(
    identity: ClientIdentity,
    transactionId: string,
  ): Promise<CommittedTransaction | undefined> {
    return this.call('committedTransaction', this.ref(identity), transactionId);
  }

  chainHeight(): Promise<bigint> {
    return this.call('chainHeight');
  }

  /** What the ledger thread's store caches hold now, and their budget. */
  cacheUsage(): Promise<CacheUsage> {
    return this.call('cacheUsage');
  }

  async *events(options: EventsOptions = {}): AsyncIterable<ChaincodeEvent> {
    const { signal, ...wanted } = options;
    if (this.stopped) throw unavailable(this.stopped);
    if (signal?.aborted) return;
    const stream = ++this.nextId;
    const queue = new AsyncQueue<ChaincodeEvent>();
    let ended: { error?: Error } | undefined;
    this.subscriptions.set(stream, {
      push: (event) => queue.push(event),
      end: (error) => {
        ended = { error };
        queue.close();
      },
    });
    const abort = (): void => queue.close();
    signal?.addEventListener('abort', abort);
    this.post({ kind: 'subscribe', stream, options: wanted, credit: EVENT_CREDIT });
    let consumed = 0;
    try {
      for await (const event of queue) {
        if (signal?.aborted) return;
        // Credit goes back in halves, so that the thread rarely waits and a message carries many.
        if (++consumed === EVENT_CREDIT / 2) {
          this.post({ kind: 'credit', stream, credit: consumed });
          consumed = 0;
        }
        yield event;
      }
      if (ended?.error && !signal?.aborted) throw ended.error;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.subscriptions.delete(stream);
      if (!ended && !this.stopped) this.post({ kind: 'unsubscribe', stream });
    }
  }

  /** Closes the ledger (its blocks in flight commit first) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped) return;
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      await this.call('close');
      await exited;
    })();
    return this.closing;
  }

  private ref(identity: ClientIdentity): number {
    const ref = this.refs.get(identity);
    if (ref === undefined) {
      throw new TypeError(`identity of ${identity.mspId} was not issued by this ledger (use its enrolUser)`);
    }
    return ref;
  }

  private call<M extends LedgerThreadMethod>(
    method: M,
    ...args: LedgerThreadCalls[M]['args']
  ): Promise<LedgerThreadCalls[M]['result']> {
    return new Promise((resolve, reject) => {
      const submission = submissionOf(method, args);
      if (this.stopped) {
        // A commit status is asked of a transaction already submitted: its outcome is what is unknown.
        return reject(
          method === 'commitStatus' ? outcomeUnknown(this.stopped, submission) : unavailable(this.stopped),
        );
      }
      const id = ++this.nextId;
      this.calls.set(id, { submission, resolve: resolve as (value: unknown) => void, reject });
      this.post({ kind: 'call', id, method, args } as ToLedgerThread);
    });
  }

  private post(message: ToLedgerThread): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromLedgerThread): void {
    switch (message.kind) {
      case 'ready':
        this.startup?.resolve(message.network);
        this.startup = undefined;
        return;
      case 'failed': {
        const error = fromWire(message.error);
        // The thread exits next; that exit is this failure to open, not the stop of an open ledger.
        this.stopped = error;
        this.startup?.reject(error);
        this.startup = undefined;
        return;
      }
      case 'result':
      case 'error': {
        const call = this.calls.get(message.id);
        this.calls.delete(message.id);
        if (message.kind === 'result') call?.resolve(message.value);
        else call?.reject(fromWire(message.error));
        return;
      }
      case 'event':
        this.subscriptions.get(message.stream)?.push(message.event);
        return;
      case 'end':
        this.subscriptions.get(message.stream)?.end(message.error && fromWire(message.error));
        return;
    }
  }

  /** The thread is gone: whatever waits on it fails as a ledger that cannot be reached. */
  private stop(cause: Error): void {
    if (this.stopped) return;
    this.stopped = cause;
    const error = unavailable(cause);
    for (const call of this.calls.values()) {
      call.reject(call.submission ? outcomeUnknown(cause, call.submission) : error);
    }
    this.calls.clear();
    for (const subscription of this.subscriptions.values()) subscription.end(error);
    if (this.startup) this.startup.reject(cause);
    else if (!this.closing) this.options.onStopped?.(cause);
  }
}

function unavailable(cause: Error): GatewayError {
  return new GatewayError(GrpcStatus.UNAVAILABLE, `the ledger thread stopped: ${cause.message}`);
}

function outcomeUnknown(cause: Error, submission: Call['submission']): OutcomeUnknownError {
  return new OutcomeUnknownError(
    GrpcStatus.UNAVAILABLE,
    `the ledger thread stopped while a transaction was submitted, so whether it committed is not known: ${cause.message}`,
    [],
    submission?.transactionId,
  );
}

/**
 * From the compiled gateway the thread runs ledger-thread.js. From TypeScript sources (the tests,
 * tsx) a worker does not inherit the parent's loader, so it registers tsx before importing the entry.
 */
function startLedgerThread(data: LedgerThreadData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./ledger-thread.js', import.meta.url), { workerData: data });
  }
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./ledger-thread.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, workerData: data },
  );
}
