import { dataHash, decodeBlock, headerHash, type Block } from './block.js';
import { blockKey, type LedgerStore } from './store.js';

export type ChainVerification =
  | { readonly ok: true; readonly height: number }
  | { readonly ok: false; readonly blockNumber: number; readonly reason: string };

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
    if (block.header?.number !== n)
      return { ok: false, blockNumber: n, reason: `header says block ${block.header?.number}` };
    if (block.header.previousHash !== previousHash) {
      return { ok: false, blockNumber: n, reason: 'previous hash does not match the previous block header' };
    }
    if (dataHash(block.data) !== block.header.dataHash) {
      return { ok: false, blockNumber: n, reason: 'data hash does not match the block data' };
    }
    previousHash = headerHash(block.header);
    onBlock?.(n);
  }
  if (height > 0 && previousHash !== tipHash) {
    return { ok: false, blockNumber: height - 1, reason: 'last block header does not match the savepoint' };
  }
  return { ok: true, height };
}

/** The savepoint: how many blocks the store holds and the hash of the last block header. */
export interface Savepoint {
  readonly height: number;
  readonly hash: string;
}

/** Reads the savepoint of a store (undefined when the store holds no ledger yet). */
export async function readSavepoint(store: LedgerStore): Promise<Savepoint | undefined> {
  const bytes = await store.savepoint.get('tip');
  return bytes ? (JSON.parse(Buffer.from(bytes).toString()) as Savepoint) : undefined;
}

/**
 * Verifies the chain of a store opened for reading only (no orderer, no peers): what an auditor
 * runs on a stopped gateway's DATA_DIR or a copy of it. `readBlock` defaults to the stored bytes;
 * a caller may wrap it to look at each block as it goes by.
 */
export async function verifyStoredChain(
  store: LedgerStore,
  savepoint: Savepoint,
  onBlock?: (n: number) => void,
  readBlock: (n: number) => Promise<Uint8Array | undefined> = (n) => store.blocks.get(blockKey(n)),
): Promise<ChainVerification> {
  return verifyChain(savepoint.height, readBlock, savepoint.hash, onBlock);
}
