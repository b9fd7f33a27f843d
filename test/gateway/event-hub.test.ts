import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkConfig, type NetworkConfig, type OrgRole } from '@customs-ledger/chaincode';
import type { Principal } from '../../gateway/src/auth/principal.js';
import { HttpProblem } from '../../gateway/src/http/problem.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import type {
  ChaincodeEvent,
  ClientIdentity,
  EventsOptions,
  LedgerPort,
} from '../../gateway/src/ledger/port.js';
import { EventHub, type DeliveredEvent } from '../../gateway/src/services/event-hub.js';
import { untilAborted } from '../../gateway/src/signals.js';
import { JoinStore } from '../../gateway/src/services/join-store.js';
import { logisticsPayload } from '../support/payloads.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

let dataDir: string;
let ledger: EmbeddedLedger;
let network: NetworkConfig;
let hub: EventHub;
const users: Record<string, ClientIdentity> = {};
const stores: GatewayStore[] = [];

/** A gateway store of its own (LevelDB in the test's data directory), closed after the suite. */
async function gatewayStore(): Promise<GatewayStore> {
  const store = await openGatewayStore(join(dataDir, `gateway-store-${stores.length}`));
  stores.push(store);
  return store;
}
const freshJoins = async (): Promise<JoinStore> => new JoinStore(await gatewayStore());

