import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { checkChain, checkPins, placeOf, type PinCheck, type PinnedTip } from '../checks/chain.js';
import type { CommandContext } from '../cli.js';
import { openLedgerStore } from '../data-dir.js';
import { count, range } from '../format.js';
import { ExitCode, UsageError, type Outcome } from '../io.js';
import { progressBar } from '../progress.js';
import { dataDirOf, withDataDir, withOutputOptions, type DataDirOptions } from './options.js';

interface ChainOptions extends DataDirOptions {
  readonly expect: readonly PinnedTip[];
  readonly expectFile?: string;
}

const PIN = /^(\d+):([0-9a-f]{64})$/;

/** `<height>:<hash>` as verify-chain prints a tip, or why it is not one. */
function parsePin(text: string): PinnedTip | string {
  const match = PIN.exec(text.trim());
  const height = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(height) || height < 1) {
    return `'${text}' is not <height>:<hash> (a block count from 1 and 64 lowercase hex, as verify-chain prints its tip)`;
  }
  return { height, hash: match[2]! };
}

function collectPin(text: string, pins: readonly PinnedTip[]): PinnedTip[] {
  const pin = parsePin(text);
  if (typeof pin === 'string') throw new InvalidArgumentError(pin);
  return [...pins, pin];
}

/** The pins of a file: one <height>:<hash> a line; blank lines and # comments are skipped. */
async function pinsOf(path: string): Promise<PinnedTip[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --expect-file ${path}: ${(error as Error).message}`);
  }
  const pins: PinnedTip[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const pin = parsePin(line);
    if (typeof pin === 'string') throw new UsageError(`${path}, line ${i + 1}: ${pin}`);
    pins.push(pin);
  }
  return pins;
}

export function registerVerifyChain(program: Command, context: CommandContext): void {
  const command = program
    .command('verify-chain')
    .summary('verify the embedded block chain from genesis (offline), against tips recorded earlier')
    .description(
      'Verify the embedded block chain from genesis (offline): every block decodes and carries its number, ' +
        'links to the previous header hash, its data matches its data hash, the last header matches the ' +
        'savepoint, no block or transaction-index entry lies beyond the savepoint, each validation code ' +
        "matches the transaction index, and every transaction's signatures verify: its creator's over the " +
        "envelope and each endorser's over the proposal response payload, each certificate issued by its " +
        "organisation's CA as the channel configuration block records it. Names the first block (and " +
        'transaction) at fault, and prints the tip it verified ' +
        '(<height>:<hash>). A chain rewritten and re-hashed to its end, or cut short with its savepoint, ' +
        'still links: only a tip recorded outside the data directory and given back with --expect refutes it.',
    )
    .option(
      '--expect <height:hash>',
      'a tip recorded earlier (as printed): fails unless the chain still holds block height − 1 with that header hash; repeatable',
      collectPin,
      [] as PinnedTip[],
    )
    .option('--expect-file <file>', 'tips recorded earlier, one <height>:<hash> a line (# comments)');
  withDataDir(command, "a stopped gateway's data directory, or a copy of it");
  withOutputOptions(command, true).action((options: ChainOptions) =>
    context.run(options, () => verifyChainCommand(context, options)),
  );
}

async function verifyChainCommand(context: CommandContext, options: ChainOptions): Promise<Outcome> {
  const dataDir = dataDirOf(options, context.io);
  const pins = [
    ...options.expect,
    ...(options.expectFile === undefined ? [] : await pinsOf(resolve(context.io.cwd, options.expectFile))),
  ];
  const store = await openLedgerStore(dataDir);
  let report;
  let pinned: PinCheck[] = [];
  try {
    report = await checkChain(store, progressBar(context.io, options.progress === true));
    if (report.ok) pinned = await checkPins(store, report.height, pins);
  } finally {
    await store.close();
  }
  const tip = `${report.height}:${report.tipHash}`;
  const json = { command: 'verify-chain', dataDir, ...report, tip, pins: pinned };
  if (!report.ok) {
    const problem = report.problem!;
    return {
      code: ExitCode.mismatch,
      json,
      text: [
        `TAMPERED: ${placeOf(problem)}: ${problem.reason}.`,
        problem.blockNumber !== null
          ? `  blocks ${range(0, report.blocksVerified - 1)} verified; block ${report.blocksVerified} and every later block cannot be trusted (the savepoint counts ${count(report.height, 'block')})`
          : report.blocksVerified > 0
            ? `  blocks ${range(0, report.blocksVerified - 1)} verified, every block the savepoint counts`
            : `  nothing in ${dataDir} can be trusted`,
      ],
    };
  }
  const failed = pinned.filter((p) => p.verdict !== 'matches');
  const summary = [
    `  ${count(report.height, 'block')} (${range(0, report.height - 1)}), ${count(report.transactions, 'transaction')}: ` +
      `each creator's signature and ${count(report.endorsements, 'endorsement')} verified against the channel configuration's CAs`,
    `  tip ${tip}`,
  ];
  if (failed.length === 0) {
    return {
      code: ExitCode.verified,
      json,
      text: [
        `VERIFIED: the block chain in ${dataDir} is intact from genesis to the savepoint${pinned.length > 0 ? `, and holds ${pinned.length === 1 ? 'the tip' : `each of the ${pinned.length} tips`} recorded earlier` : ''}.`,
        ...summary,
        pinned.length > 0
          ? `  pinned: ${pinned.map((p) => `height ${p.height} matches`).join(', ')}`
          : `  (keep the tip outside ${dataDir}: --expect ${tip} then fails if this chain is cut short or rewritten)`,
      ],
    };
  }
  return {
    code: ExitCode.mismatch,
    json,
    text: [
      `TAMPERED: the block chain in ${dataDir} links from genesis to its savepoint, but not to ${failed.length === 1 ? 'a tip' : `${failed.length} tips`} recorded earlier:`,
      ...failed.map((p) =>
        p.verdict === 'missing'
          ? `  height ${p.height} (${p.hash}): the chain holds ${count(report.height, 'block')}, not block ${p.height - 1}: blocks were dropped from its end`
          : `  height ${p.height}: block ${p.height - 1}'s header hash is ${p.stored}, not ${p.hash}: the chain was rewritten at or before block ${p.height - 1}`,
      ),
      ...summary,
    ],
  };
}
