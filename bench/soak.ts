/*
 * npm run soak -- [--minutes 10] [--rate 100] [--interval 30] [--max-growth 2] [--max-in-flight 1000]
 *                  [--preload 0]
 *
 * The gateway process (`node gateway/dist/main.js`, as `npm start` runs it, fresh data directory) under a
 * steady request rate below its capacity for a given time, open loop: requests leave on schedule
 * whether or not earlier ones were answered, and a latency counts from the scheduled moment, so a
 * stall shows in the figures instead of slowing the load down. The mix, per request:
 *   10 % creates (POST /v1/consignments, platform),
 *   30 % record submissions (declaration and order by the platform, payment by the payment
 *        provider (the platform where the network has none), logistics by the post, in that order
 *        for each consignment; after logistics the gateway's customs pipeline assesses and may
 *        release the consignment on its own),
 *   40 % status reads (GET /v1/consignments/{id}) and 20 % history reads (…/history) of a random
 *        consignment created so far.
 * --preload n creates n consignments (POST /v1/batch, untimed) before the clock starts, and the
 * reads pick among them too: with more parcels than the ledger's read caches hold, the caches are
 * full early and stay full, so that their filling up is not mistaken for growth.
 * Reports p50/p99 per interval, RSS every 5 s, the V8 heap, external memory and what the ledger's
 * read caches hold per interval (from /metrics), when those caches were full and how RSS grew from
 * then on (caches that stop at their budget are not growth), and errors, to bench-results/soak.json
 * and bench-results/soak.md (soak-fabric.* with LEDGER=fabric: the gateway then uses the running
 * network, and the ledger's caches are the peers'). Beside the p99 the client saw, each interval
 * has the p99 the gateway's own histogram of /v1 requests gives and its event loop's longest delay
 * (both from /metrics): time a client waited beyond the first was spent before the gateway read the
 * request or after it answered.
 * Exits 1 if any request failed (not 2xx, a network error, or more than --max-in-flight waiting)
 * or if memory grew: the least-squares slope of RSS over the last two thirds of the run (the first
 * third is start-up and heap sizing) above --max-growth MB/min.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { loadConfig } from '../gateway/src/config.js';
import { resultFile } from './lib/bench-ledger.js';
import {
  nonNegativeInt,
  parseCommandLine,
  positiveInt,
  positiveNumber,
} from '../scripts/lib/cli-arguments.js';
import {
  FLAT_RSS_MB_PER_MIN,
  RssSampler,
  startGatewayProcess,
  type GatewayProcess,
} from './lib/gateway-process.js';
import { parcel } from './lib/parcels.js';
import { machine, writeResult } from './lib/results.js';
import { histogramDelta, histogramQuantile, percentile, round, type Histogram } from './lib/stats.js';

const options = parseCommandLine<{
  minutes: number;
  rate: number;
  interval: number;
  maxGrowth: number;
  maxInFlight: number;
  preload: number;
  out: string;
}>(
  new Command()
    .name('soak')
    .option('--minutes <m>', 'how long', positiveNumber, 10)
    .option('--rate <n>', 'requests per second', positiveNumber, 100)
    .option('--interval <s>', 'seconds per reported interval', positiveNumber, 30)
    .option(
      '--max-growth <mb>',
      'allowed RSS growth over the last 2/3 of the run, MB/min',
      positiveNumber,
      FLAT_RSS_MB_PER_MIN,
    )
    .option(
      '--max-in-flight <n>',
      'requests waiting at once before one counts as an error',
      positiveInt,
      1000,
    )
    .option('--preload <n>', 'consignments created before the run, read during it', nonNegativeInt, 0)
    .option('--out <file>', 'result file (and the .md beside it)', resultFile('soak', loadConfig().ledger)),
);

type Kind = 'create' | 'record' | 'status' | 'history';
const MIX: readonly [Kind, number][] = [
  ['create', 0.1],
  ['record', 0.3],
  ['status', 0.4],
  ['history', 0.2],
];

interface Interval {
  readonly fromS: number;
  latencies: number[];
  reads: number[];
  writes: number[];
  errors: number;
}

const run = randomBytes(3).toString('hex').toUpperCase();
const dataDir = await mkdtemp(join(tmpdir(), 'bench-soak-'));
const gateway = await startGatewayProcess(dataDir);
/**
 * A consignment's records in the order they are sent, and who sends each: on a network without a
 * payment provider (the default Fabric network), the platform takes the payment.
 */
