/**
 * Listens to GET /v1/events (Server-Sent Events) and counts the events by name, to show that what
 * the demo writes also comes out of the ledger's event stream.
 */
/** How long start() waits for the stream's position frame. */
const POSITION_WAIT_MS = 20_000;

export class EventCounter {
  readonly counts = new Map<string, number>();
  total = 0;
  /** Why the stream could not be opened or broke off, if it did. */
  failure?: string;
  private readonly controller = new AbortController();
  private done?: Promise<void>;
  private lastEventAt = 0;

  constructor(
    private readonly url: string,
    private readonly apiKey: string,
  ) {}

  /**
   * Resolves once the stream has its position (the gateway's opening `id:` frame: every event
   * committed from then on is counted), or failed to open.
   */
  async start(): Promise<boolean> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/v1/events`, {
        headers: { Authorization: `Bearer ${this.apiKey}`, Accept: 'text/event-stream' },
        signal: this.controller.signal,
      });
    } catch (error) {
      this.failure = (error as Error).message;
      return false;
    }
    if (response.status !== 200 || !response.body) {
      this.failure = `GET /v1/events answered ${response.status} ${await response.text().catch(() => '')}`;
      return false;
    }
    let positioned!: () => void;
    const atPosition = new Promise<void>((resolve) => (positioned = resolve));
    this.done = this.read(response.body, positioned);
    // A proxy that buffers the stream would hold the position back: the demo goes on without it.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.failure = `no position from the event stream within ${POSITION_WAIT_MS / 1000} s`;
        this.controller.abort();
        resolve();
      }, POSITION_WAIT_MS);
    });
    await Promise.race([atPosition, this.done, late]);
    clearTimeout(timer);
    return this.failure === undefined;
  }

  /** Waits until no event came for quietMs (at most maxMs), then closes the stream. */
  async stop(quietMs = 1000, maxMs = 10_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.done && Date.now() < deadline && Date.now() - this.lastEventAt < quietMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.controller.abort();
    await this.done?.catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>, positioned: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let hasPosition = false;
    this.lastEventAt = Date.now();
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.split('\n').some((line) => line.startsWith('id:'))) {
            hasPosition = true;
            positioned();
          }
          const name = frame
            .split('\n')
            .find((line) => line.startsWith('event:'))
            ?.slice(6)
            .trim();
          if (!name) continue; // retry line or heartbeat comment
          this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
          this.total++;
          this.lastEventAt = Date.now();
        }
      }
      if (!hasPosition) this.failure = 'the event stream ended before it had a position';
    } catch (error) {
      if (!this.controller.signal.aborted)
        this.failure = `event stream broke off: ${(error as Error).message}`;
    }
  }
}
