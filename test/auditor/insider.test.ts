/**
 * What an insider with write access to a stopped gateway's data directory could change without
 * touching a block, and the checks that name it: verify-state replays the blocks and compares world
 * state, the history and transaction indexes and private data with them; verify-disclosure
 * --check-blocks takes a package's root from its block, not from a gateway serving such a store.
 * A real gateway writes a real data directory; each change is made on a copy through the project's
 * own store classes.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitPayload, DEFAULT_RULE_SET } from '@customs-ledger/chaincode';
import { compositeKey } from '../../auditor/src/checks/provenance.js';
import {
  decodeHistoryEntry,
  encodeHistoryEntry,
  sha256Hex,
} from '../../gateway/src/ledger/embedded/simulator.js';
import {
  decodeBlock,
  headerHash,
  isConfigData,
  type TransactionEnvelope,
} from '../../gateway/src/ledger/embedded/block.js';
import { endorsementMessage, envelopeResponsePayload } from '../../gateway/src/ledger/embedded/endorser.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { blockKey, collectionKey, historyKey } from '../../gateway/src/ledger/embedded/store.js';
import { BlockWriter } from '../../gateway/src/ledger/embedded/validator.js';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import { decodeVersioned, encodeVersioned } from '../../gateway/src/ledger/embedded/version.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';
import {
  audit,
  consignmentReadByCustoms,
  CUSTOMS,
  DataDirCopies,
  keysByCertificate,
  PLATFORM,
  resign,
  rewriteChain,
  rewriteTransactionById,
  root,
  signWith,
  withLedgerStore,
  type Consignment,
} from './helpers.js';

// The module exports the class itself (module.exports = KeyEndorsementPolicy), as test/embedded/policy.test.ts reads it.
const KeyEndorsementPolicy = createRequire(import.meta.url)(
  'fabric-shim/lib/utils/statebased.js',
) as new () => {
  addOrgs(role: string, ...orgs: string[]): void;
  getPolicy(): Uint8Array;
};

/** Platform A's collection with customs, where its orders and registrations are kept. */
const COLLECTION = 'PlatformAMSP-CustomsMSP';

let t: TestGateway;
let dataDir: string;
let consignment: Consignment;
/** A registration erased (its private value and hash purged by a valid transaction), and one kept. */
let erased: string;
let kept: string;
/** The answer of POST /disclosures for the order's goods value, made before any change. */
let genuine: DisclosureAnswer;
const copies = new DataDirCopies();

interface DisclosureAnswer {
  readonly block: number;
  readonly disclosure: { readonly root: string; readonly fields: { path: string; value: unknown }[] };
}

const discloseGoodsValue = (gateway: TestGateway) =>
  gateway.as(PLATFORM).post<DisclosureAnswer>(`/v1/consignments/${consignment.id}/disclosures`, {
    record: 'order',
    fields: ['/goodsValue'],
    purpose: 'dispute_resolution',
  });

const register = (name: string): Promise<string> => registerOn(t, name);

