import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { writeFileAtomic } from '../storage/atomic-file.js';
import type { ApiKeyStore } from './api-keys.js';
import { USER_ROLES } from './principal.js';

export interface DemoCredential {
  readonly user: string;
  /** The organisation's name from the network configuration. */
  readonly org: string;
  readonly mspId: string;
  readonly role: string;
  readonly apiKey: string;
}

/** `PlatformAMSP` + `operator` → `platforma-operator`; `AuditorMSP` + `auditor` → `auditor`. */
export function demoUserName(mspId: string, role: string): string {
  const prefix = mspId.replace(/MSP$/, '').toLowerCase();
  return prefix === role ? prefix : `${prefix}-${role}`;
}

const FIELDS = ['user', 'org', 'mspId', 'role', 'apiKey'] as const;

function parseCredentials(text: string, path: string): DemoCredential[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; delete it to create new demo users`);
  }
  if (!Array.isArray(json))
    throw new Error(`${path} must hold a JSON array; delete it to create new demo users`);
  return json.map((value: unknown, index) => {
    const entry = value as Partial<Record<(typeof FIELDS)[number], unknown>> | null;
    if (typeof entry !== 'object' || entry === null || FIELDS.some((f) => typeof entry[f] !== 'string')) {
      throw new Error(`${path}[${index}] is not a demo credential; delete the file to create new demo users`);
    }
    const { user, org, mspId, role, apiKey } = entry as DemoCredential;
    return { user, org, mspId, role, apiKey };
  });
}

/**
 * On first start, one demo user per organisation and role, with an API key each, listed (in plaintext,
 * mode 0600, for local use only) in <dataDir>/dev-credentials.json. Later starts return that file as it
 * is; a listed key the key store no longer knows (its file was removed) is registered again.
 * Their keys never expire: nothing makes new ones for a data directory, so an expiry would leave a
 * demo's ledger without its users; a gateway serving real users revokes them (`npm run keys`).
 *
 * With `make` false (DEMO_USERS=off, for a real deployment) no key is made or registered again, and
 * a first start writes an empty list: the data directory then has no demo users for good, even if a
 * later start leaves the setting out.
 */
export async function ensureDemoUsers(options: {
  dataDir: string;
  network: NetworkConfig;
  apiKeys: ApiKeyStore;
  make: boolean;
}): Promise<DemoCredential[]> {
  const { dataDir, network, apiKeys, make } = options;
  const path = join(dataDir, 'dev-credentials.json');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const existing = parseCredentials(text, path);
    if (!make) return existing;
    for (const c of existing) {
      const known = network.organisations.some((o) => o.mspId === c.mspId);
      if (known && !apiKeys.find(c.apiKey)) await apiKeys.register(c.apiKey, c.user, c.mspId, c.role);
    }
    return existing;
  }

  const credentials: DemoCredential[] = [];
  const users = new Set<string>();
  for (const org of make ? network.organisations : []) {
    for (const role of USER_ROLES[org.role]) {
      const user = demoUserName(org.mspId, role);
      if (users.has(user)) throw new Error(`demo user name ${user} would be used twice (${org.mspId})`);
      users.add(user);
      const apiKey = await apiKeys.create(user, org.mspId, role);
      credentials.push({ user, org: org.name, mspId: org.mspId, role, apiKey });
    }
  }
  await writeFileAtomic(path, JSON.stringify(credentials, null, 2) + '\n', 0o600);
  return credentials;
}
