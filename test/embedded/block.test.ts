import { describe, expect, it } from 'vitest';
import {
  canonical,
  dataHash,
  decodeBlock,
  headerHash,
  sealBlock,
  type TransactionEnvelope,
} from '../../gateway/src/ledger/embedded/block.js';

const envelope = (txId: string, payload: string): TransactionEnvelope => ({
  txId,
  channel: 'customs',
  chaincode: 'customs-ledger',
  timestamp: '2026-11-29T08:00:00.000Z',
  creator: { mspId: 'PlatformAMSP', certificate: '-----BEGIN CERTIFICATE-----\n…' },
  args: [Buffer.from('consignment:create').toString('base64'), Buffer.from('{"é":1}').toString('base64')],
  signature: 'c2lnbmF0dXJl',
  response: { status: 200, message: '', payload },
  event: { name: 'ConsignmentCreated', payload: Buffer.from('{"z":1,"a":[2,1]}').toString('base64') },
  rwset: {
    reads: [{ key: '\u0000consignment\u0000C-1\u0000', version: null }],
    rangeQueries: [],
    writes: [{ key: '\u0000consignment\u0000C-1\u0000', value: 'eyJ2IjoxfQ==' }],
    metadataWrites: [],
    collections: [
      {
        collection: 'CustomsMSP-only',
        hashedReads: [],
        hashedWrites: [{ keyHash: 'ab'.repeat(32), valueHash: 'cd'.repeat(32), isPurge: false }],
        metadataWrites: [],
      },
    ],
  },
  endorsements: [{ mspId: 'CustomsMSP', certificate: 'cert', signature: 'sig' }],
});

describe('sealBlock', () => {
  it('stores exactly the canonical encoding of the whole block, and links by the header hash', () => {
    const data = { transactions: [envelope('tx1', 'e30='), envelope('tx2', '')] };
    const sealed = sealBlock(7, 'f'.repeat(64), data, [0, 11]);

    const whole = {
      header: { number: 7, previousHash: 'f'.repeat(64), dataHash: dataHash(data) },
      data,
      metadata: { validationCodes: [0, 11] },
    };
    expect(Buffer.from(sealed.bytes).toString('utf8')).toBe(canonical(whole));
    expect(sealed.block).toEqual(whole);
    expect(sealed.hash).toBe(headerHash(whole.header));
    expect(decodeBlock(sealed.bytes)).toEqual(whole);
  });

  it('seals a genesis block (configuration data, no validation codes) the same way', () => {
    const data = { type: 'config' as const, channel: 'customs', config: { organisations: ['B', 'A'] } };
    const sealed = sealBlock(0, '', data, []);
    const whole = {
      header: { number: 0, previousHash: '', dataHash: dataHash(data) },
      data,
      metadata: { validationCodes: [] },
    };
    expect(Buffer.from(sealed.bytes).toString('utf8')).toBe(canonical(whole));
    expect(sealed.hash).toBe(headerHash(whole.header));
  });
});
