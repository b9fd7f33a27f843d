import type { NetworkConfig, OrgRole } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { linkedSignal, sleep, untilAborted } from '../signals.js';
import { HttpProblem } from '../http/problem.js';
import { publicEvent } from '../policy/public-view.js';
import type { ChaincodeEvent, LedgerPort } from '../ledger/port.js';
import { atOrBefore, type JoinKind, type JoinStore, type Position } from './join-store.js';

/** One event as delivered to a client. */
export interface DeliveredEvent {
  /**
   * `<block>:<transaction id>`, or `<block>:<transaction id>:<n>` for the n-th event of a batch
   * transaction: increases along the stream; the client sends it back as Last-Event-ID.
   */
  readonly id: string;
  /** The chaincode event name, e.g. ConsignmentCreated. */
  readonly event: string;
  /** The event's JSON payload, as the chaincode emitted it less what the subscriber may not see. */
  readonly data: Record<string, unknown>;
}

export interface SubscribeOptions {
  /** Resume after this event id (Last-Event-ID); malformed → HttpProblem 400. Takes precedence over startBlock. */
  readonly lastEventId?: string;
  /** Replay from this block (0: everything); default: only events committed from now on. */
  readonly startBlock?: bigint;
  /** Ends the stream (client disconnected). */
  readonly signal: AbortSignal;
}

/**
 * The event ids this hub produces: decimal block number, colon, Fabric transaction id (64 hex
 * digits), and for an event of a batch transaction, colon and its place among the batch's events.
 * A block number alone is where a stream starts (see `position`): before that block's events.
 */
export const EVENT_ID = /^(0|[1-9]\d{0,17})(?::([0-9a-f]{64})(?::(0|[1-9]\d{0,3}))?)?$/;

/** A ledger checkpoint: the start of a block, or after this transaction, or after this event of a batch transaction. */
interface Checkpoint {
  readonly block: bigint;
  readonly transactionId?: string;
  readonly sub?: number;
}

/** Parses a Last-Event-ID into the ledger checkpoint it names; HttpProblem 400 when malformed. */
export function parseEventId(id: string): Checkpoint {
  const match = EVENT_ID.exec(id);
  if (!match) {
    throw new HttpProblem(
      400,
      'Last-Event-ID must be an event id this stream sent (<block number>[:<transaction id>[:<n>]])',
    );
  }
  return {
    block: BigInt(match[1]!),
    ...(match[2] === undefined ? {} : { transactionId: match[2] }),
    ...(match[3] === undefined ? {} : { sub: Number(match[3]) }),
  };
}

/** The name of the one event of a batch transaction, whose payload lists its operations' events. */
const BATCH_EVENT = 'BatchApplied';

/** An event as clients know it: a transaction's own event, or one of a batch transaction's. */
interface UnpackedEvent {
  readonly name: string;
  readonly data: Record<string, unknown>;
  /** Its place among the batch's events; undefined for a transaction's own event. */
  readonly sub: number | undefined;
}

function unpack(event: ChaincodeEvent): UnpackedEvent[] {
  const data = parsePayload(event.payload);
  if (!data) return [];
  if (event.eventName !== BATCH_EVENT) return [{ name: event.eventName, data, sub: undefined }];
  const events = Array.isArray(data.events) ? (data.events as unknown[]) : [];
  return events.flatMap((item, sub): UnpackedEvent[] => {
    const { name, payload } = (item ?? {}) as { name?: unknown; payload?: unknown };
    return typeof name === 'string' && isRecord(payload) ? [{ name, data: payload, sub }] : [];
  });
}

/** Organisations that see every event. */
const SEE_ALL: ReadonlySet<OrgRole> = new Set<OrgRole>(['customs', 'auditor']);

/**
 * Payload fields by which an organisation joins the consignment named in the event: its creator
 * (platform or carrier) and the submitters of its records (platform, payment provider, carrier);
 * the organisations the creator names for the other parts join with ConsignmentCreated (`named`).
 * Movements can only be recorded by a carrier already bound this way, and decisions are customs';
 * their payloads name no organisation.
 */
const PARTICIPANT_FIELDS = ['createdBy', 'submittedBy'] as const;

/** The organisations a ConsignmentCreated event names for the parts its creator does not take. */
const namedIn = (name: string, data: Record<string, unknown>): unknown[] =>
  name === 'ConsignmentCreated' && isRecord(data.named) ? Object.values(data.named) : [];

