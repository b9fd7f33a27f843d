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
