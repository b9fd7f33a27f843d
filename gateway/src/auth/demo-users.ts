import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkConfig, OrgRole } from '@customs-ledger/chaincode';
import type { ApiKeyStore } from './api-keys.js';

export interface DemoCredential {
  readonly user: string;
  readonly org: string;
  readonly mspId: string;
  readonly role: string;
  readonly apiKey: string;
}

/** The user roles each kind of organisation has in the demo. */
const DEMO_ROLES: Record<OrgRole, readonly string[]> = {
  platform: ['operator'],
  payment: ['operator'],
  post: ['operator'],
  express: ['operator'],
  customs: ['officer', 'service', 'governance'],
  auditor: ['auditor'],
};

/** `PlatformAMSP` → `platforma`: short, readable user names for the demo. */
const userPrefix = (mspId: string): string => mspId.replace(/MSP$/, '').toLowerCase();

/**
 * On first start, one demo user per organisation and role, their API keys written (only there, in
 * plaintext, mode 0600) to <dataDir>/dev-credentials.json; later starts reuse that file.
 */
export async function ensureDemoUsers(options: {
  dataDir: string;
  network: NetworkConfig;
  apiKeys: ApiKeyStore;
}): Promise<DemoCredential[]> {
  const path = join(options.dataDir, 'dev-credentials.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DemoCredential[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const credentials: DemoCredential[] = [];
  for (const org of options.network.organisations) {
    for (const role of DEMO_ROLES[org.role]) {
      const user = role === 'auditor' ? 'auditor' : `${userPrefix(org.mspId)}-${role}`;
      const apiKey = await options.apiKeys.create(user, org.mspId, role);
      credentials.push({ user, org: org.name, mspId: org.mspId, role, apiKey });
    }
  }
  await writeFile(`${path}.tmp`, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return credentials;
}
