/**
 * The auditor CLI's offline checks on a real gateway's data directory (real LevelDB, real blocks,
 * a real anchored audit log): they pass untouched, and name the block or the audit entry an
 * attacker with write access to the stores changed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import { AuditLog, type AuditEntry } from '../../gateway/src/audit/audit-log.js';
import {
  decodeBlock,
  headerHash,
  sealBlock,
  type TransactionEnvelope,
} from '../../gateway/src/ledger/embedded/block.js';
import { MspStore, newClientIdentity } from '../../gateway/src/ledger/embedded/msp.js';
import { StoredBlocks } from '../../auditor/src/checks/blocks.js';
import { blockKey } from '../../gateway/src/ledger/embedded/store.js';
import { auditEntry } from '../support/audit-entry.js';
import { ELEVEN_YEARS_MS, withClockAhead } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  audit,
  consignmentReadByCustoms,
  DataDirCopies,
  keysByCertificate,
  resign,
  rewriteTransactionById,
  waitForAnchor,
  withLedgerStore,
  type Consignment,
} from './helpers.js';
import {
  gatewayStorePath,
  openGatewayStore,
  type GatewayStore,
} from '../../gateway/src/storage/gateway-store.js';

let t: TestGateway;
let consignment: Consignment;
let dataDir: string;
/** How many entries the audit log had when its head was anchored (before the last requests). */
let anchoredSize: number;

beforeAll(async () => {
  // Anchor as soon as the log grows (checked every second), so the test need not wait a minute.
  t = await startTestGateway({ AUDIT_ANCHOR_EVERY: '1', AUDIT_ANCHOR_SECONDS: '1' });
  dataDir = t.dataDir;
  const run = randomBytes(3).toString('hex').toUpperCase();
  consignment = await consignmentReadByCustoms(t, `AUD-${run}-1`);
  await consignmentReadByCustoms(t, `AUD-${run}-2`);
  const head = await t.as('auditor').get<{ treeSize: number }>('/v1/audit/tree-head');
  anchoredSize = head.body.treeSize;
  await waitForAnchor(t, anchoredSize);
});

const copies = new DataDirCopies();

afterAll(async () => {
  await t?.close();
  await copies.removeAll();
});

const copyOfDataDir = (): Promise<string> => copies.of(dataDir);

async function withAuditStore<T>(use: (db: GatewayStore) => Promise<T>, dir = dataDir): Promise<T> {
  const db = await openGatewayStore(gatewayStorePath(dir));
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

const auditSublevel = (db: GatewayStore) =>
  db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
const entryKey = (index: number): string => `e:${index.toString(16).padStart(16, '0')}`;

interface ChainJson {
  ok: boolean;
  height: number;
  problem?: { blockNumber: number; transaction?: { txId: string }; reason: string };
}

interface AuditJson {
  ok: boolean;
  logId: string;
  logSize: number;
  firstBadEntry?: { index: number; reason: string };
  anchors: {
    treeSize: number;
    rootHash: string;
    timestamp: string;
    txId: string;
    blockNumber: number;
    gatewayMspId: string;
    signerId: string;
    verdict: string;
    reason?: string;
  }[];
}

describe('while the gateway runs', () => {
  it('says the data directory is locked by a running gateway (exit 3, no verdict)', async () => {
    const run = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/locked by a running gateway/);
    expect(run.stdout).toBe('');
  });
});

