/*
 * `npm run bench`: every benchmark in turn (each in its own process, so none warms another's
 * caches), then one markdown table of the figures against their targets in bench-results/summary.md.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

interface Row {
  readonly benchmark: string;
  readonly figure: string;
  readonly reference: string;
  readonly target: string;
  readonly met: boolean;
}

for (const script of ['bench/ledger.ts', 'bench/http.ts', 'bench/customs.ts']) {
  console.log(`\n=== ${script}`);
  execFileSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit', env: process.env });
}

const read = async (name: string): Promise<Record<string, number | string>> =>
  JSON.parse(await readFile(`bench-results/${name}.json`, 'utf8')) as Record<string, number | string>;
const ledger = await read('ledger');
const http = await read('http');
const customs = await read('customs');
const n = (value: number | string | undefined): number => Number(value ?? Number.NaN);

const rows: Row[] = [
  {
    benchmark: 'ledger port: consignment:create, 2 endorsers',
    figure: `${n(ledger.txPerSec)} tx/s, p50 ${n(ledger.p50Ms)} ms, p99 ${n(ledger.p99Ms)} ms`,
    reference: `raw level ${n(ledger.rawLevelTxPerSec)} tx/s (ratio ${n(ledger.ratio)})`,
    target: '≥ 5,000 tx/s, ratio ≥ 0.2',
    met: n(ledger.txPerSec) >= 5000 && n(ledger.ratio) >= 0.2,
  },
  {
    benchmark: 'HTTP single writes',
    figure: `${n(http.singleReqPerSec)} req/s, p50 ${n(http.singleP50Ms)} ms, p99 ${n(http.singleP99Ms)} ms`,
    reference: `Express hello-world ${n(http.helloReqPerSec)} req/s`,
    target: '≥ 1,500 req/s, p99 ≤ 25 ms',
    met: n(http.singleReqPerSec) >= 1500 && n(http.singleP99Ms) <= 25,
  },
  {
    benchmark: 'HTTP batch writes',
    figure: `${n(http.batchEventsPerSec)} events/s, p99 ${n(http.batchP99Ms)} ms`,
    reference: '',
    target: '≥ 10,000 events/s',
    met: n(http.batchEventsPerSec) >= 10_000,
  },
  {
    benchmark: 'customs:assess, customs endorsing alone',
    figure: `${n(customs.assessmentsPerSec)} assessments/s, p50 ${n(customs.p50Ms)} ms, p99 ${n(customs.p99Ms)} ms`,
    reference: '',
    // The EU's average parcel rate (DOMAIN.md): 146 a second.
    target: '≥ 146 assessments/s',
    met: n(customs.assessmentsPerSec) >= 146,
  },
];

const table = [
  `Measured ${new Date().toISOString()} on ${String(ledger.cpu)} × ${String(ledger.cores)}, Node ${String(ledger.node)}, ledger ${String(http.ledger ?? 'embedded')}.`,
  '',
  '| Benchmark | Result | Reference (same run) | Target | Met |',
  '|---|---|---|---|---|',
  ...rows.map(
    (r) => `| ${r.benchmark} | ${r.figure} | ${r.reference} | ${r.target} | ${r.met ? 'yes' : 'no'} |`,
  ),
  '',
].join('\n');
await writeFile('bench-results/summary.md', table);
console.log(`\n${table}\n→ bench-results/summary.md`);
