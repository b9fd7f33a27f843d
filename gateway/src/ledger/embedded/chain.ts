import { dataHash, decodeBlock, headerHash, type Block } from './block.js';
import { blockKey, type LedgerStore } from './store.js';

export type ChainVerification =
  | { readonly ok: true; readonly height: number }
  | {
      readonly ok: false;
      readonly blockNumber: number;
      /** The transaction at fault, when it is one (a transaction-index entry): its position and id. */
      readonly transaction?: { readonly index: number; readonly txId: string };
      readonly reason: string;
    };

type ChainFailure = Extract<ChainVerification, { ok: false }>;

/** A ledger is created with its genesis block: a height below 1 describes no chain, it hides one. */
function genesisProblem(height: number): ChainFailure | undefined {
  return Number.isSafeInteger(height) && height >= 1
    ? undefined
    : {
        ok: false,
        blockNumber: 0,
        reason: `the savepoint counts ${height} blocks, but a ledger always holds its genesis block`,
      };
}

/**
 * Why `block`, stored as block n, is not the block a chain holds there after a header hashing to
 * `previousHash`: its number, its link, its data hash. Undefined when it is.
 */
export function blockLinkProblem(n: number, block: Block, previousHash: string): string | undefined {
  const number: unknown = block.header?.number;
  // Printed as "header says block 5", the string "5" in block 5 would read as no fault at all.
  if (typeof number !== 'number') {
    return `header.number is ${JSON.stringify(number) ?? 'missing'}, expected a number`;
  }
  if (number !== n) return `header says block ${number}`;
  if (block.header.previousHash !== previousHash) {
    return 'previous hash does not match the previous block header';
  }
  if (dataHash(block.data) !== block.header.dataHash) return 'data hash does not match the block data';
  return undefined;
}

/**
 * Verifies a stored chain from genesis: each block decodes, carries its own number, links to the
 * hash of the previous header, and its data hashes to the header's data hash; the last header
 * matches the savepoint. Any changed byte therefore shows up at the block that holds it.
 */
export async function verifyChain(
  height: number,
  readBlock: (n: number) => Promise<Uint8Array | undefined>,
  tipHash: string,
  onBlock?: (n: number) => void,
): Promise<ChainVerification> {
  const noGenesis = genesisProblem(height);
  if (noGenesis) return noGenesis;
  let previousHash = '';
  for (let n = 0; n < height; n++) {
    const bytes = await readBlock(n);
    if (!bytes) return { ok: false, blockNumber: n, reason: 'block is missing' };
    let block: Block;
    try {
      block = decodeBlock(bytes);
    } catch {
      return { ok: false, blockNumber: n, reason: 'block bytes do not decode' };
    }
    const misplaced = blockLinkProblem(n, block, previousHash);
    if (misplaced) return { ok: false, blockNumber: n, reason: misplaced };
    previousHash = headerHash(block.header);
    onBlock?.(n);
  }
  if (previousHash !== tipHash) {
    return { ok: false, blockNumber: height - 1, reason: 'last block header does not match the savepoint' };
  }
  return { ok: true, height };
}

/** The savepoint: how many blocks the store holds and the hash of the last block header. */
export interface Savepoint {
  readonly height: number;
  readonly hash: string;
}

/** A stored savepoint that is not {height, hash}: a verdict about the store, not a fault of the reader. */
export class SavepointError extends Error {
  override readonly name = 'SavepointError';
}

/**
 * Reads the savepoint of a store (undefined when the store holds no ledger yet). Throws a
 * SavepointError when what is stored is not a savepoint; whether its values fit the blocks is
 * for verifyStoredChain or checkSavepoint to say.
 */
export async function readSavepoint(store: LedgerStore): Promise<Savepoint | undefined> {
  const bytes = await store.savepoint.get('tip');
  if (!bytes) return undefined;
  const text = Buffer.from(bytes).toString('utf8');
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SavepointError(`the savepoint is not JSON: ${shown}`);
  }
  const { height, hash } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || typeof hash !== 'string') {
    throw new SavepointError(`the savepoint is not {height: integer, hash: string}: ${shown}`);
  }
  return { height, hash };
}

/** How blockKey spells a block number. */
export const BLOCK_KEY = /^[0-9a-f]{16}$/;

/** One past the highest block number stored, whatever the savepoint says; 0 when none is. */
export async function storedBlockExtent(store: LedgerStore): Promise<number> {
  // A key that is no block number (the auditor names it) counts for none.
  for await (const key of store.blocks.keys({ reverse: true })) {
    if (BLOCK_KEY.test(key)) return Number.parseInt(key, 16) + 1;
  }
  return 0;
}

