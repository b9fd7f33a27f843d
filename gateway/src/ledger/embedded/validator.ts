import { sealBlock, type Block, type EncodedRwSet, type TransactionEnvelope } from './block.js';
import { endorsementFault, envelopeResponsePayload } from './endorser.js';
import {
  evaluatePolicy,
  decodeValidationParameter,
  parseEndorsementPolicy,
  type EndorsementPolicy,
} from './policy.js';
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

/**
 * The endorsement policies a channel configuration sets: the chaincode's (`endorsementPolicy`, in
 * parseEndorsementPolicy's text form) and each collection's own, where it has one.
 */
export function configuredPolicies(
  endorsementPolicy: string,
  orgIds: readonly string[],
  collections: readonly { readonly name: string; readonly endorsementPolicy?: string }[],
): Pick<ValidationPolicies, 'chaincode' | 'collections'> {
  return {
    chaincode: parseEndorsementPolicy(endorsementPolicy, orgIds),
    collections: new Map(
      collections.map((c) => [
        c.name,
        c.endorsementPolicy ? parseEndorsementPolicy(c.endorsementPolicy, orgIds) : undefined,
      ]),
    ),
  };
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
    const { codes, ops, purgedKeys } = await this.derive(number, transactions);
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

  /**
   * The validation code of each transaction of block `number`, and what the valid ones write, as
   * the committer derives them before it seals the block; the auditor derives them again from a
   * stored block's transactions to check the codes its metadata carries.
   */
  async derive(
    number: number,
    transactions: readonly OrderedTransaction[],
  ): Promise<{ codes: number[]; ops: StoreOp[]; purgedKeys: string[] }> {
    const writer = new BlockWriter(this.store, number);
    const { overlay, ops } = writer;
    const codes: number[] = [];
    const seen = new Set<string>();
    const purgedKeys: string[] = [];
    /** Keys (private ones through privateMetaKey) whose parameter an earlier transaction of the block writes. */
    const parametersWritten = new Set<string>();
    for (const [txNum, tx] of transactions.entries()) {
      const { envelope } = tx;
      let code: number = TxValidationCode.VALID;
      if (seen.has(envelope.txId) || this.store.read(this.store.transactions, envelope.txId) !== undefined) {
        code = TxValidationCode.DUPLICATE_TXID;
      } else if (!this.endorsementSatisfied(tx, parametersWritten)) {
        code = TxValidationCode.ENDORSEMENT_POLICY_FAILURE;
      } else {
        // Fabric's vpmanagerimpl.go waitForValidationResults waits on the endorsement (VSCC) result
        // of the earlier transaction only: its parameter writes count even if MVCC then rejects it.
        for (const key of parameterKeys(envelope.rwset)) parametersWritten.add(key);
        if (this.hasReadConflict(envelope.rwset, overlay)) code = TxValidationCode.MVCC_READ_CONFLICT;
        else if (await this.hasPhantomRead(envelope.rwset, overlay))
          code = TxValidationCode.PHANTOM_READ_CONFLICT;
      }
      if (code !== TxValidationCode.DUPLICATE_TXID) seen.add(envelope.txId);
      writer.add(txNum, envelope, tx.privateWrites, code);
      if (code === TxValidationCode.VALID) {
        for (const w of tx.privateWrites) if (w.isPurge) purgedKeys.push(collectionKey(w.collection, w.key));
      }
      codes.push(code);
    }
    return { codes, ops, purgedKeys };
  }

  private validEndorsements(envelope: TransactionEnvelope): TransactionEnvelope['endorsements'] {
    const payload = envelopeResponsePayload(envelope);
    return envelope.endorsements.filter(
      (e) => endorsementFault(payload, e, this.policies.isMemberIdentity) === undefined,
    );
  }

  /**
   * Key-level policies are those committed before this block, as Fabric's validation reads them
   * (GetValidationParameterForKey): a parameter that an earlier transaction of the block writes is
   * never used; writing such a key fails instead (ValidationParameterUpdatedError, a policy error).
   */
  private endorsementSatisfied(tx: OrderedTransaction, parametersWritten: ReadonlySet<string>): boolean {
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
      if (parametersWritten.has(key)) return false;
      const param = this.store.read(this.store.metadata, key);
      if (param && param.length > 0) keyPolicies.push(decodeValidationParameter(param));
      else needsChaincodePolicy = true;
    }
    for (const c of rwset.collections) {
      const keyHashes = new Set([
        ...c.hashedWrites.map((w) => w.keyHash),
        ...c.metadataWrites.map((w) => w.keyHash),
      ]);
      for (const keyHash of keyHashes) {
        const key = collectionKey(c.collection, keyHash);
        if (parametersWritten.has(privateMetaKey(key))) return false;
        const param = this.store.read(this.store.privateMetadata, key);
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
}

/**
 * What committing one block writes, transaction by transaction, as a committing peer does: each
 * transaction's index entry (but a duplicate's: the index keeps its first copy's), and each valid
 * one's state, key-level policies, history, private data hashes and private data, each seeing the
 * valid writes before it in the block. The validator builds a block's batch with it, and the
 * auditor replays stored blocks through it, so that both apply a write set the same way.
 */
export class BlockWriter {
  readonly overlay: BlockOverlay;
  readonly ops: StoreOp[] = [];

  constructor(
    private readonly store: LedgerStore,
    private readonly blockNum: number,
  ) {
    this.overlay = new BlockOverlay(store);
  }

  /** Transaction txNum of the block, with the validation code the committer gave it. */
  add(
    txNum: number,
    envelope: TransactionEnvelope,
    privateWrites: readonly PrivateWrite[],
    code: number,
  ): void {
    if (code !== TxValidationCode.DUPLICATE_TXID) {
      this.ops.push({
        type: 'put',
        sublevel: this.store.transactions,
        key: envelope.txId,
        value: Buffer.from(JSON.stringify({ block: this.blockNum, tx: txNum, code })),
      });
    }
    if (code === TxValidationCode.VALID)
      this.apply(envelope, privateWrites, { blockNum: this.blockNum, txNum });
  }

  private apply(
    envelope: TransactionEnvelope,
    privateWrites: readonly PrivateWrite[],
    version: Version,
  ): void {
    const { store, overlay, ops } = this;
    const ms = Date.parse(envelope.timestamp);
    const timestamp = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    const writes = new Map(
      envelope.rwset.writes.map((w) => [
        w.key,
        w.value === null ? undefined : Buffer.from(w.value, 'base64'),
      ]),
    );
    this.applyKeyOps(
      { values: store.state, parameters: store.metadata, latest: (key) => overlay.latestState(key) },
      writes,
      new Map(
        envelope.rwset.metadataWrites.map((w) => [w.key, Buffer.from(w.validationParameter, 'base64')]),
      ),
      (key, value) => overlay.setState(key, version, value),
      version,
    );
    for (const [key, value] of writes) {
      ops.push({
        type: 'put',
        sublevel: store.history,
        key: historyKey(key, version),
        value: encodeHistoryEntry({
          txId: envelope.txId,
          value: value ?? new Uint8Array(),
          isDelete: value === undefined,
          timestamp,
        }),
      });
    }
    for (const c of envelope.rwset.collections) {
      const key = (keyHash: string): string => collectionKey(c.collection, keyHash);
      this.applyKeyOps(
        {
          values: store.privateHashes,
          parameters: store.privateMetadata,
          latest: (k) => overlay.latestHash(k),
        },
        new Map(
          c.hashedWrites.map((w) => [
            key(w.keyHash),
            w.valueHash === null ? undefined : Buffer.from(w.valueHash, 'hex'),
          ]),
        ),
        new Map(c.metadataWrites.map((w) => [key(w.keyHash), Buffer.from(w.validationParameter, 'base64')])),
        (k, value) => overlay.setHash(k, value),
        version,
      );
    }
    for (const write of privateWrites) {
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

  /**
   * One transaction's value and parameter writes to a key space, merged per key as Fabric's
   * prepareTxOps (tx_ops.go) and applyWriteSet do: a delete removes the key with its parameter,
   * even one the transaction also sets; a parameter written without the value is stored with the
   * key's latest value rewritten at this transaction's height (a new version, which later reads
   * and range queries conflict with), or dropped when the key does not exist.
   */
  private applyKeyOps(
    space: { values: Sublevel; parameters: Sublevel; latest: (key: string) => Uint8Array | undefined },
    writes: ReadonlyMap<string, Uint8Array | undefined>,
    parameters: ReadonlyMap<string, Uint8Array>,
    setOverlay: (key: string, value: Uint8Array | undefined) => void,
    version: Version,
  ): void {
    const { ops } = this;
    for (const key of new Set([...writes.keys(), ...parameters.keys()])) {
      const written = writes.has(key);
      const value = written ? writes.get(key) : space.latest(key);
      // Also for a key an earlier transaction of this block deleted (on which Fabric 2.5 panics, in
      // UpdateBatch.PutValAndMetadata, as retrieveLatestState returns that delete's nil value).
      if (!written && value === undefined) continue;
      const param = parameters.get(key);
      if (value === undefined) {
        ops.push({ type: 'del', sublevel: space.values, key });
        ops.push({ type: 'del', sublevel: space.parameters, key });
      } else {
        ops.push({ type: 'put', sublevel: space.values, key, value: encodeVersioned(version, value) });
        if (param?.length === 0) ops.push({ type: 'del', sublevel: space.parameters, key });
        else if (param) ops.push({ type: 'put', sublevel: space.parameters, key, value: param });
      }
      setOverlay(key, value);
    }
  }
}

/** Committed state as seen by the validator: the store plus the valid writes earlier in this block. */
class BlockOverlay {
  private readonly state = new Map<string, { version: Version; value: Uint8Array | undefined }>();
  /** Value hashes of the private keys (by collection and key hash) that earlier valid transactions of this block wrote, undefined where deleted. */
  private readonly hashes = new Map<string, Uint8Array | undefined>();

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
    if (this.hashes.has(key)) return false;
    return sameVersion(readVersion, this.store.getVersioned(this.store.privateHashes, key)?.version);
  }

  latestState(key: string): Uint8Array | undefined {
    if (this.state.has(key)) return this.state.get(key)!.value;
    return this.store.getVersioned(this.store.state, key)?.value;
  }

  /** The value hash of a private key, by collection and key hash. */
  latestHash(key: string): Uint8Array | undefined {
    if (this.hashes.has(key)) return this.hashes.get(key);
    return this.store.getVersioned(this.store.privateHashes, key)?.value;
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

  setHash(key: string, value: Uint8Array | undefined): void {
    this.hashes.set(key, value);
  }
}

/** The keys whose validation parameter a transaction writes, private ones through privateMetaKey. */
function parameterKeys(rwset: EncodedRwSet): string[] {
  return [
    ...rwset.metadataWrites.map((w) => w.key),
    ...rwset.collections.flatMap((c) =>
      c.metadataWrites.map((w) => privateMetaKey(collectionKey(c.collection, w.keyHash))),
    ),
  ];
}
