/**
 * The benchmarks' cast and result files: on a network without a payment provider (the default
 * Fabric network) the platform takes payments, and figures measured on Fabric never overwrite the
 * embedded ledger's.
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkConfig, type NetworkConfig } from '@customs-ledger/chaincode';
import { readFile } from 'node:fs/promises';
import { castOf, resultFile } from '../../bench/lib/bench-ledger.js';

const embeddedNetwork = async (): Promise<NetworkConfig> =>
  parseNetworkConfig(JSON.parse(await readFile('config/organisations.json', 'utf8')));

const without = (network: NetworkConfig, ...mspIds: string[]): NetworkConfig => ({
  ...network,
  organisations: network.organisations.filter((o) => !mspIds.includes(o.mspId)),
});

describe('the cast of the benchmarks', () => {
  it('is the first organisation of each role, the payment provider included', async () => {
    expect(castOf(await embeddedNetwork())).toEqual({
      platform: 'PlatformAMSP',
      payment: 'PaymentMSP',
      post: 'PostMSP',
      customs: 'CustomsMSP',
    });
  });

  it('has the platform take payments on a network without a payment provider', async () => {
    const fabricDefault = without(await embeddedNetwork(), 'PlatformBMSP', 'PaymentMSP', 'ExpressMSP');
    expect(castOf(fabricDefault)).toMatchObject({ platform: 'PlatformAMSP', payment: 'PlatformAMSP' });
  });

  it('refuses a network without a post, which every parcel needs', async () => {
    const network = without(await embeddedNetwork(), 'PostMSP');
    expect(() => castOf(network)).toThrow('the network has no post organisation');
  });
});

describe('the result files', () => {
  it('keep the Fabric figures apart from the embedded ledger’s', () => {
    expect(resultFile('ledger', 'embedded')).toBe('bench-results/ledger.json');
    expect(resultFile('ledger', 'fabric')).toBe('bench-results/ledger-fabric.json');
    expect(resultFile('summary', 'fabric', 'md')).toBe('bench-results/summary-fabric.md');
  });
});
