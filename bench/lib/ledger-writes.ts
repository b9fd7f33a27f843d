import { isConfigData } from '../../gateway/src/ledger/embedded/block.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';

export interface BlockWrites {
  /** Valid transactions in the block. */
  readonly transactions: number;
  /** Their public writes (deletes left out), in block order: what a plain key-value store would hold. */
  readonly writes: readonly { readonly key: string; readonly value: Buffer }[];
}

/**
 * The public write sets of blocks [from, height), block by block, as the blocks hold them: the
 * workload of a raw `level` reference. Throws on an invalid transaction, which a benchmark never
 * expects.
 */
export async function* committedWrites(ledger: EmbeddedLedger, from: number): AsyncGenerator<BlockWrites> {
  for (let b = from; b < Number(ledger.height()); b++) {
    const block = await ledger.getBlock(b);
    if (isConfigData(block.data)) continue;
    const writes: { key: string; value: Buffer }[] = [];
    for (const [i, tx] of block.data.transactions.entries()) {
      if (block.metadata.validationCodes[i] !== TxValidationCode.VALID)
        throw new Error(`transaction ${tx.txId} in block ${b} is invalid`);
      for (const w of tx.rwset.writes)
        if (w.value !== null) writes.push({ key: w.key, value: Buffer.from(w.value, 'base64') });
    }
    yield { transactions: block.data.transactions.length, writes };
  }
}

/** The options the ledger's store writes with (`level` in Node is classic-level, which honours sync). */
export const SYNC_WRITE = { sync: true } as const;
