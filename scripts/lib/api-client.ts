import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** One entry of `<DATA_DIR>/dev-credentials.json`, written by the gateway on first start. */
export interface DemoCredential {
  readonly user: string;
  readonly org?: string;
  readonly mspId: string;
  readonly role: string;
  readonly apiKey: string;
}

export interface Reply {
  /** 0 when no HTTP answer came back (network error, timeout). */
  readonly status: number;
  readonly headers: Headers;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
  /** Set when no answer came back, or the answer was not JSON. */
  readonly failure?: string;
}

export interface RequestOptions {
  /** Reuse a key (to show a retry being replayed); by default every write gets a fresh one. */
  readonly idempotencyKey?: string;
}

/** Counts in-flight requests and makes callers wait beyond a bound. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * A small client of the gateway's HTTP API: bearer API keys per demo user, an Idempotency-Key on
 * every write, at most `concurrency` requests in flight. It never throws for an HTTP or network
 * failure; the caller decides what each answer means.
 */
export class ApiClient {
  requests = 0;
  /** Milliseconds of every answered request, for percentiles. */
  readonly latencies: number[] = [];
  private readonly limiter: Limiter;
  private readonly keys: Map<string, string>;

  constructor(
    readonly baseUrl: string,
    credentials: readonly DemoCredential[],
    concurrency: number,
    private readonly timeoutMs = 60_000,
  ) {
    this.limiter = new Limiter(concurrency);
    this.keys = new Map(credentials.map((c) => [c.user, c.apiKey]));
  }

  hasUser(user: string): boolean {
    return this.keys.has(user);
  }

  get(user: string, path: string): Promise<Reply> {
    return this.request(user, 'GET', path);
  }

  post(user: string, path: string, body: unknown, options: RequestOptions = {}): Promise<Reply> {
    return this.request(user, 'POST', path, body, options);
  }

  async request(
    user: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<Reply> {
    const apiKey = this.keys.get(user);
    if (!apiKey) throw new Error(`no demo user '${user}' in the credentials`);
    const headers: Record<string, string> = { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = options.idempotencyKey ?? randomUUID();
    }
    return this.limiter.run(async () => {
      this.requests++;
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        return {
          status: 0,
          headers: new Headers(),
          contentType: '',
          body: {},
          failure: `${(error as Error).message}${cause ? ` (${cause})` : ''}`,
        };
      }
      const contentType = response.headers.get('content-type') ?? '';
      const text = await response.text().catch(() => '');
      this.latencies.push(performance.now() - started);
      let parsed: Record<string, unknown> = {};
      let failure: string | undefined;
      if (text) {
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          failure = `answer is not JSON: ${text.slice(0, 120)}`;
        }
      }
      return { status: response.status, headers: response.headers, contentType, body: parsed, failure };
    });
  }
}

/** The p-th percentile (nearest rank) of a sample, 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Whether a gateway answers GET /healthz at this URL. */
export async function gatewayAnswers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** Reads the demo users' API keys: CREDENTIALS if set, else `<dataDir>/dev-credentials.json`. */
export async function readCredentials(dataDir: string, explicitPath?: string): Promise<DemoCredential[]> {
  const path = resolve(explicitPath ?? join(dataDir, 'dev-credentials.json'));
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read the demo credentials at ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ` +
        'for an external gateway give its file with DATA_DIR=<its data dir> or CREDENTIALS=<path>',
      { cause: error },
    );
  }
  const credentials = JSON.parse(text) as DemoCredential[];
  if (!Array.isArray(credentials) || credentials.some((c) => !c.user || !c.apiKey)) {
    throw new Error(`${path} is not a list of { user, mspId, role, apiKey }`);
  }
  return credentials;
}

/** Whether the answer is an RFC 9457 problem document. */
export function isProblem(reply: Reply): boolean {
  return reply.contentType.startsWith('application/problem+json') && typeof reply.body.status === 'number';
}
