import { Argument, type Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { commonName, count, short, table } from '../format.js';
import { ExitCode, type Outcome } from '../io.js';
import { gatewayClient, withGateway, withOutputOptions, type GatewayOptions } from './options.js';

/** One access record of consignment:accessLog (chaincode AccessRecord). */
interface AccessRecord {
  readonly recordKind: string;
  /** For a referral answer or a party's registration: the transaction that wrote the one read. */
  readonly recordTxId?: string;
  readonly purpose: string;
  readonly mspId: string;
  readonly userId: string;
  readonly at: string;
  readonly txId: string;
  /** A disclosure's fields: what it revealed of the record. */
  readonly fields?: readonly string[];
}

/** The record read, and for a disclosure the fields it revealed (the first three by name). */
function whatWasRead(e: AccessRecord): string {
  if (e.recordTxId !== undefined) return `${e.recordKind.replace(/_/g, ' ')} of tx ${short(e.recordTxId)}`;
  if (e.fields === undefined) return `${e.recordKind} record`;
  const more = e.fields.length > 3 ? ` and ${e.fields.length - 3} more` : '';
  return `${e.recordKind} record, disclosed ${e.fields.slice(0, 3).join(' ')}${more}`;
}

const SUBJECTS = { consignment: 'consignments', party: 'parties' } as const;
type Subject = keyof typeof SUBJECTS;

export function registerReads(program: Command, context: CommandContext): void {
  const command = program
    .command('reads')
    .summary(
      "list who read a consignment's personal data, or a party's registrations and watch-list note, and why (through a gateway)",
    )
    .description(
      "List who read a consignment's or a party's personal data and why, from the access records the " +
        "chaincode commits before any personal data is handed out. A party's log lists the reads of its " +
        "registrations and of customs' watch-list note on it; reads of consignment records that name the " +
        "person are on those consignments' logs, since nothing public links a party to its consignments. " +
        "A data subject's access request is answered by the controller platform, which knows the person's " +
        "consignments from its own orders and lists each consignment's reads.",
    )
    .addArgument(new Argument('<subject>', 'what to list reads of').choices(Object.keys(SUBJECTS)))
    .argument('<id>', 'the consignment id, or the party id (64 hex)');
  withGateway(command);
  withOutputOptions(command, false).action((subject: Subject, id: string, options: GatewayOptions) =>
    context.run(options, () => readsCommand(context, subject, id, options)),
  );
}

async function readsCommand(
  context: CommandContext,
  subject: Subject,
  id: string,
  options: GatewayOptions,
): Promise<Outcome> {
  const gateway = await gatewayClient(options, context.io);
  const log = await gateway.getEveryPage<AccessRecord>(
    `/v1/${SUBJECTS[subject]}/${encodeURIComponent(id)}/access-log`,
  );
  const byPurpose = new Map<string, number>();
  for (const e of log) byPurpose.set(e.purpose, (byPurpose.get(e.purpose) ?? 0) + 1);
  const entries = log.map((e) => ({ ...e, user: commonName(e.userId) }));
  return {
    code: ExitCode.verified,
    json: { command: 'reads', subjectType: subject, subjectId: id, entries },
    text: [
      `Personal-data reads of ${subject} ${id}: ${count(entries.length, 'read')}.`,
      ...table(
        entries.map((e) => [
          e.at,
          e.mspId,
          e.user,
          whatWasRead(e),
          `for ${e.purpose}`,
          `tx ${short(e.txId)}`,
        ]),
      ),
      ...(byPurpose.size > 0
        ? [`By purpose: ${[...byPurpose].map(([purpose, n]) => `${purpose} ${n}`).join(', ')}.`]
        : []),
    ],
  };
}
