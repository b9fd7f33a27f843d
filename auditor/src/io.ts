/**
 * What the CLI writes to and reads from the outside world, passed in rather than taken from
 * `process`, so the tests run the real commands in-process with captured output.
 */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stderr is a terminal: the progress bar is drawn only there unless --progress asks. */
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The one method the CLI needs of a stream (process.stdout, a test buffer, cli-progress's target). */
export interface Writable {
  write(text: string): unknown;
}

export function processIo(): Io {
  return {
    stdout: quietWhenReaderLeaves(process.stdout),
    stderr: quietWhenReaderLeaves(process.stderr),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * A reader that stops reading (`customs-audit trace … | head`) closes the pipe: the rest of the
 * output has nowhere to go, which is no fault of the check, so it is dropped without a stack trace
 * and the command still ends with its verdict's exit code. Any other write error stays fatal.
 */
function quietWhenReaderLeaves(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  return stream;
}

/**
 * The exit-code contract scripts rely on. 3 is separate from 1 on purpose: a gateway that is down
 * or a data directory that is locked says nothing about tampering, and must not look like it.
 */
export const ExitCode = {
  /** Everything checked was verified. */
  verified: 0,
  /** Tampering or a mismatch was found; the output says exactly where. */
  mismatch: 1,
  /** The command line was wrong (unknown command or option, missing argument, bad value, a file or consignment that does not exist). */
  usage: 2,
  /** The check could not be made: gateway unreachable or refusing, data directory missing or locked. */
  unavailable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong command line, found after commander's own parsing (e.g. an unreadable argument). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The check could not be made at all; never a verdict about the data. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

/**
 * What a command found: the exit code, a JSON document for `--json`, and lines for people.
 * Commands build this and never print, so every command has the same two output forms.
 */
export interface Outcome {
  readonly code: ExitCode;
  readonly json: unknown;
  readonly text: readonly string[];
}

export function printOutcome(io: Io, outcome: Outcome, json: boolean): void {
  if (json) io.stdout.write(JSON.stringify(outcome.json, null, 2) + '\n');
  else for (const line of outcome.text) io.stdout.write(line + '\n');
}
