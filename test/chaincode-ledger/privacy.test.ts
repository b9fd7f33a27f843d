import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Level } from 'level';
import {
  eventsSoFar,
  openTestNetwork,
  recordedDisclosure,
  readPrivateRecord,
  type TestNetwork,
} from '../support/network.js';
import { declarationPayload, orderPayload } from '../support/payloads.js';

/*
 * A realistic run (party registrations, consignments with all four records, corrections, movements,
 * decisions, access records, refused attempts) with distinctive personal values, then a scan of
 * everything public for them: every block, every chaincode event, every entry of every public store
 * of the ledger (through the level API, since LevelDB compresses its tables with snappy), and every
 * byte of the other files in the data directory. The private store is scanned too, and must hold the
 * values, each only in the collections of the organisations that submitted it: the scan is not vacuous.
 */

const V = {
  buyerA: 'Zebulon Quixotewright',
  buyerADocument: 'PX-99887766-Q',
  streetA: 'Rue des Alouettes 17',
  phoneA: '+33 6 12 34 56 78',
  payer: 'Ottoline Marchbanks-Veyra',
  payerDocument: 'ID-5544332211',
  seller: 'Hangzhou Lanternfly Trading Co',
  buyerB: 'Marisol Thistlethwaite-Okonkwo',
  buyerBDocument: 'NI-77331199-Z',
  streetB: 'Kastanienallee 88b',
  phoneB: '+49 30 90182736',
  // Not personal, but a platform's business, private to it and customs: what it remitted. (That it
  // recorded a remittance is public, the function being in the block, and its reference is the
  // private key, whose unsalted hash is there too: a guessable reference can be confirmed.)
  remittanceAmount: '97531.86',
} as const;
type Personal = keyof typeof V;

/** Only ever sent in refused transactions: it must be nowhere at all, not even in the private store. */
const REFUSED = { name: 'Philippa Refusedworth', document: 'RF-31415926-X' } as const;

/** Distinctive parts and normalised forms, which must not appear publicly either. */
const FRAGMENTS = [
  'Quixotewright',
  'Marchbanks',
  'Thistlethwaite',
  'Lanternfly',
  'Alouettes',
  'Kastanienallee',
  '99887766',
  '77331199',
  '5544332211',
  '33612345678',
  '493090182736',
];

/** Which trader collections must hold each value, given who submitted what below. */
const HOLDERS: Record<Personal, string[]> = {
  buyerA: ['PlatformAMSP', 'PostMSP'],
  buyerADocument: ['PlatformAMSP'],
  streetA: ['PlatformAMSP', 'PostMSP'],
  phoneA: ['PlatformAMSP', 'PostMSP'],
  payer: ['PaymentMSP'],
  payerDocument: ['PaymentMSP'],
  seller: ['PlatformAMSP', 'PlatformBMSP'],
  buyerB: ['ExpressMSP', 'PlatformBMSP'],
  buyerBDocument: ['PlatformBMSP'],
  streetB: ['ExpressMSP', 'PlatformBMSP'],
  phoneB: ['ExpressMSP', 'PlatformBMSP'],
  remittanceAmount: ['PlatformAMSP'],
};

// ---------------------------------------------------------------- looking for a value

/** The base64 characters fully determined by `raw` when it starts at each of the three byte alignments. */
function base64Windows(raw: Buffer): Buffer[] {
  return [0, 1, 2].map((shift) => {
    const text = Buffer.concat([Buffer.alloc(shift), raw]).toString('base64');
    return Buffer.from(text.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + raw.length)) / 6)));
  });
}

interface Needle {
  readonly label: string;
  readonly bytes: Buffer;
}

/** A value as text (any case), base64, hex, and its unsalted SHA-256 (a brute-forceable "pseudonym"). */
function needlesFor(value: string): { lower: string; exact: Needle[] } {
  const raw = Buffer.from(value, 'utf8');
  const digest = createHash('sha256').update(raw).digest();
  return {
    lower: value.toLowerCase(),
    exact: [
      ...base64Windows(raw).map((bytes) => ({ label: 'base64', bytes })),
      { label: 'hex', bytes: Buffer.from(raw.toString('hex')) },
      { label: 'sha256 hex', bytes: Buffer.from(digest.toString('hex')) },
      ...base64Windows(digest).map((bytes) => ({ label: 'sha256 base64', bytes })),
    ],
  };
}

