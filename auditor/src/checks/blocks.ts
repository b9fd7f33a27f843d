import { isConfigData, type Block } from '../../../gateway/src/ledger/embedded/block.js';
import { readSavepoint, storedBlockExtent } from '../../../gateway/src/ledger/embedded/chain.js';
import { blockKey, type LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';
import { KeyType } from '@customs-ledger/chaincode';
import { stateKeyText } from '../format.js';
import { compositeKey } from './provenance.js';
import { MalformedBlockError, readStoredBlock } from './stored-block.js';

/** What a block of a data directory says a transaction wrote to a state key. */
export type BlockWrite =
  | { readonly found: 'value'; readonly value: Buffer }
  /** The block is beyond the copy's height: committed after the copy was made, if at all. */
  | { readonly found: 'newer'; readonly height: number }
  | { readonly found: 'mismatch'; readonly reason: string };

/** An erasure of a consignment record's fields, as the erasure mark on the chain records it. */
export interface RecordErasure {
  readonly txId: string;
  readonly at: string;
  readonly reason: string;
  readonly paths: readonly string[];
}

/**
 * The blocks of a stopped gateway's data directory, or of a copy of it, as the ground a gateway's
 * claims are checked on: which transaction a block holds, whether it is valid, what it wrote.
 * A copy is a moment of the ledger: a block beyond its height is newer than the copy, not missing.
 */
export class StoredBlocks {
  private constructor(
    private readonly store: LedgerStore,
    /** Blocks the copy holds: its savepoint's count, else (no savepoint to go by) one past the last stored. */
    readonly height: number,
  ) {}

  static async of(store: LedgerStore): Promise<StoredBlocks> {
    const savepoint = await readSavepoint(store).catch(() => undefined);
    return new StoredBlocks(store, savepoint?.height ?? (await storedBlockExtent(store)));
  }

  /** The block the copy's transaction index places a transaction in, for a claim that names none. */
  async blockOf(txId: string): Promise<number | undefined> {
    const entry = await this.store.transactions.get(txId);
    if (!entry) return undefined;
    const { block } = JSON.parse(Buffer.from(entry).toString('utf8')) as { block?: unknown };
    return typeof block === 'number' ? block : undefined;
  }

  /**
   * The erasures of a consignment record's fields by any of its holders: each holder's erasure
   * mark is found through the copy's world state, and read from the block its last erasure
   * transaction wrote it in (verify-state checks that the state hides no mark).
   */
  async erasuresOf(consignmentId: string, record: string): Promise<RecordErasure[]> {
    const prefix = compositeKey(KeyType.erasure, ['consignment', consignmentId, record]);
    const erasures: RecordErasure[] = [];
    for await (const entry of this.store.range(this.store.state, prefix, `${prefix}\uffff`)) {
      const { txId } = jsonOf(entry.value) as { txId?: unknown };
      const written = await this.written(entry.version.blockNum, String(txId), entry.key);
      if (written.found !== 'value') continue;
      const { erasures: marked } = jsonOf(written.value) as { erasures?: unknown };
      if (Array.isArray(marked)) erasures.push(...(marked as RecordErasure[]));
    }
    return erasures;
  }

  /** The value transaction `txId` wrote to `key` according to block `blockNumber`, if it is valid there. */
  async written(blockNumber: number, txId: string, key: string): Promise<BlockWrite> {
    const mismatch = (reason: string): BlockWrite => ({ found: 'mismatch', reason });
    // The number comes from a gateway's answer, which may be anything.
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0) {
      return mismatch(`${JSON.stringify(blockNumber)} is no block number`);
    }
    const bytes = await this.store.blocks.get(blockKey(blockNumber));
    if (!bytes) {
      return blockNumber >= this.height
        ? { found: 'newer', height: this.height }
        : mismatch(`block ${blockNumber} is not in the data directory`);
    }
    let block: Block;
    try {
      block = readStoredBlock(bytes);
    } catch (error) {
      if (!(error instanceof MalformedBlockError)) throw error;
      return mismatch(`block ${blockNumber} cannot be read: ${error.message}`);
    }
    if (isConfigData(block.data)) return mismatch(`block ${blockNumber} is a configuration block`);
    const txNum = block.data.transactions.findIndex((tx) => tx.txId === txId);
    if (txNum < 0) return mismatch(`block ${blockNumber} does not hold transaction ${txId}`);
    const code = block.metadata.validationCodes[txNum];
    if (code !== TxValidationCode.VALID) {
      return mismatch(`transaction is not valid in block ${blockNumber} (code ${code})`);
    }
    const write = block.data.transactions[txNum]!.rwset.writes.find((w) => w.key === key);
    if (!write || write.value === null) {
      return mismatch(`the transaction wrote no value to ${stateKeyText(key)}`);
    }
    return { found: 'value', value: Buffer.from(write.value, 'base64') };
  }
}

/** A stored JSON value, or an empty object where the bytes are none: a changed store is verify-state's to name. */
function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) ?? {};
  } catch {
    return {};
  }
}
