/*
 * npm run bench:customs [-- --n 400 --concurrency 16]      (or BENCH_N=400)
 *
 * Customs assessments through the ledger port, by the gateway's ledger client, without HTTP: N
 * consignments are prepared with order, payment, logistics and declaration data (not measured),
 * then customs:assess runs on each from C concurrent clients, as customs' service identity and
 * endorsed by the customs peer alone, as the gateway's pipeline does. Each assessment reads three
 * trader collections, the rule set and tariffs, party status and the split-shipment index, and
 * writes customs' collection and the seal. Different buyers and sellers, so the figure is the
 * assessment's own cost, not hot-key retries. With LEDGER=fabric it runs on the running network
 * (FABRIC_PROFILE_DIR) with the network's cast, 100 consignments by default, and writes
 * bench-results/customs-fabric.json.
 */
import '../gateway/src/ledger/chaincode-logging.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parseCommandLine, positiveInt } from '../scripts/lib/cli-arguments.js';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET } from '@customs-ledger/chaincode';
import { loadConfig } from '../gateway/src/config.js';
import type { Signer } from '../gateway/src/ledger/identities.js';
import {
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
} from '../test/support/payloads.js';
import { openBenchLedger, resultFile } from './lib/bench-ledger.js';
import { machine, writeResult } from './lib/results.js';
import { percentile, round } from './lib/stats.js';

const backend = loadConfig().ledger;
const options = parseCommandLine<{ n: number; concurrency: number; out: string }>(
  new Command()
    .name('bench:customs')
    .addOption(
      new Option('--n <n>', 'consignments assessed')
        .env('BENCH_N')
        .argParser(positiveInt)
        .default(backend === 'fabric' ? 100 : 400),
    )
    .addOption(
      new Option('-c, --concurrency <n>', 'consignments in flight')
        .env('BENCH_CONCURRENCY')
        .argParser(positiveInt)
        .default(16),
    )
    .option('--out <file>', 'result file', resultFile('customs', backend)),
);
const { n, concurrency } = options;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const workDir = await mkdtemp(join(tmpdir(), 'bench-customs-'));
try {
  const bench = await openBenchLedger(join(workDir, 'ledger'));
  const { client, cast } = bench;
  const platform: Signer = { user: 'bench-platform', mspId: cast.platform, role: 'operator' };
  const payment: Signer = { user: 'bench-payment', mspId: cast.payment, role: 'operator' };
  const post: Signer = { user: 'bench-post', mspId: cast.post, role: 'operator' };
  const service: Signer = { user: 'bench-customs-service', mspId: cast.customs, role: 'service' };
  // A network keeps its ledger between runs: ids unique to this run.
  const run = hex(3).toUpperCase();

  const submit = async (
    signer: Signer,
    fn: string,
    args: string[],
    transient?: Record<string, Uint8Array>,
    endorsingOrganizations?: string[],
  ): Promise<void> => {
    await client.submit(signer, fn, args, { transient, endorsingOrganizations });
  };
  const record = (signer: Signer, fn: string, id: string, payload: unknown) =>
    submit(signer, fn, [id], { payload: json(payload), saltSeed: Buffer.from(hex(16)) }, [
      signer.mspId,
      cast.customs,
    ]);

  // The demo's rule set (with customs' secret) and tariffs where the ledger has none, as customs'
  // gateway installs them at start: a network keeps its own between runs.
  const has = async (fn: string): Promise<boolean> => (await client.evaluate(service, fn, [''])) !== null;
  if (!(await has('customs:getRuleSet'))) {
    await submit(
      service,
      'customs:putRuleSet',
      [],
      { ruleSet: json(DEFAULT_RULE_SET), secret: Buffer.from(hex(32)) },
      [cast.customs],
    );
  }
  if (!(await has('customs:getTariffs'))) {
    await submit(service, 'customs:putTariffs', [], { tariffs: json(DEFAULT_TARIFF_SET) }, [cast.customs]);
  }

  const prepare = async (i: number) => {
    const id = `BENCH-${run}-${i}`;
    const orderNumber = `ORD-${id}`;
    const base = orderPayload(orderNumber);
    const document = { type: 'passport', number: `P-${run}-${i}`, country: 'FR' };
    const buyer = { id: hex(32), name: `Buyer ${i}`, document };
    const trackingNumber = `RR${run}${String(i).padStart(9, '0')}FR`;
    await submit(platform, 'consignment:create', [
      id,
      JSON.stringify({
        orderNumber,
        trackingNumber,
        paymentTransactionId: `PAY-${id}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
      }),
    ]);
    await record(platform, 'consignment:submitOrder', id, {
      ...base,
      seller: { id: hex(32), name: `Seller ${i}` },
      buyer,
      consignee: { ...base.consignee, name: buyer.name },
    });
    await record(payment, 'consignment:submitPayment', id, {
      ...paymentPayload(orderNumber, `PAY-${id}`),
      payer: { name: buyer.name, document },
    });
    await record(post, 'consignment:submitLogistics', id, {
      ...logisticsPayload(orderNumber, trackingNumber),
      consignee: { ...base.consignee, name: buyer.name },
    });
    await record(platform, 'consignment:submitDeclaration', id, declarationPayload());
  };

  const inLoops = async (count: number, clients: number, work: (i: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(clients, count) }, async () => {
        for (let i = next++; i < count; i = next++) await work(i);
      }),
    );
  };

  console.log(`preparing ${n} consignments (order, payment, logistics, declaration)…`);
  await inLoops(n, 64, prepare);

  console.log(`assessing them from ${concurrency} clients…`);
  const latencies: number[] = [];
  const started = performance.now();
  await inLoops(n, concurrency, async (i) => {
    const t0 = performance.now();
    await submit(service, 'customs:assess', [`BENCH-${run}-${i}`], undefined, [cast.customs]);
    latencies.push(performance.now() - t0);
  });
  const elapsedS = (performance.now() - started) / 1000;
  await bench.close();

  const results = {
    benchmark: 'customs:assess through the ledger port, endorsed by customs alone',
    backend: bench.backend,
    assessments: n,
    concurrency,
    assessmentsPerSec: round(n / elapsedS, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    elapsedS: round(elapsedS),
    ...machine(),
  };
  await writeResult(options.out, results);
  console.log(results);
  console.log(`→ ${options.out}`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
