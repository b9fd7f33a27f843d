import type { Level } from 'level';
import type { IdempotencyStore, StoredResponse } from './route.js';

type BeginResult = Awaited<ReturnType<IdempotencyStore['begin']>>;

interface StoredRecord {
  readonly requestHash: string;
  readonly response: StoredResponse;
  /** Milliseconds since the epoch when the response was stored. */
  readonly storedAt: number;
}

export interface IdempotencyStoreOptions {
  /** How long a stored response is replayed (default 24 hours); older records count as absent. */
  readonly ttlMs?: number;
  /** When set, expired records are deleted this often (the timer does not keep the process alive). */
  readonly sweepIntervalMs?: number;
  /**
   * When the first sweep runs (default: one interval after the store opens). A gateway restarted
   * more often than the interval would otherwise never sweep.
   */
  readonly firstSweepAfterMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Name of the sublevel of the gateway's own store that holds the records. */
export const IDEMPOTENCY_SUBLEVEL = 'idempotency';

/**
 * The first response of each write, kept durably per (scope, Idempotency-Key) in the sublevel
 * `idempotency` of the gateway's own LevelDB, so that a retry replays it instead of writing again.
 *
 * - A record is written with `sync: true` (fsync) before the response is sent: once a client has
 *   seen an answer, a retry gets the same answer even after a machine crash.
 * - Records expire after `ttlMs` (24 h by default): checked on every read, and optionally deleted
 *   by a periodic sweep (`sweepIntervalMs`, first after `firstSweepAfterMs`, or call `sweep()`);
 *   `close()` stops the sweep.
 * - "In flight" is known only in memory, in this process. After a crash nothing is in flight, so
 *   the client's retry is processed again. It proposes the same transaction ids as the first run
 *   (services/keyed-write.ts), which the ledger refuses to commit twice: where the first run's
 *   transaction committed, the retry is answered from it (services/ledger-client.ts), as the first
 *   run would have been. Several gateway processes sharing one store would not see each other's
 *   in-flight requests, but they cannot share a LevelDB anyway.
 * - Scope and key are untrusted strings: the record key is the JSON array `[scope, key]`, so no
 *   choice of either can produce another pair's key.
 * - All operations on one (scope, key) are serialised in this process, so a `begin` can never read
 *   the store just before a concurrent `complete` writes it and then see the marker already gone.
 */
export class LevelIdempotencyStore implements IdempotencyStore {
  private readonly records;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly inFlight = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(db: Level<string, Uint8Array>, options: IdempotencyStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? DAY_MS;
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    this.now = options.now ?? Date.now;
    this.records = db.sublevel<string, string>(IDEMPOTENCY_SUBLEVEL, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    });
    const interval = options.sweepIntervalMs;
    if (interval !== undefined) {
      const sweepThenWait = (delay: number) => {
        this.sweeper = setTimeout(() => {
          void this.sweep()
            .catch(() => undefined)
            .finally(() => {
              if (this.sweeper) sweepThenWait(interval);
            });
        }, delay);
        this.sweeper.unref();
      };
      sweepThenWait(options.firstSweepAfterMs ?? interval);
    }
  }

  begin(scope: string, key: string, requestHash: string): Promise<BeginResult> {
    const id = recordKey(scope, key);
    return this.exclusive(id, async (): Promise<BeginResult> => {
      if (this.inFlight.has(id)) return { kind: 'in-flight' };
      const record = await this.read(id);
      if (record) {
        return record.requestHash === requestHash
          ? { kind: 'replay', response: record.response }
          : { kind: 'mismatch' };
      }
      this.inFlight.add(id);
      return { kind: 'new' };
    });
  }

  complete(scope: string, key: string, requestHash: string, response: StoredResponse): Promise<void> {
    const id = recordKey(scope, key);
    return this.exclusive(id, async () => {
      try {
        const record: StoredRecord = { requestHash, response, storedAt: this.now() };
        // sync: the stored answer must survive a machine crash once the client has seen it.
        await this.records.put(id, JSON.stringify(record), { sync: true } as never);
      } finally {
        this.inFlight.delete(id);
      }
    });
  }

  abandon(scope: string, key: string): Promise<void> {
    const id = recordKey(scope, key);
    return this.exclusive(id, async () => {
      this.inFlight.delete(id);
    });
  }

  /** Deletes expired records; returns how many. */
  async sweep(): Promise<number> {
    const expired: string[] = [];
    for await (const [id, value] of this.records.iterator()) {
      const record = parseRecord(value);
      if (!record || this.isExpired(record)) expired.push(id);
    }
    let deleted = 0;
    for (const id of expired) {
      // Re-checked under the key's lock: a retry may have stored a fresh record meanwhile.
      await this.exclusive(id, async () => {
        const value = await this.records.get(id);
        const record = value === undefined ? undefined : parseRecord(value);
        if (value !== undefined && (!record || this.isExpired(record))) {
          await this.records.del(id);
          deleted++;
        }
      });
    }
    return deleted;
  }

  /** Stops the periodic sweep. The database itself belongs to the caller. */
  close(): void {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
  }

  private async read(id: string): Promise<StoredRecord | undefined> {
    const value = await this.records.get(id);
    if (value === undefined) return undefined;
    const record = parseRecord(value);
    // An unreadable record is treated as absent; the next completion overwrites it.
    if (!record || this.isExpired(record)) return undefined;
    return record;
  }

  private isExpired(record: StoredRecord): boolean {
    return this.now() - record.storedAt >= this.ttlMs;
  }

  /** Runs fn after every earlier operation on the same record key has settled. */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

/** JSON of the pair: no choice of scope and key can produce another pair's record key. */
const recordKey = (scope: string, key: string): string => JSON.stringify([scope, key]);

function parseRecord(value: string): StoredRecord | undefined {
  try {
    const record = JSON.parse(value) as Partial<StoredRecord> | null;
    if (
      typeof record?.requestHash === 'string' &&
      typeof record.storedAt === 'number' &&
      typeof record.response === 'object' &&
      record.response !== null
    ) {
      return record as StoredRecord;
    }
  } catch {
    // fall through
  }
  return undefined;
}
