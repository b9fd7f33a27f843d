import { createHash } from 'node:crypto';
import { decodeBlock, isConfigData } from '../../../gateway/src/ledger/embedded/block.js';
import { blockKey, type LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';

/** What a provenance entry claims: its transaction wrote a value with this hash to this state key, in this block. */
export interface ClaimedEntry {
  readonly type: string;
  readonly txId: string;
  readonly block: number | null;
  readonly stateKey: { readonly objectType: string; readonly attributes: readonly string[] };
  readonly valueHash: string;
}

export interface EntryProblem {
  readonly index: number;
  readonly type: string;
  readonly txId: string;
  readonly reason: string;
}

export interface ProvenanceReport {
  readonly ok: boolean;
  readonly checked: number;
  readonly problems: readonly EntryProblem[];
}

/** Fabric's composite key encoding (U+0000 separators), as the chaincode's createCompositeKey builds it. */
export function compositeKey(objectType: string, attributes: readonly string[]): string {
  return `\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`;
}

/**
 * Checks each entry of a gateway's provenance answer against the stored blocks: the block it
 * names holds the transaction, the transaction is valid, and it wrote the entry's state key with
 * exactly the bytes the entry's hash commits to. A gateway (or a ledger) that invents, drops the
 * validity of, or alters a record shows up as the entry at fault. Run it on the blocks of a
 * stopped gateway's data directory or a copy of it; the chain itself is verify-chain's job.
 */
export async function checkProvenance(
  store: LedgerStore,
  entries: readonly ClaimedEntry[],
): Promise<ProvenanceReport> {
  const problems: EntryProblem[] = [];
  for (const [index, entry] of entries.entries()) {
    const reason = await problemWith(store, entry);
    if (reason !== undefined) problems.push({ index, type: entry.type, txId: entry.txId, reason });
  }
  return { ok: problems.length === 0, checked: entries.length, problems };
}

async function problemWith(store: LedgerStore, entry: ClaimedEntry): Promise<string | undefined> {
  if (entry.block === null) return 'the gateway named no block for its transaction';
  const bytes = await store.blocks.get(blockKey(entry.block));
  if (!bytes) return `block ${entry.block} is not in the data directory`;
  const block = decodeBlock(bytes);
  if (isConfigData(block.data)) return `block ${entry.block} is a configuration block`;
  const txNum = block.data.transactions.findIndex((tx) => tx.txId === entry.txId);
  if (txNum < 0) return `block ${entry.block} does not hold transaction ${entry.txId}`;
  const code = block.metadata.validationCodes[txNum];
  if (code !== TxValidationCode.VALID)
    return `transaction is not valid in block ${entry.block} (code ${code})`;
  const key = compositeKey(entry.stateKey.objectType, entry.stateKey.attributes);
  const write = block.data.transactions[txNum]!.rwset.writes.find((w) => w.key === key);
  if (!write || write.value === null) {
    return `the transaction wrote no value to ${entry.stateKey.objectType}/${entry.stateKey.attributes.join('/')}`;
  }
  const hash = createHash('sha256').update(Buffer.from(write.value, 'base64')).digest('hex');
  if (hash !== entry.valueHash) return `the value written hashes to ${hash}, not ${entry.valueHash}`;
  return undefined;
}
