import { readFile } from 'node:fs/promises';
import { Contract, type Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { contracts, parseNetworkConfig } from '@customs-ledger/chaincode';
import { openEmbeddedLedger, openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';

const NETWORK_CONFIG = 'config/organisations.json';
const COLLECTIONS_CONFIG = 'chaincode/collections_config.json';

/**
 * Public state as chaincode before 1.12 wrote it, under the chaincode's "any two" alone:
 * - a trusted-trader status: a key `trusted` [partyId] with the record itself. Altered chaincode on
 *   two peers could write the same, which is why 1.12 keeps the status in customs' collection;
 * - the organisation registry: the network record and a key `org` [mspId] per organisation, without
 *   the key-level policy 1.12 puts on them.
 * This contract writes such keys, faithfully or not, as a ledger of before 1.12 (or two colluding
 * peers) would hold them.
 */
class Before112 extends Contract {
  constructor() {
    super('before112');
  }

  async setTrustedTrader(
    ctx: Context,
    partyId: string,
    trusted: string,
    reference: string,
    setBy: string,
  ): Promise<void> {
    const record = {
      partyId,
      trusted: trusted === 'true',
      reference,
      setBy,
      setAt: ctx.stub.getDateTimestamp().toISOString(),
      txId: ctx.stub.getTxID(),
    };
    await ctx.stub.putState(
      ctx.stub.createCompositeKey('trusted', [partyId]),
      Buffer.from(JSON.stringify(record)),
    );
  }

  async initRegistry(ctx: Context, networkConfigJson: string): Promise<void> {
    const config = parseNetworkConfig(JSON.parse(networkConfigJson));
    const network = {
      channel: config.channel,
      chaincode: config.chaincode,
      customsMspId: config.customsMspId,
      governanceMspIds: config.governanceMspIds,
      initialisedBy: config.customsMspId,
      initialisedAt: ctx.stub.getDateTimestamp().toISOString(),
      txId: ctx.stub.getTxID(),
    };
    await ctx.stub.putState(ctx.stub.createCompositeKey('network', []), Buffer.from(JSON.stringify(network)));
    for (const { mspId, role, name } of config.organisations) {
      const org = Buffer.from(JSON.stringify({ mspId, role, name }));
      await ctx.stub.putState(ctx.stub.createCompositeKey('org', [mspId]), org);
    }
  }

  /** An `org` key with any value, under a key-level policy naming `policyOf` if not empty. */
  async putOrgRaw(ctx: Context, mspId: string, text: string, policyOf: string): Promise<void> {
    const key = ctx.stub.createCompositeKey('org', [mspId]);
    await ctx.stub.putState(key, Buffer.from(text));
    if (policyOf === '') return;
    const policy = new KeyEndorsementPolicy();
    policy.addOrgs('PEER', policyOf);
    await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
  }

  async putRaw(ctx: Context, partyId: string, text: string): Promise<void> {
    await ctx.stub.putState(ctx.stub.createCompositeKey('trusted', [partyId]), Buffer.from(text));
  }
}

export type PublicTrustedTraderWrite =
  | {
      readonly partyId: string;
      readonly trusted: boolean;
      readonly reference: string;
      /** Whom the record names as its setter (1.11 wrote the caller's MSP id, customs'): default CustomsMSP. */
      readonly setBy?: string;
    }
  | { readonly partyId: string; readonly raw: string };

/**
 * Writes public state as chaincode before 1.12 did into the embedded ledger in `dataDir`, endorsed by
 * a platform's and a post's peers, with no gateway running (the ledger is closed again when this
 * returns): the trusted-trader keys of `trustedTraders`, after the organisation registry, which a
 * new ledger gets first: as 1.12 initialises it, or with `unprotectedRegistry` as before 1.12 did,
 * and any `orgKeys` besides.
 */
export async function writeAsBefore112(
  dataDir: string,
  {
    trustedTraders = [],
    unprotectedRegistry = false,
    orgKeys = [],
  }: {
    trustedTraders?: readonly PublicTrustedTraderWrite[];
    unprotectedRegistry?: boolean;
    /** `org` keys the registry did not write, after it: any value, under another policy if `policyOf`. */
    orgKeys?: readonly { mspId: string; raw: string; policyOf?: string }[];
  },
): Promise<void> {
  const options = { dataDir, networkConfigPath: NETWORK_CONFIG, collectionsConfigPath: COLLECTIONS_CONFIG };
  if (!unprotectedRegistry) await (await openEmbeddedNetwork(options)).ledger.close();
  const networkConfig = await readFile(NETWORK_CONFIG, 'utf8');
  const network = parseNetworkConfig(JSON.parse(networkConfig));
  const ledger = await openEmbeddedLedger(options, network, {
    name: network.chaincode,
    contracts: [...contracts, Before112],
  });
  try {
    const writer = await ledger.enrolUser('PlatformAMSP', 'before112-writer', { role: 'operator' });
    const calls: [fn: string, args: string[]][] = unprotectedRegistry
      ? [['initRegistry', [networkConfig]]]
      : [];
    for (const { mspId, raw, policyOf = '' } of orgKeys) calls.push(['putOrgRaw', [mspId, raw, policyOf]]);
    for (const write of trustedTraders) {
      calls.push(
        'raw' in write
          ? ['putRaw', [write.partyId, write.raw]]
          : [
              'setTrustedTrader',
              [write.partyId, String(write.trusted), write.reference, write.setBy ?? 'CustomsMSP'],
            ],
      );
    }
    for (const [fn, args] of calls) {
      await ledger.submit(writer, `before112:${fn}`, {
        arguments: args,
        endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
      });
    }
  } finally {
    await ledger.close();
  }
}
