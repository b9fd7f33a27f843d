/**
 * The ledger port on a real Fabric network (run by `npm run test:fabric`, which brings the network
 * up and sets LEDGER=fabric): the same calls the gateway's services make, through the Fabric adapter.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileCheckpoint } from '../../gateway/src/ledger/fabric/checkpoint.js';
import { FabricLedger } from '../../gateway/src/ledger/fabric/fabric-ledger.js';
import {
  chaincodeMessage,
  CommitError,
  EndorseError,
  GatewayError,
  TxValidationCode,
  type ChaincodeEvent,
  type ClientIdentity,
  type SubmitResult,
} from '../../gateway/src/ledger/port.js';
import { orderPayload, PERSONAL } from '../support/payloads.js';
import { auditTreeHeadMessage, type AnchorPage, type AuditAnchor } from '@customs-ledger/chaincode';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROFILE_DIR = process.env.FABRIC_PROFILE_DIR ?? join(root, 'network', 'organizations', 'gateway');
const OPERATOR_MSP = process.env.GATEWAY_MSP ?? 'CustomsMSP';
const PLATFORM_MSP = 'PlatformAMSP';
const CUSTOMS_MSP = 'CustomsMSP';

const decode = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString('utf8'));

describe.skipIf(process.env.LEDGER !== 'fabric')('the ledger port on Fabric', () => {
  let ledger: FabricLedger;
  let platform: ClientIdentity;
  let governance: ClientIdentity;
  let checkpointDir: string;
  const id = `CN-FAB-${randomBytes(6).toString('hex')}`;
  const orderNumber = `ORD-${id}`;
  let created: SubmitResult;
  let ordered: SubmitResult;

  beforeAll(async () => {
    checkpointDir = await mkdtemp(join(tmpdir(), 'fabric-scenario-'));
    ledger = await FabricLedger.open({
      profileDir: PROFILE_DIR,
      mspId: OPERATOR_MSP,
      checkpointFile: join(checkpointDir, 'events.json'),
    });
    const identities = ledger.identityProvider();
    platform = await identities.identityFor({
      user: 'platforma-operator',
      mspId: PLATFORM_MSP,
      role: 'operator',
    });
    governance = await identities.identityFor({
      user: 'customs-governance',
      mspId: CUSTOMS_MSP,
      role: 'governance',
    });
    // The organisation registry is initialised once per channel (network.sh deploy may have done it).
    try {
      await ledger.evaluate(governance, 'org:listOrganisations');
    } catch (error) {
      const refusal = error instanceof GatewayError ? chaincodeMessage(error) : undefined;
      if (!refusal?.startsWith('organisation registry is not initialised')) throw error;
      const config =
        ledger.profiles.network.organisationsConfig ?? join(root, 'config', 'organisations.json');
      await ledger.submit(governance, 'org:init', { arguments: [await readFile(config, 'utf8')] });
    }
  });

  afterAll(async () => {
    await ledger?.close();
    if (checkpointDir) await rm(checkpointDir, { recursive: true, force: true });
  });

  it('creates a consignment', async () => {
    created = await ledger.submit(platform, 'consignment:create', {
      arguments: [id, JSON.stringify({ orderNumber, originCountry: 'CN', destinationCountry: 'FR' })],
    });
    expect(created.transactionId).toMatch(/^[0-9a-f]{64}$/);
    expect(created.blockNumber).toBeGreaterThan(0n);
    expect(decode(created.result)).toMatchObject({
      consignmentId: id,
      status: 'created',
      createdBy: PLATFORM_MSP,
    });
    // The chain height (qscc GetChainInfo on the operator's peer, which may commit a moment later).
    await vi.waitFor(async () => expect(await ledger.chainHeight()).toBeGreaterThan(created.blockNumber));
  });

  it('submits an order as transient data, endorsed by the platform and customs', async () => {
    ordered = await ledger.submit(platform, 'consignment:submitOrder', {
      arguments: [id],
      transientData: {
        payload: Buffer.from(JSON.stringify(orderPayload(orderNumber))),
        saltSeed: Buffer.from(randomBytes(32).toString('hex')),
      },
      endorsingOrganizations: [PLATFORM_MSP, CUSTOMS_MSP],
    });
    expect(ordered.blockNumber).toBeGreaterThan(created.blockNumber);
    const text = Buffer.from(ordered.result).toString('utf8');
    expect(decode(ordered.result)).toMatchObject({ kind: 'order', consignmentId: id, version: 1 });
    // The result of a submitted transaction is in the block: it must not carry personal data.
    expect(text).not.toContain(PERSONAL.buyerName);
  });

  it('reads the consignment and, as a collection member, the private order back', async () => {
    const view = decode(await ledger.evaluate(platform, 'consignment:get', { arguments: [id] })) as {
      consignment: { consignmentId: string };
      records: { kind: string; txId: string }[];
    };
    expect(view.consignment.consignmentId).toBe(id);
    expect(view.records).toEqual([expect.objectContaining({ kind: 'order', txId: ordered.transactionId })]);
    // Bound to a committed access record of this user: without one, nothing is handed out.
    const unrecorded = await ledger
      .evaluate(platform, 'consignment:getPrivateRecord', { arguments: [id, 'order', ''] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(unrecorded).toBeInstanceOf(GatewayError);
    expect(chaincodeMessage(unrecorded as GatewayError)).toMatch(/recorded no read of the order record /);
    const read = async (purpose: string) => {
      const access = await ledger.submit(platform, 'consignment:recordAccess', {
        arguments: [id, 'order', purpose],
      });
      return decode(
        await ledger.evaluate(platform, 'consignment:getPrivateRecord', {
          arguments: [id, 'order', access.transactionId],
        }),
      ) as { payload: { buyer?: { name: string } } };
    };
    expect((await read('dispute_resolution')).payload.buyer?.name).toBe(PERSONAL.buyerName);
    // The chaincode hands out only what the access record's purpose needs: an audit sees no buyer.
    expect((await read('audit')).payload).not.toHaveProperty('buyer');
  });

  it('records a platform’s remittance in its collection with customs, where the reconciliation reads it', async () => {
    const remittance = { period: '2026-11', currency: 'EUR', amount: 42.1, reference: `R-${id}` };
    const recorded = await ledger.submit(platform, 'customs:recordRemittance', {
      transientData: {
        payload: Buffer.from(JSON.stringify(remittance)),
        saltSeed: Buffer.from(randomBytes(16).toString('hex')),
      },
      endorsingOrganizations: [PLATFORM_MSP, CUSTOMS_MSP],
    });
    // Its answer is in the block: who recorded it and when, not what.
    expect(decode(recorded.result)).toEqual({
      platformMspId: PLATFORM_MSP,
      recordedAt: expect.any(String),
      txId: recorded.transactionId,
    });
    const officer = await ledger.identityProvider().identityFor({
      user: 'customs-officer',
      mspId: CUSTOMS_MSP,
      role: 'officer',
    });
    const filter = JSON.stringify({ platformMspId: PLATFORM_MSP, period: remittance.period });
    const listed = decode(
      await ledger.evaluate(platform, 'customs:remittances', { arguments: [filter] }),
    ) as { remittances: { reference: string; txId: string }[] };
    expect(listed.remittances).toContainEqual(
      expect.objectContaining({ reference: remittance.reference, txId: recorded.transactionId }),
    );
    const { rows } = decode(
      await ledger.evaluate(officer, 'customs:reconciliation', { arguments: [filter] }),
    ) as { rows: { remittances: number; remitted: number }[] };
    expect(rows).toHaveLength(1);
    expect(rows[0]!.remittances).toBeGreaterThanOrEqual(1);
    expect(rows[0]!.remitted).toBeGreaterThanOrEqual(42.1);
  });

  it('records a carrier’s trusted-operator status in customs’ own collection, endorsed by customs alone', async () => {
    const officer = await ledger.identityProvider().identityFor({
      user: 'customs-officer',
      mspId: CUSTOMS_MSP,
      role: 'officer',
    });
    const status = async () =>
      (
        decode(await ledger.evaluate(officer, 'customs:trustedOperators')) as {
          trustedOperators: { mspId: string; trusted: boolean; txId: string }[];
        }
      ).trustedOperators.find((o) => o.mspId === 'PostMSP');
    for (const trusted of [true, false]) {
      const set = await ledger.submit(officer, 'customs:setTrustedOperator', {
        arguments: ['PostMSP', String(trusted), `AEOF-${id}`],
        endorsingOrganizations: [CUSTOMS_MSP],
      });
      expect(await status()).toMatchObject({ trusted, txId: set.transactionId });
    }
  });

  it('records a seller’s trusted-trader status in customs’ own collection, endorsed by customs alone; customs alone reads it', async () => {
    const officer = await ledger.identityProvider().identityFor({
      user: 'customs-officer',
      mspId: CUSTOMS_MSP,
      role: 'officer',
    });
    interface TrustedTraders {
      trustedTraders: { partyId: string; trusted: boolean; txId: string }[];
      adoption: { txId: string } | null;
    }
    const statuses = async () =>
      decode(await ledger.evaluate(officer, 'party:trustedTraders')) as TrustedTraders;
    // The adoption of the public statuses of before 1.12, which customs' gateway makes at its first
    // start: made here unless a gateway of this run made it, and refused the second time.
    const adopt = () =>
      ledger.submit(officer, 'party:adoptTrustedTraders', { endorsingOrganizations: [CUSTOMS_MSP] });
    if ((await statuses()).adoption === null) await adopt();
    const { adoption } = await statuses();
    const again = await adopt().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toBeInstanceOf(EndorseError);
    expect(chaincodeMessage(again as EndorseError)).toBe(
      `trusted-trader statuses were adopted from the public state already, by ${adoption!.txId}`,
    );

    const seller = randomBytes(32).toString('hex');
    await ledger.submit(platform, 'party:register', {
      arguments: [seller, 'seller', 'verified'],
      transientData: {
        payload: Buffer.from(
          JSON.stringify({
            name: 'Fabric Seller',
            document: { type: 'tax_id', number: `T-${id}`, country: 'CN' },
          }),
        ),
        saltSeed: Buffer.from(randomBytes(16).toString('hex')),
      },
      endorsingOrganizations: [PLATFORM_MSP, CUSTOMS_MSP],
    });
    const set = await ledger.submit(officer, 'party:setTrustedTrader', {
      arguments: [seller, 'true', `AEO-${id}`],
      endorsingOrganizations: [CUSTOMS_MSP],
    });
    expect((await statuses()).trustedTraders).toContainEqual(
      expect.objectContaining({ partyId: seller, trusted: true, txId: set.transactionId }),
    );
    expect(decode(await ledger.evaluate(officer, 'party:get', { arguments: [seller] }))).toMatchObject({
      trusted: { partyId: seller, trusted: true },
    });
    expect(decode(await ledger.evaluate(platform, 'party:get', { arguments: [seller] }))).not.toHaveProperty(
      'trusted',
    );
  });

  it('the organisation registry is under its key-level policy: a change endorsed by two peers other than customs’ is invalid', async () => {
    const before = decode(await ledger.evaluate(governance, 'org:listOrganisations')) as {
      protectedBy: string[];
    };
    expect(before.protectedBy).toEqual([CUSTOMS_MSP]);
    const forged = await ledger
      .submit(governance, 'org:setOrganisation', {
        arguments: ['PostMSP', 'platform', 'Post as a platform'],
        endorsingOrganizations: [PLATFORM_MSP, 'PostMSP'],
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(forged).toBeInstanceOf(CommitError);
    expect((forged as CommitError).code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(decode(await ledger.evaluate(governance, 'org:listOrganisations'))).toEqual(before);
  });

  it('a chaincode refusal is an EndorseError carrying the chaincode message', async () => {
    const error = await ledger
      .submit(platform, 'consignment:create', {
        arguments: [id, JSON.stringify({ originCountry: 'CN', destinationCountry: 'FR' })],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EndorseError);
    const refused = error as EndorseError;
    expect(refused.code).toBe(10);
    expect(refused.message).toMatch(
      /^10 ABORTED: failed to (endorse transaction|collect enough transaction endorsements), see attached details for more info$/,
    );
    expect(refused.details[0]?.message).toMatch(/^chaincode response 500, /);
    expect(chaincodeMessage(refused)).toBe(`consignment ${id} already exists`);

    const missing = await ledger.evaluate(platform, 'consignment:get', { arguments: [`${id}-none`] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(GatewayError);
    expect(missing).not.toBeInstanceOf(EndorseError);
    expect((missing as GatewayError).code).toBe(2);
    expect(chaincodeMessage(missing as GatewayError)).toMatch(/does not exist/);
  });

  it('pages a log’s anchors from the tree size after `after` on the peer', async () => {
    const signer = await ledger.identityProvider().identityFor({
      user: 'customs-service',
      mspId: CUSTOMS_MSP,
      role: 'service',
    });
    const logId = randomBytes(16).toString('hex');
    for (const treeSize of [1, 2, 10]) {
      const head = {
        logId,
        treeSize,
        rootHash: randomBytes(32).toString('hex'),
        timestamp: new Date().toISOString(),
      };
      const signature = Buffer.from(await signer.sign(auditTreeHeadMessage(head))).toString('base64');
      await ledger.submit(signer, 'audit:anchor', {
        arguments: [logId, String(treeSize), head.rootHash, head.timestamp, signature],
      });
    }
    const page = async (request: object) => {
      const answer = decode(
        await ledger.evaluate(platform, 'audit:getAnchors', {
          arguments: [CUSTOMS_MSP, logId, JSON.stringify(request)],
        }),
      ) as AnchorPage;
      return { sizes: answer.anchors.map((a) => a.treeSize), next: answer.next };
    };
    expect(await page({ limit: 1 })).toEqual({ sizes: [1], next: 1 });
    expect(await page({ after: 1, limit: 2 })).toEqual({ sizes: [2, 10], next: null });
    expect(await page({ after: 3 })).toEqual({ sizes: [10], next: null });
    const latest = decode(
      await ledger.evaluate(platform, 'audit:latestAnchor', { arguments: [CUSTOMS_MSP, logId] }),
    ) as AuditAnchor;
    expect(latest.treeSize).toBe(10);
  });

  it('events resume from a persistent checkpoint with no duplicate', async () => {
    const checkpoint = ledger.checkpoint!;
    // First consumer: handles the creation event, checkpoints it, stops.
    for await (const event of ledger.events({ ...checkpoint.position(created.blockNumber) })) {
      await checkpoint.record(event);
      if (event.transactionId === created.transactionId) break;
    }
    expect(checkpoint.position()).toEqual({
      startBlock: created.blockNumber,
      afterTransactionId: created.transactionId,
    });

    // A consumer after a restart: the same file, resumed right after the creation event.
    const reopened = await FileCheckpoint.open(checkpoint.path);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 60_000);
    const delivered: ChaincodeEvent[] = [];
    try {
      for await (const event of ledger.events({ ...reopened.position(), signal: controller.signal })) {
        delivered.push(event);
        await reopened.record(event);
        if (event.transactionId === ordered.transactionId) break;
      }
    } finally {
      clearTimeout(timer);
    }
    const ids = delivered.map((e) => e.transactionId);
    expect(ids).toContain(ordered.transactionId);
    expect(ids).not.toContain(created.transactionId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(delivered.every((e) => e.blockNumber >= created.blockNumber)).toBe(true);
    const order = delivered.find((e) => e.transactionId === ordered.transactionId)!;
    expect(order.blockNumber).toBe(ordered.blockNumber);
    expect(order.chaincodeName).toBe(ledger.chaincode);
    expect(Buffer.from(order.payload).toString('utf8')).not.toContain(PERSONAL.buyerName);
  });
});
