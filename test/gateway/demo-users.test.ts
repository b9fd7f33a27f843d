import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkConfig, type NetworkConfig } from '../../chaincode/src/domain/collections.js';
import { ApiKeyStore } from '../../gateway/src/auth/api-keys.js';
import { BearerAuthenticator, identify, requireAuthentication } from '../../gateway/src/auth/authenticate.js';
import { ensureDemoUsers, type DemoCredential } from '../../gateway/src/auth/demo-users.js';
import { problemHandler } from '../../gateway/src/http/problem.js';
import { startTestGateway } from '../support/gateway.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const network: NetworkConfig = parseNetworkConfig(
  JSON.parse(await readFile(join(root, 'config/organisations.json'), 'utf8')) as unknown,
);

const EXPECTED = [
  { user: 'platforma-operator', org: 'Platform A Marketplace', mspId: 'PlatformAMSP', role: 'operator' },
  { user: 'platformb-operator', org: 'Platform B Marketplace', mspId: 'PlatformBMSP', role: 'operator' },
  { user: 'payment-operator', org: 'Payment Provider', mspId: 'PaymentMSP', role: 'operator' },
  { user: 'post-operator', org: 'National Post', mspId: 'PostMSP', role: 'operator' },
  { user: 'express-operator', org: 'Express Carrier', mspId: 'ExpressMSP', role: 'operator' },
  { user: 'customs-officer', org: 'Customs Administration', mspId: 'CustomsMSP', role: 'officer' },
  { user: 'customs-service', org: 'Customs Administration', mspId: 'CustomsMSP', role: 'service' },
  { user: 'customs-governance', org: 'Customs Administration', mspId: 'CustomsMSP', role: 'governance' },
  { user: 'auditor', org: 'Audit Office', mspId: 'AuditorMSP', role: 'auditor' },
];

let dataDir: string;
let first: DemoCredential[];

/** Calls a tiny authenticated app over HTTP with each key and returns the principals it saw. */
async function whoAre(store: ApiKeyStore, keys: readonly string[]): Promise<unknown[]> {
  const app = express();
  app.use(identify(new BearerAuthenticator(store)), requireAuthentication);
  app.get('/whoami', (req, res) => {
    res.json(req.principal);
  });
  app.use(problemHandler(pino({ level: 'silent' })));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/whoami`;
  try {
    const principals: unknown[] = [];
    for (const key of keys) {
      const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      principals.push(await res.json());
    }
    return principals;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gateway-demo-users-'));
  first = await ensureDemoUsers({
    dataDir,
    network,
    apiKeys: await ApiKeyStore.open(dataDir, network),
    make: true,
  });
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('demo users', () => {
  it('creates one user per organisation and role on first start', () => {
    expect(first.map(({ apiKey: _apiKey, ...rest }) => rest)).toEqual(EXPECTED);
    for (const c of first) expect(c.apiKey).toMatch(/^clk_[A-Za-z0-9_-]{43}$/);
    expect(new Set(first.map((c) => c.apiKey)).size).toBe(first.length);
  });

  it('writes dev-credentials.json, readable by the owner only', async () => {
    const path = join(dataDir, 'dev-credentials.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(first);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('gives keys that authenticate as their user, with the organisation role', async () => {
    const store = await ApiKeyStore.open(dataDir, network);
    const principals = await whoAre(
      store,
      first.map((c) => c.apiKey),
    );
    expect(principals).toEqual(
      first.map((c) => ({
        user: c.user,
        mspId: c.mspId,
        orgRole: network.organisations.find((o) => o.mspId === c.mspId)?.role,
        role: c.role,
        authMethod: 'api-key',
        apiKeyId: createHash('sha256').update(c.apiKey).digest('hex').slice(0, 16),
      })),
    );
  });

  it('returns the same keys on a later start and issues no new ones', async () => {
    const keysFile = join(dataDir, 'gateway', 'api-keys.json');
    const before = await readFile(keysFile, 'utf8');
    const again = await ensureDemoUsers({
      dataDir,
      network,
      apiKeys: await ApiKeyStore.open(dataDir, network),
      make: true,
    });
    expect(again).toEqual(first);
    expect(await readFile(keysFile, 'utf8')).toBe(before);
    expect(JSON.parse(before)).toHaveLength(EXPECTED.length);
  });

  it('registers the listed keys again when the key store was removed', async () => {
    await unlink(join(dataDir, 'gateway', 'api-keys.json'));
    const store = await ApiKeyStore.open(dataDir, network);
    const again = await ensureDemoUsers({ dataDir, network, apiKeys: store, make: true });
    expect(again).toEqual(first);
    const principals = await whoAre(store, [first[0]!.apiKey]);
    expect(principals[0]).toMatchObject({ user: 'platforma-operator', mspId: 'PlatformAMSP' });
  });

  it('with DEMO_USERS=off, registers none of the listed keys again', async () => {
    await unlink(join(dataDir, 'gateway', 'api-keys.json'));
    const store = await ApiKeyStore.open(dataDir, network);
    expect(await ensureDemoUsers({ dataDir, network, apiKeys: store, make: false })).toEqual(first);
    expect(store.list()).toEqual([]);
  });
});

describe('DEMO_USERS=off', () => {
  it("makes no demo user at a new data directory's first start, nor at any later start", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-no-demo-users-'));
    try {
      const real = await startTestGateway({ DEMO_USERS: 'off' }, dir);
      try {
        expect(real.gateway.credentials).toEqual([]);
        expect(real.has('auditor')).toBe(false);
        expect(await ApiKeyStore.open(dir, network).then((store) => store.list())).toEqual([]);
        expect(JSON.parse(await readFile(join(dir, 'dev-credentials.json'), 'utf8'))).toEqual([]);
      } finally {
        await real.close();
      }
      // The setting left out later: the data directory stays without demo users.
      const later = await startTestGateway({}, dir);
      try {
        expect(later.gateway.credentials).toEqual([]);
        expect(await ApiKeyStore.open(dir, network).then((store) => store.list())).toEqual([]);
      } finally {
        await later.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
