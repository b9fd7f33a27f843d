import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canonical, isConfigData } from '../../../gateway/src/ledger/embedded/block.js';
import { readSavepoint } from '../../../gateway/src/ledger/embedded/chain.js';
import { decodeValidationParameter, formatPolicy } from '../../../gateway/src/ledger/embedded/policy.js';
import { decodeHistoryEntry, sha256Hex } from '../../../gateway/src/ledger/embedded/simulator.js';
import {
  blockKey,
  collectionKey,
  LedgerStore,
  pages,
  type Sublevel,
} from '../../../gateway/src/ledger/embedded/store.js';
import {
  compareKeys,
  decodeVersioned,
  sameVersion,
  VERSION_BYTES,
  type Version,
} from '../../../gateway/src/ledger/embedded/version.js';
import { short, stateKeyText } from '../format.js';
import { UsageError } from '../io.js';
import type { Progress } from '../progress.js';
import { codeName, savepointProblem, strayKeyProblem, type ChainProblem } from './chain.js';
import { replayBlocks, type Replay } from './replay.js';
import { tryReadStoredBlock } from './stored-block.js';

/** The stores the gateway serves from, compared with what the blocks commit to, in this order. */
export const STORES = {
  state: 'world state',
  metadata: 'key-level endorsement policies',
  privateMetadata: 'private key-level endorsement policies',
  privateHashes: 'private data hashes',
  history: 'history index',
  transactions: 'transaction index',
  privateData: 'private data',
} as const;
export type StoreName = keyof typeof STORES;

/** One key on which a store and the blocks disagree. */
export interface Discrepancy {
  readonly store: StoreName;
  /** The key as stored (composite keys with their U+0000 separators). */
  readonly key: string;
  /** The key for people: a composite key's type and attributes, a history row's height. */
  readonly where: string;
  /** What the valid transactions of the blocks leave there. */
  readonly blocks: string;
  /** What the store holds there. */
  readonly stored: string;
}

export interface StateReport {
  readonly ok: boolean;
  /** Blocks the savepoint counts: the blocks replayed. */
  readonly height: number;
  readonly replay?: Replay;
  /** Keys compared per store (on either side). */
  readonly compared: Readonly<Record<StoreName, number>>;
  /** Discrepancies found per store. */
  readonly differences: Readonly<Record<StoreName, number>>;
  /** The first MAX_LISTED discrepancies, store by store in key order. */
  readonly discrepancies: readonly Discrepancy[];
  /** Why the blocks could not be replayed (the savepoint, or a block): no store was compared. */
  readonly problem?: ChainProblem;
  /** Keys among the blocks that are no block number: found besides the comparison, which they do not stop. */
  readonly strayKeys?: ChainProblem;
}

/** A store rewritten wholesale would differ everywhere: the counts say how much, the list how. */
export const MAX_LISTED = 1_000;

/** The replay's read caches: it reads back only keys whose policy alone a transaction changes. */
const SCRATCH_CACHE_BYTES = 8 * 1024 * 1024;
/** Private data values hashed per batch written to the scratch store. */
const HASHED_BATCH = 1_000;

const zeroes = (): Record<StoreName, number> =>
  Object.fromEntries(Object.keys(STORES).map((name) => [name, 0])) as Record<StoreName, number>;

/**
 * Replays the blocks the savepoint counts into a scratch LevelDB in `workDir` (removed
 * afterwards), validating each transaction again rather than taking its code from the block's
 * metadata (replayBlocks), and applying the valid ones; then walks each store of the ledger beside
 * its replayed counterpart in key order — world state, key-level policies, private data hashes, history and
 * transaction index, every key both ways — and checks each private value against the hash the
 * blocks commit for its key. Memory stays flat whatever the ledger's size: both sides are
 * streamed, and only the first MAX_LISTED discrepancies are kept.
 */
