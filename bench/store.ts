/*
 * npm run bench:store -- [--events 1000000] [--wave 500] [--concurrency 2] [--window 7000]
 *                        [--reads 3000] [--read-connections 4] [--keep]
 *
 * The gateway on a big store, in three parts:
 *
 * 1. Load. --events chaincode events (as the event hub streams them: a BatchApplied of n operations
 *    counts n) go into a fresh embedded ledger through the ledger port (by the gateway's ledger
 *    client), in this process, as consignment:batch transactions: waves of --wave consignments,
 *    each consignment taken through the seven steps of a parcel (create, order, payment,
 *    logistics, declaration by platform, payment provider and post, then two movement scans), one
 *    transaction of the whole wave per step, --concurrency waves at a time. At 10k, 100k and 1M
 *    events (and at the end) the last --window events are timed: events/s and CPU ms per event
 *    (process.cpuUsage; on Fabric the whole machine's, from /proc/stat, since the peers, orderer
 *    and chaincode servers do the work) — the cost of an event must not grow with the events
 *    stored.
 * 2. Reference and cold start. The blocks' public write sets go into a plain `level` store (the
 *    same keys and values: the reference for status reads). Then the gateway is spawned on the
 *    loaded data directory as users run it (`node gateway/dist/main.js`, as `npm start` runs it): spawn →
 *    /readyz 200, then the time until its background start-up work is done. The first start learns
 *    the whole ledger into the event hub's index (once); the gateway is then stopped and started
 *    again, as after any restart, and that start is the cold start measured. Before the load, the
 *    same on an empty store, as the cold-start reference.
 * 3. Reads over HTTP against that process: GET /v1/consignments/{id}/history and
 *    GET /v1/consignments/{id}, --reads each from --read-connections clients, first of one
 *    consignment (its keys cached after a warm-up), then each of a different consignment, evenly
 *    spread over the store (status and history on disjoint sets); the same number of raw `level`
 *    gets of the state keys read, one key and spread, from as many loops.
 *    The gateway's RSS is sampled every 500 ms from spawn to the end.
 *
 * With LEDGER=fabric the load goes to the running network (FABRIC_PROFILE_DIR) with the network's
 * cast, 20,000 events by default; the spawned gateways use the network too (their data directory
 * holds only the gateway's own stores), and there is no raw `level` reference: the peers keep the
 * ledger. Writes bench-results/store.json (store-fabric.json on Fabric).
 */
import '../gateway/src/ledger/chaincode-logging.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { Level } from 'level';
import { KeyType, MAX_BATCH_OPERATIONS, type BatchFunction } from '@customs-ledger/chaincode';
import { loadConfig } from '../gateway/src/config.js';
import type { EmbeddedLedger } from '../gateway/src/ledger/embedded/embedded-ledger.js';
import type { Signer } from '../gateway/src/ledger/identities.js';
import { openBenchLedger, resultFile } from './lib/bench-ledger.js';
import { atMost, parseCommandLine, positiveInt } from '../scripts/lib/cli-arguments.js';
import {
  RssSampler,
  startGatewayProcess,
  waitUntilIdle,
  type GatewayProcess,
} from './lib/gateway-process.js';
import { committedWrites } from './lib/ledger-writes.js';
import { parcel } from './lib/parcels.js';
import { machine, writeResult } from './lib/results.js';
import { percentile, round } from './lib/stats.js';
import { closedLoop, getOk } from './lib/timed.js';

const backend = loadConfig().ledger;
const options = parseCommandLine<{
  events: number;
  wave: number;
  concurrency: number;
  window: number;
  reads: number;
  readConnections: number;
  out: string;
  keep?: boolean;
}>(
  new Command()
    .name('bench:store')
    .option(
      '--events <n>',
      'chaincode events to store',
      positiveInt,
      backend === 'fabric' ? 20_000 : 1_000_000,
    )
    .option(
      '--wave <n>',
      `consignments per wave, = operations per transaction (≤ ${MAX_BATCH_OPERATIONS})`,
      (text: string) => atMost(MAX_BATCH_OPERATIONS, positiveInt(text)),
      500,
    )
    .option('--concurrency <n>', 'waves in flight', positiveInt, 2)
    .option('--window <n>', 'events timed before each mark (rounded up to whole waves)', positiveInt, 7_000)
    .option('--reads <n>', 'requests of each kind of read', positiveInt, 3_000)
    .option('--read-connections <n>', 'concurrent readers', positiveInt, 4)
    .option('--out <file>', 'result file', resultFile('store', backend))
    .option('--keep', 'keep the data directory'),
);