/** A return's join key: return ids are unique within their consignment, and neither id holds '/'. */
const returnKey = (consignmentId: string, returnId: string): string => `${consignmentId}/${returnId}`;

/** Payload fields naming the organisation an event without a consignment is about. */
const ORGANISATION_FIELDS = ['mspId', 'registeredBy', 'gatewayMspId'] as const;

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Chaincode events for HTTP clients, filtered by who may see them. On Fabric every channel member
 * receives every event of the channel; the gateway narrows that to the API's rule:
 *
 * - customs and auditors see every event;
 * - a trader organisation (platform, payment provider, carrier) sees the events of a consignment
 *   from the event by which it joined it (creating it, being named in its creation, or submitting
 *   one of its records) on;
 * - a carrier the platform names for a return, not otherwise in the consignment, sees that
 *   return's events from its request (ReturnRequested names it) on, and no other of the consignment;
 * - events that are not about a consignment (party registrations, personal-data access records,
 *   organisation changes, audit anchors) only when its own MSP id is named in the payload
 *   (`mspId`, `registeredBy`, `gatewayMspId`) — never another platform's or carrier's;
 * - TrustedTraderSet goes to the organisations that had registered the party (their peers do not
 *   hold the status, in customs' collection), TrustedOperatorSet to the platform or carrier it names;
 *   PartyFlagged (no payload) and the registry's initialisation go to customs and auditors only;
 * - an organisation not in the network configuration sees nothing.
 *
 * An event delivered carries only what the subscriber's role may see of it (policy/public-view):
 * the same properties the consignment view withholds.
 *
 * Who joined what, and where in the ledger, is learnt from the events themselves and kept in the
 * gateway's store (`JoinStore`): `start()` resumes after the last block stored (from block 0 the
 * first time, or when the store was learnt from another ledger) and then follows new blocks. Each
 * event is judged against the participants as they were at that event, so what a client sees does
 * not depend on when it asks: a live stream, a replay and a resumed stream agree event for event.
 * For that a subscriber's ledger stream never runs ahead of the index: before judging an event it
 * waits until the hub has learnt it.
 */
export class EventHub {
  private readonly roles: ReadonlyMap<string, OrgRole>;
  private readonly abort = new AbortController();
  /** How far the index goes: every event of blocks before `block`, and these of `block` (in order). */
  private indexed = { block: -1n, transactions: new Map<string, number>() };
  /** The first transaction on the ledger with an event, once known (see JoinCheckpoint.origin). */
  private origin: string | undefined;
  private resumed = false;
  private progress = deferred();
  private readonly originKnown = deferred();
  private following: Promise<void> | undefined;

  constructor(
    private readonly ledger: LedgerPort,
    network: NetworkConfig,
    /** consignment id / party id → MSP id → where it joined the consignment or first registered the party. */
    private readonly joins: JoinStore,
  ) {
    this.roles = new Map(network.organisations.map((o) => [o.mspId, o.role]));
  }

  /**
   * Starts bringing the index up to date and following new blocks, in the background (a failed
   * ledger stream is reopened where it stopped, with backoff). Returns at once: subscribers wait
   * for the index where they need it. Calling it again does nothing; `subscribe` calls it too.
   */
  async start(): Promise<void> {
    this.following ??= this.follow();
  }

  /** Stops the index and ends every subscription. */
  close(): void {
    this.abort.abort();
  }

  /** Aborted when the hub closes. */
  get closing(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * The transaction id of the ledger's first event, once the hub knows it (undefined if the hub
   * closes first): what tells this ledger from another kept under the same data directory.
   */
  async ledgerOrigin(): Promise<string | undefined> {
    void this.start();
    await untilAborted(this.originKnown.promise, this.abort.signal);
    return this.origin;
  }

  /**
   * Where a stream with these options starts, as an event id a client can resume from: its
   * Last-Event-ID, or the block it starts at (startBlock, or by default the chain height, so that
   * "from now on" is a fixed point a client can come back to before it has received any event).
   * The chain height is read again, with backoff, while the ledger does not answer (at most
   * `attempts` times); undefined when the signal aborts or the attempts run out first. A malformed
   * `lastEventId` throws HttpProblem(400) here, synchronously.
   */
  position(options: SubscribeOptions & { readonly attempts?: number }): Promise<string | undefined> {
    if (options.lastEventId !== undefined) {
      parseEventId(options.lastEventId);
      return Promise.resolve(options.lastEventId);
    }
    if (options.startBlock !== undefined) return Promise.resolve(String(options.startBlock));
    const { signal, release } = linkedSignal(options.signal, this.abort.signal);
    return this.chainHeight(signal, options.attempts ?? Number.POSITIVE_INFINITY).finally(release);
  }

