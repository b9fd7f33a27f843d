import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';
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
    `PARTY_ID_KEY is not the key the party ids on the ledger were made with, which ${file()} holds: unset it, or set it to that key`,
  );
  await writeFile(file(), `${other}\n`);
  await expect(startTestGateway({}, dataDir)).rejects.toThrow(
    `${file()} does not hold the key the party ids on the ledger were made with (the one ${file()} held): restore it from a copy, or set PARTY_ID_KEY to that key`,
  );
  await rm(file());
  await expect(startTestGateway({}, dataDir)).rejects.toThrow(
    `${file()} is missing, and the party ids on the ledger were made with the key it held: restore it from a copy, or set PARTY_ID_KEY to that key`,
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

it('makes no key of its own for a data directory whose key came from PARTY_ID_KEY, or that served requests before its first was kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'party-id-key-env-'));
  const key = 'a-party-id-key-from-the-environment-only';
  try {
    const first = await startTestGateway({ PARTY_ID_KEY: key }, dir);
    expect((await register(first)).status).toBe(201);
    await first.close();
    const keyFile = join(dir, 'gateway', 'party-id.key');
    await expect(startTestGateway({}, dir)).rejects.toThrow(
      'PARTY_ID_KEY is not set, and the party ids on the ledger were made with the key it held: set it again',
    );
    // A data directory from before the key in force was kept (session 28): only its served requests show it.
    const store = await openGatewayStore(gatewayStorePath(dir));
    await store.sublevel('party-id-key').clear();
    await store.close();
    await expect(startTestGateway({}, dir)).rejects.toThrow(
      `${keyFile} is missing, and the party ids on the ledger were made with a key (this data directory has served requests): restore it from a copy, or set PARTY_ID_KEY to that key`,
    );
    await expect(readFile(keyFile)).rejects.toThrow(/ENOENT/);
    const again = await startTestGateway({ PARTY_ID_KEY: key }, dir);
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