const SEARCHED = [...Object.values(V), REFUSED.name, REFUSED.document, ...FRAGMENTS].map((value) => ({
  value,
  ...needlesFor(value),
}));

/** The searched values found in `haystack`, each with the form it was found in. */
function leaks(haystack: Uint8Array): string[] {
  const bytes = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  const text = bytes.toString('latin1').toLowerCase();
  const found: string[] = [];
  for (const { value, lower, exact } of SEARCHED) {
    if (text.includes(lower)) found.push(`${value} (text)`);
    for (const needle of exact) if (bytes.includes(needle.bytes)) found.push(`${value} (${needle.label})`);
  }
  return found;
}

// ---------------------------------------------------------------- the scenario

let net: TestNetwork;
const blocks: Uint8Array[] = [];
const eventPayloads: { name: string; payload: Uint8Array }[] = [];
const partyId = () => randomBytes(32).toString('hex');
const joinKeys = (keys: Record<string, string>, destinationCountry = 'FR') =>
  JSON.stringify({ ...keys, originCountry: 'CN', destinationCountry });

const consigneeA = {
  name: V.buyerA,
  phone: V.phoneA,
  address: { line1: V.streetA, city: 'Lyon', postcode: '69002', country: 'FR' },
};
const consigneeB = {
  name: V.buyerB,
  phone: V.phoneB,
  address: { line1: V.streetB, line2: 'Hinterhaus', city: 'Berlin', postcode: '10435', country: 'DE' },
};

function order(orderNumber: string, buyer: 'A' | 'B', overrides: Record<string, unknown> = {}) {
  return orderPayload(orderNumber, {
    seller: { id: 'e'.repeat(64), name: V.seller },
    buyer:
      buyer === 'A'
        ? {
            id: 'f'.repeat(64),
            name: V.buyerA,
            document: { type: 'passport', number: V.buyerADocument, country: 'FR' },
          }
        : {
            id: 'd'.repeat(64),
            name: V.buyerB,
            document: { type: 'national_id', number: V.buyerBDocument, country: 'DE' },
          },
    consignee: buyer === 'A' ? consigneeA : consigneeB,
    ...overrides,
  });
}

function payment(orderNumber: string, paymentTransactionId: string, payer: 'A' | 'B') {
  return {
    paymentTransactionId,
    orderNumber,
    payer:
      payer === 'A'
        ? { name: V.payer, document: { type: 'national_id', number: V.payerDocument, country: 'FR' } }
        : { name: V.buyerB, document: { type: 'national_id', number: V.buyerBDocument, country: 'DE' } },
    amountPaid: 52.8,
    currency: 'EUR',
    paidAt: '2026-11-20T10:01:00Z',
  };
}

function logistics(orderNumber: string, trackingNumber: string, consignee: 'A' | 'B') {
  return {
    trackingNumber,
    masterBill: 'MAWB-784-11223344',
    orderNumber,
    consignee: consignee === 'A' ? consigneeA : consigneeB,
    grossWeightKg: 0.6,
    packages: 1,
    freight: 5,
    insurance: 1,
    goodsDescription: 'Printed cotton T-shirts',
  };
}

const movement = (type: string, location: string) => JSON.stringify({ type, location });

