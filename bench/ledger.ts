/*
 * npm run bench:ledger [-- --n 20000 --concurrency 256]      (or BENCH_N=20000)
 *
 * Commits N chaincode transactions through the ledger port, without HTTP: consignment:create with
 * unique ids and order numbers by a platform user (the first write of every parcel; two state keys,
 * endorsed by two organisations), from C concurrent clients. Then, in the same run, the references:
 *
 * - N kv:put of the reference chaincode (bench/reference-chaincode: one putState), by the same
 *   platform, from as many clients, endorsed under the same policy: the cheapest transaction of the
 *   same backend. The ratio to it (kvPutRatio) is what our chaincode and policies cost on top. On
 *   Fabric (a running network, FABRIC_PROFILE_DIR), the network's reference chaincode
 *   (network.sh deploy-reference); on the embedded ledger, a second embedded ledger of the same
 *   network, so that it also shows how far the Fabric semantics alone let the embedded ledger go
 *   on this machine. Fabric's defaults: 1,000 transactions, 32 clients, 50 to warm up.
 * - embedded ledger only (the default backend): the very same write sets (keys and value bytes of
 *   the committed blocks' public writes, block by block, one synchronous `level` batch per block,
 *   as the ledger commits) into a fresh LevelDB. The ratio to it (ratio) shows what the Fabric
 *   semantics and our chaincode cost on top of the storage itself: proposals and signatures,
 *   simulation through fabric-shim, endorsement, ordering, validation, blocks, history and the
 *   transaction index. On Fabric, ratio is kvPutRatio.
 *
 * Writes bench-results/ledger.json (ledger-fabric.json on Fabric).
 */
import '../gateway/src/ledger/chaincode-logging.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { nonNegativeInt, parseCommandLine, positiveInt } from '../scripts/lib/cli-arguments.js';
import { Presets, SingleBar } from 'cli-progress';
import { Level } from 'level';
import { loadConfig } from '../gateway/src/config.js';
import type { EmbeddedLedger } from '../gateway/src/ledger/embedded/embedded-ledger.js';
import { CommitError } from '../gateway/src/ledger/port.js';
import { openBenchLedger, resultFile } from './lib/bench-ledger.js';
import { committedWrites, SYNC_WRITE } from './lib/ledger-writes.js';
import { machine, writeResult } from './lib/results.js';
import { percentile, round } from './lib/stats.js';
import { closedLoop } from './lib/timed.js';

const config = loadConfig();
const onFabric = config.ledger === 'fabric';
const options = parseCommandLine<{ n: number; concurrency: number; warmup: number; out: string }>(
  new Command()
    .name('bench:ledger')
    .addOption(
      new Option('--n <n>', 'transactions measured')
        .env('BENCH_N')
        .argParser(positiveInt)
        .default(onFabric ? 1_000 : 20_000),
    )
    .addOption(
      new Option('-c, --concurrency <n>', 'clients submitting at once')
        .env('BENCH_CONCURRENCY')
        .argParser(positiveInt)
        .default(onFabric ? 32 : 256),
    )
    .option('--warmup <n>', 'transactions before the measured ones', nonNegativeInt, onFabric ? 50 : 500)
    .option('--out <file>', 'result file', resultFile('ledger', config.ledger)),
);
const { n, concurrency, warmup } = options;

/** The reference measured in the same run: its rate and figures, or why it was skipped. */
interface Reference {
  readonly name: string;
  readonly txPerSec?: number;
  readonly skipped?: string;
  readonly figures: Readonly<Record<string, number | string>>;
}

