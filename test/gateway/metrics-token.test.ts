import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * Where the token that reads /metrics comes from: METRICS_TOKEN, or else one the gateway generates
 * on its first start and keeps in DATA_DIR/gateway/metrics-token, for a scraper to read from there
 * (Prometheus: `authorization: { credentials_file: … }`) across restarts; and what the gateway's log
 * says of a scraper without it.
 */

let dataDir: string;
const file = (): string => join(dataDir, 'gateway', 'metrics-token');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'metrics-token-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const scrape = (t: TestGateway, token: string): Promise<Response> =>
  fetch(`${t.gateway.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });

/** Runs `body` against a gateway on the shared data directory, then stops it. */
async function withGateway(
  env: Record<string, string>,
  body: (t: TestGateway) => Promise<void>,
  logger?: Logger,
) {
  const t = await startTestGateway(env, dataDir, logger);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

describe('the metrics token', () => {
  let generated: string;

  it('is generated on first start, readable by its owner alone, and is the one that reads /metrics', async () => {
    await withGateway({}, async (t) => {
      generated = (await readFile(file(), 'utf8')).trim();
      expect(generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await stat(file())).mode & 0o777).toBe(0o600);
      expect(t.gateway.metricsToken).toBe(generated);
      expect((await scrape(t, generated)).status).toBe(200);
    });
  });

  it('stays the same after a restart', async () => {
    await withGateway({}, async (t) => {
      expect((await scrape(t, generated)).status).toBe(200);
    });
  });

  it('is METRICS_TOKEN when set, and the kept one then reads nothing', async () => {
    const configured = randomBytes(32).toString('base64');
    await withGateway({ METRICS_TOKEN: configured }, async (t) => {
      expect((await scrape(t, configured)).status).toBe(200);
      expect((await scrape(t, generated)).status).toBe(401);
    });
  });

  it('is refused when its file holds no token, and the failed start leaves the data directory free', async () => {
    await writeFile(file(), 'short\n');
    await expect(startTestGateway({}, dataDir)).rejects.toThrow(`${file()} does not hold a metrics token`);
    await rm(file());
    await withGateway({}, async (t) => {
      expect(t.gateway.metricsToken).not.toBe(generated);
      expect((await scrape(t, t.gateway.metricsToken)).status).toBe(200);
    });
  });
});

describe('a scrape without the metrics token', () => {
  it('is warned of with the client address and why, never a token; a scrape with it is not logged', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const warnings = () => lines.filter((line) => line.msg === 'refused scrapes of /metrics');
    const guess = randomBytes(32).toString('base64url');
    let token = '';
    await withGateway(
      {},
      async (t) => {
        token = t.gateway.metricsToken;
        expect((await scrape(t, token)).status).toBe(200);
        const bare = await fetch(`${t.gateway.url}/metrics`);
        expect(bare.status).toBe(401);
        expect(warnings()).toEqual([
          expect.objectContaining({
            level: 40,
            refused: 1,
            clients: [expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)],
            reasons: ["missing Authorization header; send 'Authorization: Bearer <metrics token>'"],
          }),
        ]);
        for (let n = 0; n < 5; n++) expect((await scrape(t, guess)).status).toBe(401);
        expect((await scrape(t, token)).status).toBe(200);
      },
      logger,
    );
    // The guesses are counted in the minute after the first refusal, and reported by then or at the
    // stop: every refusal once.
    const [first, ...later] = warnings();
    expect(later.length).toBeGreaterThan(0);
    for (const line of later) {
      expect(line).toMatchObject({ level: 40, reasons: ['Bearer token is not the metrics token'] });
    }
    expect([first, ...later].reduce((sum, line) => sum + (line!.refused as number), 0)).toBe(6);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(token);
    expect(text).not.toContain(guess);
    expect(lines.filter((line) => JSON.stringify(line.req ?? {}).includes('/metrics'))).toEqual([]);
  });
});