async function registerOn(gateway: TestGateway, name: string): Promise<string> {
  const res = await gateway.as(PLATFORM).post<{ partyId: string }>('/v1/parties', {
    kind: 'buyer',
    verificationLevel: 'basic',
    party: {
      name,
      document: { type: 'passport', number: `P${randomBytes(5).toString('hex')}`, country: 'FR' },
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.partyId;
}

beforeAll(async () => {
  t = await startTestGateway();
  dataDir = t.dataDir;
  consignment = await consignmentReadByCustoms(t, `INS-${randomBytes(3).toString('hex').toUpperCase()}`);
  erased = await register('Erased Example');
  kept = await register('Kept Example');
  const erasure = await t.as(PLATFORM).post(`/v1/parties/${erased}/erasure`, { reason: 'erasure_request' });
  expect(erasure.status, erasure.text).toBe(201);
  const made = await discloseGoodsValue(t);
  expect(made.status, made.text).toBe(201);
  genuine = made.body;
  await t.gateway.close();
});

afterAll(async () => {
  await t?.close();
  await copies.removeAll();
});

interface StateJson {
  ok: boolean;
  compared: Record<string, number>;
  differences: Record<string, number>;
  discrepancies: { store: string; key: string; where: string; blocks: string; stored: string }[];
}

const verifyState = (dir: string, json = false) =>
  audit(['verify-state', '--data-dir', dir, ...(json ? ['--json'] : [])]);

describe('verify-state', () => {
  it('verifies the untouched stores, a registration purged by a valid transaction included', async () => {
    const run = await verifyState(dataDir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^VERIFIED: the stores in .* hold what the valid transactions of its \d+ blocks wrote, and nothing else\./,
    );
    const report = (await verifyState(dataDir, true)).json<StateJson>();
    expect(report.ok).toBe(true);
    for (const store of ['state', 'metadata', 'privateHashes', 'history', 'transactions', 'privateData']) {
      expect(report.compared[store], store).toBeGreaterThan(0);
    }
    const nowhere = await audit([
      'verify-state',
      '--data-dir',
      dataDir,
      '--work-dir',
      join(dataDir, 'no', 'such'),
    ]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(`cannot make the scratch store in ${join(dataDir, 'no', 'such')}`);
  });

  it('names an access record deleted from world state and the history index, blocks untouched', async () => {
    const copy = await copies.of(dataDir);
    const key = compositeKey('access', ['consignment', consignment.id, consignment.readTxId]);
    const version = await withLedgerStore(async (store) => {
      const { version } = decodeVersioned((await store.state.get(key))!);
      await store.state.del(key);
      await store.history.del(historyKey(key, version));
      return version;
    }, copy);

    // The blocks are as committed: the chain check has nothing to say.
    expect((await audit(['verify-chain', '--data-dir', copy])).code).toBe(0);
    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const at = `block ${version.blockNum}, position ${version.txNum}`;
    const where = `access/consignment/${consignment.id}/${consignment.readTxId}`;
    const tx = `tx ${consignment.readTxId.slice(0, 12)}…`;
    expect(run.stdout).toMatch(
      /^TAMPERED: 2 discrepancies between the stores in .* \(world state 1, history index 1\):/,
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^  world state, ${where}: the blocks: \\{.*"purpose":"risk_assessment".* \\(written by ${tx} at ${at}\\); the store: nothing: the key is missing$`,
        'm',
      ),
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^  history index, ${where} at ${at}: the blocks: \\{.*"purpose":"risk_assessment".* by ${tx}; the store: no row$`,
        'm',
      ),
    );
    const report = (await verifyState(copy, true)).json<StateJson>();
    expect(report.discrepancies.map((d) => [d.store, d.key])).toEqual([
      ['state', key],
      ['history', historyKey(key, version)],
    ]);
  });

  it('names a status changed in world state, and a key no transaction wrote', async () => {
    const copy = await copies.of(dataDir);
    const key = compositeKey('consignment', [consignment.id]);
    const invented = compositeKey('consignment', ['INVENTED-1']);
    await withLedgerStore(async (store) => {
      const { version, value } = decodeVersioned((await store.state.get(key))!);
      const record = JSON.parse(Buffer.from(value).toString()) as { status: string };
      expect(record.status).toBe('created');
      await store.state.put(
        key,
        encodeVersioned(version, Buffer.from(JSON.stringify({ ...record, status: 'released' }))),
      );
      await store.state.put(
        invented,
        encodeVersioned({ blockNum: 3, txNum: 0 }, Buffer.from('{"status":"released"}')),
      );
    }, copy);

    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^  world state, consignment/${consignment.id}: the blocks: status "created" \\(written by tx [0-9a-f]{12}… at block \\d+, position \\d+\\); the store: status "released"$`,
        'm',
      ),
    );
    expect(run.stdout).toContain(
      '  world state, consignment/INVENTED-1: the blocks: nothing: no valid transaction wrote it; the store: {"status":"released"} at block 3, position 0',
    );
  });

  // Both sides were printed empty: the members that differ, of which there were none.
  it('names a value rewritten with its members in another order, as the same JSON in other bytes', async () => {
    const copy = await copies.of(dataDir);
    const key = compositeKey('consignment', [consignment.id]);
    let reordered = '';
    await withLedgerStore(async (store) => {
      const { version, value } = decodeVersioned((await store.state.get(key))!);
      const record = JSON.parse(Buffer.from(value).toString()) as Record<string, unknown>;
      reordered = JSON.stringify(Object.fromEntries(Object.entries(record).reverse()));
      await store.state.put(key, encodeVersioned(version, Buffer.from(reordered)));
    }, copy);

    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `; the store: ${reordered.length > 160 ? reordered.slice(0, 159) + '…' : reordered}, the same JSON in other bytes (member order or spelling)\n`,
    );
  });

  // Policies are stored without a version: it read their first 12 bytes as one, and printed
  // sizes and heights that were none.
  it('names a key-level endorsement policy replaced in the store, as the policies it holds', async () => {
    const copy = await copies.of(dataDir);
    const key = compositeKey('customsseal', [consignment.id]);
    const other = new KeyEndorsementPolicy();
    other.addOrgs('PEER', 'PlatformAMSP');
    await withLedgerStore((store) => store.metadata.put(key, other.getPolicy()), copy);

    expect((await audit(['verify-chain', '--data-dir', copy])).code).toBe(0);
    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `  key-level endorsement policies, customsseal/${consignment.id}: the blocks: OR('CustomsMSP.peer'); the store: OR('PlatformAMSP.peer')`,
    );
  });

  it('checks each private value against the hash its block commits, where no purge removed it', async () => {
    const copy = await copies.of(dataDir);
    const order = collectionKey(COLLECTION, `order~${consignment.id}`);
    const keptKey = collectionKey(COLLECTION, `party~${kept}`);
    const { was, is, keptHash } = await withLedgerStore(async (store) => {
      const { version, value } = decodeVersioned((await store.privateData.get(order))!);
      const envelope = JSON.parse(Buffer.from(value).toString()) as { payload: { goodsValue: number } };
      envelope.payload.goodsValue = 4;
      const forged = Buffer.from(JSON.stringify(envelope));
      await store.privateData.put(order, encodeVersioned(version, forged));
      // A value put back where a valid transaction purged one, and one removed with no transaction.
      await store.privateData.put(
        collectionKey(COLLECTION, `party~${erased}`),
        encodeVersioned(version, forged),
      );
      const keptHash = sha256Hex(decodeVersioned((await store.privateData.get(keptKey))!).value);
      await store.privateData.del(keptKey);
      return { was: sha256Hex(value), is: sha256Hex(forged), keptHash };
    }, copy);

    expect((await audit(['verify-chain', '--data-dir', copy])).code).toBe(0);
    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/\(private data 3\):/);
    expect(run.stdout).toMatch(
      new RegExp(
        `^  private data, collection ${COLLECTION}, key order~${consignment.id}: the blocks: value hash ${was} \\(written by tx [0-9a-f]{12}… at block \\d+, position \\d+\\); the store: a value hashing to ${is}$`,
        'm',
      ),
    );
    expect(run.stdout).toContain(
      `  private data, collection ${COLLECTION}, key party~${erased}: the blocks: no hash: no valid transaction wrote the key, or one deleted or purged it; the store: a value hashing to ${is}`,
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^  private data, collection ${COLLECTION}, key hash ${sha256Hex(`party~${kept}`)}: the blocks: value hash ${keptHash} \\(written by tx [0-9a-f]{12}… at block \\d+, position \\d+\\); the store: no value, though no valid transaction deleted or purged it$`,
        'm',
      ),
    );
  });

  it('names a transaction-index entry removed, and replays no further than a missing block', async () => {
    const copy = await copies.of(dataDir);
    const entry = await withLedgerStore(async (store) => {
      const entry = JSON.parse(
        Buffer.from((await store.transactions.get(consignment.readTxId))!).toString(),
      ) as {
        block: number;
        tx: number;
      };
      await store.transactions.del(consignment.readTxId);
      return entry;
    }, copy);
    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `  transaction index, transaction ${consignment.readTxId}: the blocks: block ${entry.block}, position ${entry.tx}, VALID; the store: no entry`,
    );

    // It printed both sides as "block …, position …, VALID": the member added was not shown.
    await withLedgerStore(
      (store) =>
        store.transactions.put(
          consignment.readTxId,
          Buffer.from(JSON.stringify({ ...entry, note: 'moved' })),
        ),
      copy,
    );
    const extra = await verifyState(copy);
    expect(extra.code, extra.stdout + extra.stderr).toBe(1);
    expect(extra.stdout).toContain(
      `  transaction index, transaction ${consignment.readTxId}: the blocks: block ${entry.block}, position ${entry.tx}, VALID; the store: block ${entry.block}, position ${entry.tx}, VALID, note "moved"`,
    );

    const gap = await copies.of(dataDir);
    await withLedgerStore((store) => store.blocks.del(blockKey(entry.block)), gap);
    const missing = await verifyState(gap);
    expect(missing.code, missing.stdout + missing.stderr).toBe(1);
    expect(missing.stdout).toContain(
      `TAMPERED: block ${entry.block}: block is missing, so it and the blocks after it cannot be replayed.`,
    );

    // Replayed in the order stored, they made transactions blocks later lose their reads.
    const swapped = await copies.of(dataDir);
    await withLedgerStore(async (store) => {
      const [first, second] = [blockKey(entry.block), blockKey(entry.block + 1)];
      const [a, b] = [(await store.blocks.get(first))!, (await store.blocks.get(second))!];
      await store.blocks.put(first, b);
      await store.blocks.put(second, a);
    }, swapped);
    const chain = await audit(['verify-chain', '--data-dir', swapped]);
    expect(chain.stdout).toContain(`TAMPERED: block ${entry.block}: header says block ${entry.block + 1}.`);
    const outOfPlace = await verifyState(swapped);
    expect(outOfPlace.code, outOfPlace.stdout + outOfPlace.stderr).toBe(1);
    expect(outOfPlace.stdout).toContain(
      `TAMPERED: block ${entry.block}: header says block ${entry.block + 1}, so it and the blocks after it cannot be replayed.`,
    );
  });
});

/**
 * The review's forgery: the order's goods value changed in private data, and its commitment
 * recomputed in world state and the history index, the blocks untouched. A gateway on such a store
 * makes packages of the forged value, and verifies them against the forged root.
 */
async function forgeGoodsValue(dir: string, goodsValue: number): Promise<void> {
  await withLedgerStore(async (store) => {
    const privateKey = collectionKey(COLLECTION, `order~${consignment.id}`);
    const held = decodeVersioned((await store.privateData.get(privateKey))!);
    const envelope = JSON.parse(Buffer.from(held.value).toString()) as {
      payload: { goodsValue: number };
      saltSeed: string;
    };
    envelope.payload.goodsValue = goodsValue;
    await store.privateData.put(
      privateKey,
      encodeVersioned(held.version, Buffer.from(JSON.stringify(envelope))),
    );
    const { root } = commitPayload(envelope.payload, envelope.saltSeed);
    const key = compositeKey('record', [consignment.id, 'order']);
    const { version, value } = decodeVersioned((await store.state.get(key))!);
    const record = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(value).toString()), root }));
    await store.state.put(key, encodeVersioned(version, record));
    const row = decodeHistoryEntry((await store.history.get(historyKey(key, version)))!);
    await store.history.put(historyKey(key, version), encodeHistoryEntry({ ...row, value: record }));
  }, dir);
}

