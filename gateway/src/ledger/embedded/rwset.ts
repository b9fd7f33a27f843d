import type { Version } from './version.js';

/** What one endorsement simulation read and wrote: the input to validation, as Fabric's TxRwSet. */
export interface KeyRead {
  readonly key: string;
  /** undefined: the key did not exist (a nil-version read, which conflicts too). */
  readonly version: Version | undefined;
}

export interface RangeQueryInfo {
  readonly startKey: string;
  readonly endKey: string;
  /** true when the chaincode read to the end of the range; otherwise only up to the last key read counts. */
  readonly exhausted: boolean;
  readonly reads: readonly KeyRead[];
}

export interface KeyWrite {
  readonly key: string;
  /** undefined: a delete (Fabric stores an empty value as a delete too). */
  readonly value: Uint8Array | undefined;
}

export interface MetadataWrite {
  readonly key: string;
  /** The key-level endorsement policy (SignaturePolicyEnvelope bytes); empty removes it. */
  readonly validationParameter: Uint8Array;
}

export interface HashedRead {
  readonly keyHash: string;
  readonly version: Version | undefined;
}

export interface HashedWrite {
  readonly keyHash: string;
  /** sha256 of the value, hex; undefined for a delete. */
  readonly valueHash: string | undefined;
  readonly isPurge: boolean;
}

export interface CollectionRwSet {
  readonly collection: string;
  readonly hashedReads: readonly HashedRead[];
  readonly hashedWrites: readonly HashedWrite[];
  readonly metadataWrites: readonly { keyHash: string; validationParameter: string }[];
}

/** The public part of a simulation: what goes into the block. */
export interface PublicRwSet {
  readonly reads: readonly KeyRead[];
  readonly rangeQueries: readonly RangeQueryInfo[];
  readonly writes: readonly KeyWrite[];
  readonly metadataWrites: readonly MetadataWrite[];
  readonly collections: readonly CollectionRwSet[];
}

/** Cleartext private writes: distributed to member peers, never placed in a block. */
export interface PrivateWrite {
  readonly collection: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
  readonly isPurge: boolean;
}

export interface SimulationResult {
  readonly rwset: PublicRwSet;
  readonly privateWrites: readonly PrivateWrite[];
  /** Collections whose private data (not only hashes) was read: only their members can endorse. */
  readonly privateReadCollections: readonly string[];
}
