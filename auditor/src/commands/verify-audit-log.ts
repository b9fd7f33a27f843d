import type { Command } from 'commander';
import { readAnchors, type AnchoredHead } from '../checks/anchors.js';
import { checkAuditLog, type AnchorCheck, type AuditLogReport } from '../checks/audit-log.js';
import { placeOf, savepointProblem, type ChainProblem } from '../checks/chain.js';
import type { CommandContext } from '../cli.js';
import { openGatewayStore, openLedgerStore } from '../data-dir.js';
import { commonName, count, range, short, table } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { progressBar } from '../progress.js';
import { dataDirOf, withDataDir, withOutputOptions, type DataDirOptions } from './options.js';

/** The gateway's default operator, as in gateway/src/config.ts (GATEWAY_MSP). */
const DEFAULT_GATEWAY_MSP = 'CustomsMSP';

interface AuditLogOptions extends DataDirOptions {
  readonly gatewayMsp?: string;
  readonly logId?: string;
}

export function registerVerifyAuditLog(program: Command, context: CommandContext): void {
  const command = program
    .command('verify-audit-log')
    .summary('verify the gateway audit log against the tree heads anchored on the ledger (offline)')
    .description(
      "Verify the gateway's audit log against the signed tree heads anchored on the ledger (offline): " +
        'recompute the RFC 6962 tree from the stored entries, check each entry against the leaf hash ' +
        "recorded when it was appended, and each anchor's root, size, signature and certificate, and " +
        'that every anchor of the log was made by the identity that made its first (whatever its organisation). ' +
        "Anchors are read from every stored block, and the ledger's savepoint must not hide any. " +
        'Names the first entry and the anchors that do not match.',
    );
  withDataDir(command, "a stopped gateway's data directory, or a copy of it");
  command.option(
    '--gateway-msp <mspId>',
    `the organisation operating the gateway, whose other logs' anchors tell a replaced log (default: $GATEWAY_MSP, else ${DEFAULT_GATEWAY_MSP}); ` +
      "the anchors of the data directory's log are checked whichever organisation made them",
  );
  command.option(
    '--log-id <id>',
    "require the data directory's log to be this one (the gateway's log id from the operator's records: GET /v1/audit/tree-head shows it); " +
      'without it, a log replaced by a fresh one would have no anchors to be checked against',
  );
  withOutputOptions(command, true).action((options: AuditLogOptions) =>
    context.run(options, () => verifyAuditLogCommand(context, options)),
  );
}

async function verifyAuditLogCommand(context: CommandContext, options: AuditLogOptions): Promise<Outcome> {
  const dataDir = dataDirOf(options, context.io);
  const gatewayMspId = options.gatewayMsp ?? context.io.env.GATEWAY_MSP ?? DEFAULT_GATEWAY_MSP;
  const progress = progressBar(context.io, options.progress === true);
  const ledger = await openLedgerStore(dataDir);
  let anchors;
  let unreadableBlock: ChainProblem | undefined;
  let savepoint: ChainProblem | undefined;
  try {
    savepoint = await savepointProblem(ledger);
    ({ anchors, unreadableBlock } = await readAnchors(ledger, progress));
  } finally {
    await ledger.close();
  }
  const gateway = await openGatewayStore(dataDir);
  let report: AuditLogReport;
  try {
    report = await checkAuditLog(gateway, anchors, gatewayMspId, progress, options.logId);
  } finally {
    await gateway.close();
  }
  const otherMsps = [...new Set(anchors.map((a) => a.gatewayMspId))].filter((m) => m !== gatewayMspId);
  const otherLogs = otherLogsOf(anchors, gatewayMspId, report.anchors);
  const first = report.firstAnchor;
  const text = [
    (report.opened
      ? `Audit log ${report.logId ?? '(without an id)'} in ${dataDir}: ${count(report.logSize, 'entry', 'entries')}, `
      : `Audit log in ${dataDir}, which cannot be opened: `) +
      `${count(report.anchors.length, 'tree head')} anchored on the ledger` +
      (first ? ` (first by ${commonName(first.signerId)} of ${first.gatewayMspId}).` : '.'),
    ...anchorTable(report.anchors),
  ];
  if (first && first.gatewayMspId !== gatewayMspId) {
    text.push(
      `  (${first.gatewayMspId} anchored this log, not ${gatewayMspId} as --gateway-msp or $GATEWAY_MSP says: ` +
        'every anchor carrying its id is checked, whichever organisation made it)',
    );
  }
  if (report.anchors.length === 0 && otherMsps.length > 0 && otherLogs.length === 0) {
    text.push(`  (the ledger holds anchors of ${otherMsps.join(', ')}: try --gateway-msp)`);
  }
  if (otherLogs.length > 0) {
    text.push(
      `  The ledger also holds anchors of ${count(otherLogs.length, 'other log')} of ${gatewayMspId}: ` +
        otherLogs.map((l) => `${l.logId} (up to ${count(l.treeSize, 'entry', 'entries')})`).join(', ') +
        '. Another gateway of the organisation, or this gateway’s log replaced by a fresh one: --log-id requires the one expected.',
    );
  }
  const verdict = logVerdict(report, gatewayMspId, otherLogs.length, options.logId);
  const json = {
    command: 'verify-audit-log',
    dataDir,
    ...report,
    ok: verdict.code === ExitCode.verified && !savepoint && !unreadableBlock,
    savepointProblem: savepoint,
    unreadableBlock,
    otherLogs,
  };
  if (!savepoint && !unreadableBlock) return { code: verdict.code, json, text: [...text, ...verdict.lines] };
  // The anchors were read from every stored block, so the savepoint hid none; but a ledger whose
  // savepoint does not fit its blocks, or with a block that cannot be read (whose anchors the log
  // was not checked against), was tampered with, whatever the log says.
  const ledgerLine = savepoint
    ? `the ledger's savepoint cannot be trusted: ${placeOf(savepoint)}: ${savepoint.reason}`
    : `${placeOf(unreadableBlock!)}: ${unreadableBlock!.reason}`;
  return {
    code: ExitCode.mismatch,
    json,
    text:
      verdict.code === ExitCode.verified
        ? [
            ...text,
            `TAMPERED: ${ledgerLine}.`,
            savepoint
              ? '  The log matches every tree head anchored in the stored blocks, all of them read, beyond the savepoint too; run verify-chain.'
              : '  The log matches every tree head anchored in the blocks that could be read; run verify-chain.',
          ]
        : verdict.code === ExitCode.unavailable
          ? [...text, `TAMPERED: ${ledgerLine}.`, ...verdict.lines]
          : [...text, ...verdict.lines, `  TAMPERED as well: ${ledgerLine}.`],
  };
}