  private async chainHeight(signal: AbortSignal, attempts: number): Promise<string | undefined> {
    let delay = RETRY_MIN_MS;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        return String(await this.ledger.chainHeight());
      } catch {
        if (attempt >= attempts) return undefined;
        await untilAborted(sleep(delay), signal);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    return undefined;
  }

  /**
   * The events this principal may see, in commit order, from a checkpoint, until the signal
   * aborts, the hub closes or the ledger closes. A malformed `lastEventId` throws HttpProblem(400)
   * here, synchronously, before anything is streamed.
   */
  subscribe(principal: Principal, options: SubscribeOptions): AsyncIterable<DeliveredEvent> {
    const after = options.lastEventId === undefined ? undefined : parseEventId(options.lastEventId);
    const startBlock = after?.block ?? options.startBlock;
    if (startBlock !== undefined && startBlock < 0n) {
      throw new HttpProblem(400, 'startBlock must not be negative');
    }
    void this.start();
    return this.stream(principal, startBlock, after, options.signal);
  }

  /**
   * The ledger stream starts at a block boundary (startBlock, or the next block), so that the
   * stream can number each block's events as the index does; a checkpoint within the block is
   * skipped here, with the ledger's own rule: up to and including its transaction.
   */
  private async *stream(
    principal: Principal,
    startBlock: bigint | undefined,
    after: Checkpoint | undefined,
    ended: AbortSignal,
  ): AsyncGenerator<DeliveredEvent> {
    const { signal, release } = linkedSignal(ended, this.abort.signal);
    try {
      yield* this.events(principal, startBlock, after, signal);
    } finally {
      release();
    }
  }

  private async *events(
    principal: Principal,
    startBlock: bigint | undefined,
    after: Checkpoint | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<DeliveredEvent> {
    if (signal.aborted) return;
    let skipping = after?.transactionId === undefined ? undefined : after;
    let block = -1n;
    let seq = -1;
    const events = this.ledger.events({ ...(startBlock !== undefined ? { startBlock } : {}), signal });
    for await (const event of events) {
      if (event.blockNumber !== block) {
        block = event.blockNumber;
        seq = 0;
      } else {
        seq++;
      }
      // Events of the checkpoint's transaction after its batch event `sub` are still to come.
      let skipThrough = -1;
      if (skipping) {
        if (event.blockNumber === skipping.block) {
          if (event.transactionId !== skipping.transactionId) continue;
          skipThrough = skipping.sub ?? Number.POSITIVE_INFINITY;
        }
        skipping = undefined;
      }
      if (!(await this.learnt(event, signal))) return;
      for (const { name, data, sub } of unpack(event)) {
        if ((sub ?? 0) <= skipThrough) continue;
        if (await this.visible(principal, name, data, { block, seq, sub: sub ?? 0 })) {
          const id = `${event.blockNumber}:${event.transactionId}${sub === undefined ? '' : `:${sub}`}`;
          yield { id, event: name, data: publicEvent(principal, name, data) };
        }
      }
    }
  }

  /** Waits until the index has learnt the event; false when the signal aborted first. */
  private async learnt(event: ChaincodeEvent, signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const { block, transactions } = this.indexed;
      if (event.blockNumber < block) return true;
      if (event.blockNumber === block && transactions.has(event.transactionId)) return true;
      await untilAborted(this.progress.promise, signal);
    }
    return false;
  }

