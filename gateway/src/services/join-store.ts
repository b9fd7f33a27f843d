import type { Level } from 'level';
import { LRUCache } from 'lru-cache';

/**
 * Where an event is in the ledger: its block, its transaction's place among the block's chaincode
 * events, and its place among the transaction's events (a batch transaction carries many).
 */
export interface Position {
  readonly block: bigint;
  readonly seq: number;
  readonly sub: number;
}

export const atOrBefore = (a: Position, b: Position): boolean =>
  a.block < b.block || (a.block === b.block && (a.seq < b.seq || (a.seq === b.seq && a.sub <= b.sub)));

/**
 * What organisations join: a consignment (by creating it or submitting a record), a party
 * (registering it), a return (by being named its carrier; keyed "consignment id/return id").
 */
export type JoinKind = 'consignment' | 'party' | 'return';

/** How far the stored joins go, and on which ledger. */
export interface JoinCheckpoint {
  /** Every event of the blocks before this one is in the store; none of this block's. */
  readonly nextBlock: bigint;
  /**
   * The transaction id of the first event on the ledger the joins were learnt from: a ledger that
   * starts with another one (a Fabric network re-created under a kept data directory) is not it.
   */
  readonly origin: string;
}

/** Name of the sublevel of the gateway's own store that holds the joins. */
const JOIN_SUBLEVEL = 'event-joins';
/** Its checkpoint's key: no join key starts with '~' (they start with a kind). */
const CHECKPOINT_KEY = '~checkpoint';
/** Keys looked up recently, with their joins ('' when none): what every streamed event asks. */
const CACHED_KEYS = 50_000;

/**
 * Which organisations joined what, each at the first event by which it joined, kept in the
 * gateway's own LevelDB so that it neither has to be rebuilt from block 0 at each start nor held
 * in memory for every consignment on the ledger: only recently used keys are cached.
 *
 * Joins learnt since the last `commit` wait in memory and are written, with the checkpoint that
 * covers them, in one batch: after a crash the store holds exactly the blocks before its
 * checkpoint, and learning the following blocks again gives the same joins (a join already stored
 * is kept). A key's joins are one string, "MSP block.seq.sub;MSP block.seq.sub" (MSP ids hold no
 * space or ';': Fabric names them with letters, digits, '.' and '-').
 */
export class JoinStore {
  private readonly db;
  private readonly cache = new LRUCache<string, string>({ max: CACHED_KEYS });
  /** Joins learnt since the last commit, by store key. */
  private pending = new Map<string, string>();
  /** The joins a commit in progress is writing. */
  private committing: ReadonlyMap<string, string> | undefined;
  /** Bumped when stored joins change, so that a read that raced the change is not cached. */
  private epoch = 0;

  constructor(store: Level<string, Uint8Array>) {
    this.db = store.sublevel<string, string>(JOIN_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async checkpoint(): Promise<JoinCheckpoint | undefined> {
    const stored = await this.db.get(CHECKPOINT_KEY);
    if (stored === undefined) return undefined;
    const { nextBlock, origin } = JSON.parse(stored) as { nextBlock: string; origin: string };
    return { nextBlock: BigInt(nextBlock), origin };
  }

  /** Records that the organisation joined the key at this position, unless it joined earlier. */
  async join(kind: JoinKind, key: string, mspId: string, at: Position): Promise<void> {
    const storeKey = `${kind}:${key}`;
    const current = await this.joinsOf(storeKey);
    if (find(current, mspId) !== undefined) return;
    const entry = `${mspId} ${at.block}.${at.seq}.${at.sub}`;
    this.pending.set(storeKey, current === '' ? entry : `${current};${entry}`);
  }

  /** Where the organisation joined the key, if it did (learnt joins count before they are committed). */
  async joinedAt(kind: JoinKind, key: string, mspId: string): Promise<Position | undefined> {
    return find(await this.joinsOf(`${kind}:${key}`), mspId);
  }

  /** Writes the joins learnt so far together with the checkpoint they reach. */
  async commit(checkpoint: JoinCheckpoint): Promise<void> {
    const written = this.pending;
    this.committing = written;
    this.pending = new Map();
    this.epoch++;
    try {
      await this.db.batch([
        ...[...written].map(([key, value]) => ({ type: 'put' as const, key, value })),
        {
          type: 'put',
          key: CHECKPOINT_KEY,
          value: JSON.stringify({ nextBlock: checkpoint.nextBlock.toString(), origin: checkpoint.origin }),
        },
      ]);
      for (const [key, value] of written) this.cache.set(key, value);
    } catch (error) {
      // Not written: they are still to be committed (joins learnt meanwhile are newer).
      for (const [key, value] of written) if (!this.pending.has(key)) this.pending.set(key, value);
      throw error;
    } finally {
      this.committing = undefined;
    }
  }

  /** Forgets everything: the joins were learnt from another ledger. */
  async clear(): Promise<void> {
    this.pending = new Map();
    this.cache.clear();
    this.epoch++;
    await this.db.clear();
  }

  private async joinsOf(storeKey: string): Promise<string> {
    for (;;) {
      const known = this.pending.get(storeKey) ?? this.committing?.get(storeKey) ?? this.cache.get(storeKey);
      if (known !== undefined) return known;
      const epoch = this.epoch;
      const stored = (await this.db.get(storeKey)) ?? '';
      if (epoch === this.epoch) {
        this.cache.set(storeKey, stored);
        return stored;
      }
    }
  }
}

function find(joins: string, mspId: string): Position | undefined {
  if (joins === '') return undefined;
  for (const entry of joins.split(';')) {
    const space = entry.indexOf(' ');
    if (entry.slice(0, space) !== mspId) continue;
    const [block, seq, sub] = entry.slice(space + 1).split('.');
    return { block: BigInt(block!), seq: Number(seq), sub: Number(sub) };
  }
  return undefined;
}
