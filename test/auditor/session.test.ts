/**
 * The auditor's session of the README, against a real gateway over real HTTP: trace a consignment,
 * list who read its personal data, verify a disclosure (and see a changed one refused), then stop
 * the gateway and verify the chain and the audit log with the installed `customs-audit` bin.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { audit, consignmentReadByCustoms, PLATFORM, root, type Consignment } from './helpers.js';

const run = promisify(execFile);

let t: TestGateway;
let consignment: Consignment;
/** The options every online command gets: this gateway, and its data dir for the auditor's demo key. */
let online: string[];
let disclosureFile: string;

beforeAll(async () => {
  t = await startTestGateway();
  online = ['--gateway', t.gateway.url, '--data-dir', t.dataDir];
  consignment = await consignmentReadByCustoms(t, `TRACE-${randomBytes(3).toString('hex').toUpperCase()}`);
  const made = await t.as(PLATFORM).post(`/v1/consignments/${consignment.id}/disclosures`, {
    record: 'order',
    fields: ['/lines/0/hsCode', '/goodsValue'],
    purpose: 'dispute_resolution',
  });
  expect(made.status, made.text).toBe(201);
  disclosureFile = join(t.dataDir, 'disclosure.json');
  await writeFile(disclosureFile, made.text);
});

afterAll(async () => {
  await t?.close();
});