/** A consignment's steps: one batch operation each, in this order (each needs the one before). */
interface Step {
  readonly fn: BatchFunction;
  readonly by: 'platform' | 'payment' | 'post';
  /** Arguments after the consignment id; a record's payload travels as transient data. */
  readonly args?: (i: number) => string[];
  readonly payload?: (i: number) => unknown;
}
const run = randomBytes(3).toString('hex').toUpperCase();
const STEPS: readonly Step[] = [
  { fn: 'create', by: 'platform', args: (i) => [JSON.stringify(parcel(i, run).joinKeys)] },
  { fn: 'submitOrder', by: 'platform', payload: (i) => parcel(i, run).order },
  { fn: 'submitPayment', by: 'payment', payload: (i) => parcel(i, run).payment },
  { fn: 'submitLogistics', by: 'post', payload: (i) => parcel(i, run).logistics },
  { fn: 'submitDeclaration', by: 'platform', payload: (i) => parcel(i, run).declaration },
  {
    fn: 'recordMovement',
    by: 'post',
    args: () => [JSON.stringify({ type: 'dispatched', location: 'CNSHA' })],
  },
  { fn: 'recordMovement', by: 'post', args: () => [JSON.stringify({ type: 'arrived', location: 'FRCDG' })] },
];

const consignmentId = (i: number): string => parcel(i, run).consignmentId;
const consignments = Math.ceil(options.events / STEPS.length);
const marks = [10_000, 100_000, 1_000_000].filter((m) => m < options.events).concat(options.events);
/** The window in whole waves. */
const windowConsignments = Math.ceil(options.window / STEPS.length / options.wave) * options.wave;
if (windowConsignments * STEPS.length > marks[0]!)
  throw new Error(
    `--window (${windowConsignments * STEPS.length} events in whole waves) must be ≤ the first mark, ${marks[0]} events`,
  );