const RECORDS = [
  ['declaration', 'platforma-operator'],
  ['order', 'platforma-operator'],
  ['payment', gateway.has('payment-operator') ? 'payment-operator' : 'platforma-operator'],
  ['logistics', 'post-operator'],
] as const;
try {
  const preloaded = await preload(options.preload);
  // Counted from here: the gateway's histograms and its event loop's delay, as they were after the preload.
  const baseline = await gatewayMetrics(gateway);
  // Without it, every figure the gateway gives would be missing from the report, silently.
  if (!baseline) throw new Error(`could not read the gateway's metrics at ${gateway.url}/metrics`);
  const rss = new RssSampler(gateway.pid, 5000);
  const started = performance.now();
  const durationS = options.minutes * 60;
  const intervals: Interval[] = [];
  const intervalAt = (s: number): Interval => {
    const index = Math.min(Math.floor(s / options.interval), Math.ceil(durationS / options.interval) - 1);
    for (let i = intervals.length; i <= index; i++)
      intervals.push({ fromS: i * options.interval, latencies: [], reads: [], writes: [], errors: 0 });
    return intervals[index]!;
  };
  const errorSamples: string[] = [];
  /** The gateway's own figures, from its /metrics at the end of each interval. */
  const scrapes: ({ t: number } & GatewayMetrics)[] = [{ t: 0, ...baseline }];
  const scrapeTimer = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    void gatewayMetrics(gateway).then((m) => m && scrapes.push({ t, ...m }));
  }, options.interval * 1000);

  /**
   * Parcels whose create was acknowledged (reads pick among these: creates complete out of order
   * under a stall), and the next record of those whose records are not all sent and not in flight.
   */
  const created: number[] = [...preloaded];
  let nextParcel = preloaded.length;
  const waiting: { n: number; step: number }[] = [];

  const request = async (kind: Kind): Promise<void> => {
    const call = async (user: string, path: string, body?: unknown): Promise<void> => {
      const res = await fetch(gateway.url + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...gateway.auth(user),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300)
        throw new Error(
          `${body === undefined ? 'GET' : 'POST'} ${path} → ${res.status} ${text.slice(0, 200)}`,
        );
    };
    const record = kind === 'record' ? waiting.shift() : undefined;
    if (record !== undefined) {
      const p = parcel(record.n, run);
      const [name, user] = RECORDS[record.step]!;
      await call(user, `/v1/consignments/${p.consignmentId}/${name}`, p[name]);
      if (record.step + 1 < RECORDS.length) waiting.push({ n: record.n, step: record.step + 1 });
      return;
    }
    // A record with none waiting, or a read before anything exists, is a create.
    if ((kind !== 'status' && kind !== 'history') || created.length === 0) {
      const n = nextParcel++;
      const p = parcel(n, run);
      await call('platforma-operator', '/v1/consignments', { consignmentId: p.consignmentId, ...p.joinKeys });
      created.push(n);
      waiting.push({ n, step: 0 });
      return;
    }
    const id = parcel(created[Math.floor(Math.random() * created.length)]!, run).consignmentId;
    await call(
      'platforma-operator',
      kind === 'status' ? `/v1/consignments/${id}` : `/v1/consignments/${id}/history`,
    );
  };

  const pick = (): Kind => {
    let r = Math.random();
    for (const [kind, share] of MIX) if ((r -= share) < 0) return kind;
    return 'status';
  };

  const bar = new SingleBar(
    {
      format:
        'soak   [{bar}] {percentage}% | {value}/{total} s | {requests} requests | {errors} errors | RSS {rss} MB',
    },
    Presets.shades_classic,
  );
  bar.start(Math.round(durationS), 0, { requests: 0, errors: 0, rss: '-' });
  let sent = 0;
  let inFlight = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const fail = (interval: Interval, message: string): void => {
    interval.errors++;
    errors++;
    if (errorSamples.length < 5) errorSamples.push(message);
  };
  const total = Math.floor(durationS * options.rate);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsedS = (performance.now() - started) / 1000;
      // Request k is scheduled at k / rate seconds: those up to now, request 0 at once.
      const due = Math.min(Math.floor(elapsedS * options.rate) + 1, total);
      for (; sent < due; sent++) {
        const scheduledMs = started + (sent / options.rate) * 1000;
        const interval = intervalAt(scheduledMs / 1000 - started / 1000);
        if (inFlight >= options.maxInFlight) {
          fail(interval, `more than ${options.maxInFlight} requests waiting`);
          continue;
        }
        const kind = pick();
        inFlight++;
        const done = request(kind).then(
          () => {
            const ms = performance.now() - scheduledMs;
            interval.latencies.push(ms);
            (kind === 'status' || kind === 'history' ? interval.reads : interval.writes).push(ms);
          },
          (error: unknown) => fail(interval, (error as Error).message),
        );
        const tracked = done.finally(() => {
          inFlight--;
          pending.delete(tracked);
        });
        pending.add(tracked);
      }
      bar.update(Math.min(Math.round(elapsedS), Math.round(durationS)), {
        requests: sent,
        errors,
        rss: rss.samples.at(-1)?.mb.toFixed(0) ?? '-',
      });
      if (sent >= total) return resolve();
      // Woken for the next request's moment (timers fire a millisecond or so late at best).
      setTimeout(tick, Math.max(0, started + (sent / options.rate) * 1000 - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  await rss.sample();
  rss.stop();
  clearInterval(scrapeTimer);
  bar.stop();

  const rows = intervals.map((i) => {
    const endS = i.fromS + options.interval;
    const atEnd = rss.samples.filter((s) => s.t <= endS).at(-1);
    const at = scrapes.filter((m) => m.t <= endS + 1).length - 1;
    const scrape = scrapes[at];
    const previous = scrapes[at - 1];
    // Scrape 0 is the baseline: what it reports happened during the preload.
    const gatewayP99 = previous && histogramQuantile(histogramDelta(previous.http, scrape!.http), 0.99);
    return {
      fromS: i.fromS,
      requests: i.latencies.length + i.errors,
      errors: i.errors,
      p50Ms: round(percentile(i.latencies, 50), 1),
      p99Ms: round(percentile(i.latencies, 99), 1),
      readP99Ms: round(percentile(i.reads, 99), 1),
      writeP99Ms: round(percentile(i.writes, 99), 1),
      gatewayP99Ms: gatewayP99 === undefined ? undefined : round(gatewayP99 * 1000, 1),
      eventLoopDelayMaxMs: previous && scrape!.eventLoopDelayMaxMs,
      rssMb: round(atEnd?.mb ?? 0, 1),
      anonMb: round(atEnd?.anonMb ?? 0, 1),
      fileMb: round(atEnd?.fileMb ?? 0, 1),
      heapUsedMb: scrape?.heapUsedMb,
      heapTotalMb: scrape?.heapTotalMb,
      externalMb: scrape?.externalMb,
      ledgerCacheMb: scrape?.ledgerCacheMb,
    };
  });
  const growth = rss.summary(durationS / 3);
  const all = rss.summary();
  // The caches stop at their budget: what RSS gains once they are full, something else takes.
  const lastScrape = scrapes.at(-1);
  const cachesFullAtS = scrapes.find(
    (m) =>
      m.t > 0 &&
      m.ledgerCacheBudgetMb !== undefined &&
      m.ledgerCacheBudgetMb > 0 &&
      m.ledgerCacheMb !== undefined &&
      m.ledgerCacheMb >= 0.99 * m.ledgerCacheBudgetMb,
  )?.t;
  // A slope over less than a minute of samples (one each 5 s) says nothing.
  const sinceFull = cachesFullAtS === undefined ? undefined : rss.summary(cachesFullAtS);
  const measuredSinceFull = sinceFull && sinceFull.samples >= 12 ? sinceFull : undefined;
  const ledgerCaches = lastScrape?.ledgerCacheBudgetMb
    ? {
        budgetMb: lastScrape.ledgerCacheBudgetMb,
        lastMb: lastScrape.ledgerCacheMb,
        fullAtS: cachesFullAtS === undefined ? undefined : round(cachesFullAtS, 0),
        /** RSS growth (least squares) from the moment the caches were full to the end. */
        rssSlopeSinceFullMbPerMin: measuredSinceFull?.slopeMbPerMin,
        anonSlopeSinceFullMbPerMin: measuredSinceFull?.anonSlopeMbPerMin,
        fileSlopeSinceFullMbPerMin: measuredSinceFull?.fileSlopeMbPerMin,
      }
    : undefined;
  const result = {
    minutes: options.minutes,
    rate: options.rate,
    mix: Object.fromEntries(MIX),
    requests: sent,
    errors,
    errorSamples,
    consignmentsPreloaded: preloaded.length,
    consignmentsCreated: created.length - preloaded.length,
    p99MsWorstInterval: Math.max(0, ...rows.map((r) => r.p99Ms)),
    rss: {
      firstMb: all.firstMb,
      lastMb: all.lastMb,
      maxMb: all.maxMb,
      /** Least squares over the last two thirds of the run. */
      slopeMbPerMin: growth.slopeMbPerMin,
      /** The same for RSS's anonymous and file-backed (LevelDB's mapped tables) parts. */
      anonSlopeMbPerMin: growth.anonSlopeMbPerMin,
      fileSlopeMbPerMin: growth.fileSlopeMbPerMin,
      maxGrowthMbPerMin: options.maxGrowth,
      samples: rss.samples.map((s) => ({ t: round(s.t, 1), mb: round(s.mb, 1) })),
    },
    ledgerCaches,
    intervals: rows,
    flat: growth.slopeMbPerMin <= options.maxGrowth,
    passed: errors === 0 && growth.slopeMbPerMin <= options.maxGrowth,
    date: new Date().toISOString(),
    ...machine(),
  };
  await writeResult(options.out, result);
  const table = [
    `Soak ${result.date}: ${options.minutes} min at ${options.rate} req/s (10 % creates, 30 % records, 40 % status, 20 % history reads)${preloaded.length ? ` over ${preloaded.length} preloaded consignments` : ''}, ${sent} requests, ${errors} errors.`,
    `RSS ${all.firstMb} → ${all.lastMb} MB (max ${all.maxMb}); growth over the last 2/3: ${growth.slopeMbPerMin} MB/min (bound ${options.maxGrowth}; anonymous ${growth.anonSlopeMbPerMin}, file-backed ${growth.fileSlopeMbPerMin}) — ${result.passed ? 'passed' : 'FAILED'}.`,
    ledgerCaches === undefined
      ? 'Ledger read caches: not reported (not the embedded ledger).'
      : ledgerCaches.fullAtS === undefined
        ? `Ledger read caches not full by the end (${ledgerCaches.lastMb} of ${ledgerCaches.budgetMb} MB).`
        : `Ledger read caches full (${ledgerCaches.budgetMb} MB) from ${ledgerCaches.fullAtS} s; RSS growth since then: ${ledgerCaches.rssSlopeSinceFullMbPerMin ?? '- (under a minute)'} MB/min (anonymous ${ledgerCaches.anonSlopeSinceFullMbPerMin ?? '-'}, file-backed ${ledgerCaches.fileSlopeSinceFullMbPerMin ?? '-'}).`,
    '',
    '| From (s) | Requests | Errors | p50 ms | p99 ms | Reads p99 ms | Writes p99 ms | Gateway p99 ms | Event loop delay max ms | RSS (anonymous / file-backed) MB | V8 heap used / total MB | External MB | Ledger caches MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.fromS} | ${r.requests} | ${r.errors} | ${r.p50Ms} | ${r.p99Ms} | ${r.readP99Ms} | ${r.writeP99Ms} | ${r.gatewayP99Ms ?? '-'} | ${r.eventLoopDelayMaxMs ?? '-'} | ${r.rssMb} (${r.anonMb} / ${r.fileMb}) | ${r.heapUsedMb ?? '-'} / ${r.heapTotalMb ?? '-'} | ${r.externalMb ?? '-'} | ${r.ledgerCacheMb ?? '-'} |`,
    ),
    '',
  ].join('\n');
  const markdown = options.out.replace(/\.json$/, '') + '.md';
  await writeFile(markdown, table);
  console.log(`\n${table}`);
  for (const sample of errorSamples) console.warn(`  ${sample}`);
  console.log(`→ ${options.out}, ${markdown}`);
  if (!result.passed) process.exitCode = 1;
} finally {
  await gateway.stop();
  await rm(dataDir, { recursive: true, force: true });
}

