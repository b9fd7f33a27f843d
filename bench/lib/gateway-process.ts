/*
 * The gateway as `npm start` runs it (`node` with GATEWAY_NODE_FLAGS on `gateway/dist/main.js`,
 * built by `npm run build:gateway`, with glibc's arenas as `npm start` limits them; its own process,
 * real HTTP), so that its start-up time and its
 * memory are its own and not the benchmark's, and so that it can be killed (the reliability tests
 * use it too). Memory and CPU time are read from /proc (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { slope } from './stats.js';

/**
 * Node's flags for the gateway, as package.json's `start` passes them. Below 2 GB, V8's heap limit
 * also sets how far V8 lets its heap grow past the live data after a full collection: at most
 * about 1.8 times with this limit, against 4 times under the default limit on a machine with this
 * much memory (bench/README.md, session 10).
 */
export const GATEWAY_NODE_FLAGS = ['--enable-source-maps', '--max-old-space-size=1536'];

/**
 * glibc's malloc arenas, as package.json's `start` limits them unless the environment sets
 * MALLOC_ARENA_MAX: glibc would otherwise make up to 16 on two cores for libuv's pool threads,
 * which read LevelDB, and RSS after the 1M-event reads is about 25 MB lower with 2 (bench/README.md,
 * sessions 24 and 28). Other platforms ignore the variable.
 */
export const GATEWAY_MALLOC_ARENA_MAX = '2';

export interface GatewayProcess {
  readonly pid: number;
  readonly url: string;
  /** Spawn → first 200 from /readyz, in milliseconds. */
  readonly coldStartMs: number;
  /** The bearer header of a demo user (by user name, e.g. 'platforma-operator'). */
  auth(user: string): Record<string, string>;
  /** The bearer header that reads /metrics. */
  readonly metricsAuth: Record<string, string>;
  /** Whether the gateway made that demo user (a Fabric network has only its own organisations'). */
  has(user: string): boolean;
  /** SIGTERM (the gateway closes its stores), SIGKILL after 30 s. */
  stop(): Promise<void>;
  /** SIGKILL: the gateway dies where it is, as in a crash. */
  kill(): Promise<void>;
}

