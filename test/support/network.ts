import { randomBytes } from 'node:crypto';
import type { DisclosurePackage } from '@customs-ledger/chaincode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOVERNANCE_USER, openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import {
  chaincodeMessage,
  GatewayError,
  TxValidationCode,
  type ChaincodeEvent,
  type ClientIdentity,
} from '../../gateway/src/ledger/port.js';

/** The demo network on a fresh embedded ledger, with one user per organisation. */
export interface TestNetwork {
  readonly ledger: EmbeddedLedger;
  readonly dataDir: string;
  readonly users: Record<string, ClientIdentity>;
  /**
   * Submits as a named user. A `transient` value is the private payload: it travels as transient
   * 'payload' (JSON) with a 'saltSeed' (hex text), a fresh random one unless `options.saltSeed` is given.
   * `options.transientData` replaces the transient map entirely.
   */
  submit(
    user: string,
    fn: string,
    args?: string[],
    transient?: unknown,
    options?: SubmitOptions,
  ): Promise<unknown>;
  evaluate(user: string, fn: string, args?: string[]): Promise<unknown>;
  /** The chaincode's refusal message, or 'ok' when the call succeeded. */
  outcome(call: Promise<unknown>): Promise<string>;
  /** Enrols (or loads) one more user under a name usable with submit and evaluate. */
  enrol(
    name: string,
    mspId: string,
    attrs: Record<string, string>,
    options?: { admin?: boolean },
  ): Promise<ClientIdentity>;
  close(): Promise<void>;
}

export interface SubmitOptions {
  readonly saltSeed?: string;
  readonly transientData?: Record<string, Uint8Array>;
}

const USERS: [name: string, mspId: string, role: string, admin?: boolean][] = [
  ['platformA', 'PlatformAMSP', 'operator'],
  ['platformB', 'PlatformBMSP', 'operator'],
  ['payment', 'PaymentMSP', 'operator'],
  ['post', 'PostMSP', 'operator'],
  ['express', 'ExpressMSP', 'operator'],
  ['customs', 'CustomsMSP', 'officer'],
  ['auditor', 'AuditorMSP', 'auditor'],
  // The identity that initialised the registry (an OU=admin certificate with role 'governance').
  ['governance', 'CustomsMSP', 'governance', true],
];

/** A fresh salt seed as the chaincode expects it: hex text of 16 random bytes. */
export const newSaltSeed = (): string => randomBytes(16).toString('hex');

/** Transient data for a private payload: 'payload' as JSON and 'saltSeed' as hex text. */
export function privateInput(payload: unknown, saltSeed: string = newSaltSeed()): Record<string, Uint8Array> {
  return { payload: Buffer.from(JSON.stringify(payload)), saltSeed: Buffer.from(saltSeed) };
}

/** The test network, on a fresh ledger or on the one in `existingDataDir` (removed on close either way). */
export async function openTestNetwork(existingDataDir?: string): Promise<TestNetwork> {
  const dataDir = existingDataDir ?? (await mkdtemp(join(tmpdir(), 'chaincode-')));
  const { ledger } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  });
  const users: Record<string, ClientIdentity> = {};
  for (const [name, mspId, role, admin] of USERS) {
    const userName = name === 'governance' ? GOVERNANCE_USER : name;
    users[name] = await ledger.enrolUser(mspId, userName, { role }, { admin: admin === true });
  }
  const user = (name: string): ClientIdentity => {
    const identity = users[name];
    if (!identity) throw new Error(`test network has no user '${name}'`);
    return identity;
  };
  const parse = (bytes: Uint8Array): unknown => {
    const text = Buffer.from(bytes).toString();
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    ledger,
    dataDir,
    users,
    submit: async (name, fn, args = [], transient, options = {}) => {
      const transientData =
        options.transientData ??
        (transient === undefined ? undefined : privateInput(transient, options.saltSeed));
      try {
        return parse((await ledger.submit(user(name), fn, { arguments: args, transientData })).result);
      } catch (error) {
        // Name the chaincode's refusal in the message, so a failing setup step says why.
        const refusal = error instanceof GatewayError ? chaincodeMessage(error) : undefined;
        if (refusal !== undefined) (error as Error).message += ` [${fn}: ${refusal}]`;
        throw error;
      }
    },
    evaluate: async (name, fn, args = []) =>
      parse(await ledger.evaluate(user(name), fn, { arguments: args })),
    outcome,
    enrol: async (name, mspId, attrs, options = {}) => {
      users[name] = await ledger.enrolUser(mspId, name, attrs, options);
      return users[name];
    },
    close: async () => {
      await ledger.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The chaincode's refusal message of a ledger call, or 'ok' when the call succeeded. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof GatewayError) return chaincodeMessage(error) ?? error.message;
    throw error;
  }
}

