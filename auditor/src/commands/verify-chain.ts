import type { Command } from 'commander';
import { checkChain, placeOf } from '../checks/chain.js';
import type { CommandContext } from '../cli.js';
import { openLedgerStore } from '../data-dir.js';
import { count, range } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { progressBar } from '../progress.js';
import { dataDirOf, withDataDir, withOutputOptions, type DataDirOptions } from './options.js';

export function registerVerifyChain(program: Command, context: CommandContext): void {
  const command = program
    .command('verify-chain')
    .summary('verify the embedded block chain from genesis (offline)')
    .description(
      'Verify the embedded block chain from genesis (offline): every block decodes and carries its number, ' +
        'links to the previous header hash, its data matches its data hash, the last header matches the ' +
        'savepoint, no block or transaction-index entry lies beyond the savepoint, and each validation code ' +
        'matches the transaction index. Names the first block at fault.',
    );
  withDataDir(command, "a stopped gateway's data directory, or a copy of it");
  withOutputOptions(command, true).action((options: DataDirOptions) =>
    context.run(options, () => verifyChainCommand(context, options)),
  );
}

async function verifyChainCommand(context: CommandContext, options: DataDirOptions): Promise<Outcome> {
  const dataDir = dataDirOf(options, context.io);
  const store = await openLedgerStore(dataDir);
  let report;
  try {
    report = await checkChain(store, progressBar(context.io, options.progress === true));
  } finally {
    await store.close();
  }
  const json = { command: 'verify-chain', dataDir, ...report };
  if (report.ok) {
    return {
      code: ExitCode.verified,
      json,
      text: [
        `VERIFIED: the block chain in ${dataDir} is intact from genesis to the savepoint.`,
        `  ${count(report.height, 'block')} (${range(0, report.height - 1)}), ${count(report.transactions, 'transaction')}`,
        `  tip header hash ${report.tipHash}`,
      ],
    };
  }
  const problem = report.problem!;
  return {
    code: ExitCode.mismatch,
    json,
    text: [
      `TAMPERED: ${placeOf(problem)}: ${problem.reason}.`,
      problem.blockNumber === null
        ? `  nothing in ${dataDir} can be trusted`
        : `  blocks ${range(0, report.blocksVerified - 1)} verified; block ${report.blocksVerified} and every later block cannot be trusted (the savepoint counts ${count(report.height, 'block')})`,
    ],
  };
}
