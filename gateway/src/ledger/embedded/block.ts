import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// The package's typings declare an ES default export, but it is a CommonJS function export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;
import type { PublicRwSet } from './rwset.js';

/*
 * Blocks hold what a Fabric block holds, so a privacy leak shows up here exactly where it would on
 * Fabric: the proposal's function arguments (never its transient map), the chaincode response
 * payload and event, the public read/write set, and for private writes only the collection name,
 * sha256(key) and sha256(value). Binary fields are base64 in a canonical JSON encoding.
 */

export interface TransactionEnvelope {
  readonly txId: string;
  readonly channel: string;
  readonly chaincode: string;
  /** Client timestamp from the proposal's channel header (ms precision). */
  readonly timestamp: string;
  readonly creator: { readonly mspId: string; readonly certificate: string };
  /** Function name and arguments, base64: public, as on Fabric. */
  readonly args: readonly string[];
  /**
   * The creator's signature over the envelope (envelopeSigningBytes: every other member), base64,
   * as Fabric's Envelope.signature covers its payload: endorsements and results included, so an
   * auditor holding only the block can check who submitted what. The proposal's own signature is
   * not kept: it covers the transient data, which never reaches a block.
   */
  readonly signature: string;
  readonly response: { readonly status: number; readonly message: string; readonly payload: string };
  readonly event?: { readonly name: string; readonly payload: string };
  readonly rwset: EncodedRwSet;
  readonly endorsements: readonly Endorsement[];
}

export interface Endorsement {
  readonly mspId: string;
  readonly certificate: string;
  /** Endorser's signature over the proposal response payload hash, base64. */
  readonly signature: string;
}

/** The read/write set as stored: binary values base64, versions as [block, tx]. */
export interface EncodedRwSet {
  readonly reads: readonly { key: string; version: [number, number] | null }[];
  readonly rangeQueries: readonly {
    startKey: string;
    endKey: string;
    exhausted: boolean;
    reads: readonly { key: string; version: [number, number] | null }[];
  }[];
  readonly writes: readonly { key: string; value: string | null }[];
  readonly metadataWrites: readonly { key: string; validationParameter: string }[];
  readonly collections: readonly {
    collection: string;
    hashedReads: readonly { keyHash: string; version: [number, number] | null }[];
    hashedWrites: readonly { keyHash: string; valueHash: string | null; isPurge: boolean }[];
    metadataWrites: readonly { keyHash: string; validationParameter: string }[];
  }[];
}

export interface ConfigData {
  readonly type: 'config';
  readonly channel: string;
  readonly config: unknown;
}

export interface BlockHeader {
  readonly number: number;
  /** Hex sha256 of the previous block's header; empty for the genesis block. */
  readonly previousHash: string;
  /** Hex sha256 of the canonical encoding of this block's data. */
  readonly dataHash: string;
}

export interface Block {
  readonly header: BlockHeader;
  readonly data: { readonly transactions: readonly TransactionEnvelope[] } | ConfigData;
  readonly metadata: { readonly validationCodes: readonly number[] };
}

const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function encodeRwSet(rwset: PublicRwSet): EncodedRwSet {
  const version = (v: { blockNum: number; txNum: number } | undefined): [number, number] | null =>
    v ? [v.blockNum, v.txNum] : null;
  return {
    reads: rwset.reads.map((r) => ({ key: r.key, version: version(r.version) })),
    rangeQueries: rwset.rangeQueries.map((q) => ({
      startKey: q.startKey,
      endKey: q.endKey,
      exhausted: q.exhausted,
      reads: q.reads.map((r) => ({ key: r.key, version: version(r.version) })),
    })),
    writes: rwset.writes.map((w) => ({ key: w.key, value: w.value === undefined ? null : b64(w.value) })),
    metadataWrites: rwset.metadataWrites.map((w) => ({
      key: w.key,
      validationParameter: b64(w.validationParameter),
    })),
    collections: rwset.collections.map((c) => ({
      collection: c.collection,
      hashedReads: c.hashedReads.map((r) => ({ keyHash: r.keyHash, version: version(r.version) })),
      hashedWrites: c.hashedWrites.map((w) => ({
        keyHash: w.keyHash,
        valueHash: w.valueHash ?? null,
        isPurge: w.isPurge,
      })),
      metadataWrites: c.metadataWrites,
    })),
  };
}

export { b64 };

/** RFC 8785 canonical JSON: what is hashed must serialise the same way everywhere. */
export function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value cannot be canonicalised');
  return text;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const dataHash = (data: Block['data']): string => sha256Hex(canonical(data));
export const headerHash = (header: BlockHeader): string => sha256Hex(canonical(header));

export interface SealedBlock {
  readonly block: Block;
  /** The stored form: the canonical encoding of the whole block. */
  readonly bytes: Uint8Array;
  /** Hex sha256 of the header, which the next block links to. */
  readonly hash: string;
}

/**
 * Makes the block of `data` that follows `previousHash`. The data, nearly all of a block, is
 * canonicalised once for both its hash and the stored bytes: RFC 8785 orders the block's members
 * data, header, metadata, so the whole encoding is the three canonical parts in that order.
 */
export function sealBlock(
  number: number,
  previousHash: string,
  data: Block['data'],
  validationCodes: readonly number[],
): SealedBlock {
  const dataText = canonical(data);
  const header: BlockHeader = { number, previousHash, dataHash: sha256Hex(dataText) };
  const metadata = { validationCodes };
  const text = `{"data":${dataText},"header":${canonical(header)},"metadata":${canonical(metadata)}}`;
  return { block: { header, data, metadata }, bytes: Buffer.from(text, 'utf8'), hash: headerHash(header) };
}

/** What a transaction's creator signs: the canonical encoding of its envelope without the signature. */
export function envelopeSigningBytes(envelope: Omit<TransactionEnvelope, 'signature'>): Buffer {
  const { signature: _signature, ...signed } = envelope as TransactionEnvelope;
  return Buffer.from(canonical(signed), 'utf8');
}

export function decodeBlock(bytes: Uint8Array): Block {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Block;
}

export function isConfigData(data: Block['data']): data is ConfigData {
  return (data as ConfigData).type === 'config';
}
