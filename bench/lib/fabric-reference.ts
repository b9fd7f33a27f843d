/*
 * On a Fabric network, one customs write against the cheapest transaction the same network can
 * run: consignment:create (a new consignment: its record, order-number claim and customs seal
 * under a key-level policy) and kv:put of the reference chaincode (network.sh deploy-reference,
 * one putState), each submitted by the same platform user through the Fabric Gateway for the same
 * time at the same concurrency. No HTTP on either side: the ratio is the ledger cost of our own
 * chaincode and policies per write.
 */
import { randomBytes } from 'node:crypto';
import { FabricLedger } from '../../gateway/src/ledger/fabric/fabric-ledger.js';
import { GatewayError } from '../../gateway/src/ledger/port.js';
import { percentile } from './stats.js';

export interface LoopResult {
  readonly transactions: number;
  readonly txPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export interface ReferenceComparison {
  readonly create: LoopResult;
  readonly reference: LoopResult;
  /** Reference transactions per second ÷ create transactions per second: how much a write costs more. */
  readonly costRatio: number;
}

const PLATFORM = { user: 'platforma-operator', mspId: 'PlatformAMSP', role: 'operator' } as const;

/** The reference chaincode's one transaction, kv:put, as a platform user submits it (here, through the Fabric Gateway). */
export interface ReferenceChaincode {
  put(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects to the reference chaincode; `skipped` with the reason when it is not deployed. */
export async function openReference(
  profileDir: string,
  mspId: string,
): Promise<ReferenceChaincode | { readonly skipped: string }> {
  const reference = await FabricLedger.open({ profileDir, mspId, chaincode: 'kv' });
  const identity = await reference.identityProvider().identityFor({ ...PLATFORM, mspId });
  const put = async (key: string, value: string): Promise<void> => {
    await reference.submit(identity, 'kv:put', { arguments: [key, value] });
  };
  try {
    await put(`probe-${randomBytes(4).toString('hex')}`, '1');
  } catch (error) {
    await reference.close();
    if (error instanceof GatewayError) {
      return {
        skipped: `reference chaincode kv not deployed (network/network.sh deploy-reference): ${error.message}`,
      };
    }
    throw error;
  }
  return { put, close: () => reference.close() };
}

/** `skipped` with the reason when the reference chaincode is not deployed. */
export async function compareWithReference(
  profileDir: string,
  seconds: number,
  concurrency: number,
): Promise<ReferenceComparison | { readonly skipped: string }> {
  const reference = await openReference(profileDir, PLATFORM.mspId);
  if ('skipped' in reference) return reference;
  const customs = await FabricLedger.open({ profileDir, mspId: PLATFORM.mspId });
  try {
    const identity = await customs.identityProvider().identityFor(PLATFORM);
    const run = randomBytes(4).toString('hex').toUpperCase();
    const created = await loop(seconds, concurrency, (n) =>
      customs.submit(identity, 'consignment:create', {
        arguments: [
          `REF-${run}-${n}`,
          JSON.stringify({ orderNumber: `REF-${run}-${n}`, originCountry: 'CN', destinationCountry: 'FR' }),
        ],
      }),
    );
    const put = await loop(seconds, concurrency, (n) => reference.put(`kv-${run}-${n}`, `value ${n}`));
    return {
      create: created,
      reference: put,
      costRatio: Number((put.txPerSec / created.txPerSec).toFixed(2)),
    };
  } finally {
    await customs.close();
    await reference.close();
  }
}

async function loop(
  seconds: number,
  concurrency: number,
  submit: (n: number) => Promise<unknown>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await submit(next++);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    transactions: latencies.length,
    txPerSec: Math.round(latencies.length / elapsed),
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    errors,
  };
}