describe('verify-disclosure --check-blocks', () => {
  it('checks a package against the root its block holds, not the one a gateway reports', async () => {
    const copy = await copies.of(dataDir);
    await forgeGoodsValue(copy, 4);
    const state = (await verifyState(copy, true)).json<StateJson>();
    expect(state.discrepancies.map((d) => d.store)).toEqual(['state', 'history', 'privateData']);

    const forged = await startTestGateway({}, copy);
    try {
      const made = await discloseGoodsValue(forged);
      expect(made.status, made.text).toBe(201);
      expect(made.body.disclosure.fields).toEqual([
        expect.objectContaining({ path: '/goodsValue', value: 4 }),
      ]);
      const file = join(copy, 'forged.json');
      await writeFile(file, made.text);
      const online = ['--gateway', forged.gateway.url, '--data-dir', copy];

      // On the gateway's word, the forgery holds: that mode proves no more than the gateway does.
      const trusting = await audit(['verify-disclosure', file, ...online]);
      expect(trusting.code, trusting.stdout + trusting.stderr).toBe(0);
      expect(trusting.stdout).toContain(
        '  against the root the gateway reports (--check-blocks <data dir> reads it from the block itself)',
      );

      const checked = await audit(['verify-disclosure', file, ...online, '--check-blocks', dataDir]);
      expect(checked.code, checked.stdout + checked.stderr).toBe(1);
      const forgedRoot = made.body.disclosure.root;
      const root = genuine.disclosure.root;
      expect(checked.stdout).toMatch(
        new RegExp(
          `^NOT VERIFIED: the disclosure of the order record of consignment ${consignment.id}: the gateway says verified ` +
            `but block ${genuine.block} of ${dataDir} says not verified \\(package commits to root ${forgedRoot} over (\\d+) leaves, ` +
            `not the committed ${root} over \\1\\); the gateway reports root ${forgedRoot} over \\1 leaves for tx [0-9a-f]{16}…, ` +
            `block ${genuine.block} holds ${root} over \\1\\.$`,
          'm',
        ),
      );
      const json = await audit(['verify-disclosure', file, ...online, '--check-blocks', dataDir, '--json']);
      expect(json.json()).toMatchObject({ verified: false, code: 'disagreement' });
    } finally {
      await forged.close();
    }
  });

  // Outside the hashes: a block whose metadata is not a block's ended the check in a TypeError.
  it('names a block whose metadata is not a block’s, without a stack', async () => {
    const copy = await copies.of(dataDir);
    const blocks = await copies.of(dataDir);
    await withLedgerStore(async (store) => {
      const key = blockKey(genuine.block);
      const stored = JSON.parse(Buffer.from((await store.blocks.get(key))!).toString()) as object;
      await store.blocks.put(key, Buffer.from(JSON.stringify({ ...stored, metadata: null })));
    }, blocks);
    const live = await startTestGateway({}, copy);
    try {
      const file = join(copy, 'genuine.json');
      await writeFile(file, JSON.stringify({ consignmentId: consignment.id, record: 'order', ...genuine }));
      const online = ['--gateway', live.gateway.url, '--data-dir', copy];
      const run = await audit(['verify-disclosure', file, ...online, '--check-blocks', blocks]);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toContain(
        `block ${genuine.block} cannot be read: metadata: Invalid input: expected object, received null`,
      );
      expect(run.stdout + run.stderr).not.toMatch(/TypeError|\n\s+at /);
    } finally {
      await live.close();
    }
  });

  it('verifies a genuine package against its block, and cannot check a block newer than the copy', async () => {
    const copy = await copies.of(dataDir);
    const live = await startTestGateway({}, copy);
    try {
      const online = ['--gateway', live.gateway.url, '--data-dir', copy];
      const file = join(copy, 'genuine.json');
      await writeFile(file, JSON.stringify({ consignmentId: consignment.id, record: 'order', ...genuine }));
      const run = await audit(['verify-disclosure', file, ...online, '--check-blocks', dataDir]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain(
        `  read from block ${genuine.block} of ${dataDir}: the transaction is valid there and wrote this root to the record`,
      );

      // A correction committed after the copy named by --check-blocks was made: no verdict either way.
      const corrected = await live
        .as(PLATFORM)
        .post(`/v1/consignments/${consignment.id}/order`, orderPayload(`ORD-${consignment.id}`));
      expect(corrected.status, corrected.text).toBe(201);
      const made = await discloseGoodsValue(live);
      expect(made.status, made.text).toBe(201);
      expect(made.body.block).toBeGreaterThan(genuine.block);
      await writeFile(file, made.text);
      const late = await audit(['verify-disclosure', file, ...online, '--check-blocks', dataDir]);
      expect(late.code, late.stdout + late.stderr).toBe(3);
      expect(late.stderr).toMatch(
        new RegExp(
          `cannot check: block ${made.body.block} is not in ${dataDir} yet \\(it holds blocks 0–\\d+\\): check a newer copy`,
        ),
      );
    } finally {
      await live.close();
    }
  });
});

describe('verify-disclosure --check-blocks, after an erasure', () => {
  it('says which disclosed fields an erasure on the chain has erased since the package was made', async () => {
    const copy = await copies.of(dataDir);
    const live = await startTestGateway({}, copy);
    const file = join(copy, 'before-erasure.json');
    try {
      const rules = await live.as(CUSTOMS).post('/v1/customs/rule-set', {
        ...DEFAULT_RULE_SET,
        version: `insider-${randomBytes(3).toString('hex')}`,
        randomSelectionRate: 0,
        thresholds: { amber: 0, red: 1000 },
      });
      expect(rules.status, rules.text).toBe(201);
      const partyId = await registerOn(live, 'Erased Buyer');
      const id = `ERS-${randomBytes(3).toString('hex').toUpperCase()}`;
      const orderNumber = `ORD-${id}`;
      const tracking = `RR${randomBytes(3).toString('hex').toUpperCase()}EE`;
      const steps: [string, string, unknown][] = [
        [PLATFORM, '', { consignmentId: id, orderNumber, trackingNumber: tracking, paymentTransactionId: `PAY-${id}`, originCountry: 'CN', destinationCountry: 'FR' }],
        [PLATFORM, '/order', orderPayload(orderNumber, { buyer: { id: partyId, name: 'Erased Buyer', document: { type: 'passport', number: 'P1234567', country: 'FR' } } })],
        ['payment-operator', '/payment', paymentPayload(orderNumber, `PAY-${id}`)],
        ['post-operator', '/logistics', logisticsPayload(orderNumber, tracking)],
        [PLATFORM, '/declaration', declarationPayload()],
        [CUSTOMS, '/assessment', undefined],
        [CUSTOMS, '/decision', { decision: 'release', reasonCodes: [] }],
        ['post-operator', '/movements', { type: 'delivered', location: 'FRLYS' }],
      ]; // prettier-ignore
      for (const [user, path, body] of steps) {
        const res = await live.as(user).post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
        expect(res.status, `${path}: ${res.text}`).toBe(201);
      } // prettier-ignore
      const made = await live.as(PLATFORM).post(`/v1/consignments/${id}/disclosures`, {
        record: 'order',
        fields: ['/buyer/name', '/orderNumber'],
        purpose: 'dispute_resolution',
      });
      expect(made.status, made.text).toBe(201);
      await writeFile(file, made.text);
      const erased = await live
        .as(PLATFORM)
        .post<{ txId: string }>(`/v1/consignments/${id}/erasure`, { reason: 'erasure_request', partyId });
      expect(erased.status, erased.text).toBe(201);
      const online = ['--gateway', live.gateway.url, '--data-dir', copy];
      // Without the blocks, the package verifies and says nothing of the erasure.
      const trusting = await audit(['verify-disclosure', file, ...online]);
      expect(trusting.code, trusting.stdout + trusting.stderr).toBe(0);
      expect(trusting.stdout).not.toContain('erased since');
      await live.gateway.close();
      const blocks = await copies.of(copy);
      const restarted = await startTestGateway({}, copy);
      try {
        const again = ['--gateway', restarted.gateway.url, '--data-dir', copy];
        const run = await audit(['verify-disclosure', file, ...again, '--check-blocks', blocks]);
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).toContain(
          `  /buyer/name = "Erased Buyer" (erased since: tx ${erased.body.txId.slice(0, 16)}… at `,
        );
        expect(run.stdout).toMatch(/, erasure_request; the ledger no longer holds it\)$/m);
        expect(run.stdout).toMatch(/^ {2}\/orderNumber = "[^"]+"$/m);
      } finally {
        await restarted.close();
      }
    } finally {
      await live.close();
    }
  });
});

