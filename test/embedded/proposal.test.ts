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
  decodeSignedProposal,
  serializeIdentity,
  txTimestamp,
  type ChaincodeInput,
  type SignedProposal,
} from '../../gateway/src/ledger/embedded/proposal.js';
import type { ClientIdentity } from '../../gateway/src/ledger/port.js';

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
    const a = decodeSignedProposal(await buildSignedProposal(spec).then((b) => b.signedProposal));
    const b = decodeSignedProposal(await buildSignedProposal(spec).then((p) => p.signedProposal));
    expect(a.nonce).toHaveLength(24);
    expect(Buffer.from(a.nonce).equals(Buffer.from(b.nonce))).toBe(false);
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

  it('decodes what it builds, from the message and from its bytes', async () => {
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
    for (const input of [built.signedProposal, built.signedProposal.serializeBinary()]) {
      const decoded = decodeSignedProposal(input);
      expect(decoded.transactionId).toBe(built.transactionId);
      expect(decoded.channel).toBe('ch1');
      expect(decoded.chaincode).toBe('kv');
      expect(decoded.mspId).toBe('PlatformAMSP');
      expect(decoded.certificate).toBe(identity.certificate);
      expect(Buffer.from(decoded.creatorBytes)).toEqual(
        Buffer.from(serializeIdentity(identity.mspId, identity.certificate)),
      );
      expect(Buffer.from(decoded.nonce)).toEqual(Buffer.from(nonce));
      expect(decoded.timestamp.toISOString()).toBe('2026-03-01T12:34:56.789Z');
      expect(decoded.txTimestamp).toEqual(txTimestamp(timestamp));
      expect(decoded.args.map((a) => Buffer.from(a))).toEqual(args.map((a) => Buffer.from(a)));
      expect([...decoded.transient].map(([k, v]) => [k, Buffer.from(v)])).toEqual([
        ['a', Buffer.from('1')],
        ['b', Buffer.from([9])],
      ]);
      expect(Buffer.from(decoded.proposalBytes)).toEqual(Buffer.from(built.proposalBytes));
      expect(computeTransactionId(decoded.nonce, decoded.creatorBytes)).toBe(decoded.transactionId);
      expect(verifySignature(decoded.certificate, decoded.proposalBytes, decoded.signature)).toBe(true);
      expect(decoded.chaincodeInput.getArgsList_asU8()).toHaveLength(2);
    }
  });

  it('gives a signature that fails once the proposal is altered', async () => {
    const built = await buildSignedProposal({ channel: 'ch', chaincode: 'cc', identity, args: [enc('f')] });
    const altered = Uint8Array.from(built.proposalBytes);
    altered[altered.length - 1]! ^= 0x01;
    const decoded = decodeSignedProposal(built.signedProposal);
    expect(verifySignature(decoded.certificate, altered, decoded.signature)).toBe(false);
  });

  it('throws a clear error on malformed input', async () => {
    expect(() => decodeSignedProposal(new Uint8Array())).toThrow(/Malformed signed proposal/);
    expect(() => decodeSignedProposal(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(
      /Malformed signed proposal/,
    );

    const empty = new protos.peer.SignedProposal();
    empty.setProposalBytes(new protos.peer.Proposal().serializeBinary());
    expect(() => decodeSignedProposal(empty)).toThrow(/Malformed signed proposal/);

    // A well-formed proposal of the wrong header type.
    const built = await buildSignedProposal({ channel: 'ch', chaincode: 'cc', identity, args: [enc('f')] });
    const proposal = protos.peer.Proposal.deserializeBinary(built.proposalBytes);
    const header = protos.common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeader = protos.common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    channelHeader.setType(protos.common.HeaderType.CONFIG);
    header.setChannelHeader(channelHeader.serializeBinary());
    proposal.setHeader(header.serializeBinary());
    const wrongType = new protos.peer.SignedProposal();
    wrongType.setProposalBytes(proposal.serializeBinary());
    wrongType.setSignature(built.signedProposal.getSignature_asU8());
    expect(() => decodeSignedProposal(wrongType)).toThrow(/invalid header type 1/);
  });
});
