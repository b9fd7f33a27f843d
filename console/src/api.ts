/** The gateway's API as the console uses it: one bearer token, problem documents as errors. */

export interface Me {
  readonly user: string;
  readonly mspId: string;
  /** The organisation's role on the network: platform, payment, post, express, customs, auditor. */
  readonly orgRole: string;
  /** The user's role within the organisation: operator, officer, service, auditor, governance. */
  readonly role: string;
  readonly authMethod: 'api-key' | 'jwt';
  /** The purposes this user may state when reading personal data; none for service and governance users. */
  readonly purposes: readonly string[];
  /** Whether the user takes customs' decisions (customs' officers). */
  readonly decides: boolean;
}

/** An RFC 9457 problem document (or what stood in for one), thrown for every non-2xx answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title);
  }
}

export interface LedgerEvent {
  readonly id: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export class Api {
  constructor(
    private readonly token: string,
    /** Told of every 401: the credential is no longer accepted (expired, or its key removed). */
    private readonly onUnauthorized?: (error: ApiError) => void,
  ) {}

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.call<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const response = await fetch(path, {
      method,
      signal,
      headers: {
        Authorization: `Bearer ${this.token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw this.refusal(response, text);
    return parseJson(text) as T;
  }

  /** The error for a non-2xx answer, from its problem document; a 401 also ends the session. */
  private refusal(response: Response, text: string): ApiError {
    const problem = (parseJson(text) ?? {}) as { title?: string; detail?: string };
    const error = new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? text);
    if (error.status === 401) this.onUnauthorized?.(error);
    return error;
  }

  /**
   * Follows GET /v1/events. EventSource cannot send an Authorization header, so the stream is read
   * with fetch; after a drop it reconnects with Last-Event-ID and so misses nothing.
   */
  async events(
    onEvent: (event: LedgerEvent) => void,
    signal: AbortSignal,
    options: {
      startBlock?: number;
      /**
       * Told when the stream is open (undefined), and why it is not while it tries again (the
       * gateway or the ledger unavailable, the connection lost): what a page shows meanwhile may be
       * out of date. A refusal (4xx) is no interruption: events() then rejects with it.
       */
      onConnection?: (interruption: Error | undefined) => void;
    } = {},
  ): Promise<void> {
    let lastEventId: string | undefined;
    while (!signal.aborted) {
      try {
        const query =
          lastEventId === undefined && options.startBlock !== undefined
            ? `?startBlock=${options.startBlock}`
            : '';
        const response = await fetch(`/v1/events${query}`, {
          signal,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: 'text/event-stream',
            ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
          },
        });
        if (!response.ok) throw this.refusal(response, await response.text());
        if (!response.body) throw new Error('the event stream has no body');
        options.onConnection?.(undefined);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the gateway closed the event stream');
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const { id, event } = parseFrame(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            // The stream's first frame is an id alone (where it starts): a drop before any event
            // resumes there, as EventSource would.
            if (id !== undefined) lastEventId = id;
            if (event) onEvent(event);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
        options.onConnection?.(error instanceof Error ? error : new Error(String(error)));
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A frame's id (if it has one) and its event (if it is one). */
function parseFrame(frame: string): { id?: string; event?: LedgerEvent } {
  let id: string | undefined;
  let name = '';
  let data = '';
  for (const line of frame.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  const payload = name ? parseJson(data) : undefined;
  return {
    ...(id === undefined ? {} : { id }),
    ...(payload === undefined
      ? {}
      : { event: { id: id ?? '', event: name, data: payload as Record<string, unknown> } }),
  };
}

/** Path segment for ids typed or pasted by a user. */
export const seg = (value: string): string => encodeURIComponent(value);
