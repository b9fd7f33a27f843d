import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../gateway/src/audit/audit-log.js';
import { abandonedAuditLogPath } from '../../gateway/src/audit/new-log.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { auditEntry } from '../support/audit-entry.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * A real gateway over real HTTP on a real data directory whose audit log (DATA_DIR/gateway/store)
 * is swapped on disk between runs: for an older copy, which lacks entries the ledger holds an
 * anchor of, and for a log of the same id whose entries differ at the anchored size. It must serve
 * nothing, record nothing, and say so on /readyz and /metrics, until its operator sets the log
 * aside for a new one by naming it (AUDIT_LOG_ABANDON) or restores the log holding the anchored
 * entries.
 */

// Anchored only on a graceful stop: the test knows which sizes the ledger holds.
const SETTINGS = { AUDIT_ANCHOR_EVERY: '100000', AUDIT_ANCHOR_SECONDS: '86400' };

let dir: string;
let dataDir: string;
const store = () => gatewayStorePath(dataDir);
const copyOf = (name: string) => join(dir, name);

/** Swaps the audit log (the gateway store directory) for a kept copy. */
async function restore(name: string): Promise<void> {
  await rm(store(), { recursive: true, force: true });
  await cp(copyOf(name), store(), { recursive: true });
}

/** The log in the stopped gateway's store: its id and size. */
async function logOnDisk(at = store()): Promise<{ logId: string | undefined; size: number }> {
  const db = await openGatewayStore(at, { createIfMissing: false });
  try {
    const log = await AuditLog.open(
      db,
      { mspId: 'CustomsMSP', certificate: '', sign: never },
      { readOnly: true },
    );
    return { logId: log.logId, size: log.size() };
  } finally {
    await db.close();
  }
}
const never = (): never => {
  throw new Error('nothing is signed here');
};

/** Starts the gateway on the data directory, makes `requests` requests, and stops it (anchoring). */
async function run(requests: number, env: Record<string, string> = {}): Promise<void> {
  const t = await startTestGateway({ ...SETTINGS, ...env }, dataDir);
  try {
    for (let i = 0; i < requests; i++) expect((await t.as('auditor').get('/v1/me')).status).toBe(200);
  } finally {
    await t.close();
  }
}

/** The gateway on a log that does not match its anchor: what it answers, and that it records nothing. */
async function expectRefusing(reason: RegExp, env: Record<string, string> = {}): Promise<void> {
  const before = await logOnDisk();
  const t: TestGateway = await startTestGateway({ ...SETTINGS, ...env }, dataDir);
  try {
    const ready = await fetch(`${t.gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    const readiness = (await ready.json()) as { status: string; detail: string };
    expect(readiness.status).toBe('audit log mismatch');
    expect(readiness.detail).toMatch(reason);
    expect(readiness.detail).toContain('restores the audit log that holds the anchored entries');

    for (const [user, path] of [
      ['auditor', '/v1/me'],
      ['auditor', '/v1/audit/tree-head'],
      ['platforma-operator', '/v1/consignments/C-1'],
    ] as const) {
      const res = await t.as(user).get(path);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(res.body.detail).toMatch(/^the gateway's audit log does not match its anchor on the ledger: /);
      expect(res.body.detail).toMatch(reason);
    }
    const write = await t.as('platforma-operator').post('/v1/consignments', { consignmentId: 'C-1' });
    expect(write.status).toBe(503);
    // Refused before authentication too: a request without credentials is not recorded either.
    expect((await fetch(`${t.gateway.url}/v1/me`)).status).toBe(503);
    expect(await t.metrics()).toMatch(/^audit_log_anchor_mismatch 1$/m);
  } finally {
    await t.close();
  }
  // Nothing appended, and no anchor of it made on stopping.
  expect(await logOnDisk()).toEqual(before);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-mismatch-'));
  dataDir = join(dir, 'data');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a gateway whose audit log does not match its last anchor on the ledger', () => {
  it('serves nothing and appends nothing until the log holding the anchored entries is restored, or the log is set aside by name', async () => {
    await run(3);
    await cp(store(), copyOf('older'), { recursive: true });
    const older = await logOnDisk();
    await run(4);
    await cp(store(), copyOf('current'), { recursive: true });
    const current = await logOnDisk();
    expect(current.logId).toBe(older.logId);
    expect(current.size).toBeGreaterThan(older.size);

    // An older copy of the log: the entries anchored since are gone.
    await restore('older');
    await expectRefusing(
      new RegExp(
        `the ledger holds an anchor of ${current.size} entries .* but the audit log has only ${older.size}`,
      ),
    );

    // The same log id with other entries at the anchored size: a rewritten log.
    const db = await openGatewayStore(store());
    try {
      const log = await AuditLog.open(db, { mspId: 'CustomsMSP', certificate: '', sign: never });
      while (log.size() < current.size) {
        await log.append(auditEntry(`forged-${log.size()}`));
      }
    } finally {
      await db.close();
    }
    const rewritten = new RegExp(
      `the audit log's first ${current.size} entries do not match the tree head of log ${current.logId}`,
    );
    await expectRefusing(rewritten);
    // Setting it aside for a new log takes the operator naming this very log.
    await expectRefusing(rewritten, { AUDIT_LOG_ABANDON: 'f'.repeat(32) });

    // Named: the log is copied aside whole and a new, empty log with a new id takes its place.
    const renewed = await startTestGateway({ ...SETTINGS, AUDIT_LOG_ABANDON: current.logId! }, dataDir);
    try {
      expect((await fetch(`${renewed.gateway.url}/readyz`)).status).toBe(200);
      const head = await renewed.as('auditor').get('/v1/audit/tree-head');
      expect(head.status).toBe(200);
      expect(head.body.logId).not.toBe(current.logId);
    } finally {
      await renewed.close();
    }
    expect(await logOnDisk(abandonedAuditLogPath(dataDir, current.logId!))).toEqual(current);
    const fresh = await logOnDisk();
    expect(fresh.logId).not.toBe(current.logId);
    expect(fresh.size).toBe(1);
    // Left set, the setting does nothing more: the new log is served and recorded as any.
    await run(1, { AUDIT_LOG_ABANDON: current.logId! });
    expect(await logOnDisk()).toEqual({ logId: fresh.logId, size: 2 });

    // The log that holds the anchored entries, restored: ready, serving and recording again.
    await restore('current');
    const t = await startTestGateway(SETTINGS, dataDir);
    try {
      expect((await fetch(`${t.gateway.url}/readyz`)).status).toBe(200);
      expect((await t.as('auditor').get('/v1/me')).status).toBe(200);
      expect(await t.metrics()).toMatch(/^audit_log_anchor_mismatch 0$/m);
    } finally {
      await t.close();
    }
    expect(await logOnDisk()).toEqual({ logId: current.logId, size: current.size + 1 });
  }, 120_000);
});
