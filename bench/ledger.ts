/*
 * npm run bench:ledger [-- --n 20000 --concurrency 256]      (or BENCH_N=20000)
 *
 * Commits N chaincode transactions through the ledger port, without HTTP: consignment:create with
 * unique ids and order numbers by a platform user (the first write of every parcel; two state keys,
 * endorsed by two organisations), from C concurrent clients. Then, in the same run, writes the very
 * same write sets (keys and value bytes of the committed blocks' public writes, block by block, one
 * synchronous `level` batch per block, as the ledger commits) into a fresh LevelDB. The ratio shows
 * what the Fabric semantics cost on top of the storage itself: proposals and signatures, simulation
 * through fabric-shim, endorsement, ordering, validation, blocks, history and the transaction index.
 */
import '../gateway/src/ledger/embedded/chaincode-logging.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { Level } from 'level';
import { openEmbeddedNetwork } from '../gateway/src/ledger/embedded/network.js';
import { CommitError } from '../gateway/src/ledger/port.js';
import { committedWrites, SYNC_WRITE } from './lib/ledger-writes.js';
import { machine, writeResult } from './lib/results.js';
import { percentile, round } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '20000' },
    concurrency: { type: 'string', short: 'c', default: process.env.BENCH_CONCURRENCY ?? '256' },
    warmup: { type: 'string', default: '500' },
    out: { type: 'string', default: 'bench-results/ledger.json' },
  },
});
const positiveInt = (name: string, text: string, min: number): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};
const n = positiveInt('n', values.n, 1);
const concurrency = positiveInt('concurrency', values.concurrency, 1);
const warmup = positiveInt('warmup', values.warmup, 0);

const workDir = await mkdtemp(join(tmpdir(), 'bench-ledger-'));
try {
  const { ledger } = await openEmbeddedNetwork({
    dataDir: join(workDir, 'ledger'),
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  });
  const user = await ledger.enrolUser('PlatformAMSP', 'bench', { role: 'operator' });

  /** One client transaction, timed as the port's submit is: endorse → submit → commit status. */
  const createConsignment = async (id: string): Promise<{ totalMs: number; commitMs: number }> => {
    const t0 = performance.now();
    const joinKeys = { orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' };
    const endorsed = await ledger.endorse(user, 'consignment:create', {
      arguments: [id, JSON.stringify(joinKeys)],
    });
    const t1 = performance.now();
    const status = await (await endorsed.submit()).getStatus();
    const t2 = performance.now();
    if (!status.successful) throw new CommitError(status.transactionId, status.code);
    return { totalMs: t2 - t0, commitMs: t2 - t1 };
  };

  /** Runs `count` transactions from `clients` concurrent loops; ids are `${prefix}-${i}`. */
  const run = async (prefix: string, count: number, clients: number, onDone: () => void) => {
    const total: number[] = [];
    const commit: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(clients, count) }, async () => {
        for (let i = next++; i < count; i = next++) {
          const { totalMs, commitMs } = await createConsignment(`${prefix}-${i}`);
          total.push(totalMs);
          commit.push(commitMs);
          onDone();
        }
      }),
    );
    return { total, commit };
  };

  // Warm-up (JIT, chaincode and certificate caches), not measured and not in the comparison.
  if (warmup > 0) await run('WARM', warmup, concurrency, () => {});
  const firstBlock = Number(ledger.height());

  const bar = new SingleBar(
    {
      format: 'ledger    [{bar}] {percentage}% | {value}/{total} tx | {rate} tx/s | ETA {eta_formatted}',
      etaBuffer: 2000,
    },
    Presets.shades_classic,
  );
  bar.start(n, 0, { rate: '-' });
  const started = performance.now();
  let done = 0;
  const latencies = await run('BENCH', n, concurrency, () => {
    done += 1;
    if (done % 64 === 0 || done === n) {
      bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
    }
  });
  const elapsedS = (performance.now() - started) / 1000;
  bar.stop();

  // The reference workload: the public write sets of the measured blocks, as the blocks hold them.
  const blocks: (readonly { key: string; value: Buffer }[])[] = [];
  let transactions = 0;
  for await (const block of committedWrites(ledger, firstBlock)) {
    transactions += block.transactions;
    blocks.push(block.writes);
  }
  await ledger.close();
  if (transactions !== n) throw new Error(`the measured blocks hold ${transactions} transactions, not ${n}`);

  const raw = new Level<string, Buffer>(join(workDir, 'raw-level'), {
    keyEncoding: 'utf8',
    valueEncoding: 'buffer',
  });
  await raw.open();
  const rawStarted = performance.now();
  for (const writes of blocks) {
    await raw.batch(
      writes.map(({ key, value }) => ({ type: 'put' as const, key, value })),
      SYNC_WRITE,
    );
  }
  const rawElapsedS = (performance.now() - rawStarted) / 1000;
  await raw.close();

  const txPerSec = n / elapsedS;
  const rawLevelTxPerSec = n / rawElapsedS;
  const result = {
    txPerSec: round(txPerSec, 1),
    p50Ms: round(percentile(latencies.total, 50)),
    p99Ms: round(percentile(latencies.total, 99)),
    rawLevelTxPerSec: round(rawLevelTxPerSec, 1),
    ratio: round(txPerSec / rawLevelTxPerSec, 4),
    n,
    concurrency,
    blocks: blocks.length,
    meanBlockSize: round(n / blocks.length, 1),
    /** Part of the latency after endorsement: ordering, validation and the block's commit. */
    commitP50Ms: round(percentile(latencies.commit, 50)),
    commitP99Ms: round(percentile(latencies.commit, 99)),
    warmup,
    elapsedS: round(elapsedS),
    rawLevelElapsedS: round(rawElapsedS, 3),
    ...machine(),
    date: new Date().toISOString(),
  };
  await writeResult(values.out, result);

  console.log();
  console.table({
    'ledger port (submit → commit status)': {
      'tx/s': result.txPerSec,
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      'commit p50 ms': result.commitP50Ms,
      'commit p99 ms': result.commitP99Ms,
    },
    'raw level, same write sets and blocks': { 'tx/s': result.rawLevelTxPerSec },
  });
  console.log(
    `ratio ${result.ratio}: ${n} tx from ${concurrency} clients in ${result.blocks} blocks ` +
      `(mean ${result.meanBlockSize} tx/block) → ${values.out}`,
  );
} finally {
  await rm(workDir, { recursive: true, force: true });
}
