import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * Where the token that reads /metrics comes from: METRICS_TOKEN, or else one the gateway generates
 * on its first start and keeps in DATA_DIR/gateway/metrics-token, for a scraper to read from there
 * (Prometheus: `authorization: { credentials_file: … }`) across restarts.
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
async function withGateway(env: Record<string, string>, body: (t: TestGateway) => Promise<void>) {
  const t = await startTestGateway(env, dataDir);
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