/** The verdict on the log and its anchors, and the lines that give it. */
function logVerdict(
  report: AuditLogReport,
  gatewayMspId: string,
  otherLogs: number,
  expectedLogId: string | undefined,
): { code: ExitCode; lines: string[] } {
  if (report.ok && report.anchors.length === 0 && otherLogs > 0 && expectedLogId === undefined) {
    return {
      code: ExitCode.mismatch,
      lines: [
        `NOT VERIFIED: this log has no anchor on the ledger, while ${count(otherLogs, 'other log')} of ${gatewayMspId} ` +
          'has: a new gateway whose log is not anchored yet, or this gateway’s log replaced by a fresh one. ' +
          `Pass --log-id ${report.logId ?? '<id>'} if that is the log this gateway should keep.`,
      ],
    };
  }
  if (report.ok && report.anchors.length === 0 && report.logSize > 0) {
    // The leaf hashes are the log's own: whoever rewrites the log recomputes them. Only an anchor
    // can refute a rewrite, so without one the check that matters could not be made (exit 3, as
    // for a locked store): neither tampering found nor a log verified.
    return {
      code: ExitCode.unavailable,
      lines: [
        'NOT VERIFIED: no tree head of this log is anchored on the ledger, so a rewrite of the whole log could not be detected ' +
          '(every entry matches its recorded leaf hash, but a rewrite would recompute those).',
        '  The gateway anchors every AUDIT_ANCHOR_EVERY entries or AUDIT_ANCHOR_SECONDS, and when it stops; ' +
          'one killed before its first anchor leaves none. Start the gateway and stop it (Ctrl-C), then verify again.',
      ],
    };
  }
  if (report.ok) {
    const lines = [
      report.anchors.length === 0
        ? 'VERIFIED: the log has no entries yet.'
        : `VERIFIED: every entry matches its leaf hash and every anchored tree head matches the log.`,
    ];
    if (report.unanchoredEntries > 0) {
      lines.push(
        `  entries ${range(report.logSize - report.unanchoredEntries, report.logSize - 1)} are not covered by an anchor yet (the gateway anchors every AUDIT_ANCHOR_EVERY entries or AUDIT_ANCHOR_SECONDS).`,
      );
    }
    lines.push(
      "  Anchors are read from the blocks, valid as the blocks' metadata marks them: run verify-chain to check the blocks themselves, and verify-state to validate every transaction again.",
    );
    return { code: ExitCode.verified, lines };
  }
  const lines: string[] = [];
  const forged = report.anchors.filter((a) => a.verdict === 'forged');
  const firstBadAnchor = report.anchors.find(
    (a) => a.verdict !== 'verified' && a.verdict !== 'forged' && a.verdict !== 'unchecked',
  );
  if (report.firstBadEntry) {
    const { index, reason, storedEntry: e } = report.firstBadEntry;
    lines.push(`TAMPERED: audit entry ${index}: ${reason}.`);
    if (e) {
      lines.push(
        `  entry ${index} now reads: ${e.time} ${e.method} ${e.route} by ${e.user || '(unauthenticated)'} (${e.mspId || '-'}) → ${e.outcome}` +
          (e.resource ? `, resource ${e.resource}` : '') +
          (e.purpose ? `, purpose ${e.purpose}` : ''),
      );
    }
    if (report.badEntries > 1)
      lines.push(`  ${count(report.badEntries - 1, 'more entry', 'more entries')} also changed`);
  } else if (forged.length > 0 && !firstBadAnchor && !report.logProblem) {
    lines.push(
      `TAMPERED: ${count(forged.length, 'anchor')} of this log forged: made by another identity than the one that made its first anchor.`,
    );
  } else if (report.logProblem && !firstBadAnchor && forged.length === 0) {
    lines.push(`TAMPERED: ${report.logProblem}.`);
  } else {
    lines.push('TAMPERED: the audit log does not match what was anchored on the ledger.');
  }
  for (const anchor of forged) {
    lines.push(
      `  forged anchor of ${count(anchor.treeSize, 'entry', 'entries')} (tx ${short(anchor.txId, 16)}, block ${anchor.blockNumber}): ${anchor.reason}`,
    );
  }
  if (firstBadAnchor) {
    const previous = report.anchors.filter(
      (a) => a.verdict === 'verified' && a.treeSize < firstBadAnchor.treeSize,
    );
    const from = Math.max(0, ...previous.map((a) => a.treeSize));
    lines.push(
      `  first anchor that does not match: ${firstBadAnchor.treeSize} entries (tx ${short(firstBadAnchor.txId, 16)}, block ${firstBadAnchor.blockNumber}): ${firstBadAnchor.reason}`,
    );
    if (firstBadAnchor.verdict === 'root-mismatch' && !report.firstBadEntry) {
      lines.push(
        `  every entry still matches its stored leaf hash, so the stored tree was rewritten too: the change is among entries ${range(from, firstBadAnchor.treeSize - 1)}`,
      );
    }
  }
  if (report.logProblem && (report.firstBadEntry || firstBadAnchor || forged.length > 0)) {
    lines.push(`  ${report.logProblem}`);
  }
  return { code: ExitCode.mismatch, lines };
}

