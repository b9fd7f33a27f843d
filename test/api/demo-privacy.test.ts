import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUYERS, SELLERS } from '../../scripts/lib/demo-data.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';

const run = promisify(execFile);
const personalValues = [
  ...BUYERS.flatMap((b) => [b.name, b.line1, b.phone, b.document.number]),
  ...SELLERS.map((s) => s.taxId),
];
let dataDir: string;
let logs: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'demo-privacy-'));
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo.ts', '--consignments', '40'],
    {
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', GATEWAY_URL: 'http://127.0.0.1:9' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  logs = stdout + stderr;
}, 120_000);
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * The personal values found in a key or value, each with the text around it: should one ever be
 * found, the failure says which field of which record held it (a block is canonical JSON).
 */
function found(haystack: Uint8Array | string): string[] {
  const text = typeof haystack === 'string' ? haystack : Buffer.from(haystack).toString('utf8');
  const hits: string[] = [];
  for (const value of personalValues) {
    for (const needle of [value, ...inBase64(value)]) {
      const at = text.indexOf(needle);
      if (at >= 0) hits.push(`${value} in …${text.slice(Math.max(0, at - 120), at + needle.length + 120)}…`);
    }
  }
  return hits;
}

/**
 * How a value reads inside a longer base64 string, at each of the three byte alignments it can have
 * there: the base64 of its whole 3-byte groups from that alignment on, which the bytes around it do
 * not change. Needles shorter than 8 characters (48 bits) are left out: megabytes of signatures and
 * hashes in base64 would hold them by chance.
 */
function inBase64(value: string): string[] {
  const bytes = Buffer.from(value);
  return [0, 1, 2]
    .map((skip) => {
      const groups = Math.floor((bytes.length - skip) / 3) * 3;
      return bytes.subarray(skip, skip + groups).toString('base64');
    })
    .filter((needle) => needle.length >= 8);
}

describe('after the demo', () => {
  it('ran without errors and logged requests', () => {
    expect(logs).toMatch(/errors\s*│\s*0/);
    expect(logs).toContain('"msg":"request completed"');
  });

  it('no personal value appears in the logs', () => {
    expect(found(logs)).toEqual([]);
  });

  it('no personal value appears in public state, blocks, history or the gateway store; the private store has them', async () => {
    const ledger = new Level<string, Uint8Array>(join(dataDir, 'ledger'), {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    await ledger.open();
    try {
      for (const name of ['state', 'history', 'blocks', 'meta', 'pvthash', 'txids']) {
        const sub = ledger.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
        for await (const [key, value] of sub.iterator()) {
          expect(found(key), `${name} key`).toEqual([]);
          expect(found(value), `${name}/${key.slice(0, 40)}`).toEqual([]);
        }
      }
      const privateData = ledger.sublevel<string, Uint8Array>('pvt', {
        keyEncoding: 'utf8',
        valueEncoding: 'view',
      });
      let privateHits = 0;
      for await (const value of privateData.values()) privateHits += found(value).length;
      expect(privateHits).toBeGreaterThan(0);
    } finally {
      await ledger.close();
    }
    const gateway = await openGatewayStore(gatewayStorePath(dataDir));
    try {
      // The audit log and the stored first responses of idempotent writes.
      let entries = 0;
      for await (const [key, value] of gateway.iterator()) {
        expect(found(key)).toEqual([]);
        expect(found(value), key.slice(0, 60)).toEqual([]);
        entries++;
      }
      expect(entries).toBeGreaterThan(100);
    } finally {
      await gateway.close();
    }
  });
});
