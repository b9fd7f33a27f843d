import type { Level } from 'level';
import { AuditLog, type AuditEntry, type AuditSigner } from '../../../gateway/src/audit/audit-log.js';
import { foldSubtrees, leafHash, nodeHash } from '../../../gateway/src/audit/merkle.js';
import type { Progress } from '../progress.js';
import type { AnchoredHead } from './anchors.js';

/** An entry whose stored bytes are not what was appended. */
export interface EntryProblem {
  readonly index: number;
  readonly reason: string;
  /** What the stored entry says now, when it still parses. */
  readonly storedEntry?: AuditEntry;
}

export type AnchorVerdict =
  /** The root recomputed from the log's entries equals the anchored root; the signature is sound. */
  | 'verified'
  /** The entries no longer hash to the anchored root: some entry up to treeSize was changed. */
  | 'root-mismatch'
  /** The ledger anchored more entries than the log holds: the log was truncated or replaced. */
  | 'beyond-log'
  /** The anchored head's signature or certificate does not hold. */
  | 'bad-signature'
  /** Made by an identity other than the one that made the log's first anchor. */
  | 'forged'
  /** The log cannot be opened, so nothing was checked against the anchor. */
  | 'unchecked';

export interface AnchorCheck extends AnchoredHead {
  readonly verdict: AnchorVerdict;
  /** The root the log's entries give for this size (absent when the log is shorter). */
  readonly recomputedRoot?: string;
  readonly reason?: string;
}

export interface AuditLogReport {
  readonly ok: boolean;
  readonly gatewayMspId: string;
  /** Whether the log could be opened: if not, its id and size are unknown. */
  readonly opened: boolean;
  /** The log's id as its store records it (undefined for a log no gateway of this version wrote). */
  readonly logId?: string;
  /** Entries the log says it holds. */
  readonly logSize: number;
  readonly entriesChecked: number;
  /** The first entry found changed, missing or malformed. */
  readonly firstBadEntry?: EntryProblem;
  /** How many entries were found bad in all (each is also a leaf the anchors no longer match). */
  readonly badEntries: number;
  readonly anchors: readonly AnchorCheck[];
  /** The log's first anchor: whose identity every anchor of the log must carry. */
  readonly firstAnchor?: AnchoredHead;
  /** Entries after the largest verified anchor: not yet covered by any tree head on the ledger. */
  readonly unanchoredEntries: number;
  /** Problems of the log as a whole (it cannot be opened, its stored tree disagrees with its entries). */
  readonly logProblem?: string;
}

/** The auditor never signs: it opens the log only to read it. */
const readOnlySigner: AuditSigner = {
  mspId: '',
  certificate: '',
  sign: () => Promise.reject(new Error('the auditor does not sign tree heads')),
};

/**
 * Recomputes the audit log's RFC 6962 tree from its stored entries and checks it two ways: each
 * entry's bytes against the leaf hash stored when it was appended (names an entry edited in place),
 * and the root of the first treeSize entries against every tree head anchored on the ledger
 * (catches a rewrite that also recomputed the stored tree, which only the ledger can refute),
 * each anchor made by the identity that made the log's first anchor.
 * Streams the entries once, keeping only the O(log n) frontier of perfect subtrees.
 */