const principal = (user: string, mspId: string, orgRole: OrgRole, role = 'operator'): Principal => ({
  user,
  mspId,
  orgRole,
  role,
  authMethod: 'api-key',
});
const platformA = principal('platforma-operator', 'PlatformAMSP', 'platform');
const platformB = principal('platformb-operator', 'PlatformBMSP', 'platform');
const post = principal('post-operator', 'PostMSP', 'post');
const customs = principal('customs-officer', 'CustomsMSP', 'customs', 'officer');
const auditor = principal('auditor', 'AuditorMSP', 'auditor', 'auditor');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'event-hub-'));
  // A batch timeout long enough that concurrent submissions share a block.
  ({ ledger, network } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
    batchTimeoutMs: 50,
  }));
  expect(network).toEqual(
    parseNetworkConfig(JSON.parse(await readFile('config/organisations.json', 'utf8'))),
  );
  for (const [name, mspId] of [
    ['platformA', 'PlatformAMSP'],
    ['platformB', 'PlatformBMSP'],
    ['post', 'PostMSP'],
  ] as const) {
    users[name] = await ledger.enrolUser(mspId, name, { role: 'operator' });
  }
  hub = new EventHub(ledger, network, await freshJoins());
  await hub.start();
});
afterAll(async () => {
  hub?.close();
  await ledger?.close();
  for (const store of stores) await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function submit(
  user: string,
  fn: string,
  args: string[],
  transient?: Record<string, unknown>,
): Promise<string> {
  const transientData = transient
    ? {
        payload: Buffer.from(JSON.stringify(transient)),
        saltSeed: Buffer.from(randomBytes(16).toString('hex')),
      }
    : undefined;
  const { transactionId } = await ledger.submit(users[user]!, fn, { arguments: args, transientData });
  return transactionId;
}

const create = (user: string, id: string): Promise<string> =>
  submit(user, 'consignment:create', [
    id,
    JSON.stringify({
      orderNumber: `ORD-${id}`,
      trackingNumber: `TRK${id.replace(/\W/g, '')}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    }),
  ]);

/**
 * Reads a subscription until `until` accepts an event (included) and returns what it read; fails
 * after the timeout. `onEvent` runs for each event, before the next is read.
 */
async function read(
  who: Principal,
  options: { lastEventId?: string; startBlock?: bigint },
  until: (event: DeliveredEvent) => boolean,
  onEvent?: (event: DeliveredEvent) => Promise<void>,
  timeoutMs = 15_000,
): Promise<DeliveredEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: DeliveredEvent[] = [];
  try {
    for await (const event of hub.subscribe(who, { ...options, signal: controller.signal })) {
      events.push(event);
      await onEvent?.(event);
      if (until(event)) return events;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  throw new Error(
    `${who.mspId}: stream ended before the expected event; got ${events.map((e) => e.event).join(', ')}`,
  );
}

const createdOf = (id: string) => (e: DeliveredEvent) =>
  e.event === 'ConsignmentCreated' && e.data.consignmentId === id;
const consignmentsIn = (events: DeliveredEvent[]): Set<unknown> =>
  new Set(events.map((e) => e.data.consignmentId).filter((id) => id !== undefined));
const position = (id: string): [bigint, string] => {
  const [block, tx] = id.split(':');
  return [BigInt(block!), tx!];
};

function expectCommitOrder(events: DeliveredEvent[]): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (let i = 1; i < ids.length; i++) {
    expect(position(ids[i]!)[0] >= position(ids[i - 1]!)[0]).toBe(true);
  }
}

describe('EventHub filtering', () => {
  const partyId = 'd'.repeat(64);
  let customsView: DeliveredEvent[];

  beforeAll(async () => {
    await create('platformA', 'EH-A1');
    await create('platformA', 'EH-A2');
    await create('platformB', 'EH-B1');
    // PostMSP becomes the carrier of EH-A1 by submitting its logistics, then records a movement.
    await submit('post', 'consignment:submitLogistics', ['EH-A1'], logisticsPayload('ORD-EH-A1', 'TRKEHA1'));
    await submit('post', 'consignment:recordMovement', [
      'EH-A1',
      JSON.stringify({ type: 'dispatched', location: 'CNSHA' }),
    ]);
    await submit('platformA', 'party:register', [partyId, 'seller', 'verified'], {
      name: 'Seller One',
      document: { type: 'tax_id', number: 'CN-TAX-1', country: 'CN' },
    });
    // One last event for each organisation, to know where its stream has caught up.
    await create('platformA', 'EH-END-A');
    await create('platformB', 'EH-END-B');
    await submit('post', 'consignment:create', [
      'EH-END-P',
      JSON.stringify({ trackingNumber: 'EHENDP01', originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    customsView = await read(customs, { startBlock: 0n }, createdOf('EH-END-P'));
  });

  it('customs and auditors see every event, from the registry initialisation on', async () => {
    expect(customsView[0]?.event).toBe('OrganisationsInitialised');
    expect(customsView.map((e) => e.event)).toEqual(
      expect.arrayContaining([
        'ConsignmentCreated',
        'RecordSubmitted',
        'MovementRecorded',
        'PartyRegistered',
      ]),
    );
    expect(consignmentsIn(customsView)).toEqual(
      new Set(['EH-A1', 'EH-A2', 'EH-B1', 'EH-END-A', 'EH-END-B', 'EH-END-P']),
    );
    expectCommitOrder(customsView);
    const auditorView = await read(auditor, { startBlock: 0n }, createdOf('EH-END-P'));
    expect(auditorView).toEqual(customsView);
  });

  it('delivers id, event name and the JSON payload', () => {
    const created = customsView.find(createdOf('EH-A1'))!;
    expect(created.id).toMatch(/^\d+:[0-9a-f]{64}$/);
    expect(created.id.endsWith(`:${created.data.txId as string}`)).toBe(true);
    expect(created.data).toMatchObject({
      consignmentId: 'EH-A1',
      createdBy: 'PlatformAMSP',
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
  });

  it('a platform sees its own consignments, their carrier’s events and its own party registrations', async () => {
    const view = await read(platformA, { startBlock: 0n }, createdOf('EH-END-A'));
    expect(consignmentsIn(view)).toEqual(new Set(['EH-A1', 'EH-A2', 'EH-END-A']));
    expect(view.map((e) => `${e.event} ${(e.data.consignmentId as string) ?? e.data.registeredBy}`)).toEqual([
      'ConsignmentCreated EH-A1',
      'ConsignmentCreated EH-A2',
      'RecordSubmitted EH-A1',
      'MovementRecorded EH-A1',
      'PartyRegistered PlatformAMSP',
      'ConsignmentCreated EH-END-A',
    ]);
    // Exactly customs' events, narrowed: nothing reordered or altered.
    expect(view).toEqual(customsView.filter((e) => view.some((v) => v.id === e.id)));
  });

  it('another platform sees none of them', async () => {
    const view = await read(platformB, { startBlock: 0n }, createdOf('EH-END-B'));
    expect(consignmentsIn(view)).toEqual(new Set(['EH-B1', 'EH-END-B']));
    expect(view.map((e) => e.event)).not.toContain('PartyRegistered');
    expect(view.map((e) => e.event)).not.toContain('OrganisationsInitialised');
    expect(JSON.stringify(view)).not.toContain('PlatformAMSP');
  });

  it('a carrier sees a consignment from the event by which it joined it on, and no other', async () => {
    const view = await read(post, { startBlock: 0n }, createdOf('EH-END-P'));
    expect(consignmentsIn(view)).toEqual(new Set(['EH-A1', 'EH-END-P']));
    // The platform's creation came before the carrier took part.
    expect(view.filter((e) => e.data.consignmentId === 'EH-A1').map((e) => e.event)).toEqual([
      'RecordSubmitted',
      'MovementRecorded',
    ]);
    expect(view.map((e) => e.event)).not.toContain('PartyRegistered');
  });

  it('an organisation outside the network configuration sees nothing', async () => {
    const stranger = principal('x', 'StrangerMSP', 'platform');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const seen: DeliveredEvent[] = [];
    for await (const event of hub.subscribe(stranger, { startBlock: 0n, signal: controller.signal }))
      seen.push(event);
    expect(seen).toEqual([]);
  });

  it('judges each event as of its place in the ledger: a new hub, still indexing, agrees with a warm one', async () => {
    const fresh = new EventHub(ledger, network, await freshJoins());
    try {
      const controller = new AbortController();
      const view: DeliveredEvent[] = [];
      for await (const event of fresh.subscribe(post, { startBlock: 0n, signal: controller.signal })) {
        view.push(event);
        if (createdOf('EH-END-P')(event)) controller.abort();
      }
      expect(view).toEqual(await read(post, { startBlock: 0n }, createdOf('EH-END-P')));
    } finally {
      fresh.close();
    }
  });
});

describe('EventHub resume', () => {
  it('resumes after a Last-Event-ID mid-block with no gap and no duplicate, then follows live events', async () => {
    await create('platformA', 'EH-R0');
    // Submitted together, so that (with the 50 ms batch timeout) they share blocks.
    await Promise.all(['EH-R1', 'EH-R2', 'EH-R3', 'EH-R4'].map((id) => create('platformA', id)));
    await create('platformB', 'EH-RB');
    await create('platformA', 'EH-RMARK');
    const first = await read(platformA, { startBlock: 0n }, createdOf('EH-RMARK'));
    const byBlock = new Map<bigint, DeliveredEvent[]>();
    for (const e of first) byBlock.set(position(e.id)[0], [...(byBlock.get(position(e.id)[0]) ?? []), e]);
    const shared = [...byBlock.values()].find((events) => events.length >= 2);
    expect(shared, 'some block holds several of the concurrent creations').toBeDefined();
    // The checkpoint is the first event of a block that holds more.
    const checkpoint = shared![0]!;
    const expectedTail = first.slice(first.indexOf(checkpoint) + 1);
    expect(expectedTail.length).toBeGreaterThan(0);

    // More events while the client is away, by both platforms.
    await create('platformA', 'EH-R5');
    await create('platformB', 'EH-RB2');

    let liveSubmitted = false;
    const resumed = await read(
      platformA,
      // startBlock is ignored when a Last-Event-ID is given.
      { lastEventId: checkpoint.id, startBlock: 0n },
      createdOf('EH-R6'),
      async (event) => {
        // Once the stream has caught up, an event committed after the subscription began.
        if (createdOf('EH-R5')(event) && !liveSubmitted) {
          liveSubmitted = true;
          await create('platformA', 'EH-R6');
        }
      },
    );
    expect(liveSubmitted).toBe(true);
    const resumedIds = resumed.map((e) => e.id);
    expect(resumedIds).not.toContain(checkpoint.id);
    expect(resumed.slice(0, expectedTail.length)).toEqual(expectedTail);
    expect(resumed.slice(expectedTail.length).map((e) => e.data.consignmentId)).toEqual(['EH-R5', 'EH-R6']);
    expectCommitOrder([...first.slice(0, first.indexOf(checkpoint) + 1), ...resumed]);
    expect(consignmentsIn(resumed)).not.toContain('EH-RB');
    expect(consignmentsIn(resumed)).not.toContain('EH-RB2');

    // The same again from the last event: only what follows it.
    const last = resumed.at(-1)!;
    await create('platformA', 'EH-R7');
    const after = await read(platformA, { lastEventId: last.id }, () => true);
    expect(after.map((e) => e.data.consignmentId)).toEqual(['EH-R7']);
  });

  it('without a checkpoint, a subscription delivers only events committed after it began', async () => {
    const controller = new AbortController();
    const iterator = hub.subscribe(platformA, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next();
    await create('platformA', 'EH-LIVE');
    const step = await next;
    controller.abort();
    expect(step.done).toBe(false);
    expect(step.value).toMatchObject({ event: 'ConsignmentCreated', data: { consignmentId: 'EH-LIVE' } });
  });

  it('position: by default the chain height, from which a stream opened later still delivers what was committed meanwhile', async () => {
    const from = await hub.position({ signal: new AbortController().signal });
    expect(from).toBe(String(ledger.height()));
    await create('platformA', 'EH-POS');
    const events = await read(platformA, { lastEventId: from! }, () => true);
    expect(events.map((e) => e.data.consignmentId)).toEqual(['EH-POS']);
    expect(BigInt(events[0]!.id.split(':')[0]!)).toBeGreaterThanOrEqual(BigInt(from!));
  });

  it('position: otherwise the start block or the Last-Event-ID asked for; a malformed id is 400, at once', async () => {
    const { signal } = new AbortController();
    await expect(hub.position({ startBlock: 3n, signal })).resolves.toBe('3');
    const id = `3:${'a'.repeat(64)}:2`;
    await expect(hub.position({ lastEventId: id, startBlock: 5n, signal })).resolves.toBe(id);
    expect(() => hub.position({ lastEventId: '3:', signal })).toThrow(HttpProblem);
  });

  it('position: reads the chain height again while the ledger does not answer, until the signal aborts or the attempts run out', async () => {
    let calls = 0;
    const flaky = {
      events: (options: EventsOptions) => ledger.events(options),
      chainHeight: async () => {
        if (++calls < 3) throw new Error('14 UNAVAILABLE: no peer');
        return 42n;
      },
    } as unknown as LedgerPort;
    const waiting = new EventHub(flaky, network, await freshJoins());
    try {
      await expect(waiting.position({ signal: new AbortController().signal })).resolves.toBe('42');
      expect(calls).toBe(3);
      const controller = new AbortController();
      calls = -100;
      const pending = waiting.position({ signal: controller.signal });
      controller.abort();
      await expect(pending).resolves.toBeUndefined();
      calls = -100;
      await expect(
        waiting.position({ signal: new AbortController().signal, attempts: 2 }),
      ).resolves.toBeUndefined();
      expect(calls).toBe(-98);
    } finally {
      waiting.close();
    }
  });

  it.each(['garbage', '12:', ':' + 'a'.repeat(64), '-1:' + 'a'.repeat(64), '01:' + 'a'.repeat(64)])(
    'refuses the malformed Last-Event-ID %j with 400, before streaming',
    (lastEventId) => {
      let error: unknown;
      try {
        hub.subscribe(customs, { lastEventId, signal: new AbortController().signal });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpProblem);
      expect((error as HttpProblem).status).toBe(400);
    },
  );

  it('refuses a transaction id that is not 64 hex digits', () => {
    expect(() =>
      hub.subscribe(customs, { lastEventId: `3:${'g'.repeat(64)}`, signal: new AbortController().signal }),
    ).toThrow(HttpProblem);
  });

  it('close() ends every subscription', async () => {
    const closing = new EventHub(ledger, network, await freshJoins());
    await closing.start();
    const seen: DeliveredEvent[] = [];
    const done = (async () => {
      for await (const event of closing.subscribe(customs, { signal: new AbortController().signal }))
        seen.push(event);
    })();
    setTimeout(() => closing.close(), 100);
    await done;
    expect(seen).toEqual([]);
  });
});

describe('EventHub with a scripted ledger', () => {
  const tx = (c: string): string => c.repeat(64);
  const event = (
    block: bigint,
    t: string,
    eventName: string,
    data: Record<string, unknown>,
  ): ChaincodeEvent => ({
    blockNumber: block,
    transactionId: tx(t),
    chaincodeName: 'customs',
    eventName,
    payload: Buffer.from(JSON.stringify(data)),
  });

  /** A ledger whose events are a fixed list; the streams numbered in `failing` (from 1) break after one event. */
  function scripted(
    events: ChaincodeEvent[],
    failing: ReadonlySet<number> = new Set(),
  ): LedgerPort & { calls: EventsOptions[] } {
    const calls: EventsOptions[] = [];
    return {
      calls,
      async *events(options: EventsOptions = {}) {
        calls.push(options);
        const fails = failing.has(calls.length);
        let skip = options.afterTransactionId;
        let delivered = 0;
        for (const e of events) {
          if (e.blockNumber < (options.startBlock ?? 0n)) continue;
          if (skip !== undefined && e.blockNumber === options.startBlock) {
            if (e.transactionId === skip) skip = undefined;
            continue;
          }
          if (fails && delivered === 1) throw new Error('stream broken');
          delivered++;
          yield e;
        }
        await new Promise((resolve) => options.signal?.addEventListener('abort', resolve));
      },
    } as unknown as LedgerPort & { calls: EventsOptions[] };
  }

  // One block where the carrier joins between other events of the same consignment.
  const block: ChaincodeEvent[] = [
    event(1n, 'a', 'ConsignmentCreated', { consignmentId: 'X', createdBy: 'PlatformAMSP' }),
    event(2n, 'b', 'RecordSubmitted', { consignmentId: 'X', kind: 'order', submittedBy: 'PlatformAMSP' }),
    event(2n, 'c', 'RecordSubmitted', { consignmentId: 'X', kind: 'logistics', submittedBy: 'PostMSP' }),
    event(2n, 'd', 'RecordSubmitted', { consignmentId: 'X', kind: 'payment', submittedBy: 'PaymentMSP' }),
    event(2n, 'e', 'MovementRecorded', { consignmentId: 'X', type: 'dispatched' }),
    event(3n, 'f', 'PersonalDataAccessed', { subjectType: 'consignment', subjectId: 'X', mspId: 'PostMSP' }),
    event(3n, '1', 'PartyRegistered', { partyId: tx('9'), registeredBy: 'PlatformAMSP' }),
    event(4n, '2', 'TrustedTraderSet', { partyId: tx('9'), trusted: true }),
    event(4n, '0', 'PersonalDataAccessed', { subjectType: 'party', subjectId: tx('9'), mspId: 'CustomsMSP' }),
    event(4n, '3', 'PartyFlagged', {}),
  ];
  const payment = principal('payment-operator', 'PaymentMSP', 'payment');

  /**
   * How long a view listens: a scripted stream never ends, so a view is what arrived by then. With
   * 300 ms a view once received nothing at all on a busy two-core machine (a full CI run, session 33).
   */
  const LISTEN_MS = 1_000;

  async function view(
    ledger: LedgerPort,
    who: Principal,
    options: { lastEventId?: string; startBlock?: bigint } = { startBlock: 0n },
    timeoutMs = LISTEN_MS,
    joins?: JoinStore,
  ): Promise<string[]> {
    const scriptedHub = new EventHub(ledger, network, joins ?? (await freshJoins()));
    try {
      // The index's stream is the ledger's first (it opens once it has read its store).
      await scriptedHub.start();
      while ((ledger as Partial<{ calls: unknown[] }>).calls?.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const controller = new AbortController();
      const seen: string[] = [];
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      for await (const e of scriptedHub.subscribe(who, { ...options, signal: controller.signal })) {
        seen.push(`${e.id.slice(0, e.id.indexOf(':') + 2)} ${e.event}`);
      }
      clearTimeout(timer);
      return seen;
    } finally {
      scriptedHub.close();
    }
  }

  // The post read the consignment's personal data at 3:f, and customs the party's at 4:0: the
  // consignment's participants are told, as they may read its access log; the party's registrant
  // is not, as it may read its own reads only.
  it('within a block, an organisation sees a consignment from the event by which it joined', async () => {
    expect(await view(scripted(block), post)).toEqual([
      '2:c RecordSubmitted',
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
    ]);
    expect(await view(scripted(block), payment)).toEqual([
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
    ]);
    expect(await view(scripted(block), platformA)).toEqual([
      '1:a ConsignmentCreated',
      '2:b RecordSubmitted',
      '2:c RecordSubmitted',
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
      '3:1 PartyRegistered',
      '4:2 TrustedTraderSet',
    ]);
    expect(await view(scripted(block), platformB)).toEqual([]);
    expect(await view(scripted(block), customs)).toHaveLength(block.length);
  });

  it('a trusted-operator status goes to the organisation it names, and to customs and auditors', async () => {
    const events = [event(1n, 'a', 'TrustedOperatorSet', { mspId: 'PostMSP', trusted: true })];
    expect(await view(scripted(events), post)).toEqual(['1:a TrustedOperatorSet']);
    expect(await view(scripted(events), platformA)).toEqual([]);
    expect(await view(scripted(events), customs)).toEqual(['1:a TrustedOperatorSet']);
  });

  it('the carrier a return names sees that return’s events from its request on, and no other of the consignment', async () => {
    const express = principal('express-operator', 'ExpressMSP', 'express');
    const returns = [
      ...block,
      event(5n, '4', 'ReturnRequested', { consignmentId: 'X', returnId: 'R1', carrierMspId: 'ExpressMSP' }),
      event(5n, '5', 'ReturnRequested', { consignmentId: 'X', returnId: 'R2', carrierMspId: 'PostMSP' }),
      event(6n, '6', 'ReturnShipped', { consignmentId: 'X', returnId: 'R1', carrierMspId: 'ExpressMSP', trackingNumber: 'EX1' }),
      event(6n, '7', 'ReturnShipped', { consignmentId: 'X', returnId: 'R2', carrierMspId: 'PostMSP', trackingNumber: 'RR2' }),
      event(6n, '8', 'MovementRecorded', { consignmentId: 'X', type: 'delivered' }),
      event(7n, '9', 'ReturnDecided', { consignmentId: 'X', returnId: 'R1', outcome: 'refused', status: 'returned' }),
      // Another consignment's return of the same id.
      event(7n, 'a', 'ReturnDecided', { consignmentId: 'Y', returnId: 'R1', outcome: 'refused', status: 'returned' }),
    ]; // prettier-ignore
    expect(await view(scripted(returns), express)).toEqual([
      '5:4 ReturnRequested',
      '6:6 ReturnShipped',
      '7:9 ReturnDecided',
    ]);
    expect(await view(scripted(returns), post)).toEqual(expect.arrayContaining(['5:5 ReturnRequested', '6:6 ReturnShipped', '7:9 ReturnDecided']));
  }); // prettier-ignore

  it('resuming mid-block judges events exactly as the unbroken stream does', async () => {
    expect(await view(scripted(block), post, { lastEventId: `2:${tx('c')}` })).toEqual([
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
    ]);
    expect(await view(scripted(block), payment, { lastEventId: `2:${tx('b')}` })).toEqual([
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
    ]);
  });

  it('reopens a broken ledger stream where it stopped, and subscribers wait for the index', async () => {
    // Streams 1 and 3 are the index's (2 is the subscriber's): it breaks twice.
    const ledgerWithFailures = scripted(block, new Set([1, 3]));
    expect(await view(ledgerWithFailures, post, { startBlock: 0n }, 3_000)).toEqual([
      '2:c RecordSubmitted',
      '2:d RecordSubmitted',
      '2:e MovementRecorded',
      '3:f PersonalDataAccessed',
    ]);
    expect(ledgerWithFailures.calls.map((c) => [c.startBlock, c.afterTransactionId])).toEqual([
      [0n, undefined],
      [0n, undefined],
      [1n, tx('a')],
      [2n, tx('b')],
    ]);
  });

  it('a hub on a store that has learnt the ledger takes up after its checkpoint, and judges as before', async () => {
    const joins = await freshJoins();
    const first = await view(scripted(block), post, { startBlock: 0n }, LISTEN_MS, joins);
    const again = scripted(block);
    expect(await view(again, post, { startBlock: 0n }, LISTEN_MS, joins)).toEqual(first);
    // The subscriber's stream from 0; the index's: the ledger's first event (is it the same
    // ledger?), then on from block 4, the last block it had seen, whose end it could not know.
    expect(again.calls.map((c) => String(c.startBlock)).sort()).toEqual(['0', '0', '4']);
  });

  it('forgets a store learnt from another ledger and learns this one from block 0', async () => {
    const joins = await freshJoins();
    await view(scripted(block), platformA, { startBlock: 0n }, LISTEN_MS, joins);
    // A re-created network: the same consignment id, created by another platform.
    const other = [
      event(1n, '5', 'ConsignmentCreated', { consignmentId: 'X', createdBy: 'PlatformBMSP' }),
      event(2n, '6', 'MovementRecorded', { consignmentId: 'X', type: 'dispatched' }),
    ];
    expect(await view(scripted(other), platformA, { startBlock: 0n }, LISTEN_MS, joins)).toEqual([]);
    expect(await view(scripted(other), platformB, { startBlock: 0n }, LISTEN_MS, joins)).toEqual([
      '1:5 ConsignmentCreated',
      '2:6 MovementRecorded',
    ]);
  });
});

describe('the hub’s own signal, which lives as long as the hub', () => {
  /** Node keeps the signals combined with a signal by AbortSignal.any here, and never prunes them (v20). */
  const dependants = (signal: AbortSignal): number => {
    const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
    return symbol === undefined
      ? 0
      : ((signal as unknown as Record<symbol, Set<unknown>>)[symbol]?.size ?? 0);
  };

  it('holds nothing for streams and position reads that have ended', async () => {
    const own = new EventHub(ledger, network, await freshJoins());
    await own.start();
    try {
      const [listeners, combined] = [getEventListeners(own.closing, 'abort').length, dependants(own.closing)];
      for (let i = 0; i < 200; i++) {
        const controller = new AbortController();
        const stream = own.subscribe(customs, { signal: controller.signal })[Symbol.asyncIterator]();
        const next = stream.next();
        controller.abort();
        await next;
        await own.position({ signal: new AbortController().signal, startBlock: undefined, attempts: 1 });
      }
      expect(getEventListeners(own.closing, 'abort')).toHaveLength(listeners);
      expect(dependants(own.closing)).toBe(combined);
    } finally {
      own.close();
    }
  });
});

describe('waiting for the index', () => {
  it('leaves nothing on a long-lived subscription’s signal once the wait is over, and ends on abort', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 100; i++) await untilAborted(Promise.resolve(), controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const waiting = untilAborted(new Promise<void>(() => {}), controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await waiting;
  });
});
