import { verifySignature } from './msp.js';
import { sealBlock, type Block, type EncodedRwSet, type TransactionEnvelope } from './block.js';
import { endorsementMessage, proposalResponsePayload } from './endorser.js';
import { evaluatePolicy, decodeValidationParameter, type EndorsementPolicy } from './policy.js';
import type { PrivateWrite } from './rwset.js';
import { encodeHistoryEntry } from './simulator.js';
import {
  blockKey,
  collectionKey,
  historyKey,
  type LedgerStore,
  type StoreOp,
  type Sublevel,
} from './store.js';
import { compareKeys, encodeVersioned, sameVersion, type Version } from './version.js';
import { TxValidationCode } from '../port.js';

/** A transaction as the orderer hands it to the committing peer, with its private data alongside. */
export interface OrderedTransaction {
  readonly envelope: TransactionEnvelope;
  readonly privateWrites: readonly PrivateWrite[];
  /**
   * True when this process's own peers just produced the endorsement signatures on this very
   * object: re-verifying signatures it made itself moments ago would cost a quarter of a
   * transaction's time and prove nothing. Anything else is verified.
   */
  readonly endorsedInProcess: boolean;
}

export interface ValidatedBlock {
  readonly block: Block;
  readonly bytes: Uint8Array;
  readonly hash: string;
  readonly ops: StoreOp[];
  /** Private data keys (in the private data sublevel) that valid transactions purged: to compact away. */
  readonly purgedKeys: readonly string[];
}

export interface ValidationPolicies {
  readonly chaincode: EndorsementPolicy;
  /** Collection-level endorsement policies, where a collection defines one. */
  readonly collections: ReadonlyMap<string, EndorsementPolicy | undefined>;
  readonly isMemberIdentity: (mspId: string, certificate: string) => boolean;
}

// No Fabric key starts with two U+0000 (a composite key has a non-empty object type), so no clash.
const PRIVATE_META = '\u0000\u0000pvt\u0000';
const privateMetaKey = (key: string): string => PRIVATE_META + key;

type VersionTuple = [number, number] | null;
const toVersion = (v: VersionTuple): Version | undefined => (v ? { blockNum: v[0], txNum: v[1] } : undefined);

/**
 * Validates the transactions of one block in order, as a committing peer does: duplicate
 * transaction ids, endorsement policies (key-level first, else collection, else chaincode level),
 * MVCC read conflicts, then phantom reads; each valid transaction's writes are visible to the ones
 * after it in the same block. Produces one atomic batch for the whole block.
 */
export class BlockValidator {
  constructor(
    private readonly store: LedgerStore,
    private readonly policies: ValidationPolicies,
  ) {}

  async validate(
    number: number,
    previousHash: string,
    transactions: readonly OrderedTransaction[],
  ): Promise<ValidatedBlock> {
    const overlay = new BlockOverlay(this.store);
    const ops: StoreOp[] = [];
    const codes: number[] = [];
    const seen = new Set<string>();
    const purgedKeys: string[] = [];
    for (const [txNum, tx] of transactions.entries()) {
      const { envelope } = tx;
      let code: number = TxValidationCode.VALID;
      if (seen.has(envelope.txId) || this.store.read(this.store.transactions, envelope.txId) !== undefined) {
        code = TxValidationCode.DUPLICATE_TXID;
      } else if (!this.endorsementSatisfied(tx, overlay)) {
        code = TxValidationCode.ENDORSEMENT_POLICY_FAILURE;
      } else if (this.hasReadConflict(envelope.rwset, overlay)) {
        code = TxValidationCode.MVCC_READ_CONFLICT;
      } else if (await this.hasPhantomRead(envelope.rwset, overlay)) {
        code = TxValidationCode.PHANTOM_READ_CONFLICT;
      }
      if (code !== TxValidationCode.DUPLICATE_TXID) {
        seen.add(envelope.txId);
        ops.push({
          type: 'put',
          sublevel: this.store.transactions,
          key: envelope.txId,
          value: Buffer.from(JSON.stringify({ block: number, tx: txNum, code })),
        });
      }
      if (code === TxValidationCode.VALID) {
        this.apply(tx, { blockNum: number, txNum }, overlay, ops);
        for (const w of tx.privateWrites) if (w.isPurge) purgedKeys.push(collectionKey(w.collection, w.key));
      }
      codes.push(code);
    }
    const { block, bytes, hash } = sealBlock(
      number,
      previousHash,
      { transactions: transactions.map((t) => t.envelope) },
      codes,
    );
    ops.push({ type: 'put', sublevel: this.store.blocks, key: blockKey(number), value: bytes });
    ops.push({
      type: 'put',
      sublevel: this.store.savepoint,
      key: 'tip',
      value: Buffer.from(JSON.stringify({ height: number + 1, hash })),
    });
    if (purgedKeys.length > 0) ops.push(this.store.pendingPurgeOp(purgedKeys));
    return { block, bytes, hash, ops, purgedKeys };
  }

