import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { HttpProblem } from '../http/problem.js';
import type { ChaincodeEvent, LedgerPort } from '../ledger/port.js';

export interface DeliveredEvent {
  /** `<block>:<transaction id>`: a checkpoint the client sends back as Last-Event-ID. */
  readonly id: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

const EVENT_ID = /^(\d{1,15}):([0-9a-f]{64})$/;
/** Organisation fields in event payloads: the organisations an event is about. */
const ORG_FIELDS = [
  'createdBy',
  'submittedBy',
  'registeredBy',
  'mspId',
  'gatewayMspId',
  'decidedBy',
  'recordedBy',
];

/**
 * Chaincode events for HTTP clients, filtered by who may see them. On Fabric every channel member
 * receives every event; the gateway narrows that to the API's rule: customs and auditors see all,
 * a trader sees events about consignments it takes part in and events naming its organisation.
 */
export class EventHub {
  /** consignment id → organisations taking part, learnt from the events themselves. */
  private readonly participants = new Map<string, Set<string>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly ledger: LedgerPort,
    private readonly network: NetworkConfig,
  ) {}

  /** Learns the participants of every consignment from block 0, then keeps following new blocks. */
  async start(): Promise<void> {
    const follow = async (): Promise<void> => {
      for await (const event of this.ledger.events({ startBlock: 0n, signal: this.abort.signal }))
        this.learn(event);
    };
    // Subscribers also learn from what they deliver, so nothing waits for this background pass.
    follow().catch(() => undefined);
  }

  close(): void {
    this.abort.abort();
  }

  async *subscribe(
    principal: Principal,
    options: { lastEventId?: string; startBlock?: bigint; signal: AbortSignal },
  ): AsyncIterable<DeliveredEvent> {
    let startBlock = options.startBlock;
    let afterTransactionId: string | undefined;
    if (options.lastEventId !== undefined) {
      const match = EVENT_ID.exec(options.lastEventId);
      if (!match)
        throw new HttpProblem(
          400,
          'Last-Event-ID must be an event id this stream sent (<block>:<transaction id>)',
        );
      startBlock = BigInt(match[1]!);
      afterTransactionId = match[2];
    }
    const signal = AbortSignal.any([options.signal, this.abort.signal]);
    for await (const event of this.ledger.events({ startBlock, afterTransactionId, signal })) {
      const data = this.learn(event);
      if (data && this.visible(principal, data)) {
        yield { id: `${event.blockNumber}:${event.transactionId}`, event: event.eventName, data };
      }
    }
  }

  private learn(event: ChaincodeEvent): Record<string, unknown> | undefined {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(Buffer.from(event.payload).toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const id = data.consignmentId;
    if (typeof id === 'string') {
      const orgs = this.participants.get(id) ?? new Set<string>();
      for (const field of ORG_FIELDS) if (typeof data[field] === 'string') orgs.add(data[field] as string);
      this.participants.set(id, orgs);
    }
    return data;
  }

  private visible(principal: Principal, data: Record<string, unknown>): boolean {
    if (principal.orgRole === 'customs' || principal.orgRole === 'auditor') return true;
    const id = data.consignmentId;
    if (typeof id === 'string') return this.participants.get(id)?.has(principal.mspId) ?? false;
    return ORG_FIELDS.some((field) => data[field] === principal.mspId);
  }
}

export { EVENT_ID };
