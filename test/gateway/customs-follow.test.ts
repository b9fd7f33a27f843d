/**
 * Customs' automatic pipeline follows the event stream from a checkpoint it keeps. The first time
 * it has none: it starts "from now", and that position must be kept before any event arrives, or a
 * stop before the first event would start it again at a later "now" and never assess what was
 * committed in between. A real embedded ledger, event hub and gateway store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { EnrollingIdentityProvider } from '../../gateway/src/ledger/identities.js';
import { CustomsService, type EventCheckpoint } from '../../gateway/src/services/customs-service.js';
import { EventHub } from '../../gateway/src/services/event-hub.js';
import { JoinStore } from '../../gateway/src/services/join-store.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';

let dataDir: string;
let ledger: EmbeddedLedger;
let network: NetworkConfig;
let store: GatewayStore;
let customs: CustomsService;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'customs-follow-'));
  ({ ledger, network } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  store = await openGatewayStore(join(dataDir, 'gateway-store'));
  const client = new LedgerClient(ledger, new EnrollingIdentityProvider(ledger));
  customs = new CustomsService(client, network, pino({ level: 'silent' }));
});
afterAll(async () => {
  await ledger?.close();
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** One run of customs' gateway: follows from the checkpoint until stopped; what it saved. */
async function run(checkpoint: { value?: string }, whileRunning: (saved: string[]) => Promise<void>) {
  const saved: string[] = [];
  const hub = new EventHub(ledger, network, new JoinStore(store));
  await hub.start();
  const kept: EventCheckpoint = {
    load: async () => checkpoint.value,
    save: async (eventId) => {
      saved.push(eventId);
      checkpoint.value = eventId;
    },
  };
  const following = customs.follow(hub, kept);
  try {
    await whileRunning(saved);
  } finally {
    hub.close();
    await following;
  }
  return saved;
}

it('keeps where it started before any event, so that what is committed after a stop is still seen', async () => {
  const checkpoint: { value?: string } = {};
  const height = ledger.height();
  // Stopped before any event: it has still kept its starting position, the chain height.
  expect(
    await run(checkpoint, async (saved) => {
      await vi.waitFor(() => expect(saved).toHaveLength(1));
    }),
  ).toEqual([String(height)]);

  const operator = await ledger.enrolUser('PlatformAMSP', 'operator', { role: 'operator' });
  const { transactionId } = await ledger.submit(operator, 'consignment:create', {
    arguments: [
      'FOLLOW-1',
      JSON.stringify({ orderNumber: 'ORD-FOLLOW-1', originCountry: 'CN', destinationCountry: 'FR' }),
    ],
  });

  // Started again: it takes up from there, and sees the consignment created while it was stopped.
  const again = await run(checkpoint, async (saved) => {
    await vi.waitFor(() => expect(saved.some((id) => id.includes(transactionId))).toBe(true));
  });
  expect(again[0]).toMatch(new RegExp(`^\\d+:${transactionId}$`));
});
