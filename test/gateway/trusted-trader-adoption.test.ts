/**
 * Customs' gateway adopting the public trusted-trader statuses of before chaincode 1.12: tried at
 * start, tried again while the ledger cannot take it, once only, and a second gateway's try taken
 * for done. On the embedded ledger, whose customs peer the tests take down and bring back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkConfig, TrustedTraderAdoption } from '@customs-ledger/chaincode';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { EnrollingIdentityProvider } from '../../gateway/src/ledger/identities.js';
import { customsServiceUser } from '../../gateway/src/services/customs-service.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import { PublicTrustedTraderAdoption } from '../../gateway/src/services/trusted-trader-adoption.js';
import { eventually } from '../support/parcel.js';
import { writeAsBefore112 } from '../support/ledger-before-1.12.js';

const SELLER = '5'.repeat(64);

let dataDir: string;
let ledger: EmbeddedLedger;
let network: NetworkConfig;
let client: LedgerClient;
const logs: { msg: string; retryInMs?: number }[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

interface Adoption {
  adoption: TrustedTraderAdoption | null;
}
const adoption = async () =>
  (await client.evaluate<Adoption>(customsServiceUser(network), 'party:trustedTraders', [])).adoption;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'adoption-retry-'));
  await writeAsBefore112(dataDir, {
    trustedTraders: [{ partyId: SELLER, trusted: true, reference: 'AEO-CN-RETRY' }],
  });
  ({ ledger, network } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  client = new LedgerClient(ledger, new EnrollingIdentityProvider(ledger));
});
afterAll(async () => {
  await ledger?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the adoption by customs’ gateway', () => {
  it('with customs’ peer down, start does not wait for it: it says so and tries again until it is made', async () => {
    ledger.setPeerAvailable(network.customsMspId, false);
    const first = new PublicTrustedTraderAdoption(client, network, logger, 50);
    try {
      await first.start();
      expect(logs).toContainEqual(
        expect.objectContaining({
          msg: expect.stringMatching(/^could not adopt the public trusted-trader statuses/),
          retryInMs: 50,
        }),
      );
      ledger.setPeerAvailable(network.customsMspId, true);
      const made = await eventually(adoption, (a) => a !== null);
      expect(made).toMatchObject({ adopted: [SELLER] });
      expect(logs).toContainEqual(
        expect.objectContaining({
          msg: expect.stringMatching(/^adopted the public trusted-trader statuses/),
        }),
      );
    } finally {
      first.stop();
      ledger.setPeerAvailable(network.customsMspId, true);
    }
  });

  it('another gateway’s start finds it made: no second adoption, nothing logged as failing', async () => {
    const made = await adoption();
    const height = ledger.height();
    logs.length = 0;
    const second = new PublicTrustedTraderAdoption(client, network, logger, 50);
    await second.start();
    second.stop();
    expect(ledger.height()).toBe(height);
    expect(await adoption()).toEqual(made);
    expect(logs).toEqual([]);
  });
});
