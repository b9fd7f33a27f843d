import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { unauthorized } from './authenticate.js';
import type { Principal } from './principal.js';

export interface ApiKeyRecord {
  readonly user: string;
  readonly mspId: string;
  readonly role: string;
  /** Hex SHA-256 of the key: the key itself is never stored. */
  readonly keyHash: string;
  readonly createdAt: string;
}

const KEY_PREFIX = 'clk_';
/** `clk_` and 32 random bytes in base64url (43 characters). */
const KEY_FORMAT = /^clk_[A-Za-z0-9_-]{43}$/;
const KEY_HASH = /^[0-9a-f]{64}$/;

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * Writes a file so that readers see either the old or the new content: a fresh temporary file in the
 * same directory (created with `mode`, flushed to disk), then renamed over the target.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

function parseRecords(text: string, path: string): ApiKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  if (!Array.isArray(json)) throw new Error(`${path} must hold a JSON array of API key records`);
  return json.map((value: unknown, index) => {
    const record = value as Partial<Record<keyof ApiKeyRecord, unknown>> | null;
    const fields = ['user', 'mspId', 'role', 'keyHash', 'createdAt'] as const;
    if (
      typeof record !== 'object' ||
      record === null ||
      fields.some((field) => typeof record[field] !== 'string' || record[field] === '') ||
      !KEY_HASH.test(record.keyHash as string)
    ) {
      throw new Error(`${path}[${index}] is not a valid API key record`);
    }
    const { user, mspId, role, keyHash, createdAt } = record as ApiKeyRecord;
    return { user, mspId, role, keyHash, createdAt };
  });
}

/**
 * API keys, stored hashed in <dataDir>/gateway/api-keys.json. A presented key is hashed and the hash
 * looked up in a Map: the secret is never compared byte by byte, so the lookup leaks nothing about it.
 */
export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyRecord>();
  /** Saves run one after another; each writes the whole current set. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly network: NetworkConfig,
  ) {}

  static async open(dataDir: string, network: NetworkConfig): Promise<ApiKeyStore> {
    const store = new ApiKeyStore(join(dataDir, 'gateway', 'api-keys.json'), network);
    let text: string | undefined;
    try {
      text = await readFile(store.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      for (const record of parseRecords(text, store.path)) store.byHash.set(record.keyHash, record);
    }
    return store;
  }

  /** Issues a key for a user of an organisation; the plaintext is returned once and never kept. */
  async create(user: string, mspId: string, role: string): Promise<string> {
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.register(key, user, mspId, role);
    return key;
  }

  /**
   * Records the hash of a key issued earlier (e.g. the demo credentials, when the store was deleted but
   * the credentials file kept), so it authenticates again.
   */
  async register(key: string, user: string, mspId: string, role: string): Promise<void> {
    if (!KEY_FORMAT.test(key)) throw new Error('API key must be clk_ followed by 32 bytes in base64url');
    if (user === '' || role === '') throw new Error('API key user and role must be non-empty');
    if (!this.network.organisations.some((o) => o.mspId === mspId)) {
      throw new Error(`unknown organisation ${mspId}: not in the network configuration`);
    }
    const keyHash = hashKey(key);
    if (this.byHash.has(keyHash)) return;
    this.byHash.set(keyHash, { user, mspId, role, keyHash, createdAt: new Date().toISOString() });
    try {
      await this.save();
    } catch (error) {
      // A key that is not on disk must not work until the next restart only.
      this.byHash.delete(keyHash);
      throw error;
    }
  }

  /** The record of a key, or undefined when the key was never issued. */
  find(key: string): ApiKeyRecord | undefined {
    return this.byHash.get(hashKey(key));
  }

  /** The principal for a presented key; rejects with a 401 problem saying why it is refused. */
  authenticate(key: string): Principal {
    if (!key.startsWith(KEY_PREFIX)) {
      throw unauthorized('Bearer token is neither an API key (clk_…) nor a JWT (three dot-separated parts)');
    }
    const record = this.find(key);
    if (!record) throw unauthorized('unknown API key');
    return this.toPrincipal(record);
  }

  /** A record as a principal, with its organisation's role from the network configuration. */
  toPrincipal(record: ApiKeyRecord): Principal {
    const org = this.network.organisations.find((o) => o.mspId === record.mspId);
    if (!org) {
      throw unauthorized(
        `the API key's organisation ${record.mspId} is not part of the network configuration`,
      );
    }
    return {
      user: record.user,
      mspId: record.mspId,
      orgRole: org.role,
      role: record.role,
      authMethod: 'api-key',
    };
  }

  private save(): Promise<void> {
    const write = (): Promise<void> =>
      writeFileAtomic(this.path, JSON.stringify([...this.byHash.values()], null, 2) + '\n');
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
