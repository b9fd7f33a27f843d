import cliProgress from 'cli-progress';
import type { Io } from './io.js';

/** A counter a long check advances; a no-op when no bar is shown. */
export interface Progress {
  start(total: number, label: string): void;
  tick(): void;
  stop(): void;
}

const silent: Progress = { start: () => {}, tick: () => {}, stop: () => {} };

/** Redraws at most this often: a bar redrawn per block would cost more than verifying the block. */
const FPS = 10;

/**
 * A progress bar on stderr, so stdout stays the report (and `--json` stays parseable). Drawn when
 * stderr is a terminal, or anywhere when forced (then as plain lines, for CI logs).
 */
export function progressBar(io: Io, forced: boolean): Progress {
  if (!io.stderrIsTTY && !forced) return silent;
  let bar: cliProgress.SingleBar | undefined;
  let value = 0;
  return {
    start(total, label) {
      bar?.stop();
      value = 0;
      bar = new cliProgress.SingleBar(
        {
          stream: io.stderr as NodeJS.WritableStream,
          format: `${label.padEnd(18)} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
          fps: FPS,
          noTTYOutput: !io.stderrIsTTY,
          notTTYSchedule: 2000,
          hideCursor: io.stderrIsTTY,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    tick() {
      value += 1;
      bar?.update(value);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
