/**
 * A keyed batch run twice (its first answer lost). In the first run a transaction the ledger cannot
 * take leaves its operations answered 503, and the later rounds are not tried; in the second it
 * commits and defers an operation to a later round, so the runs' later rounds hold different
 * operations. A transaction id names one content: the second run is answered from the first run's
 * transactions only where it submits the same operations, and since the first run stopped at the
 * failed round, nothing it applied is applied again. The batch route's handler over a real embedded
 * network, each run with a new KeyedWrite from the same key, sender and body, as http/route.ts
 * makes them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NetworkConfig } from '@customs-ledger/chaincode';
import { batchRoutes } from '../../gateway/src/api/batch.js';
import type { Principal } from '../../gateway/src/auth/principal.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { EnrollingIdentityProvider } from '../../gateway/src/ledger/identities.js';
import { GatewayError, GrpcStatus } from '../../gateway/src/ledger/port.js';
import { ConsignmentService } from '../../gateway/src/services/consignment-service.js';
import { KeyedWrite } from '../../gateway/src/services/keyed-write.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import { ledgerWith } from '../support/ledger-with.js';
import { declarationPayload, orderPayload } from '../support/payloads.js';

let dataDir: string;
let ledger: EmbeddedLedger;
let network: NetworkConfig;
let service: ConsignmentService;
let readers: LedgerClient;
/** While set, the batch transaction that creates RB-Y1 meets a peer that is down: nothing is ordered. */
const peerDown = { on: false };
const platform: Principal = {
  user: 'operator',
  mspId: 'PlatformAMSP',
  orgRole: 'platform',
  role: 'operator',
  authMethod: 'api-key',
};
const officer: Principal = { ...platform, mspId: 'CustomsMSP', orgRole: 'customs', role: 'officer' };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyed-batch-'));
  ({ ledger, network } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  const identities = new EnrollingIdentityProvider(ledger);
  const flaky = ledgerWith(ledger, {
    submit: (identity, name, options) =>
      peerDown.on && name === 'consignment:batch' && String(options?.arguments?.[0]).includes('RB-Y1')
        ? Promise.reject(new GatewayError(GrpcStatus.UNAVAILABLE, 'failed to find any endorsing peers for org(s): CustomsMSP'))
        : ledger.submit(identity, name, options),
  }); // prettier-ignore
  service = new ConsignmentService(new LedgerClient(flaky, identities), network);
  readers = new LedgerClient(ledger, identities);
  await service.create(platform, {
    consignmentId: 'RB-D',
    orderNumber: 'ORD-RB-D',
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
});
afterAll(async () => {
  await ledger?.close();
  await rm(dataDir, { recursive: true, force: true });
});

type Results = { results: { index: number; status: number; txId?: string; retryAfter?: string }[] };

/** One run of the batch route's handler for this body, as route.ts runs a keyed request. */
const runBatch = async (body: unknown, key: string) =>
  (
    await batchRoutes(service)[0]!.handler!({
      params: undefined,
      query: undefined,
      body,
      requestId: 'keyed-batch',
      audit: () => undefined,
      principal: { ...platform, keyedWrite: new KeyedWrite(platform, key, 'b'.repeat(64)) },
    } as never)
  ).body as Results;

it('answers each operation from the transaction that holds it, and applies nothing twice', async () => {
  // Y2 has Y1's order number: with Y1 in the same round it is deferred to the next one.
  const same = { orderNumber: 'ORD-RB-SAME', originCountry: 'CN', destinationCountry: 'FR' };
  const body = {
    operations: [
      { op: 'create', consignmentId: 'RB-Y1', body: same },
      { op: 'create', consignmentId: 'RB-Y2', body: same },
      { op: 'declaration', consignmentId: 'RB-D', body: declarationPayload() },
      { op: 'order', consignmentId: 'RB-D', body: orderPayload('ORD-RB-D') },
    ],
  };
  peerDown.on = true;
  const first = await runBatch(body, 'batch-key-0001');
  peerDown.on = false;
  // The order, in the next round, is not tried, and is to be sent again as late as the others.
  expect(first.results.map((r) => [r.status, r.retryAfter])).toEqual([
    [503, '2'],
    [503, '2'],
    [503, '2'],
    [503, '2'],
  ]);
  const again = await runBatch(body, 'batch-key-0001');

  expect(again.results.map((r) => r.status)).toEqual([201, 409, 201, 201]);
  // Y2's create is refused now that Y1 holds the order number; it is not reported as made.
  await expect(readers.evaluate(officer, 'consignment:get', ['RB-Y2'])).rejects.toThrow(/does not exist/);
  // Each operation answered 201 is answered with the transaction that wrote it.
  const d = await readers.evaluate<{ records: { kind: string; version: number; txId: string }[] }>(
    officer,
    'consignment:get',
    ['RB-D'],
  );
  const txOf = (kind: string) => d.records.find((r) => r.kind === kind)!.txId;
  expect(again.results[2]!.txId).toBe(txOf('declaration'));
  expect(again.results[3]!.txId).toBe(txOf('order'));
  expect(d.records.find((r) => r.kind === 'order')!.version).toBe(1);
});

it('run again after it all committed, is answered from its transactions and writes nothing', async () => {
  const body = {
    operations: [
      { op: 'create', consignmentId: 'RB-Z1', body: { orderNumber: 'ORD-RB-Z1', originCountry: 'CN', destinationCountry: 'FR' } },
      { op: 'order', consignmentId: 'RB-Z1', body: orderPayload('ORD-RB-Z1') },
      { op: 'create', consignmentId: 'RB-Z2', body: { orderNumber: 'ORD-RB-Z2', originCountry: 'CN', destinationCountry: 'FR' } },
    ],
  }; // prettier-ignore
  const first = await runBatch(body, 'batch-key-0002');
  expect(first.results.map((r) => r.status)).toEqual([201, 201, 201]);
  const height = ledger.height();
  const again = await runBatch(body, 'batch-key-0002');
  expect(again.results).toEqual(first.results);
  expect(ledger.height()).toBe(height);
});