  private validEndorsements(envelope: TransactionEnvelope): TransactionEnvelope['endorsements'] {
    const payload = proposalResponsePayload(
      envelope.txId,
      envelope.chaincode,
      envelope.response,
      envelope.event,
      envelope.rwset,
    );
    return envelope.endorsements.filter(
      (e) =>
        this.policies.isMemberIdentity(e.mspId, e.certificate) &&
        verifySignature(
          e.certificate,
          endorsementMessage(payload, e.certificate),
          Buffer.from(e.signature, 'base64'),
        ),
    );
  }

  private endorsementSatisfied(tx: OrderedTransaction, overlay: BlockOverlay): boolean {
    const { envelope } = tx;
    const endorsements = tx.endorsedInProcess ? envelope.endorsements : this.validEndorsements(envelope);
    const endorsers = endorsements.map((e) => ({ mspId: e.mspId, role: 'peer' as const }));
    const rwset = envelope.rwset;
    let needsChaincodePolicy = false;
    const keyPolicies: EndorsementPolicy[] = [];
    const publicKeys = new Set([
      ...rwset.writes.map((w) => w.key),
      ...rwset.metadataWrites.map((w) => w.key),
    ]);
    for (const key of publicKeys) {
      const param = overlay.metadata(key);
      if (param && param.length > 0) keyPolicies.push(decodeValidationParameter(param));
      else needsChaincodePolicy = true;
    }
    for (const c of rwset.collections) {
      const keyHashes = new Set([
        ...c.hashedWrites.map((w) => w.keyHash),
        ...c.metadataWrites.map((w) => w.keyHash),
      ]);
      for (const keyHash of keyHashes) {
        const param = overlay.metadata(privateMetaKey(collectionKey(c.collection, keyHash)));
        const collectionPolicy = this.policies.collections.get(c.collection);
        if (param && param.length > 0) keyPolicies.push(decodeValidationParameter(param));
        else if (collectionPolicy) keyPolicies.push(collectionPolicy);
        else needsChaincodePolicy = true;
      }
    }
    // A transaction that writes nothing is still checked against the chaincode-level policy.
    if (keyPolicies.length === 0) needsChaincodePolicy = true;
    if (needsChaincodePolicy && !evaluatePolicy(this.policies.chaincode, endorsers)) return false;
    return keyPolicies.every((policy) => evaluatePolicy(policy, endorsers));
  }

  private hasReadConflict(rwset: EncodedRwSet, overlay: BlockOverlay): boolean {
    for (const read of rwset.reads) {
      if (!overlay.isCurrentRead(read.key, toVersion(read.version))) return true;
    }
    for (const c of rwset.collections) {
      for (const read of c.hashedReads) {
        const key = collectionKey(c.collection, read.keyHash);
        if (!overlay.isCurrentHashedRead(key, toVersion(read.version))) return true;
      }
    }
    return false;
  }

  private async hasPhantomRead(rwset: EncodedRwSet, overlay: BlockOverlay): Promise<boolean> {
    for (const query of rwset.rangeQueries) {
      const last = query.reads.at(-1)?.key;
      const current = await overlay.range(query.startKey, query.endKey);
      // A query the chaincode stopped early is only re-checked up to the last key it read.
      const relevant = query.exhausted
        ? current
        : last === undefined
          ? []
          : current.filter((entry) => compareKeys(entry.key, last) <= 0);
      if (relevant.length !== query.reads.length) return true;
      for (const [i, entry] of relevant.entries()) {
        const read = query.reads[i]!;
        if (read.key !== entry.key || !sameVersion(toVersion(read.version), entry.version)) return true;
      }
    }
    return false;
  }

