/*
 * A realistic day through the HTTP API only. Platforms register their sellers and buyers; parcels
 * are announced by a platform or by the carrier; the platform sends the order, a payment provider
 * (sometimes the platform itself) the payment, the post or express carrier the waybill, a declarant
 * the declaration; the carrier scans dispatch and arrival. Customs assesses each parcel as soon as
 * its data is complete (three-way match, risk, duty) and its service identity releases those that
 * match on the green lane, often before arrival; the rest wait in the officers' queue with their
 * reasons, where an officer refers some (the platform answers and customs assesses again) and
 * inspects others. Released parcels are delivered, and some come back: returned in whole or in part,
the buyer refunded, the duty and VAT refunded by customs. A few parcels carry deliberate mismatches and a
 * few requests are deliberately wrong (they must be refused with a 4xx problem document).
 *
 *   npm run demo -- [--consignments 300] [--concurrency 16] [--seed 20261128]
 *
 * Talks to GATEWAY_URL (default http://localhost:8080) with the API keys of
 * CREDENTIALS or <DATA_DIR>/dev-credentials.json (DATA_DIR default ./data); when nothing answers
 * there it starts a gateway in-process on DATA_DIR and closes it at the end.
 * Exits with 1 when anything unexpected happened (a 5xx, a network error, a bad request accepted).
 */
import '../gateway/src/ledger/chaincode-logging.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import {
  assessedOnReturn,
  assessedShare,
  localDate,
  returnedShare,
  vatCollectedAtImport,
  type DutyAssessment,
  type ReconciliationRow,
} from '@customs-ledger/chaincode';
import {
  ApiClient,
  gatewayAnswers,
  isProblem,
  percentile,
  readCredentials,
  type Reply,
} from './lib/api-client.js';
import {
  BUYERS,
  DESTINATIONS,
  GOODS,
  PER_EUR,
  PLATFORMS,
  Random,
  round2,
  round3,
  s10,
  SELLERS,
  type BuyerProfile,
  type PlatformProfile,
  type SellerProfile,
} from './lib/demo-data.js';
import { nonNegativeInt, parseCommandLine, positiveInt } from './lib/cli-arguments.js';
import { EventCounter } from './lib/event-stream.js';

// ------------------------------------------------------------------ options and connection

const args = parseCommandLine<{ consignments: number; concurrency: number; seed?: number }>(
  new Command()
    .name('demo')
    .usage('[--consignments 300] [--concurrency 16] [--seed N]')
    .option('--consignments <n>', 'parcels in the day', positiveInt, 300)
    .option('--concurrency <n>', 'requests in flight at most', positiveInt, 16)
    .option('--seed <n>', 'seed of the day (the same seed makes the same day)', nonNegativeInt),
);
const TOTAL = args.consignments;
const CONCURRENCY = args.concurrency;
const SEED = args.seed ?? randomBytes(4).readUInt32BE();
const rng = new Random(SEED);
/** Makes this run's order, tracking and transaction numbers unique against earlier runs on the same ledger. */
const RUN = Date.now().toString(36).toUpperCase();
const SERIAL_BASE = randomBytes(4).readUInt32BE() % 90_000_000;