describe('trace --check-blocks', () => {
  interface TraceJson {
    entries: { type: string; txId: string; block: number }[];
    blocks: {
      ok: boolean;
      checked: number;
      height: number;
      problems: unknown[];
      newer: { index: number; type: string; txId: string; block: number }[];
    };
  }

  it('sets entries newer than the copy apart, and still names a block missing from it', async () => {
    const copy = await copies.of(dataDir);
    const live = await startTestGateway({}, copy);
    try {
      const read = await live
        .as(CUSTOMS)
        .get<{ accessTxId: string }>(
          `/v1/consignments/${consignment.id}/details?record=order&purpose=risk_assessment`,
        );
      expect(read.status, read.text).toBe(200);
      const trace = (dir: string, json = false) =>
        audit([
          'trace',
          consignment.id,
          '--gateway',
          live.gateway.url,
          '--data-dir',
          copy,
          '--check-blocks',
          dir,
          ...(json ? ['--json'] : []),
        ]);

      // dataDir is the copy's past: the read just made is in a block it does not hold yet.
      const run = await trace(dataDir, true);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const { entries, blocks } = run.json<TraceJson>();
      const index = entries.findIndex((e) => e.txId === read.body.accessTxId);
      const block = entries[index]!.block;
      expect(blocks).toMatchObject({ ok: true, problems: [], checked: entries.length - 1 });
      expect(blocks.newer).toEqual([
        { index, type: 'personal_data_read', txId: read.body.accessTxId, block },
      ]);
      const text = await trace(dataDir);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        `VERIFIED: each of the ${entries.length - 1} entries in the blocks of ${dataDir} is a valid transaction there, writing the value its hash commits to.`,
      );
      expect(text.stdout).toContain(
        `  NOT YET IN THE COPY: 1 entry (${index}) in blocks ${block}, committed after ${dataDir} was copied (it holds blocks 0–${blocks.height - 1}): a newer copy checks them.`,
      );

      // A block missing below the copy's height is no newer block: still a mismatch.
      const created = entries[0]!;
      expect(created.type).toBe('created');
      const gap = await copies.of(dataDir);
      await withLedgerStore((store) => store.blocks.del(blockKey(created.block)), gap);
      const missing = await trace(gap);
      expect(missing.code, missing.stdout).toBe(1);
      expect(missing.stdout).toContain(
        `  entry 0 (created, tx ${created.txId.slice(0, 12)}…): block ${created.block} is not in the data directory`,
      );

      // A copy that ends before the consignment began holds none of its entries: no verdict.
      const early = await copies.of(dataDir);
      await withLedgerStore(async (store) => {
        const previous = decodeBlock((await store.blocks.get(blockKey(created.block - 1)))!);
        for (let n = created.block; n < blocks.height; n++) await store.blocks.del(blockKey(n));
        await store.savepoint.put(
          'tip',
          Buffer.from(JSON.stringify({ height: created.block, hash: headerHash(previous.header) })),
        );
      }, early);
      const none = await trace(early);
      expect(none.code, none.stdout).toBe(3);
      expect(none.stdout).toContain(`NOT CHECKED: no entry is in the blocks of ${early}.`);
    } finally {
      await live.close();
    }
  });
});