const workDir = await mkdtemp(join(tmpdir(), 'bench-store-'));
const dataDir = join(workDir, 'gateway');
let gateway: GatewayProcess | undefined;
try {
  // ------------------------------------------------------------ cold-start reference: an empty store
  console.log('cold start on an empty store (reference)…');
  const empty = await startGatewayProcess(join(workDir, 'empty'));
  const emptySettleS = await waitUntilIdle(empty.pid);
  const emptyRss = new RssSampler(empty.pid, 60_000);
  const emptyRssMb = (await emptyRss.sample())!.mb;
  emptyRss.stop();
  await empty.stop();

  // ------------------------------------------------------------ 1. load through the ledger port
  const bench = await openBenchLedger(dataDir);
  const { client, network, cast } = bench;
  const users: Record<Step['by'], Signer> = {
    platform: { user: 'bench-platform', mspId: cast.platform, role: 'operator' },
    payment: { user: 'bench-payment', mspId: cast.payment, role: 'operator' },
    post: { user: 'bench-post', mspId: cast.post, role: 'operator' },
  };

  /** One step of consignments [from, to) in one consignment:batch; resolves with the events applied. */
  const applyStep = async (step: Step, from: number, to: number): Promise<number> => {
    const principal = users[step.by];
    const operations: { fn: BatchFunction; args: string[] }[] = [];
    const transient: Record<string, Uint8Array> = {};
    for (let i = from; i < to; i++) {
      operations.push({ fn: step.fn, args: [consignmentId(i), ...(step.args?.(i) ?? [])] });
      if (step.payload) {
        const n = i - from;
        transient[`payload.${n}`] = Buffer.from(JSON.stringify(step.payload(i)));
        transient[`saltSeed.${n}`] = Buffer.from(randomBytes(32).toString('hex'));
      }
    }
    const {
      value: { outcomes },
    } = await client.submit<{ outcomes: { status: string; message?: string }[] }>(
      principal,
      'consignment:batch',
      [JSON.stringify(operations)],
      step.payload ? { transient, endorsingOrganizations: [principal.mspId, network.customsMspId] } : {},
    );
    const failed = outcomes.find((o) => o.status !== 'applied');
    if (failed) throw new Error(`${step.fn} was ${failed.status}: ${failed.message}`);
    return outcomes.length;
  };

  let events = 0;
  const loadStarted = performance.now();
  const bar = new SingleBar(
    {
      format: 'load   [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}',
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(consignments * STEPS.length, 0, { rate: '-' });
  /** Consignments [from, to) through every step, in waves, `concurrency` waves at a time. */
  const load = async (from: number, to: number): Promise<void> => {
    let next = from;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let wave = next; wave < to; wave = next) {
          next = Math.min(to, wave + options.wave);
          for (const step of STEPS) {
            const applied = await applyStep(step, wave, Math.min(to, wave + options.wave));
            events += applied;
            bar.update(events, { rate: Math.round(events / ((performance.now() - loadStarted) / 1000)) });
          }
        }
      }),
    );
  };
  // Each mark's window is whole waves timed on their own, so that it holds every step in the same
  // mix whatever the mark, and the pipeline is full from its start.
  const scaling: { storedEvents: number; events: number; eventsPerSec: number; cpuMsPerEvent: number }[] = [];
  let loaded = 0;
  for (const mark of marks) {
    const end = Math.min(consignments, Math.ceil(mark / STEPS.length));
    const windowStart = Math.max(loaded, end - windowConsignments);
    await load(loaded, windowStart);
    const before = events;
    const cpu = await cpuMs();
    const t0 = performance.now();
    await load(windowStart, end);
    const usedMs = (await cpuMs()) - cpu;
    const n = events - before;
    scaling.push({
      storedEvents: events,
      events: n,
      eventsPerSec: round(n / ((performance.now() - t0) / 1000), 0),
      cpuMsPerEvent: round(usedMs / n, 3),
    });
    loaded = end;
  }
  const loadS = (performance.now() - loadStarted) / 1000;
  bar.stop();

  // ------------------------------------------------------------ 2. reference store, then cold start
  const reference = bench.embedded && (await copyToRawLevel(bench.embedded, join(workDir, 'raw-level')));
  const height = bench.embedded && Number(bench.embedded.height());
  await bench.close();
  const storeMb = bench.embedded && (await directoryMb(dataDir));

  console.log(
    `first start on the loaded store (${events} events${storeMb === undefined ? ', on Fabric' : `, ${round(storeMb, 0)} MB`})…`,
  );
  gateway = await startGatewayProcess(dataDir);
  const firstStartMs = gateway.coldStartMs;
  const firstSettleS = await waitUntilIdle(gateway.pid);
  await gateway.stop();
  console.log('cold start (again, as after any restart)…');
  gateway = await startGatewayProcess(dataDir);
  const coldStartMs = gateway.coldStartMs;
  const rss = new RssSampler(gateway.pid, 500);
  const settleS = await waitUntilIdle(gateway.pid);
  const readsFromT = rss.samples.at(-1)?.t ?? 0;

  // ------------------------------------------------------------ 3. reads
  // First one consignment again and again (after the warm-up its keys are in the ledger's caches),
  // then reads spread over the whole store, each of a consignment not read before (the caches miss;
  // LevelDB finds its keys in its tables). Status and history reads take disjoint spreads.
  const target = Math.floor(consignments / 2);
  const path = `/v1/consignments/${consignmentId(target)}`;
  const spread = (offset: number): string[] =>
    Array.from({ length: options.reads }, (_, i) =>
      consignmentId(Math.floor(((i + offset) * consignments) / options.reads)),
    );
  const statusSpread = spread(0);
  const historySpread = spread(0.5);
  const headers = gateway.auth('platforma-operator');
  const url = gateway.url;
  const readLoop = (routeOf: (i: number) => string): Promise<number[]> =>
    closedLoop(options.reads, options.readConnections, (i) => getOk(url + routeOf(i), headers));
  console.log(
    `reads of consignment ${consignmentId(target)}, then of ${options.reads} consignments across the store: ${options.reads} each, ${options.readConnections} clients…`,
  );
  // Warm-up (JIT, connection pool, the store's read cache), not measured.
  await closedLoop(200, options.readConnections, () => getOk(url + path, headers));
  await closedLoop(200, options.readConnections, () => getOk(`${url}${path}/history`, headers));
  const history = await readLoop(() => `${path}/history`);
  const status = await readLoop(() => path);
  const historySpreadReads = await readLoop((i) => `/v1/consignments/${historySpread[i]}/history`);
  const statusSpreadReads = await readLoop((i) => `/v1/consignments/${statusSpread[i]}`);
  const historyEntries = (
    (await (await fetch(`${url}${path}/history`, { headers })).json()) as { entries: unknown[] }
  ).entries.length;
  await rss.sample();
  rss.stop();
  await gateway.stop();
  gateway = undefined;

  const rawLevel = reference && (await rawLevelReads(reference.raw, statusSpread, consignmentId(target)));

  const memory = rss.summary(readsFromT);
  const ms = (values: number[], p: number): number => round(percentile(values, p), 3);
  const result = {
    backend,
    events,
    consignments,
    eventsPerConsignment: STEPS.length,
    blocks: height,
    storeMb: storeMb && round(storeMb, 1),
    load: {
      seconds: round(loadS, 1),
      eventsPerSec: round(events / loadS, 0),
      wave: options.wave,
      concurrency: options.concurrency,
      windowEvents: windowConsignments * STEPS.length,
      scaling,
      /** CPU ms per event at the last mark ÷ at the first: > 1 means an event costs more in a bigger store. */
      costGrowth: round(scaling.at(-1)!.cpuMsPerEvent / scaling[0]!.cpuMsPerEvent, 2),
    },
    reads: {
      consignment: consignmentId(target),
      historyEntries,
      requests: options.reads,
      connections: options.readConnections,
      historyP50Ms: ms(history, 50),
      historyP99Ms: ms(history, 99),
      statusP50Ms: ms(status, 50),
      statusP99Ms: ms(status, 99),
      rawLevelP50Ms: rawLevel && ms(rawLevel.one, 50),
      rawLevelP99Ms: rawLevel && ms(rawLevel.one, 99),
      /** Each read of a different consignment, evenly spaced over the store (status and history disjoint). */
      spread: {
        consignments: new Set([...statusSpread, ...historySpread]).size,
        historyP50Ms: ms(historySpreadReads, 50),
        historyP99Ms: ms(historySpreadReads, 99),
        statusP50Ms: ms(statusSpreadReads, 50),
        statusP99Ms: ms(statusSpreadReads, 99),
        rawLevelP50Ms: rawLevel && ms(rawLevel.spread, 50),
        rawLevelP99Ms: rawLevel && ms(rawLevel.spread, 99),
      },
      /** How many times a raw level get one status read takes (p50). */
      statusVsRawLevelP50: rawLevel && round(percentile(status, 50) / percentile(rawLevel.one, 50), 0),
      rawLevelKeysWritten: reference?.keysWritten,
      rawLevelCopySeconds: reference && round(reference.copySeconds, 1),
    },
    coldStart: {
      /** Spawn → /readyz 200 on the loaded store, as after any restart. */
      ms: round(coldStartMs, 0),
      emptyStoreMs: round(empty.coldStartMs, 0),
      /** After /readyz: until the gateway's background start-up work is done (under 10 % of a core for 1 s). */
      settleSeconds: round(settleS, 1),
      /** The first start after the load, and its background work: the event hub learns the whole ledger once. */
      firstStartMs: round(firstStartMs, 0),
      firstStartSettleSeconds: round(firstSettleS, 1),
      emptyStoreSettleSeconds: round(emptySettleS, 1),
    },
    memory: {
      /** RSS at the end: the 1M-event store opened, the event hub's index taken up, the reads done. */
      rssMb: memory.lastMb,
      emptyStoreRssMb: round(emptyRssMb, 1),
      /** Over the reads (from the end of start-up work on): least-squares growth. */
      ...memory,
      maxSinceSpawnMb: rss.summary().maxMb,
    },
    date: new Date().toISOString(),
    ...machine(),
  };
  await writeResult(options.out, result);
  console.table(
    Object.fromEntries(
      scaling.map((s) => [
        `load at ${s.storedEvents} events`,
        { 'events/s': s.eventsPerSec, 'CPU ms/event': s.cpuMsPerEvent },
      ]),
    ),
  );
  const { reads } = result;
  console.table({
    'GET …/history': {
      'one: p50 ms': reads.historyP50Ms,
      'one: p99 ms': reads.historyP99Ms,
      'spread: p50 ms': reads.spread.historyP50Ms,
      'spread: p99 ms': reads.spread.historyP99Ms,
    },
    'GET /v1/consignments/{id}': {
      'one: p50 ms': reads.statusP50Ms,
      'one: p99 ms': reads.statusP99Ms,
      'spread: p50 ms': reads.spread.statusP50Ms,
      'spread: p99 ms': reads.spread.statusP99Ms,
    },
    ...(rawLevel && {
      'raw level get (reference)': {
        'one: p50 ms': reads.rawLevelP50Ms,
        'one: p99 ms': reads.rawLevelP99Ms,
        'spread: p50 ms': reads.spread.rawLevelP50Ms,
        'spread: p99 ms': reads.spread.rawLevelP99Ms,
      },
    }),
  });
  console.log(result.coldStart, result.memory);
  console.log(
    `${events} events in ${result.load.seconds} s (${result.load.eventsPerSec} events/s) → ${options.out}`,
  );
} finally {
  await gateway?.stop();
  if (options.keep) console.log(`data kept in ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}

/** CPU time used so far: by this process, or on Fabric by the whole machine (the network runs on it). */
async function cpuMs(): Promise<number> {
  if (backend === 'embedded') {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  // /proc/stat's first line: time all CPUs spent in each state, in USER_HZ ticks (100 a second):
  // user, nice, system, idle, iowait, irq, softirq, steal, guest (already in user), guest_nice.
  const [user, nice, system, , , irq, softirq] = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq!) * 10;
}

/** The blocks' public write sets, block by block, into a plain `level` store: the reference for status reads. */
async function copyToRawLevel(
  ledger: EmbeddedLedger,
  location: string,
): Promise<{ raw: Level<string, Buffer>; keysWritten: number; copySeconds: number }> {
  console.log('copying the public write sets into a plain level store (reference)…');
  const raw = new Level<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await raw.open();
  const started = performance.now();
  let keysWritten = 0;
  for await (const block of committedWrites(ledger, 0)) {
    await raw.batch(block.writes.map(({ key, value }) => ({ type: 'put' as const, key, value })));
    keysWritten += block.writes.length;
  }
  return { raw, keysWritten, copySeconds: (performance.now() - started) / 1000 };
}

/** Raw `level` gets of the consignments' state keys: one key again and again, then spread; closes the store. */
async function rawLevelReads(
  raw: Level<string, Buffer>,
  spread: readonly string[],
  target: string,
): Promise<{ one: number[]; spread: number[] }> {
  const stateKey = (id: string): string => `\u0000${KeyType.consignment}\u0000${id}\u0000`;
  const targetKey = stateKey(target);
  if ((await raw.get(targetKey)) === undefined)
    throw new Error('the reference store lacks the consignment key');
  const loop = (keyOf: (i: number) => string): Promise<number[]> =>
    closedLoop(options.reads, options.readConnections, (i) => raw.get(keyOf(i)).then(() => undefined));
  await closedLoop(200, options.readConnections, () => raw.get(targetKey).then(() => undefined));
  const one = await loop(() => targetKey);
  const spreadReads = await loop((i) => stateKey(spread[i]!));
  await raw.close();
  return { one, spread: spreadReads };
}

async function directoryMb(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return bytes / 1024 / 1024;
}
