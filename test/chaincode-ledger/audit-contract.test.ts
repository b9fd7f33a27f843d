import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  auditTreeHeadMessage,
  type AnchorPage,
  type AnchorPageInput,
  type AuditAnchor,
} from '@customs-ledger/chaincode';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { TxValidationCode, type ChaincodeEvent, type ClientIdentity } from '../../gateway/src/ledger/port.js';
import { outcome } from '../support/network.js';
import { AuditLog, type TreeHead } from '../../gateway/src/audit/audit-log.js';
import { auditEntry } from '../support/audit-entry.js';
import { AuditAnchorer } from '../../gateway/src/audit/anchor.js';

let dataDir: string;
let ledger: EmbeddedLedger;
let gw: ClientIdentity;
let platformGw: ClientIdentity;
let store: Level<string, Uint8Array>;
let log: AuditLog;

const entry = (i: number) =>
  auditEntry(`req-${i}`, {
    user: 'customs-officer',
    mspId: 'CustomsMSP',
    role: 'officer',
    route: '/v1/consignments/{id}',
    resource: `consignment/C-${i}`,
    purpose: 'risk_assessment',
  });

const signerOf = (identity: ClientIdentity) => ({
  mspId: identity.mspId,
  certificate: identity.certificate,
  sign: (message: Uint8Array) => identity.sign(message),
});

const parse = <T>(bytes: Uint8Array): T => JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
const anchorArgs = (head: Pick<TreeHead, 'logId' | 'treeSize' | 'rootHash' | 'timestamp' | 'signature'>) => ({
  arguments: [head.logId, String(head.treeSize), head.rootHash, head.timestamp, head.signature],
});
const anchor = async (identity: ClientIdentity, head: TreeHead) =>
  ledger.submit(identity, 'audit:anchor', anchorArgs(head));
const anchorPage = async (mspId: string, page: AnchorPageInput | string, logId = log.logId!) =>
  parse<AnchorPage>(
    await ledger.evaluate(gw, 'audit:getAnchors', {
      arguments: [mspId, logId, typeof page === 'string' ? page : JSON.stringify(page)],
    }),
  );
/** Every anchor of a log, two a page, so that the longer lists below span pages. */
const anchors = async (mspId: string, logId = log.logId!) => {
  const all: AuditAnchor[] = [];
  for (let after: number | null = 0; after !== null;) {
    const page = await anchorPage(mspId, { after, limit: 2 }, logId);
    all.push(...page.anchors);
    after = page.next;
  }
  return all;
};
const latest = async (mspId: string, logId = log.logId!) =>
  parse<AuditAnchor | null>(await ledger.evaluate(gw, 'audit:latestAnchor', { arguments: [mspId, logId] }));

/** Writes the shared log's id into another store, as someone rewriting that log's store would keep it. */
async function keepLogId(db: Level<string, Uint8Array>): Promise<void> {
  const audit = db.sublevel<string, Uint8Array>('audit', { keyEncoding: 'utf8', valueEncoding: 'view' });
  await audit.put('id', Buffer.from(log.logId!, 'utf8'));
}

