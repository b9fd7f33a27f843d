/**
 * Fabric's commit lock (the transaction manager's `commitRWLock`): a simulation or query holds it
 * shared from its first read to its last, and a block's state update holds it alone. So no
 * simulation sees part of a block, or reads before a block and after it. A block waiting to commit
 * keeps new simulations out (as Go's RWMutex does), so a steady stream of reads cannot hold commits
 * back forever.
 */
export class CommitLock {
  private simulations = 0;
  /** Set while a block waits for the running simulations, or writes. */
  private committing: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async shared<T>(simulate: () => Promise<T>): Promise<T> {
    while (this.committing) await this.committing;
    this.simulations += 1;
    try {
      return await simulate();
    } finally {
      this.simulations -= 1;
      if (this.simulations === 0) this.drained?.();
    }
  }

  /** Blocks commit one at a time (the committer is sequential); a second overlapping call is a bug. */
  async exclusive(commit: () => Promise<void>): Promise<void> {
    if (this.committing) throw new Error('commit lock: a block is already committing');
    let release!: () => void;
    this.committing = new Promise((resolve) => (release = resolve));
    try {
      if (this.simulations > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      await commit();
    } finally {
      this.committing = undefined;
      release();
    }
  }
}
