import { decodeBlock, isConfigData, type Block } from '../../../gateway/src/ledger/embedded/block.js';
import { blockKey, type LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { BlockWriter } from '../../../gateway/src/ledger/embedded/validator.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';
import type { Progress } from '../progress.js';
import type { ChainProblem } from './chain.js';

export interface Replay {
  readonly blocks: number;
  readonly transactions: number;
  readonly validTransactions: number;
}

/**
 * Replays blocks 0 to height − 1 of `ledger` into the empty store `scratch`, one batch a block,
 * through the committer's own BlockWriter and with the validation codes the blocks carry: the
 * scratch store then holds the world state, key-level policies, private data hashes, history and
 * transaction index those blocks commit to, and no private data (blocks hold only its hashes).
 * Stops at the first block that is missing or cannot be read as a block: what follows it cannot
 * be replayed, and verify-chain names why.
 */
export async function replayBlocks(
  ledger: LedgerStore,
  scratch: LedgerStore,
  height: number,
  progress: Progress,
): Promise<Replay | ChainProblem> {
  let transactions = 0;
  let validTransactions = 0;
  progress.start(height, 'replaying blocks');
  try {
    for (let n = 0; n < height; n++) {
      const bytes = await ledger.blocks.get(blockKey(n));
      if (!bytes)
        return {
          blockNumber: n,
          reason: 'block is missing, so it and the blocks after it cannot be replayed',
        };
      let block: Block;
      let writer: BlockWriter;
      try {
        block = decodeBlock(bytes);
        writer = new BlockWriter(scratch, n);
        if (!isConfigData(block.data)) {
          const codes = block.metadata.validationCodes;
          for (const [i, tx] of block.data.transactions.entries()) {
            const code = codes[i];
            if (typeof code !== 'number') throw new Error(`transaction ${i} has no validation code`);
            writer.add(i, tx, [], code);
            transactions += 1;
            if (code === TxValidationCode.VALID) validTransactions += 1;
          }
        }
      } catch (error) {
        return { blockNumber: n, reason: `block cannot be replayed: ${(error as Error).message}` };
      }
      await scratch.write(writer.ops);
      progress.tick();
    }
  } finally {
    progress.stop();
  }
  return { blocks: height, transactions, validTransactions };
}
