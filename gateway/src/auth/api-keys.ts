import { createHash, randomBytes } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { lock } from 'proper-lockfile';
import { z } from 'zod';
import { unauthorized } from './authenticate.js';
import { AUDIT_SIGNER, USER_NAME, USER_ROLES, type Principal } from './principal.js';
import { writeFileAtomic } from '../storage/atomic-file.js';

export interface ApiKeyRecord {
  readonly user: string;
  readonly mspId: string;
  readonly role: string;
  /** Hex SHA-256 of the key: the key itself is never stored. */
  readonly keyHash: string;
  readonly createdAt: string;
  /**
   * When the key stops being accepted. Absent on keys that never expire: those issued before keys
   * had an expiry, and the demo users' (see ensureDemoUsers).
   */
  readonly expiresAt?: string;
  /**
   * When the key was revoked. The record stays: a key issued earlier and presented for registration
   * again (the demo credentials, at every start) must not come back to life.
   */
  readonly revokedAt?: string;
}

/** A key's public name, for listing and revoking it: the start of its hash, which tells nothing of the key. */
export function keyIdOf(record: Pick<ApiKeyRecord, 'keyHash'>): string {
  return record.keyHash.slice(0, 16);
}

function selects(selector: KeySelector, r: ApiKeyRecord): boolean {
  return 'keyId' in selector
    ? keyIdOf(r) === selector.keyId
    : r.user === selector.user && r.mspId === selector.mspId;
}

/** Whether a key is accepted at `now` (ms since the epoch); a revoked key is revoked, whatever its expiry. */
export function keyState(
  record: Pick<ApiKeyRecord, 'expiresAt' | 'revokedAt'>,
  now: number,
): 'active' | 'expired' | 'revoked' {
  if (record.revokedAt !== undefined) return 'revoked';
  if (record.expiresAt !== undefined && now >= Date.parse(record.expiresAt)) return 'expired';
  return 'active';
}

/** Which keys to revoke: one by its id, or every key of a user of an organisation. */
export type KeySelector = { readonly keyId: string } | { readonly user: string; readonly mspId: string };

/** How long the key file's lock may be held before another process takes it as abandoned. */
const LOCK_STALE_MS = 10_000;
/** How often a running gateway looks for keys issued or revoked by `npm run keys`. */
export const KEY_FILE_POLL_MS = 1_000;

const KEY_PREFIX = 'clk_';
/** `clk_` and 32 random bytes in base64url (43 characters). */
const KEY_FORMAT = /^clk_[A-Za-z0-9_-]{43}$/;
const KEY_HASH = /^[0-9a-f]{64}$/;

const TIME = z.iso.datetime({ offset: true });

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A key file that holds no key records: the operator's to correct, not a fault of the gateway. */
export class ApiKeyFileError extends Error {
  override readonly name = 'ApiKeyFileError';
}

function parseRecords(text: string, path: string): ApiKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiKeyFileError(`${path} is not valid JSON`);
  }
  if (!Array.isArray(json)) throw new ApiKeyFileError(`${path} must hold a JSON array of API key records`);
  return json.map((value: unknown, index) => {
    const record = value as Partial<Record<keyof ApiKeyRecord, unknown>> | null;
    const fields = ['user', 'mspId', 'role', 'keyHash', 'createdAt'] as const;
    if (
      typeof record !== 'object' ||
      record === null ||
      fields.some((field) => typeof record[field] !== 'string' || record[field] === '') ||
      !KEY_HASH.test(record.keyHash as string)
    ) {
      throw new ApiKeyFileError(`${path}[${index}] is not a valid API key record`);
    }
    if (record.revokedAt !== undefined && (typeof record.revokedAt !== 'string' || record.revokedAt === '')) {
      throw new ApiKeyFileError(`${path}[${index}].revokedAt must be a time`);
    }
    // Compared with the clock on every request: a value that is no time would never expire.
    if (record.expiresAt !== undefined && !TIME.safeParse(record.expiresAt).success) {
      throw new ApiKeyFileError(`${path}[${index}].expiresAt must be a time with its offset (ISO 8601)`);
    }
    const { user, mspId, role, keyHash, createdAt, expiresAt, revokedAt } = record as ApiKeyRecord;
    return {
      user,
      mspId,
      role,
      keyHash,
      createdAt,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(revokedAt === undefined ? {} : { revokedAt }),
    };
  });
}

/** The key file as it is on disk now, by key hash; empty when there is none yet. */
async function readKeyFile(path: string): Promise<Map<string, ApiKeyRecord>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  return new Map(parseRecords(text, path).map((record) => [record.keyHash, record]));
}

/**
 * API keys, stored hashed in <dataDir>/gateway/api-keys.json. A presented key is hashed and the hash
 * looked up in a Map: the secret is never compared byte by byte, so the lookup leaks nothing about it.
 *
 * The gateway and `npm run keys` (issue, revoke) share the file: every change re-reads it and
 * rewrites it under a lock, so that neither undoes the other's, and a running gateway picks up the
 * changes within a second (watch).
 */
export class ApiKeyStore {
  private byHash = new Map<string, ApiKeyRecord>();
  /** The ids of the keys not revoked: asked before every event an open stream sends. */
  private activeIds = new Set<string>();
  /** Changes made by this process, one after another (the lock keeps other processes out). */
  private changing: Promise<unknown> = Promise.resolve();
  private watching?: () => void;

  private constructor(
    readonly path: string,
    private readonly network: NetworkConfig,
  ) {}

  static async open(dataDir: string, network: NetworkConfig): Promise<ApiKeyStore> {
    const store = new ApiKeyStore(join(dataDir, 'gateway', 'api-keys.json'), network);
    await store.reload();
    return store;
  }

