import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
}

/** Loads on mount and whenever `key` changes; a newer load wins over a slower older one. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loader.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !controller.signal.aborted && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A page of a list the gateway gives by pages (a consignment's history, an access log). */
export interface Page<T> {
  readonly entries: readonly T[];
  readonly hasMore: boolean;
  readonly next: string | null;
}

export interface Pages<T> {
  /** The entries of the pages loaded so far, in order; undefined until the first page came. */
  readonly entries: readonly T[] | undefined;
  readonly error: Error | undefined;
  readonly hasMore: boolean;
  showMore(): Promise<void>;
}

/**
 * The first page of a list (`load` with no cursor), loaded as useLoad does with `key`, and the next
 * ones when asked for. Pages after the first are kept with the first page they continue: a reload
 * starts again from the first.
 */
export function usePages<T>(
  load: (after: string | undefined, signal?: AbortSignal) => Promise<Page<T>>,
  key: string,
): Pages<T> {
  const first = useLoad((signal) => load(undefined, signal), key);
  const [later, setLater] = useState<{ after: Page<T>; pages: Page<T>[] }>();
  const [moreError, setMoreError] = useState<Error>();
  const pages = first.data ? [first.data, ...(later?.after === first.data ? later.pages : [])] : [];
  const last = pages.at(-1);
  const showMore = async () => {
    if (!first.data || !last?.next) return;
    setMoreError(undefined);
    try {
      const page = await load(last.next);
      setLater({ after: first.data, pages: [...pages.slice(1), page] });
    } catch (error) {
      setMoreError(error as Error);
    }
  };
  return {
    entries: first.data ? pages.flatMap((p) => p.entries) : undefined,
    error: first.error ?? moreError,
    hasMore: last?.hasMore ?? false,
    showMore,
  };
}

/** The button under a paged list while more pages follow. */
export function ShowMore({ pages }: { pages: Pages<unknown> }) {
  const [asked, setAsked] = useState(false);
  const end = useRef<HTMLParagraphElement>(null);
  // The button goes with the last page: focus goes to what stands in its place, not to the page's top.
  useEffect(() => {
    if (asked && !pages.hasMore) end.current?.focus();
  }, [asked, pages.hasMore]);
  if (!pages.hasMore) {
    return asked ? (
      <p className="muted small" tabIndex={-1} ref={end}>
        End of the list.
      </p>
    ) : null;
  }
  return (
    <button
      type="button"
      onClick={() => {
        setAsked(true);
        void pages.showMore();
      }}
    >
      Show more
    </button>
  );
}

/** A select's options for codes such as `payment_proof`, each shown in words. */
export function CodeOptions({ codes }: { codes: readonly string[] }) {
  return (
    <>
      {codes.map((code) => (
        <option key={code} value={code}>
          {code.replace(/_/g, ' ')}
        </option>
      ))}
    </>
  );
}

/** The purpose the user states for its reads of personal data: nothing for a user that has none to state. */
export function PurposeSelect({
  id,
  purposes,
  value,
  onChange,
}: {
  id: string;
  purposes: readonly string[];
  value: string;
  onChange: (purpose: string) => void;
}) {
  if (purposes.length === 0) return null;
  return (
    <div className="field">
      <label htmlFor={id}>Purpose of your reads</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <CodeOptions codes={purposes} />
      </select>
    </div>
  );
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const status = error instanceof ApiError ? `${error.status} ${error.title}: ` : '';
  return (
    <p className="error" role="alert">
      {status}
      {error.message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

export function Badge({ kind, value }: { kind: 'lane' | 'status' | 'match' | 'ok'; value: string }) {
  return <span className={`badge ${kind}-${value.replace(/\W/g, '_')}`}>{value.replace(/_/g, ' ')}</span>;
}

export const formatTime = (iso: unknown): string =>
  typeof iso === 'string' && iso
    ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' })
    : '—';

export const formatMoney = (amount: unknown, currency: string): string =>
  typeof amount === 'number' ? `${amount.toFixed(2)} ${currency}` : '—';

/** A shortened hash or transaction id, the full one in the tooltip. */
export function Hash({ value }: { value: unknown }) {
  if (typeof value !== 'string' || !value) return <span>—</span>;
  return <code title={value}>{value.slice(0, 12)}…</code>;
}

/**
 * Asks before a consequential action. The native modal dialog traps focus, closes on Escape and
 * gives focus back to the button that opened it.
 */
export function ConfirmButton({
  label,
  title,
  children,
  onConfirm,
  className,
  disabled,
}: {
  label: string;
  title: string;
  children?: ReactNode;
  onConfirm: () => Promise<void>;
  className?: string;
  disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const headingId = `confirm-${label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        onClick={() => {
          // Opened anew: the last try's refusal is not this one's.
          setError(undefined);
          dialog.current?.showModal();
          // What the dialog confirms is recorded for good: Enter straight away must not do it.
          cancel.current?.focus();
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={headingId}>
        <h2 id={headingId}>{title}</h2>
        {children}
        <ErrorNote error={error} />
        <div className="row">
          <button type="button" className="primary" disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Working…' : `Confirm: ${label}`}
          </button>
          <button type="button" ref={cancel} onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/** The pseudonymous id a party is known by on the ledger, typed or pasted. */
export function PartyIdField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field grow">
      <label htmlFor={id}>Party id (64 hex characters)</label>
      <input
        id={id}
        value={value}
        // Pasted with spaces or line breaks, or in capitals: the same id.
        onChange={(e) => onChange(e.target.value.replace(/\s+/g, '').toLowerCase())}
        pattern="[0-9a-f]{64}"
        title="64 characters, each 0-9 or a-f"
        required
      />
    </div>
  );
}