const workDir = await mkdtemp(join(tmpdir(), 'bench-ledger-'));
try {
  const bench = await openBenchLedger(join(workDir, 'ledger'));
  const { ledger } = bench;
  const user = await bench.user(bench.cast.platform, 'bench', 'operator');
  // A network keeps its ledger between runs: ids unique to this run.
  const runId = randomBytes(3).toString('hex').toUpperCase();

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

  /** Runs `count` transactions from `clients` concurrent loops; ids are `${runId}-${prefix}-${i}`. */
  const run = async (prefix: string, count: number, clients: number, onDone: () => void) => {
    const total: number[] = [];
    const commit: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(clients, count) }, async () => {
        for (let i = next++; i < count; i = next++) {
          const { totalMs, commitMs } = await createConsignment(`${runId}-${prefix}-${i}`);
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
  const firstBlock = bench.embedded ? Number(bench.embedded.height()) : 0;

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

  const kvPut = await kvPutReference();
  // What `ratio` is against: on the embedded ledger the storage itself, on Fabric the network's bare write.
  const reference = bench.embedded ? await rawLevelReference(bench.embedded, firstBlock) : kvPut;
  const references = [...new Set([reference, kvPut])];
  await bench.close();

  const txPerSec = n / elapsedS;
  const ratioTo = ({ txPerSec: other }: Reference): number | undefined =>
    other === undefined ? undefined : round(txPerSec / other, 4);
  const result = {
    backend: bench.backend,
    txPerSec: round(txPerSec, 1),
    p50Ms: round(percentile(latencies.total, 50)),
    p99Ms: round(percentile(latencies.total, 99)),
    reference: reference.name,
    ...reference.figures,
    ratio: ratioTo(reference),
    ...kvPut.figures,
    /** consignment:create ÷ kv:put on the same backend: what our chaincode costs over the cheapest transaction. */
    kvPutRatio: ratioTo(kvPut),
    n,
    concurrency,
    /** Part of the latency after endorsement: ordering, validation and the block's commit. */
    commitP50Ms: round(percentile(latencies.commit, 50)),
    commitP99Ms: round(percentile(latencies.commit, 99)),
    warmup,
    elapsedS: round(elapsedS),
    ...machine(),
    date: new Date().toISOString(),
  };
  await writeResult(options.out, result);

  console.log();
  console.table({
    [`ledger port on ${bench.backend} (submit → commit status)`]: {
      'tx/s': result.txPerSec,
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      'commit p50 ms': result.commitP50Ms,
      'commit p99 ms': result.commitP99Ms,
    },
    ...Object.fromEntries(
      references.map((r) => [
        r.name,
        { 'tx/s': r.txPerSec === undefined ? 'skipped' : round(r.txPerSec, 1) },
      ]),
    ),
  });
  const skipped = references.filter((r) => r.skipped !== undefined);
  console.log(
    `ratio ${result.ratio ?? '-'}, to kv:put ${result.kvPutRatio ?? '-'}: ${n} tx from ${concurrency} clients${skipped.map((r) => ` (${r.name} skipped: ${r.skipped})`).join('')} → ${options.out}`,
  );

  /** The measured blocks' public write sets into a fresh LevelDB, one synchronous batch per block. */
  async function rawLevelReference(embedded: EmbeddedLedger, from: number): Promise<Reference> {
    const blocks: (readonly { key: string; value: Buffer }[])[] = [];
    let transactions = 0;
    for await (const block of committedWrites(embedded, from)) {
      transactions += block.transactions;
      blocks.push(block.writes);
    }
    if (transactions !== n)
      throw new Error(`the measured blocks hold ${transactions} transactions, not ${n}`);
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
    return {
      name: 'raw level, same write sets and blocks',
      txPerSec: n / rawElapsedS,
      figures: {
        rawLevelTxPerSec: round(n / rawElapsedS, 1),
        rawLevelElapsedS: round(rawElapsedS, 3),
        blocks: blocks.length,
        meanBlockSize: round(n / blocks.length, 1),
      },
    };
  }

  /** As many kv:put of the reference chaincode on the same backend, by the same organisation, from as many clients. */
  async function kvPutReference(): Promise<Reference> {
    const name = 'kv:put of the reference chaincode, same clients and endorsement policy';
    const kv = await bench.referenceChaincode();
    if ('skipped' in kv) return { name, skipped: kv.skipped, figures: { kvPutSkipped: kv.skipped } };
    try {
      await closedLoop(warmup, concurrency, (i) => kv.put(`kv-${runId}-warm-${i}`, `value ${i}`));
      const putStarted = performance.now();
      const put = await closedLoop(n, concurrency, (i) => kv.put(`kv-${runId}-${i}`, `value ${i}`));
      const putElapsedS = (performance.now() - putStarted) / 1000;
      return {
        name,
        txPerSec: n / putElapsedS,
        figures: {
          kvPutTxPerSec: round(n / putElapsedS, 1),
          kvPutP50Ms: round(percentile(put, 50)),
          kvPutP99Ms: round(percentile(put, 99)),
        },
      };
    } finally {
      await kv.close();
    }
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
