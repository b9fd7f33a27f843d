import { sha256Hex } from '../../../gateway/src/ledger/embedded/simulator.js';
import type { LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { StoredBlocks } from './blocks.js';

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
  const blocks = await StoredBlocks.of(store);
  const problems: EntryProblem[] = [];
  for (const [index, entry] of entries.entries()) {
    const reason = await problemWith(blocks, entry);
    if (reason !== undefined) problems.push({ index, type: entry.type, txId: entry.txId, reason });
  }
  return { ok: problems.length === 0, checked: entries.length, problems };
}

async function problemWith(blocks: StoredBlocks, entry: ClaimedEntry): Promise<string | undefined> {
  if (entry.block === null) return 'the gateway named no block for its transaction';
  const key = compositeKey(entry.stateKey.objectType, entry.stateKey.attributes);
  const written = await blocks.written(entry.block, entry.txId, key);
  if (written.found === 'newer') return `block ${entry.block} is not in the data directory`;
  if (written.found === 'mismatch') return written.reason;
  const hash = sha256Hex(written.value);
  if (hash !== entry.valueHash) return `the value written hashes to ${hash}, not ${entry.valueHash}`;
  return undefined;
}
