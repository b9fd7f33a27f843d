/**
 * `npm run keys`: issue, list and revoke the gateway's API keys in DATA_DIR, while the gateway runs
 * or not. A running gateway takes the change within a second; a revoked or expired key's open event
 * streams end. The organisations are those of NETWORK_CONFIG, as the gateway's.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseNetworkConfig } from '@customs-ledger/chaincode';
import { Command, CommanderError } from 'commander';
import { ApiKeyStore, keyIdOf, keyState, type ApiKeyRecord } from '../auth/api-keys.js';
import { DEFAULT_KEY_LIFETIME, keyExpiry, MAX_KEY_LIFETIME_DAYS } from '../auth/key-expiry.js';
import { loadConfig } from '../config.js';
import { gatewayStorePath } from '../storage/gateway-store.js';

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** What keyIdOf gives: the first 16 hexadecimal digits of the key's hash. */
const KEY_ID = /^[0-9a-f]{16}$/;

async function openStore(env: NodeJS.ProcessEnv): Promise<ApiKeyStore> {
  const config = loadConfig(env);
  // A mistyped DATA_DIR would otherwise get a key file of its own, and the key issued there would be
  // answered 401 by the gateway, which reads another.
  const started = await stat(gatewayStorePath(config.dataDir)).then(
    (found) => found.isDirectory(),
    (error: NodeJS.ErrnoException) => {
      // Only absence means no gateway: a refusal (no permission) is said as it is.
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
      throw error;
    },
  );
  if (!started) {
    throw new Error(
      `no gateway has started on DATA_DIR ${config.dataDir}: set DATA_DIR to the gateway's (default ./data), or start the gateway on it once first`,
    );
  }
  const network = parseNetworkConfig(JSON.parse(await readFile(config.networkConfigPath, 'utf8')));
  return ApiKeyStore.open(config.dataDir, network);
}

function describe(record: ApiKeyRecord, now: number): string {
  const state = keyState(record, now);
  return [
    keyIdOf(record),
    record.mspId,
    record.user,
    record.role,
    `created ${record.createdAt}`,
    `expires ${record.expiresAt ?? 'never'}`,
    state === 'revoked' ? `revoked ${record.revokedAt}` : state,
  ].join('  ');
}

/**
 * Runs the command line (without node and the script) and returns its exit code: 0 done, 1 nothing
 * to revoke, 2 a wrong command line or a refused key. Never exits the process, for tests.
 */
export async function runKeysCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  out: CliOutput = processOutput,
): Promise<number> {
  let code = 0;
  const program = new Command('keys')
    .description("Issue, list and revoke the gateway's API keys (DATA_DIR, NETWORK_CONFIG as the gateway's)")
    .exitOverride()
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr });

  program
    .command('issue')
    .description(
      'Issue a key for a user of an organisation; the key is printed once, on stdout, and never kept',
    )
    .requiredOption('--org <mspId>', "the user's organisation (MSP id), e.g. PlatformAMSP")
    .requiredOption('--user <name>', 'the user the key authenticates as')
    .requiredOption(
      '--role <role>',
      "a role the organisation's users have (operator; customs: officer, service, governance)",
    )
    .option(
      '--expires-in <lifetime>',
      `how long the key is accepted: minutes, hours, days or weeks, e.g. 12h, 30d (default ${DEFAULT_KEY_LIFETIME}, at most ${MAX_KEY_LIFETIME_DAYS}d)`,
    )
    .option(
      '--expires-at <time>',
      'when the key stops being accepted, instead: a date (midnight UTC) or a date and time with its offset, e.g. 2027-03-01T09:00:00Z',
    )
    .action(
      async (options: {
        org: string;
        user: string;
        role: string;
        expiresIn?: string;
        expiresAt?: string;
      }) => {
        const now = Date.now();
        const expiresAt = keyExpiry(options, now);
        const store = await openStore(env);
        const key = await store.create(options.user, options.org, options.role, expiresAt);
        out.stderr(`issued: ${describe(store.find(key)!, now)}\n`);
        out.stdout(`${key}\n`);
      },
    );

  program
    .command('list')
    .description(
      'List the keys (never the keys themselves): id, organisation, user, role, created, expiry, state (active, expired, revoked)',
    )
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      const records = (await openStore(env)).list();
      const now = Date.now();
      // On stderr: stdout stays what a script reads, empty when there is no key.
      if (records.length === 0 && !options.json) out.stderr('no API keys: issue one with `issue`\n');
      out.stdout(
        options.json
          ? JSON.stringify(
              // expiresAt null for a key that never expires, as GET /v1/me says it.
              records.map((r) => ({
                id: keyIdOf(r),
                ...r,
                expiresAt: r.expiresAt ?? null,
                state: keyState(r, now),
              })),
              null,
              2,
            ) + '\n'
          : records.map((r) => describe(r, now) + '\n').join(''),
      );
    });

  program
    .command('revoke')
    .description('Revoke one key by its id (see list), or every key of a user with --org and --user')
    .argument('[keyId]', 'the id list shows')
    .option('--org <mspId>', "the user's organisation")
    .option('--user <name>', 'the user')
    .action(async (given: string | undefined, options: { org?: string; user?: string }) => {
      // As list shows it, whichever case it was pasted in.
      const keyId = given?.toLowerCase();
      const named = options.org !== undefined || options.user !== undefined;
      const byUser = keyId === undefined && options.org !== undefined && options.user !== undefined;
      if (!byUser && (keyId === undefined || named))
        throw new Error('give either a key id, or --org and --user');
      if (keyId !== undefined && !KEY_ID.test(keyId)) {
        throw new Error(`'${given}' is no key id: one is 16 hexadecimal digits, as list shows it`);
      }
      const store = await openStore(env);
      const selector = keyId !== undefined ? { keyId } : { user: options.user!, mspId: options.org! };
      const revoked = await store.revoke(selector);
      const now = Date.now();
      for (const record of revoked) out.stdout(`revoked: ${describe(record, now)}\n`);
      if (revoked.length === 0) {
        const [which, none] =
          keyId !== undefined
            ? [`key ${keyId}`, `no key has id ${keyId}`]
            : [
                `every key of ${options.user} of ${options.org}`,
                `no key is issued to ${options.user} of ${options.org}`,
              ];
        const matched = store.select(selector);
        out.stderr(
          matched.length === 0
            ? `nothing revoked: ${none} (see list)\n`
            : `nothing revoked: ${which} was revoked already (${matched.map((r) => r.revokedAt).join(', ')})\n`,
        );
        code = 1;
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    // Help asked for exits 0; help shown for a command line without a command, and any other
    // misuse, exit 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    out.stderr(`keys: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}
