/**
 * The warning about refused scrapes of /metrics: the first refusal at once, then at most one line a
 * minute counting those since, so that a scraper refused every second does not flood the log.
 * The minute is the timers' (faked here); over HTTP: test/gateway/metrics-token.test.ts.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefusedScrapesLog } from '../../gateway/src/observability/refused-scrapes.js';

const MINUTE = 60_000;
let lines: Record<string, unknown>[];
let log: RefusedScrapesLog;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  lines = [];
  log = new RefusedScrapesLog(
    pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  );
});
afterEach(() => {
  log.close();
  vi.useRealTimers();
});

const missing = {
  client: '10.0.0.7',
  reason: "missing Authorization header; send 'Authorization: Bearer <metrics token>'",
};
const wrong = { client: '10.0.0.8', reason: 'Bearer token is not the metrics token' };
const warning = (refused: number, clients: string[], reasons: string[]) => ({
  level: 40,
  msg: 'refused scrapes of /metrics',
  refused,
  clients,
  reasons,
});

describe('refused scrapes of /metrics', () => {
  it('are warned of at once, then once a minute with their count while they go on', () => {
    log.record(missing);
    expect(lines).toEqual([expect.objectContaining(warning(1, ['10.0.0.7'], [missing.reason]))]);

    // A scraper refused every second, the 59 seconds to the minute's end.
    for (let second = 1; second < 60; second++) {
      vi.advanceTimersByTime(1000);
      log.record(second % 2 === 0 ? missing : wrong);
    }
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject(warning(59, ['10.0.0.8', '10.0.0.7'], [wrong.reason, missing.reason]));
  });

  it('say nothing in a minute without a refusal, and warn at once of the next one', () => {
    log.record(wrong);
    vi.advanceTimersByTime(5 * MINUTE);
    expect(lines).toHaveLength(1);
    log.record(missing);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject(warning(1, ['10.0.0.7'], [missing.reason]));
  });

  it('name ten clients a line, and count every refusal', () => {
    log.record(wrong);
    for (let n = 0; n < 50; n++) log.record({ client: `192.0.2.${n}`, reason: wrong.reason });
    vi.advanceTimersByTime(MINUTE);
    expect(lines[1]).toMatchObject({ refused: 50, reasons: [wrong.reason] });
    expect(lines[1]!.clients).toEqual(Array.from({ length: 10 }, (_, n) => `192.0.2.${n}`));
  });

  it('are reported when the gateway stops, if not yet', () => {
    log.record(wrong);
    log.record(wrong);
    log.record(missing);
    log.close();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject(warning(2, ['10.0.0.8', '10.0.0.7'], [wrong.reason, missing.reason]));
    vi.advanceTimersByTime(MINUTE);
    expect(lines).toHaveLength(2);
  });
});