const dataDir = resolve(process.env.DATA_DIR ?? './data');
let baseUrl = (process.env.GATEWAY_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
let closeGateway: (() => Promise<void>) | undefined;

if (await gatewayAnswers(baseUrl)) {
  console.log(`Using the gateway at ${baseUrl}.`);
} else {
  console.log(`No gateway answers at ${baseUrl}; starting one in-process on DATA_DIR=${dataDir}.`);
  const { loadConfig } = await import('../gateway/src/config.js');
  const { startGateway } = await import('../gateway/src/server.js');
  try {
    const gateway = await startGateway(
      loadConfig({
        ...process.env,
        PORT: '0',
        DATA_DIR: dataDir,
        HOST: process.env.HOST ?? '127.0.0.1',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      }),
    );
    baseUrl = gateway.url;
    closeGateway = () => gateway.close();
  } catch (error) {
    console.error(`could not start a gateway on ${dataDir}: ${(error as Error).message}`);
    console.error('(is another gateway using that DATA_DIR? then point GATEWAY_URL at it)');
    process.exit(1);
  }
}
process.once('SIGINT', () => {
  console.log('\ninterrupted');
  void (closeGateway?.() ?? Promise.resolve()).finally(() => process.exit(130));
});

const credentials = await readCredentials(dataDir, process.env.CREDENTIALS).catch(async (error: Error) => {
  console.error(error.message);
  await closeGateway?.();
  process.exit(1);
});
const api = new ApiClient(baseUrl, credentials, CONCURRENCY);
// Keys of another data directory are all refused: say so once, not as one 401 per request.
const keyStatuses = await Promise.all(credentials.map(async (c) => (await api.get(c.user, '/v1/me')).status));
if (keyStatuses.length > 0 && keyStatuses.every((status) => status === 401)) {
  console.error(
    `the gateway at ${baseUrl} refuses every demo API key (401): they are another data directory's. Set DATA_DIR (or CREDENTIALS) to the gateway's, or GATEWAY_URL to the gateway of ${dataDir}`,
  );
  await closeGateway?.();
  process.exit(1);
}
const CUSTOMS = 'customs-officer';
const AUDITOR = 'auditor';
const PAYMENT = 'payment-operator';
const orgName = (user: string, fallback: string): string =>
  credentials.find((c) => c.user === user)?.org ?? fallback;
const mspIdOf = (user: string): string => credentials.find((c) => c.user === user)!.mspId;
// The cast is whoever this network has: the embedded ledger has every organisation, a Fabric
// network those of network/network.config.json. Without a payment provider platforms take
// payments themselves; without an express carrier the post carries everything.
const platforms = PLATFORMS.filter((p) => api.hasUser(p.user));
const carriers = (['post-operator', 'express-operator'] as const).filter((user) => api.hasUser(user));
const hasPaymentProvider = api.hasUser(PAYMENT);
if (platforms.length === 0 || carriers.length === 0 || !api.hasUser(CUSTOMS)) {
  console.error(
    `the credentials need a platform, a carrier and '${CUSTOMS}'; they have ${credentials.map((c) => c.user).join(', ')}`,
  );
  await closeGateway?.();
  process.exit(1);
}

// ------------------------------------------------------------------ outcome bookkeeping

const summary = {
  parties: 0,
  created: 0,
  complete: 0,
  mismatched: 0,
  released: 0,
  inQueue: 0,
  delivered: 0,
  returned: 0,
  partlyReturned: 0,
  referredOrInspected: 0,
  personalDataReads: 0,
  disclosuresVerified: 0,
  retriesReplayed: 0,
  refused: 0,
  errors: 0,
};
const problems: string[] = [];
const notes: string[] = [];

function error(message: string): void {
  summary.errors++;
  problems.push(message);
}

function describe(reply: Reply): string {
  if (reply.status === 0) return `no answer: ${reply.failure}`;
  const detail = reply.body.detail ?? reply.failure ?? JSON.stringify(reply.body).slice(0, 160);
  return `${reply.status} ${String(detail)}`;
}

/** A request that must succeed; returns whether it did. */
function accepted(reply: Reply, what: string): boolean {
  if (reply.status >= 200 && reply.status < 300 && !reply.failure) return true;
  error(`${what} → ${describe(reply)}`);
  return false;
}

/** A deliberately wrong request: it must be refused with a 4xx problem document. */
function refused(reply: Reply, what: string, expectedStatus: number): void {
  if (reply.status >= 400 && reply.status < 500 && isProblem(reply)) {
    summary.refused++;
    if (reply.status !== expectedStatus) {
      notes.push(
        `${what}: refused with ${reply.status}, expected ${expectedStatus} (${String(reply.body.detail)})`,
      );
    }
    return;
  }
  if (reply.status >= 400 && reply.status < 500) {
    error(`${what}: refused with ${reply.status} but not as application/problem+json (${reply.contentType})`);
    return;
  }
  error(`${what}: expected a refusal (${expectedStatus}), got ${describe(reply)}`);
}

// ------------------------------------------------------------------ the day's plan

type Carrier = 'post-operator' | 'express-operator';
type Mismatch = 'none' | 'payment-amount' | 'consignee' | 'under-declared';
/** What an officer does with a parcel that was not released automatically. */
type Decision = 'refer' | 'inspect' | 'none';

const BAD_REQUESTS = [
  'unknown-field',
  'wrong-type',
  'money-3-decimals',
  'short-hs-code',
  'bad-locode',
  'platform-decides',
  'payment-sends-logistics',
  'exit-before-return',
  'other-platform-reads',
  'idempotency-key-reused',
  'unknown-purpose',
] as const;
type BadRequest = (typeof BAD_REQUESTS)[number];
/** The wrong requests this network's cast can make. */
const possibleBadRequests = BAD_REQUESTS.filter(
  (bad) =>
    (bad !== 'payment-sends-logistics' || hasPaymentProvider) &&
    (bad !== 'other-platform-reads' || platforms.length > 1),
);

interface Plan {
  readonly n: number;
  readonly id: string;
  readonly platform: PlatformProfile;
  readonly seller: SellerProfile;
  readonly buyer: BuyerProfile;
  readonly carrier: Carrier;
  readonly createdBy: string;
  readonly payer: string;
  readonly declarant: string;
  readonly create: Record<string, unknown>;
  readonly order: Record<string, unknown>;
  readonly payment: Record<string, unknown>;
  readonly logistics: Record<string, unknown>;
  readonly declaration: Record<string, unknown>;
  readonly dispatched: Record<string, unknown>;
  readonly arrived: Record<string, unknown>;
  readonly deliveredAt: Record<string, unknown>;
  readonly mismatch: Mismatch;
  readonly decision: Decision;
  readonly deliver: boolean;
  /** Some delivered parcels come back: all of them, or part of the first line. */
  readonly returnGoods: 'none' | 'all' | 'part';
  readonly customsReads: boolean;
  readonly carrierReads: boolean;
  readonly disclose: boolean;
  readonly replayCreate: boolean;
  readonly bad?: BadRequest;
}

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function plan(n: number): Plan {
  const platform = platforms[n % platforms.length]!;
  const seller = rng.pick(SELLERS.filter((s) => s.platforms.includes(platform.code)));
  // Sellers ship abroad: a buyer in the seller's own country would be a domestic sale.
  const buyer = rng.pick(BUYERS.filter((b) => b.country !== seller.country));
  const destination = DESTINATIONS[buyer.country]!;
  const currency = destination.currency;
  const rate = PER_EUR[currency];
  const express = carriers.length === 1 ? carriers[0] === 'express-operator' : rng.chance(0.4);
  const carrier: Carrier = express ? 'express-operator' : 'post-operator';
  const id = `DEMO-${RUN}-${String(n).padStart(5, '0')}`;
  const orderNumber = `${platform.code}-${RUN}-${String(n).padStart(6, '0')}`;
  const trackingNumber = express
    ? String(1_000_000_000 + ((SERIAL_BASE * 10 + n) % 9_000_000_000))
    : s10(rng.pick(['LX', 'RR', 'UA', 'CP']), SERIAL_BASE + n, seller.country);
  const payer = !hasPaymentProvider || rng.chance(platform.ownPaymentShare) ? platform.user : PAYMENT;
  const paymentTransactionId = `${payer === PAYMENT ? 'PSP' : platform.code}:${RUN}:${randomUUID().slice(0, 8)}`;

  const lines = Array.from({ length: rng.chance(0.7) ? 1 : rng.int(2, 4) }, (_, i) => {
    const hsCode = rng.pick(seller.goods);
    const goods = GOODS[hsCode]!;
    const quantity = rng.chance(0.75) ? 1 : rng.int(2, 5);
    const unitPrice = round2(rng.between(goods.price[0], goods.price[1]) * rate);
    return {
      line: {
        lineNo: i + 1,
        description: goods.description,
        hsCode: rng.chance(0.3) ? `${hsCode}${String(rng.int(0, 99)).padStart(2, '0')}` : hsCode,
        quantity,
        unit: goods.unit,
        unitPrice,
        lineValue: round2(unitPrice * quantity),
        originCountry: seller.country,
        ...(rng.chance(0.5)
          ? {
              productUrl: `https://shop.example/${platform.code.toLowerCase()}/item/${rng.int(10_000, 99_999)}`,
            }
          : {}),
      },
      weightKg: rng.between(goods.weight[0], goods.weight[1]) * quantity,
    };
  });
  const goodsValue = round2(lines.reduce((sum, l) => sum + l.line.lineValue, 0));
  const freight = round2((express ? rng.between(8, 25) : rng.between(2, 8)) * rate);
  const insurance = express && rng.chance(0.5) ? round2(goodsValue * 0.01) : 0;
  const discount = rng.chance(0.3) ? round2(goodsValue * rng.pick([0.05, 0.1, 0.15])) : 0;
  const collectsTax = destination.checkoutTaxRate > 0 && goodsValue <= destination.checkoutTaxCeiling;
  const taxCollected = collectsTax
    ? round2((goodsValue + freight + insurance - discount) * destination.checkoutTaxRate)
    : 0;
  const amountPaid = round2(goodsValue + freight + insurance + taxCollected - discount);

  const orderedAt = Date.now() - rng.between(96, 120) * HOUR;
  const dispatchedAt = orderedAt + rng.between(24, 48) * HOUR;
  const arrivedAt = dispatchedAt + rng.between(12, 36) * HOUR;
  const consignee = {
    name: buyer.name,
    phone: buyer.phone,
    address: { line1: buyer.line1, city: buyer.city, postcode: buyer.postcode, country: buyer.country },
  };
  const mismatch: Mismatch = rng.chance(0.04)
    ? 'payment-amount'
    : rng.chance(0.03)
      ? 'consignee'
      : rng.chance(0.03)
        ? 'under-declared'
        : 'none';
  const bonded = buyer.country === 'CN' && rng.chance(0.3);
  const declarantIsCarrier = express || rng.chance(0.5);
  const declarant = declarantIsCarrier ? carrier : platform.user;

  const roll = rng.next();
  const decision: Decision = roll < 0.25 ? 'refer' : roll < 0.4 ? 'inspect' : 'none';

  return {
    n,
    id,
    platform,
    seller,
    buyer,
    carrier,
    createdBy: rng.chance(0.5) ? platform.user : carrier,
    payer,
    declarant,
    create: {
      consignmentId: id,
      originCountry: seller.country,
      destinationCountry: buyer.country,
    },
    order: {
      orderNumber,
      platformId: platform.code,
      seller: { id: '', name: seller.name },
      buyer: { id: '', name: buyer.name, document: { ...buyer.document, country: buyer.country } },
      consignee,
      goodsValue,
      freight,
      insurance,
      discount,
      taxCollected,
      amountPaid,
      currency,
      orderedAt: iso(orderedAt),
      lines: lines.map((l) => l.line),
    },
    payment: {
      paymentTransactionId,
      orderNumber,
      payer: { name: buyer.name, document: { ...buyer.document, country: buyer.country } },
      // A mismatch as seen in practice: a partial capture, or a price changed after payment.
      amountPaid: mismatch === 'payment-amount' ? round2(amountPaid * rng.pick([0.5, 0.8, 1.1])) : amountPaid,
      currency,
      paidAt: iso(orderedAt + rng.between(1, 15) * 60_000),
    },
    logistics: {
      trackingNumber,
      ...(express ? { masterBill: `176-${String(10_000_000 + rng.int(0, 89_999_999))}` } : {}),
      orderNumber,
      // A mismatch as seen in practice: the waybill names a parcel forwarder instead of the buyer.
      consignee:
        mismatch === 'consignee'
          ? {
              name: 'Quick Forwarding Services',
              phone: '+44 20 7946 0958',
              address: {
                line1: 'Unit 7, Dockside Estate',
                city: buyer.city,
                postcode: buyer.postcode,
                country: buyer.country,
              },
            }
          : consignee,
      grossWeightKg: round3(lines.reduce((sum, l) => sum + l.weightKg, 0) + 0.05),
      packages: lines.length > 2 && express ? 2 : 1,
      freight,
      insurance,
      goodsDescription: lines.map((l) => l.line.description).join('; '),
    },
    declaration: {
      declarant: declarantIsCarrier
        ? orgName(carrier, express ? 'Express carrier (customs broker)' : 'Postal operator')
        : platform.name,
      mode: bonded ? 'bonded' : 'direct',
      transportMode: express
        ? seller.country === 'TR' && destination.currency === 'EUR'
          ? 'road'
          : 'air'
        : 'mail',
      originCountry: seller.country,
      destinationCountry: buyer.country,
      lines: lines.map((l) => ({
        hsCode: l.line.hsCode,
        description: l.line.description,
        // A mismatch as seen in practice: the declaration states a fraction of the price paid.
        value: mismatch === 'under-declared' ? round2(l.line.lineValue * 0.3) : l.line.lineValue,
        currency,
      })),
      ...(collectsTax && destination.usesIoss ? { vatCollectionNumber: platform.ioss } : {}),
    },
    dispatched: {
      type: 'dispatched',
      location: bonded ? 'CNNGB' : seller.port,
      occurredAt: iso(dispatchedAt),
    },
    arrived: {
      type: 'arrived',
      location: express ? destination.expressPort : destination.postPort,
      occurredAt: iso(arrivedAt),
    },
    deliveredAt: { type: 'delivered', location: destination.depot },
    mismatch,
    decision,
    deliver: rng.chance(0.9),
    returnGoods: rng.chance(0.08) ? (rng.chance(0.5) ? 'all' : 'part') : 'none',
    customsReads: rng.chance(0.1),
    carrierReads: rng.chance(0.1),
    disclose: n % 50 === 1,
    replayCreate: n % 20 === 0,
    bad: n % 8 === 3 ? possibleBadRequests[Math.floor(n / 8) % possibleBadRequests.length] : undefined,
  };
}

// ------------------------------------------------------------------ parties

const partyIds = new Map<string, string>();
const partyKey = (platform: PlatformProfile, document: string): string => `${platform.code}/${document}`;

async function registerParties(): Promise<void> {
  const registrations: Promise<void>[] = [];
  for (const platform of platforms) {
    const register = async (key: string, body: Record<string, unknown>): Promise<void> => {
      const reply = await api.post(platform.user, '/v1/parties', body);
      if (!accepted(reply, `${platform.user} POST /v1/parties (${String(body.kind)})`)) return;
      const id = reply.body.partyId;
      if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) {
        error(`POST /v1/parties answered without a pseudonymous partyId: ${JSON.stringify(reply.body)}`);
        return;
      }
      partyIds.set(key, id);
      summary.parties++;
    };
    for (const seller of SELLERS.filter((s) => s.platforms.includes(platform.code))) {
      registrations.push(
        register(partyKey(platform, seller.taxId), {
          kind: 'seller',
          verificationLevel: 'verified',
          party: {
            name: seller.name,
            document: { type: 'tax_id', number: seller.taxId, country: seller.country },
          },
        }),
      );
    }
    for (const [i, buyer] of BUYERS.entries()) {
      registrations.push(
        register(partyKey(platform, buyer.document.number), {
          kind: 'buyer',
          verificationLevel: i % 4 === 3 ? 'basic' : 'verified',
          party: {
            name: buyer.name,
            document: { ...buyer.document, country: buyer.country },
            address: {
              line1: buyer.line1,
              city: buyer.city,
              postcode: buyer.postcode,
              country: buyer.country,
            },
          },
        }),
      );
    }
  }
  await Promise.all(registrations);
}

