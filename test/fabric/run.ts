/**
 * `npm run test:fabric`: the Fabric scenario on a real network. Brings the local network up
 * (network/network.sh up && deploy && deploy-reference), runs the vitest suite in test/fabric with
 * LEDGER=fabric, always takes the network down, and exits with the suite's code. Without Fabric
 * binaries (no `peer` on PATH and FABRIC_BIN unset) it says so and succeeds, so CI without Fabric
 * stays green.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fabricBin = process.env.FABRIC_BIN || undefined;

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

if (fabricBin === undefined && !onPath('peer')) {
  console.log('skipped: no Fabric binaries (set FABRIC_BIN)');
  process.exit(0);
}

/** FABRIC_BIN may name the bin folder itself or the folder install-fabric.sh filled (bin/ and config/). */
const extraPath = fabricBin ? [join(fabricBin, 'bin'), fabricBin].filter((dir) => existsSync(dir)) : [];
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [...extraPath, process.env.PATH ?? ''].join(delimiter),
};

let current: ChildProcess | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}

function run(command: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<number> {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: 'inherit' });
    current = child;
    child.on('error', (error) => {
      console.error(`${command}: ${error.message}`);
      current = undefined;
      resolvePromise(127);
    });
    child.on('exit', (code, signal) => {
      current = undefined;
      resolvePromise(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });
}

const network = (action: string): Promise<number> => run('bash', [join('network', 'network.sh'), action]);

let code = await network('up');
if (code === 0 && !interrupted) code = await network('deploy');
// The benchmarks' suite compares creates with the network's bare key-value chaincode.
if (code === 0 && !interrupted) code = await network('deploy-reference');
if (code === 0 && !interrupted) {
  code = await run(
    process.execPath,
    [
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--config',
      join('test', 'fabric', 'vitest.config.ts'),
    ],
    { LEDGER: 'fabric' },
  );
}
const down = await network('down');
if (down !== 0) console.error(`network/network.sh down exited with ${down}`);
process.exit(interrupted && code === 0 ? 130 : code);
