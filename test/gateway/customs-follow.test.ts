/**
 * Customs' automatic pipeline follows the event stream and keeps its state in the gateway's store
 * (services/customs-pipeline-state.ts): where it is in the stream, and the consignments it took from
 * the stream but has not dealt with. What a stop, a ledger that cannot take an assessment now, or a
 * failed subscription interrupts is taken up again, so that no complete consignment is left
 * unassessed. A real embedded ledger, event hub, gateway store and services; customs' own calls go
 * through a door that the tests can shut, as a peer that is down would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { Principal } from '../../gateway/src/auth/principal.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { EnrollingIdentityProvider } from '../../gateway/src/ledger/identities.js';
import {
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  type LedgerPort,
} from '../../gateway/src/ledger/port.js';
import { createMetrics } from '../../gateway/src/observability/metrics.js';
import { ConsignmentService } from '../../gateway/src/services/consignment-service.js';
import { StoredPipelineState } from '../../gateway/src/services/customs-pipeline-state.js';
import { CustomsService } from '../../gateway/src/services/customs-service.js';
import { EventHub } from '../../gateway/src/services/event-hub.js';
import { JoinStore } from '../../gateway/src/services/join-store.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { ledgerWith } from '../support/ledger-with.js';
import { testRuleSet } from '../support/customs-config.js';
import {
  createPayload,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  testKeys,
} from '../support/payloads.js';

let dataDir: string;
let ledger: EmbeddedLedger;
let network: NetworkConfig;
let store: GatewayStore;
let customs: CustomsService;
let traders: ConsignmentService;
let state: StoredPipelineState;
/** The transaction id of the ledger's first event: the ledger the kept state is of. */
let origin: string;
/**
 * While shut, customs' own ledger calls fail as they do when its peer is down; with `only`, just
 * that transaction's (an assessment that times out every time, while everything else goes through).
 */
const door: {
  shut: boolean;
  only?: string;
  afterSubmit?: (transaction: string, args: readonly (string | Uint8Array)[]) => Promise<void>;
} = { shut: false };
const refused = (name: string) => door.shut && (door.only === undefined || door.only === name);
/** What customs' pipeline logged, and the metrics it counted on. */
const logs: Record<string, unknown>[] = [];
const metrics = createMetrics();

