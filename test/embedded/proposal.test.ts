import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protos from '@hyperledger/fabric-protos';
import { MspStore, newClientIdentity, verifySignature } from '../../gateway/src/ledger/embedded/msp.js';
import {
  buildSignedProposal,
  computeTransactionId,
  serializeIdentity,
  txTimestamp,
  type ChaincodeInput,
  type SignedProposal,
} from '../../gateway/src/ledger/embedded/proposal.js';
import type { ClientIdentity } from '../../gateway/src/ledger/port.js';
import { openSignedProposal } from '../support/signed-proposal.js';

interface ShimStub {
  getTxID(): string;
  getChannelID(): string;
  getCreator(): { mspid: string; idBytes: Uint8Array };
  getTransient(): Map<string, Buffer>;
  getTxTimestamp(): { seconds: unknown; nanos: number };
  getDateTimestamp(): Date;
  getArgs(): string[];
  getBufferArgs(): Buffer[];
  getBinding(): string;
}
interface ShimClientIdentity {
  getMSPID(): string;
  getID(): string;
  getAttributeValue(name: string): string | null;
}

const require = createRequire(import.meta.url);
const ChaincodeStub = require('fabric-shim/lib/stub.js') as new (
  handler: unknown,
  channel: string,
  txId: string,
  input: ChaincodeInput,
  signedProposal: SignedProposal,
) => ShimStub;
const { ClientIdentity: ShimClientIdentity } = require('fabric-shim/lib/chaincode.js') as {
  ClientIdentity: new (stub: ShimStub) => ShimClientIdentity;
};

const enc = (s: string) => new TextEncoder().encode(s);
const ORG = { mspId: 'PlatformAMSP', domain: 'platforma.example.com' };

