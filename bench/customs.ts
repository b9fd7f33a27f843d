/*
 * npm run bench:customs [-- --n 400 --concurrency 16]      (or BENCH_N=400)
 *
 * Customs assessments through the ledger port, without HTTP: N consignments are prepared with
 * order, payment, logistics and declaration data (not measured), then customs:assess runs on each
 * from C concurrent clients, as customs' service identity and endorsed by the customs peer alone,
 * as the gateway's pipeline does. Each assessment reads three trader collections, the rule set and
 * tariffs, party status and the split-shipment index, and writes customs' collection and the seal.
 * Different buyers and sellers, so the figure is the assessment's own cost, not hot-key retries.
 */
import '../gateway/src/ledger/embedded/chaincode-logging.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET } from '@customs-ledger/chaincode';
import { openEmbeddedNetwork } from '../gateway/src/ledger/embedded/network.js';
import { CommitError, type ClientIdentity } from '../gateway/src/ledger/port.js';
import {
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
} from '../test/support/payloads.js';
import { machine, writeResult } from './lib/results.js';
import { percentile, round } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: process.env.BENCH_N ?? '400' },
    concurrency: { type: 'string', short: 'c', default: process.env.BENCH_CONCURRENCY ?? '16' },
    out: { type: 'string', default: 'bench-results/customs.json' },
  },
});
const positiveInt = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const n = positiveInt('n', values.n);
const concurrency = positiveInt('concurrency', values.concurrency);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const workDir = await mkdtemp(join(tmpdir(), 'bench-customs-'));
try {
  const { ledger } = await openEmbeddedNetwork({
    dataDir: join(workDir, 'ledger'),
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  });
  const user = (mspId: string, name: string, role: string) => ledger.enrolUser(mspId, name, { role });
  const platform = await user('PlatformAMSP', 'bench-platform', 'operator');
  const payment = await user('PaymentMSP', 'bench-payment', 'operator');
  const post = await user('PostMSP', 'bench-post', 'operator');
  const service = await user('CustomsMSP', 'bench-customs-service', 'service');

  const submit = async (
    identity: ClientIdentity,
    fn: string,
    args: string[],
    transientData?: Record<string, Uint8Array>,
    endorsingOrganizations?: string[],
  ) => {
    const endorsed = await ledger.endorse(identity, fn, {
      arguments: args,
      transientData,
      endorsingOrganizations,
    });
    const status = await (await endorsed.submit()).getStatus();
    if (!status.successful) throw new CommitError(status.transactionId, status.code);
  };
  const record = (identity: ClientIdentity, fn: string, id: string, payload: unknown) =>
    submit(identity, fn, [id], { payload: json(payload), saltSeed: Buffer.from(hex(16)) }, [
      identity.mspId,
      'CustomsMSP',
    ]);

  await submit(
    service,
    'customs:putRuleSet',
    [],
    {
      ruleSet: json(DEFAULT_RULE_SET),
      secret: Buffer.from(hex(32)),
    },
    ['CustomsMSP'],
  );
  await submit(service, 'customs:putTariffs', [], { tariffs: json(DEFAULT_TARIFF_SET) }, ['CustomsMSP']);

  const prepare = async (i: number) => {
    const id = `BENCH-${i}`;
    const orderNumber = `ORD-${id}`;
    const base = orderPayload(orderNumber);
    const document = { type: 'passport', number: `P-${i}`, country: 'FR' };
    const buyer = { id: hex(32), name: `Buyer ${i}`, document };
    await submit(platform, 'consignment:create', [
      id,
      JSON.stringify({ orderNumber, originCountry: 'CN', destinationCountry: 'FR' }),
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
      ...logisticsPayload(orderNumber, `RR${String(i).padStart(9, '0')}FR`),
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
    await submit(service, 'customs:assess', [`BENCH-${i}`], undefined, ['CustomsMSP']);
    latencies.push(performance.now() - t0);
  });
  const elapsedS = (performance.now() - started) / 1000;
  await ledger.close();

  const results = {
    benchmark: 'customs:assess through the ledger port, endorsed by customs alone',
    assessments: n,
    concurrency,
    assessmentsPerSec: round(n / elapsedS, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    elapsedS: round(elapsedS),
    ...machine(),
  };
  await writeResult(values.out, results);
  console.log(results);
  console.log(`→ ${values.out}`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