describe('verify-chain --expect', () => {
  interface ChainJson {
    tip: string;
    height: number;
    pins: { height: number; hash: string; verdict: string; stored?: string }[];
  }

  it('refutes, against a tip recorded earlier, a chain cut short with its savepoint or rewritten and re-hashed', async () => {
    const recorded = (await audit(['verify-chain', '--data-dir', dataDir, '--json'])).json<ChainJson>();
    const [height, hash] = recorded.tip.split(':') as [string, string];
    expect(Number(height)).toBe(recorded.height);
    expect((await audit(['verify-chain', '--data-dir', dataDir])).stdout).toContain(
      `  tip ${recorded.tip}\n`,
    );

    // The last block dropped the way an insider would: with its index entries, the savepoint moved back.
    const cut = await copies.of(dataDir);
    await withLedgerStore(async (store) => {
      const last = recorded.height - 1;
      const block = decodeBlock((await store.blocks.get(blockKey(last)))!);
      const previous = decodeBlock((await store.blocks.get(blockKey(last - 1)))!);
      if (!isConfigData(block.data))
        for (const tx of block.data.transactions) await store.transactions.del(tx.txId);
      await store.blocks.del(blockKey(last));
      await store.savepoint.put(
        'tip',
        Buffer.from(JSON.stringify({ height: last, hash: headerHash(previous.header) })),
      );
    }, cut);
    expect((await audit(['verify-chain', '--data-dir', cut])).code).toBe(0);
    const short = await audit(['verify-chain', '--data-dir', cut, '--expect', recorded.tip]);
    expect(short.code, short.stdout).toBe(1);
    expect(short.stdout).toContain(
      `  height ${height} (${hash}): the chain holds ${recorded.height - 1} blocks, not block ${recorded.height - 1}: blocks were dropped from its end`,
    );

    // An access record's purpose changed inside its block, the transaction signed again, every later
    // block and the savepoint re-hashed.
    const rewritten = await copies.of(dataDir);
    const key = compositeKey('access', ['consignment', consignment.id, consignment.readTxId]);
    // Signed again with the keys the data directory's msp/ folder holds: its holder can sign as anyone.
    const keys = await keysByCertificate(rewritten);
    const changedAt = await rewriteTransactionById(rewritten, consignment.readTxId, (tx) =>
      resign(
        {
          ...tx,
          rwset: {
            ...tx.rwset,
            writes: tx.rwset.writes.map((w) =>
              w.key === key
                ? {
                    ...w,
                    value: Buffer.from(
                      Buffer.from(w.value!, 'base64').toString().replace('risk_assessment', 'audit'),
                    ).toString('base64'),
                  }
                : w,
            ),
          },
        },
        keys,
      ),
    );
    expect((await audit(['verify-chain', '--data-dir', rewritten])).code).toBe(0);
    // Tips recorded along the way, in a file: the one before the change still holds, the later one does not.
    const beforeChange = await withLedgerStore(
      async (store) => headerHash(decodeBlock((await store.blocks.get(blockKey(changedAt - 1)))!).header),
      dataDir,
    );
    const pins = join(rewritten, 'tips.txt');
    await writeFile(
      pins,
      `# tips recorded by the auditor\n${changedAt}:${beforeChange}\n\n${recorded.tip}  # at the last audit\n`,
    );
    const run = await audit(['verify-chain', '--data-dir', rewritten, '--expect-file', pins, '--json']);
    expect(run.code, run.stdout).toBe(1);
    const { pins: checked, tip } = run.json<ChainJson>();
    expect(checked).toEqual([
      { height: changedAt, hash: beforeChange, verdict: 'matches', stored: beforeChange },
      { height: recorded.height, hash, verdict: 'differs', stored: tip.split(':')[1] },
    ]);
    const text = await audit(['verify-chain', '--data-dir', rewritten, '--expect-file', pins]);
    expect(text.stdout).toContain(
      `  height ${height}: block ${recorded.height - 1}'s header hash is ${tip.split(':')[1]}, not ${hash}: the chain was rewritten at or before block ${recorded.height - 1}`,
    );
  });

  it('takes a malformed tip for a usage error', async () => {
    const bad = await audit(['verify-chain', '--data-dir', dataDir, '--expect', '5:xyz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'5:xyz' is not <height>:<hash>");
    const copy = await copies.of(dataDir);
    const file = join(copy, 'tips.txt');
    await writeFile(file, `# fine\n0:${'a'.repeat(64)}\n`);
    const inFile = await audit(['verify-chain', '--data-dir', dataDir, '--expect-file', file]);
    expect(inFile.code).toBe(2);
    expect(inFile.stderr).toContain(`${file}, line 2: '0:${'a'.repeat(64)}' is not <height>:<hash>`);
  });
});

/** Node's WebCrypto as @peculiar/x509 types it (the DOM's Crypto), as the ledger's msp.ts passes it. */
const subtleCrypto = webcrypto as unknown as Crypto;

describe('signatures and validation codes', () => {
  /** A copy with a transaction the committer found invalid for real: a key-level policy failed. */
  let conflicted: string;
  let lost: { block: number; index: number; txId: string };

  interface ChainJson {
    ok: boolean;
    problem?: { blockNumber: number; transaction?: { index: number; txId: string }; reason: string };
  }

  /** The transaction at `at` of a copy, changed by `change` and the chain re-hashed after it. */
  const rewriteTransaction = (
    dir: string,
    at: { block: number; index: number },
    change: (tx: TransactionEnvelope) => TransactionEnvelope,
  ) =>
    rewriteChain(dir, at.block, (data) =>
      isConfigData(data)
        ? data
        : { transactions: data.transactions.map((tx, i) => (i === at.index ? change(tx) : tx)) },
    );

  beforeAll(async () => {
    conflicted = await copies.of(dataDir);
    const { ledger } = await openEmbeddedNetwork({
      dataDir: conflicted,
      networkConfigPath: join(root, 'config/organisations.json'),
      collectionsConfigPath: join(root, 'chaincode/collections_config.json'),
    });
    let lostTxId: string;
    try {
      const identity = await ledger.enrolUser('PlatformAMSP', PLATFORM, { role: 'operator' });
      const id = `POL-${randomBytes(3).toString('hex').toUpperCase()}`;
      const create = (order: string) =>
        ledger.endorse(identity, 'consignment:create', {
          arguments: [
            id,
            JSON.stringify({ orderNumber: order, originCountry: 'CN', destinationCountry: 'FR' }),
          ],
        });
      // Both simulated before either commits, on the same consignment key.
      const [won, lostTx] = [await create('ORD-1'), await create('ORD-2')];
      expect((await (await won.submit()).getStatus()).code).toBe(TxValidationCode.VALID);
      // The first one set the consignment key's own endorsement policy, which the second's endorsers
      // do not satisfy: the committer checks that before its read of the key (Fabric's order).
      const { code } = await (await lostTx.submit()).getStatus();
      expect(code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
      lostTxId = lostTx.transactionId;
    } finally {
      await ledger.close();
    }
    const entry = await withLedgerStore(
      async (store) =>
        JSON.parse(Buffer.from((await store.transactions.get(lostTxId))!).toString()) as {
          block: number;
          tx: number;
        },
      conflicted,
    );
    lost = { block: entry.block, index: entry.tx, txId: lostTxId };
  });

  const expectNamed = async (dir: string, reason: string, at = lost) => {
    const run = await audit(['verify-chain', '--data-dir', dir]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `TAMPERED: block ${at.block}, transaction ${at.index} (tx ${at.txId.slice(0, 16)}…): ${reason}`,
    );
    const json = (await audit(['verify-chain', '--data-dir', dir, '--json'])).json<ChainJson>();
    expect(json.problem?.transaction).toEqual({ index: at.index, txId: at.txId });
  };

  it('verifies every signature and re-derives every code of the untouched copy, the invalid transaction included', async () => {
    const chain = await audit(['verify-chain', '--data-dir', conflicted]);
    expect(chain.code, chain.stdout + chain.stderr).toBe(0);
    expect(chain.stdout).toMatch(/transactions: each creator's signature and \d+ endorsements verified/);
    const state = await verifyState(conflicted);
    expect(state.code, state.stdout + state.stderr).toBe(0);
    expect(state.stdout).toMatch(
      /\d+ transactions validated again .*: each code agrees with its block's metadata/,
    );
  });

  it("names a transaction whose creator's signature was changed, the chain re-hashed after it", async () => {
    const copy = await copies.of(conflicted);
    await rewriteTransaction(copy, lost, (tx) => {
      const signature = Buffer.from(tx.signature, 'base64');
      signature[signature.length - 1]! ^= 1;
      return { ...tx, signature: signature.toString('base64') };
    });
    await expectNamed(
      copy,
      "the creator's signature (PlatformAMSP) does not verify over the transaction envelope.",
    );
  });

  it("names an endorsement signed again by a key no CA of the endorser's organisation issued", async () => {
    const copy = await copies.of(conflicted);
    const keys = await keysByCertificate(copy);
    // A CA and peer of the same names as Platform A's, made outside the channel configuration.
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const caKeys = await subtleCrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=ca.platforma.example.com, O=platforma.example.com, C=US',
        keys: caKeys,
        signingAlgorithm: algorithm,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      },
      subtleCrypto,
    );
    const peerKeys = await subtleCrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const peer = await x509.X509CertificateGenerator.create(
      {
        subject: 'CN=peer0.platforma.example.com, OU=peer, O=platforma.example.com, C=US',
        issuer: ca.subject,
        publicKey: peerKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: algorithm,
      },
      subtleCrypto,
    );
    const peerPem = peer.toString('pem');
    const pkcs8 = Buffer.from(await subtleCrypto.subtle.exportKey('pkcs8', peerKeys.privateKey));
    const peerKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    let forged = -1;
    await rewriteTransaction(copy, lost, (tx) => {
      forged = tx.endorsements.findIndex((e) => e.mspId === 'PlatformAMSP');
      const payload = envelopeResponsePayload(tx);
      const endorsements = tx.endorsements.map((e, j) =>
        j === forged
          ? {
              mspId: 'PlatformAMSP',
              certificate: peerPem,
              signature: signWith(peerKey, endorsementMessage(payload, peerPem)),
            }
          : e,
      );
      // The creator's signature made again over the new endorsement: only the endorser is at fault.
      return resign(
        { ...tx, endorsements },
        new Map([[tx.creator.certificate, keys.get(tx.creator.certificate)!]]),
      );
    });
    expect(forged).toBeGreaterThanOrEqual(0);
    await expectNamed(
      copy,
      `endorsement ${forged}: the endorser's certificate is not issued by a CA of PlatformAMSP in the channel configuration.`,
    );
  });

  it('names a transaction flipped from invalid to valid in its metadata and the transaction index, its writes applied', async () => {
    const copy = await copies.of(conflicted);
    await withLedgerStore(async (store) => {
      const block = decodeBlock((await store.blocks.get(blockKey(lost.block)))!);
      const codes = [...block.metadata.validationCodes];
      codes[lost.index] = TxValidationCode.VALID;
      // The metadata is outside the hashed data: the block keeps its hash, the chain its links.
      const text = Buffer.from((await store.blocks.get(blockKey(lost.block)))!).toString();
      await store.blocks.put(
        blockKey(lost.block),
        Buffer.from(
          text.replace(/"metadata":\{.*\}\}$/, `"metadata":{"validationCodes":${JSON.stringify(codes)}}}`),
        ),
      );
      // Its writes applied as the committer applies a valid transaction's: state, history, index entry.
      if (isConfigData(block.data)) throw new Error('not a transaction block');
      const writer = new BlockWriter(store, lost.block);
      writer.add(lost.index, block.data.transactions[lost.index]!, [], TxValidationCode.VALID);
      await store.write(writer.ops);
    }, copy);
    // The block's hashes, signatures and index all agree: only validating the transaction again tells.
    expect((await audit(['verify-chain', '--data-dir', copy])).code).toBe(0);
    const run = await verifyState(copy);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain(
      `  block ${lost.block}, transaction ${lost.index} (tx ${lost.txId.slice(0, 16)}…): the metadata marks it VALID, validated again it is ENDORSEMENT_POLICY_FAILURE`,
    );
  });
});