/** What a peer reads from a signed proposal's bytes, decoded with fabric-protos (not with our builder). */
function readBack(bytes: Uint8Array) {
  const { channelHeader, signatureHeader, creator, certificate, spec, transient, proposalBytes, signature } =
    openSignedProposal(protos.peer.SignedProposal.deserializeBinary(bytes));
  const extension = protos.peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8());
  const timestamp = channelHeader.getTimestamp()!;
  return {
    type: channelHeader.getType(),
    transactionId: channelHeader.getTxId(),
    channel: channelHeader.getChannelId(),
    chaincode: extension.getChaincodeId()?.getName(),
    mspId: creator.getMspid(),
    certificate,
    creatorBytes: signatureHeader.getCreator_asU8(),
    nonce: signatureHeader.getNonce_asU8(),
    timestampMs: timestamp.getSeconds() * 1000 + timestamp.getNanos() / 1_000_000,
    args: spec!
      .getInput()!
      .getArgsList_asU8()
      .map((a) => Buffer.from(a)),
    transient: [...transient],
    proposalBytes,
    signature,
  };
}
describe('signed proposals', () => {
  let dir: string;
  let identity: ClientIdentity;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'proposal-test-'));
    const store = await MspStore.open(dir, [ORG]);
    identity = newClientIdentity(await store.enrolUser(ORG.mspId, 'alice', { role: 'platform' }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('derives the transaction ID from nonce and creator, as Fabric does', async () => {
    const nonce = new Uint8Array(24).fill(7);
    const built = await buildSignedProposal({
      channel: 'ch',
      chaincode: 'cc',
      identity,
      args: [enc('f')],
      nonce,
    });
    const creator = serializeIdentity(identity.mspId, identity.certificate);
    const expected = createHash('sha256')
      .update(Buffer.concat([nonce, creator]))
      .digest('hex');
    expect(built.transactionId).toBe(expected);
    expect(computeTransactionId(nonce, creator)).toBe(expected);
  });

  it('uses a fresh 24-byte nonce by default', async () => {
    const spec = { channel: 'ch', chaincode: 'cc', identity, args: [enc('f')] };
    const a = await buildSignedProposal(spec);
    const b = await buildSignedProposal(spec);
    const nonceA = readBack(a.signedProposal.serializeBinary()).nonce;
    expect(nonceA).toHaveLength(24);
    expect(Buffer.from(nonceA).equals(Buffer.from(readBack(b.signedProposal.serializeBinary()).nonce))).toBe(
      false,
    );
    expect(a.transactionId).not.toBe(b.transactionId);
  });

  it('is accepted by fabric-shim ChaincodeStub and ClientIdentity', async () => {
    const timestamp = new Date(1795873236046);
    const built = await buildSignedProposal({
      channel: 'customs',
      chaincode: 'consignment',
      identity,
      args: [enc('Consignment:create'), enc('{"id":"C1"}')],
      transient: { secret: enc('s3cret') },
      timestamp,
    });

    const stub = new ChaincodeStub(
      {},
      'customs',
      built.transactionId,
      built.chaincodeInput,
      built.signedProposal,
    );
    expect(stub.getTxID()).toBe(built.transactionId);
    expect(stub.getChannelID()).toBe('customs');
    expect(stub.getCreator().mspid).toBe('PlatformAMSP');
    expect(new TextDecoder().decode(stub.getCreator().idBytes)).toBe(identity.certificate);
    expect(stub.getArgs()).toEqual(['Consignment:create', '{"id":"C1"}']);
    expect([...stub.getTransient().entries()].map(([k, v]) => [k, v.toString()])).toEqual([
      ['secret', 's3cret'],
    ]);
    // FABRIC-SEMANTICS row 12: ms-precise, seconds an unsigned Long.
    const ts = stub.getTxTimestamp();
    expect(ts.nanos).toBe(46_000_000);
    expect(String(ts.seconds)).toBe('1795873236');
    expect(ts).toEqual(txTimestamp(timestamp));
    expect(stub.getDateTimestamp().getTime()).toBe(timestamp.getTime());
    expect(stub.getBinding()).toMatch(/^[0-9a-f]{64}$/);

    const client = new ShimClientIdentity(stub);
    expect(client.getMSPID()).toBe('PlatformAMSP');
    expect(client.getID()).toBe(
      'x509::/OU=client/CN=alice@platforma.example.com::/C=US/O=platforma.example.com/CN=ca.platforma.example.com',
    );
    expect(client.getAttributeValue('role')).toBe('platform');
    expect(client.getAttributeValue('missing')).toBeNull();
  });

  it('reports the fields its bytes carry, as a peer reads them', async () => {
    const timestamp = new Date('2026-03-01T12:34:56.789Z');
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => i);
    const args = [enc('tx'), new Uint8Array([0, 1, 2, 255])];
    const built = await buildSignedProposal({
      channel: 'ch1',
      chaincode: 'kv',
      identity,
      args,
      transient: { a: enc('1'), b: new Uint8Array([9]) },
      timestamp,
      nonce,
    });
    const read = readBack(built.signedProposal.serializeBinary());
    expect(read.type).toBe(protos.common.HeaderType.ENDORSER_TRANSACTION);
    expect(read.transactionId).toBe(built.transactionId);
    expect(computeTransactionId(read.nonce, read.creatorBytes)).toBe(built.transactionId);
    expect(Buffer.from(read.nonce)).toEqual(Buffer.from(nonce));
    expect(Buffer.from(read.creatorBytes)).toEqual(
      Buffer.from(serializeIdentity(identity.mspId, identity.certificate)),
    );
    expect([read.channel, built.channel]).toEqual(['ch1', 'ch1']);
    expect([read.chaincode, built.chaincode]).toEqual(['kv', 'kv']);
    expect([read.mspId, built.mspId]).toEqual(['PlatformAMSP', 'PlatformAMSP']);
    expect([read.certificate, built.certificate]).toEqual([identity.certificate, identity.certificate]);
    expect(read.timestampMs).toBe(timestamp.getTime());
    expect(built.timestamp.toISOString()).toBe('2026-03-01T12:34:56.789Z');
    expect(read.args).toEqual(args.map((a) => Buffer.from(a)));
    expect(built.args.map((a) => Buffer.from(a))).toEqual(read.args);
    expect(read.transient).toEqual([
      ['a', Buffer.from('1')],
      ['b', Buffer.from([9])],
    ]);
    expect([...built.transient].map(([k, v]) => [k, Buffer.from(v)])).toEqual(read.transient);
    expect(Buffer.from(read.proposalBytes)).toEqual(Buffer.from(built.proposalBytes));
    expect(Buffer.from(read.signature)).toEqual(Buffer.from(built.signature));
    expect(verifySignature(identity.certificate, read.proposalBytes, read.signature)).toBe(true);
    expect(built.chaincodeInput.getArgsList_asU8()).toHaveLength(2);
  });

  it('gives a signature that fails once the proposal is altered', async () => {
    const built = await buildSignedProposal({ channel: 'ch', chaincode: 'cc', identity, args: [enc('f')] });
    const altered = Uint8Array.from(built.proposalBytes);
    altered[altered.length - 1]! ^= 0x01;
    expect(verifySignature(identity.certificate, built.proposalBytes, built.signature)).toBe(true);
    expect(verifySignature(identity.certificate, altered, built.signature)).toBe(false);
  });
});
