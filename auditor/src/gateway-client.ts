import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_LIMIT, type Page } from '@customs-ledger/chaincode';
import { UnavailableError, UsageError } from './io.js';

/** The demo user the gateway creates for auditors (AuditorMSP). */
export const DEFAULT_AUDITOR = 'auditor';
export const DEFAULT_GATEWAY = 'http://localhost:8080';
const TIMEOUT_MS = 30_000;

export interface GatewayResponse<T> {
  readonly status: number;
  readonly body: T;
}

/** An RFC 9457 problem document as the gateway sends it. */
interface Problem {
  readonly title?: string;
  readonly detail?: string;
}

/**
 * Finds the auditor's API key: --api-key, else AUDIT_API_KEY, else the `auditor` demo user in
 * <data-dir>/dev-credentials.json (written by a gateway on first start; development only).
 */
export async function resolveApiKey(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  dataDir: string,
): Promise<string> {
  const given = option ?? env.AUDIT_API_KEY;
  if (given) return given;
  const path = join(dataDir, 'dev-credentials.json');
  let credentials: { user?: string; apiKey?: string }[];
  try {
    credentials = JSON.parse(await readFile(path, 'utf8')) as typeof credentials;
  } catch {
    throw new UsageError(
      `no API key: pass --api-key, set AUDIT_API_KEY, or point --data-dir at a gateway's data (${path} not found)`,
    );
  }
  const auditor = Array.isArray(credentials)
    ? credentials.find((c) => c.user === DEFAULT_AUDITOR)
    : undefined;
  if (!auditor?.apiKey) throw new UsageError(`no '${DEFAULT_AUDITOR}' user in ${path}: pass --api-key`);
  return auditor.apiKey;
}

/** The few gateway calls the CLI makes, as the auditor, with the gateway's errors made readable. */
export class GatewayClient {
  private readonly base: string;

  constructor(
    gatewayUrl: string,
    private readonly apiKey: string,
  ) {
    try {
      this.base = new URL(gatewayUrl).toString().replace(/\/$/, '');
    } catch {
      throw new UsageError(`--gateway must be a URL such as ${DEFAULT_GATEWAY}, got '${gatewayUrl}'`);
    }
  }

  get<T>(path: string): Promise<GatewayResponse<T>> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<GatewayResponse<T>> {
    return this.call<T>('POST', path, body);
  }

  /**
   * Like get, but any status other than 200 is an UnavailableError naming the gateway's reason;
   * except, when the caller says what the path names (`notFound`, e.g. "no such consignment: X"),
   * a 404: the command line named something that does not exist, a usage error like a missing file.
   */
  async getOk<T>(path: string, notFound?: string): Promise<T> {
    const response = await this.get<T>(path);
    if (response.status === 404 && notFound !== undefined) {
      throw new UsageError(`${notFound} (the gateway answered 404: ${reasonOf(response)})`);
    }
    if (response.status !== 200) throw this.refusal('GET', path, response);
    return response.body;
  }

  /**
   * Every entry of a list the gateway gives by pages (a history, an access log), read page after
   * page, the largest there are: the CLI reports on all of it. Refusals as getOk's.
   */
  async getEveryPage<T>(path: string, notFound?: string): Promise<T[]> {
    const entries: T[] = [];
    let after: string | null = null;
    do {
      const query = new URLSearchParams({
        limit: String(PAGE_LIMIT.max),
        ...(after === null ? {} : { after }),
      });
      const page: Page<T> = await this.getOk<Page<T>>(`${path}?${query}`, notFound);
      entries.push(...page.entries);
      after = page.hasMore ? page.next : null;
    } while (after !== null);
    return entries;
  }

  refusal(method: string, path: string, response: GatewayResponse<unknown>): UnavailableError {
    return new UnavailableError(
      `${method} ${path}: the gateway answered ${response.status}: ${reasonOf(response)}`,
    );
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<GatewayResponse<T>> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: {
          Authorization: `Bearer ${this.apiKey}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new UnavailableError(
        `cannot reach the gateway at ${this.base} (${cause}): is it running? (--gateway URL)`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    return { status: response.status, body: parsed as T };
  }
}

/** The gateway's reason for a refusal, from its problem document. */
function reasonOf(response: GatewayResponse<unknown>): string {
  const problem = response.body as Problem | undefined;
  return problem?.detail ?? problem?.title ?? `HTTP ${response.status}`;
}
