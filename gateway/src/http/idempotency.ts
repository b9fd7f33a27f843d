import type { Level } from 'level';
import type { IdempotencyStore, StoredResponse } from './route.js';

interface StoredRecord {
  readonly requestHash: string;
  readonly response: StoredResponse;
  readonly storedAt: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * First responses of writes, kept durably per (user, Idempotency-Key) for a day. "In flight" is
 * only known in memory: after a crash nothing is in flight, and a client's retry is processed
 * again — the chaincode's own uniqueness rules (consignment ids, order and tracking numbers) then
 * refuse a duplicate, so a retry can never create a record twice.
 */
export class LevelIdempotencyStore implements IdempotencyStore {
  private readonly records;
  private readonly inFlight = new Set<string>();

  constructor(
    db: Level<string, Uint8Array>,
    private readonly ttlMs = DAY_MS,
  ) {
    this.records = db.sublevel<string, string>('idempotency', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async begin(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<Awaited<ReturnType<IdempotencyStore['begin']>>> {
    const id = recordKey(scope, key);
    if (this.inFlight.has(id)) return { kind: 'in-flight' };
    const stored = await this.records.get(id);
    if (stored !== undefined) {
      const record = JSON.parse(stored) as StoredRecord;
      if (Date.now() - record.storedAt <= this.ttlMs) {
        return record.requestHash === requestHash
          ? { kind: 'replay', response: record.response }
          : { kind: 'mismatch' };
      }
    }
    if (this.inFlight.has(id)) return { kind: 'in-flight' };
    this.inFlight.add(id);
    return { kind: 'new' };
  }

  async complete(scope: string, key: string, requestHash: string, response: StoredResponse): Promise<void> {
    const id = recordKey(scope, key);
    try {
      const record: StoredRecord = { requestHash, response, storedAt: Date.now() };
      // sync: the stored answer must survive a machine crash once the client has seen it.
      await this.records.put(id, JSON.stringify(record), { sync: true } as never);
    } finally {
      this.inFlight.delete(id);
    }
  }

  async abandon(scope: string, key: string): Promise<void> {
    this.inFlight.delete(recordKey(scope, key));
  }
}

/** JSON of the pair: no choice of scope and key can produce another pair's record key. */
const recordKey = (scope: string, key: string): string => JSON.stringify([scope, key]);
