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
 * found, the failure says which field of which record held it (a block is canonical JSON). Looked
 * for as text, and in every base64 string the text holds, decoded (two levels: a block's arguments
 * are base64 of JSON that may hold base64 again). A base64 string in these stores is a whole JSON
 * string, so decoding it finds a value at any byte alignment; looking for a value's own base64
 * instead needs short needles at two of the three alignments, and one matched a tracking number
 * (LX020812343CN) that shares six digits with a seller's tax id (2208123456).
 */
function found(haystack: Uint8Array | string): string[] {
  const text = typeof haystack === 'string' ? haystack : Buffer.from(haystack).toString('utf8');
  const hits: string[] = [];
  for (const readable of [text, ...decodedBase64(text, 2)]) {
    for (const value of personalValues) {
      const at = readable.indexOf(value);
      if (at >= 0)
        hits.push(`${value} in …${readable.slice(Math.max(0, at - 120), at + value.length + 120)}…`);
    }
  }
  return hits;
}

/** The decoded text of each base64 string of 16 characters or more in `text`, `depth` levels down. */
function decodedBase64(text: string, depth: number): string[] {
  if (depth === 0) return [];
  return [...text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)].flatMap(([token]) => {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    return [decoded, ...decodedBase64(decoded, depth - 1)];
  });
}

describe('the scan for personal values', () => {
  it('finds one in base64, at each byte alignment and in base64 within base64, and no shared digits', () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const taxId = SELLERS.find((s) => s.taxId === '2208123456')!.taxId;
    for (const prefix of ['', 'a', 'ab']) {
      const args = JSON.stringify({ args: [b64(`{"x":"${prefix}${taxId}"}`)] });
      expect(found(args), prefix).toHaveLength(1);
      expect(found(JSON.stringify({ payload: b64(args) })), prefix).toHaveLength(1);
    }
    for (const prefix of ['', 'a', 'ab']) {
      expect(found(JSON.stringify({ args: [b64(`{"trackingNumber":"${prefix}LX020812343CN"}`)] }))).toEqual(
        [],
      );
    }
  });
});

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
