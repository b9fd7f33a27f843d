import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { Principal } from './principal.js';

export interface ApiKeyRecord {
  readonly user: string;
  readonly mspId: string;
  readonly role: string;
  /** Hex SHA-256 of the key: the key itself is never stored. */
  readonly keyHash: string;
  readonly createdAt: string;
}

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * API keys, stored hashed in <dataDir>/gateway/api-keys.json. Lookup is by the hash, so comparing
 * a presented key never touches the secret byte by byte.
 */
export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyRecord>();

  private constructor(
    private readonly path: string,
    private readonly network: NetworkConfig,
  ) {}

  static async open(dataDir: string, network: NetworkConfig): Promise<ApiKeyStore> {
    const store = new ApiKeyStore(join(dataDir, 'gateway', 'api-keys.json'), network);
    try {
      const records = JSON.parse(await readFile(store.path, 'utf8')) as ApiKeyRecord[];
      for (const record of records) store.byHash.set(record.keyHash, record);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return store;
  }

  /** Issues a key; the plaintext is returned once and never kept. */
  async create(user: string, mspId: string, role: string): Promise<string> {
    if (!this.network.organisations.some((o) => o.mspId === mspId))
      throw new Error(`unknown organisation ${mspId}`);
    const key = `clk_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      user,
      mspId,
      role,
      keyHash: hashKey(key),
      createdAt: new Date().toISOString(),
    };
    this.byHash.set(record.keyHash, record);
    await this.save();
    return key;
  }

  /** The principal for a key, or undefined when the key is unknown or its organisation left the network. */
  lookup(key: string): Principal | undefined {
    const record = this.byHash.get(hashKey(key));
    if (!record) return undefined;
    const org = this.network.organisations.find((o) => o.mspId === record.mspId);
    if (!org) return undefined;
    return {
      user: record.user,
      mspId: record.mspId,
      orgRole: org.role,
      role: record.role,
      authMethod: 'api-key',
    };
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.tmp`;
    await writeFile(temp, JSON.stringify([...this.byHash.values()], null, 2) + '\n', { mode: 0o600 });
    await rename(temp, this.path);
  }
}