  private async follow(): Promise<void> {
    let delay = RETRY_MIN_MS;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (!this.resumed) await this.resume(signal);
        // Resumes right after the last event learnt (from the stored checkpoint, or block 0).
        const last = [...this.indexed.transactions.keys()].at(-1);
        const from =
          last === undefined
            ? { startBlock: this.indexed.block < 0n ? 0n : this.indexed.block }
            : { startBlock: this.indexed.block, afterTransactionId: last };
        for await (const event of this.ledger.events({ ...from, signal })) {
          await this.learn(event);
          delay = RETRY_MIN_MS;
        }
        // The ledger closed: so did every subscriber's stream; nothing more will come.
        return;
      } catch {
        if (signal.aborted) return;
        await untilAborted(sleep(delay), signal);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /**
   * Takes up the stored index where it stopped, unless it was learnt from another ledger (whose
   * first event is not this ledger's): then it is forgotten and learnt again from block 0.
   */
  private async resume(signal: AbortSignal): Promise<void> {
    const saved = await this.joins.checkpoint();
    if (saved !== undefined) {
      const first = await firstEvent(this.ledger, signal);
      if (first?.transactionId === saved.origin) {
        this.origin = saved.origin;
        this.originKnown.resolve();
        this.indexed = { block: saved.nextBlock, transactions: new Map() };
      } else if (first !== undefined) {
        await this.joins.clear();
      } else {
        return;
      }
    }
    this.resumed = true;
  }

  private async learn(event: ChaincodeEvent): Promise<void> {
    if (this.origin === undefined) {
      this.origin = event.transactionId;
      this.originKnown.resolve();
    }
    if (event.blockNumber !== this.indexed.block) {
      // The blocks before this one are complete.
      await this.joins.commit({ nextBlock: event.blockNumber, origin: this.origin });
      this.indexed = { block: event.blockNumber, transactions: new Map() };
    }
    const { transactions } = this.indexed;
    if (transactions.has(event.transactionId)) return;
    const seq = transactions.size;
    for (const { name, data, sub } of unpack(event)) {
      const position: Position = { block: event.blockNumber, seq, sub: sub ?? 0 };
      const consignmentId = data.consignmentId;
      if (typeof consignmentId === 'string') {
        for (const mspId of [...PARTICIPANT_FIELDS.map((field) => data[field]), ...namedIn(name, data)]) {
          if (typeof mspId === 'string') await this.joins.join('consignment', consignmentId, mspId, position);
        }
      }
      const { returnId, carrierMspId } = data;
      if (
        name === 'ReturnRequested' &&
        typeof consignmentId === 'string' &&
        typeof returnId === 'string' &&
        typeof carrierMspId === 'string'
      ) {
        await this.joins.join('return', returnKey(consignmentId, returnId), carrierMspId, position);
      }
      if (name === 'PartyRegistered') {
        const { partyId, registeredBy } = data;
        if (typeof partyId === 'string' && typeof registeredBy === 'string') {
          await this.joins.join('party', partyId, registeredBy, position);
        }
      }
    }
    // Learnt only once its joins are: a subscriber waiting for this event may judge it now.
    transactions.set(event.transactionId, seq);
    const reached = this.progress;
    this.progress = deferred();
    reached.resolve();
  }

  private async visible(
    principal: Principal,
    eventName: string,
    data: Record<string, unknown>,
    at: Position,
  ): Promise<boolean> {
    const role = this.roles.get(principal.mspId);
    if (role === undefined) return false;
    if (SEE_ALL.has(role)) return true;
    const mspId = principal.mspId;
    const joinedBy = async (kind: JoinKind, key: unknown): Promise<boolean> => {
      const joined = typeof key === 'string' ? await this.joins.joinedAt(kind, key, mspId) : undefined;
      return joined !== undefined && atOrBefore(joined, at);
    };
    const { consignmentId, returnId } = data;
    if (consignmentId !== undefined) {
      if (await joinedBy('consignment', consignmentId)) return true;
      return (
        typeof consignmentId === 'string' &&
        typeof returnId === 'string' &&
        joinedBy('return', returnKey(consignmentId, returnId))
      );
    }
    if (eventName === 'TrustedTraderSet') return joinedBy('party', data.partyId);
    // A consignment's participants may read its access log (GET …/access-log): the event tells them
    // as it happens. Not a party's registrants: each sees its own reads only, since another
    // platform's read would tell it that the person is that platform's customer too.
    if (eventName === 'PersonalDataAccessed' && data.subjectType === 'consignment') {
      if (await joinedBy('consignment', data.subjectId)) return true;
    }
    return ORGANISATION_FIELDS.some((field) => data[field] === mspId);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePayload(payload: Uint8Array): Record<string, unknown> | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    return isRecord(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The ledger's first chaincode event, waiting for one if there is none yet; undefined if the signal aborted. */
async function firstEvent(ledger: LedgerPort, signal: AbortSignal): Promise<ChaincodeEvent | undefined> {
  for await (const event of ledger.events({ startBlock: 0n, signal })) return event;
  return undefined;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