export async function checkAuditLog(
  db: Level<string, Uint8Array>,
  allAnchors: readonly AnchoredHead[],
  gatewayMspId: string,
  progress: Progress,
  /** The log the auditor was told this gateway keeps (its id from the operator's records), if any. */
  expectedLogId?: string,
): Promise<AuditLogReport> {
  let log: AuditLog;
  try {
    log = await AuditLog.open(db, readOnlySigner, { nodeCache: 0, readOnly: true });
  } catch (error) {
    return {
      ok: false,
      gatewayMspId,
      opened: false,
      logSize: 0,
      entriesChecked: 0,
      badEntries: 0,
      // Without the log's id, the organisation's anchors are the ones it cannot be checked against.
      anchors: allAnchors
        .filter((a) => a.gatewayMspId === gatewayMspId)
        .map((a) => ({
          ...a,
          verdict: 'unchecked' as const,
          reason: 'the log cannot be opened',
        })),
      unanchoredEntries: 0,
      logProblem: `the audit log cannot be opened: ${(error as Error).message}`,
    };
  }
  const logId = log.logId;
  // Log ids are random and unique: every anchor of this log is checked, whichever organisation
  // made it, so naming the wrong one cannot hide the anchors that refute a rewritten log.
  const anchors = allAnchors.filter((a) => a.logId === logId).sort((a, b) => a.treeSize - b.treeSize);
  // The log belongs to the identity that anchored it first: the chaincode keeps that rule within
  // an organisation, and the ids being unique, an anchor by any other identity of any
  // organisation vouches for nothing. readAnchors lists anchors in block order.
  const firstAnchor = allAnchors.find((a) => a.logId === logId);
  const size = log.size();
  const rootsAt = new Map<number, string>();
  const wanted = new Set(anchors.map((a) => a.treeSize).filter((s) => s <= size));
  // frontier[k] holds the k-th perfect subtree of the entries so far, with its height: folding them
  // right to left is the RFC 6962 root of every entry read so far.
  const frontier: { height: number; hash: Buffer }[] = [];
  // The same from the stored leaf hashes: each subtree it completes must be the one stored, which
  // proofs are made of (an entry edited in place is entryProblem's, not a fault of the tree).
  const storedFrontier: { height: number; hash: Buffer }[] = [];
  let firstBadNode: string | undefined;
  let firstBadEntry: EntryProblem | undefined;
  let badEntries = 0;
  progress.start(size, 'hashing entries');
  try {
    for (let index = 0; index < size; index++) {
      progress.tick();
      const [bytes, stored] = await Promise.all([
        log.entryBytes(index),
        log.leafHashAt(index).catch(() => undefined),
      ]);
      const problem = entryProblem(index, bytes, stored);
      if (problem) {
        badEntries += 1;
        firstBadEntry ??= problem;
      }
      const leaf = bytes ? leafHash(bytes) : Buffer.alloc(32);
      let node = { height: 0, hash: leaf };
      while (frontier.length > 0 && frontier[frontier.length - 1]!.height === node.height) {
        const left = frontier.pop()!;
        node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
      }
      frontier.push(node);
      // A missing leaf hash is entryProblem's finding: the tree above it is checked with the entry's.
      let storedNode = { height: 0, hash: stored ?? leaf };
      while (
        storedFrontier.length > 0 &&
        storedFrontier[storedFrontier.length - 1]!.height === storedNode.height
      ) {
        const left = storedFrontier.pop()!;
        storedNode = { height: storedNode.height + 1, hash: nodeHash(left.hash, storedNode.hash) };
        if (firstBadNode === undefined) {
          firstBadNode = await treeNodeProblem(log, storedNode.height, index + 1, storedNode.hash);
        }
      }
      storedFrontier.push(storedNode);
      if (wanted.has(index + 1)) {
        rootsAt.set(index + 1, foldSubtrees(frontier.map((f) => f.hash)).toString('hex'));
      }
    }
  } finally {
    progress.stop();
  }

  let logProblem: string | undefined =
    expectedLogId !== undefined && expectedLogId !== logId
      ? `the audit log in this data directory is log ${logId ?? '(without an id)'}, not ${expectedLogId}: it was replaced`
      : undefined;
  if (size > 0 && logProblem === undefined) {
    const recomputed = foldSubtrees(frontier.map((f) => f.hash)).toString('hex');
    const storedRoot = await log.rootAt(size).then(
      (root) => root.toString('hex'),
      () => 'missing nodes',
    );
    if (recomputed !== storedRoot) {
      logProblem = `the log's stored tree (root ${storedRoot}) does not match its entries (root ${recomputed})`;
    }
  }
  logProblem ??= firstBadNode;

  const checks = anchors.map((anchor): AnchorCheck => {
    if (
      firstAnchor &&
      (anchor.gatewayMspId !== firstAnchor.gatewayMspId || anchor.signerId !== firstAnchor.signerId)
    ) {
      return {
        ...anchor,
        verdict: 'forged',
        reason:
          `made by ${anchor.signerId || '(no readable certificate)'} of ${anchor.gatewayMspId}, not by ` +
          `${firstAnchor.signerId} of ${firstAnchor.gatewayMspId}, who made the log's first anchor ` +
          `(block ${firstAnchor.blockNumber}, tx ${firstAnchor.txId}): only that identity anchors this log`,
      };
    }
    if (anchor.signatureProblem)
      return { ...anchor, verdict: 'bad-signature', reason: anchor.signatureProblem };
    if (anchor.treeSize > size) {
      return {
        ...anchor,
        verdict: 'beyond-log',
        reason: `the ledger anchored ${anchor.treeSize} entries but the log holds ${size}: it was truncated or replaced`,
      };
    }
    const root = rootsAt.get(anchor.treeSize)!;
    if (root !== anchor.rootHash) {
      return {
        ...anchor,
        verdict: 'root-mismatch',
        recomputedRoot: root,
        reason: `entries 0–${anchor.treeSize - 1} hash to ${root}, the anchored root is ${anchor.rootHash}`,
      };
    }
    return { ...anchor, verdict: 'verified', recomputedRoot: root };
  });
  const lastVerified = Math.max(0, ...checks.filter((c) => c.verdict === 'verified').map((c) => c.treeSize));
  const ok = !firstBadEntry && !logProblem && checks.every((c) => c.verdict === 'verified');
  return {
    ok,
    gatewayMspId,
    opened: true,
    logId,
    logSize: size,
    entriesChecked: size,
    firstBadEntry,
    badEntries,
    anchors: checks,
    firstAnchor,
    unanchoredEntries: size - lastVerified,
    logProblem,
  };
}

