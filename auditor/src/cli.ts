import { Command, CommanderError } from 'commander';
import {
  ExitCode,
  printOutcome,
  processIo,
  UnavailableError,
  UsageError,
  type Io,
  type Outcome,
} from './io.js';
import { registerVerifyChain } from './commands/verify-chain.js';
import { registerVerifyAuditLog } from './commands/verify-audit-log.js';
import { registerVerifyState } from './commands/verify-state.js';
import { registerTrace } from './commands/trace.js';
import { registerVerifyDisclosure } from './commands/verify-disclosure.js';
import { registerReads } from './commands/reads.js';

export const PROGRAM = 'customs-audit';

/** Options every command takes. */
export interface OutputOptions {
  readonly json?: boolean;
  readonly progress?: boolean;
}

/** What a command module gets: the world to talk to, and the one way to finish. */
export interface CommandContext {
  readonly io: Io;
  /** Runs a command body, prints its outcome (or its error) and records the exit code. */
  run(options: OutputOptions, body: () => Promise<Outcome>): Promise<void>;
}

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Runs the auditor CLI on `argv` (without node and the script) and returns its exit code. Never
 * calls process.exit, so tests run it in-process with captured output.
 */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  let code: ExitCode = ExitCode.verified;
  const context: CommandContext = {
    io,
    async run(options, body) {
      try {
        const outcome = await body();
        printOutcome(io, outcome, options.json === true);
        code = outcome.code;
      } catch (error) {
        code = reportError(io, error, options.json === true);
      }
    },
  };
  const program = new Command(PROGRAM)
    .description(
      'Auditor tools for the customs ledger: verify the embedded block chain, the stores against the blocks and the gateway audit log offline, ' +
        'trace consignments, verify disclosures and list personal-data reads through a gateway.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .showHelpAfterError(`(run ${PROGRAM} --help for usage)`)
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 verified, 1 tampering or mismatch found (the output names the block or entry),',
        '            2 usage error (a consignment or file that does not exist included),',
        '            3 the check could not be made (gateway unreachable, data directory locked).',
      ].join('\n'),
    );
  registerVerifyChain(program, context);
  registerVerifyAuditLog(program, context);
  registerVerifyState(program, context);
  registerTrace(program, context);
  registerVerifyDisclosure(program, context);
  registerReads(program, context);

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return HELP_CODES.has(error.code) ? ExitCode.verified : ExitCode.usage;
    }
    throw error;
  }
  return code;
}

function reportError(io: Io, error: unknown, json: boolean): ExitCode {
  // Anything but a usage error (unavailable, or a fault of the CLI itself) gives no verdict either way.
  const code = error instanceof UsageError ? ExitCode.usage : ExitCode.unavailable;
  const message =
    error instanceof UsageError || error instanceof UnavailableError
      ? error.message
      : `unexpected error: ${(error as Error)?.stack ?? String(error)}`;
  io.stderr.write(`${PROGRAM}: ${code === ExitCode.usage ? 'error' : 'cannot check'}: ${message}\n`);
  if (json) io.stdout.write(JSON.stringify({ ok: false, exitCode: code, error: message }, null, 2) + '\n');
  return code;
}
