import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../gateway/src/audit/audit-log.js';
import { auditEntry } from '../support/audit-entry.js';
import { AuditAnchorer, type AnchorRecord } from '../../gateway/src/audit/anchor.js';
import type { ClientIdentity, LedgerPort, ProposalOptions } from '../../gateway/src/ledger/port.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const identity: ClientIdentity = {
  mspId: 'CustomsMSP',
  certificate: 'test certificate',
  sign: async (message) => sign('sha256', message, privateKey),
};

const entry = (i: number) =>
  auditEntry(`req-${i}`, {
    time: '2026-01-01T00:00:00.000Z',
    user: 'u',
    mspId: 'CustomsMSP',
    role: 'officer',
    route: '/v1/x',
  });

/** A ledger holding the audit contract's state for one gateway, with switchable failures. */
class FakeLedger {
  anchors: AnchorRecord[] = [];
  failSubmit = 0;
  failEvaluate = 0;
  hold: Promise<void> | undefined;
  readonly submit = vi.fn(async (_id: ClientIdentity, fn: string, options?: ProposalOptions) => {
    expect(fn).toBe('audit:anchor');
    await this.hold;
    if (this.failSubmit > 0) {
      this.failSubmit -= 1;
      throw new Error('14 UNAVAILABLE: no peer');
    }
    const [logId, treeSize, rootHash, timestamp, signature] = options!.arguments as string[];
    expect(logId).toMatch(/^[0-9a-f]{32}$/);
    const last = this.anchors.at(-1);
    if (last && Number(treeSize) <= last.treeSize) throw new Error(`tree size ${treeSize} does not exceed`);
    const record: AnchorRecord = {
      gatewayMspId: 'CustomsMSP',
      logId: logId!,
      treeSize: Number(treeSize),
      rootHash: rootHash!,
      timestamp: timestamp!,
      signature: signature!,
      signerId: 'x509::CN=gw::CN=ca',
      txId: `tx-${this.anchors.length}`,
      anchoredAt: new Date().toISOString(),
    };
    this.anchors.push(record);
    return { result: Buffer.from(JSON.stringify(record)), transactionId: record.txId, blockNumber: 1n };
  });
  readonly evaluate = vi.fn(async (_id: ClientIdentity, fn: string, options?: ProposalOptions) => {
    expect(fn).toBe('audit:latestAnchor');
    expect(options?.arguments).toEqual(['CustomsMSP', expect.stringMatching(/^[0-9a-f]{32}$/)]);
    if (this.failEvaluate > 0) {
      this.failEvaluate -= 1;
      throw new Error('14 UNAVAILABLE: no peer');
    }
    return Buffer.from(JSON.stringify(this.anchors.at(-1) ?? null));
  });
  asPort(): LedgerPort {
    return this as unknown as LedgerPort;
  }
}

let dir: string;
let db: GatewayStore;
let log: AuditLog;
let ledger: FakeLedger;
let logger: {
  info: ReturnType<typeof vi.fn>;
  warn: ReturnType<typeof vi.fn>;
  error: ReturnType<typeof vi.fn>;
};
let anchorer: AuditAnchorer;
let dbCount = 0;

const append = async (n: number) => {
  for (let i = 0; i < n; i++) await log.append(entry(log.size()));
};
const newAnchorer = (everyEntries: number, everySeconds: number) =>
  new AuditAnchorer(
    log,
    ledger.asPort(),
    identity,
    { everyEntries, everySeconds },
    logger as unknown as Logger,
  );
/** Lets the timer run for `ms` of fake time, with real I/O (LevelDB) settling in between. */
async function elapse(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    await vi.advanceTimersByTimeAsync(250);
    await new Promise((resolve) => setImmediate(resolve));
    await log.drain();
  }
  await new Promise((resolve) => setImmediate(resolve));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-anchor-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  db = await openGatewayStore(join(dir, `store-${dbCount++}`));
  log = await AuditLog.open(db, identity, { sync: false });
  ledger = new FakeLedger();
  logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
});
afterEach(async () => {
  await anchorer?.stop();
  vi.useRealTimers();
  await db.close();
});