const principal = (mspId: string, orgRole: Principal['orgRole'], role = 'operator'): Principal => ({
  user: `${role}-${mspId}`,
  mspId,
  orgRole,
  role,
  authMethod: 'api-key',
});
const platform = principal('PlatformAMSP', 'platform');
const payment = principal('PaymentMSP', 'payment');
const post = principal('PostMSP', 'post');
const officer = principal('CustomsMSP', 'customs', 'officer');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'customs-follow-'));
  ({ ledger, network } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  store = await openGatewayStore(join(dataDir, 'gateway-store'));
  state = new StoredPipelineState(store);
  for await (const event of ledger.events({ startBlock: 0n })) {
    origin = event.transactionId;
    break;
  }
  const identities = new EnrollingIdentityProvider(ledger);
  const unavailable = () =>
    new GatewayError(GrpcStatus.UNAVAILABLE, 'failed to find any endorsing peers for org(s): CustomsMSP');
  const customsLedger = ledgerWith(ledger, {
    // What happens on the ledger between customs' transaction and its next one: `afterSubmit`.
    submit: async (...args) => {
      if (refused(args[1])) throw unavailable();
      const submitted = await ledger.submit(...args);
      await door.afterSubmit?.(args[1], args[2]?.arguments ?? []);
      return submitted;
    },
    evaluate: (...args) => (refused(args[1]) ? Promise.reject(unavailable()) : ledger.evaluate(...args)),
  });
  customs = new CustomsService(
    new LedgerClient(customsLedger, identities),
    network,
    pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    metrics,
  );
  await customs.configure();
  // Every parcel waits for an officer: an automatic release would not change what is tested.
  traders = new ConsignmentService(new LedgerClient(ledger, identities), network);
});
afterAll(async () => {
  await ledger?.close();
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** One run of customs' gateway: follows until `whileRunning` is done, then stops as the gateway does. */
async function run(whileRunning: () => Promise<void>, hubLedger: LedgerPort = ledger): Promise<void> {
  const hub = new EventHub(hubLedger, network, new JoinStore(store));
  await hub.start();
  const following = customs.follow(hub, state);
  try {
    await whileRunning();
  } finally {
    hub.close();
    await following;
  }
}

/** A consignment with order, payment and logistics: complete, so customs assesses it. */
async function complete(id: string): Promise<void> {
  const orderNumber = `ORD-${id}`;
  await traders.create(platform, createPayload(id));
  await traders.submitRecord(platform, id, 'order', orderPayload(orderNumber));
  await traders.submitRecord(payment, id, 'payment', paymentPayload(orderNumber, `PAY-${id}`));
  await traders.submitRecord(post, id, 'logistics', logisticsPayload(orderNumber, testKeys(id).trackingNumber));
} // prettier-ignore

/** Runs the pipeline until it has kept a stream position: it then reads from there what is made after. */
const keepPosition = (): Promise<void> =>
  run(async () => {
    await vi.waitFor(async () => expect((await state.load(origin)).position).toBeDefined());
  });

/** The consignment's assessments, as its history lists them. */
const assessments = async (id: string) =>
  (await traders.history(officer, id, {})).entries.filter((e) => e.type === 'assessed');

const assessed = (id: string): Promise<boolean> =>
  customs.getAssessment(officer, id).then(
    () => true,
    () => false,
  );

describe('customs’ automatic pipeline', () => {
  it('keeps where it started before any event, so that what is committed after a stop is still seen', async () => {
    const height = ledger.height();
    // Stopped before any event: it has still kept its starting position, the chain height.
    await keepPosition();
    expect(await state.load(origin)).toEqual({ position: String(height), pending: [] });

    await complete('FOLLOW-1');
    // Started again: it takes up from there, and assesses the consignment completed while it was stopped.
    await run(async () => {
      await vi.waitFor(async () => expect(await assessed('FOLLOW-1')).toBe(true), { timeout: 10_000 });
      // Each of its records was a trigger: off the list once the last one is dealt with.
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    });
  });

  it('tries again, within the run, a consignment the ledger could not take at first', async () => {
    await run(async () => {
      door.shut = true;
      await complete('FOLLOW-2');
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual(['FOLLOW-2']));
      await new Promise((resolve) => setTimeout(resolve, 300));
      door.shut = false;
      await vi.waitFor(async () => expect(await assessed('FOLLOW-2')).toBe(true), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    });
  });

  it('keeps a consignment it could not deal with before a stop, and assesses it at the next start', async () => {
    await run(async () => {
      door.shut = true;
      await complete('FOLLOW-3');
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual(['FOLLOW-3']));
    });
    door.shut = false;
    expect(await assessed('FOLLOW-3')).toBe(false);
    // Its event is behind the kept position: only the kept list brings it back.
    await run(async () => {
      await vi.waitFor(async () => expect(await assessed('FOLLOW-3')).toBe(true), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    });
  });

  it('drops what it kept for another ledger, and reads this one from its first block', async () => {
    // As a Fabric network re-created under a kept data directory leaves it: a position far ahead
    // and a consignment on the list, of a ledger whose first event was another transaction.
    await state.load('f'.repeat(64));
    await state.advance('999999', ['GHOST-1']);
    await complete('FOLLOW-5');
    await run(async () => {
      await vi.waitFor(async () => expect(await assessed('FOLLOW-5')).toBe(true), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    });
  });

  it('opens its subscription again after it failed, from the last event it took', async () => {
    let failures = 0;
    // The hub's own index reads the ledger first; customs' subscription is the second stream.
    let streams = 0;
    const failingOnce = ledgerWith(ledger, {
      events: (options) => {
        if (++streams !== 2) return ledger.events(options);
        failures++;
        // eslint-disable-next-line require-yield
        return (async function* () {
          throw new GatewayError(7, 'access denied');
        })();
      },
    });
    await run(async () => {
      await complete('FOLLOW-4');
      await vi.waitFor(async () => expect(await assessed('FOLLOW-4')).toBe(true), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    }, failingOnce);
    expect(failures).toBe(1);
  });

  it('records for the officers a consignment whose assessment the ledger never takes, and keeps trying', async () => {
    const queued = async () =>
      (
        (await customs.workQueue(officer, { limit: 200 })) as {
          items: { consignmentId: string; releasable: boolean; assessmentFailed: unknown }[];
        }
      ).items.find((i) => i.consignmentId === 'FOLLOW-6');
    await run(async () => {
      Object.assign(door, { shut: true, only: 'customs:assess' });
      try {
        await complete('FOLLOW-6');
        // Five tries, 1 + 2 + 4 + 8 s apart: then on the ledger, for the officers.
        await vi.waitFor(
          async () =>
            expect(await queued()).toMatchObject({
              releasable: false,
              assessmentFailed: { code: 'LEDGER_UNAVAILABLE', failures: 1 },
            }),
          { timeout: 30_000, interval: 250 },
        );
        expect(logs).toContainEqual(
          expect.objectContaining({ level: 50, consignmentId: 'FOLLOW-6', code: 'LEDGER_UNAVAILABLE' }),
        );
        expect(await metrics.render()).toMatch(
          /^customs_assessment_failures_total\{code="LEDGER_UNAVAILABLE"\} 1$/m,
        );
        // Still on the stored list: it is tried again, whatever a stop would interrupt.
        expect((await state.load(origin)).pending).toEqual(['FOLLOW-6']);
      } finally {
        Object.assign(door, { shut: false, only: undefined });
      }
      // A corrected order brings it forward: assessed, which takes the failure off.
      await traders.submitRecord(platform, 'FOLLOW-6', 'order', orderPayload('ORD-FOLLOW-6'));
      await vi.waitFor(async () => expect(await queued()).toMatchObject({ assessmentFailed: null }), {
        timeout: 10_000,
      });
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 10_000,
      });
    });
  }, 60_000);

  it('records no failed assessment when an officer decides between an assessment and its automatic release', async () => {
    const id = 'FOLLOW-7';
    const orderNumber = `ORD-${id}`;
    // No parcel picked at random: this one's assessment allows an automatic release.
    await customs.putRuleSet(officer, testRuleSet('follow-race'));
    const outcome = () =>
      logs.find(
        (l) => l.consignmentId === id && /^automatic (release refused|assessment failed)/.test(String(l.msg)),
      );
    await run(async () => {
      door.afterSubmit = async (transaction, args) => {
        if (transaction !== 'customs:assess' || args[0] !== id) return;
        door.afterSubmit = undefined;
        await traders.recordDecision(officer, id, { decision: 'hold', reasonCodes: ['MANUAL'] });
      };
      try {
        // The declaration before the logistics: the first assessment is the releasable one.
        await traders.create(platform, createPayload(id));
        // A seller and a buyer of their own (no earlier parcels to add up), the buyer paying: the
        // three-way match passes.
        const order = {
          ...orderPayload(orderNumber),
          seller: { id: randomBytes(32).toString('hex'), name: 'Seller 7' },
        };
        const document = { type: 'passport', number: `P-${id}`, country: 'FR' };
        const buyer = { id: randomBytes(32).toString('hex'), name: order.buyer.name, document };
        const paid = paymentPayload(orderNumber, `PAY-${id}`);
        await traders.submitRecord(platform, id, 'order', { ...order, buyer });
        await traders.submitRecord(payment, id, 'payment', {
          ...paid,
          payer: { name: buyer.name, document },
        });
        await traders.submitRecord(platform, id, 'declaration', declarationPayload());
        await traders.submitRecord(
          post,
          id,
          'logistics',
          logisticsPayload(orderNumber, testKeys(id).trackingNumber),
        );
        await vi.waitFor(() => expect(outcome()).toBeDefined(), { timeout: 15_000 });
      } finally {
        door.afterSubmit = undefined;
      }
    });
    expect(outcome()).toMatchObject({
      level: 30,
      msg: 'automatic release refused: the consignment changed after its assessment',
    });
    const history = await traders.history(officer, id, {});
    expect(history.entries.map((e) => e.type)).toEqual(expect.arrayContaining(['assessed', 'decision_hold']));
    expect(history.entries.map((e) => e.type)).not.toContain('assessment_failed');
  }, 30_000);

  it('assesses once when the ledger did not confirm its assessment and then did not answer for a while', async () => {
    const id = 'FOLLOW-8';
    const failedTries = () =>
      logs.filter(
        (l) => l.consignmentId === id && l.msg === 'automatic assessment failed; it will be tried again',
      );
    await run(async () => {
      door.afterSubmit = async (transaction, args) => {
        if (transaction !== 'customs:assess' || args[0] !== id) return;
        door.afterSubmit = undefined;
        // Committed, but not confirmed; and the next try fails before it proposes anything.
        Object.assign(door, { shut: true, only: 'consignment:get' });
        throw new OutcomeUnknownError(GrpcStatus.UNAVAILABLE, 'the commit was not confirmed (injected)');
      };
      try {
        await complete(id);
        await vi.waitFor(() => expect(failedTries()).toHaveLength(2), { timeout: 15_000, interval: 100 });
      } finally {
        door.afterSubmit = undefined;
        Object.assign(door, { shut: false, only: undefined });
      }
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 15_000,
      });
    });
    expect(failedTries()).toHaveLength(2);
    expect(await assessments(id)).toHaveLength(1);
  }, 40_000);

  it('assesses once when the ledger did not confirm its assessment and the events of the records it read come after', async () => {
    const id = 'FOLLOW-9';
    // A position kept before the records are made (the first test keeps one too; not when run alone).
    await keepPosition();
    // Made while the pipeline is stopped, it then reads the three records' events one after the
    // other, as under load: the first starts a try that finds all three, the others come during it.
    await complete(id);
    let unconfirmed = false;
    await run(async () => {
      door.afterSubmit = async (transaction, args) => {
        if (transaction !== 'customs:assess' || args[0] !== id) return;
        door.afterSubmit = undefined;
        unconfirmed = true;
        throw new OutcomeUnknownError(GrpcStatus.UNAVAILABLE, 'the commit was not confirmed (injected)');
      };
      try {
        await vi.waitFor(() => expect(unconfirmed).toBe(true), { timeout: 15_000, interval: 100 });
        await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
          timeout: 15_000,
        });
      } finally {
        door.afterSubmit = undefined;
      }
    });
    expect(await assessments(id)).toHaveLength(1);
  }, 40_000);

  it('assesses once when the events of the records its assessment read come after it was assessed', async () => {
    const id = 'FOLLOW-10';
    await keepPosition();
    await complete(id);
    // Customs' subscription (the second stream; the hub's index reads the first) holds back the
    // payment's and the logistics' events until the consignment is assessed on the order's.
    let streams = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const late = ledgerWith(ledger, {
      events: (options) => {
        if (++streams !== 2) return ledger.events(options);
        return (async function* () {
          for await (const event of ledger.events(options)) {
            const data = JSON.parse(Buffer.from(event.payload).toString('utf8')) as Record<string, unknown>;
            const held = data.consignmentId === id && ['payment', 'logistics'].includes(String(data.kind));
            if (held) await released;
            yield event;
          }
        })();
      },
    });
    await run(async () => {
      await vi.waitFor(async () => expect(await assessed(id)).toBe(true), { timeout: 15_000 });
      release();
      await vi.waitFor(async () => expect((await state.load(origin)).pending).toEqual([]), {
        timeout: 15_000,
      });
    }, late);
    expect(await assessments(id)).toHaveLength(1);
  }, 40_000);
});