/**
 * Logs of the organisation whose anchors were not checked against the log, with the largest size
 * anchored for each. A log that cannot be opened has no id to tell them by: all of them were its to
 * be checked against, none is another's.
 */
function otherLogsOf(
  anchors: readonly AnchoredHead[],
  gatewayMspId: string,
  checked: readonly AnchoredHead[],
): { logId: string; treeSize: number }[] {
  const checkedLogs = new Set(checked.map((a) => a.logId));
  const sizes = new Map<string, number>();
  for (const a of anchors) {
    if (a.gatewayMspId !== gatewayMspId || checkedLogs.has(a.logId)) continue;
    sizes.set(a.logId, Math.max(sizes.get(a.logId) ?? 0, a.treeSize));
  }
  return [...sizes].map(([logId, treeSize]) => ({ logId, treeSize }));
}

/** Beyond this many anchors, only the failing ones and the last few are listed. */
const MAX_ANCHOR_ROWS = 20;

function anchorTable(anchors: readonly AnchorCheck[]): string[] {
  if (anchors.length <= MAX_ANCHOR_ROWS) return table(anchors.map(anchorRow));
  const last = anchors.slice(-5);
  const failing = anchors
    .filter((a) => a.verdict !== 'verified' && !last.includes(a))
    .slice(0, MAX_ANCHOR_ROWS);
  const hidden = anchors.length - last.length - failing.length;
  return [
    ...table([...failing, ...last].map(anchorRow)),
    `  … and ${count(hidden, 'other anchor')} (--json lists them all)`,
  ];
}

function anchorRow(anchor: AnchorCheck): string[] {
  const verdict =
    anchor.verdict === 'verified'
      ? 'root, size and signature verified'
      : anchor.verdict === 'unchecked'
        ? `NOT CHECKED: ${anchor.reason}`
        : `MISMATCH (${anchor.verdict})`;
  return [
    `${count(anchor.treeSize, 'entry', 'entries')}`,
    `root ${short(anchor.rootHash)}`,
    `block ${anchor.blockNumber}`,
    `tx ${short(anchor.txId)}`,
    `by ${commonName(anchor.signerId)} (${anchor.gatewayMspId})`,
    verdict,
  ];
}
