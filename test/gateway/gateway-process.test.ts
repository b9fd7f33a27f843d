/**
 * The gateway as `npm start` runs it (gateway/dist/main.js in a process of its own): a graceful
 * stop anchors the audit log's last entries, and the start-up failures an operator causes (a data
 * directory another gateway holds, a port in use) are one line saying what to do, without a stack;
 * the first request it suggests answers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GATEWAY_NODE_FLAGS,
  startGatewayProcess,
  type GatewayProcess,
} from '../../bench/lib/gateway-process.js';
import { runKeysCli } from '../../gateway/src/cli/api-keys.js';
import { audit } from '../auditor/helpers.js';

let dataDir: string;
let otherDir: string;
let gateway: GatewayProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gateway-process-'));
  otherDir = await mkdtemp(join(tmpdir(), 'gateway-process-other-'));
  // Anchoring on its schedule would be long after this test: only the stop can anchor.
  gateway = await startGatewayProcess(dataDir, { AUDIT_ANCHOR_SECONDS: '3600' });
});
afterAll(async () => {
  await gateway?.kill();
  await rm(dataDir, { recursive: true, force: true });
  await rm(otherDir, { recursive: true, force: true });
});

/** Runs the built gateway until it exits (it must fail to start); its exit code and its output. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, 'gateway/dist/main.js'], {
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A gateway process's output as it comes (both streams), and a wait until it reads as `pattern` says. */
function outputOf(child: ChildProcess): { text(): string; reaches(pattern: RegExp): Promise<void> } {
  let output = '';
  const waiting = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const check of waiting) check();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  return {
    text: () => output,
    reaches: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const ended = (): void =>
          reject(new Error(`the gateway ended before its output matched ${pattern}:\n${output}`));
        const check = (): void => {
          if (!pattern.test(output)) return;
          waiting.delete(check);
          child.off('exit', ended);
          resolve();
        };
        waiting.add(check);
        child.once('exit', ended);
        check();
      }),
  };
}

/** The lines a person reads: not pino's JSON lines. */
const plainLines = (output: string): string[] =>
  output.split('\n').filter((line) => line !== '' && !line.startsWith('{"level"'));