async function runScenario(): Promise<void> {
  const buyerA = partyId();
  const seller = partyId();
  const buyerB = partyId();
  const addressA = { line1: V.streetA, city: 'Lyon', postcode: '69002', country: 'FR' };
  await net.submit('platformA', 'party:register', [buyerA, 'buyer', 'basic'], {
    name: V.buyerA,
    document: { type: 'passport', number: V.buyerADocument, country: 'FR' },
    address: addressA,
  });
  await net.submit('platformA', 'party:register', [seller, 'seller', 'verified'], {
    name: V.seller,
    document: { type: 'tax_id', number: 'CN-91330100-LTC', country: 'CN' },
  });
  await net.submit('platformB', 'party:register', [buyerB, 'buyer', 'verified'], {
    name: V.buyerB,
    document: { type: 'national_id', number: V.buyerBDocument, country: 'DE' },
    address: consigneeB.address,
  });
  // Re-registration after an identity check: a new version, the same private key.
  await net.submit('platformA', 'party:register', [buyerA, 'buyer', 'verified'], {
    name: V.buyerA,
    document: { type: 'passport', number: V.buyerADocument, country: 'FR' },
    address: addressA,
  });
  await net.submit('customs', 'party:setTrustedTrader', [seller, 'true', 'AEO-CN-2026-0042']);
  const registrationRead = (await net.submit('customs', 'party:recordRegistrationRead', [
    buyerA,
    'PlatformAMSP',
    'legal_request',
  ])) as { txId: string };
  await net.evaluate('customs', 'party:getPrivateRecord', [buyerA, 'PlatformAMSP', registrationRead.txId]);

  // C1: platform A, payment provider, post; released and delivered.
  await net.submit('platformA', 'consignment:create', [
    'PRIV-C1',
    joinKeys({ orderNumber: 'ORD-P-1', trackingNumber: 'RR100000001CN', paymentTransactionId: 'PSP-TX-1' }),
  ]);
  await net.submit('platformA', 'consignment:submitOrder', ['PRIV-C1'], order('ORD-P-1', 'A'));
  await net.submit('payment', 'consignment:submitPayment', ['PRIV-C1'], payment('ORD-P-1', 'PSP-TX-1', 'A'));
  await net.submit(
    'post',
    'consignment:submitLogistics',
    ['PRIV-C1'],
    logistics('ORD-P-1', 'RR100000001CN', 'A'),
  );
  await net.submit('platformA', 'consignment:submitDeclaration', ['PRIV-C1'], declarationPayload());
  await net.submit('post', 'consignment:recordMovement', ['PRIV-C1', movement('dispatched', 'CNSHA')]);
  await readPrivateRecord(net, 'customs', 'PRIV-C1', 'order', 'risk_assessment');
  await net.submit('post', 'consignment:recordMovement', ['PRIV-C1', movement('arrived', 'FRCDG')]);
  await net.submit('customs', 'consignment:recordDecision', [
    'PRIV-C1',
    JSON.stringify({ decision: 'release', reasonCodes: [] }),
  ]);
  await readPrivateRecord(net, 'post', 'PRIV-C1', 'logistics', 'delivery');
  await net.submit('post', 'consignment:recordMovement', ['PRIV-C1', movement('delivered', 'FRLYS')]);
  // What an auditor gets of a record: a holder's disclosure, with the fields it reveals on the log.
  await recordedDisclosure(net, 'payment', 'PRIV-C1', 'payment', ['/amountPaid', '/currency'], 'audit');

  // C2: created by the express carrier; platform B takes the payment itself; held, order corrected.
  await net.submit('express', 'consignment:create', [
    'PRIV-C2',
    joinKeys({ trackingNumber: 'HAWB-778899' }, 'DE'),
  ]);
  await net.submit(
    'express',
    'consignment:submitLogistics',
    ['PRIV-C2'],
    logistics('ORD-P-2', 'HAWB-778899', 'B'),
  );
  await net.submit('platformB', 'consignment:submitOrder', ['PRIV-C2'], order('ORD-P-2', 'B'));
  await net.submit(
    'platformB',
    'consignment:submitPayment',
    ['PRIV-C2'],
    payment('ORD-P-2', 'MKT-PAY-2', 'B'),
  );
  await net.submit('express', 'consignment:submitDeclaration', ['PRIV-C2'], {
    ...declarationPayload(),
    declarant: 'Express Carrier',
    destinationCountry: 'DE',
  });
  await net.submit('express', 'consignment:recordMovement', ['PRIV-C2', movement('dispatched', 'CNSZX')]);
  await net.submit('customs', 'consignment:recordDecision', [
    'PRIV-C2',
    JSON.stringify({ decision: 'hold', reasonCodes: ['UNDERVALUATION'] }),
  ]);
  await net.submit(
    'platformB',
    'consignment:submitOrder',
    ['PRIV-C2'],
    order('ORD-P-2', 'B', { goodsValue: 40 }),
  );
  await net.submit('customs', 'consignment:recordAccess', ['PRIV-C2', 'order', 'revenue_assessment']);

  // C3: platform A with the post; only order and logistics so far; a return is being processed.
  await net.submit('platformA', 'consignment:create', [
    'PRIV-C3',
    joinKeys({ orderNumber: 'ORD-P-3', trackingNumber: 'RR100000003CN' }),
  ]);
  await net.submit(
    'post',
    'consignment:submitLogistics',
    ['PRIV-C3'],
    logistics('ORD-P-3', 'RR100000003CN', 'A'),
  );
  await net.submit('platformA', 'consignment:submitOrder', ['PRIV-C3'], order('ORD-P-3', 'A'));
  await net.submit('platformA', 'consignment:recordAccess', ['PRIV-C3', 'order', 'return_processing']);
  await net.submit('platformA', 'customs:recordRemittance', [], {
    period: '2026-11',
    currency: 'EUR',
    amount: Number(V.remittanceAmount),
    reference: 'IM3720009876/2026-11',
  });

  // Refused attempts carrying personal data: nothing of them may be kept anywhere.
  const refusedOrder = order('ORD-P-1', 'A', {
    buyer: {
      id: 'c'.repeat(64),
      name: REFUSED.name,
      document: { type: 'passport', number: REFUSED.document, country: 'FR' },
    },
  });
  const refusals = [
    net.submit('platformB', 'consignment:submitOrder', ['PRIV-C1'], refusedOrder),
    net.submit('platformA', 'consignment:submitOrder', ['PRIV-C1'], refusedOrder),
    net.submit('post', 'party:register', [partyId(), 'buyer', 'basic'], {
      name: REFUSED.name,
      document: { type: 'passport', number: REFUSED.document, country: 'FR' },
    }),
  ];
  for (const refusal of refusals) expect(await net.outcome(refusal)).not.toBe('ok');
}