/**
 * A block or transaction-index entry at or beyond the savepoint's height. There is none on a
 * ledger as it committed: each block is written with its index entries and the new savepoint in
 * one atomic batch. One there means the savepoint was moved back, hiding what follows from any
 * check that stops at it, or that blocks were added after it.
 */
async function storedBeyond(store: LedgerStore, height: number): Promise<ChainFailure | undefined> {
  let first: string | undefined;
  // A key that is no block number is not a block beyond: the auditor names it wherever it sorts.
  for await (const key of store.blocks.keys({ gte: blockKey(height) })) {
    if (!BLOCK_KEY.test(key)) continue;
    first = key;
    break;
  }
  if (first !== undefined) {
    const from = Number.parseInt(first, 16);
    const to = (await storedBlockExtent(store)) - 1;
    return {
      ok: false,
      blockNumber: from,
      reason:
        `${from === to ? `block ${from} is` : `blocks ${from}–${to} are`} stored beyond the savepoint, ` +
        `which counts ${height} blocks: it was moved back, or blocks were added after it`,
    };
  }
  for await (const [txId, value] of store.transactions.iterator()) {
    let entry: { block?: unknown; tx?: unknown };
    try {
      entry = JSON.parse(Buffer.from(value).toString('utf8')) as typeof entry;
    } catch {
      // It places nothing anywhere; checking each block against the index names a corrupt entry.
      continue;
    }
    if (typeof entry?.block === 'number' && entry.block >= height) {
      return {
        ok: false,
        blockNumber: entry.block,
        transaction: { index: Number(entry.tx), txId },
        reason:
          `the transaction index places transaction ${txId} in block ${entry.block}, beyond the savepoint, ` +
          `which counts ${height} blocks: it was moved back and the blocks after it removed`,
      };
    }
  }
  return undefined;
}

/**
 * Checks a savepoint against the store without walking the chain: it counts the genesis block,
 * names the header hash of the last block it counts, and nothing is stored beyond it. For a
 * check that reads the blocks for something else (the audit log's anchors) and must know that
 * the savepoint hides none of them.
 */
export async function checkSavepoint(
  store: LedgerStore,
  savepoint: Savepoint,
): Promise<ChainFailure | undefined> {
  const { height, hash } = savepoint;
  const noGenesis = genesisProblem(height);
  if (noGenesis) return noGenesis;
  const bytes = await store.blocks.get(blockKey(height - 1));
  if (!bytes) {
    // Named where the stored blocks end, as verifyChain names it: not the block the savepoint counts last.
    return {
      ok: false,
      blockNumber: await firstMissingBlock(store, height),
      reason: `block is missing, though the savepoint counts ${height} blocks`,
    };
  }
  let lastHash: string | undefined;
  try {
    lastHash = headerHash(decodeBlock(bytes).header);
  } catch {
    lastHash = undefined;
  }
  if (lastHash !== hash) {
    return { ok: false, blockNumber: height - 1, reason: 'last block header does not match the savepoint' };
  }
  return storedBeyond(store, height);
}

/** The lowest block number with no block stored, for a store whose block `height` − 1 is missing. */
async function firstMissingBlock(store: LedgerStore, height: number): Promise<number> {
  let next = 0;
  for await (const key of store.blocks.keys({ lt: blockKey(height) })) {
    if (!BLOCK_KEY.test(key)) continue;
    if (key !== blockKey(next)) break;
    next += 1;
  }
  return next;
}

/**
 * Verifies the chain of a store opened for reading only (no orderer, no peers): what an auditor
 * runs on a stopped gateway's DATA_DIR or a copy of it. Also checks that nothing is stored beyond
 * the savepoint, which a check that stops at the savepoint could not otherwise see. `readBlock`
 * defaults to the stored bytes; a caller may wrap it to look at each block as it goes by.
 */
export async function verifyStoredChain(
  store: LedgerStore,
  savepoint: Savepoint,
  onBlock?: (n: number) => void,
  readBlock: (n: number) => Promise<Uint8Array | undefined> = (n) => store.blocks.get(blockKey(n)),
): Promise<ChainVerification> {
  const verdict = await verifyChain(savepoint.height, readBlock, savepoint.hash, onBlock);
  return verdict.ok ? ((await storedBeyond(store, savepoint.height)) ?? verdict) : verdict;
}
