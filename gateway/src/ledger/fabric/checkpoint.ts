import { checkpointers, type Checkpointer } from '@hyperledger/fabric-gateway';
import type { ChaincodeEvent, EventsOptions } from '../port.js';

/**
 * A persistent event checkpoint for consumers that must resume after a restart, kept by
 * fabric-gateway's file checkpointer (`checkpointers.file`): the block and transaction of the last
 * event handled. Pass `position()` to `LedgerPort.events()` and `record()` each event once handled;
 * the stream then resumes right after it, with neither a gap nor a duplicate.
 *
 * The file holds `{"blockNumber":"<n>","transactionId":"<txid>"}`. fabric-gateway rewrites it in
 * place; a file left empty by a crash counts as no checkpoint (events are then replayed from the
 * consumer's default start, never skipped).
 */
export class FileCheckpoint {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly checkpointer: Checkpointer,
  ) {}

  static async open(path: string): Promise<FileCheckpoint> {
    try {
      return new FileCheckpoint(path, await checkpointers.file(path));
    } catch (error) {
      throw new Error(`event checkpoint ${path} cannot be used: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The block to resume from, or undefined when nothing was checkpointed yet. */
  get blockNumber(): bigint | undefined {
    return this.checkpointer.getBlockNumber();
  }

  /** The last transaction handled within that block, if any. */
  get transactionId(): string | undefined {
    return this.checkpointer.getTransactionId();
  }

  /**
   * Options for `events()` that resume after the checkpoint; with no checkpoint yet, from
   * `startBlock` (or, when that is undefined too, from the next block to be committed).
   */
  position(startBlock?: bigint): Pick<EventsOptions, 'startBlock' | 'afterTransactionId'> {
    const block = this.blockNumber;
    if (block === undefined) return startBlock === undefined ? {} : { startBlock };
    const afterTransactionId = this.transactionId;
    return afterTransactionId ? { startBlock: block, afterTransactionId } : { startBlock: block };
  }

  /** Marks an event as handled. Writes are serialised in call order. */
  record(event: Pick<ChaincodeEvent, 'blockNumber' | 'transactionId'>): Promise<void> {
    return this.enqueue(() =>
      this.checkpointer.checkpointTransaction(event.blockNumber, event.transactionId),
    );
  }

  /** Marks a whole block as handled: resume from the next one. */
  recordBlock(blockNumber: bigint): Promise<void> {
    return this.enqueue(() => this.checkpointer.checkpointBlock(blockNumber));
  }

  /** Resolves once every pending write has reached the file. */
  flush(): Promise<void> {
    return this.writes;
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write);
    this.writes = next.catch(() => undefined);
    return next;
  }
}
