/**
 * API keys over their life: `npm run keys` (runKeysCli, in-process) issues, lists and revokes them
 * in the key file a running gateway reads; the gateway takes a change within a second, a revoked
 * or expired key is refused (401) and its open event stream delivers nothing more and ends; the
 * demo credentials do not bring a revoked key back at the next start; and changes made side by side
 * by two stores of the same file (the gateway and the CLI) keep each other's keys.
 * A key's expiry is met by moving the process's Date (the gateway runs in it), as the returns
 * tests move their deadlines.
 */
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkConfig } from '@customs-ledger/chaincode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKeyStore } from '../../gateway/src/auth/api-keys.js';
import { runKeysCli } from '../../gateway/src/cli/api-keys.js';
import { client, startTestGateway, type TestGateway } from '../support/gateway.js';
import { eventually } from '../support/parcel.js';

let dataDir: string;
let t: TestGateway;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'api-keys-cli-'));
  t = await startTestGateway({}, dataDir);
});
afterAll(async () => {
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `npm run keys -- …args` on the test gateway's data directory: exit code and output. */
async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runKeysCli(
    args,
    { ...process.env, DATA_DIR: dataDir },
    {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
    },
  );
  return { code, stdout, stderr };
}

/** A key as `list --json` shows it. */
interface Listed {
  readonly id: string;
  readonly user: string;
  readonly createdAt: string;
  /** null for a key that never expires. */
  readonly expiresAt: string | null;
  readonly revokedAt?: string;
  readonly state: 'active' | 'expired' | 'revoked';
}

const listed = async (): Promise<Listed[]> => JSON.parse((await keys('list', '--json')).stdout) as Listed[];

const me = (key: string) => client(t.gateway.url, { Authorization: `Bearer ${key}` }).get('/v1/me');

/** Creates a consignment of Platform A (whose demo key never expires), whose events its keys' streams get. */
async function create(id: string): Promise<void> {
  const res = await t.as('platforma-operator').post('/v1/consignments', {
    consignmentId: id,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(res.status, res.text).toBe(201);
}

interface OpenStream {
  /** Once what the stream sent so far matches. */
  reached(pattern: RegExp): Promise<void>;
  /** Once the stream ends (or 30 s pass): the consignment ids of its events, and whether the gateway ended it. */
  readonly end: Promise<{ ids: string[]; ended: boolean }>;
}

/** An event stream opened with `key`, from now on. */
async function openStream(key: string): Promise<OpenStream> {
  const response = await fetch(`${t.gateway.url}/v1/events`, {
    headers: { Authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(30_000),
  });
  expect(response.status).toBe(200);
  let text = '';
  const end = (async () => {
    let ended = true;
    try {
      for await (const chunk of response.body!) text += Buffer.from(chunk as Uint8Array).toString();
    } catch {
      ended = false;
    }
    return { ids: [...text.matchAll(/"consignmentId":"([^"]+)"/g)].map((m) => m[1]!), ended };
  })();
  return {
    reached: async (pattern) => {
      await eventually(
        async () => text,
        (sent) => pattern.test(sent),
      );
      expect(text).toMatch(pattern);
    },
    end,
  };
}

/** The stream's position (`id: <block>`, before any event): what is committed from here on reaches it. */
const POSITION = /^id: \d+$/m;

describe('npm run keys', () => {
  it('issues a key the running gateway accepts, lists it without the key, and revokes it', async () => {
    const issued = await keys('issue', '--org', 'PlatformAMSP', '--user', 'alice', '--role', 'operator');
    expect(issued.code, issued.stderr).toBe(0);
    const key = issued.stdout.trim();
    expect(key).toMatch(/^clk_[A-Za-z0-9_-]{43}$/);
    const accepted = await eventually(
      () => me(key),
      (r) => r.status === 200,
    );
    expect(accepted.body).toMatchObject({ user: 'alice', mspId: 'PlatformAMSP', role: 'operator' });

    const alice = (await listed()).filter((r) => r.user === 'alice');
    expect(alice).toEqual([expect.objectContaining({ id: expect.stringMatching(/^[0-9a-f]{16}$/) })]);
    // Issued for the default 90 days: /v1/me says until when, as `list` does.
    expect(alice[0]!.expiresAt).toEqual(expect.any(String));
    expect(accepted.body.expiresAt).toBe(new Date(alice[0]!.expiresAt!).toISOString());
    expect((await keys('list', '--json')).stdout).not.toContain(key);
    expect(await readFile(join(dataDir, 'gateway', 'api-keys.json'), 'utf8')).not.toContain(key);

    // The stream opened with the key gets the platform's events until the revocation, none after.
    const stream = await openStream(key);
    await stream.reached(POSITION);
    await create('KEYS-BEFORE');
    await stream.reached(/KEYS-BEFORE/);
    const revoked = await keys('revoke', alice[0]!.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked: ${alice[0]!.id} .* revoked `));
    const refused = await eventually(
      () => me(key),
      (r) => r.status === 401,
    );
    expect(refused.body.detail).toBe('this API key was revoked');
    await create('KEYS-AFTER');
    const { ids, ended } = await stream.end;
    expect(ids).toContain('KEYS-BEFORE');
    expect(ids).not.toContain('KEYS-AFTER');
    expect(ended).toBe(true);

    // Nothing to revoke: it says why, and a key id that cannot be one is a refused command.
    // Pasted in upper case, it is the same id.
    const again = await keys('revoke', alice[0]!.id.toUpperCase());
    const revokedAt = (await listed()).find((r) => r.id === alice[0]!.id)!.revokedAt;
    expect(again).toMatchObject({
      code: 1,
      stderr: `nothing revoked: key ${alice[0]!.id} was revoked already (${revokedAt})\n`,
    });
    expect(await keys('revoke', '0123456789abcdef')).toMatchObject({
      code: 1,
      stderr: 'nothing revoked: no key has id 0123456789abcdef (see list)\n',
    });
    expect(await keys('revoke', '--org', 'PlatformAMSP', '--user', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'nothing revoked: no key is issued to nobody of PlatformAMSP (see list)\n',
    });
    expect(await keys('revoke', '7f65b848e53c30bc0')).toMatchObject({
      code: 2,
      stderr: "keys: '7f65b848e53c30bc0' is no key id: one is 16 hexadecimal digits, as list shows it\n",
    });
  }, 60_000);

  it('issues a key for 90 days unless told otherwise, and lists when each key expires', async () => {
    const before = Date.now();
    const issued = await keys('issue', '--org', 'PostMSP', '--user', 'bob', '--role', 'operator');
    const after = Date.now();
    expect(issued.code, issued.stderr).toBe(0);
    const bob = (await listed()).find((r) => r.user === 'bob')!;
    expect(bob.state).toBe('active');
    const DAYS_90 = 90 * 24 * 60 * 60 * 1000;
    expect(Date.parse(bob.expiresAt!)).toBeGreaterThanOrEqual(before + DAYS_90);
    expect(Date.parse(bob.expiresAt!)).toBeLessThanOrEqual(after + DAYS_90);
    expect(issued.stderr).toBe(
      `issued: ${bob.id}  PostMSP  bob  operator  created ${bob.createdAt}  expires ${bob.expiresAt}  active\n`,
    );
    const lines = (await keys('list')).stdout.split('\n');
    expect(lines).toContain(
      `${bob.id}  PostMSP  bob  operator  created ${bob.createdAt}  expires ${bob.expiresAt}  active`,
    );
    // The demo users' keys never expire, as keys issued before keys had an expiry do not.
    const demo = (await listed()).find((r) => r.user === 'post-operator')!;
    expect(demo.expiresAt).toBeNull();
    expect(lines).toContain(
      `${demo.id}  PostMSP  post-operator  operator  created ${demo.createdAt}  expires never  active`,
    );
  });

  it('refuses a key from the millisecond it expires, saying when, and ends its open event stream', async () => {
    const issued = await keys(
      'issue',
      '--org',
      'PlatformAMSP',
      '--user',
      'erin',
      '--role',
      'operator',
      '--expires-in',
      '1h',
    );
    expect(issued.code, issued.stderr).toBe(0);
    const key = issued.stdout.trim();
    expect(
      (
        await eventually(
          () => me(key),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
    const erin = (await listed()).find((r) => r.user === 'erin')!;
    const expiresAt = Date.parse(erin.expiresAt!);

    const stream = await openStream(key);
    await stream.reached(POSITION);
    await create('EXPIRY-BEFORE');
    await stream.reached(/EXPIRY-BEFORE/);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(expiresAt - 1);
      expect((await me(key)).status).toBe(200);
      vi.setSystemTime(expiresAt);
      const refused = await me(key);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body.detail).toBe(`this API key expired at ${erin.expiresAt}`);
      expect((await listed()).find((r) => r.user === 'erin')!.state).toBe('expired');
      expect((await keys('list')).stdout).toContain(
        `  erin  operator  created ${erin.createdAt}  expires ${erin.expiresAt}  expired\n`,
      );
      // The stream delivers nothing past the expiry, and ends.
      await create('EXPIRY-AFTER');
      const { ids, ended } = await stream.end;
      expect(ids).toContain('EXPIRY-BEFORE');
      expect(ids).not.toContain('EXPIRY-AFTER');
      expect(ended).toBe(true);
      const reconnected = await client(t.gateway.url, { Authorization: `Bearer ${key}` }).get('/v1/events');
      expect([reconnected.status, reconnected.body.detail]).toEqual([
        401,
        `this API key expired at ${erin.expiresAt}`,
      ]);
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);

  it('refuses a role the organisation’s users do not have, an unknown organisation and a vague revoke, writing nothing', async () => {
    const before = await readFile(join(dataDir, 'gateway', 'api-keys.json'), 'utf8');
    const role = await keys('issue', '--org', 'PlatformAMSP', '--user', 'mallory', '--role', 'officer');
    expect(role).toMatchObject({ code: 2, stdout: '' });
    expect(role.stderr).toMatch(/role officer is not one of PlatformAMSP's user roles \(operator\)/);
    const org = await keys('issue', '--org', 'NopeMSP', '--user', 'mallory', '--role', 'operator');
    expect(org.stderr).toMatch(/unknown organisation NopeMSP/);
    for (const [expiry, detail] of [
      [['--expires-in', '90'], "keys: expiry '90' is not a lifetime"],
      [['--expires-in', '366d'], 'days away, the longest a key may live'],
      [['--expires-at', '2027-03-01T09:00:00'], "keys: expiry '2027-03-01T09:00:00' is not a time"],
      [['--expires-at', '2020-01-01'], 'keys: expiry 2020-01-01T00:00:00.000Z is not in the future'],
      [['--expires-in', '30d', '--expires-at', '2027-01-01'], 'not both'],
    ] as const) {
      const refused = await keys(
        'issue',
        '--org',
        'PlatformAMSP',
        '--user',
        'mallory',
        '--role',
        'operator',
        ...expiry,
      );
      expect(refused, detail).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(detail);
    }
    expect((await keys('revoke')).code).toBe(2);
    expect((await keys()).code).toBe(2);
    expect((await keys('--help')).code).toBe(0);
    expect((await keys('revoke', 'abc', '--org', 'PlatformAMSP', '--user', 'x')).code).toBe(2);
    expect(await readFile(join(dataDir, 'gateway', 'api-keys.json'), 'utf8')).toBe(before);
  });

  it('refuses a DATA_DIR no gateway has started on, making nothing there', async () => {
    const mistyped = join(dataDir, 'dta');
    for (const args of [
      ['issue', '--org', 'PlatformAMSP', '--user', 'alice', '--role', 'operator'],
      ['list'],
    ]) {
      let stderr = '';
      const code = await runKeysCli(
        args,
        { ...process.env, DATA_DIR: mistyped },
        { stdout: () => undefined, stderr: (text) => void (stderr += text) },
      );
      expect(code).toBe(2);
      expect(stderr).toBe(
        `keys: no gateway has started on DATA_DIR ${mistyped}: set DATA_DIR to the gateway's (default ./data), or start the gateway on it once first\n`,
      );
      await expect(stat(mistyped)).rejects.toThrow(/ENOENT/);
    }
  });

  it('says a refusal to look at the gateway store as it is, not as a DATA_DIR no gateway started on', async () => {
    // A loop of links is a refusal root meets too (no permission is none for root).
    const looped = await mkdtemp(join(tmpdir(), 'api-keys-loop-'));
    try {
      await mkdir(join(looped, 'gateway'));
      await symlink('store', join(looped, 'gateway', 'store'));
      let stderr = '';
      const code = await runKeysCli(
        ['list'],
        { ...process.env, DATA_DIR: looped },
        { stdout: () => undefined, stderr: (text) => void (stderr += text) },
      );
      expect([code, stderr]).toEqual([2, expect.stringContaining('ELOOP')]);
      expect(stderr).toContain(join(looped, 'gateway', 'store'));
      expect(stderr).not.toContain('no gateway has started');
    } finally {
      await rm(looped, { recursive: true, force: true });
    }
  });

  it('says on stderr that there is no key, where stdout lists none', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'api-keys-none-'));
    try {
      await (await startTestGateway({ DEMO_USERS: 'off' }, fresh)).close();
      let [stdout, stderr] = ['', ''];
      const output = {
        stdout: (text: string) => void (stdout += text),
        stderr: (text: string) => void (stderr += text),
      };
      expect(await runKeysCli(['list'], { ...process.env, DATA_DIR: fresh }, output)).toBe(0);
      expect([stdout, stderr]).toEqual(['', 'no API keys: issue one with `issue`\n']);
      [stdout, stderr] = ['', ''];
      expect(await runKeysCli(['list', '--json'], { ...process.env, DATA_DIR: fresh }, output)).toBe(0);
      expect([JSON.parse(stdout), stderr]).toEqual([[], '']);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('keeps a revoked demo key revoked when the next start registers the demo credentials again', async () => {
    const demoKey = t.gateway.credentials.find((c) => c.user === 'platformb-operator')!.apiKey;
    const revoked = await keys('revoke', '--org', 'PlatformBMSP', '--user', 'platformb-operator');
    expect(revoked.code, revoked.stderr).toBe(0);
    await t.close();
    t = await startTestGateway({}, dataDir);
    expect((await me(demoKey)).status).toBe(401);
    expect((await t.as('platforma-operator').get('/v1/me')).status).toBe(200);
  });
});

describe('two stores of one key file', () => {
  it('keep each other’s keys when they issue side by side', async () => {
    const network = parseNetworkConfig(JSON.parse(await readFile('config/organisations.json', 'utf8')));
    const dir = await mkdtemp(join(tmpdir(), 'api-keys-two-'));
    try {
      const [a, b] = await Promise.all([ApiKeyStore.open(dir, network), ApiKeyStore.open(dir, network)]);
      const issued = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).create(`user-${i}`, 'PostMSP', 'operator'),
        ),
      );
      const reread = await ApiKeyStore.open(dir, network);
      expect(issued.filter((key) => reread.find(key) === undefined)).toEqual([]);
      expect(reread.list()).toHaveLength(20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