/**
 * A record's private payload as a member of its collection reads it: the read is recorded first
 * (consignment:recordAccess), and the chaincode hands the record out for that access record only.
 */
export async function readPrivateRecord(
  net: TestNetwork,
  user: string,
  consignmentId: string,
  kind: string,
  purpose = 'audit',
): Promise<unknown> {
  const access = (await net.submit(user, 'consignment:recordAccess', [consignmentId, kind, purpose])) as {
    txId: string;
  };
  return net.evaluate(user, 'consignment:getPrivateRecord', [consignmentId, kind, access.txId]);
}

/**
 * A disclosure package of a record's fields, and the transaction that recorded it first
 * (consignment:recordDisclosure): what an erasure's orderProof carries, `{ accessTxId, disclosure }`.
 */
export async function recordedDisclosure(
  net: TestNetwork,
  user: string,
  consignmentId: string,
  kind: string,
  paths: readonly string[],
  purpose = 'audit',
): Promise<{ accessTxId: string; disclosure: DisclosurePackage }> {
  const access = (await net.submit(user, 'consignment:recordDisclosure', [
    consignmentId,
    kind,
    purpose,
    JSON.stringify(paths),
  ])) as { txId: string };
  const read = (await net.evaluate(user, 'consignment:getDisclosure', [
    consignmentId,
    kind,
    access.txId,
  ])) as {
    disclosure: DisclosurePackage;
  };
  return { accessTxId: access.txId, disclosure: read.disclosure };
}

/** A committed transaction as the blocks record it. */
export interface CommittedTransaction {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly valid: boolean;
  /** The chaincode function, e.g. 'consignment:create'. */
  readonly fn: string;
}

/** Every transaction in blocks 1..height-1 (block 0 is the channel configuration), in commit order. */
export async function committedTransactions(ledger: EmbeddedLedger): Promise<CommittedTransaction[]> {
  const out: CommittedTransaction[] = [];
  for (let n = 1n; n < ledger.height(); n++) {
    const block = await ledger.getBlock(n);
    if (!('transactions' in block.data)) continue;
    for (const [i, tx] of block.data.transactions.entries()) {
      out.push({
        blockNumber: n,
        transactionId: tx.txId,
        valid: block.metadata.validationCodes[i] === TxValidationCode.VALID,
        fn: Buffer.from(tx.args[0] ?? '', 'base64').toString('utf8'),
      });
    }
  }
  return out;
}

/**
 * Every chaincode event delivered from block 0 up to the current height. The event stream never ends
 * on its own (it goes on with live blocks), so reading stops once the event of the last valid
 * transaction has arrived and nothing more follows for `trailingMs` (an extra event would be a bug
 * too), or after `stallMs` without any event (so a missing event gives a shorter list, not a hang).
 */
export async function eventsSoFar(
  ledger: EmbeddedLedger,
  { trailingMs = 200, stallMs = 5_000 } = {},
): Promise<ChaincodeEvent[]> {
  const last = ledger.height() - 1n;
  const finalTxId = (await committedTransactions(ledger)).filter((tx) => tx.valid).at(-1)?.transactionId;
  let reachedFinal = finalTxId === undefined;
  const controller = new AbortController();
  const iterator = ledger.events({ startBlock: 0n, signal: controller.signal })[Symbol.asyncIterator]();
  const events: ChaincodeEvent[] = [];
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<'idle'>((resolve) => {
        timer = setTimeout(() => resolve('idle'), reachedFinal ? trailingMs : stallMs);
      });
      const next = await Promise.race([iterator.next(), idle]);
      clearTimeout(timer);
      if (next === 'idle' || next.done || next.value.blockNumber > last) break;
      events.push(next.value);
      if (next.value.transactionId === finalTxId) reachedFinal = true;
    }
  } finally {
    controller.abort();
    await iterator.return?.();
  }
  return events;
}