beforeAll(async () => {
  net = await openTestNetwork();
  await runScenario();
  for (let n = 0n; n < net.ledger.height(); n++) blocks.push(await net.ledger.getBlockBytes(n));
  for (const event of await eventsSoFar(net.ledger)) {
    eventPayloads.push({ name: event.eventName, payload: event.payload });
  }
  // Everything below reads the closed ledger's files.
  await net.ledger.close();
});
afterAll(async () => {
  await net?.close();
});

// ---------------------------------------------------------------- the scans

describe('no personal value is public', () => {
  it('the scan finds what it looks for (base64 at every alignment, case, hashes)', () => {
    const sample = Buffer.from(`{"x":"${Buffer.from(`..${V.phoneA}!`).toString('base64')}"}`);
    expect(leaks(sample)).toContain(`${V.phoneA} (base64)`);
    expect(leaks(Buffer.from(V.buyerA.toUpperCase()))).toContain(`${V.buyerA} (text)`);
    const digest = createHash('sha256').update(V.buyerADocument).digest('hex');
    expect(leaks(Buffer.from(digest))).toContain(`${V.buyerADocument} (sha256 hex)`);
    expect(leaks(Buffer.from('nothing personal here'))).toEqual([]);
  });

  it('no block holds any (arguments, results, events, read/write sets, private data hashes)', () => {
    expect(blocks.length).toBeGreaterThan(30);
    for (const [n, block] of blocks.entries()) expect(leaks(block), `block ${n}`).toEqual([]);
  });

  it('no chaincode event holds any', () => {
    expect(new Set(eventPayloads.map((e) => e.name))).toEqual(
      new Set([
        'OrganisationsInitialised',
        'PartyRegistered',
        'TrustedTraderSet',
        'PersonalDataAccessed',
        'ConsignmentCreated',
        'RecordSubmitted',
        'MovementRecorded',
        'DecisionRecorded',
      ]),
    );
    for (const { name, payload } of eventPayloads) expect(leaks(payload), name).toEqual([]);
  });

  it('no public store of the ledger holds any, while the private store holds each, per collection', async () => {
    const db = new Level<string, Uint8Array>(join(net.dataDir, 'ledger'), { valueEncoding: 'view' });
    await db.open();
    try {
      // The public state, as the brief of these tests names it.
      const state = db.sublevel<string, Uint8Array>('state', { keyEncoding: 'utf8', valueEncoding: 'view' });
      let stateEntries = 0;
      for await (const [key, value] of state.iterator()) {
        stateEntries++;
        expect(leaks(Buffer.from(key)), `state key ${key}`).toEqual([]);
        expect(leaks(value), `state ${key}`).toEqual([]);
        // 12-byte version, then the chaincode's JSON.
        expect(() => JSON.parse(Buffer.from(value.subarray(12)).toString()), key).not.toThrow();
      }
      expect(stateEntries).toBeGreaterThan(30);

      // Then every entry of every sublevel, so a store added later is not missed.
      const perSublevel = new Map<string, number>();
      const privateHits = new Map<string, Set<string>>();
      for await (const [key, value] of db.iterator({ keyEncoding: 'utf8', valueEncoding: 'view' })) {
        const sublevel = /^!([^!]+)!/.exec(key)?.[1] ?? '(root)';
        perSublevel.set(sublevel, (perSublevel.get(sublevel) ?? 0) + 1);
        if (sublevel === 'pvt') {
          const collection = key.slice('!pvt!'.length).split('\u0000')[0]!;
          for (const leak of leaks(value)) {
            if (!leak.endsWith('(text)')) continue;
            const value = leak.slice(0, -' (text)'.length);
            if (!privateHits.has(value)) privateHits.set(value, new Set());
            privateHits.get(value)!.add(collection);
          }
          expect(leaks(Buffer.from(key)), `pvt key ${key}`).toEqual([]);
          continue;
        }
        expect(leaks(Buffer.from(key)), `${sublevel} key`).toEqual([]);
        expect(leaks(value), `${sublevel}: ${key}`).toEqual([]);
      }
      expect(perSublevel.get('state')).toBe(stateEntries);
      for (const sublevel of ['state', 'history', 'blocks', 'txids', 'pvthash', 'savepoint', 'pvt']) {
        expect(perSublevel.get(sublevel) ?? 0, sublevel).toBeGreaterThan(0);
      }

      // Not vacuous: each personal value is in the private store, in exactly the submitters' collections.
      for (const [name, value] of Object.entries(V) as [Personal, string][]) {
        expect([...(privateHits.get(value) ?? [])].sort(), name).toEqual(
          HOLDERS[name].map((msp) => `${msp}-CustomsMSP`).sort(),
        );
      }
      // And a refused submission left its data nowhere, not even there.
      expect(privateHits.has(REFUSED.name)).toBe(false);
      expect(privateHits.has(REFUSED.document)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('no other file of the data directory holds any, and no file at all holds the refused data', async () => {
    const entries = await readdir(net.dataDir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    // LevelDB's tables and write-ahead log hold the private store too (and compressed): scanned above.
    const isLevelData = (file: string) => {
      const path = relative(net.dataDir, file).split(sep);
      return path[0] === 'ledger' && /^\d+\.(ldb|sst|log)$/.test(path.at(-1)!);
    };
    const publicFiles = files.filter((f) => !isLevelData(f));
    expect(publicFiles.some((f) => f.endsWith('cert.pem'))).toBe(true);
    expect(files.some(isLevelData)).toBe(true);
    for (const file of publicFiles)
      expect(leaks(await readFile(file)), relative(net.dataDir, file)).toEqual([]);
    const refused = new Set<string>([REFUSED.name, REFUSED.document]);
    for (const file of files) {
      const found = leaks(await readFile(file)).filter((l) => [...refused].some((r) => l.startsWith(r)));
      expect(found, relative(net.dataDir, file)).toEqual([]);
    }
  });
});