// ------------------------------------------------------------------ one consignment's day

/** The status each consignment should have at the end, to compare with the ledger. */
const expectedStatus = new Map<string, string>();

/**
 * A consignment of Platform A to the EU, delivered and not returned, sold without a collection
 * number, with its buyer: for the README's collection-instruction, returns and erasure examples.
 */
let example: { readonly id: string; readonly buyerId: string } | undefined;

async function runConsignment(p: Plan): Promise<void> {
  const base = `/v1/consignments/${p.id}`;
  const sellerId = partyIds.get(partyKey(p.platform, p.seller.taxId));
  const buyerId = partyIds.get(partyKey(p.platform, p.buyer.document.number));
  if (!sellerId || !buyerId) return; // registration already counted as an error
  const order = {
    ...p.order,
    seller: { ...(p.order.seller as object), id: sellerId },
    buyer: { ...(p.order.buyer as object), id: buyerId },
  };
  // The creator names the organisations it deals with, which binds each to its part: a platform
  // creating at checkout names the carrier it bought the label from and whom the buyer paid (it
  // knows the order number, not yet the tracking number); a carrier names the platform that booked
  // it and, from the booking, whom the buyer paid. Their records then bring the keys they issue.
  const createBody =
    p.createdBy === p.platform.user
      ? {
          ...p.create,
          orderNumber: p.order.orderNumber,
          carrierMspId: mspIdOf(p.carrier),
          paymentMspId: mspIdOf(p.payer),
        }
      : {
          ...p.create,
          orderNumber: p.order.orderNumber,
          trackingNumber: p.logistics.trackingNumber,
          platformMspId: mspIdOf(p.platform.user),
          paymentMspId: mspIdOf(p.payer),
        };

  const createKey = randomUUID();
  const created = await api.post(p.createdBy, '/v1/consignments', createBody, { idempotencyKey: createKey });
  if (!accepted(created, `${p.createdBy} POST /v1/consignments ${p.id}`)) return;
  summary.created++;
  expectedStatus.set(p.id, 'created');

  if (p.replayCreate) {
    // A client that lost the answer retries with the same key: it must get the first answer back.
    const retry = await api.post(p.createdBy, '/v1/consignments', createBody, { idempotencyKey: createKey });
    if (
      retry.status === created.status &&
      retry.headers.get('idempotent-replayed') === 'true' &&
      retry.body.consignmentId === p.id
    ) {
      summary.retriesReplayed++;
    } else {
      error(`retry of POST /v1/consignments ${p.id} with the same Idempotency-Key → ${describe(retry)}`);
    }
  }

  const orderKey = randomUUID();
  const orderSent = api.post(p.platform.user, `${base}/order`, order, { idempotencyKey: orderKey });
  const paymentSent = (p.payer === p.platform.user ? orderSent : Promise.resolve()).then(() =>
    api.post(p.payer, `${base}/payment`, p.payment),
  );
  const logisticsSent = api.post(p.carrier, `${base}/logistics`, p.logistics);
  const [o, pay, l] = await Promise.all([orderSent, paymentSent, logisticsSent]);
  const okOrder = accepted(o, `${p.platform.user} POST ${base}/order`);
  const okPayment = accepted(
    pay,
    `${p.payer} POST ${base}/payment${p.mismatch === 'payment-amount' ? ' (amount mismatch)' : ''}`,
  );
  const okLogistics = accepted(
    l,
    `${p.carrier} POST ${base}/logistics${p.mismatch === 'consignee' ? ' (consignee mismatch)' : ''}`,
  );
  if (p.mismatch !== 'none' && okOrder && okPayment && okLogistics) summary.mismatched++;
  if (!okLogistics) return; // without a carrier no movement can follow

  if (
    !accepted(
      await api.post(p.declarant, `${base}/declaration`, p.declaration),
      `${p.declarant} POST ${base}/declaration${p.mismatch === 'under-declared' ? ' (under-declared)' : ''}`,
    )
  ) {
    return;
  }
  if (p.bad) await badRequest(p, p.bad, { order, orderKey });

  if (
    !accepted(await api.post(p.carrier, `${base}/movements`, p.dispatched), `${p.carrier} dispatched ${p.id}`)
  )
    return;
  expectedStatus.set(p.id, 'dispatched');

  if (!accepted(await api.post(p.carrier, `${base}/movements`, p.arrived), `${p.carrier} arrived ${p.id}`))
    return;

  if (p.customsReads) await readDetails(CUSTOMS, p, 'order', 'risk_assessment');
  const verdict = await customsVerdict(p);
  if (!verdict) return;
  if (verdict.released) {
    summary.released++;
    expectedStatus.set(p.id, 'released');
  } else {
    expectedStatus.set(p.id, 'arrived');
    if (p.decision === 'refer') await referAndAnswer(p, verdict.number);
    else if (p.decision === 'inspect') await decide(p, 'inspect', ['DOCUMENT_CHECK']);
    else summary.inQueue++;
  }

  if (p.deliver && verdict.released) {
    if (p.carrierReads) await readDetails(p.carrier, p, 'logistics', 'delivery');
    const delivered = await api.post(p.carrier, `${base}/movements`, p.deliveredAt);
    if (accepted(delivered, `${p.carrier} delivered ${p.id}`)) {
      summary.delivered++;
      expectedStatus.set(p.id, 'delivered');
      if (p.returnGoods !== 'none') await returnGoods(p);
      // One its carrier collects VAT on at delivery, for the collection-instruction example too: to
      // the EU (no VAT de minimis) without a collection number.
      else if (
        p.platform.user === 'platforma-operator' &&
        DESTINATIONS[p.buyer.country]?.usesIoss === true &&
        p.declaration.vatCollectionNumber === undefined
      ) {
        example ??= { id: p.id, buyerId };
      }
    }
  }

  // Others look at the parcel: the platform follows its status, an auditor its provenance.
  if (p.n % 10 === 4) accepted(await api.get(p.platform.user, base), `${p.platform.user} GET ${base}`);
  if (p.n % 25 === 9) accepted(await api.get(AUDITOR, `${base}/history`), `${AUDITOR} GET ${base}/history`);
  if (p.n % 40 === 2) {
    accepted(await api.get(CUSTOMS, `/v1/parties/${sellerId}`), `${CUSTOMS} GET /v1/parties/{seller}`);
  }
  if (p.disclose) await discloseAndVerify(p);
}