  /** Reads the file again: what `npm run keys` issued or revoked takes effect. */
  async reload(): Promise<void> {
    this.take(await readKeyFile(this.path));
  }

  /**
   * Reloads whenever the file changes, until close. Polled rather than notified: fs.watch misses
   * changes on network and container file systems. A file that cannot be read keeps the keys as
   * they were, and `onError` says why.
   */
  watch(onError: (error: unknown) => void): void {
    if (this.watching) return;
    const changed = (now: Stats, before: Stats): void => {
      if (now.mtimeMs === before.mtimeMs && now.ino === before.ino) return;
      this.reload().catch(onError);
    };
    watchFile(this.path, { interval: KEY_FILE_POLL_MS, persistent: false }, changed);
    this.watching = () => unwatchFile(this.path, changed);
  }

  close(): void {
    this.watching?.();
    this.watching = undefined;
  }

  /**
   * Issues a key for a user of an organisation, accepted until `expiresAt` (for good without one);
   * the plaintext is returned once and never kept.
   */
  async create(user: string, mspId: string, role: string, expiresAt?: Date): Promise<string> {
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.register(key, user, mspId, role, expiresAt);
    return key;
  }

  /**
   * Records the hash of a key issued earlier (e.g. the demo credentials, when the store was deleted but
   * the credentials file kept), so it authenticates again; a revoked key stays revoked.
   */
  async register(key: string, user: string, mspId: string, role: string, expiresAt?: Date): Promise<void> {
    if (!KEY_FORMAT.test(key)) throw new Error('API key must be clk_ followed by 32 bytes in base64url');
    const org = this.network.organisations.find((o) => o.mspId === mspId);
    if (!org) throw new Error(`unknown organisation ${mspId}: not in the network configuration`);
    if (!USER_NAME.test(user)) {
      throw new Error(
        `API key user ${JSON.stringify(user)} must be a user name (1-128 printable characters, no invisible formatting)`,
      );
    }
    if (user === AUDIT_SIGNER) throw new Error(`API key user ${user} is the gateway's own audit signer`);
    if (!USER_ROLES[org.role].includes(role)) {
      throw new Error(
        `role ${role} is not one of ${mspId}'s user roles (${USER_ROLES[org.role].join(', ')})`,
      );
    }
    const keyHash = hashKey(key);
    await this.change((records) => {
      if (!records.has(keyHash)) {
        records.set(keyHash, {
          user,
          mspId,
          role,
          keyHash,
          createdAt: new Date().toISOString(),
          ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
        });
      }
    });
  }

  /** Revokes the selected keys that are not revoked yet; returns them. */
  revoke(selector: KeySelector): Promise<ApiKeyRecord[]> {
    return this.change((records) => {
      const revokedAt = new Date().toISOString();
      const revoked = [...records.values()]
        .filter((r) => selects(selector, r) && r.revokedAt === undefined)
        .map((r) => ({ ...r, revokedAt }));
      for (const record of revoked) records.set(record.keyHash, record);
      return revoked;
    });
  }

  /** The key records a selector names, revoked ones included, oldest first. */
  select(selector: KeySelector): ApiKeyRecord[] {
    return this.list().filter((r) => selects(selector, r));
  }

  /** Every key record, revoked ones included, oldest first. */
  list(): ApiKeyRecord[] {
    return [...this.byHash.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The record of a key, or undefined when the key was never issued. */
  find(key: string): ApiKeyRecord | undefined {
    return this.byHash.get(hashKey(key));
  }

  /** Whether a key would be taken now: known, neither revoked nor expired. */
  isActive(key: string): boolean {
    const record = this.find(key);
    return record !== undefined && keyState(record, Date.now()) === 'active';
  }

  /** The principal for a presented key; rejects with a 401 problem saying why it is refused. */
  authenticate(key: string): Principal {
    if (!key.startsWith(KEY_PREFIX)) {
      throw unauthorized('Bearer token is neither an API key (clk_…) nor a JWT (three dot-separated parts)');
    }
    const record = this.find(key);
    if (!record) throw unauthorized('unknown API key');
    switch (keyState(record, Date.now())) {
      case 'revoked':
        throw unauthorized('this API key was revoked');
      case 'expired':
        throw unauthorized(`this API key expired at ${record.expiresAt}`);
      case 'active':
        return this.toPrincipal(record);
    }
  }

  /**
   * Whether the key a principal presented is not revoked: what outlives its request must end
   * otherwise (its expiry is the principal's).
   */
  accepts(keyId: string): boolean {
    return this.activeIds.has(keyId);
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
      apiKeyId: keyIdOf(record),
      ...(record.expiresAt === undefined ? {} : { expiresAt: Date.parse(record.expiresAt) }),
    };
  }

  /** Takes the records as this process's keys. */
  private take(records: Map<string, ApiKeyRecord>): void {
    this.byHash = records;
    this.activeIds = new Set([...records.values()].filter((r) => r.revokedAt === undefined).map(keyIdOf));
  }

  /**
   * Applies a change to the file as it is now, under its lock, and takes the result as this
   * process's keys: a key not on disk must not work until the next restart only.
   */
  private change<T>(apply: (records: Map<string, ApiKeyRecord>) => T): Promise<T> {
    const run = async (): Promise<T> => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const release = await lock(this.path, {
        realpath: false,
        stale: LOCK_STALE_MS,
        retries: { retries: 100, minTimeout: 10, maxTimeout: 200 },
      });
      try {
        const records = await readKeyFile(this.path);
        const outcome = apply(records);
        await writeFileAtomic(this.path, JSON.stringify([...records.values()], null, 2) + '\n');
        this.take(records);
        return outcome;
      } finally {
        await release();
      }
    };
    const next = this.changing.then(run, run);
    this.changing = next.catch(() => undefined);
    return next;
  }
}
