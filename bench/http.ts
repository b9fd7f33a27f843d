/*
 * HTTP throughput of the gateway against a plain Express hello-world, in one run:
 *   (a) single writes: POST /v1/consignments, a unique consignment id and order number per request;
 *   (b) batch writes: POST /v1/batch with --batch-size create operations per request;
 *   (c) GET / on an Express app that answers "hello world" (the ceiling of Express on this machine).
 * The gateway (LEDGER from the environment, default embedded) runs in this process on a fresh
 * temporary DATA_DIR, next to the hello-world app; autocannon runs in a child process so that
 * generating load does not compete for the servers' event loop. Between runs the gateway is left
 * to finish the ledger work of requests still in flight when autocannon stopped.
 *
 *   npm run bench:http -- [--duration 10] [--connections 32] [--batch-size 100]
 *                         [--batch-connections 4] [--warmup 2] [--idempotency] [--keep]
 * Writes bench-results/http.json (bench-results/http-fabric.json with LEDGER=fabric, same fields).
 *
 * Batches run on fewer connections (default 4, so 400 operations in flight): with 32 connections
 * 3,200 operations are in flight, one answer takes longer than a good part of the run, and
 * counting only the operations answered within the run understates the rate. As a cross-check, the
 * rate at which the ledger committed creates during each run (answered or not) is reported too.
 * What a write costs the network against its reference key-value chaincode, without HTTP, is
 * bench:ledger's to measure.
 * --idempotency adds an Idempotency-Key to every write (one durable store write more per request).
 */
import '../gateway/src/ledger/chaincode-logging.js';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request as CannonRequest } from 'autocannon';
import { Command } from 'commander';
import { nonNegativeNumber, parseCommandLine, positiveInt } from '../scripts/lib/cli-arguments.js';
import { resultFile } from './lib/bench-ledger.js';

type JobKind = 'hello' | 'single' | 'batch';

interface Job {
  readonly kind: JobKind;
  readonly url: string;
  readonly apiKey?: string;
  readonly duration: number;
  readonly connections: number;
  readonly batchSize: number;
  readonly idempotency: boolean;
  /** Makes ids unique across jobs of this run. */
  readonly prefix: string;
}

interface JobResult {
  readonly kind: JobKind;
  readonly durationSec: number;
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Batch only: operations answered with 2xx, and failed ones, inside 200 responses. */
  readonly operationsOk: number;
  readonly operationsFailed: number;
  /** Up to three answers that were not 2xx (or failed batch operations), to say why. */
  readonly samples: readonly string[];
}

const ROLE_ENV = 'BENCH_HTTP_ROLE';

if (process.env[ROLE_ENV] === 'loadgen') {
  await loadGenerator();
} else {
  await main();
}

// ------------------------------------------------------------------ load generator (child process)

