import { readFile } from 'node:fs/promises';
import { Contract, type Context } from 'fabric-contract-api';
import { contracts, parseNetworkConfig } from '@customs-ledger/chaincode';
import { openEmbeddedLedger, openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';

const NETWORK_CONFIG = 'config/organisations.json';
const COLLECTIONS_CONFIG = 'chaincode/collections_config.json';

/**
 * What chaincode before 1.12 wrote for a trusted-trader status: a public key `trusted` [partyId]
 * with the record itself, under the chaincode's "any two". Altered chaincode on two peers could
 * write the same, which is why 1.12 keeps the status in customs' collection; this contract writes
 * such keys, faithfully or not, as a ledger of before 1.12 (or two colluding peers) would hold them.
 */
class PublicTrustedTraders extends Contract {
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
 * Writes public trusted-trader keys into the embedded ledger in `dataDir` (a new one gets its
 * organisation registry first), endorsed by a platform's and a post's peers, with no gateway
 * running: the ledger is closed again when this returns.
 */
export async function writePublicTrustedTraders(
  dataDir: string,
  writes: readonly PublicTrustedTraderWrite[],
): Promise<void> {
  const options = { dataDir, networkConfigPath: NETWORK_CONFIG, collectionsConfigPath: COLLECTIONS_CONFIG };
  await (await openEmbeddedNetwork(options)).ledger.close();
  const network = parseNetworkConfig(JSON.parse(await readFile(NETWORK_CONFIG, 'utf8')));
  const ledger = await openEmbeddedLedger(options, network, {
    name: network.chaincode,
    contracts: [...contracts, PublicTrustedTraders],
  });
  try {
    const writer = await ledger.enrolUser('PlatformAMSP', 'before112-writer', { role: 'operator' });
    for (const write of writes) {
      const [fn, args] =
        'raw' in write
          ? ['putRaw', [write.partyId, write.raw]]
          : [
              'setTrustedTrader',
              [write.partyId, String(write.trusted), write.reference, write.setBy ?? 'CustomsMSP'],
            ];
      await ledger.submit(writer, `before112:${fn}`, {
        arguments: args,
        endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
      });
    }
  } finally {
    await ledger.close();
  }
}
