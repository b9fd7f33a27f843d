import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { commonName, count, short, table } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { gatewayClient, withGateway, withOutputOptions, type GatewayOptions } from './options.js';

/** One line of GET /v1/consignments/{id}/history. */
interface HistoryEntry {
  readonly type: string;
  readonly at: string;
  readonly by: string;
  readonly txId: string;
  readonly detail?: Record<string, unknown>;
}

interface ConsignmentView {
  readonly consignment?: {
    readonly status?: string;
    readonly joinKeys?: { readonly originCountry?: string; readonly destinationCountry?: string };
  };
}

export function registerTrace(program: Command, context: CommandContext): void {
  const command = program
    .command('trace')
    .summary("trace a consignment's provenance (through a gateway)")
    .description(
      "Trace a consignment's provenance through a gateway: creation, each record version with its " +
        'commitment, movements, customs decisions and every personal-data read, in time order, each ' +
        'with its organisation and ledger transaction.',
    )
    .argument('<consignmentId>', 'the consignment to trace');
  withGateway(command);
  withOutputOptions(command, false).action((id: string, options: GatewayOptions) =>
    context.run(options, () => traceCommand(context, id, options)),
  );
}

async function traceCommand(context: CommandContext, id: string, options: GatewayOptions): Promise<Outcome> {
  const gateway = await gatewayClient(options, context.io);
  const path = `/v1/consignments/${encodeURIComponent(id)}`;
  const [view, history] = await Promise.all([
    gateway.getOk<ConsignmentView>(path),
    gateway.getOk<{ consignmentId: string; entries: HistoryEntry[] }>(`${path}/history`),
  ]);
  const c = view.consignment;
  const reads = history.entries.filter((e) => e.type === 'personal_data_read').length;
  const route = c?.joinKeys
    ? ` ${c.joinKeys.originCountry ?? '?'} → ${c.joinKeys.destinationCountry ?? '?'},`
    : '';
  return {
    code: ExitCode.verified,
    json: { command: 'trace', consignmentId: id, status: c?.status, entries: history.entries },
    text: [
      `Consignment ${id}:${route} status ${c?.status ?? 'unknown'}; ${count(history.entries.length, 'event')}, ${count(reads, 'personal-data read')}.`,
      ...table(history.entries.map((e) => [e.at, e.type, e.by, `tx ${short(e.txId)}`, describe(e)])),
    ],
  };
}

/** The detail that matters per kind of event, in words. */
function describe(entry: HistoryEntry): string {
  const d = entry.detail ?? {};
  if (entry.type === 'personal_data_read') {
    return `${String(d.record)} record read for ${String(d.purpose)} by ${commonName(String(d.user))}`;
  }
  if (entry.type.endsWith('_submitted')) {
    return `version ${String(d.version)}, root ${short(String(d.root))} over ${String(d.leafCount)} fields`;
  }
  if (entry.type.startsWith('movement_')) return `at ${String(d.location)} → ${String(d.statusAfter)}`;
  if (entry.type.startsWith('decision_')) return `→ ${String(d.statusAfter)}`;
  return '';
}