/** Whether the stored subtree of `height` that ends at leaf `end` (exclusive) is `expected`; what is wrong if not. */
async function treeNodeProblem(
  log: AuditLog,
  height: number,
  end: number,
  expected: Buffer,
): Promise<string | undefined> {
  const stored = await log.subtreeHashAt(height, end / 2 ** height - 1).catch(() => undefined);
  if (stored?.equals(expected)) return undefined;
  return (
    `the log's stored tree node over entries ${end - 2 ** height}–${end - 1} is ` +
    `${stored ? stored.toString('hex') : 'missing'}, while their leaf hashes make ${expected.toString('hex')}: ` +
    'inclusion and consistency proofs made from it do not verify'
  );
}

function entryProblem(
  index: number,
  bytes: Uint8Array | undefined,
  stored: Buffer | undefined,
): EntryProblem | undefined {
  if (!bytes) return { index, reason: 'the entry is missing' };
  if (!stored) return { index, reason: 'the leaf hash recorded when it was appended is missing' };
  const actual = leafHash(bytes);
  if (!actual.equals(stored)) {
    return {
      index,
      storedEntry: tryParse(bytes),
      reason: `its bytes hash to leaf ${actual.toString('hex')} but the log recorded leaf ${stored.toString('hex')} when it was appended: the entry was changed afterwards`,
    };
  }
  const parsed = tryParse(bytes);
  if (!parsed) return { index, reason: 'the entry is not valid JSON' };
  if (parsed.index !== index) {
    return { index, storedEntry: parsed, reason: `the entry says it is entry ${String(parsed.index)}` };
  }
  return undefined;
}

function tryParse(bytes: Uint8Array): AuditEntry | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as AuditEntry) : undefined;
  } catch {
    return undefined;
  }
}
