/**
 * `npm run keys`: issue, list and revoke the gateway's API keys in DATA_DIR, while the gateway runs
 * or not. A running gateway takes the change within a second; a revoked key's open event streams
 * end. The organisations are those of NETWORK_CONFIG, as the gateway's.
 */
import { readFile } from 'node:fs/promises';
import { parseNetworkConfig } from '@customs-ledger/chaincode';
import { Command, CommanderError } from 'commander';
import { ApiKeyStore, keyIdOf, type ApiKeyRecord } from '../auth/api-keys.js';
import { loadConfig } from '../config.js';

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

async function openStore(env: NodeJS.ProcessEnv): Promise<ApiKeyStore> {
  const config = loadConfig(env);
  const network = parseNetworkConfig(JSON.parse(await readFile(config.networkConfigPath, 'utf8')));
  return ApiKeyStore.open(config.dataDir, network);
}

function describe(record: ApiKeyRecord): string {
  const state = record.revokedAt === undefined ? 'active' : `revoked ${record.revokedAt}`;
  return `${keyIdOf(record)}  ${record.mspId}  ${record.user}  ${record.role}  created ${record.createdAt}  ${state}`;
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
    .action(async (options: { org: string; user: string; role: string }) => {
      const store = await openStore(env);
      const key = await store.create(options.user, options.org, options.role);
      out.stderr(`issued: ${describe(store.find(key)!)}\n`);
      out.stdout(`${key}\n`);
    });

  program
    .command('list')
    .description('List the keys (never the keys themselves): id, organisation, user, role, created, state')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      const records = (await openStore(env)).list();
      out.stdout(
        options.json
          ? JSON.stringify(
              records.map((r) => ({ id: keyIdOf(r), ...r })),
              null,
              2,
            ) + '\n'
          : records.map((r) => describe(r) + '\n').join(''),
      );
    });

  program
    .command('revoke')
    .description('Revoke one key by its id (see list), or every key of a user with --org and --user')
    .argument('[keyId]', 'the id list shows')
    .option('--org <mspId>', "the user's organisation")
    .option('--user <name>', 'the user')
    .action(async (keyId: string | undefined, options: { org?: string; user?: string }) => {
      const named = options.org !== undefined || options.user !== undefined;
      const byUser = keyId === undefined && options.org !== undefined && options.user !== undefined;
      if (!byUser && (keyId === undefined || named))
        throw new Error('give either a key id, or --org and --user');
      const store = await openStore(env);
      const revoked = await store.revoke(
        keyId !== undefined ? { keyId } : { user: options.user!, mspId: options.org! },
      );
      for (const record of revoked) out.stdout(`revoked: ${describe(record)}\n`);
      if (revoked.length === 0) {
        out.stderr('no active key matched: nothing revoked\n');
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
