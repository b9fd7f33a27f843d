/**
 * `LEDGER=fabric npm run bench` measures the real network (run by `npm run test:fabric`, which
 * brings the network up with the reference chaincode): each benchmark, in a few transactions, runs
 * on the network with its cast and writes its figures. The full suite is too slow for a test; this
 * proves every path of it works.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe.skipIf(process.env.LEDGER !== 'fabric')('the benchmarks on Fabric', () => {
  let dir: string;
  /** Runs a benchmark script on the network and returns the result file it wrote. */
  const bench = async (script: string, args: readonly string[]): Promise<Record<string, unknown>> => {
    const out = join(dir, `${script}.json`);
    await run(process.execPath, ['--import', 'tsx', join('bench', `${script}.ts`), ...args, '--out', out], {
      env: { ...process.env, LEDGER: 'fabric' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-fabric-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bench:ledger commits creates through the Fabric port and compares them with kv:put', async () => {
    const result = await bench('ledger', ['--n', '40', '--warmup', '4', '--concurrency', '8']);
    expect(result).toMatchObject({ backend: 'fabric', n: 40 });
    expect(result.txPerSec).toBeGreaterThan(0);
    expect(result.kvPutTxPerSec).toBeGreaterThan(0);
    expect(result.ratio).toBeCloseTo(Number(result.txPerSec) / Number(result.kvPutTxPerSec), 2);
    expect(result).not.toHaveProperty('rawLevelTxPerSec');
  });

  it('bench:customs assesses consignments the network cast prepared', async () => {
    const result = await bench('customs', ['--n', '6', '--concurrency', '3']);
    expect(result).toMatchObject({ backend: 'fabric', assessments: 6 });
    expect(result.assessmentsPerSec).toBeGreaterThan(0);
  });

  it('bench:store loads parcels, starts the gateway on the network and reads them over HTTP', async () => {
    const result = (await bench('store', [
      '--events',
      '700',
      '--wave',
      '50',
      '--window',
      '350',
      '--reads',
      '20',
    ])) as {
      backend: string;
      events: number;
      storeMb?: number;
      load: { scaling: { cpuMsPerEvent: number }[] };
      reads: { historyEntries: number; statusP50Ms: number; rawLevelP50Ms?: number };
      coldStart: { ms: number };
      memory: { rssMb: number };
    };
    expect(result.backend).toBe('fabric');
    expect(result.events).toBe(700);
    // The peers keep the ledger: no store of ours, no raw level reference.
    expect(result.storeMb).toBeUndefined();
    expect(result.reads.rawLevelP50Ms).toBeUndefined();
    // Each parcel's seven steps are in its history, read through the spawned gateway on Fabric.
    expect(result.reads.historyEntries).toBe(7);
    expect(result.reads.statusP50Ms).toBeGreaterThan(0);
    expect(result.load.scaling[0]!.cpuMsPerEvent).toBeGreaterThan(0);
    expect(result.coldStart.ms).toBeGreaterThan(0);
    expect(result.memory.rssMb).toBeGreaterThan(0);
  });
});
