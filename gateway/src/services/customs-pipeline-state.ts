import type { GatewayStore } from '../storage/gateway-store.js';

/** The stream position reached (an event id of the hub), under the key it has had since it was first kept. */
const POSITION_KEY = 'checkpoint~customs-service';
/** The ledger the position and the list are of: the transaction id of its first event. */
const ORIGIN_KEY = 'checkpoint~customs-service~origin';
/** Consignments taken from the stream and not yet dealt with, one key each. */
const PENDING_SUBLEVEL = 'customs-pending';

/** What customs' automatic pipeline keeps between runs of its gateway. */
export interface PipelineState {
  /**
   * The stream position reached, and the consignments taken from the stream but not yet dealt with,
   * on the ledger whose first event is `origin`. What was kept for another ledger (a Fabric network
   * re-created under a kept data directory) is dropped: that ledger is read from its first block.
   */
  load(origin: string): Promise<{ readonly position?: string; readonly pending: readonly string[] }>;
  /** Keeps the position reached, with the consignments its event put on the list, in one write. */
  advance(eventId: string, consignmentIds?: readonly string[]): Promise<void>;
  /** The consignment is dealt with: assessed (and released when allowed), or refused for good. */
  done(consignmentId: string): Promise<void>;
}

/**
 * The pipeline's state in the gateway's store. A consignment goes on the list in the same batch as
 * the position past the event that put it there, and comes off only once dealt with: whatever a
 * stop interrupts (waiting, being assessed, waiting to be tried again) is taken up at the next start.
 */
export class StoredPipelineState implements PipelineState {
  private readonly pending;

  constructor(private readonly store: GatewayStore) {
    this.pending = store.sublevel<string, Uint8Array>(PENDING_SUBLEVEL, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
  }

  async load(origin: string): Promise<{ position?: string; pending: string[] }> {
    const kept = await this.store.get(ORIGIN_KEY);
    const keptFor = kept === undefined ? undefined : Buffer.from(kept).toString('utf8');
    if (keptFor !== undefined && keptFor !== origin) {
      // Another ledger's: this one is read from its first block. (A crash between the two writes
      // finds the old origin again and does the same.)
      await this.pending.clear();
      await this.store.batch([
        { type: 'put', key: ORIGIN_KEY, value: Buffer.from(origin, 'utf8') },
        { type: 'put', key: POSITION_KEY, value: Buffer.from('0', 'utf8') },
      ]);
      return { position: '0', pending: [] };
    }
    // The first start, or a state kept before origins were: this ledger's.
    if (keptFor === undefined) await this.store.put(ORIGIN_KEY, Buffer.from(origin, 'utf8'));
    const bytes = await this.store.get(POSITION_KEY);
    const pending = await this.pending.keys().all();
    return bytes === undefined ? { pending } : { position: Buffer.from(bytes).toString('utf8'), pending };
  }

  /**
   * The writes in the order they were asked for: LevelDB does not order two writes in flight, and a
   * consignment taken off the list (done) just after an event put it back (advance) must stay off.
   */
  private written: Promise<unknown> = Promise.resolve();

  private inTurn(write: () => Promise<void>): Promise<void> {
    const turn = this.written.then(write);
    this.written = turn.catch(() => undefined);
    return turn;
  }

  advance(eventId: string, consignmentIds: readonly string[] = []): Promise<void> {
    return this.inTurn(() =>
      this.store.batch([
        { type: 'put', key: POSITION_KEY, value: Buffer.from(eventId, 'utf8') },
        ...consignmentIds.map(
          (key) => ({ type: 'put', sublevel: this.pending, key, value: new Uint8Array() }) as const,
        ),
      ]),
    );
  }

  done(consignmentId: string): Promise<void> {
    return this.inTurn(() => this.pending.del(consignmentId));
  }
}
