import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../../bench/lib/gateway-process.js';
import { audit } from '../auditor/helpers.js';
import { client, type ApiClient } from '../support/gateway.js';

/*
 * A file-size limit (`ulimit -f`, RLIMIT_FSIZE) reached under the gateway as `npm start` runs it:
 * the kernel refuses the write (EFBIG) and sends SIGXFSZ. The gateway must treat it as a storage
 * fault (503, nothing acknowledged lost), not die of the signal, and take writes again once the
 * limit is raised, without a restart. The limit is set on the running process with util-linux's
 * prlimit; without it the suite is skipped and says why.
 */

const run = promisify(execFile);
const RUN = randomBytes(3).toString('hex').toUpperCase();
/** Below LevelDB's 4 MiB log (write buffer), so that a log reaches it within a few hundred writes. */
const LIMIT_BYTES = 1024 * 1024;
const MAX_WRITES = 3_000;

let prlimitMissing: string | undefined;
await run('prlimit', ['--version']).catch((error: Error) => {
  prlimitMissing = error.message;
  console.log(`skipped: the file-size limit tests need util-linux's prlimit (${prlimitMissing})`);
});

const setFileSizeLimit = (pid: number, soft: string): Promise<unknown> =>
  run('prlimit', ['--pid', String(pid), `--fsize=${soft}:unlimited`]);

describe.skipIf(prlimitMissing !== undefined)('a file-size limit reached under the gateway', () => {
  let dataDir: string;
  let gateway: GatewayProcess;
  let platform: ApiClient;
  const create = (n: number) =>
    platform.post('/v1/consignments', {
      consignmentId: `FSIZE-${RUN}-${n}`,
      orderNumber: `ORD-FSIZE-${RUN}-${n}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
  const acknowledged: number[] = [];
  let written = 0;

  afterAll(async () => {
    await gateway?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses the write that reaches it with 503 problem+json, and lives on', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'file-size-limit-'));
    gateway = await startGatewayProcess(dataDir);
    platform = client(gateway.url, gateway.auth('platforma-operator'));
    await setFileSizeLimit(gateway.pid, String(LIMIT_BYTES));
    let refused: Awaited<ReturnType<typeof create>> | undefined;
    while (refused === undefined && written < MAX_WRITES) {
      const res = await create(written);
      if (res.status === 201) acknowledged.push(written);
      else refused = res;
      written += 1;
    }
    expect(refused?.status, refused?.text).toBe(503);
    expect(refused?.headers.get('content-type')).toContain('application/problem+json');
    // The signal arrives with the refused write: a gateway it killed no longer answers.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    expect((await platform.get(`/v1/consignments/FSIZE-${RUN}-${acknowledged.at(-1)}`)).status).toBe(200);
  });

  it('takes writes again once the limit is raised, without a restart', async () => {
    await setFileSizeLimit(gateway.pid, 'unlimited');
    // The store reopens before the next write; a write or two may still meet it reopening.
    let res = await create(written);
    for (let tries = 0; res.status === 503 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      res = await create(written);
    }
    expect(res.status, res.text).toBe(201);
    acknowledged.push(written);
  });

  it('keeps every acknowledged write across a restart, with a chain and an audit log that verify', async () => {
    await gateway.stop();
    for (const command of ['verify-chain', 'verify-audit-log']) {
      const report = await audit([command, '--json'], { DATA_DIR: dataDir });
      expect(report.code, report.stdout + report.stderr).toBe(0);
    }
    gateway = await startGatewayProcess(dataDir);
    platform = client(gateway.url, gateway.auth('platforma-operator'));
    for (const n of acknowledged) {
      expect((await platform.get(`/v1/consignments/FSIZE-${RUN}-${n}`)).status, `write ${n}`).toBe(200);
    }
  });
});
