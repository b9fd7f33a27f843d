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

/** An entry whose block is beyond the copy's height: committed after the copy was made, if at all. */
export interface NewerEntry {
  readonly index: number;
  readonly type: string;
  readonly txId: string;
  readonly block: number;
}

export interface ProvenanceReport {
  /** No entry the copy holds the block of disagrees with it. */
  readonly ok: boolean;
  /** Entries checked against a block the copy holds. */
  readonly checked: number;
  readonly problems: readonly EntryProblem[];
  /** Entries a newer copy of the data directory would check: neither verified nor a mismatch. */
  readonly newer: readonly NewerEntry[];
  /** Blocks the copy holds (0 to height − 1). */
  readonly height: number;
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
 * stopped gateway's data directory or a copy of it, which a running gateway's newer entries are
 * beyond: those are set apart, for a newer copy to check. The chain itself is verify-chain's job.
 */
export async function checkProvenance(
  store: LedgerStore,
  entries: readonly ClaimedEntry[],
): Promise<ProvenanceReport> {
  const blocks = await StoredBlocks.of(store);
  const problems: EntryProblem[] = [];
  const newer: NewerEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    const { type, txId } = entry;
    const found = await findingOf(blocks, entry);
    if (found === 'newer') newer.push({ index, type, txId, block: entry.block! });
    else if (found !== 'agrees') problems.push({ index, type, txId, reason: found.problem });
  }
  return {
    ok: problems.length === 0,
    checked: entries.length - newer.length,
    problems,
    newer,
    height: blocks.height,
  };
}

/** Whether the entry agrees with the blocks, its block is beyond them, or the problem. */
async function findingOf(
  blocks: StoredBlocks,
  entry: ClaimedEntry,
): Promise<'agrees' | 'newer' | { readonly problem: string }> {
  if (entry.block === null) return { problem: 'the gateway named no block for its transaction' };
  const key = compositeKey(entry.stateKey.objectType, entry.stateKey.attributes);
  const written = await blocks.written(entry.block, entry.txId, key);
  if (written.found === 'newer') return 'newer';
  if (written.found === 'mismatch') return { problem: written.reason };
  const hash = sha256Hex(written.value);
  if (hash !== entry.valueHash)
    return { problem: `the value written hashes to ${hash}, not ${entry.valueHash}` };
  return 'agrees';
}