const RETURN_REASONS = ['not_as_described', 'defective', 'changed_mind', 'wrong_item'] as const;

/**
 * A return after delivery: the platform authorises it, the carrier takes it back out of the
 * country, the payer refunds the buyer in proportion and customs refunds the VAT and duty it
 * assessed on the returned goods.
 */
async function returnGoods(p: Plan): Promise<void> {
  const base = `/v1/consignments/${p.id}`;
  const lines = p.order.lines as { lineNo: number; hsCode: string; quantity: number; lineValue: number }[];
  const returned =
    p.returnGoods === 'all'
      ? lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity }))
      : [{ lineNo: lines[0]!.lineNo, quantity: 1 }];
  const share = returnedShare(lines, returned);
  const request = await api.post(p.platform.user, `${base}/returns`, {
    reason: RETURN_REASONS[p.n % RETURN_REASONS.length],
    lines: returned,
    authorisation: `RMA-${p.id}`,
  });
  if (!accepted(request, `${p.platform.user} POST ${base}/returns`)) return;
  const step = `${base}/returns/${String(request.body.returnId)}`;
  const destination = (p.create as { destinationCountry: string }).destinationCountry;
  const steps: [string, string, Record<string, unknown>][] = [
    [p.carrier, 'shipment', { trackingNumber: `RT${String(p.logistics.trackingNumber).slice(2)}` }],
    [p.carrier, 'scan', { type: 'exited', location: String(p.deliveredAt.location), country: destination }],
    [
      p.payer,
      'refund',
      {
        refundTransactionId: `RF-${String(p.payment.paymentTransactionId)}`,
        amount: assessedShare(Number(p.payment.amountPaid), share),
        currency: p.payment.currency,
        refundedAt: new Date().toISOString(),
      },
    ],
  ];
  for (const [user, path, body] of steps) {
    if (!accepted(await api.post(user, `${step}/${path}`, body), `${user} POST ${step}/${path}`)) return;
  }
  // Customs gives back the duty and VAT it assessed on the returned goods, but no VAT where the
  // platform charged it at checkout (IOSS: the refund above gave it back with the price), and where
  // the purchase counted against the buyer's annual limit (China), their customs value to it.
  const assessment = await api.get(CUSTOMS, `/v1/customs/assessments/${p.id}`);
  if (!accepted(assessment, `${CUSTOMS} GET /v1/customs/assessments/${p.id}`)) return;
  // Without a revenue assessment there is nothing to refund (lines: none), only the return to decide.
  const { duty } = assessment.body.revenue as { duty?: DutyAssessment };
  const onReturn = assessedOnReturn(lines, duty?.lines ?? [], returned);
  const decision = await api.post(CUSTOMS, `${step}/decision`, {
    outcome: 'duty_refunded',
    dutyRefund: onReturn.duty,
    vatRefund: duty && !vatCollectedAtImport(duty.collectionModel) ? 0 : onReturn.vat,
    currency: duty?.currency ?? String(p.order.currency),
    ...(assessment.body.buyerQuota ? { quotaRestored: onReturn.customsValue } : {}),
    reasonCodes: ['GOODS_EXITED'],
  });
  if (!accepted(decision, `${CUSTOMS} POST ${step}/decision`)) return;
  if (p.returnGoods === 'all') summary.returned++;
  else summary.partlyReturned++;
}

