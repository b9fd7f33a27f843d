/**
 * Fabric's block cutter: transactions are batched into a block when the batch reaches its size
 * limit or when the batch timeout has passed since its first transaction. One difference: while
 * the committing peer is still busy with the previous block, a timed-out batch keeps filling until
 * the peer is free (group commit); one process has one committer, so cutting earlier would only
 * queue small blocks behind it, each with its own fsync.
 */
export class Orderer<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly config: { readonly maxBatchSize: number; readonly batchTimeoutMs: number },
    private readonly deliver: (batch: T[]) => void,
    private readonly committerBusy: () => boolean,
  ) {}

  broadcast(item: T): void {
    this.pending.push(item);
    if (this.pending.length >= this.config.maxBatchSize) this.flush();
    else this.timer ??= setTimeout(() => this.onTimeout(), this.config.batchTimeoutMs);
  }

  /** Called when the committer has finished a block: a batch that timed out meanwhile is cut now. */
  committerIdle(): void {
    if (this.timedOut) this.flush();
  }

  /** Cuts whatever is pending into a block now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timedOut = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.deliver(batch);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.committerBusy()) this.timedOut = true;
    else this.flush();
  }
}
