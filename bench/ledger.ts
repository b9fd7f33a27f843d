import '../gateway/src/ledger/embedded/chaincode-logging.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { Level } from 'level';
import { isConfigData } from '../gateway/src/ledger/embedded/block.js';
import { openEmbeddedNetwork } from '../gateway/src/ledger/embedded/network.js';
import { TxValidationCode } from '../gateway/src/ledger/port.js';
import { percentile } from './lib/stats.js';

/*
 * Commits N chaincode transactions (consignment:create, the first write of every parcel) through
 * the ledger port, without HTTP, and in the same run writes the very same write sets straight
 * into LevelDB, one synchronous batch per block of the same size: the ratio shows what the Fabric
 * semantics (simulation through fabric-shim, endorsement by two organisations, signatures,
 * validation, blocks, history) cost on top of the storage itself.
 */
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '20000' },
    concurrency: { type: 'string', default: '256' },
  },
});
const n = Number(values.n);
const concurrency = Number(values.concurrency);

const dataDir = await mkdtemp(join(tmpdir(), 'bench-ledger-'));
const { ledger } = await openEmbeddedNetwork({
  dataDir,
  networkConfigPath: 'config/organisations.json',
  collectionsConfigPath: 'chaincode/collections_config.json',
});
const user = await ledger.enrolUser('PlatformAMSP', 'bench', { role: 'operator' });
const startHeight = Number(ledger.height());

const bar = new SingleBar(
  { format: 'ledger   [{bar}] {value}/{total} tx  {eta}s left' },
  Presets.shades_classic,
);
bar.start(n, 0);
const latencies: number[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = performance.now();
      await ledger.submit(user, 'consignment:create', {
        arguments: [
          `BENCH-${i}`,
          JSON.stringify({ orderNumber: `ORD-${i}`, originCountry: 'CN', destinationCountry: 'FR' }),
        ],
      });
      latencies.push(performance.now() - t0);
      bar.increment();
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
bar.stop();

// The reference: the same keys and value bytes, block by block, straight into level.
const blocks: { key: string; value: Buffer }[][] = [];
for (let b = startHeight; b < Number(ledger.height()); b++) {
  const block = await ledger.getBlock(b);
  if (isConfigData(block.data)) continue;
  const writes: { key: string; value: Buffer }[] = [];
  block.data.transactions.forEach((tx, i) => {
    if (block.metadata.validationCodes[i] !== TxValidationCode.VALID) return;
    for (const w of tx.rwset.writes)
      if (w.value !== null) writes.push({ key: w.key, value: Buffer.from(w.value, 'base64') });
  });
  blocks.push(writes);
}
await ledger.close();
const rawDir = join(dataDir, 'raw-level');
const raw = new Level<string, Buffer>(rawDir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
await raw.open();
const rawStarted = performance.now();
for (const writes of blocks) {
  await raw.batch(
    writes.map(({ key, value }) => ({ type: 'put' as const, key, value })),
    { sync: true } as never,
  );
}
const rawElapsed = (performance.now() - rawStarted) / 1000;
await raw.close();
await rm(dataDir, { recursive: true, force: true });

const txPerSec = n / elapsed;
const rawLevelTxPerSec = n / rawElapsed;
const result = {
  n,
  concurrency,
  blocks: blocks.length,
  txPerSec: Math.round(txPerSec),
  p50Ms: Number(percentile(latencies, 50).toFixed(2)),
  p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  rawLevelTxPerSec: Math.round(rawLevelTxPerSec),
  ratio: Number((txPerSec / rawLevelTxPerSec).toFixed(4)),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  date: new Date().toISOString(),
};
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/ledger.json', JSON.stringify(result, null, 2) + '\n');
console.table({
  'ledger port': { 'tx/s': result.txPerSec, 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms },
  'raw level (same write sets)': { 'tx/s': result.rawLevelTxPerSec, 'p50 ms': '', 'p99 ms': '' },
});
console.log(`ratio ${result.ratio} over ${result.blocks} blocks → bench-results/ledger.json`);