async function decide(p: Plan, decision: string, reasonCodes: string[]): Promise<boolean> {
  const reply = await api.post(CUSTOMS, `/v1/consignments/${p.id}/decision`, { decision, reasonCodes });
  if (!accepted(reply, `${CUSTOMS} ${decision} ${p.id}`)) return false;
  summary.referredOrInspected++;
  expectedStatus.set(p.id, decision === 'refer' ? 'referred' : 'inspection');
  return true;
}

interface Verdict {
  readonly number: number;
  readonly released: boolean;
}

/**
 * Customs' assessment of the parcel's final records, and the automatic release when it allows one:
 * both follow the ledger's events, so they are waited for.
 */
async function customsVerdict(p: Plan): Promise<Verdict | undefined> {
  const until = Date.now() + 60_000;
  for (;;) {
    const reply = await api.get(CUSTOMS, `/v1/customs/assessments/${p.id}`);
    const body = reply.body as { number?: number; basis?: { declaration?: number }; releasable?: boolean };
    if (reply.status === 200 && body.basis?.declaration !== undefined) {
      if (!body.releasable) return { number: body.number ?? 0, released: false };
      const view = await api.get(CUSTOMS, `/v1/consignments/${p.id}`);
      if ((view.body.consignment as { status?: string } | undefined)?.status === 'released') {
        return { number: body.number ?? 0, released: true };
      }
    } else if (reply.status !== 200 && reply.status !== 404) {
      error(`${CUSTOMS} GET assessment of ${p.id} → ${describe(reply)}`);
      return undefined;
    }
    if (Date.now() > until) {
      error(`${p.id}: no complete customs assessment (and release when allowed) within a minute`);
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An officer asks for information; the platform answers; customs assesses the parcel again. */
async function referAndAnswer(p: Plan, assessed: number): Promise<void> {
  if (!(await decide(p, 'refer', ['REQUEST_INFORMATION', 'VALUE_QUERY']))) return;
  const answer = await api.post(p.platform.user, `/v1/consignments/${p.id}/referral-answer`, {
    message: 'Order confirmation and payment receipt attached; the price is the listed retail price.',
    documents: [{ type: 'invoice', reference: `INV-${p.order.orderNumber as string}` }],
  });
  if (!accepted(answer, `${p.platform.user} POST referral-answer ${p.id}`)) return;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const reply = await api.get(CUSTOMS, `/v1/customs/assessments/${p.id}`);
    if (((reply.body as { number?: number }).number ?? 0) > assessed) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  error(`${p.id}: the referral answer was not assessed within a minute`);
}

async function readDetails(user: string, p: Plan, record: string, purpose: string): Promise<void> {
  const reply = await api.get(user, `/v1/consignments/${p.id}/details?record=${record}&purpose=${purpose}`);
  if (accepted(reply, `${user} GET details ${record} for ${purpose} of ${p.id}`)) summary.personalDataReads++;
}

/** The platform discloses two fields of its order; an auditor checks them against the ledger. */
async function discloseAndVerify(p: Plan): Promise<void> {
  const disclosed = await api.post(p.platform.user, `/v1/consignments/${p.id}/disclosures`, {
    record: 'order',
    fields: ['/goodsValue', '/currency'],
    purpose: 'audit',
  });
  if (!accepted(disclosed, `${p.platform.user} POST disclosures of ${p.id}`)) return;
  const verdict = await api.post(AUDITOR, '/v1/verify', {
    consignmentId: p.id,
    record: 'order',
    disclosure: disclosed.body.disclosure,
  });
  if (!accepted(verdict, `${AUDITOR} POST /v1/verify ${p.id}`)) return;
  if (verdict.body.verified === true) summary.disclosuresVerified++;
  else error(`disclosure of ${p.id} did not verify: ${JSON.stringify(verdict.body).slice(0, 200)}`);
}

async function badRequest(
  p: Plan,
  kind: BadRequest,
  sent: { order: Record<string, unknown>; orderKey: string },
): Promise<void> {
  const base = `/v1/consignments/${p.id}`;
  const platform = p.platform.user;
  switch (kind) {
    case 'unknown-field':
      return refused(
        await api.post(platform, `${base}/order`, { ...sent.order, giftWrap: true }),
        'order with an unknown field (giftWrap)',
        400,
      );
    case 'wrong-type':
      return refused(
        await api.post(platform, `${base}/order`, {
          ...sent.order,
          goodsValue: String(sent.order.goodsValue),
        }),
        'order with goodsValue as a string',
        400,
      );
    case 'money-3-decimals':
      return refused(
        await api.post(p.payer, `${base}/payment`, { ...p.payment, amountPaid: 12.345 }),
        'payment with an amount of 3 decimals',
        400,
      );
    case 'short-hs-code':
      return refused(
        await api.post(p.declarant, `${base}/declaration`, {
          ...p.declaration,
          lines: [{ hsCode: '6109', description: 'T-shirt', value: 10, currency: 'EUR' }],
        }),
        'declaration with a 4-digit HS code',
        400,
      );
    case 'bad-locode':
      return refused(
        await api.post(p.carrier, `${base}/movements`, { type: 'dispatched', location: 'Paris' }),
        'movement with a location that is not a UN/LOCODE',
        400,
      );
    case 'platform-decides':
      return refused(
        await api.post(platform, `${base}/decision`, { decision: 'release', reasonCodes: [] }),
        'a platform recording a customs decision',
        403,
      );
    case 'payment-sends-logistics':
      return refused(
        await api.post(PAYMENT, `${base}/logistics`, p.logistics),
        'a payment provider submitting logistics data',
        403,
      );
    case 'exit-before-return':
      return refused(
        await api.post(p.carrier, `${base}/movements`, { type: 'exited', location: p.seller.port }),
        "'exited' for a parcel that was not returned to its sender",
        409,
      );
    case 'other-platform-reads': {
      const other = platforms.find((q) => q.user !== platform)!.user;
      return refused(await api.get(other, base), 'another platform reading the consignment', 404);
    }
    case 'idempotency-key-reused':
      return refused(
        await api.post(
          platform,
          `${base}/order`,
          { ...sent.order, discount: 0.01 },
          { idempotencyKey: sent.orderKey },
        ),
        'an Idempotency-Key reused with a different body',
        422,
      );
    case 'unknown-purpose':
      return refused(
        await api.get(CUSTOMS, `${base}/details?record=order&purpose=marketing`),
        "a personal-data read for purpose 'marketing'",
        400,
      );
  }
}

// ------------------------------------------------------------------ the run

const plans = Array.from({ length: TOTAL }, (_, n) => plan(n));
const events = new EventCounter(baseUrl, credentials.find((c) => c.user === AUDITOR)?.apiKey ?? '');
if (!(await events.start())) notes.push(`event stream not followed: ${events.failure}`);

const started = performance.now();
console.log(
  `A day of ${TOTAL} consignments (seed ${SEED}, at most ${CONCURRENCY} requests in flight); registering sellers and buyers…`,
);
await registerParties();

const bar = new SingleBar(
  {
    format:
      'consignments [{bar}] {value}/{total} | {requests} requests | refused {refused} | errors {errors} | {eta_formatted} left',
    hideCursor: true,
  },
  Presets.shades_classic,
);
bar.start(TOTAL, 0, { requests: api.requests, refused: 0, errors: summary.errors });
let next = 0;
// More parcels than request slots, so the request limit (not the parcels' own sequencing) is the bound.
await Promise.all(
  Array.from({ length: Math.min(TOTAL, CONCURRENCY * 2) }, async () => {
    for (let i = next++; i < TOTAL; i = next++) {
      try {
        await runConsignment(plans[i]!);
      } catch (e) {
        error(`consignment ${plans[i]!.id}: ${(e as Error).stack ?? String(e)}`);
      }
      bar.increment(1, { requests: api.requests, refused: summary.refused, errors: summary.errors });
    }
  }),
);
bar.stop();

// What the ledger says, read back by customs: records present and final status of every parcel.
await Promise.all(
  [...expectedStatus].map(async ([id, status]) => {
    const reply = await api.get(CUSTOMS, `/v1/consignments/${id}`);
    if (!accepted(reply, `${CUSTOMS} GET /v1/consignments/${id}`)) return;
    const records = (reply.body.records ?? []) as { kind?: string }[];
    const kinds = new Set(records.map((r) => r.kind));
    if (['order', 'payment', 'logistics'].every((k) => kinds.has(k))) summary.complete++;
    const actual = (reply.body.consignment as { status?: string } | undefined)?.status;
    if (actual !== status) error(`${id}: status on the ledger is '${actual}', expected '${status}'`);
  }),
);
// Each platform remits the VAT it collected at checkout under its IOSS number, per month of payment
// (the destination's) and currency, as its monthly return would; Platform B deliberately 3 % short,
// so that customs' reconciliation shows a gap.
const toRemit = new Map<
  string,
  { platform: PlatformProfile; period: string; currency: string; amount: number }
>();
for (const p of plans) {
  if (p.declaration.vatCollectionNumber === undefined) continue;
  const period = localDate(p.payment.paidAt as string, p.buyer.country).slice(0, 7);
  const currency = p.order.currency as string;
  const key = `${p.platform.code} ${period} ${currency}`;
  const due = toRemit.get(key) ?? { platform: p.platform, period, currency, amount: 0 };
  due.amount = round2(due.amount + (p.order.taxCollected as number));
  toRemit.set(key, due);
}
const reconciliationRows: string[] = [];
for (const { platform, period, currency, amount } of toRemit.values()) {
  const remittance = {
    period,
    currency,
    amount: platform.code === 'PB' ? round2(amount * 0.97) : amount,
    reference: `${platform.ioss}/${period}/${RUN}`,
  };
  accepted(
    await api.post(platform.user, '/v1/remittances', remittance),
    `${platform.user} POST /v1/remittances`,
  );
  const filter = `platformMspId=${mspIdOf(platform.user)}&period=${period}`;
  const reply = await api.get(CUSTOMS, `/v1/customs/reconciliation?${filter}`);
  if (!accepted(reply, `${CUSTOMS} GET /v1/customs/reconciliation?${filter}`)) continue;
  for (const row of reply.body.rows as ReconciliationRow[]) {
    if (row.currency !== currency) continue;
    reconciliationRows.push(
      `${row.platformMspId} ${row.period}: declared collected ${row.declared} ${row.currency} on ${row.consignments} parcels, assessed ${row.assessed}, remitted ${row.remitted} (${row.remittances} remittance${row.remittances === 1 ? '' : 's'}), unremitted ${row.unremitted}`,
    );
  }
}
// The officers' queue as customs sees it at the end of the day.
const queued: { lane: string | null; reasonCodes: string[] }[] = [];
for (let offset = 0; ; offset += 200) {
  const reply = await api.get(CUSTOMS, `/v1/customs/queue?limit=200&offset=${offset}`);
  if (!accepted(reply, `${CUSTOMS} GET /v1/customs/queue`)) break;
  const page = reply.body as { total: number; items: { lane: string | null; reasonCodes: string[] }[] };
  queued.push(...page.items);
  if (offset + 200 >= page.total) break;
}
const tally = (values: string[]): string =>
  [...values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>())]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
const elapsed = (performance.now() - started) / 1000;
await events.stop();
await closeGateway?.();

console.log('\nDemo summary');
console.table({
  'parties registered': summary.parties,
  created: summary.created,
  'complete (order+payment+logistics)': summary.complete,
  'mismatched (accepted)': summary.mismatched,
  'released automatically (customs-service)': summary.released,
  'not released, left to an officer (no decision by the demo)': summary.inQueue,
  delivered: summary.delivered,
  'returned (refund and customs duty refund)': summary.returned,
  'partly returned': summary.partlyReturned,
  'referred or inspected': summary.referredOrInspected,
  'personal-data reads (with purpose)': summary.personalDataReads,
  'disclosures verified': summary.disclosuresVerified,
  'retries replayed (Idempotency-Key)': summary.retriesReplayed,
  refused: summary.refused,
  errors: summary.errors,
  requests: api.requests,
  'elapsed (s)': Number(elapsed.toFixed(1)),
  'requests/s': Number((api.requests / elapsed).toFixed(1)),
  'latency p50 / p99 (ms)': `${Math.round(percentile(api.latencies, 50))} / ${Math.round(percentile(api.latencies, 99))}`,
  'ledger events streamed': events.total,
});
// No lane: no assessment succeeded (ASSESSMENT_FAILED among its reasons).
console.log(
  `officers' work queue at the end (all that waits for an officer: referred and inspected ones, earlier runs' too): ${queued.length} (${tally(queued.map((q) => q.lane ?? 'not assessed'))})`,
);
if (queued.length > 0) console.log(`  reasons: ${tally(queued.flatMap((q) => q.reasonCodes))}`);
if (summary.released * 2 < summary.complete) {
  notes.push(
    `only ${summary.released} of ${summary.complete} complete consignments were released automatically`,
  );
}
if (reconciliationRows.length > 0) {
  console.log(
    "customs' reconciliation of the IOSS sales (every run's on this ledger; Platform B remitted 3 % short):",
  );
  for (const row of reconciliationRows) console.log(`  ${row}`);
}
if (events.total > 0) {
  console.log(`events: ${[...events.counts].map(([name, count]) => `${name} ${count}`).join(', ')}`);
}
if (example) {
  console.log(
    `for the README's collection-instruction, returns and erasure examples, a delivered consignment of Platform A and its buyer:\n  ID=${example.id} BUYER=${example.buyerId}`,
  );
  // The examples talk to a running gateway on this ledger; the demo's own stops with it.
  if (closeGateway) console.log(`  (start the gateway on DATA_DIR=${dataDir} with npm start to use them)`);
}
for (const note of notes.slice(0, 10)) console.log(`  note: ${note}`);
if (notes.length > 10) console.log(`  … ${notes.length - 10} more notes`);
for (const problem of problems.slice(0, 20)) console.log(`  ! ${problem}`);
if (problems.length > 20) console.log(`  … ${problems.length - 20} more errors`);
if (summary.errors > 0) process.exitCode = 1;
