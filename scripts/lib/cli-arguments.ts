import { CommanderError, InvalidArgumentError, type Command } from 'commander';

/** commander argument parsers for the scripts and benchmarks, each naming the bad value. */
export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(`'${text}' is not a positive integer`);
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value))
    throw new InvalidArgumentError(`'${text}' is not a positive number`);
  return value;
}

export function nonNegativeInt(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(`'${text}' is not a whole number ≥ 0`);
  return value;
}

export function atMost(max: number, value: number): number {
  if (value > max) throw new InvalidArgumentError(`${value} is more than ${max}`);
  return value;
}

export function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (!(value >= 0) || !Number.isFinite(value) || text.trim() === '')
    throw new InvalidArgumentError(`'${text}' is not a number ≥ 0`);
  return value;
}

/**
 * Parses the process's arguments with `command` and returns its options. `--help` exits 0; a usage
 * error exits 2 after commander has said what is wrong, never with a stack trace.
 */
export function parseCommandLine<Options extends object>(command: Command): Options {
  command.exitOverride().showHelpAfterError('(--help lists the options)');
  try {
    command.parse();
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    throw error;
  }
  return command.opts<Options>();
}
