/*
 * A realistic day through the HTTP API only: platforms register sellers and buyers and create
 * consignments with their order data, payment providers send payments, posts and express carriers
 * send waybills and scans, customs releases, and a few things go wrong on purpose.
 *   npm run demo -- [--consignments 300] [--concurrency 16]
 * Talks to GATEWAY_URL (default http://localhost:8080); starts a gateway in-process if none answers.
 */
import '../gateway/src/ledger/embedded/chaincode-logging.js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import {
  BUYERS,
  CURRENCIES,
  DESTINATION_PORTS,
  GOODS,
  ORIGIN_PORTS,
  Random,
  round2,
  SELLERS,
} from './lib/demo-data.js';

const { values } = parseArgs({
  options: {
    consignments: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '20261128' },
  },
});
const TOTAL = Number(values.consignments);
const CONCURRENCY = Number(values.concurrency);
const rng = new Random(Number(values.seed));
const RUN = Date.now().toString(36).toUpperCase();

interface Credential {
  readonly user: string;
  readonly mspId: string;
  readonly apiKey: string;
}
interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const summary = {
  created: 0,
  complete: 0,
  mismatched: 0,
  released: 0,
  delivered: 0,
  refused: 0,
  errors: 0,
  requests: 0,
};
const problems: string[] = [];

let baseUrl = process.env.GATEWAY_URL ?? 'http://localhost:8080';
let stopGateway: (() => Promise<void>) | undefined;
let dataDir = resolve(process.env.DATA_DIR ?? './data');

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

if (!(await answers(baseUrl))) {
  console.log(`No gateway answers at ${baseUrl}; starting one in-process (DATA_DIR=${dataDir}).`);
  const { loadConfig } = await import('../gateway/src/config.js');
  const { startGateway } = await import('../gateway/src/server.js');
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
  });
  dataDir = config.dataDir;
  const gateway = await startGateway(config);
  baseUrl = gateway.url;
  stopGateway = () => gateway.close();
}

const credentials = JSON.parse(
  await readFile(process.env.CREDENTIALS ?? join(dataDir, 'dev-credentials.json'), 'utf8'),
) as Credential[];
const keyOf = (user: string): string => {
  const credential = credentials.find((c) => c.user === user);
  if (!credential) throw new Error(`no demo user ${user} in the credentials file`);
  return credential.apiKey;
};

