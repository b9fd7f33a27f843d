import type { Command } from 'commander';
import { checkProvenance, type ClaimedEntry, type ProvenanceReport } from '../checks/provenance.js';
import type { CommandContext } from '../cli.js';
import { openLedgerStore } from '../data-dir.js';
import { commonName, count, range, short, table } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { gatewayClient, withGateway, withOutputOptions, type GatewayOptions } from './options.js';

/** One line of GET /v1/consignments/{id}/history. */
interface HistoryEntry extends ClaimedEntry {
  readonly at: string;
  readonly by: { readonly mspId: string; readonly role: string; readonly user?: string };
  readonly detail?: Record<string, unknown>;
}

interface TraceOptions extends GatewayOptions {
  readonly checkBlocks?: string;
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
    .argument('<consignmentId>', 'the consignment to trace')
    .option(
      '--check-blocks <dir>',
      "also check each entry against the blocks in a stopped gateway's data directory, or a copy of " +
        'it: the named block holds the transaction, it is valid, and it wrote the value the hash commits to ' +
        '(an entry in a block newer than the copy is listed apart, for a newer copy to check)',
    );
  withGateway(command);
  withOutputOptions(command, false).action((id: string, options: TraceOptions) =>
    context.run(options, () => traceCommand(context, id, options)),
  );
}

async function traceCommand(context: CommandContext, id: string, options: TraceOptions): Promise<Outcome> {
  const gateway = await gatewayClient(options, context.io);
  const path = `/v1/consignments/${encodeURIComponent(id)}`;
  const notFound = `no such consignment: ${id}`;
  const [view, entries] = await Promise.all([
    gateway.getOk<ConsignmentView>(path, notFound),
    gateway.getEveryPage<HistoryEntry>(`${path}/history`, notFound),
  ]);
  const c = view.consignment;
  const reads = entries.filter((e) => e.type === 'personal_data_read').length;
  const route = c?.joinKeys
    ? ` ${c.joinKeys.originCountry ?? '?'} → ${c.joinKeys.destinationCountry ?? '?'},`
    : '';
  const check =
    options.checkBlocks === undefined ? undefined : await againstBlocks(options.checkBlocks, entries);
  return {
    code: check === undefined ? ExitCode.verified : blocksCode(check),
    json: { command: 'trace', consignmentId: id, status: c?.status, entries, blocks: check },
    text: [
      `Consignment ${id}:${route} status ${c?.status ?? 'unknown'}; ${count(entries.length, 'event')}, ${count(reads, 'personal-data read')}.`,
      ...table(
        entries.map((e) => [
          `block ${e.block ?? '?'}`,
          e.at,
          e.type,
          `${e.by.mspId} (${e.by.role})`,
          `tx ${short(e.txId)}`,
          describe(e),
        ]),
      ),
      ...(check === undefined ? [] : blocksVerdict(check, options.checkBlocks!)),
    ],
  };
}

async function againstBlocks(dataDir: string, entries: readonly HistoryEntry[]): Promise<ProvenanceReport> {
  const store = await openLedgerStore(dataDir);
  try {
    return await checkProvenance(store, entries);
  } finally {
    await store.close();
  }
}

/**
 * A mismatch fails; entries newer than the copy do not, but a copy that holds none of the entries
 * checked nothing, which is no verdict either way.
 */
function blocksCode(report: ProvenanceReport): ExitCode {
  if (!report.ok) return ExitCode.mismatch;
  return report.checked === 0 && report.newer.length > 0 ? ExitCode.unavailable : ExitCode.verified;
}

function blocksVerdict(report: ProvenanceReport, dataDir: string): string[] {
  const { newer } = report;
  const later =
    newer.length === 0
      ? []
      : [
          `  NOT YET IN THE COPY: ${count(newer.length, 'entry', 'entries')} (${newer.map((e) => e.index).join(', ')}) ` +
            `in blocks ${range(Math.min(...newer.map((e) => e.block)), Math.max(...newer.map((e) => e.block)))}, committed after ${dataDir} was copied ` +
            `(it holds blocks ${range(0, report.height - 1)}): a newer copy checks them.`,
        ];
  if (!report.ok) {
    return [
      `MISMATCH: ${count(report.problems.length, 'entry', 'entries')} of ${report.checked} disagree with the blocks of ${dataDir}:`,
      ...report.problems.map((p) => `  entry ${p.index} (${p.type}, tx ${short(p.txId)}): ${p.reason}`),
      ...later,
    ];
  }
  if (report.checked === 0 && newer.length > 0) {
    return [`NOT CHECKED: no entry is in the blocks of ${dataDir}.`, ...later];
  }
  return [
    `VERIFIED: each of the ${count(report.checked, 'entry', 'entries')} ${newer.length > 0 ? `in the blocks of ${dataDir} ` : ''}is a valid transaction ${newer.length > 0 ? 'there' : `in the blocks of ${dataDir}`}, writing the value its hash commits to.`,
    ...later,
  ];
}

/** The detail that matters per kind of event, in words. */
function describe(entry: HistoryEntry): string {
  const d = entry.detail ?? {};
  if (entry.type === 'personal_data_read') {
    const by = commonName(entry.by.user ?? '?');
    if (Array.isArray(d.fields)) {
      return `${String(d.record)} record: ${d.fields.length} field(s) disclosed for ${String(d.purpose)} by ${by}`;
    }
    return `${String(d.record)} record read for ${String(d.purpose)} by ${by}`;
  }
  if (entry.type === 'personal_data_erased') {
    const fields = Array.isArray(d.fields) ? d.fields.length : 0;
    return `${String(d.record)} record: ${fields} field(s) erased (${String(d.reason)}) by ${commonName(entry.by.user ?? '?')}`;
  }
  if (entry.type.endsWith('_submitted')) {
    return `version ${String(d.version)}, root ${short(String(d.root))} over ${String(d.leafCount)} fields`;
  }
  if (entry.type.startsWith('movement_')) return `at ${String(d.location)} → ${String(d.statusAfter)}`;
  if (entry.type.startsWith('decision_')) {
    return `→ ${String(d.statusAfter)}${d.automatic === true ? ' (automatic)' : ''}`;
  }
  if (entry.type.startsWith('return_')) return `return ${String(d.returnId)} → ${String(d.status)}`;
  if (entry.type === 'assessed') {
    return `assessment ${String(d.number)}: match ${String(d.match)}, ${d.releasable === true ? 'releasable' : 'not releasable'}`;
  }
  if (entry.type === 'assessment_failed') return `customs could not assess it (${String(d.code)})`;
  return '';
}