interface GatewayMetrics {
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  /**
   * What the ledger's read caches hold, as their budget counts it, and that budget (LEDGER_CACHE_MB);
   * absent on Fabric, whose peers keep the caches.
   */
  readonly ledgerCacheMb?: number;
  readonly ledgerCacheBudgetMb?: number;
  /** The longest event-loop delay since the previous scrape (prom-client resets it at each). */
  readonly eventLoopDelayMaxMs: number;
  /** Durations of /v1 requests, all routes and statuses together, since the gateway started. */
  readonly http: Histogram;
}

/** The gateway's own figures from its Prometheus metrics; undefined if unreadable or refused. */
async function gatewayMetrics(gateway: GatewayProcess): Promise<GatewayMetrics | undefined> {
  const text = await fetch(`${gateway.url}/metrics`, { headers: gateway.metricsAuth })
    .then((res) => (res.ok ? res.text() : undefined))
    .catch(() => undefined);
  if (text === undefined) return undefined;
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const mb = (name: string): number => round(value(name) / 1024 / 1024, 1);
  const optionalMb = (name: string): number | undefined => (Number.isNaN(value(name)) ? undefined : mb(name));
  const http = new Map<number, number>();
  for (const [, labels, count] of text.matchAll(/^http_request_duration_seconds_bucket\{(.*)\} (\S+)$/gm)) {
    if (!/route="\/v1\//.test(labels!)) continue;
    const le = /le="([^"]+)"/.exec(labels!)![1]!;
    const bound = le === '+Inf' ? Infinity : Number(le);
    http.set(bound, (http.get(bound) ?? 0) + Number(count));
  }
  return {
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
    ledgerCacheMb: optionalMb('ledger_read_cache_bytes'),
    ledgerCacheBudgetMb: optionalMb('ledger_read_cache_budget_bytes'),
    eventLoopDelayMaxMs: round(value('nodejs_eventloop_lag_max_seconds') * 1000, 1),
    http,
  };
}

/** Consignments 0 … n-1 created through POST /v1/batch, 100 a request, 4 requests at a time. */
async function preload(n: number): Promise<number[]> {
  if (n === 0) return [];
  const BATCH = 100;
  console.log(`preloading ${n} consignments…`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const from = next;
        next = Math.min(n, next + BATCH);
        const operations = [];
        for (let i = from; i < next; i++) {
          const p = parcel(i, run);
          operations.push({ op: 'create', consignmentId: p.consignmentId, body: p.joinKeys });
        }
        const res = await fetch(`${gateway.url}/v1/batch`, {
          method: 'POST',
          headers: { ...gateway.auth('platforma-operator'), 'content-type': 'application/json' },
          body: JSON.stringify({ operations }),
        });
        if (res.status !== 200)
          throw new Error(`preload: POST /v1/batch → ${res.status} ${await res.text()}`);
        await res.text();
      }
    }),
  );
  return Array.from({ length: n }, (_, i) => i);
}
