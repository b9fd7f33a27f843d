/**
 * The benchmarks' cast and result files: on a network without a payment provider (the default
 * Fabric network) the platform takes payments, and figures measured on Fabric never overwrite the
 * embedded ledger's. And bench:ledger on the embedded ledger, in a few transactions, with both of
 * its references (test/fabric/bench.fabric.test.ts runs it on Fabric).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseNetworkConfig, type NetworkConfig } from '@customs-ledger/chaincode';
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

describe('bench:ledger on the embedded ledger', () => {
  it('measures creates against raw LevelDB and against kv:put of the reference chaincode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-ledger-test-'));
    try {
      const out = join(dir, 'ledger.json');
      await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/ledger.ts',
          '--n',
          '40',
          '--warmup',
          '4',
          '--concurrency',
          '8',
          '--out',
          out,
        ],
        { env: { ...process.env, LEDGER: 'embedded' } },
      );
      const result = JSON.parse(await readFile(out, 'utf8')) as Record<string, number | string>;
      expect(result).toMatchObject({ backend: 'embedded', n: 40, blocks: expect.any(Number) });
      const rate = (field: string): number => {
        expect(result[field]).toBeGreaterThan(0);
        return Number(result[field]);
      };
      // The rates are written to 0.1 tx/s and the ratios to 4 places, each from the exact rates: a
      // ratio must lie within what the written rates allow (a fixed tolerance failed on a loaded
      // machine, where 40 transactions make a slow rate and its rounding counts for more).
      for (const [field, reference] of [
        ['ratio', 'rawLevelTxPerSec'],
        ['kvPutRatio', 'kvPutTxPerSec'],
      ] as const) {
        const [tx, other] = [rate('txPerSec'), rate(reference)];
        expect(Number(result[field]), field).toBeGreaterThanOrEqual((tx - 0.05) / (other + 0.05) - 0.00005);
        expect(Number(result[field]), field).toBeLessThanOrEqual((tx + 0.05) / (other - 0.05) + 0.00005);
      }
      expect(result).not.toHaveProperty('kvPutSkipped');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