describe('AuditAnchorer', () => {
  it('anchors every N entries, and not while the log has not grown', async () => {
    anchorer = newAnchorer(3, 3600);
    await anchorer.start();
    expect(anchorer.status().anchoredSize).toBe(0);
    await elapse(5000);
    expect(ledger.submit).not.toHaveBeenCalled();
    await append(2);
    await elapse(2000);
    expect(ledger.submit).not.toHaveBeenCalled();
    await append(1);
    await elapse(1000);
    await vi.waitFor(() => expect(ledger.anchors.map((a) => a.treeSize)).toEqual([3]));
    const head = ledger.submit.mock.calls[0]![2]!.arguments!;
    expect(head).toEqual([
      log.logId,
      '3',
      (await log.rootAt(3)).toString('hex'),
      expect.any(String),
      expect.any(String),
    ]);
    await elapse(10_000);
    expect(ledger.submit).toHaveBeenCalledTimes(1);
  });

  it('anchors every T seconds when the log grew by fewer than N entries', async () => {
    anchorer = newAnchorer(1000, 30);
    await anchorer.start();
    await append(1);
    await elapse(20_000);
    expect(ledger.submit).not.toHaveBeenCalled();
    await elapse(11_000);
    await vi.waitFor(() => expect(ledger.anchors.map((a) => a.treeSize)).toEqual([1]));
    await elapse(60_000);
    expect(ledger.submit).toHaveBeenCalledTimes(1);
    await append(2);
    await elapse(31_000);
    await vi.waitFor(() => expect(ledger.anchors.map((a) => a.treeSize)).toEqual([1, 3]));
  });

  it('logs a ledger failure and retries at a later tick, re-reading the last anchor', async () => {
    anchorer = newAnchorer(2, 3600);
    await anchorer.start();
    ledger.failSubmit = 2;
    await append(2);
    await elapse(1000);
    await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(1));
    expect(anchorer.status().failures).toBe(1);
    await elapse(1000);
    await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(2));
    await elapse(2000);
    await vi.waitFor(() => expect(ledger.anchors.map((a) => a.treeSize)).toEqual([2]));
    expect(anchorer.status()).toMatchObject({ failures: 0, anchoredSize: 2 });
    // Each retry first re-read the ledger's last anchor.
    expect(ledger.evaluate.mock.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('starts even when the ledger cannot be read, and catches up later', async () => {
    ledger.failEvaluate = 1;
    await append(4);
    anchorer = newAnchorer(4, 3600);
    await anchorer.start();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(anchorer.status().anchoredSize).toBeUndefined();
    await elapse(1000);
    await vi.waitFor(() => expect(ledger.anchors.map((a) => a.treeSize)).toEqual([4]));
  });

  it('resumes after the last anchor on the ledger and checks the log against it', async () => {
    await append(5);
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    await anchorer.anchorNow();
    await anchorer.stop();
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    expect(anchorer.status()).toMatchObject({ anchoredSize: 5, mismatch: undefined });
    expect(await anchorer.anchorNow()).toBeUndefined();
    expect(ledger.submit).toHaveBeenCalledTimes(1);
    ledger.anchors[0] = { ...ledger.anchors[0]!, rootHash: 'ab'.repeat(32) };
    await anchorer.stop();
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    expect(anchorer.status().mismatch).toMatch('the log was rewritten');
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('reports no mismatch before it could read the anchor, and anchors nothing once the log mismatches it', async () => {
    await append(3);
    ledger.anchors.push({
      gatewayMspId: 'CustomsMSP',
      logId: log.logId!,
      treeSize: 5,
      rootHash: 'ab'.repeat(32),
      timestamp: '2026-01-01T00:00:00.000Z',
      signature: 'c2ln',
      signerId: 'x509::CN=gw::CN=ca',
      txId: 'tx-lost',
      anchoredAt: '2026-01-01T00:00:01.000Z',
    });
    ledger.failEvaluate = 1;
    anchorer = newAnchorer(1, 3600);
    await anchorer.start();
    // The ledger could not be read: unknown, not a mismatch.
    expect(anchorer.status()).toMatchObject({ anchoredSize: undefined, mismatch: undefined });
    await elapse(1000);
    await vi.waitFor(() => expect(anchorer.status().mismatch).toMatch('has only 3'));
    // Grown past the anchored size, it still contradicts the anchor: no head of it is anchored.
    await append(4);
    await elapse(3000);
    expect(await anchorer.anchorNow()).toBeUndefined();
    await anchorer.stopAndAnchor(1000);
    expect(ledger.submit).not.toHaveBeenCalled();
    expect(anchorer.status().mismatch).toMatch('has only 3');
  });

  it('stop() clears the timer and waits for the anchor in flight; anchorNow never rejects', async () => {
    anchorer = newAnchorer(1, 3600);
    await anchorer.start();
    let release!: () => void;
    ledger.hold = new Promise<void>((resolve) => (release = resolve));
    await append(1);
    const pending = anchorer.anchorNow();
    let stopped = false;
    const stopping = anchorer.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await pending).toMatchObject({ treeSize: 1 });
    ledger.hold = undefined;
    await append(5);
    await elapse(5000);
    expect(ledger.submit).toHaveBeenCalledTimes(1);
    ledger.failSubmit = 1;
    await expect(anchorer.anchorNow()).resolves.toBeUndefined();
  });

  it('stopAndAnchor() anchors what was appended since the last anchor, before the schedule would', async () => {
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    await append(3);
    await anchorer.stopAndAnchor(5000);
    expect(ledger.anchors.map((a) => a.treeSize)).toEqual([3]);
    // Nothing new: no second anchor.
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    await anchorer.stopAndAnchor(5000);
    expect(ledger.submit).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenLastCalledWith(
      { treeSize: 3 },
      'no audit entries since the last anchor: nothing to anchor on stopping',
    );
  });

  it('stopAndAnchor() gives up after its timeout when the ledger does not answer, and says so', async () => {
    anchorer = newAnchorer(1000, 3600);
    await anchorer.start();
    await append(2);
    let release!: () => void;
    ledger.hold = new Promise<void>((resolve) => (release = resolve));
    const started = performance.now();
    await anchorer.stopAndAnchor(200);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(ledger.anchors).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(
      { treeSize: 2, anchoredSize: 0, timeoutMs: 200 },
      expect.stringContaining('anchored after the next start'),
    );
    release();
  });
});