export async function checkState(
  ledger: LedgerStore,
  workDir: string,
  progress: Progress,
): Promise<StateReport> {
  const compared = zeroes();
  const differences = zeroes();
  const problem = await savepointProblem(ledger);
  if (problem) return { ok: false, height: 0, compared, differences, discrepancies: [], problem };
  const strayKeys = await strayKeyProblem(ledger);
  const stray = strayKeys && { strayKeys };
  const { height } = (await readSavepoint(ledger))!;
  let dir: string;
  try {
    dir = await mkdtemp(join(workDir, 'customs-audit-replay-'));
  } catch (error) {
    throw new UsageError(`cannot make the scratch store in ${workDir}: ${(error as Error).message}`);
  }
  try {
    const scratch = await LedgerStore.open(dir, { cacheBytes: SCRATCH_CACHE_BYTES, durable: false });
    try {
      const replay = await replayBlocks(ledger, scratch, height, progress);
      if (!('blocks' in replay)) {
        return { ok: false, height, compared, differences, discrepancies: [], problem: replay, ...stray };
      }
      const comparison = new Comparison(ledger, scratch, compared, differences);
      await comparison.run(progress);
      return {
        ok: comparison.discrepancies.length === 0 && replay.disagreeing === 0 && !strayKeys,
        height,
        replay,
        compared,
        differences,
        discrepancies: comparison.discrepancies,
        ...stray,
      };
    } finally {
      await scratch.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A row of a store, or of its replayed counterpart, or of both, by key. */
interface JoinedRow {
  readonly key: string;
  readonly expected?: Uint8Array;
  readonly actual?: Uint8Array;
}

/** A row on which the two sides differ, in words. */
type Describe = (
  row: JoinedRow,
) => Promise<Omit<Discrepancy, 'store' | 'key'>> | Omit<Discrepancy, 'store' | 'key'>;

class Comparison {
  readonly discrepancies: Discrepancy[] = [];
  /** The last block read to name a transaction by its height: discrepancies come in runs. */
  private block: { number: number; txIds: readonly string[] } | undefined;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly scratch: LedgerStore,
    private readonly compared: Record<StoreName, number>,
    private readonly differences: Record<StoreName, number>,
  ) {}

  async run(progress: Progress): Promise<void> {
    const { ledger, scratch } = this;
    progress.start(Object.keys(STORES).length, 'comparing stores');
    try {
      // The committer stores a key's validation parameter as it is, without a version.
      const stores: [StoreName, Sublevel, Sublevel, Describe][] = [
        ['state', scratch.state, ledger.state, (row) => this.versioned('state', row, jsonText)],
        ['metadata', scratch.metadata, ledger.metadata, (row) => this.policy('metadata', row)],
        [
          'privateMetadata',
          scratch.privateMetadata,
          ledger.privateMetadata,
          (row) => this.policy('privateMetadata', row),
        ],
        [
          'privateHashes',
          scratch.privateHashes,
          ledger.privateHashes,
          (row) => this.versioned('privateHashes', row, (hash) => `value hash ${hex(hash)}`),
        ],
        ['history', scratch.history, ledger.history, (row) => this.historyRow(row)],
        ['transactions', scratch.transactions, ledger.transactions, indexEntry],
      ];
      for (const [store, expected, actual, describe] of stores) {
        await this.compare(store, expected, actual, describe);
        progress.tick();
      }
      await this.comparePrivateData();
      progress.tick();
    } finally {
      progress.stop();
    }
  }

  private async compare(
    store: StoreName,
    expected: Sublevel,
    actual: Sublevel,
    describe: Describe,
    same: (row: JoinedRow) => boolean = (row) => equalBytes(row.expected, row.actual),
  ): Promise<void> {
    for await (const row of joined(expected, actual)) {
      this.compared[store] += 1;
      if (same(row)) continue;
      this.differences[store] += 1;
      if (this.discrepancies.length < MAX_LISTED) {
        this.discrepancies.push({ store, key: row.key, ...(await describe(row)) });
      }
    }
  }

  /** A value stored with its version (state, policies, private data hashes). */
  private async versioned(
    store: StoreName,
    { key, expected, actual }: JoinedRow,
    render: (value: Uint8Array) => string,
  ): Promise<Omit<Discrepancy, 'store' | 'key'>> {
    const where = store === 'privateHashes' ? privateKeyHashText(key) : stateKeyText(key);
    const e = expected && decodeVersioned(expected);
    const a = actual && versionedOrUndefined(actual);
    const blocks = e ? `${render(e.value)} (${this.writtenBy(e.version)})` : await this.absence(store, key);
    if (actual && !a) return { where, blocks, stored: malformed(actual) };
    if (!a) return { where, blocks, stored: 'nothing: the key is missing' };
    if (!e) return { where, blocks, stored: `${render(a.value)} at ${heightText(a.version)}` };
    const [was, is] = equalBytes(e.value, a.value)
      ? ['the same value', 'the same value']
      : difference(e.value, a.value, render);
    return {
      where,
      blocks: `${was} (${this.writtenBy(e.version)})`,
      stored: sameVersion(a.version, e.version) ? is : `${is} at ${heightText(a.version)}`,
    };
  }

  /** A key-level endorsement policy (a validation parameter), public or private. */
  private async policy(
    store: 'metadata' | 'privateMetadata',
    { key, expected, actual }: JoinedRow,
  ): Promise<Omit<Discrepancy, 'store' | 'key'>> {
    const where = store === 'privateMetadata' ? privateKeyHashText(key) : stateKeyText(key);
    const blocks = expected ? policyText(expected) : await this.absence(store, key);
    const stored = actual ? policyText(actual) : 'nothing: the key is missing';
    // The same policy in other bytes is a change too: their hashes tell them apart.
    const hashed = (text: string, value: Uint8Array): string => `${text} (sha256 ${short(sha256Hex(value))})`;
    return blocks === stored
      ? { where, blocks: hashed(blocks, expected!), stored: hashed(stored, actual!) }
      : { where, blocks, stored };
  }

  /** What the blocks say of a key the store holds and the replay does not. */
  private async absence(store: StoreName, key: string): Promise<string> {
    if (store !== 'state') return 'nothing: no valid transaction wrote it, or one deleted it';
    const [last] = await this.scratch.historyOf(key);
    if (!last) return 'nothing: no valid transaction wrote it';
    return `nothing: deleted by tx ${short(decodeHistoryEntry(last).txId)}`;
  }

  private async historyRow({
    key,
    expected,
    actual,
  }: JoinedRow): Promise<Omit<Discrepancy, 'store' | 'key'>> {
    const where = historyKeyText(key);
    const e = expected && decodeHistoryEntry(expected);
    let a: ReturnType<typeof decodeHistoryEntry> | undefined;
    try {
      a = actual && decodeHistoryEntry(actual);
    } catch {
      return { where, blocks: e ? rowText(e) : 'no row', stored: malformed(actual!) };
    }
    if (!e)
      return {
        where,
        blocks: 'no row: no valid transaction wrote the key at that height',
        stored: rowText(a!),
      };
    if (!a) return { where, blocks: rowText(e), stored: 'no row' };
    const differing: [string, string][] = [];
    if (e.txId !== a.txId) differing.push([`tx ${e.txId}`, `tx ${a.txId}`]);
    if (e.isDelete !== a.isDelete) differing.push([deleteText(e.isDelete), deleteText(a.isDelete)]);
    if (e.timestamp.seconds !== a.timestamp.seconds || e.timestamp.nanos !== a.timestamp.nanos) {
      differing.push([timeText(e.timestamp), timeText(a.timestamp)]);
    }
    if (!equalBytes(e.value, a.value)) differing.push(difference(e.value, a.value, jsonText));
    return {
      where,
      blocks: differing.map(([was]) => was).join('; '),
      stored: differing.map(([, is]) => is).join('; '),
    };
  }

  /**
   * Private values are stored under their keys, blocks commit only hashes of key and value: each
   * value's hashes go to a scratch sublevel keyed as the replayed hashes are, and the two are
   * walked side by side. A committed hash with no value is a value removed without the delete or
   * purge that would also have removed the hash; a value with no hash was never committed.
   */
  private async comparePrivateData(): Promise<void> {
    const hashed = this.scratch.db.sublevel<string, Uint8Array>('hashed-private-data', {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    let batch: { type: 'put'; key: string; value: Uint8Array }[] = [];
    for await (const page of pages(this.ledger.privateData.iterator())) {
      for (const [storedKey, value] of page) {
        const at = storedKey.indexOf('\u0000');
        const collection = storedKey.slice(0, at);
        const key = storedKey.slice(at + 1);
        const versioned = versionedOrUndefined(value);
        const seen: HashedValue = { key, valueHash: versioned ? sha256Hex(versioned.value) : null };
        batch.push({
          type: 'put',
          key: collectionKey(collection, sha256Hex(key)),
          value: Buffer.from(JSON.stringify(seen)),
        });
      }
      if (batch.length >= HASHED_BATCH) {
        await hashed.batch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await hashed.batch(batch);
    await this.compare(
      'privateData',
      this.scratch.privateHashes,
      hashed,
      (row) => this.privateValue(row),
      ({ expected, actual }) =>
        expected !== undefined &&
        actual !== undefined &&
        hashedValue(actual).valueHash === hex(decodeVersioned(expected).value),
    );
  }

  private privateValue({ key, expected, actual }: JoinedRow): Omit<Discrepancy, 'store' | 'key'> {
    const e = expected && decodeVersioned(expected);
    const a = actual && hashedValue(actual);
    const collection = key.slice(0, key.indexOf('\u0000'));
    const where = a ? `collection ${collection}, key ${a.key}` : privateKeyHashText(key);
    const blocks = e
      ? `value hash ${hex(e.value)} (${this.writtenBy(e.version)})`
      : 'no hash: no valid transaction wrote the key, or one deleted or purged it';
    const stored = !a
      ? 'no value, though no valid transaction deleted or purged it'
      : a.valueHash === null
        ? 'a value without its version: not as the committer stores one'
        : `a value hashing to ${a.valueHash}`;
    return { where, blocks, stored };
  }

  /** The transaction at a height, by its id from the block (the block read once for a run). */
  private writtenBy(version: Version): string {
    const at = heightText(version);
    if (this.block?.number !== version.blockNum) {
      const bytes = this.ledger.blocks.getSync(blockKey(version.blockNum));
      const block = bytes && tryReadStoredBlock(bytes);
      const txIds = block && !isConfigData(block.data) ? block.data.transactions.map((tx) => tx.txId) : [];
      this.block = { number: version.blockNum, txIds };
    }
    const txId = this.block.txIds[version.txNum];
    return txId === undefined ? `written at ${at}` : `written by tx ${short(txId)} at ${at}`;
  }
}

/** A private value as comparePrivateData records it: its key in clear, the hash of its value. */
interface HashedValue {
  readonly key: string;
  /** null: the stored bytes are too short to hold a version. */
  readonly valueHash: string | null;
}

const hashedValue = (bytes: Uint8Array): HashedValue =>
  JSON.parse(Buffer.from(bytes).toString('utf8')) as HashedValue;

/** Two sublevels' rows merged by key (LevelDB's byte order), each side's value where it has the key. */
async function* joined(expected: Sublevel, actual: Sublevel): AsyncGenerator<JoinedRow> {
  const left = rows(expected);
  const right = rows(actual);
  let e = await left.next();
  let a = await right.next();
  while (!e.done || !a.done) {
    const order = e.done
      ? 1
      : a.done
        ? -1
        : e.value[0] === a.value[0]
          ? 0
          : compareKeys(e.value[0], a.value[0]);
    if (order === 0) {
      yield { key: e.value![0], expected: e.value![1], actual: a.value![1] };
      [e, a] = await Promise.all([left.next(), right.next()]);
    } else if (order < 0) {
      yield { key: e.value![0], expected: e.value![1] };
      e = await left.next();
    } else {
      yield { key: a.value![0], actual: a.value![1] };
      a = await right.next();
    }
  }
}

async function* rows(sublevel: Sublevel): AsyncGenerator<[string, Uint8Array]> {
  for await (const page of pages(sublevel.iterator())) yield* page;
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function versionedOrUndefined(bytes: Uint8Array): ReturnType<typeof decodeVersioned> | undefined {
  return bytes.byteLength < VERSION_BYTES ? undefined : decodeVersioned(bytes);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const malformed = (bytes: Uint8Array): string =>
  `${bytes.byteLength} bytes that are not what the committer stores (${short(hex(bytes), 24)})`;

const heightText = (version: Version): string => `block ${version.blockNum}, position ${version.txNum}`;

/** Longer values are cut: the JSON report and the stores themselves hold them whole. */
const TEXT_LIMIT = 160;

function jsonText(value: Uint8Array): string {
  const text = Buffer.from(value).toString('utf8');
  return text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT - 1)}…` : text;
}

function policyText(value: Uint8Array): string {
  try {
    return formatPolicy(decodeValidationParameter(value));
  } catch {
    return `${value.byteLength} bytes that are not a validation parameter (${short(hex(value), 24)})`;
  }
}

/**
 * Two values in words: for two JSON objects, only the members that differ (a status changed reads
 * `status "held"` against `status "released"`); otherwise each value as `render` shows it.
 * Exported for its test.
 */
export function difference(
  expected: Uint8Array,
  actual: Uint8Array,
  render: (value: Uint8Array) => string,
): [string, string] {
  const was = jsonObject(expected);
  const is = jsonObject(actual);
  if (!was || !is) return [render(expected), render(actual)];
  const members = [...new Set([...Object.keys(was), ...Object.keys(is)])]
    // Compared whole: memberText cuts long values, which may differ past the cut.
    .filter((name) => canonicalOrAbsent(was[name]) !== canonicalOrAbsent(is[name]))
    .sort();
  // Equal as JSON, yet other bytes: a value hashed or compared by its bytes has changed all the same.
  if (members.length === 0) {
    return [render(expected), `${render(actual)}, the same JSON in other bytes (member order or spelling)`];
  }
  const side = (value: Record<string, unknown>): string =>
    members.map((name) => `${name} ${memberText(value[name])}`).join(', ');
  return [side(was), side(is)];
}

function jsonObject(value: Uint8Array): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const canonicalOrAbsent = (value: unknown): string | undefined =>
  value === undefined ? undefined : canonical(value);

function memberText(value: unknown): string {
  if (value === undefined) return 'absent';
  const text = canonical(value);
  return text.length > TEXT_LIMIT / 2 ? `${text.slice(0, TEXT_LIMIT / 2 - 1)}…` : text;
}

const deleteText = (isDelete: boolean): string => (isDelete ? 'a delete' : 'a write');

const timeText = (t: { seconds: number; nanos: number }): string =>
  `time ${new Date(t.seconds * 1000 + t.nanos / 1e6).toISOString()}`;

const rowText = (row: ReturnType<typeof decodeHistoryEntry>): string =>
  `${row.isDelete ? 'a delete' : jsonText(row.value)} by tx ${short(row.txId)}`;

function indexEntry({ key, expected, actual }: JoinedRow): Omit<Discrepancy, 'store' | 'key'> {
  // Every member is shown, those the committer does not write too: two entries that differ only in
  // one of them would otherwise read the same.
  const text = (bytes: Uint8Array): string => {
    const entry = jsonObject(bytes);
    if (!entry) return malformed(bytes);
    const { block, tx, code, ...others } = entry;
    return [
      `block ${memberText(block)}`,
      `position ${memberText(tx)}`,
      codeName(code),
      ...Object.keys(others)
        .sort()
        .map((name) => `${name} ${memberText(others[name])}`),
    ].join(', ');
  };
  return {
    where: `transaction ${key}`,
    blocks: expected ? text(expected) : 'no entry: no block holds a transaction of that id',
    stored: actual ? text(actual) : 'no entry',
  };
}

function privateKeyHashText(key: string): string {
  const at = key.indexOf('\u0000');
  return `collection ${key.slice(0, at)}, key hash ${key.slice(at + 1)}`;
}

/** A history row's key: the length of the state key (8 hex), the key, the block (16 hex), the position (8 hex). */
function historyKeyText(rowKey: string): string {
  const length = Number.parseInt(rowKey.slice(0, 8), 16);
  const key = rowKey.slice(8, 8 + length);
  const block = Number.parseInt(rowKey.slice(8 + length, 24 + length), 16);
  const position = Number.parseInt(rowKey.slice(24 + length), 16);
  if (!Number.isSafeInteger(block) || !Number.isSafeInteger(position) || rowKey.length !== 32 + length) {
    return JSON.stringify(rowKey);
  }
  return `${stateKeyText(key)} at ${heightText({ blockNum: block, txNum: position })}`;
}
