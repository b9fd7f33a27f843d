/**
 * The gateway as `npm start` runs it (gateway/dist/main.js in a process of its own): a graceful
 * stop anchors the audit log's last entries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { audit } from '../auditor/helpers.js';

let dataDir: string;
let gateway: GatewayProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gateway-process-'));
  // Anchoring on its schedule would be long after this test: only the stop can anchor.
  gateway = await startGatewayProcess(dataDir, { AUDIT_ANCHOR_SECONDS: '3600' });
});
afterAll(async () => {
  await gateway?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the gateway process', () => {
  it('anchors the audit log on a graceful stop (SIGINT), so that it verifies to its last entry', async () => {
    for (const user of ['platforma-operator', 'auditor', 'customs-officer']) {
      const res = await fetch(`${gateway.url}/v1/me`, { headers: gateway.auth(user) });
      expect(res.status).toBe(200);
    }
    process.kill(gateway.pid, 'SIGINT');
    await expect
      .poll(
        () => {
          try {
            process.kill(gateway.pid, 0);
            return 'running';
          } catch {
            return 'stopped';
          }
        },
        { timeout: 30_000 },
      )
      .toBe('stopped');
    const run = await audit(['verify-audit-log', '--data-dir', dataDir, '--json']);
    expect(run.code, run.stdout).toBe(0);
    const report = run.json<{
      logSize: number;
      unanchoredEntries: number;
      anchors: { treeSize: number }[];
    }>();
    expect(report.logSize).toBe(3);
    expect(report.anchors.map((a) => a.treeSize)).toEqual([3]);
    expect(report.unanchoredEntries).toBe(0);
  });
});
