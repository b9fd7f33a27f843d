/**
 * An async queue: producers push, one consumer iterates until closed. With a limit, a push that
 * finds it full drops what it holds and closes it, marked `overflowed`: a consumer that fell that
 * far behind reads from where the items are kept instead (see EmbeddedLedger.events).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;
  overflowed = false;

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  push(item: T): void {
    if (this.closed) return;
    if (this.items.length >= this.limit) {
      this.items = [];
      this.overflowed = true;
      this.close();
      return;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  close(): void {
    this.closed = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
