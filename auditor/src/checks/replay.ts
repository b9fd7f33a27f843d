import { headerHash, isConfigData, type Block } from '../../../gateway/src/ledger/embedded/block.js';
import { blockLinkProblem } from '../../../gateway/src/ledger/embedded/chain.js';
import { readStoredBlock } from './stored-block.js';
import { blockKey, type LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { BlockValidator } from '../../../gateway/src/ledger/embedded/validator.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';
import type { Progress } from '../progress.js';
import { ChannelConfig } from './channel.js';
import type { ChainProblem } from './chain.js';

/** A transaction whose validation code in its block's metadata is not the one validating it again gives. */
export interface CodeDisagreement {
  readonly blockNumber: number;
  readonly index: number;
  readonly txId: string;
  /** The code the block's metadata carries (verify-chain checks there is one a transaction). */
  readonly recorded: unknown;
  /** The code the committer's rules give it on the state replayed up to it. */
  readonly derived: number;
}

export interface Replay {
  readonly blocks: number;
  readonly transactions: number;
  readonly validTransactions: number;
  /** Codes that disagree, the first MAX_DISAGREEMENTS of them; `disagreeing` counts them all. */
  readonly disagreements: readonly CodeDisagreement[];
  readonly disagreeing: number;
}

/** A metadata rewritten wholesale would disagree everywhere: the count says how much, the list how. */
const MAX_DISAGREEMENTS = 1_000;

/**
 * Replays blocks 0 to height − 1 of `ledger` into the empty store `scratch`, one batch a block,
 * validating each block's transactions again with the committer's own BlockValidator rather than
 * trusting the codes in the block's metadata (outside the hashed data, so an insider's to change
 * with the transaction index): duplicate ids, endorsement signatures and policies (key-level ones
 * as replayed so far, collection and chaincode ones from the configuration block), MVCC and phantom
 * reads against the state replayed so far. The re-derived codes decide what is applied, and each
 * one that differs from the metadata's is reported. The scratch store then holds the world state,
 * key-level policies, private data hashes, history and transaction index the blocks' transactions
 * commit to, and no private data (blocks hold only its hashes). Stops at the first block that is
 * missing, cannot be read as a block, or is not the block the chain holds there (its number, its
 * link to the previous header, its data hash): what follows it cannot be replayed.
 */
export async function replayBlocks(
  ledger: LedgerStore,
  scratch: LedgerStore,
  height: number,
  progress: Progress,
): Promise<Replay | ChainProblem> {
  let transactions = 0;
  let validTransactions = 0;
  let disagreeing = 0;
  const disagreements: CodeDisagreement[] = [];
  let validator: BlockValidator | undefined;
  let previousHash = '';
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
      let derivation: Awaited<ReturnType<BlockValidator['derive']>>;
      try {
        block = readStoredBlock(bytes);
        // A block out of its place would be replayed among the wrong neighbours: its transactions
        // and those after it would be judged on a state they were not committed on.
        const misplaced = blockLinkProblem(n, block, previousHash);
        if (misplaced) {
          return { blockNumber: n, reason: `${misplaced}, so it and the blocks after it cannot be replayed` };
        }
        previousHash = headerHash(block.header);
        if (isConfigData(block.data)) {
          validator = new BlockValidator(scratch, ChannelConfig.of(block.data).policies);
          progress.tick();
          continue;
        }
        if (!validator) throw new Error('no configuration block precedes it');
        derivation = await validator.derive(
          n,
          block.data.transactions.map((envelope) => ({
            envelope,
            privateWrites: [],
            endorsedInProcess: false,
          })),
        );
      } catch (error) {
        return { blockNumber: n, reason: `block cannot be replayed: ${(error as Error).message}` };
      }
      const txs = block.data.transactions;
      const { codes, ops } = derivation;
      for (const [i, derived] of codes.entries()) {
        const recorded = block.metadata.validationCodes[i];
        transactions += 1;
        if (derived === TxValidationCode.VALID) validTransactions += 1;
        if (recorded === derived) continue;
        disagreeing += 1;
        if (disagreements.length < MAX_DISAGREEMENTS) {
          disagreements.push({ blockNumber: n, index: i, txId: txs[i]!.txId, recorded, derived });
        }
      }
      await scratch.write(ops);
      progress.tick();
    }
  } finally {
    progress.stop();
  }
  return { blocks: height, transactions, validTransactions, disagreements, disagreeing };
}
