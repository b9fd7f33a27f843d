/**
 * The auditor CLI's offline checks on a real gateway's data directory (real LevelDB, real blocks,
 * a real anchored audit log): they pass untouched, and name the block or the audit entry an
 * attacker with write access to the stores changed.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../../gateway/src/audit/audit-log.js';
import { blockKey, LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { audit, consignmentReadByCustoms, waitForAnchor, type Consignment } from './helpers.js';
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

afterAll(async () => {
  await t?.close();
});

/** Runs a change on one of the stopped gateway's stores and undoes it afterwards. */
async function withLedgerStore<T>(use: (store: LedgerStore) => Promise<T>): Promise<T> {
  const store = await LedgerStore.openExisting(join(dataDir, 'ledger'));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function withAuditStore<T>(use: (db: GatewayStore) => Promise<T>): Promise<T> {
  const db = await openGatewayStore(gatewayStorePath(dataDir));
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
  logSize: number;
  firstBadEntry?: { index: number; reason: string };
  anchors: { treeSize: number; verdict: string }[];
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
    });

    const run = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`TAMPERED: block ${block}: data hash does not match the block data`);
    const json = (await audit(['verify-chain', '--data-dir', dataDir, '--json'])).json<ChainJson>();
    expect(json).toMatchObject({ ok: false, problem: { blockNumber: block } });

    await withLedgerStore((store) => store.blocks.put(blockKey(block), original));
    expect((await audit(['verify-chain', '--data-dir', dataDir])).code).toBe(0);
  });

  it('catches a change of any single byte of a block at that block, validation codes included', async () => {
    const block = await withLedgerStore(async (store) => {
      const index = JSON.parse(
        Buffer.from((await store.transactions.get(consignment.readTxId))!).toString(),
      ) as { block: number };
      return index.block;
    });
    const original = await withLedgerStore(async (store) => (await store.blocks.get(blockKey(block)))!);
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
      await withLedgerStore((store) => store.blocks.put(blockKey(block), changed));
      const run = await audit(['verify-chain', '--data-dir', dataDir, '--json']);
      const where = `byte ${offset} ('${String.fromCharCode(original[offset]!)}'): ${run.stdout}`;
      expect(run.code, where).toBe(1);
      expect(run.json<ChainJson>().problem?.blockNumber, where).toBe(block);
    }
    await withLedgerStore((store) => store.blocks.put(blockKey(block), original));

    // The validation code is outside the hashed data: the transaction index is what refutes it.
    const codeAt = text.indexOf('"validationCodes":[') + '"validationCodes":['.length;
    const changed = Buffer.from(original);
    changed[codeAt] = '1'.charCodeAt(0);
    await withLedgerStore((store) => store.blocks.put(blockKey(block), changed));
    const run = await audit(['verify-chain', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `block ${block}, transaction 0 .*metadata marks it NIL_ENVELOPE, the transaction index VALID`,
      ),
    );
    await withLedgerStore((store) => store.blocks.put(blockKey(block), original));
    expect((await audit(['verify-chain', '--data-dir', dataDir])).code).toBe(0);
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
  });

  it('does not take a fresh log (a new id) for the gateway’s: it was replaced, or is to be confirmed with --log-id', async () => {
    const original = await withAuditStore(async (db) => {
      const store = auditSublevel(db);
      const id = Buffer.from((await store.get('id'))!).toString();
      await store.clear();
      const signer = { mspId: '', certificate: '', sign: () => Promise.reject(new Error('unused')) };
      const fresh = await AuditLog.open(db, signer, { sync: false });
      await fresh.append({
        time: new Date().toISOString(),
        requestId: 'r',
        user: 'customs-officer',
        mspId: 'CustomsMSP',
        role: 'officer',
        method: 'GET',
        route: '/healthz',
        resource: '',
        purpose: '',
        outcome: 200,
        txId: '',
      });
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
    // Told this is the log to expect (a new gateway's), its entries are checked on their own.
    const fresh = (await audit(['verify-audit-log', '--data-dir', dataDir, '--json'])).json<{
      logId: string;
    }>();
    const confirmed = await audit(['verify-audit-log', '--data-dir', dataDir, '--log-id', fresh.logId]);
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect(confirmed.stdout).toContain('VERIFIED (entries only)');
  });
});