async function appendN(target: AuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await target.append(entry(target.size()));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'audit-contract-'));
  ({ ledger } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  gw = await ledger.enrolUser('CustomsMSP', 'gw', { role: 'service' });
  platformGw = await ledger.enrolUser('PlatformAMSP', 'gw', { role: 'service' });
  store = new Level<string, Uint8Array>(join(dataDir, 'gateway-store'), {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
  });
  await store.open();
  log = await AuditLog.open(store, signerOf(gw), { sync: false });
});
afterAll(async () => {
  await store?.close();
  await ledger?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('audit:anchor', () => {
  let first: TreeHead;

  it('stores a signed tree head of the caller’s gateway log and emits one non-personal event', async () => {
    await appendN(log, 5);
    first = await log.treeHead();
    const startBlock = ledger.height();
    const submitted = await anchor(gw, first);
    const record = parse<AuditAnchor>(submitted.result);
    expect(record).toEqual({
      gatewayMspId: 'CustomsMSP',
      logId: log.logId,
      treeSize: 5,
      rootHash: first.rootHash,
      timestamp: first.timestamp,
      signature: first.signature,
      signerId: expect.stringMatching(/^x509::.*CN=gw.*::/),
      txId: submitted.transactionId,
      anchoredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
    expect(await latest('CustomsMSP')).toEqual(record);

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    let event: ChaincodeEvent | undefined;
    try {
      for await (const e of ledger.events({ startBlock, signal: controller.signal })) {
        if (e.transactionId === submitted.transactionId) {
          event = e;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    expect(event?.eventName).toBe('AuditAnchored');
    expect(parse(event!.payload)).toEqual({
      gatewayMspId: 'CustomsMSP',
      logId: log.logId,
      treeSize: 5,
      rootHash: first.rootHash,
      previousTreeSize: 0,
      txId: submitted.transactionId,
    });
  });

  it('refuses a tree size that does not exceed the caller’s last anchor, changing nothing', async () => {
    const height = ledger.height();
    expect(await outcome(anchor(gw, await log.treeHead()))).toMatch(
      `tree size 5 does not exceed the last anchored size 5 of log ${log.logId} of CustomsMSP`,
    );
    // A head of an earlier size, genuinely signed, is refused too.
    const earlierRoot = (await log.rootAt(3)).toString('hex');
    const timestamp = new Date().toISOString();
    const signature = Buffer.from(
      await gw.sign(
        Buffer.from(
          `{"logId":"${log.logId}","rootHash":"${earlierRoot}","timestamp":"${timestamp}","treeSize":3}`,
        ),
      ),
    ).toString('base64');
    expect(
      await outcome(anchor(gw, { ...first, treeSize: 3, rootHash: earlierRoot, timestamp, signature })),
    ).toMatch(`tree size 3 does not exceed the last anchored size 5 of log ${log.logId} of CustomsMSP`);
    expect(ledger.height()).toBe(height);
    expect((await anchors('CustomsMSP')).map((a) => a.treeSize)).toEqual([5]);
  });

  it('refuses a head not signed by the calling identity, or altered after signing', async () => {
    await appendN(log, 3);
    const head = await log.treeHead();
    const other = await ledger.enrolUser('CustomsMSP', 'someone-else', { role: 'officer' });
    expect(await outcome(anchor(other, head))).toMatch('signature does not verify');
    const otherRoot = (await log.rootAt(7)).toString('hex');
    expect(await outcome(anchor(gw, { ...head, rootHash: otherRoot }))).toMatch('signature does not verify');
    expect(await outcome(anchor(gw, { ...head, treeSize: 9 }))).toMatch('signature does not verify');
    expect(await outcome(anchor(gw, { ...head, timestamp: new Date(0).toISOString() }))).toMatch(
      'signature does not verify',
    );
  });

  it('refuses an anchor of a log by any identity but the one that made its first anchor, changing nothing', async () => {
    const height = ledger.height();
    const officer = await ledger.enrolUser('CustomsMSP', 'customs-officer', { role: 'officer' });
    const otherService = await ledger.enrolUser('CustomsMSP', 'other-service', { role: 'service' });
    /** A head genuinely signed by the caller, of a size the gateway's log never reached. */
    const signedBy = async (identity: ClientIdentity, logId = log.logId!, treeSize = 999_999_999_999_999) => {
      const head = { logId, treeSize, rootHash: 'ab'.repeat(32), timestamp: new Date().toISOString() };
      const signature = Buffer.from(await identity.sign(auditTreeHeadMessage(head))).toString('base64');
      return anchorArgs({ ...head, signature });
    };
    const refusal = new RegExp(
      `^log ${log.logId} of CustomsMSP is anchored by x509::.*CN=gw.*: only the identity that made its first anchor may anchor it, not x509::`,
    );
    for (const identity of [officer, otherService]) {
      expect(await outcome(ledger.submit(identity, 'audit:anchor', await signedBy(identity)))).toMatch(
        refusal,
      );
    }
    expect(ledger.height()).toBe(height);
    expect((await anchors('CustomsMSP')).map((a) => [a.treeSize, a.signerId])).toEqual([
      [5, expect.stringMatching(/CN=gw/)],
    ]);

    // The rule is the identity, not the role: a log first anchored by another identity is its.
    const logId = 'c'.repeat(32);
    await ledger.submit(otherService, 'audit:anchor', await signedBy(otherService, logId, 1));
    expect(await outcome(ledger.submit(gw, 'audit:anchor', await signedBy(gw, logId, 2)))).toMatch(
      `log ${logId} of CustomsMSP is anchored by x509::`,
    );
    expect((await anchors('CustomsMSP', logId)).map((a) => a.treeSize)).toEqual([1]);
  });

  it.each([
    ['0', 'treeSize must be a positive integer'],
    ['007', 'treeSize must be a positive integer'],
    ['1e3', 'treeSize must be a positive integer'],
    ['-4', 'treeSize must be a positive integer'],
    ['1234567890123456', 'treeSize must be a positive integer'],
  ])('refuses treeSize %s', async (treeSize, message) => {
    const head = await log.treeHead();
    const call = ledger.submit(gw, 'audit:anchor', {
      arguments: [head.logId, treeSize, head.rootHash, head.timestamp, head.signature],
    });
    expect(await outcome(call)).toMatch(message);
  });

  it('refuses a malformed log id, root, timestamp or signature', async () => {
    const head = await log.treeHead();
    const args = (rootHash: string, timestamp: string, signature: string, logId = head.logId) => ({
      arguments: [logId, String(head.treeSize), rootHash, timestamp, signature],
    });
    const refusal = (a: ReturnType<typeof args>) => outcome(ledger.submit(gw, 'audit:anchor', a));
    for (const logId of ['', 'A'.repeat(32), 'f'.repeat(31), `${'f'.repeat(31)}\u0000`]) {
      expect(await refusal(args(head.rootHash, head.timestamp, head.signature, logId))).toMatch(
        'logId must be 32 lowercase hex characters',
      );
    }
    expect(await refusal(args(head.rootHash.toUpperCase(), head.timestamp, head.signature))).toMatch(
      'rootHash must be',
    );
    expect(await refusal(args(head.rootHash.slice(2), head.timestamp, head.signature))).toMatch(
      'rootHash must be',
    );
    expect(await refusal(args(head.rootHash, '2026-13-45', head.signature))).toMatch('timestamp must be');
    expect(await refusal(args(head.rootHash, 'yesterday', head.signature))).toMatch('timestamp must be');
    expect(await refusal(args(head.rootHash, head.timestamp, 'not base64!'))).toMatch('signature must be');
    expect(await refusal(args(head.rootHash, head.timestamp, ''))).toMatch('signature must be');
    expect(await refusal(args(head.rootHash, head.timestamp, 'A'.repeat(1024)))).toMatch('signature must be');
  });

  it('accepts a larger head, and lists every anchor of a gateway in increasing size', async () => {
    const head = await log.treeHead();
    const submitted = await anchor(gw, head);
    expect(parse<AuditAnchor>(submitted.result).treeSize).toBe(8);
    const list = await anchors('CustomsMSP');
    expect(list.map((a) => [a.treeSize, a.rootHash])).toEqual([
      [5, first.rootHash],
      [8, head.rootHash],
    ]);
    expect((await latest('CustomsMSP'))?.treeSize).toBe(8);
    // Sizes sort numerically (zero-padded keys): 10 after 8.
    await appendN(log, 2);
    await anchor(gw, await log.treeHead());
    expect((await anchors('CustomsMSP')).map((a) => a.treeSize)).toEqual([5, 8, 10]);
  });

  it('pages anchors from the tree size after `after`, and says whether more follow', async () => {
    const sizes = async (page: AnchorPageInput) => {
      const { anchors: listed, next } = await anchorPage('CustomsMSP', page);
      return { sizes: listed.map((a) => a.treeSize), next };
    };
    expect(await sizes({})).toEqual({ sizes: [5, 8, 10], next: null });
    expect(await sizes({ limit: 1 })).toEqual({ sizes: [5], next: 5 });
    expect(await sizes({ after: 5, limit: 1 })).toEqual({ sizes: [8], next: 8 });
    expect(await sizes({ after: 6, limit: 2 })).toEqual({ sizes: [8, 10], next: null });
    expect(await sizes({ after: 9 })).toEqual({ sizes: [10], next: null });
    expect(await sizes({ after: 10 })).toEqual({ sizes: [], next: null });
    // The largest tree size an anchor can have (15 digits), on a log of its own: past it there is
    // nothing, where a start key of 16 digits would sort before its key.
    const largest = 10 ** 15 - 1;
    const head = { logId: randomBytes(16).toString('hex'), treeSize: largest, rootHash: 'ab'.repeat(32) };
    const timestamp = new Date().toISOString();
    const signature = Buffer.from(await gw.sign(auditTreeHeadMessage({ ...head, timestamp }))).toString(
      'base64',
    );
    await anchor(gw, { ...head, timestamp, signature } as TreeHead);
    const edge = async (after: number) =>
      (await anchorPage('CustomsMSP', { after }, head.logId)).anchors.map((a) => a.treeSize);
    expect(await edge(largest - 1)).toEqual([largest]);
    expect(await edge(largest)).toEqual([]);
    expect(await edge(10 ** 15)).toEqual([]);
    expect(await edge(Number.MAX_SAFE_INTEGER)).toEqual([]);
    for (const page of ['{"limit":0}', '{"limit":101}', '{"after":-1}', '{"after":"5"}', '{"from":5}', 'x']) {
      expect(await outcome(anchorPage('CustomsMSP', page)), page).toMatch('invalid anchor page');
    }
  });

  it('keys anchors by the caller’s organisation: each gateway anchors only its own log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-platform-'));
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    try {
      const platformLog = await AuditLog.open(db, signerOf(platformGw), { sync: false });
      await appendN(platformLog, 2);
      const record = parse<AuditAnchor>((await anchor(platformGw, await platformLog.treeHead())).result);
      expect(record).toMatchObject({ gatewayMspId: 'PlatformAMSP', treeSize: 2 });
      expect((await anchors('PlatformAMSP', platformLog.logId)).map((a) => a.treeSize)).toEqual([2]);
      expect(await anchors('PlatformAMSP')).toEqual([]);
      expect((await anchors('CustomsMSP')).map((a) => a.treeSize)).toEqual([5, 8, 10]);
      expect(await anchors('PostMSP')).toEqual([]);
      expect(await latest('PostMSP')).toBeNull();
      expect(
        await outcome(
          ledger.evaluate(gw, 'audit:getAnchors', { arguments: ['Customs MSP; DROP', log.logId!, '{}'] }),
        ),
      ).toMatch('gatewayMspId must be an MSP id');
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keys anchors by log too: a second gateway of the same organisation anchors its own, smaller log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-second-gateway-'));
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    try {
      const second = await AuditLog.open(db, signerOf(gw), { sync: false });
      expect(second.logId).not.toBe(log.logId);
      await appendN(second, 3);
      const head = await second.treeHead();
      expect(parse<AuditAnchor>((await anchor(gw, head)).result)).toMatchObject({
        gatewayMspId: 'CustomsMSP',
        logId: second.logId,
        treeSize: 3,
      });
      expect((await anchors('CustomsMSP', second.logId)).map((a) => a.treeSize)).toEqual([3]);
      expect((await anchors('CustomsMSP')).map((a) => a.treeSize)).toEqual([5, 8, 10]);
      // A head of one log cannot be anchored as another's: the log id is signed.
      expect(await outcome(anchor(gw, { ...head, logId: log.logId!, treeSize: 30 }))).toMatch(
        'signature does not verify',
      );
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('of two anchors endorsed against the same last anchor, only the first commits (MVCC on the head key)', async () => {
    await appendN(log, 1);
    const h11 = await log.treeHead();
    await appendN(log, 1);
    const h12 = await log.treeHead();
    const t1 = await ledger.endorse(gw, 'audit:anchor', anchorArgs(h11));
    const t2 = await ledger.endorse(gw, 'audit:anchor', anchorArgs(h12));
    const c1 = await t1.submit();
    const c2 = await t2.submit();
    const [s1, s2] = await Promise.all([c1.getStatus(), c2.getStatus()]);
    expect(s1.code).toBe(TxValidationCode.VALID);
    expect(s2.code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    expect((await latest('CustomsMSP'))?.treeSize).toBe(11);
    expect((await anchors('CustomsMSP')).map((a) => a.treeSize)).toEqual([5, 8, 10, 11]);
  });
});

describe('AuditAnchorer on the ledger', () => {
  const logger = pino({ level: 'silent' });

  it('anchors the current head, skips when the log has not grown, resumes after a restart', async () => {
    const anchorer = new AuditAnchorer(log, ledger, gw, { everyEntries: 1000, everySeconds: 3600 }, logger);
    await anchorer.start();
    expect(anchorer.status()).toMatchObject({ anchoredSize: 11, mismatch: undefined });
    const record = await anchorer.anchorNow();
    expect(record).toMatchObject({ gatewayMspId: 'CustomsMSP', treeSize: 12 });
    expect(await anchorer.anchorNow()).toBeUndefined();
    await appendN(log, 3);
    expect((await anchorer.anchorNow())?.treeSize).toBe(15);
    await anchorer.stop();

    const restarted = new AuditAnchorer(log, ledger, gw, { everyEntries: 1000, everySeconds: 3600 }, logger);
    await restarted.start();
    expect(restarted.status()).toMatchObject({ anchoredSize: 15, mismatch: undefined, failures: 0 });
    expect(await restarted.anchorNow()).toBeUndefined();
    await restarted.stop();
  });

  it('anchors every N entries on its own', async () => {
    const anchorer = new AuditAnchorer(log, ledger, gw, { everyEntries: 4, everySeconds: 3600 }, logger);
    await anchorer.start();
    await appendN(log, 4);
    await vi.waitFor(async () => expect((await latest('CustomsMSP'))?.treeSize).toBe(19), {
      timeout: 5000,
      interval: 100,
    });
    await anchorer.stop();
  });

  it('reports a local log that no longer matches its last anchor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-rewritten-'));
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.open();
    try {
      // The same log (its id kept), as many entries as anchored, different ones: rewritten in place.
      await keepLogId(db);
      const rewritten = await AuditLog.open(db, signerOf(gw), { sync: false });
      expect(rewritten.logId).toBe(log.logId);
      for (let i = 0; i < 19; i++) await rewritten.append({ ...entry(i), outcome: 403 });
      const error = vi.fn();
      const watched = { ...logger, error, warn: vi.fn(), info: vi.fn() } as unknown as typeof logger;
      const anchorer = new AuditAnchorer(
        rewritten,
        ledger,
        gw,
        { everyEntries: 1000, everySeconds: 3600 },
        watched,
      );
      await anchorer.start();
      expect(anchorer.status().mismatch).toMatch(`do not match the tree head of log ${log.logId} anchored`);
      expect(error).toHaveBeenCalledTimes(1);
      await anchorer.stop();

      // The same log emptied (entries lost, id kept).
      const emptyDb = new Level<string, Uint8Array>(join(dir, '..', `${dir.split('/').pop()}-empty`), {
        keyEncoding: 'utf8',
        valueEncoding: 'view',
      });
      await emptyDb.open();
      try {
        await keepLogId(emptyDb);
        const empty = await AuditLog.open(emptyDb, signerOf(gw), { sync: false });
        const truncated = new AuditAnchorer(empty, ledger, gw, { everyEntries: 1, everySeconds: 1 }, watched);
        await truncated.start();
        expect(truncated.status().mismatch).toMatch('has only 0: it was truncated or replaced');
        expect(await truncated.anchorNow()).toBeUndefined();
        await truncated.stop();
      } finally {
        await emptyDb.close();
        await rm(emptyDb.location, { recursive: true, force: true });
      }
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
