import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { chaincodeMessage, GatewayError, type ClientIdentity } from '../../gateway/src/ledger/port.js';

/** The demo network on a fresh embedded ledger, with one user per organisation. */
export interface TestNetwork {
  readonly ledger: EmbeddedLedger;
  readonly dataDir: string;
  readonly users: Record<string, ClientIdentity>;
  submit(user: string, fn: string, args?: string[], transient?: Record<string, unknown>): Promise<unknown>;
  evaluate(user: string, fn: string, args?: string[]): Promise<unknown>;
  /** The chaincode's refusal message, or 'ok' when the call succeeded. */
  outcome(call: Promise<unknown>): Promise<string>;
  close(): Promise<void>;
}

const USERS: [string, string, string][] = [
  ['platformA', 'PlatformAMSP', 'operator'],
  ['platformB', 'PlatformBMSP', 'operator'],
  ['payment', 'PaymentMSP', 'operator'],
  ['post', 'PostMSP', 'operator'],
  ['express', 'ExpressMSP', 'operator'],
  ['customs', 'CustomsMSP', 'officer'],
  ['auditor', 'AuditorMSP', 'auditor'],
];

export async function openTestNetwork(): Promise<TestNetwork> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chaincode-'));
  const { ledger } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  });
  const users: Record<string, ClientIdentity> = {};
  for (const [name, mspId, role] of USERS) users[name] = await ledger.enrolUser(mspId, name, { role });
  const parse = (bytes: Uint8Array): unknown => {
    const text = Buffer.from(bytes).toString();
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    ledger,
    dataDir,
    users,
    submit: async (user, fn, args = [], transient) => {
      const transientData = transient
        ? {
            payload: Buffer.from(JSON.stringify(transient)),
            saltSeed: Buffer.from(randomBytes(16).toString('hex')),
          }
        : undefined;
      return parse((await ledger.submit(users[user]!, fn, { arguments: args, transientData })).result);
    },
    evaluate: async (user, fn, args = []) =>
      parse(await ledger.evaluate(users[user]!, fn, { arguments: args })),
    outcome: async (call) => {
      try {
        await call;
        return 'ok';
      } catch (error) {
        if (error instanceof GatewayError) return chaincodeMessage(error) ?? error.message;
        throw error;
      }
    },
    close: async () => {
      await ledger.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