describe('the gateway process', () => {
  // With the ledger on its own thread, LevelDB's refusal crosses threads before it is explained.
  it.each(['main', 'worker'])(
    'refuses a second gateway on the same data directory in one line, as the auditor CLI says it (LEDGER_THREAD=%s)',
    async (thread) => {
      const { code, output } = await failedStart({ DATA_DIR: dataDir, PORT: '0', LEDGER_THREAD: thread });
      expect(code).toBe(1);
      expect(plainLines(output)).toEqual([
        `gateway failed to start: ${dataDir} is locked by a running gateway (LevelDB allows one process per store): stop that gateway, or start this one with another DATA_DIR`,
      ]);
      expect(output).not.toMatch(/node_modules|NotOpenError|\n\s+at /);
    },
  );

  it('refuses a port in use in one line', async () => {
    const port = new URL(gateway.url).port;
    const { code, output } = await failedStart({ DATA_DIR: otherDir, PORT: port });
    expect(code).toBe(1);
    expect(plainLines(output)).toEqual([
      `gateway failed to start: 127.0.0.1 port ${port} is already in use (another gateway, or another program): stop it, or set PORT to a free port`,
    ]);
    expect(output).not.toMatch(/EADDRINUSE|\n\s+at /);
  });

  it('refuses a metrics token that is not one in one line, not repeating it', async () => {
    const bad = await failedStart({ DATA_DIR: otherDir, PORT: '0', METRICS_TOKEN: 'secret but short' });
    expect(bad.code).toBe(1);
    expect(plainLines(bad.output)).toEqual([
      "gateway failed to start: invalid configuration: METRICS_TOKEN: at least 32 characters of A-Z a-z 0-9 - . _ ~ + /, then any '=' padding; `openssl rand -base64 32` makes one",
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'gateway-process-token-'));
    try {
      const file = join(dir, 'gateway', 'metrics-token');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, 'secret but short\n');
      const kept = await failedStart({ DATA_DIR: dir, PORT: '0' });
      expect(kept.code).toBe(1);
      expect(plainLines(kept.output)).toEqual([
        `gateway failed to start: ${file} does not hold a metrics token (at least 32 characters of A-Z a-z 0-9 - . _ ~ + /, then any '=' padding; \`openssl rand -base64 32\` makes one): correct it, delete it for a new one, or set METRICS_TOKEN`,
      ]);
      expect(bad.output + kept.output).not.toMatch(/secret but short|\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a settings file it cannot use, or a GATEWAY_MSP the network lacks, in one line, setting nothing up', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'gateway-process-files-'));
    try {
      const notJson = join(parent, 'organisations.json');
      await writeFile(notJson, '# not JSON\n');
      const missing = join(parent, 'missing.json');
      const cases: [Record<string, string>, string][] = [
        [
          { NETWORK_CONFIG: missing },
          `NETWORK_CONFIG ${missing}: no such file; set NETWORK_CONFIG to the network's organisations file (default ./config/organisations.json)`,
        ],
        [
          { NETWORK_CONFIG: 'package.json' },
          `NETWORK_CONFIG ${join(process.cwd(), 'package.json')}: network config: name is not a known field; set NETWORK_CONFIG to the network's organisations file (default ./config/organisations.json)`,
        ],
        [{ COLLECTIONS_CONFIG: notJson }, `COLLECTIONS_CONFIG ${notJson}: not JSON (`],
        [
          { COLLECTIONS_CONFIG: parent },
          `COLLECTIONS_CONFIG ${parent}: a directory, not a file; set COLLECTIONS_CONFIG to the collections file generated from it (default ./chaincode/collections_config.json)`,
        ],
        [
          { GATEWAY_MSP: 'NopeMSP', LEDGER_THREAD: 'worker' },
          `GATEWAY_MSP NopeMSP is not an organisation of the network in ${join(process.cwd(), 'config', 'organisations.json')}: set it to the one that operates this gateway, one of PlatformAMSP, PlatformBMSP, PaymentMSP, PostMSP, ExpressMSP, CustomsMSP, AuditorMSP`,
        ],
      ];
      for (const [env, message] of cases) {
        const dir = join(parent, 'data');
        const run = await failedStart({ DATA_DIR: dir, PORT: '0', ...env });
        expect(run.code, message).toBe(1);
        const lines = plainLines(run.output);
        expect(lines, message).toHaveLength(1);
        expect(lines[0], message).toContain(`gateway failed to start: ${message}`);
        expect(run.output, message).not.toMatch(/\n\s+at /);
        await expect(readFile(join(dir, 'gateway', 'metrics-token')), message).rejects.toThrow(/ENOENT/);
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('refuses a data directory it cannot use, or an API key file that holds no keys, in one line', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'gateway-process-dirs-'));
    try {
      const file = join(parent, 'a-file');
      await writeFile(file, '');
      const ledgerFile = join(parent, 'ledger-a-file');
      await mkdir(ledgerFile);
      await writeFile(join(ledgerFile, 'ledger'), '');
      const keys = join(parent, 'keys', 'gateway', 'api-keys.json');
      await mkdir(dirname(keys), { recursive: true });
      await writeFile(keys, '{"not": "a list"');
      const remedy = 'set DATA_DIR to a directory this user can write, or mend that one';
      const cases: [Record<string, string>, string][] = [
        [
          { DATA_DIR: file },
          `DATA_DIR ${file} cannot be used: mkdir ${join(file, 'gateway')}: a file is where a directory goes; ${remedy}`,
        ],
        ...['main', 'worker'].map((thread): [Record<string, string>, string] => [
          { DATA_DIR: ledgerFile, LEDGER_THREAD: thread },
          `DATA_DIR ${ledgerFile} cannot be used: mkdir ${join(ledgerFile, 'ledger')}: a file is where a directory goes; ${remedy}`,
        ]),
        [
          { DATA_DIR: join(parent, 'keys') },
          `${keys} is not valid JSON: correct it, or restore it from a copy`,
        ],
      ];
      for (const [env, message] of cases) {
        const run = await failedStart({ PORT: '0', ...env });
        expect(run.code, message).toBe(1);
        expect(plainLines(run.output), message).toEqual([`gateway failed to start: ${message}`]);
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  // A full disk for real needs a small tmpfs, which needs root (CAP_SYS_ADMIN).
  it('refuses a full data directory in one line naming the file it could not write', async (context) => {
    const mountPoint = await mkdtemp(join(tmpdir(), 'gateway-process-full-'));
    const mounted = await promisify(execFile)('mount', [
      '-t',
      'tmpfs',
      '-o',
      'size=256k',
      'tmpfs',
      mountPoint,
    ]).then(
      () => true,
      (error: { stderr?: string; message: string }) => {
        console.log(
          `skipped: a full data directory needs a tmpfs mounted (${error.stderr?.trim() || error.message})`,
        );
        return false;
      },
    );
    if (!mounted) {
      await rm(mountPoint, { recursive: true, force: true });
      return context.skip();
    }
    try {
      await writeFile(join(mountPoint, 'filler'), Buffer.alloc(256 * 1024)).catch(() => undefined);
      const full = join(mountPoint, 'data');
      const run = await failedStart({ DATA_DIR: full, PORT: '0' });
      expect(run.code).toBe(1);
      // Whichever file it wrote first; a write refused names none of its own, so the path is the gateway's.
      expect(plainLines(run.output)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^gateway failed to start: DATA_DIR ${full} cannot be used: \\w+ ${full}/\\S+: no space left on device; free space on its device, or set DATA_DIR to a directory on another$`,
          ),
        ),
      ]);
    } finally {
      await promisify(execFile)('umount', [mountPoint]).catch(() => undefined);
      await rm(mountPoint, { recursive: true, force: true });
    }
  });

  it('refuses Fabric connection profiles it cannot find in one line saying where they come from', async () => {
    const run = await failedStart({
      DATA_DIR: otherDir,
      PORT: '0',
      LEDGER: 'fabric',
      FABRIC_PROFILE_DIR: join(otherDir, 'no-profiles'),
    });
    expect(run.code).toBe(1);
    expect(plainLines(run.output)).toEqual([
      `gateway failed to start: ${join(otherDir, 'no-profiles', 'network.json')}: file not found: bring the network up and deploy the chaincode (npm run network:up, npm run network:deploy), or set FABRIC_PROFILE_DIR to the folder of its connection profiles`,
    ]);
  });

  it('suggests a first request and a scrape of its metrics that answer, with a key that is taken', async () => {
    // As a user pastes it into a shell; a stream would never end and time out instead.
    const shell = (command: string) => promisify(execFile)('sh', ['-c', command], { timeout: 10_000 });
    const suggestions = async (check: (first: string, metrics: string, output: string) => Promise<void>) => {
      const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, 'gateway/dist/main.js'], {
        env: { ...process.env, DATA_DIR: otherDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        let output = '';
        const [first, metrics] = await new Promise<[string, string]>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const suggested = (name: string) => new RegExp(`^ {2}${name}: +(.+)$`, 'm').exec(output)?.[1];
            const [tryLine, metricsLine] = [suggested('Try'), suggested('Metrics')];
            if (tryLine !== undefined && metricsLine !== undefined) resolve([tryLine, metricsLine]);
          });
          child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
        });
        await check(first, metrics, output);
      } finally {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('close', resolve));
      }
    };
    await suggestions(async (first, metrics, output) => {
      expect(JSON.parse((await shell(first)).stdout)).toMatchObject({ user: 'platforma-operator' });
      expect((await shell(metrics)).stdout).toMatch(/^# TYPE http_requests_total counter$/m);
      // The token is read from its file when the command runs: never printed.
      const token = (await readFile(join(otherDir, 'gateway', 'metrics-token'), 'utf8')).trim();
      expect(output).not.toContain(token);
    });
    // The first demo user's key revoked, the suggestion takes another's: it answered 401.
    const revoked = await runKeysCli(
      ['revoke', '--org', 'PlatformAMSP', '--user', 'platforma-operator'],
      { ...process.env, DATA_DIR: otherDir },
      { stdout: () => undefined, stderr: () => undefined },
    );
    expect(revoked).toBe(0);
    await suggestions(async (first) => {
      const me = JSON.parse((await shell(first)).stdout) as { user?: string };
      expect(me.user).toMatch(/-/);
      expect(me.user).not.toBe('platforma-operator');
    });
  });

  // npm passes a SIGTERM on to the shell that runs the script; a shell that waited for node would
  // end, and leave the gateway running, holding its data directory.
  it('is the process of the shell npm start runs it in, so that a SIGTERM npm passes on stops it gracefully', async () => {
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } };
    const command = manifest.scripts.start.split(' && ').at(-1)!;
    const dir = await mkdtemp(join(tmpdir(), 'gateway-process-shell-'));
    // Unset, as npm start finds it on a machine that does not set it.
    const { MALLOC_ARENA_MAX: _set, ...environment } = process.env;
    const shell = spawn('sh', ['-c', command], {
      env: { ...environment, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const output = outputOf(shell);
      await output.reaches(/^ {2}Try: /m);
      const processEnvironment = (await readFile(`/proc/${shell.pid}/environ`, 'utf8')).split('\0');
      expect(processEnvironment).toContain('MALLOC_ARENA_MAX=2');
      const exited = new Promise<number | null>((resolve) => shell.once('exit', resolve));
      shell.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.text()).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
    } finally {
      shell.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('goes on with a graceful stop through a second signal during its drain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-process-drain-'));
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, 'gateway/dist/main.js'], {
      env: {
        ...process.env,
        DATA_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        STOP_DRAIN_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const output = outputOf(child);
      await output.reaches(/"msg":"gateway ready"/);
      // An entry in the audit log, for the stop to anchor.
      const url = /Gateway listening on (\S+)/.exec(output.text())![1]!;
      const [{ apiKey }] = JSON.parse(await readFile(join(dir, 'dev-credentials.json'), 'utf8')) as [
        { apiKey: string },
      ];
      expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(
        200,
      );
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.once('exit', (code, signal) => resolve([code, signal])),
      );
      child.kill('SIGTERM');
      await output.reaches(/"msg":"shutting down"/);
      child.kill('SIGINT');
      expect(await exited, output.text()).toEqual([0, null]);
      expect(output.text()).toMatch(/"signal":"SIGINT","msg":"already shutting down/);
      expect(output.text()).toMatch(/"msg":"audit log tree head anchored on the ledger"/);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('anchors the audit log on a graceful stop (SIGINT), so that it verifies to its last entry', async () => {
    for (const user of ['platforma-operator', 'auditor', 'customs-officer']) {
      const res = await fetch(`${gateway.url}/v1/me`, { headers: gateway.auth(user) });
      expect(res.status).toBe(200);
    }
    process.kill(gateway.pid, 'SIGINT');
    await expect
      .poll(
        () => {
          try {
            process.kill(gateway.pid, 0);
            return 'running';
          } catch {
            return 'stopped';
          }
        },
        { timeout: 30_000 },
      )
      .toBe('stopped');
    const run = await audit(['verify-audit-log', '--data-dir', dataDir, '--json']);
    expect(run.code, run.stdout).toBe(0);
    const report = run.json<{
      logSize: number;
      unanchoredEntries: number;
      anchors: { treeSize: number }[];
    }>();
    expect(report.logSize).toBe(3);
    expect(report.anchors.map((a) => a.treeSize)).toEqual([3]);
    expect(report.unanchoredEntries).toBe(0);
  });
});
