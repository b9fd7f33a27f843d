/**
 * The ledger client with a keyed write: its transaction ids are derived from the request's
 * Idempotency-Key, so a second run of the request (its first answer lost) proposes them again, and
 * the ledger's refusal of a transaction it already holds is answered with that transaction's
 * outcome. On the embedded ledger with the probe chaincode (test/fixtures/kv-chaincode.cjs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import {
  CommitError,
  GatewayError,
  GrpcStatus,
  TxValidationCode,
  type ClientIdentity,
} from '../../gateway/src/ledger/port.js';
import { KeyedWrite } from '../../gateway/src/services/keyed-write.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import { ledgerWith } from '../support/ledger-with.js';
import { CUSTOMS, PLATFORM, probeLedgerOptions } from '../support/probe-ledger.js';

let dataDir = '';
let ledger: EmbeddedLedger;
let identity: ClientIdentity;
let client: LedgerClient;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyed-client-'));
  ledger = await EmbeddedLedger.open(probeLedgerOptions(dataDir));
  identity = await ledger.enrolUser(PLATFORM, 'alice', { role: 'operator' });
  client = new LedgerClient(ledger, { identityFor: async () => identity });
});
afterAll(async () => {
  await ledger?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The same request run again: a new KeyedWrite from the same key, sender and request hash. */
const run = (key: string) => ({
  user: 'alice',
  mspId: PLATFORM,
  role: 'operator',
  keyedWrite: new KeyedWrite({ mspId: PLATFORM, user: 'alice' }, key, 'f'.repeat(64)),
});
const json = (value: string) => JSON.stringify(value);
const read = async (k: string) =>
  Buffer.from(await ledger.evaluate(identity, 'get', { arguments: [k] })).toString();

describe('a keyed write run again', () => {
  it('is answered from its committed transaction, not simulated and written again', async () => {
    await client.submit(run('k-1'), 'put', ['key1', json('v0')]);
    const first = await client.submit<string>(run('k-2'), 'rw', ['key1', json('A')]);
    await client.submit(run('k-3'), 'put', ['key1', json('v1')]);
    const height = ledger.height();
    const again = await client.submit<string>(run('k-2'), 'rw', ['key1', json('A')]);
    expect(again).toEqual(first);
    expect(again.value).toBe('v0');
    expect(ledger.height()).toBe(height);
    expect(await read('key1')).toBe(json('v1'));
  });

  it('passes over its proposals committed invalid (a read conflict) to the one that committed', async () => {
    await client.submit(run('k-4'), 'put', ['key2', json('v0')]);
    const nonces = run('k-5').keyedWrite.submission('rw', ['key2', json('A')]);
    // The request's first proposal loses a read conflict; its second commits.
    const lost = await ledger.endorse(identity, 'rw', { arguments: ['key2', json('A')], nonce: nonces(0) });
    const other = await ledger.endorse(identity, 'rw', { arguments: ['key2', json('X')] });
    await (await other.submit()).getStatus();
    expect((await (await lost.submit()).getStatus()).code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    const won = await ledger.submit(identity, 'rw', { arguments: ['key2', json('A')], nonce: nonces(1) });
    const height = ledger.height();

    const again = await client.submit<string>(run('k-5'), 'rw', ['key2', json('A')]);
    expect(again).toEqual({ value: 'X', txId: won.transactionId, blockNumber: won.blockNumber });
    expect(ledger.height()).toBe(height);
  });

  it('proposes again, as the first run would have, after its transaction met a key policy, and answers the refusal that stays', async () => {
    // A key only customs may change (state-based endorsement), changed with the platform's endorsement.
    await ledger.submit(identity, 'sbeSet', { arguments: ['key3', CUSTOMS] });
    const asked = { endorsingOrganizations: [PLATFORM] };
    const nonces = run('k-6').keyedWrite.submission('put', ['key3', json('v')]);
    const first = await ledger.endorse(identity, 'put', {
      arguments: ['key3', json('v')],
      nonce: nonces(0),
      ...asked,
    });
    expect((await (await first.submit()).getStatus()).code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    const height = ledger.height();
    const error = await client.submit(run('k-6'), 'put', ['key3', json('v')], asked).catch((e: unknown) => e);
    // A policy met at commit may have been set after the simulation (a concurrent create's), so the
    // first run would have proposed again on the state as it is: this one does, with ids of its own.
    expect(error).toBeInstanceOf(CommitError);
    expect(error).toMatchObject({ code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE });
    expect((error as CommitError).transactionId).not.toBe(first.transactionId);
    expect(ledger.height()).toBeGreaterThan(height);
  });

  it('asks to retry (UNAVAILABLE) when the transaction is not yet readable where it was looked up', async () => {
    await client.submit(run('k-8'), 'put', ['key5', json('v')]);
    const lagging = new LedgerClient(ledgerWith(ledger, { committedTransaction: async () => undefined }), {
      identityFor: async () => identity,
    });
    const error = await lagging.submit(run('k-8'), 'put', ['key5', json('v')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });

  it('makes a new transaction for another key, and for no key', async () => {
    const height = ledger.height();
    await client.submit(run('k-7'), 'put', ['key4', json('a')]);
    await client.submit({ user: 'alice', mspId: PLATFORM, role: 'operator' }, 'put', ['key4', json('b')]);
    expect(ledger.height()).toBe(height + 2n);
  });
});
