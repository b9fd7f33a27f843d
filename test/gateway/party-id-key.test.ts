import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * The key of the party ids (the HMAC of a person's document), generated on a data directory's first
 * start and kept in DATA_DIR/gateway/party-id.key: the ids on the ledger were made with it, so it
 * must be the same after a restart, and a file that does not hold a key (the code before session 25
 * wrote it in place, so a crash during the first start could leave it empty, and the gateway then
 * made party ids with an empty key, which anyone can compute) stops the start instead.
 */

let dataDir: string;
/** The key the first start generated: the party ids on the ledger were made with it. */
let generated: string;
const file = (): string => join(dataDir, 'gateway', 'party-id.key');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'party-id-key-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const register = (t: TestGateway) =>
  t.as('platforma-operator').post<{ partyId: string; version: number }>('/v1/parties', {
    kind: 'buyer',
    verificationLevel: 'verified',
    party: {
      name: 'Ada Kowalska',
      document: { type: 'passport', number: 'PKEY123456', country: 'FR' },
      address: { line1: '1 rue Neuve', city: 'Lyon', postcode: '69002', country: 'FR' },
    },
  });

it('is generated whole on first start, readable by its owner alone, and the same after a restart', async () => {
  let partyId: string;
  const first = await startTestGateway({}, dataDir);
  try {
    const registered = await register(first);
    expect(registered.status, registered.text).toBe(201);
    partyId = registered.body.partyId;
  } finally {
    await first.close();
  }
  const key = await readFile(file(), 'utf8');
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
  generated = key;
  expect((await stat(file())).mode & 0o777).toBe(0o600);
  // The temporary file it is written to, then renamed, is not left behind.
  expect((await readdir(join(dataDir, 'gateway'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);

  const second = await startTestGateway({}, dataDir);
  try {
    // The same document gives the same id: its registration's second version.
    const again = await register(second);
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({ partyId, version: 2 });
  } finally {
    await second.close();
  }
  expect(await readFile(file(), 'utf8')).toBe(key);
});

it('is refused, and left as it is, when its file holds no key', async () => {
  for (const content of ['', 'short\n']) {
    await writeFile(file(), content);
    await expect(startTestGateway({}, dataDir)).rejects.toThrow(
      `${file()} does not hold a party-id key (32 characters or more): restore it from a copy`,
    );
    expect(await readFile(file(), 'utf8')).toBe(content);
  }
});

it('stops the start when the key in force is not the one the party ids were made with, and carries on with it', async () => {
  const key = generated;
  await writeFile(file(), key);
  const other = 'another-party-id-key-of-32-characters-or-more';
  await expect(startTestGateway({ PARTY_ID_KEY: other }, dataDir)).rejects.toThrow(
    `PARTY_ID_KEY is not the key the party ids on the ledger were made with (${file()} holds it): set PARTY_ID_KEY to that key, or unset it`,
  );
  await writeFile(file(), `${other}\n`);
  await expect(startTestGateway({}, dataDir)).rejects.toThrow(
    `${file()} does not hold the key the party ids on the ledger were made with: restore ${file()} from a copy, or set PARTY_ID_KEY to the key it held`,
  );
  await rm(file());
  await expect(startTestGateway({}, dataDir)).rejects.toThrow(
    `${file()} is missing, and the party ids on the ledger were made with its key: restore ${file()} from a copy, or set PARTY_ID_KEY to the key it held`,
  );
  // Refused, it made no key of its own.
  await expect(readFile(file())).rejects.toThrow(/ENOENT/);
  // The same key set in the environment instead of the file is the same key.
  const same = await startTestGateway({ PARTY_ID_KEY: key.trim() }, dataDir);
  await same.close();
  await writeFile(file(), key);
  const restored = await startTestGateway({}, dataDir);
  try {
    const again = await register(restored);
    expect(again.status, again.text).toBe(201);
    expect(again.body.version).toBeGreaterThan(1);
  } finally {
    await restored.close();
  }
});