  private apply(tx: OrderedTransaction, version: Version, overlay: BlockOverlay, ops: StoreOp[]): void {
    const { envelope } = tx;
    const store = this.store;
    const ms = Date.parse(envelope.timestamp);
    const timestamp = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    for (const write of envelope.rwset.writes) {
      const value = write.value === null ? undefined : Buffer.from(write.value, 'base64');
      overlay.setState(write.key, version, value);
      if (value === undefined) {
        ops.push({ type: 'del', sublevel: store.state, key: write.key });
        // Deleting a key also removes its key-level endorsement policy, as on Fabric.
        overlay.setMetadata(write.key, undefined);
        ops.push({ type: 'del', sublevel: store.metadata, key: write.key });
      } else {
        ops.push({
          type: 'put',
          sublevel: store.state,
          key: write.key,
          value: encodeVersioned(version, value),
        });
      }
      ops.push({
        type: 'put',
        sublevel: store.history,
        key: historyKey(write.key, version),
        value: encodeHistoryEntry({
          txId: envelope.txId,
          value: value ?? new Uint8Array(),
          isDelete: value === undefined,
          timestamp,
        }),
      });
    }
    for (const write of envelope.rwset.metadataWrites) {
      this.applyMetadata(
        store.metadata,
        write.key,
        Buffer.from(write.validationParameter, 'base64'),
        overlay,
        ops,
      );
    }
    for (const c of envelope.rwset.collections) {
      for (const write of c.hashedWrites) {
        const key = collectionKey(c.collection, write.keyHash);
        overlay.addWrittenHash(key);
        if (write.valueHash === null) {
          ops.push({ type: 'del', sublevel: store.privateHashes, key });
          overlay.setMetadata(privateMetaKey(key), undefined);
          ops.push({ type: 'del', sublevel: store.privateMetadata, key });
        } else {
          ops.push({
            type: 'put',
            sublevel: store.privateHashes,
            key,
            value: encodeVersioned(version, Buffer.from(write.valueHash, 'hex')),
          });
        }
      }
      for (const write of c.metadataWrites) {
        this.applyMetadata(
          store.privateMetadata,
          collectionKey(c.collection, write.keyHash),
          Buffer.from(write.validationParameter, 'base64'),
          overlay,
          ops,
        );
      }
    }
    for (const write of tx.privateWrites) {
      const key = collectionKey(write.collection, write.key);
      if (write.value === undefined) ops.push({ type: 'del', sublevel: store.privateData, key });
      else
        ops.push({
          type: 'put',
          sublevel: store.privateData,
          key,
          value: encodeVersioned(version, write.value),
        });
    }
  }

  private applyMetadata(
    sublevel: Sublevel,
    key: string,
    param: Uint8Array,
    overlay: BlockOverlay,
    ops: StoreOp[],
  ): void {
    const overlayKey = sublevel === this.store.metadata ? key : privateMetaKey(key);
    if (param.length === 0) {
      overlay.setMetadata(overlayKey, undefined);
      ops.push({ type: 'del', sublevel, key });
    } else {
      overlay.setMetadata(overlayKey, param);
      ops.push({ type: 'put', sublevel, key, value: param });
    }
  }
}

/** Committed state as seen by the validator: the store plus the valid writes earlier in this block. */
class BlockOverlay {
  private readonly state = new Map<string, { version: Version; value: Uint8Array | undefined }>();
  /** Private key hashes (by collection) that earlier valid transactions of this block wrote or deleted. */
  private readonly writtenHashes = new Set<string>();
  private readonly meta = new Map<string, Uint8Array | undefined>();

  constructor(private readonly store: LedgerStore) {}

  /**
   * Whether a read of a public key at `readVersion` still holds. As Fabric's validateKVRead does, a
   * read of a key that an earlier transaction of this block wrote or deleted fails before versions
   * are compared: a delete leaves no version, and a read of the missing key would match that.
   */
  isCurrentRead(key: string, readVersion: Version | undefined): boolean {
    if (this.state.has(key)) return false;
    return sameVersion(readVersion, this.store.getVersioned(this.store.state, key)?.version);
  }

  /** The same for a hashed (private) read, by collection and key hash (validateKVReadHash). */
  isCurrentHashedRead(key: string, readVersion: Version | undefined): boolean {
    if (this.writtenHashes.has(key)) return false;
    return sameVersion(readVersion, this.store.getVersioned(this.store.privateHashes, key)?.version);
  }

  /** Public keys as they are; private ones through privateMetaKey, so the two never collide. */
  metadata(key: string): Uint8Array | undefined {
    if (this.meta.has(key)) return this.meta.get(key);
    if (key.startsWith(PRIVATE_META))
      return this.store.read(this.store.privateMetadata, key.slice(PRIVATE_META.length));
    return this.store.read(this.store.metadata, key);
  }

  async range(startKey: string, endKey: string): Promise<{ key: string; version: Version }[]> {
    const merged = new Map<string, Version>();
    for await (const entry of this.store.range(this.store.state, startKey, endKey))
      merged.set(entry.key, entry.version);
    for (const [key, local] of this.state) {
      if (compareKeys(key, startKey) < 0 || (endKey !== '' && compareKeys(key, endKey) >= 0)) continue;
      if (local.value === undefined) merged.delete(key);
      else merged.set(key, local.version);
    }
    return [...merged.entries()]
      .map(([key, version]) => ({ key, version }))
      .sort((a, b) => compareKeys(a.key, b.key));
  }

  setState(key: string, version: Version, value: Uint8Array | undefined): void {
    this.state.set(key, { version, value });
  }

  addWrittenHash(key: string): void {
    this.writtenHashes.add(key);
  }

  setMetadata(key: string, param: Uint8Array | undefined): void {
    this.meta.set(key, param);
  }
}
