import {
  decodeBlock,
  headerHash,
  isConfigData,
  type Block,
} from '../../../gateway/src/ledger/embedded/block.js';
import {
  BLOCK_KEY,
  checkSavepoint,
  readSavepoint,
  SavepointError,
  verifyStoredChain,
  type ChainVerification,
  type Savepoint,
} from '../../../gateway/src/ledger/embedded/chain.js';
import { blockKey, type LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';
import { count, short } from '../format.js';
import { ChannelConfig } from './channel.js';
import type { Progress } from '../progress.js';

/** Where the chain stops being what was committed, and why. */
export interface ChainProblem {
  /** The block at fault; null when the ledger has no savepoint at all. */
  readonly blockNumber: number | null;
  /** The transaction within the block, when the fault is about one. */
  readonly transaction?: { readonly index: number; readonly txId: string };
  readonly reason: string;
}

export interface ChainReport {
  readonly ok: boolean;
  /** Blocks the savepoint says the ledger holds. */
  readonly height: number;
  /** Blocks read and found sound before the first problem (all of them when ok). */
  readonly blocksVerified: number;
  readonly transactions: number;
  /** Endorsements of those transactions, each one's certificate and signature checked. */
  readonly endorsements: number;
  /** Hex hash of the last block header, as the savepoint records it. */
  readonly tipHash: string;
  readonly problem?: ChainProblem;
}

/** Where a problem is, for people: the ledger as a whole, a block, or a transaction in it. */
export function placeOf(problem: Pick<ChainProblem, 'blockNumber' | 'transaction'>): string {
  if (problem.blockNumber === null) return 'the ledger';
  const { transaction } = problem;
  return (
    `block ${problem.blockNumber}` +
    (transaction ? `, transaction ${transaction.index} (tx ${short(transaction.txId, 16)})` : '')
  );
}

const CODE_NAMES = new Map<number, string>(
  Object.entries(TxValidationCode).map(([name, code]) => [code, name]),
);
export const codeName = (code: unknown): string =>
  typeof code === 'number'
    ? (CODE_NAMES.get(code) ?? String(code))
    : code === undefined
      ? '(no code)'
      : JSON.stringify(code);

interface IndexEntry {
  readonly block: number;
  readonly tx: number;
  readonly code: number;
}

/**
 * The store's savepoint, or why there is none to go by: missing (with or without blocks) or not a
 * savepoint at all. Either is a verdict about the store, reported like a changed block.
 */
async function savepointOf(store: LedgerStore): Promise<Savepoint | ChainProblem> {
  let savepoint: Savepoint | undefined;
  try {
    savepoint = await readSavepoint(store);
  } catch (error) {
    if (error instanceof SavepointError) return { blockNumber: null, reason: error.message };
    throw error;
  }
  if (savepoint) return savepoint;
  const anyBlock = await store.blocks.get(blockKey(0));
  return {
    blockNumber: null,
    reason: anyBlock
      ? 'the savepoint (height and tip hash) is missing although blocks are stored'
      : 'the ledger store holds no blocks and no savepoint',
  };
}

/**
 * Whether the savepoint can be trusted to say what the store holds: well formed, counting the
 * genesis block, naming the last header it counts, and nothing stored beyond it. For checks that
 * read the blocks for something else and need the savepoint to hide none of them.
 */
export async function savepointProblem(store: LedgerStore): Promise<ChainProblem | undefined> {
  const savepoint = await savepointOf(store);
  if (!('height' in savepoint)) return savepoint;
  const failure = await checkSavepoint(store, savepoint);
  return (
    failure && { blockNumber: failure.blockNumber, transaction: failure.transaction, reason: failure.reason }
  );
}

/** Keys named in full; a store filled with them is counted beyond these. */
const STRAY_KEYS_NAMED = 5;

/**
 * The keys of the blocks' store that are no block number, wherever they sort: the ledger writes
 * none, and a walk by block number, or from the savepoint's height on, passes those among the
 * blocks by. A verdict about the store, not about a block. Fed by a walk of the store's keys, this
 * one's or one that reads the blocks anyway (readAnchors).
 */
export class StrayKeys {
  private readonly named: string[] = [];
  private found = 0;

  /** Takes a key of the blocks' store: counted if it is no block number. */
  see(key: string): void {
    if (BLOCK_KEY.test(key)) return;
    this.found += 1;
    if (this.named.length < STRAY_KEYS_NAMED) this.named.push(JSON.stringify(key));
  }

  problem(): ChainProblem | undefined {
    const { found, named } = this;
    if (found === 0) return undefined;
    const keys = named.join(', ') + (found > named.length ? ` and ${found - named.length} more` : '');
    return {
      blockNumber: null,
      reason:
        found === 1
          ? `the blocks' store holds a key that is no block number, ${keys}: it was added to it`
          : `the blocks' store holds ${found} keys that are no block number, ${keys}: they were added to it`,
    };
  }
}

/** StrayKeys over the whole blocks' store. */
export async function strayKeyProblem(store: LedgerStore): Promise<ChainProblem | undefined> {
  const stray = new StrayKeys();
  for await (const key of store.blocks.keys()) stray.see(key);
  return stray.problem();
}

/**
 * Verifies the stored chain from genesis with the ledger's own check (decoding, block numbers,
 * hash links, data hashes, the savepoint, nothing stored beyond it), then that the blocks' store
 * holds nothing else (strayKeyProblem), and every transaction's signatures against the channel
 * configuration on the chain (SignatureCheck), and cross-checks
 * what the hashes cannot cover: a block's metadata (its validation codes) is outside the hashed data, on
 * Fabric as here, so each code is compared with the transaction index the same atomic commit
 * wrote. Either store changed alone shows up, so a changed byte anywhere in a block value is
 * named by its block.
 */
export async function checkChain(store: LedgerStore, progress: Progress): Promise<ChainReport> {
  const savepoint = await savepointOf(store);
  if (!('height' in savepoint)) {
    return {
      ok: false,
      height: 0,
      blocksVerified: 0,
      transactions: 0,
      endorsements: 0,
      tipHash: '',
      problem: savepoint,
    };
  }
  let transactions = 0;
  let endorsements = 0;
  let verified = 0;
  let blockProblem: ChainProblem | undefined;
  const signatures = new SignatureCheck();
  const readBlock = async (n: number): Promise<Uint8Array | undefined> => {
    const bytes = await store.blocks.get(blockKey(n));
    if (bytes && !blockProblem) {
      const block = tryDecode(bytes);
      if (block) {
        if (!isConfigData(block.data)) {
          const txs = block.data?.transactions ?? [];
          transactions += txs.length;
          for (const tx of txs) endorsements += Array.isArray(tx?.endorsements) ? tx.endorsements.length : 0;
        }
        blockProblem = signatures.check(n, block) ?? (await crossCheckIndex(store, n, block));
      }
    }
    return bytes;
  };
  progress.start(Math.max(0, savepoint.height), 'verifying blocks');
  let result: ChainVerification;
  try {
    result = await verifyStoredChain(
      store,
      savepoint,
      (n) => {
        verified = n + 1;
        progress.tick();
      },
      readBlock,
    );
  } catch (error) {
    // Hashing throws on a block whose JSON decodes but lost its structure (e.g. a renamed key).
    result = {
      ok: false,
      blockNumber: verified,
      reason: `block structure is broken: ${(error as Error).message}`,
    };
  } finally {
    progress.stop();
  }
  const chainProblem: ChainProblem | undefined = result.ok
    ? undefined
    : { blockNumber: result.blockNumber, transaction: result.transaction, reason: result.reason };
  // The earliest block at fault; at the same block the hash check is the more basic reason.
  const problem =
    (blockProblem && (!chainProblem || blockProblem.blockNumber! < chainProblem.blockNumber!)
      ? blockProblem
      : chainProblem) ?? (await strayKeyProblem(store));
  return {
    ok: problem === undefined,
    height: savepoint.height,
    // A problem beyond the savepoint leaves the blocks up to it verified.
    blocksVerified: Math.min(problem?.blockNumber ?? verified, verified),
    transactions,
    endorsements,
    tipHash: savepoint.hash,
    problem,
  };
}

function tryDecode(bytes: Uint8Array): Block | undefined {
  try {
    return decodeBlock(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The signatures of every transaction, checked against the channel configuration the chain
 * itself carries (its latest configuration block): the creator's over the envelope, each
 * endorser's over the proposal response payload, every certificate against its organisation's CA.
 * The embedded ledger's orderer signs no blocks: the hash chain and a pinned tip stand for that.
 */
class SignatureCheck {
  private channel: ChannelConfig | undefined;

  check(n: number, block: Block): ChainProblem | undefined {
    if (isConfigData(block.data)) {
      try {
        this.channel = ChannelConfig.of(block.data);
      } catch (error) {
        return { blockNumber: n, reason: (error as Error).message };
      }
      return undefined;
    }
    const txs = Array.isArray(block.data?.transactions) ? block.data.transactions : [];
    for (const [i, tx] of txs.entries()) {
      const at = { index: i, txId: String(tx?.txId) };
      if (!this.channel) {
        return { blockNumber: n, transaction: at, reason: 'no configuration block precedes it' };
      }
      let faults: string[];
      try {
        faults = this.channel.signatureFaults(tx);
      } catch (error) {
        faults = [`the transaction's signatures cannot be read: ${(error as Error).message}`];
      }
      if (faults.length > 0) return { blockNumber: n, transaction: at, reason: faults.join('; ') };
    }
    return undefined;
  }
}

/** Compares block n's validation codes with the transaction index (txId → block, position, code). */
async function crossCheckIndex(
  store: LedgerStore,
  n: number,
  block: Block,
): Promise<ChainProblem | undefined> {
  if (!block.data || isConfigData(block.data)) return undefined;
  const txs = Array.isArray(block.data.transactions) ? block.data.transactions : [];
  const codes = block.metadata?.validationCodes;
  if (!Array.isArray(codes) || codes.length !== txs.length) {
    return {
      blockNumber: n,
      reason: `metadata holds ${Array.isArray(codes) ? count(codes.length, 'validation code') : 'no validation codes'} for ${count(txs.length, 'transaction')}`,
    };
  }
  for (const [i, tx] of txs.entries()) {
    const txId = String(tx?.txId);
    const at = { index: i, txId };
    const stored = await store.transactions.get(txId);
    if (!stored) {
      return {
        blockNumber: n,
        transaction: at,
        reason: `transaction ${txId} is not in the transaction index`,
      };
    }
    let entry: IndexEntry;
    try {
      entry = JSON.parse(Buffer.from(stored).toString('utf8')) as IndexEntry;
    } catch {
      return { blockNumber: n, transaction: at, reason: `the transaction index entry of ${txId} is corrupt` };
    }
    const code = codes[i] as unknown;
    if (code === TxValidationCode.DUPLICATE_TXID) {
      // A duplicate is indexed where its first copy is: strictly before this position.
      if (entry.block > n || (entry.block === n && entry.tx >= i)) {
        return {
          blockNumber: n,
          transaction: at,
          reason: `marked DUPLICATE_TXID but the transaction index has its first copy at block ${entry.block}, position ${entry.tx}`,
        };
      }
    } else if (entry.block !== n || entry.tx !== i || entry.code !== code) {
      return {
        blockNumber: n,
        transaction: at,
        reason:
          `the block's metadata marks it ${codeName(code)}, the transaction index ` +
          `${codeName(entry.code)} at block ${entry.block}, position ${entry.tx}`,
      };
    }
  }
  return undefined;
}

/**
 * A tip recorded earlier, outside the data directory: how many blocks the ledger held then, and
 * the header hash of the last of them. Whoever holds the directory can rewrite a block and re-hash
 * every later one, or drop the last blocks and move the savepoint back, and the chain still links
 * from genesis: only a tip kept elsewhere refutes that.
 */
export interface PinnedTip {
  readonly height: number;
  readonly hash: string;
}

export interface PinCheck extends PinnedTip {
  /** matches: block height − 1 has that header hash; missing: the ledger is shorter; differs: another hash. */
  readonly verdict: 'matches' | 'missing' | 'differs';
  /** The header hash block height − 1 has now, when it is stored. */
  readonly stored?: string;
}

/** Each pinned tip against a chain checkChain verified, whose savepoint counts `height` blocks. */
export async function checkPins(
  store: LedgerStore,
  height: number,
  pins: readonly PinnedTip[],
): Promise<PinCheck[]> {
  const checks: PinCheck[] = [];
  for (const pin of pins) {
    if (pin.height > height) {
      checks.push({ ...pin, verdict: 'missing' });
      continue;
    }
    const bytes = (await store.blocks.get(blockKey(pin.height - 1)))!;
    const stored = headerHash(decodeBlock(bytes).header);
    checks.push({ ...pin, verdict: stored === pin.hash ? 'matches' : 'differs', stored });
  }
  return checks;
}
