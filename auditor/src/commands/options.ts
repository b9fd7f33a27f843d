import type { Command } from 'commander';
import type { OutputOptions } from '../cli.js';
import { resolveDataDir } from '../data-dir.js';
import { DEFAULT_GATEWAY, GatewayClient, resolveApiKey } from '../gateway-client.js';
import type { Io } from '../io.js';

/*
 * The options commands share, declared once so every command spells and documents them alike.
 * Environment fallbacks are applied here (not with commander's .env()) so they come from the Io a
 * test passes in.
 */

export interface DataDirOptions extends OutputOptions {
  readonly dataDir?: string;
}

export interface GatewayOptions extends DataDirOptions {
  readonly gateway?: string;
  readonly apiKey?: string;
}

export function withOutputOptions(command: Command, progress: boolean): Command {
  command.option('--json', 'print the report as JSON on stdout (for scripts)');
  if (progress) command.option('--progress', 'show the progress bar even when stderr is not a terminal');
  return command;
}

export function withDataDir(command: Command, why: string): Command {
  return command.option('--data-dir <dir>', `${why} (default: $DATA_DIR, else ./data)`);
}

export function withGateway(command: Command): Command {
  withDataDir(command, 'where dev-credentials.json is, for the default API key');
  return command
    .option(
      '--gateway <url>',
      `the gateway's base URL (default: $AUDIT_GATEWAY_URL, else ${DEFAULT_GATEWAY})`,
    )
    .option(
      '--api-key <key>',
      "the auditor's API key (default: $AUDIT_API_KEY, else the 'auditor' demo key)",
    );
}

export function dataDirOf(options: DataDirOptions, io: Io): string {
  return resolveDataDir(options.dataDir, io.env, io.cwd);
}

export async function gatewayClient(options: GatewayOptions, io: Io): Promise<GatewayClient> {
  const apiKey = await resolveApiKey(options.apiKey, io.env, dataDirOf(options, io));
  return new GatewayClient(options.gateway ?? io.env.AUDIT_GATEWAY_URL ?? DEFAULT_GATEWAY, apiKey);
}
