import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { codeName, placeOf } from '../checks/chain.js';
import { checkState, MAX_LISTED, STORES, type StateReport, type StoreName } from '../checks/state.js';
import type { CommandContext } from '../cli.js';
import { openLedgerStore } from '../data-dir.js';
import { count } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { progressBar } from '../progress.js';
import { dataDirOf, withDataDir, withOutputOptions, type DataDirOptions } from './options.js';

interface StateOptions extends DataDirOptions {
  readonly workDir?: string;
}

/** Discrepancies printed; --json lists up to MAX_LISTED. */
const MAX_PRINTED = 20;

const UNITS: Record<StoreName, [string, string]> = {
  state: ['key', 'keys'],
  metadata: ['key', 'keys'],
  privateMetadata: ['key', 'keys'],
  privateHashes: ['key', 'keys'],
  history: ['row', 'rows'],
  transactions: ['entry', 'entries'],
  privateData: ['value', 'values'],
};

export function registerVerifyState(program: Command, context: CommandContext): void {
  const command = program
    .command('verify-state')
    .summary('verify state, history, indexes and private data against what the blocks wrote (offline)')
    .description(
      'Replay the blocks, in order, into a scratch store, validating every transaction again with the ' +
        "committer's rules (duplicate ids, endorsement signatures and policies, key-level ones included, " +
        "MVCC and phantom reads against the state replayed so far) instead of trusting the codes in the blocks' " +
        'metadata, naming each transaction whose recorded code differs; apply the valid ones, ' +
        'and compare the result with the stores the gateway serves from (offline): world state and ' +
        'key-level endorsement policies (every key, both ways), private data hashes, the history ' +
        'index and the transaction index; and each private value against the hash the blocks commit ' +
        'for its key. Names each key on which a store and the blocks disagree. The blocks themselves ' +
        'are verify-chain’s to check.',
    );
  withDataDir(command, "a stopped gateway's data directory, or a copy of it");
  command.option(
    '--work-dir <dir>',
    'where the replayed state is built, then removed; it takes about the room of the ledger’s state ' +
      'and history (default: the system’s temporary directory, $TMPDIR)',
  );
  withOutputOptions(command, true).action((options: StateOptions) =>
    context.run(options, () => verifyStateCommand(context, options)),
  );
}

async function verifyStateCommand(context: CommandContext, options: StateOptions): Promise<Outcome> {
  const dataDir = dataDirOf(options, context.io);
  const workDir = options.workDir === undefined ? tmpdir() : resolve(context.io.cwd, options.workDir);
  const store = await openLedgerStore(dataDir);
  let report: StateReport;
  try {
    report = await checkState(store, workDir, progressBar(context.io, options.progress === true));
  } finally {
    await store.close();
  }
  const json = { command: 'verify-state', dataDir, ...report };
  const stray = report.strayKeys
    ? [`TAMPERED: ${placeOf(report.strayKeys)}: ${report.strayKeys.reason}.`]
    : [];
  if (report.problem) {
    return {
      code: ExitCode.mismatch,
      json,
      text: [
        `TAMPERED: ${placeOf(report.problem)}: ${report.problem.reason}.`,
        ...stray,
        `  the stores in ${dataDir} were not compared with the blocks; run verify-chain`,
      ],
    };
  }
  const blocks = `the valid transactions of its ${count(report.height, 'block')}`;
  const figures = (Object.keys(STORES) as StoreName[])
    .map((name) => `${STORES[name]} ${count(report.compared[name], ...UNITS[name])}`)
    .join(', ');
  if (report.ok) {
    return {
      code: ExitCode.verified,
      json,
      text: [
        `VERIFIED: the stores in ${dataDir} hold what ${blocks} wrote, and nothing else.`,
        `  ${count(report.replay!.transactions, 'transaction')} validated again (endorsement signatures and policies, MVCC and phantom reads): ` +
          "each code agrees with its block's metadata",
        `  ${figures}`,
        '  The blocks themselves: run verify-chain (with --expect, against a tip recorded earlier).',
      ],
    };
  }
  const replay = report.replay!;
  const total = Object.values(report.differences).reduce((a, b) => a + b, 0);
  if (replay.disagreeing === 0 && total === 0) {
    return {
      code: ExitCode.mismatch,
      json,
      text: [
        ...stray,
        `  otherwise the stores in ${dataDir} hold what ${blocks} wrote, and nothing else: ${figures}`,
      ],
    };
  }
  if (replay.disagreeing > 0) {
    const shown = replay.disagreements.slice(0, MAX_PRINTED);
    return {
      code: ExitCode.mismatch,
      json,
      text: [
        `TAMPERED: ${count(replay.disagreeing, 'transaction')} of ${dataDir} ${replay.disagreeing === 1 ? 'has' : 'have'} a validation code in ${replay.disagreeing === 1 ? 'its' : 'their'} block's metadata that validating ${replay.disagreeing === 1 ? 'it' : 'them'} again does not give:`,
        ...shown.map(
          (d) =>
            `  ${placeOf({ blockNumber: d.blockNumber, transaction: { index: d.index, txId: d.txId } })}: ` +
            `the metadata marks it ${codeName(d.recorded)}, validated again it is ${codeName(d.derived)}`,
        ),
        ...(replay.disagreeing > shown.length
          ? [
              `  … and ${count(replay.disagreeing - shown.length, 'more')} (--json lists the first ${count(replay.disagreements.length, 'transaction')})`,
            ]
          : []),
        total === 0
          ? '  the stores match what the re-validated transactions wrote'
          : `  and ${count(total, 'discrepancy', 'discrepancies')} between the stores and what the re-validated transactions wrote (--json lists them)`,
        ...stray,
      ],
    };
  }
  const perStore = (Object.keys(STORES) as StoreName[])
    .filter((name) => report.differences[name] > 0)
    .map((name) => `${STORES[name]} ${report.differences[name]}`)
    .join(', ');
  const shown = report.discrepancies.slice(0, MAX_PRINTED);
  return {
    code: ExitCode.mismatch,
    json,
    text: [
      `TAMPERED: ${count(total, 'discrepancy', 'discrepancies')} between the stores in ${dataDir} and what ${blocks} wrote (${perStore}):`,
      ...shown.map(
        (d) => `  ${STORES[d.store]}, ${d.where}: the blocks: ${d.blocks}; the store: ${d.stored}`,
      ),
      ...(total > shown.length
        ? [
            `  … and ${count(total - shown.length, 'more')} (--json lists the first ${count(Math.min(total, MAX_LISTED), 'discrepancy', 'discrepancies')})`,
          ]
        : []),
      ...stray,
    ],
  };
}