describe('an auditor following the README', () => {
  it('traces a consignment: records, and each personal-data read with its purpose and transaction', async () => {
    const trace = await audit(['trace', consignment.id, ...online]);
    expect(trace.code, trace.stderr).toBe(0);
    expect(trace.stdout).toContain(`Consignment ${consignment.id}: CN → FR, status created`);
    expect(trace.stdout).toMatch(/block \d+\s+\S+\s+created\s+PlatformAMSP \(platform\)/);
    expect(trace.stdout).toMatch(
      /order_submitted\s+PlatformAMSP \(platform\)\s+tx [0-9a-f]{12}…\s+version 1, root/,
    );
    expect(trace.stdout).toMatch(
      new RegExp(
        `personal_data_read\\s+CustomsMSP \\(customs\\)\\s+tx ${consignment.readTxId.slice(0, 12)}…\\s+order record read for risk_assessment by customs-officer`,
      ),
    );
    expect(trace.stdout).toMatch(
      /personal_data_read\s+PlatformAMSP \(platform\)\s+tx [0-9a-f]{12}…\s+order record: 2 field\(s\) disclosed for dispute_resolution by platforma-operator/,
    );
    const json = (await audit(['trace', consignment.id, ...online, '--json'])).json<{
      entries: { type: string }[];
    }>();
    expect(json.entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(['created', 'order_submitted', 'personal_data_read']),
    );

    // The running gateway holds its store's lock: the auditor checks the blocks of a copy.
    const copy = join(t.dataDir, 'copy');
    await cp(join(t.dataDir, 'ledger'), join(copy, 'ledger'), { recursive: true });
    const checked = await audit(['trace', consignment.id, ...online, '--check-blocks', copy]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(
      /VERIFIED: each of the \d+ entries is a valid transaction in the blocks of /,
    );
  });

  it('lists who read the consignment’s personal data and why', async () => {
    const reads = await audit(['reads', 'consignment', consignment.id, ...online, '--json']);
    expect(reads.code, reads.stderr).toBe(0);
    const { entries } = reads.json<{
      entries: { mspId: string; user: string; purpose: string; txId: string }[];
    }>();
    expect(entries).toEqual([
      expect.objectContaining({
        mspId: 'CustomsMSP',
        user: expect.stringMatching(/^customs-officer/),
        purpose: 'risk_assessment',
        txId: consignment.readTxId,
      }),
      // Building a disclosure package is itself a recorded read, with the fields it revealed.
      expect.objectContaining({
        mspId: 'PlatformAMSP',
        purpose: 'dispute_resolution',
        fields: ['/goodsValue', '/lines/0/hsCode'],
      }),
    ]);
    const text = await audit(['reads', 'consignment', consignment.id, ...online]);
    expect(text.stdout).toContain('By purpose: risk_assessment 1, dispute_resolution 1.');
    // A disclosure names what it revealed.
    expect(text.stdout).toContain('order record, disclosed /goodsValue /lines/0/hsCode');

    const none = await audit(['reads', 'party', 'c'.repeat(64), ...online]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('0 reads');
  });

  it('verifies a disclosure package against the ledger, and refuses a changed value', async () => {
    const ok = await audit(['verify-disclosure', disclosureFile, ...online]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(
      `VERIFIED: 2 disclosed fields of the order record of consignment ${consignment.id} match the commitment on the ledger.`,
    );
    expect(ok.stdout).toContain('/lines/0/hsCode = "610910"');

    const tampered = join(t.dataDir, 'tampered.json');
    const original = await readFile(disclosureFile, 'utf8');
    await writeFile(tampered, original.replace('"value":40', '"value":4'));
    const bad = await audit(['verify-disclosure', tampered, ...online]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^NOT VERIFIED: .*field \/goodsValue: value, salt or path does not match/);

    const elsewhere = join(t.dataDir, 'elsewhere.json');
    await writeFile(elsewhere, original.replaceAll(consignment.id, 'NO-SUCH-CONSIGNMENT'));
    const missing = await audit(['verify-disclosure', elsewhere, ...online, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ verified: false, code: 'refused' });
  });

  it('refuses a package whose transaction or block claim is malformed, rather than drop the claim', async () => {
    const original = JSON.parse(await readFile(disclosureFile, 'utf8')) as Record<string, unknown>;
    expect(typeof original.block).toBe('number');
    const claims: [Record<string, unknown>, string][] = [
      [
        { block: `${String(original.block)}x` },
        `its block "${String(original.block)}x" is not a block number`,
      ],
      [{ block: -1 }, 'its block -1 is not a block number'],
      [{ txId: 5 }, 'its txId 5 is not a transaction id'],
      [{ txId: 'not-a-tx' }, 'its txId "not-a-tx" is not a transaction id'],
    ];
    for (const [claim, reason] of claims) {
      const file = join(t.dataDir, 'malformed.json');
      await writeFile(file, JSON.stringify({ ...original, ...claim }));
      const run = await audit(['verify-disclosure', file, ...online, '--json']);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.json()).toMatchObject({ verified: false, code: 'malformed' });
      const text = await audit(['verify-disclosure', file, ...online]);
      expect(text.stdout).toMatch(new RegExp(`^NOT VERIFIED: .*: ${reason.replace(/[()]/g, '\\$&')}`));
    }
    // A block the maker did not know (null) is no claim: the package verifies on its transaction.
    const unknownBlock = join(t.dataDir, 'unknown-block.json');
    await writeFile(unknownBlock, JSON.stringify({ ...original, block: null }));
    const run = await audit(['verify-disclosure', unknownBlock, ...online]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('keeps verdicts apart from usage errors and unreachable gateways', async () => {
    expect((await audit(['reads', 'vessel', 'X', ...online])).code).toBe(2);
    expect((await audit(['verify-disclosure', join(t.dataDir, 'nope.json'), ...online])).code).toBe(2);
    const nope = await audit(['trace', 'NOPE', ...online]);
    expect(nope.code, nope.stdout + nope.stderr).toBe(2);
    expect(nope.stderr).toMatch(
      /^customs-audit: error: no such consignment: NOPE \(the gateway answered 404: /,
    );
    const noKey = ['--gateway', t.gateway.url, '--data-dir', join(t.dataDir, 'no-credentials-here')];
    expect((await audit(['trace', consignment.id, ...noKey])).code).toBe(2);
    const down = await audit(['trace', consignment.id, ...online, '--gateway', 'http://127.0.0.1:9']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach the gateway/);
    const wrongKey = await audit(['trace', consignment.id, ...online, '--api-key', 'not-a-key']);
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/answered 401/);
  });

  it('stops the gateway and verifies the chain and the audit log with the customs-audit bin', async () => {
    await t.gateway.close();
    const bin = join(root, 'auditor', 'bin', 'customs-audit.mjs');
    const env = { ...process.env, DATA_DIR: t.dataDir };
    // Two real processes, side by side: the bin works, and a usage error exits 2.
    const [chain, usage] = await Promise.all([
      run(process.execPath, [bin, 'verify-chain'], { cwd: root, env }),
      run(process.execPath, [bin, 'verify-chain', '--no-such-option'], { cwd: root, env }).catch(
        (error: { code: number; stderr: string }) => error,
      ),
    ]);
    expect(chain.stdout).toMatch(/^VERIFIED: the block chain .* is intact from genesis/);
    expect(usage).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown option '--no-such-option'"),
    });
    const log = await audit(['verify-audit-log', '--json'], { DATA_DIR: t.dataDir });
    expect(log.code, log.stdout).toBe(0);
    expect(log.json()).toMatchObject({ ok: true, badEntries: 0 });
  });
});