async function call(user: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
  summary.requests++;
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      Authorization: `Bearer ${keyOf(user)}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A write that must succeed; anything else is an error of the demo's run. */
async function expectOk(user: string, path: string, body: unknown): Promise<Reply> {
  const reply = await call(user, 'POST', path, body);
  if (reply.status >= 300) {
    summary.errors++;
    problems.push(`${user} POST ${path} → ${reply.status} ${String(reply.body.detail ?? '')}`);
  }
  return reply;
}

/** A request that must be refused with a client error (problem+json); an acceptance is an error. */
async function expectRefused(
  user: string,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  why: string,
): Promise<void> {
  const reply = await call(user, method, path, body);
  if (reply.status >= 400 && reply.status < 500) summary.refused++;
  else {
    summary.errors++;
    problems.push(`expected a refusal (${why}) for ${user} ${method} ${path}, got ${reply.status}`);
  }
}

const platforms = [
  { user: 'platforma-operator', name: 'Platform A Marketplace' },
  { user: 'platformb-operator', name: 'Platform B Marketplace' },
];
const partyIds = new Map<string, string>();

async function registerParty(
  platform: string,
  kind: 'seller' | 'buyer',
  name: string,
  documentNumber: string,
  country: string,
): Promise<string> {
  const cacheKey = `${platform}/${documentNumber}`;
  const known = partyIds.get(cacheKey);
  if (known) return known;
  const reply = await expectOk(platform, '/v1/parties', {
    kind,
    verificationLevel: kind === 'seller' ? 'verified' : rng.pick(['basic', 'verified'] as const),
    party: {
      name,
      document: { type: kind === 'seller' ? 'tax_id' : 'passport', number: documentNumber, country },
    },
  });
  const id = String(reply.body.partyId ?? '');
  partyIds.set(cacheKey, id);
  return id;
}

async function consignment(n: number): Promise<void> {
  const platform = platforms[n % platforms.length]!;
  const seller = rng.pick(SELLERS);
  const buyerProfile = rng.pick(BUYERS);
  const buyerIndex = BUYERS.indexOf(buyerProfile);
  const express = rng.chance(0.4);
  const carrier = express ? 'express-operator' : 'post-operator';
  const paidByPlatform = rng.chance(0.2);
  const currency = rng.pick(CURRENCIES);
  const id = `DEMO-${RUN}-${n}`;
  const orderNumber = `${platform.user.startsWith('platforma') ? 'PA' : 'PB'}-${RUN}-${n}`;
  const trackingNumber = express ? `EX${RUN}${n}` : `RR${String(n).padStart(9, '0')}CN`;
  const payTx = `PAY-${RUN}-${n}`;

  const sellerId = await registerParty(platform.user, 'seller', seller.name, seller.taxId, seller.country);
  const buyerId = await registerParty(
    platform.user,
    'buyer',
    buyerProfile.name,
    `P${buyerIndex}X${1000 + buyerIndex}`,
    buyerProfile.country,
  );

  const lines = Array.from({ length: rng.int(1, 3) }, (_, i) => {
    const goods = rng.pick(GOODS);
    const quantity = rng.int(1, 3);
    const unitPrice = round2(goods.price[0] + rng.next() * (goods.price[1] - goods.price[0]));
    return {
      lineNo: i + 1,
      description: goods.description,
      hsCode: goods.hsCode,
      quantity,
      unit: goods.unit,
      unitPrice,
      lineValue: round2(unitPrice * quantity),
      originCountry: seller.country,
    };
  });
  const goodsValue = round2(lines.reduce((sum, l) => sum + l.lineValue, 0));
  const freight = round2(rng.int(3, 15) + rng.next());
  const insurance = round2(goodsValue * 0.01);
  const discount = rng.chance(0.3) ? round2(goodsValue * 0.05) : 0;
  const taxCollected = round2((goodsValue + freight + insurance - discount) * 0.2);
  const amountPaid = round2(goodsValue + freight + insurance + taxCollected - discount);
  const consignee = {
    name: buyerProfile.name,
    phone: buyerProfile.phone,
    address: {
      line1: buyerProfile.street,
      city: buyerProfile.city,
      postcode: buyerProfile.postcode,
      country: buyerProfile.country,
    },
  };
  const mismatchPayment = rng.chance(0.05);
  const mismatchConsignee = !mismatchPayment && rng.chance(0.03);

  // Half the consignments are announced by the platform, half by the carrier.
  const createdByCarrier = rng.chance(0.5);
  const created = await expectOk(createdByCarrier ? carrier : platform.user, '/v1/consignments', {
    consignmentId: id,
    ...(createdByCarrier ? { trackingNumber } : { orderNumber }),
    originCountry: seller.country,
    destinationCountry: buyerProfile.country,
  });
  if (created.status !== 201) return;
  summary.created++;

  const order = expectOk(platform.user, `/v1/consignments/${id}/order`, {
    orderNumber,
    seller: { id: sellerId, name: seller.name },
    buyer: {
      id: buyerId,
      name: buyerProfile.name,
      document: {
        type: 'passport',
        number: `P${buyerIndex}X${1000 + buyerIndex}`,
        country: buyerProfile.country,
      },
    },
    consignee,
    goodsValue,
    freight,
    insurance,
    discount,
    taxCollected,
    amountPaid,
    currency,
    orderedAt: new Date(Date.now() - rng.int(1, 72) * 3600_000).toISOString(),
    lines,
  });
  // A platform that takes the payment itself can only do so once its order binds it to the consignment.
  const payment = (paidByPlatform ? order : Promise.resolve()).then(() =>
    expectOk(paidByPlatform ? platform.user : 'payment-operator', `/v1/consignments/${id}/payment`, {
      paymentTransactionId: payTx,
      orderNumber,
      payer: {
        name: buyerProfile.name,
        document: {
          type: 'passport',
          number: `P${buyerIndex}X${1000 + buyerIndex}`,
          country: buyerProfile.country,
        },
      },
      amountPaid: mismatchPayment ? round2(amountPaid * 0.6) : amountPaid,
      currency,
      paidAt: new Date().toISOString(),
    }),
  );
  const logistics = expectOk(carrier, `/v1/consignments/${id}/logistics`, {
    trackingNumber,
    orderNumber,
    consignee: mismatchConsignee ? { ...consignee, name: 'Somebody Else' } : consignee,
    grossWeightKg: round2(0.2 + rng.next() * 3),
    packages: 1,
    freight,
    insurance,
    goodsDescription: lines.map((l) => l.description).join(', '),
  });
  const replies = await Promise.all([order, payment, logistics]);
  if (replies.every((r) => r.status === 201)) summary.complete++;
  if (mismatchPayment || mismatchConsignee) summary.mismatched++;
  await expectOk(platform.user, `/v1/consignments/${id}/declaration`, {
    declarant: platform.name,
    mode: 'direct',
    transportMode: express ? 'air' : 'mail',
    originCountry: seller.country,
    destinationCountry: buyerProfile.country,
    lines: lines.map((l) => ({ hsCode: l.hsCode, description: l.description, value: l.lineValue, currency })),
  });
  await expectOk(carrier, `/v1/consignments/${id}/movements`, {
    type: 'dispatched',
    location: ORIGIN_PORTS[seller.country],
  });
  await expectOk(carrier, `/v1/consignments/${id}/movements`, {
    type: 'arrived',
    location: DESTINATION_PORTS[buyerProfile.country],
  });
  // Matching and risk come later ([4/7]); until then customs releases what is consistent.
  if (!mismatchPayment && !mismatchConsignee && rng.chance(0.8)) {
    const released = await expectOk('customs-officer', `/v1/consignments/${id}/decision`, {
      decision: 'release',
      reasonCodes: ['DEMO_RELEASE'],
    });
    if (released.status === 201) {
      summary.released++;
      const delivered = await expectOk(carrier, `/v1/consignments/${id}/movements`, {
        type: 'delivered',
        location: DESTINATION_PORTS[buyerProfile.country],
      });
      if (delivered.status === 201) summary.delivered++;
    }
  } else if (mismatchPayment || mismatchConsignee) {
    await expectOk('customs-officer', `/v1/consignments/${id}/decision`, {
      decision: 'hold',
      reasonCodes: ['DATA_MISMATCH'],
    });
  }

  // Some deliberate bad requests: each must be refused with a 4xx problem.
  if (n % 50 === 7)
    await expectRefused(
      platform.user,
      'POST',
      `/v1/consignments/${id}/order`,
      { orderNumber, status: 'released' },
      'unknown field',
    );
  if (n % 50 === 17)
    await expectRefused(
      carrier,
      'POST',
      `/v1/consignments/${id}/movements`,
      { type: 'dispatched', location: 42 },
      'wrong type',
    );
  if (n % 50 === 27)
    await expectRefused(
      platform.user,
      'POST',
      `/v1/consignments/${id}/decision`,
      { decision: 'release', reasonCodes: [] },
      'wrong role',
    );
  if (n % 50 === 37)
    await expectRefused(
      carrier,
      'POST',
      `/v1/consignments/${id}/movements`,
      { type: 'exited', location: 'FRCDG' },
      'illegal transition',
    );
  if (n % 50 === 47)
    await expectRefused(
      platforms[(n + 1) % 2]!.user,
      'GET',
      `/v1/consignments/${id}`,
      undefined,
      "another platform's consignment",
    );
}

const bar = new SingleBar(
  { format: 'demo [{bar}] {value}/{total} consignments | {requests} requests | {errors} errors' },
  Presets.shades_classic,
);
bar.start(TOTAL, 0, { requests: 0, errors: 0 });
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let n = next++; n < TOTAL; n = next++) {
      try {
        await consignment(n);
      } catch (error) {
        summary.errors++;
        problems.push(`consignment ${n}: ${(error as Error).message}`);
      }
      bar.increment(1, { requests: summary.requests, errors: summary.errors });
    }
  }),
);
bar.stop();
const elapsed = (performance.now() - started) / 1000;
await stopGateway?.();

console.log('\nDemo summary');
console.table({
  ...summary,
  elapsedSeconds: Number(elapsed.toFixed(1)),
  requestsPerSecond: Math.round(summary.requests / elapsed),
});
for (const problem of problems.slice(0, 20)) console.log(`  ! ${problem}`);
if (summary.errors > 0) process.exitCode = 1;
