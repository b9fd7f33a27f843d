/**
 * Fabric's block cutter: transactions are batched into a block when the batch reaches its size
 * limit or when the batch timeout has passed since its first transaction.
 */
export class Orderer<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: { readonly maxBatchSize: number; readonly batchTimeoutMs: number },
    private readonly deliver: (batch: T[]) => void,
  ) {}

  broadcast(item: T): void {
    this.pending.push(item);
    if (this.pending.length >= this.config.maxBatchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.config.batchTimeoutMs);
  }

  /** Cuts whatever is pending into a block now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.deliver(batch);
  }
}
