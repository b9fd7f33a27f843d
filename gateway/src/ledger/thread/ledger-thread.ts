/*
 * The worker thread that runs the embedded ledger (peers, chaincode, orderer, committer and its
 * LevelDB store), so that simulations, signatures and commits use a core of their own while the
 * gateway's thread serves HTTP. It answers the calls of protocol.ts; the gateway's side is
 * worker-ledger.ts.
 */
import '../chaincode-logging.js';
import { parentPort, workerData } from 'node:worker_threads';
import { openEmbeddedNetwork } from '../embedded/network.js';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { EmbeddedLedger } from '../embedded/embedded-ledger.js';
import type { ClientIdentity, Commit, CommitStatus, EndorsedTransaction } from '../port.js';
import {
  toWire,
  type FromLedgerThread,
  type LedgerThreadCalls,
  type LedgerThreadData,
  type LedgerThreadMethod,
  type ToLedgerThread,
} from './protocol.js';

if (!parentPort) throw new Error('ledger-thread.ts runs as a worker thread (see worker-ledger.ts)');
const port = parentPort;
const send = (message: FromLedgerThread): void => port.postMessage(message);

const opened = await openEmbeddedNetwork(workerData as LedgerThreadData).catch((error: unknown) => {
  send({ kind: 'failed', error: toWire(error) });
  return undefined;
});
if (opened) serve(opened.ledger, opened.network);
else port.close();

function serve(ledger: EmbeddedLedger, network: NetworkConfig): void {
  const identities = new Map<number, ClientIdentity>();
  /** Endorsed, not yet submitted; then submitted, status not yet asked for. Both by transaction id. */
  const endorsed = new Map<string, EndorsedTransaction>();
  const commits = new Map<string, Promise<CommitStatus>>();

  const identity = (ref: number): ClientIdentity => {
    const found = identities.get(ref);
    if (!found) throw new TypeError(`identity ${ref} was not issued by this ledger thread`);
    return found;
  };

  type Handlers = {
    [M in LedgerThreadMethod]: (
      ...args: LedgerThreadCalls[M]['args']
    ) => Promise<LedgerThreadCalls[M]['result']>;
  };

  const handlers: Handlers = {
    evaluate: (ref, name, options) => ledger.evaluate(identity(ref), name, options),
    submit: (ref, name, options) => ledger.submit(identity(ref), name, options),
    endorse: async (ref, name, options) => {
      const transaction = await ledger.endorse(identity(ref), name, options);
      endorsed.set(transaction.transactionId, transaction);
      return { transactionId: transaction.transactionId, result: transaction.result };
    },
    submitEndorsed: async (transactionId) => {
      const transaction = endorsed.get(transactionId);
      if (!transaction)
        throw new Error(`transaction ${transactionId} is not endorsed or was already submitted`);
      endorsed.delete(transactionId);
      const commit: Commit = await transaction.submit();
      const status = commit.getStatus();
      // Held until asked for: a failure nobody has asked about yet is not an unhandled rejection.
      status.catch(() => undefined);
      commits.set(transactionId, status);
      return null;
    },
    commitStatus: async (transactionId) => {
      const status = commits.get(transactionId);
      if (!status) throw new Error(`transaction ${transactionId} was not submitted here`);
      try {
        return await status;
      } finally {
        commits.delete(transactionId);
      }
    },
    discard: async (transactionId) => {
      endorsed.delete(transactionId);
      commits.delete(transactionId);
      return null;
    },
    blockOf: (ref, transactionId) => ledger.blockOf(identity(ref), transactionId),
    committedTransaction: (ref, transactionId) => ledger.committedTransaction(identity(ref), transactionId),
    chainHeight: () => ledger.chainHeight(),
    enrolUser: async (mspId, user, attrs) => {
      const enrolled = await ledger.enrolUser(mspId, user, attrs);
      const ref = identities.size + 1;
      identities.set(ref, enrolled);
      return { ref, mspId: enrolled.mspId, certificate: enrolled.certificate };
    },
    sign: (ref, message) => identity(ref).sign(message),
    cacheUsage: async () => ledger.cacheUsage(),
    close: async () => {
      await ledger.close();
      return null;
    },
  };

  /** Event streams in progress: events are sent while the gateway has credit left for them. */
  interface Stream {
    credit: number;
    wake?: () => void;
    readonly stop: AbortController;
  }
  const streams = new Map<number, Stream>();

  async function stream(id: number, message: Extract<ToLedgerThread, { kind: 'subscribe' }>): Promise<void> {
    const state: Stream = { credit: message.credit, stop: new AbortController() };
    streams.set(id, state);
    try {
      for await (const event of ledger.events({ ...message.options, signal: state.stop.signal })) {
        while (state.credit === 0 && !state.stop.signal.aborted) {
          await new Promise<void>((resolve) => (state.wake = resolve));
        }
        if (state.stop.signal.aborted) break;
        state.credit--;
        send({ kind: 'event', stream: id, event });
      }
      send({ kind: 'end', stream: id });
    } catch (error) {
      send({ kind: 'end', stream: id, error: toWire(error) });
    } finally {
      streams.delete(id);
    }
  }

  port.on('message', (message: ToLedgerThread) => {
    switch (message.kind) {
      case 'call': {
        const handler = handlers[message.method] as (...args: unknown[]) => Promise<unknown>;
        // Inside a promise: a handler that throws at once (an unknown identity) answers like any other.
        Promise.resolve()
          .then(() => handler(...message.args))
          .then(
            (value) => send({ kind: 'result', id: message.id, value }),
            (error: unknown) => send({ kind: 'error', id: message.id, error: toWire(error) }),
          )
          // Once the ledger is closed nothing more will come: the thread ends when its port does.
          .finally(() => message.method === 'close' && port.close());
        return;
      }
      case 'subscribe':
        void stream(message.stream, message);
        return;
      case 'credit': {
        const state = streams.get(message.stream);
        if (!state) return;
        state.credit += message.credit;
        state.wake?.();
        return;
      }
      case 'unsubscribe': {
        const state = streams.get(message.stream);
        state?.stop.abort();
        state?.wake?.();
        return;
      }
    }
  });
  send({ kind: 'ready', network });
}
