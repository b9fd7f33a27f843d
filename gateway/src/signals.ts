/**
 * A signal that aborts when either of two does, and `release()` to detach it from them once it is
 * no longer needed. AbortSignal.any does the first part, but on Node 20 a signal keeps a reference
 * to every signal ever combined with it (its dependants are never pruned): combined with a
 * long-lived signal (the event hub's, the ledger's shutdown) once per stream or per wait, it grows
 * for as long as the process runs.
 */
export function linkedSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const aborted = a.aborted ? a : b.aborted ? b : undefined;
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onA = (): void => controller.abort(a.reason);
  const onB = (): void => controller.abort(b.reason);
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}

/**
 * Resolves when `promise` does or the signal aborts, whichever comes first, leaving nothing
 * attached to either afterwards but a reaction on `promise`. (Racing against one long-lived
 * promise instead adds a reaction to it at every wait, kept until it settles: a subscription that
 * stays open for days held one per event it waited for.)
 */
export function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** A pause that does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