/** Starts the gateway on `dataDir` (`env` adds to or overrides its settings) and resolves once /readyz answers 200. */
export async function startGatewayProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const spawnedAt = performance.now();
  // Given, rather than read from the data directory, so that one set in the environment is no obstacle.
  const metricsToken = env.METRICS_TOKEN ?? randomBytes(32).toString('base64url');
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, 'gateway/dist/main.js'], {
    env: {
      MALLOC_ARENA_MAX: GATEWAY_MALLOC_ARENA_MAX,
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      // The limiter stays in the path but must not refuse a benchmark's steady load.
      RATE_LIMIT_PER_MINUTE: '100000000',
      METRICS_TOKEN: metricsToken,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child);
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    // Waiting would not mend it (the reliability tests would otherwise stop at their timeout).
    const readiness = (await res?.json().catch(() => undefined)) as
      { status?: string; detail?: string } | undefined;
    if (readiness?.status === 'audit log mismatch') {
      child.kill('SIGKILL');
      throw new Error(`gateway on ${dataDir} is not ready: ${readiness.detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const coldStartMs = performance.now() - spawnedAt;
  const credentials = JSON.parse(await readFile(join(dataDir, 'dev-credentials.json'), 'utf8')) as {
    user: string;
    apiKey: string;
  }[];
  const exited = (signal: NodeJS.Signals, killAfterMs?: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill =
        killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill(signal);
    });
  return {
    pid: child.pid!,
    url,
    coldStartMs,
    has: (user) => credentials.some((c) => c.user === user),
    auth: (user) => {
      const credential = credentials.find((c) => c.user === user);
      if (!credential) throw new Error(`no demo user ${user}`);
      return { authorization: `Bearer ${credential.apiKey}` };
    },
    metricsAuth: { authorization: `Bearer ${metricsToken}` },
    stop: () => exited('SIGTERM', 30_000),
    kill: () => exited('SIGKILL'),
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Gateway listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        // Keep draining, or a chatty gateway would block on a full pipe.
        child.stdout!.resume();
        resolve(match[1]!.replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 100_000) output = output.slice(-50_000);
    });
    child.once('exit', (code) =>
      reject(new Error(`gateway exited with ${code} before listening:\n${output}`)),
    );
  });
}

/**
 * A process's resident memory in MB: all of it (RSS), its anonymous part (heaps, stacks) and its
 * file-backed part (the binary, libraries, and LevelDB's tables, which it maps into memory: the
 * pages a read touched count until the kernel reclaims them).
 */
export async function residentMb(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string): number => {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    if (kb === undefined) throw new Error(`no ${field} for process ${pid}`);
    return Number(kb) / 1024;
  };
  return { rss: mb('VmRSS'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/** User + system CPU time a process has used, in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/**
 * Waits until the process has used less than `busyShare` of one core over a whole second (the
 * gateway's background work after start, such as the event hub's replay of the ledger, is done).
 * Resolves with the seconds waited; gives up after `timeoutS`.
 */
export async function waitUntilIdle(pid: number, timeoutS = 600, busyShare = 0.1): Promise<number> {
  const started = performance.now();
  let before = await cpuSeconds(pid);
  while ((performance.now() - started) / 1000 < timeoutS) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await cpuSeconds(pid);
    if (now - before < busyShare) break;
    before = now;
  }
  return (performance.now() - started) / 1000;
}

/**
 * RSS growth that still counts as flat, in MB a minute (least squares). Bounded caches filling and
 * the heap settling stay under it over a few minutes; a leak of 2 MB/min (about 3 GB a day) is
 * already one an operator would see.
 */
export const FLAT_RSS_MB_PER_MIN = 2;

export interface RssSample {
  /** Seconds since the sampler started. */
  readonly t: number;
  readonly mb: number;
  readonly anonMb: number;
  readonly fileMb: number;
}

/** Samples a process's RSS at a fixed period until stopped. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    periodMs: number,
  ) {
    this.timer = setInterval(() => void this.sample(), periodMs);
    void this.sample();
  }

  async sample(): Promise<RssSample | undefined> {
    const resident = await residentMb(this.pid).catch(() => undefined);
    if (resident === undefined) return undefined;
    const sample = {
      t: (performance.now() - this.started) / 1000,
      mb: resident.rss,
      anonMb: resident.anon,
      fileMb: resident.file,
    };
    this.samples.push(sample);
    return sample;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** First, last and max RSS, and the growth in MB a minute (least squares) of the samples from `fromT` on. */
  summary(fromT = 0): {
    firstMb: number;
    lastMb: number;
    /** The last sample's anonymous and file-backed parts. */
    lastAnonMb: number;
    lastFileMb: number;
    maxMb: number;
    slopeMbPerMin: number;
    /** The growth of the anonymous and the file-backed part alone. */
    anonSlopeMbPerMin: number;
    fileSlopeMbPerMin: number;
    samples: number;
  } {
    const window = this.samples.filter((s) => s.t >= fromT);
    const mbs = window.map((s) => s.mb);
    const growth = (mb: (s: RssSample) => number): number =>
      Number(slope(window.map((s) => ({ x: s.t / 60, y: mb(s) }))).toFixed(2));
    return {
      firstMb: Number((mbs[0] ?? 0).toFixed(1)),
      lastMb: Number((mbs.at(-1) ?? 0).toFixed(1)),
      lastAnonMb: Number((window.at(-1)?.anonMb ?? 0).toFixed(1)),
      lastFileMb: Number((window.at(-1)?.fileMb ?? 0).toFixed(1)),
      maxMb: Number(Math.max(0, ...mbs).toFixed(1)),
      slopeMbPerMin: growth((s) => s.mb),
      anonSlopeMbPerMin: growth((s) => s.anonMb),
      fileSlopeMbPerMin: growth((s) => s.fileMb),
      samples: window.length,
    };
  }
}
