import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrgProfile, UserFiles } from '../../gateway/src/ledger/fabric/connection-profile.js';
import { profileUserFor } from '../../gateway/src/ledger/fabric/identities.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What these tests use of network/lib/config.mjs (plain JavaScript, without type declarations). */
interface NetworkConfigModule {
  loadConfig(path: string): unknown;
  layout(config: unknown, mode: 'native' | 'docker'): Layout;
  cryptoConfig(net: Layout): { PeerOrgs: { Name: string; Users: { Count: number } }[] };
  gatewayProfile(net: Layout, org: LayoutOrg): { mspId: string; users: Record<string, UserFiles> };
}
interface LayoutOrg {
  readonly mspId: string;
  readonly role: string;
}
interface Layout {
  readonly organisations: readonly LayoutOrg[];
}

let networkConfig: NetworkConfigModule;
let dir: string;

beforeAll(async () => {
  // A computed specifier: the module has no declarations, so it is typed by the interface above.
  const specifier = pathToFileURL(join(REPO, 'network/lib/config.mjs')).href;
  networkConfig = (await import(specifier)) as NetworkConfigModule;
  dir = await mkdtemp(join(tmpdir(), 'network-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The shipped network.config.json with every organisation of config/organisations.json selected. */
async function everyOrganisation(): Promise<Layout> {
  const shipped = JSON.parse(await readFile(join(REPO, 'network/network.config.json'), 'utf8')) as object;
  const organisationsFile = join(REPO, 'config/organisations.json');
  const all = JSON.parse(await readFile(organisationsFile, 'utf8')) as { organisations: { mspId: string }[] };
  const file = join(dir, 'network.config.json');
  await writeFile(
    file,
    JSON.stringify({ ...shipped, organisationsFile, organisations: all.organisations.map((o) => o.mspId) }),
  );
  return networkConfig.layout(networkConfig.loadConfig(file), 'native');
}

describe('network/lib/config.mjs', () => {
  it('gives every organisation a service user of its own, its gateway’s audit signer, that cryptogen creates', async () => {
    const net = await everyOrganisation();
    const crypto = networkConfig.cryptoConfig(net);
    expect(net.organisations.map((o) => o.role)).toEqual(
      expect.arrayContaining(['platform', 'payment', 'post', 'express', 'customs', 'auditor']),
    );
    for (const org of net.organisations) {
      const generated = networkConfig.gatewayProfile(net, org);
      const profile: OrgProfile = {
        ...generated,
        file: `${org.mspId}.json`,
        peerEndpoint: '127.0.0.1:7051',
        hostAlias: 'localhost',
        tlsRootCert: Buffer.alloc(0),
      };
      // What the gateway asks for at start-up (gateway/src/server.ts: the audit signer's identity).
      expect(profileUserFor(profile, 'service'), org.mspId).toBe('service');
      const service = generated.users.service!.certPath;
      const others = Object.entries(generated.users).filter(([role]) => role !== 'service');
      expect(others.map(([, user]) => user.certPath)).not.toContain(service);
      // cryptogen writes User1…User<Count>: the service user must be one of them.
      const count = crypto.PeerOrgs.find((p) => p.Name === org.mspId)!.Users.Count;
      const number = Number(/\/User(\d+)@[^/]+-cert\.pem$/.exec(service)?.[1]);
      expect(number, org.mspId).toBeGreaterThanOrEqual(1);
      expect(number, org.mspId).toBeLessThanOrEqual(count);
    }
  });
});
