/**
 * The installed `customs-audit` bin, its output piped to a reader that has already gone (as `| head`
 * leaves it): it stops writing quietly and exits with its own code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from './helpers.js';

it('exits quietly, with its own exit code, when the reader of its output has gone', async () => {
  const bin = join(root, 'auditor', 'bin', 'customs-audit.mjs');
  const child = spawn(process.execPath, [bin, '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // Closed before the CLI has started, so its first write finds no reader.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  expect(stderr).toBe('');
  expect(code).toBe(0);
});