describe('on the stopped gateway’s data directory', () => {
  beforeAll(async () => {
    await t.gateway.close();
  });

  it('verifies the untouched chain and audit log', async () => {
    const chain = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(chain.code, chain.stdout + chain.stderr).toBe(0);
    expect(chain.stdout).toMatch(/^VERIFIED: the block chain .* is intact/);

    const log = await audit(['verify-audit-log', '--data-dir', dataDir, '--json']);
    expect(log.code, log.stdout + log.stderr).toBe(0);
    const report = log.json<AuditJson>();
    expect(report.ok).toBe(true);
    expect(report.anchors.length).toBeGreaterThan(0);
    expect(report.anchors.every((a) => a.verdict === 'verified')).toBe(true);
    expect(Math.max(...report.anchors.map((a) => a.treeSize))).toBeGreaterThanOrEqual(anchoredSize);
  });

  it('gives the same verdicts eleven years on, when every certificate in the data directory has expired', async () => {
    // The demo CAs and every certificate they issued are valid for ten years; customs keeps its
    // records for ten from the end of the year, so its auditors check blocks older than any of them.
    await withClockAhead(ELEVEN_YEARS_MS, async () => {
      for (const command of ['verify-chain', 'verify-state', 'verify-audit-log']) {
        const run = await audit([command, '--data-dir', dataDir]);
        expect(run.code, `${command}: ${run.stdout}${run.stderr}`).toBe(0);
        expect(run.stdout, command).toMatch(/^VERIFIED/m);
      }
    });
  });

  it('names a transaction stamped after its creator’s certificate expired', async () => {
    // An insider with the msp/ folder's keys: customs' read of the order, stamped eleven years on
    // and signed again, its block and the later ones sealed again.
    const copy = await copyOfDataDir();
    const keys = await keysByCertificate(copy);
    const stamped = new Date(Date.now() + ELEVEN_YEARS_MS).toISOString();
    const block = await rewriteTransactionById(copy, consignment.readTxId, (tx) =>
      resign({ ...tx, timestamp: stamped }, keys),
    );
    const run = await audit(['verify-chain', '--data-dir', copy, '--json']);
    expect(run.code, run.stdout).toBe(1);
    const { problem } = run.json<ChainJson>();
    expect(problem).toMatchObject({ blockNumber: block, transaction: { txId: consignment.readTxId } });
    expect(problem!.reason).toContain("the creator's certificate had expired (at ");
    expect(problem!.reason).toContain(`) by the transaction's time, ${stamped}`);
  });

  it('names an anchor stamped after its certificate expired, by the same rule', async () => {
    const copy = await copyOfDataDir();
    const keys = await keysByCertificate(copy);
    const { anchors } = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    const anchor = anchors[0]!;
    const stamped = new Date(Date.now() + ELEVEN_YEARS_MS).toISOString();
    await rewriteTransactionById(copy, anchor.txId, (tx) => resign({ ...tx, timestamp: stamped }, keys));
    const run = await audit(['verify-audit-log', '--data-dir', copy, '--json']);
    expect(run.code, run.stdout).toBe(1);
    expect(run.json<AuditJson>().anchors.find((a) => a.txId === anchor.txId)).toMatchObject({
      verdict: 'bad-signature',
      reason: expect.stringContaining(
        'the anchoring certificate had expired by the anchoring transaction’s time',
      ),
    });
  });

  it('names the block in which one byte was changed, and passes again once it is restored', async () => {
    const { txId } = { txId: consignment.readTxId };
    const { block, original } = await withLedgerStore(async (store) => {
      const index = JSON.parse(Buffer.from((await store.transactions.get(txId))!).toString()) as {
        block: number;
      };
      const bytes = (await store.blocks.get(blockKey(index.block)))!;
      const changed = Buffer.from(bytes);
      // One hex digit of the read's transaction id, inside the hashed block data.
      const at = changed.indexOf(`"txId":"${txId}"`) + 8 + 10;
      changed[at] = changed[at] === 0x61 ? 0x62 : 0x61;
      await store.blocks.put(blockKey(index.block), changed);
      return { block: index.block, original: bytes };
    }, dataDir);

    const run = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`TAMPERED: block ${block}: data hash does not match the block data`);
    const json = (await audit(['verify-chain', '--data-dir', dataDir, '--json'])).json<ChainJson>();
    expect(json).toMatchObject({ ok: false, problem: { blockNumber: block } });

    await withLedgerStore((store) => store.blocks.put(blockKey(block), original), dataDir);
    expect((await audit(['verify-chain', '--data-dir', dataDir])).code).toBe(0);
  });

  it('catches a change of any single byte of a block at that block, validation codes included', async () => {
    const block = await withLedgerStore(async (store) => {
      const index = JSON.parse(
        Buffer.from((await store.transactions.get(consignment.readTxId))!).toString(),
      ) as { block: number };
      return index.block;
    }, dataDir);
    const original = await withLedgerStore(
      async (store) => (await store.blocks.get(blockKey(block)))!,
      dataDir,
    );
    // Byte offsets, searched in the bytes themselves.
    const text = Buffer.from(original);
    const offsets = [
      ...Array.from({ length: 24 }, (_, i) => Math.floor((i * original.length) / 24)),
      original.length - 1,
      text.indexOf('"validationCodes":[') + '"validationCodes":['.length, // a code: 0 → 1
      text.indexOf('"number":') + 2, // a key of the header
    ];
    for (const offset of offsets) {
      const changed = Buffer.from(original);
      changed[offset] = changed[offset]! ^ 0x01;
      await withLedgerStore((store) => store.blocks.put(blockKey(block), changed), dataDir);
      const run = await audit(['verify-chain', '--data-dir', dataDir, '--json']);
      const where = `byte ${offset} ('${String.fromCharCode(original[offset]!)}'): ${run.stdout}`;
      expect(run.code, where).toBe(1);
      expect(run.json<ChainJson>().problem?.blockNumber, where).toBe(block);
    }
    await withLedgerStore((store) => store.blocks.put(blockKey(block), original), dataDir);

    // The validation code is outside the hashed data: the transaction index is what refutes it.
    const codeAt = text.indexOf('"validationCodes":[') + '"validationCodes":['.length;
    const changed = Buffer.from(original);
    changed[codeAt] = '1'.charCodeAt(0);
    await withLedgerStore((store) => store.blocks.put(blockKey(block), changed), dataDir);
    const run = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `block ${block}, transaction 0 .*metadata marks it NIL_ENVELOPE, the transaction index VALID`,
      ),
    );
    await withLedgerStore((store) => store.blocks.put(blockKey(block), original), dataDir);
    expect((await audit(['verify-chain', '--data-dir', dataDir])).code).toBe(0);
  });

  // It counted from block 0 to the highest key stored: to 2^50 here, for ever.
  it('reads the anchors of a ledger with a block stored far beyond the others without counting up to it', async () => {
    const copy = await copyOfDataDir();
    const log = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    const far = 2 ** 50;
    // The genesis block again: it holds no anchor.
    await withLedgerStore(
      async (store) => store.blocks.put(blockKey(far), (await store.blocks.get(blockKey(0)))!),
      copy,
    );
    const run = await audit(['verify-audit-log', '--data-dir', copy]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(`block ${far} is stored beyond the savepoint`);
    const json = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    expect(json.anchors.map((a) => a.txId)).toEqual(log.anchors.map((a) => a.txId));
  });

  // A gateway's answer names the block --check-blocks reads: one that is no block number ended in a BigInt error.
  it('takes no block number from a gateway that is none', async () => {
    const reasons = await withLedgerStore(async (store) => {
      const blocks = await StoredBlocks.of(store);
      return Promise.all(
        [1.5, -1, Number.NaN, '5' as unknown as number].map(async (n) => blocks.written(n, 'tx', 'key')),
      );
    }, dataDir);
    expect(reasons).toEqual(
      ['1.5', '-1', 'null', '"5"'].map((shown) => ({
        found: 'mismatch',
        reason: `${shown} is no block number`,
      })),
    );
  });

  // It was counted as block NaN: "blocks NaN–NaN are stored beyond the savepoint"; then one that
  // sorts among the blocks was not seen at all, and one after them was named as block <height>.
  it('names every key among the blocks that is no block number, wherever it sorts', async () => {
    const copy = await copyOfDataDir();
    const among = `${blockKey(3)}x`;
    const put = (key: string) =>
      withLedgerStore(async (store) => store.blocks.put(key, (await store.blocks.get(blockKey(0)))!), copy);
    const expectNamed = async (reason: string) => {
      const [chain, state, log] = [
        await audit(['verify-chain', '--data-dir', copy]),
        await audit(['verify-state', '--data-dir', copy]),
        await audit(['verify-audit-log', '--data-dir', copy]),
      ];
      for (const run of [chain, state, log]) {
        expect(run.code, run.stdout).toBe(1);
        expect(run.stdout).toContain(`TAMPERED: the ledger: the blocks' store holds ${reason}.`);
        expect(run.stdout).not.toContain('NaN');
      }
      const json = (await audit(['verify-chain', '--data-dir', copy, '--json'])).json<ChainJson>();
      expect(json.problem).toMatchObject({ blockNumber: null });
      // A stray key stops no replay: the stores are still compared with the blocks.
      expect(state.stdout).toMatch(
        /^ {2}otherwise the stores in .* hold what the valid transactions of its \d+ blocks wrote, and nothing else: world state \d/m,
      );
    };
    await put(among);
    await expectNamed(`a key that is no block number, "${among}": it was added to it`);
    await put('zz');
    await expectNamed(`2 keys that are no block number, "${among}", "zz": they were added to it`);
  });

  // Outside the hashes, so the chain still verifies: verify-state and verify-audit-log ended in a TypeError.
  it('names a block whose metadata is not a block’s, where the checks read it, without a stack', async () => {
    const copy = await copyOfDataDir();
    const log = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    const block = log.anchors[0]!.blockNumber;
    await withLedgerStore(async (store) => {
      const stored = JSON.parse(Buffer.from((await store.blocks.get(blockKey(block)))!).toString()) as object;
      await store.blocks.put(blockKey(block), Buffer.from(JSON.stringify({ ...stored, metadata: null })));
    }, copy);
    const reason = 'metadata: Invalid input: expected object, received null';
    const auditLog = await audit(['verify-audit-log', '--data-dir', copy]);
    expect(auditLog.code, auditLog.stdout + auditLog.stderr).toBe(1);
    expect(auditLog.stdout).toContain(`TAMPERED: block ${block}: the block cannot be read: ${reason}.`);
    const state = await audit(['verify-state', '--data-dir', copy]);
    expect(state.code, state.stdout + state.stderr).toBe(1);
    expect(state.stdout).toContain(`block cannot be replayed: ${reason}`);
    expect(auditLog.stdout + auditLog.stderr + state.stdout + state.stderr).not.toMatch(/TypeError|\n\s+at /);
  });

  it('does not let a savepoint moved back, or not a savepoint at all, hide blocks and anchors', async () => {
    const copy = await copyOfDataDir();
    const log = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    // Moved back to before the first anchor: a check that stops at the savepoint sees none.
    const height = Math.min(...log.anchors.map((a) => a.blockNumber)) - 1;
    const { original, last, rollback, hidden } = await withLedgerStore(async (store) => {
      const previous = decodeBlock((await store.blocks.get(blockKey(height - 1)))!);
      const hidden = new Map<string, Uint8Array>();
      for await (const [key, value] of store.blocks.iterator({ gte: blockKey(height) }))
        hidden.set(key, value);
      return {
        original: (await store.savepoint.get('tip'))!,
        last: height + hidden.size - 1,
        rollback: JSON.stringify({ height, hash: headerHash(previous.header) }),
        hidden,
      };
    }, copy);
    expect(last).toBeGreaterThan(height);
    const setSavepoint = (value: string | Uint8Array) =>
      withLedgerStore((store) => store.savepoint.put('tip', Buffer.from(value)), copy);
    const verifyBoth = async () => ({
      chain: await audit(['verify-chain', '--data-dir', copy]),
      log: await audit(['verify-audit-log', '--data-dir', copy]),
    });

    await setSavepoint(rollback);
    let { chain, log: logRun } = await verifyBoth();
    expect(chain.code, chain.stdout).toBe(1);
    expect(chain.stdout).toContain(
      `TAMPERED: block ${height}: blocks ${height}–${last} are stored beyond the savepoint, which counts ${height} blocks`,
    );
    expect(logRun.code, logRun.stdout).toBe(1);
    expect(logRun.stdout).toContain(
      `TAMPERED: the ledger's savepoint cannot be trusted: block ${height}: blocks ${height}–${last} are stored beyond the savepoint`,
    );
    // The anchors are read from every stored block all the same.
    const json = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    expect(json.ok).toBe(false);
    expect(json.anchors.length).toBe(log.anchors.length);
    expect(json.anchors.every((a) => a.verdict === 'verified')).toBe(true);

    // The blocks after it removed too: the transaction index still places their transactions.
    await withLedgerStore(async (store) => {
      for (const key of hidden.keys()) await store.blocks.del(key);
    }, copy);
    ({ chain, log: logRun } = await verifyBoth());
    expect(chain.code, chain.stdout).toBe(1);
    expect(chain.stdout).toMatch(
      /^TAMPERED: block \d+, transaction \d+ \(tx [0-9a-f]{16}…\): the transaction index places transaction [0-9a-f]{64} in block \d+, beyond the savepoint, which counts/m,
    );
    expect(logRun.code, logRun.stdout).toBe(1);
    expect(logRun.stdout).toContain("TAMPERED: the ledger's savepoint cannot be trusted: block");
    await withLedgerStore(async (store) => {
      for (const [key, value] of hidden) await store.blocks.put(key, value);
    }, copy);

    const malformed: [string, RegExp][] = [
      [
        JSON.stringify({ height: 0, hash: '' }),
        /the savepoint counts 0 blocks, but a ledger always holds its genesis block/,
      ],
      [JSON.stringify({ height: -3, hash: '' }), /the savepoint counts -3 blocks/],
      ['not json', /the savepoint is not JSON: "not json"/],
      [JSON.stringify({ height: String(height) }), /the savepoint is not \{height: integer, hash: string\}/],
      ['null', /the savepoint is not \{height: integer, hash: string\}/],
    ];
    for (const [value, reason] of malformed) {
      await setSavepoint(value);
      ({ chain, log: logRun } = await verifyBoth());
      for (const run of [chain, logRun]) {
        expect(run.code, `${value}: ${run.stdout}${run.stderr}`).toBe(1);
        expect(run.stdout, value).toMatch(/^TAMPERED: /m);
        expect(run.stdout, value).toMatch(reason);
        expect(run.stderr, value).toBe('');
      }
    }

    await setSavepoint(original);
    ({ chain, log: logRun } = await verifyBoth());
    expect(chain.code, chain.stdout).toBe(0);
    expect(logRun.code, logRun.stdout).toBe(0);
  });

  // verify-chain said "header says block 5" of block 5.
  it('names a header number stored as a string, and the type it should have', async () => {
    const copy = await copyOfDataDir();
    const block = 5;
    await withLedgerStore(async (store) => {
      const stored = JSON.parse(Buffer.from((await store.blocks.get(blockKey(block)))!).toString()) as {
        header: { number: unknown };
      };
      stored.header.number = String(block);
      await store.blocks.put(blockKey(block), Buffer.from(JSON.stringify(stored)));
    }, copy);
    const chain = await audit(['verify-chain', '--data-dir', copy]);
    expect(chain.code, chain.stdout).toBe(1);
    expect(chain.stdout).toContain(
      `TAMPERED: block ${block}: header.number is "${block}", expected a number.`,
    );
    const reason = 'header.number: Invalid input: expected number, received string';
    const state = await audit(['verify-state', '--data-dir', copy]);
    expect(state.code, state.stdout).toBe(1);
    expect(state.stdout).toContain(`TAMPERED: block ${block}: block cannot be replayed: ${reason}.`);
    const log = await audit(['verify-audit-log', '--data-dir', copy]);
    expect(log.code, log.stdout).toBe(1);
    expect(log.stdout).toContain(`TAMPERED: block ${block}: the block cannot be read: ${reason}.`);
  });

  // verify-state and verify-audit-log named block height − 1, which is not stored, as the last
  // header not matching the savepoint.
  it('names the first block missing when the savepoint counts more blocks than are stored', async () => {
    const copy = await copyOfDataDir();
    const height = await withLedgerStore(async (store) => {
      const savepoint = JSON.parse(Buffer.from((await store.savepoint.get('tip'))!).toString()) as {
        height: number;
        hash: string;
      };
      await store.savepoint.put(
        'tip',
        Buffer.from(JSON.stringify({ ...savepoint, height: savepoint.height + 2 })),
      );
      return savepoint.height;
    }, copy);
    const chain = await audit(['verify-chain', '--data-dir', copy]);
    expect(chain.code, chain.stdout).toBe(1);
    expect(chain.stdout).toContain(`TAMPERED: block ${height}: block is missing.`);
    const state = await audit(['verify-state', '--data-dir', copy]);
    expect(state.code, state.stdout).toBe(1);
    expect(state.stdout).toContain(
      `TAMPERED: block ${height}: block is missing, though the savepoint counts ${height + 2} blocks.`,
    );
    const log = await audit(['verify-audit-log', '--data-dir', copy]);
    expect(log.code, log.stdout).toBe(1);
    expect(log.stdout).toContain(
      `TAMPERED: the ledger's savepoint cannot be trusted: block ${height}: block is missing, though the savepoint counts ${height + 2} blocks.`,
    );
  });

  it('takes an anchor of the gateway’s log made by any other identity for forged, and names it', async () => {
    // An attacker with write access to the stores and identities of two organisations (the
    // chaincode let any identity of the log's organisation anchor it before it kept each log to its
    // first signer): a block of true tree heads of the gateway's log, hash-linked to the chain.
    const copy = await copyOfDataDir();
    const before = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    const genuine = before.anchors.at(-1)!;
    const msp = await MspStore.open(join(copy, 'msp'), [
      { mspId: 'CustomsMSP', domain: 'customs.example.com' },
      { mspId: 'PlatformAMSP', domain: 'platforma.example.com' },
    ]);
    const forgers = [
      newClientIdentity(await msp.enrolUser('CustomsMSP', 'customs-clerk', { role: 'officer' })),
      newClientIdentity(await msp.enrolUser('PlatformAMSP', 'platforma-clerk', { role: 'operator' })),
    ];
    const keys = await keysByCertificate(copy);
    const { block, forgedTxIds, recordedSignerId } = await withLedgerStore(async (store) => {
      const savepoint = JSON.parse(Buffer.from((await store.savepoint.get('tip'))!).toString()) as {
        height: number;
        hash: string;
      };
      const anchorBlock = decodeBlock((await store.blocks.get(blockKey(genuine.blockNumber)))!);
      const anchorTx = (anchorBlock.data as { transactions: TransactionEnvelope[] }).transactions.find(
        (tx) => tx.txId === genuine.txId,
      )!;
      // What the chaincode recorded as the anchor's signer, in the transaction's write set.
      const recordedSignerId = anchorTx.rwset.writes
        .map((w) => JSON.parse(Buffer.from(w.value!, 'base64').toString()) as { signerId?: string })
        .find((anchor) => anchor.signerId)!.signerId!;
      const head = {
        logId: before.logId,
        treeSize: genuine.treeSize,
        rootHash: genuine.rootHash,
        timestamp: genuine.timestamp,
      };
      const transactions: TransactionEnvelope[] = [];
      for (const forger of forgers) {
        const signature = Buffer.from(await forger.sign(auditTreeHeadMessage(head))).toString('base64');
        // Endorsed and signed with the peers' and the forger's keys, which the msp/ folder holds.
        const forged: TransactionEnvelope = {
          ...anchorTx,
          txId: randomBytes(32).toString('hex'),
          timestamp: new Date().toISOString(),
          creator: { mspId: forger.mspId, certificate: forger.certificate },
          args: [
            'audit:anchor',
            head.logId,
            String(head.treeSize),
            head.rootHash,
            head.timestamp,
            signature,
          ].map((arg) => Buffer.from(arg).toString('base64')),
        };
        transactions.push(resign(forged, keys));
      }
      const sealed = sealBlock(savepoint.height, savepoint.hash, { transactions }, [0, 0]);
      await store.blocks.put(blockKey(savepoint.height), sealed.bytes);
      for (const [tx, { txId }] of transactions.entries()) {
        await store.transactions.put(
          txId,
          Buffer.from(JSON.stringify({ block: savepoint.height, tx, code: 0 })),
        );
      }
      await store.savepoint.put(
        'tip',
        Buffer.from(JSON.stringify({ height: savepoint.height + 1, hash: sealed.hash })),
      );
      return { block: savepoint.height, forgedTxIds: transactions.map((tx) => tx.txId), recordedSignerId };
    }, copy);

    // The chain itself is sound, its signatures included: only the rule of the log's signer catches the block.
    const chain = await audit(['verify-chain', '--data-dir', copy]);
    expect(chain.code, chain.stdout).toBe(0);

    const run = await audit(['verify-audit-log', '--data-dir', copy]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain('TAMPERED: 2 anchors of this log forged');
    const named = [
      ['customs-clerk@customs.example.com', 'CustomsMSP'],
      ['platforma-clerk@platforma.example.com', 'PlatformAMSP'],
    ];
    for (const [i, [commonName, mspId]] of named.entries()) {
      const line = run.stdout
        .split('\n')
        .find((l) =>
          l.startsWith(
            `  forged anchor of ${genuine.treeSize} entries (tx ${forgedTxIds[i]!.slice(0, 16)}…, block ${block}): made by x509::`,
          ),
        );
      expect(line, run.stdout).toBeDefined();
      expect(line).toContain(`/CN=${commonName}::`);
      expect(line).toContain(
        ` of ${mspId}, not by ${recordedSignerId} of CustomsMSP, who made the log's first anchor`,
      );
    }
    const json = (await audit(['verify-audit-log', '--data-dir', copy, '--json'])).json<AuditJson>();
    expect(
      json.anchors
        .filter((a) => a.verdict === 'forged')
        .map((a) => a.txId)
        .sort(),
    ).toEqual([...forgedTxIds].sort());
    // The gateway's own anchors still verify, and the auditor names their signer as the chaincode did.
    const own = json.anchors.filter((a) => !forgedTxIds.includes(a.txId));
    expect(own.length).toBe(before.anchors.length);
    expect(own.every((a) => a.verdict === 'verified' && a.signerId === recordedSignerId)).toBe(true);
  });

  it('names an audit entry rewritten in place, and the anchors it breaks', async () => {
    const { index, original } = await withAuditStore(async (db) => {
      const store = auditSublevel(db);
      // Customs' read of personal data: an entry someone might want to rewrite.
      for await (const [key, value] of store.iterator({ gte: 'e:', lt: 'e;' })) {
        const entry = JSON.parse(Buffer.from(value).toString()) as AuditEntry;
        if (
          entry.purpose === 'risk_assessment' &&
          entry.resource.startsWith(`consignment/${consignment.id}/`)
        ) {
          const forged = Buffer.from(
            Buffer.from(value).toString().replace('"user":"customs-officer"', '"user":"customs-service"'),
          );
          expect(forged.equals(Buffer.from(value))).toBe(false);
          await store.put(key, forged);
          return { index: entry.index, original: value };
        }
      }
      throw new Error('no audit entry of the read');
    });
    expect(index).toBeLessThan(anchoredSize);

    const run = await audit(['verify-audit-log', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`TAMPERED: audit entry ${index}: its bytes hash to leaf`);
    expect(run.stdout).toMatch(/first anchor that does not match: \d+ entries \(tx [0-9a-f]+…, block \d+\)/);
    const report = (await audit(['verify-audit-log', '--data-dir', dataDir, '--json'])).json<AuditJson>();
    expect(report.firstBadEntry?.index).toBe(index);
    for (const anchor of report.anchors) {
      expect(anchor.verdict).toBe(anchor.treeSize > index ? 'root-mismatch' : 'verified');
    }

    await withAuditStore((db) => auditSublevel(db).put(entryKey(index), original));
    expect((await audit(['verify-audit-log', '--data-dir', dataDir])).code).toBe(0);
  });

  // Its entries, leaf hashes and anchors all verified, while the proofs served from it did not.
  it('names a stored tree node changed in place, from which the gateway would serve proofs that do not verify', async () => {
    const node = 'n:02:0000000000000001';
    const original = await withAuditStore(async (db) => {
      const store = auditSublevel(db);
      const value = Buffer.from((await store.get(node))!);
      await store.put(node, Buffer.from(value.map((byte, i) => (i === 0 ? byte ^ 1 : byte))));
      return value;
    });
    const run = await audit(['verify-audit-log', '--data-dir', dataDir]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(
      /^TAMPERED: the log's stored tree node over entries 4–7 is [0-9a-f]{64}, while their leaf hashes make [0-9a-f]{64}: inclusion and consistency proofs made from it do not verify\.$/m,
    );
    await withAuditStore((db) => auditSublevel(db).put(node, original));
    expect((await audit(['verify-audit-log', '--data-dir', dataDir])).code).toBe(0);

    // A leaf hash missing is the entry's finding, not that of the intact node above it.
    const leaf = 'n:00:0000000000000000';
    const leafHash = await withAuditStore(async (db) => {
      const value = (await auditSublevel(db).get(leaf))!;
      await auditSublevel(db).del(leaf);
      return value;
    });
    const missing = await audit(['verify-audit-log', '--data-dir', dataDir]);
    expect(missing.code, missing.stdout).toBe(1);
    expect(missing.stdout).toContain(
      'TAMPERED: audit entry 0: the leaf hash recorded when it was appended is missing.',
    );
    expect(missing.stdout).not.toContain('stored tree node');
    await withAuditStore((db) => auditSublevel(db).put(leaf, leafHash));
    expect((await audit(['verify-audit-log', '--data-dir', dataDir])).code).toBe(0);
  });

  // Its anchors were listed as beyond a log of 0 entries, and as another log's: "replaced by a fresh one".
  // An empty size was read as 0, and "0x10" as 16.
  it.each(['not a number', '', '0x10'])(
    'says a log whose stored size is %j cannot be opened, not that it was replaced',
    async (size) => {
      const copy = await copyOfDataDir();
      await withAuditStore((db) => auditSublevel(db).put('size', Buffer.from(size)), copy);
      const run = await audit(['verify-audit-log', '--data-dir', copy]);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stdout).toContain(
        `TAMPERED: the audit log cannot be opened: audit log: stored size is corrupt (${JSON.stringify(size)}, not an entry count).`,
      );
      expect(run.stdout).toMatch(
        /^Audit log in .*, which cannot be opened: \d+ tree heads anchored on the ledger\.$/m,
      );
      expect(run.stdout).toContain('NOT CHECKED: the log cannot be opened');
      expect(run.stdout).not.toMatch(/replaced|MISMATCH|0 entries/);
    },
  );

  it('catches a log rewritten with a recomputed tree through the anchored tree heads', async () => {
    const target = await withAuditStore(async (db) => {
      const store = auditSublevel(db);
      const entries: AuditEntry[] = [];
      for await (const value of store.values({ gte: 'e:', lt: 'e;' })) {
        entries.push(JSON.parse(Buffer.from(value).toString()) as AuditEntry);
      }
      const target = entries.findIndex((e) => e.purpose === 'risk_assessment');
      const logId = await store.get('id');
      await store.clear();
      // Rewritten in place: the log keeps its id, so its anchors still apply to it.
      await store.put('id', logId!);
      // A consistent log (entries, leaf hashes, tree nodes, size) with one entry changed.
      const signer = { mspId: '', certificate: '', sign: () => Promise.reject(new Error('unused')) };
      const log = await AuditLog.open(db, signer, { sync: false });
      for (const { index, ...entry } of entries) {
        await log.append(index === target ? { ...entry, user: 'customs-service' } : entry);
      }
      return target;
    });

    const run = await audit(['verify-audit-log', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('TAMPERED: the audit log does not match what was anchored on the ledger.');
    const among = /the change is among entries (\d+)–(\d+)/.exec(run.stdout);
    expect(among, run.stdout).not.toBeNull();
    expect(Number(among![1])).toBeLessThanOrEqual(target);
    expect(Number(among![2])).toBeGreaterThanOrEqual(target);

    // Naming another organisation as the gateway's hides none of the anchors of the log's id.
    const otherMsp = await audit([
      'verify-audit-log',
      '--data-dir',
      dataDir,
      '--gateway-msp',
      'PlatformAMSP',
    ]);
    expect(otherMsp.code, otherMsp.stdout).toBe(1);
    expect(otherMsp.stdout).toContain(
      'TAMPERED: the audit log does not match what was anchored on the ledger.',
    );
    expect(otherMsp.stdout).toContain('(CustomsMSP anchored this log, not PlatformAMSP as --gateway-msp');
    expect(otherMsp.stdout).toMatch(/the change is among entries \d+–\d+/);
  });

  it('does not take a fresh log (a new id) for the gateway’s: it was replaced, or is to be confirmed with --log-id', async () => {
    const original = await withAuditStore(async (db) => {
      const store = auditSublevel(db);
      const id = Buffer.from((await store.get('id'))!).toString();
      await store.clear();
      const signer = { mspId: '', certificate: '', sign: () => Promise.reject(new Error('unused')) };
      const fresh = await AuditLog.open(db, signer, { sync: false });
      await fresh.append(
        auditEntry('r', { user: 'customs-officer', mspId: 'CustomsMSP', role: 'officer', route: '/healthz' }),
      );
      expect(fresh.logId).not.toBe(id);
      return id;
    });

    const run = await audit(['verify-audit-log', '--data-dir', dataDir]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain(`other log of CustomsMSP: ${original}`);
    expect(run.stdout).toMatch(/^NOT VERIFIED: this log has no anchor on the ledger/m);
    const replaced = await audit(['verify-audit-log', '--data-dir', dataDir, '--log-id', original]);
    expect(replaced.code).toBe(1);
    expect(replaced.stdout).toContain(`not ${original}: it was replaced`);
    // Told this is the log to expect (a new gateway's), its entries are checked on their own, which
    // verifies nothing a rewrite could not recompute: the check could not be made (3), not passed.
    const fresh = (await audit(['verify-audit-log', '--data-dir', dataDir, '--json'])).json<{
      logId: string;
    }>();
    const confirmed = await audit(['verify-audit-log', '--data-dir', dataDir, '--log-id', fresh.logId]);
    expect(confirmed.code, confirmed.stdout).toBe(3);
    expect(confirmed.stdout).toMatch(/^NOT VERIFIED: no tree head of this log is anchored on the ledger/m);
    const json = (
      await audit(['verify-audit-log', '--data-dir', dataDir, '--log-id', fresh.logId, '--json'])
    ).json<{ ok: boolean; badEntries: number }>();
    expect(json).toMatchObject({ ok: false, badEntries: 0 });
  });
});
