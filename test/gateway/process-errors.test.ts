/**
 * fabric-shim's and fabric-contract-api's loggers catch every uncaught exception and unhandled
 * rejection of the process they load in, log them and carry on. In the gateway, which loads them
 * with the chaincode, a bug must stop the process instead (it restarts from what it made durable):
 * chaincode-logging.ts takes their listeners off. Each case runs in a process of its own that
 * loads the modules the embedded ledger loads, then fails outside any handler.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Loads the embedded network's modules (the chaincode and fabric-shim with it), then runs `failure`. */
function loadThenFail(failure: string): { status: number | null; stderr: string; stdout: string } {
  const script = [
    "await import('./gateway/src/ledger/embedded/network.js');",
    "await import('./gateway/src/ledger/embedded/shim-bridge.js');",
    failure,
    "setTimeout(() => console.log('still running'), 200);",
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: child.status, stderr: child.stderr, stdout: child.stdout };
}

describe('the gateway process with the chaincode loaded', () => {
  it('stops on an uncaught exception', () => {
    const child = loadThenFail("setTimeout(() => { throw new Error('a bug'); }, 10);");
    expect(child.stdout).not.toContain('still running');
    expect(child.stderr).toContain('a bug');
    expect(child.status).toBe(1);
  });

  it('stops on an unhandled rejection', () => {
    const child = loadThenFail("void Promise.reject(new Error('a rejected bug'));");
    expect(child.stdout).not.toContain('still running');
    expect(child.stderr).toContain('a rejected bug');
    expect(child.status).toBe(1);
  });
});