async function loadGenerator(): Promise<void> {
  process.on('message', (job: Job) => {
    void runJob(job).then(
      (result) => process.send!({ ok: true, result }),
      (error: unknown) => process.send!({ ok: false, error: (error as Error).stack ?? String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

async function runJob(job: Job): Promise<JobResult> {
  let counter = 0;
  let operationsOk = 0;
  let operationsFailed = 0;
  const samples: string[] = [];
  const sample = (text: string): void => {
    if (samples.length < 3) samples.push(text.slice(0, 300));
  };
  const headers: Record<string, string> = {};
  if (job.apiKey) {
    headers.authorization = `Bearer ${job.apiKey}`;
    headers['content-type'] = 'application/json';
  }
  const nextId = (): string => `${job.prefix}-${(counter++).toString(36)}`;
  const joinKeys = (id: string): Record<string, string> => ({
    orderNumber: `O-${id}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  const withKey = (h: Record<string, string>, id: string): Record<string, string> =>
    job.idempotency ? { ...h, 'idempotency-key': `bench-${id}` } : h;

  let request: CannonRequest;
  if (job.kind === 'hello') {
    request = { method: 'GET', path: '/' };
  } else if (job.kind === 'single') {
    request = {
      method: 'POST',
      path: '/v1/consignments',
      headers,
      setupRequest: (req) => {
        const id = nextId();
        return {
          ...req,
          headers: withKey(headers, id),
          body: JSON.stringify({ consignmentId: id, ...joinKeys(id) }),
        };
      },
      onResponse: (status, body) => {
        if (status >= 300) sample(`${status} ${body}`);
      },
    };
  } else {
    request = {
      method: 'POST',
      path: '/v1/batch',
      headers,
      setupRequest: (req) => {
        const first = nextId();
        const operations = Array.from({ length: job.batchSize }, (_, i) => {
          const id = i === 0 ? first : nextId();
          const { orderNumber, originCountry, destinationCountry } = joinKeys(id);
          return {
            op: 'create',
            consignmentId: id,
            body: { orderNumber, originCountry, destinationCountry },
          };
        });
        return { ...req, headers: withKey(headers, first), body: JSON.stringify({ operations }) };
      },
      onResponse: (status, body) => {
        if (status >= 300) {
          sample(`${status} ${body}`);
          return;
        }
        try {
          const answer = JSON.parse(body) as {
            succeeded: number;
            failed: number;
            results: { status: number; problem?: { detail?: string } }[];
          };
          operationsOk += answer.succeeded;
          operationsFailed += answer.failed;
          if (answer.failed > 0) {
            const failure = answer.results.find((r) => r.status >= 300);
            sample(`operation ${failure?.status}: ${failure?.problem?.detail}`);
          }
        } catch {
          sample(`200 with an unreadable body: ${body}`);
        }
      },
    };
  }

  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    // Batches of many ledger writes can take seconds under load; a timeout would hide them.
    timeout: 120,
    requests: [request],
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    kind: job.kind,
    durationSec: result.duration,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    operationsOk,
    operationsFailed,
    samples,
  };
}

// ------------------------------------------------------------------ servers and report (this process)

async function main(): Promise<void> {
  const options = parseCommandLine<{
    duration: number;
    connections: number;
    batchSize: number;
    batchConnections: number;
    warmup: number;
    idempotency?: boolean;
    keep?: boolean;
  }>(
    new Command()
      .name('bench:http')
      .option('--duration <s>', 'seconds each measured run lasts', positiveInt, 10)
      .option('--connections <n>', 'connections for single writes and hello-world', positiveInt, 32)
      .option('--batch-size <n>', 'create operations per batch', positiveInt, 100)
      .option('--batch-connections <n>', 'connections for batch writes', positiveInt, 4)
      .option('--warmup <s>', 'seconds of warm-up before hello-world and single writes', nonNegativeNumber, 2)
      .option('--idempotency', 'send an Idempotency-Key with every write')
      .option('--keep', 'keep the data directory'),
  );
  const { duration, connections, batchSize, batchConnections, warmup } = options;
  const idempotency = options.idempotency === true;
  const run = randomBytes(3).toString('hex').toUpperCase();

  const express = (await import('express')).default;
  const { loadConfig } = await import('../gateway/src/config.js');
  const { startGateway } = await import('../gateway/src/server.js');

  const dataDir = await mkdtemp(join(tmpdir(), 'bench-http-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    // Request logs would measure the terminal; the limiter stays in the path but must not refuse.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '100000000',
  });
  console.log(`Starting the gateway (ledger ${config.ledger}, DATA_DIR ${dataDir})…`);
  const gateway = await startGateway(config);
  const apiKey = gateway.credentials.find((c) => c.user === 'platforma-operator')?.apiKey;
  if (!apiKey) throw new Error('no demo user platforma-operator');

  const hello = express();
  hello.get('/', (_req, res) => {
    res.send('hello world');
  });
  const helloServer = hello.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    helloServer.once('listening', resolve);
    helloServer.once('error', reject);
  });
  const helloUrl = `http://127.0.0.1:${(helloServer.address() as AddressInfo).port}`;
  const gatewayUrl = gateway.url.replace('localhost', '127.0.0.1');
  const metrics: MetricsEndpoint = {
    url: `${gatewayUrl}/metrics`,
    headers: { authorization: `Bearer ${gateway.metricsToken}` },
  };

  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, [ROLE_ENV]: 'loadgen' },
  });
  const send = jobSender(child);
  await send(undefined);

  let jobs = 0;
  interface Measured extends JobResult {
    /** Creates the ledger committed per second while the run lasted (answered or not). */
    readonly ledgerOpsPerSec: number;
  }
  /** Runs a job, then waits until the gateway has done the ledger work of every write it received. */
  const measure = async (kind: JobKind, seconds: number, conns: number, label: string): Promise<Measured> => {
    process.stdout.write(`${label} (${seconds} s, ${conns} connections)… `);
    const before = await gatewayCounts(metrics, batchSize);
    const started = performance.now();
    const result = (await send({
      kind,
      url: kind === 'hello' ? helloUrl : gatewayUrl,
      apiKey: kind === 'hello' ? undefined : apiKey,
      duration: seconds,
      connections: conns,
      batchSize,
      idempotency,
      prefix: `B${run}${jobs++}`,
    }))!;
    const window = (performance.now() - started) / 1000;
    const during = kind === 'hello' ? before : await gatewayCounts(metrics, batchSize);
    let drain = '';
    if (kind !== 'hello') {
      const drainStarted = performance.now();
      const settled = await waitForLedger(
        metrics,
        before,
        kind === 'single' ? '/v1/consignments' : '/v1/batch',
        kind === 'single' ? 1 : batchSize,
        batchSize,
      );
      drain = ` (gateway ${settled ? 'caught up' : 'still busy'} ${((performance.now() - drainStarted) / 1000).toFixed(1)} s later)`;
    }
    console.log(`done${drain}`);
    return { ...result, ledgerOpsPerSec: Math.round((during.operations - before.operations) / window) };
  };

  const loadAtStart = loadavg()[0]!;
  if (warmup > 0) {
    await measure('hello', warmup, connections, 'warm-up: hello-world');
    await measure('single', warmup, connections, 'warm-up: single writes');
  }
  const helloResult = await measure('hello', duration, connections, '(c) hello-world GET /');
  const single = await measure('single', duration, connections, '(a) single writes POST /v1/consignments');
  const batch = await measure(
    'batch',
    duration,
    batchConnections,
    `(b) batch writes POST /v1/batch × ${batchSize}`,
  );

  child.disconnect();
  await new Promise<void>((resolve) => helloServer.close(() => resolve()));
  await gateway.close();
  if (!options.keep) await rm(dataDir, { recursive: true, force: true });

  const perSec = (count: number, seconds: number): number => Math.round(count / seconds);
  const results = {
    singleReqPerSec: perSec(single.ok, single.durationSec),
    singleP50Ms: single.p50Ms,
    singleP99Ms: single.p99Ms,
    batchEventsPerSec: perSec(batch.operationsOk, batch.durationSec),
    batchReqPerSec: Number((batch.ok / batch.durationSec).toFixed(2)),
    batchP50Ms: batch.p50Ms,
    batchP99Ms: batch.p99Ms,
    batchLedgerOpsPerSec: batch.ledgerOpsPerSec,
    singleLedgerOpsPerSec: single.ledgerOpsPerSec,
    helloReqPerSec: perSec(helloResult.ok, helloResult.durationSec),
    helloP99Ms: helloResult.p99Ms,
    batchSize,
    singleNon2xx: single.non2xx,
    batchNon2xx: batch.non2xx,
    batchFailedOperations: batch.operationsFailed,
    helloNon2xx: helloResult.non2xx,
    connectionErrors: single.errors + batch.errors + helloResult.errors,
    timeouts: single.timeouts + batch.timeouts + helloResult.timeouts,
    ledger: config.ledger,
    ledgerThread: config.ledgerThread,
    durationSec: duration,
    connections,
    batchConnections,
    idempotencyKeys: idempotency,
    logLevel: config.logLevel,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage1mAtStart: Number(loadAtStart.toFixed(2)),
    date: new Date().toISOString(),
  };
  const output = resultFile('http', config.ledger);
  await mkdir('bench-results', { recursive: true });
  await writeFile(output, JSON.stringify(results, null, 2) + '\n');

  console.table({
    '(a) single write': {
      connections,
      'req/s': results.singleReqPerSec,
      'events/s': results.singleReqPerSec,
      'ledger commits/s': single.ledgerOpsPerSec,
      'p50 ms': single.p50Ms,
      'p99 ms': single.p99Ms,
      'non-2xx': single.non2xx,
      errors: single.errors,
    },
    [`(b) batch × ${batchSize}`]: {
      connections: batchConnections,
      'req/s': results.batchReqPerSec,
      'events/s': results.batchEventsPerSec,
      'ledger commits/s': batch.ledgerOpsPerSec,
      'p50 ms': batch.p50Ms,
      'p99 ms': batch.p99Ms,
      'non-2xx': batch.non2xx + batch.operationsFailed,
      errors: batch.errors,
    },
    '(c) hello-world': {
      connections,
      'req/s': results.helloReqPerSec,
      'events/s': '',
      'ledger commits/s': '',
      'p50 ms': helloResult.p50Ms,
      'p99 ms': helloResult.p99Ms,
      'non-2xx': helloResult.non2xx,
      errors: helloResult.errors,
    },
  });
  console.log(
    `ledger ${results.ledger}, node ${results.node}, ${results.cores} × ${results.cpu}, load average ${results.loadAverage1mAtStart} at start → ${output}`,
  );
  const failed =
    results.singleNon2xx + results.batchNon2xx + results.batchFailedOperations + results.helloNon2xx;
  if (failed > 0 || results.connectionErrors > 0) {
    console.warn(
      `WARNING: ${failed} non-2xx answers or failed operations and ${results.connectionErrors} connection errors: the figures do not count.`,
    );
    for (const s of [...single.samples, ...batch.samples, ...helloResult.samples]) console.warn(`  ${s}`);
    process.exitCode = 1;
  }
}

/** Sends jobs to the load generator one at a time; `undefined` waits for it to be ready. */
function jobSender(child: ChildProcess): (job: Job | undefined) => Promise<JobResult | undefined> {
  let pending: { resolve: (r: JobResult | undefined) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (message: { ready?: true; ok?: boolean; result?: JobResult; error?: string }) => {
    const waiting = pending;
    pending = undefined;
    if (message.ready) waiting?.resolve(undefined);
    else if (message.ok) waiting?.resolve(message.result);
    else waiting?.reject(new Error(`load generator failed: ${message.error}`));
  });
  child.on('exit', (code) => pending?.reject(new Error(`load generator exited with ${code}`)));
  return (job) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      if (job) child.send(job);
    });
}

/** Where the gateway's metrics are, and the bearer header that reads them. */
interface MetricsEndpoint {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface GatewayCounts {
  /** Operations the ledger has finished (ok or not): single creates, and operations of batch transactions. */
  readonly operations: number;
  /** Requests received per route template (counted when answered or abandoned by the client). */
  readonly received: Readonly<Record<string, number>>;
}

/**
 * Reads the gateway's Prometheus metrics. A benchmark batch request (at most 1,000 creates of new
 * consignments) is one consignment:batch transaction of `batchSize` operations.
 */
async function gatewayCounts(metrics: MetricsEndpoint, batchSize: number): Promise<GatewayCounts> {
  const res = await fetch(metrics.url, { headers: metrics.headers });
  // A refusal would read as no work done at all.
  if (!res.ok) throw new Error(`${metrics.url} answered ${res.status}`);
  const text = await res.text();
  let operations = 0;
  const received: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const submitted =
      line.startsWith('ledger_call_duration_seconds_count{') && line.includes('operation="submit"');
    if (submitted && line.includes('transaction="consignment:create"')) {
      operations += value;
    } else if (submitted && line.includes('transaction="consignment:batch"')) {
      operations += value * batchSize;
    } else if (line.startsWith('http_requests_total{') && line.includes('method="POST"')) {
      const route = /route="([^"]*)"/.exec(line)?.[1] ?? '';
      received[route] = (received[route] ?? 0) + value;
    }
  }
  return { operations, received };
}

/**
 * autocannon stops with requests in flight; the gateway still commits them. Waits until the ledger
 * has finished every operation the gateway received since `before` (route × operations per
 * request), or until nothing moved for 5 s, so that the next run does not pay for this one.
 */
async function waitForLedger(
  metrics: MetricsEndpoint,
  before: GatewayCounts,
  route: string,
  operationsPerRequest: number,
  batchSize: number,
): Promise<boolean> {
  let last = -1;
  let lastChange = Date.now();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const now = await gatewayCounts(metrics, batchSize);
    const expected = ((now.received[route] ?? 0) - (before.received[route] ?? 0)) * operationsPerRequest;
    const done = now.operations - before.operations;
    if (done >= expected) return true;
    if (done !== last) {
      last = done;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 5000) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
