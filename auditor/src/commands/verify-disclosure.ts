import '../../../gateway/src/ledger/chaincode-logging.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  KeyType,
  verifyDisclosure,
  type DisclosurePackage,
  type DisclosureVerdict,
} from '@customs-ledger/chaincode';
import { StoredBlocks, type RecordErasure } from '../checks/blocks.js';
import { compositeKey } from '../checks/provenance.js';
import type { CommandContext } from '../cli.js';
import { openLedgerStore } from '../data-dir.js';
import { count, short } from '../format.js';
import { ExitCode, UnavailableError, UsageError, type Outcome } from '../io.js';
import { gatewayClient, withGateway, withOutputOptions, type GatewayOptions } from './options.js';

interface DisclosureOptions extends GatewayOptions {
  readonly consignment?: string;
  readonly record?: string;
  readonly checkBlocks?: string;
}

/** What POST /v1/verify takes: the disclosures endpoint's answer, or just its record and disclosure. */
interface VerifyRequest {
  readonly consignmentId: string;
  readonly record: string;
  /** The transaction that wrote the disclosed version, and its block, as the package claims them. */
  readonly txId?: string;
  readonly block?: number | null;
  readonly disclosure: DisclosurePackage;
}

interface Committed {
  readonly root: string;
  readonly leafCount: number;
  readonly txId: string;
  readonly version: number;
  readonly latestVersion: number;
  readonly block: number | null;
}

/** The commitment as the block itself holds it: what the version's transaction wrote to the record. */
interface BlockCommitment {
  readonly root: string;
  readonly leafCount: number;
  readonly version: number;
  readonly block: number;
  readonly dataDir: string;
  /** The disclosed fields erased since (after the version's transaction) by an erasure on the chain. */
  readonly erasedSince: readonly ErasedField[];
}

interface ErasedField {
  readonly path: string;
  readonly erasure: RecordErasure;
}

type VerifyAnswer = (
  | { readonly verified: true }
  | { readonly verified: false; readonly code?: string; readonly path?: string; readonly reason?: string }
) & { readonly committed?: Committed };

/** A transaction id as the ledger gives it. */
const TX_ID = /^[0-9a-f]{64}$/;

/** Claims about where the ledger holds the version: only the ledger (through the gateway) can check them. */
const PLACEMENT_CODES = ['transaction', 'block'];

export function registerVerifyDisclosure(program: Command, context: CommandContext): void {
  const command = program
    .command('verify-disclosure')
    .summary('verify a selective-disclosure package against the ledger (through a gateway)')
    .description(
      'Verify a selective-disclosure package against the commitment on the ledger: through the ' +
        "gateway's POST /v1/verify, and again here with the same pure check, against the committed " +
        'root the gateway reports, or with --check-blocks against the root the named block itself ' +
        "holds, read from a data directory, so that the verdict does not rest on the gateway's word.",
    )
    .argument(
      '<file>',
      'the JSON answer of POST /v1/consignments/{id}/disclosures (or {consignmentId, record, disclosure}); - for stdin',
    )
    .option('--consignment <id>', 'the consignment, when the file holds only the package')
    .option(
      '--record <kind>',
      'the record kind (order, payment, logistics, declaration), when the file holds only the package',
    )
    .option(
      '--check-blocks <dir>',
      "check the package against the root in the block, read from a stopped gateway's data directory " +
        "or a copy of it: the version's transaction is valid in the block and wrote that root to the record",
    );
  withGateway(command);
  withOutputOptions(command, false).action((file: string, options: DisclosureOptions) =>
    context.run(options, () => verifyDisclosureCommand(context, file, options)),
  );
}

async function verifyDisclosureCommand(
  context: CommandContext,
  file: string,
  options: DisclosureOptions,
): Promise<Outcome> {
  const { request, malformed } = await readRequest(
    file === '-' ? '/dev/stdin' : resolve(context.io.cwd, file),
    options,
  );
  if (malformed) return notVerified(request, malformed, 'malformed');
  const gateway = await gatewayClient(options, context.io);
  const answer = await gateway.post<VerifyAnswer & { detail?: string }>('/v1/verify', request);
  const subject = `the ${request.record} record of consignment ${request.consignmentId}`;
  const fields = request.disclosure.fields;
  if (answer.status === 400 || answer.status === 404) {
    // The package names no record the ledger has, or is malformed: a verdict, not an outage.
    const reason = answer.body?.detail ?? `HTTP ${answer.status}`;
    return notVerified(request, `the gateway refused it: ${reason}`, 'refused');
  }
  if (answer.status !== 200) throw gateway.refusal('POST', '/v1/verify', answer);
  if (!answer.body.verified && PLACEMENT_CODES.includes(answer.body.code ?? '')) {
    return notVerified(request, answer.body.reason ?? 'the ledger holds it elsewhere', answer.body.code!);
  }
  const committed = answer.body.committed;
  const inBlock =
    options.checkBlocks === undefined || !committed
      ? undefined
      : await commitmentInBlock(resolve(context.io.cwd, options.checkBlocks), request, committed);
  if (typeof inBlock === 'string') return notVerified(request, inBlock, 'blocks');
  const against = inBlock ?? committed;
  const checker = inBlock ? `block ${inBlock.block} of ${inBlock.dataDir}` : 'the local check';
  const local: DisclosureVerdict = against
    ? verifyDisclosure(request.disclosure, against)
    : { ok: false, code: 'root', reason: 'the gateway reported no committed root' };
  if (local.ok !== answer.body.verified) {
    const reported =
      inBlock && committed && (inBlock.root !== committed.root || inBlock.leafCount !== committed.leafCount)
        ? `; the gateway reports root ${committed.root} over ${committed.leafCount} leaves for tx ${short(committed.txId, 16)}, ` +
          `block ${inBlock.block} holds ${inBlock.root} over ${inBlock.leafCount}`
        : '';
    return notVerified(
      request,
      `the gateway says ${answer.body.verified ? 'verified' : 'not verified'} but ${checker} says ` +
        (local.ok ? 'verified' : `not verified (${local.reason})`) +
        reported,
      'disagreement',
    );
  }
  if (!local.ok) {
    return notVerified(request, `${local.path ? `field ${local.path}: ` : ''}${local.reason}`, local.code);
  }
  const c = committed!;
  return {
    code: ExitCode.verified,
    json: {
      command: 'verify-disclosure',
      verified: true,
      ...request,
      committed,
      checkedAgainst: inBlock ? 'block' : 'gateway',
      ...(inBlock ? { block: inBlock } : {}),
    },
    text: [
      `VERIFIED: ${count(fields.length, 'disclosed field')} of ${subject} ${fields.length === 1 ? 'matches' : 'match'} the commitment on the ledger.`,
      `  root ${c.root} over ${count(c.leafCount, 'field')}, version ${inBlock?.version ?? c.version} committed in tx ${short(c.txId, 16)}, block ${inBlock?.block ?? c.block ?? '?'}`,
      inBlock
        ? `  read from block ${inBlock.block} of ${inBlock.dataDir}: the transaction is valid there and wrote this root to the record`
        : '  against the root the gateway reports (--check-blocks <data dir> reads it from the block itself)',
      ...(c.version < c.latestVersion
        ? [`  (the record was corrected since: the latest version is ${c.latestVersion})`]
        : []),
      ...fields.map((f) => {
        const erased = inBlock?.erasedSince.find((e) => e.path === f.path)?.erasure;
        return (
          `  ${f.path} = ${JSON.stringify(f.value)}` +
          (erased
            ? ` (erased since: tx ${short(erased.txId, 16)} at ${erased.at}, ${erased.reason}; the ledger no longer holds it)`
            : '')
        );
      }),
    ],
  };
}

/**
 * The root and leaf count that the version's transaction wrote to the record, as its block in
 * `dataDir` holds them (the block the package names, else the gateway's, else the one the copy's
 * transaction index gives), or why the block does not bear the gateway out. A block newer than
 * the copy cannot be checked: that is no verdict (exit 3), a newer copy can tell.
 */
async function commitmentInBlock(
  dataDir: string,
  request: VerifyRequest,
  committed: Committed,
): Promise<BlockCommitment | string> {
  const store = await openLedgerStore(dataDir);
  try {
    const blocks = await StoredBlocks.of(store);
    const block = request.block ?? committed.block ?? (await blocks.blockOf(committed.txId));
    if (block === undefined || block === null) {
      throw new UnavailableError(
        `neither the gateway nor the transaction index of ${dataDir} places transaction ${committed.txId} in a block: check a newer copy of the data directory`,
      );
    }
    const key = compositeKey(KeyType.record, [request.consignmentId, request.record]);
    const written = await blocks.written(block, committed.txId, key);
    if (written.found === 'newer') {
      throw new UnavailableError(
        `block ${block} is not in ${dataDir} yet (it holds blocks 0–${written.height - 1}): check a newer copy of the data directory`,
      );
    }
    if (written.found === 'mismatch')
      return `the blocks of ${dataDir} do not bear the gateway out: ${written.reason}`;
    let record: Partial<BlockCommitment> = {};
    try {
      record = JSON.parse(written.value.toString('utf8')) as Partial<BlockCommitment>;
    } catch {
      // Not JSON: no commitment, as below.
    }
    if (typeof record.root !== 'string' || !Number.isSafeInteger(record.leafCount)) {
      return `block ${block} of ${dataDir}: transaction ${committed.txId} wrote no commitment to the ${request.record} record`;
    }
    const erasures = await blocks.erasuresOf(request.consignmentId, request.record);
    const erasedSince = request.disclosure.fields.flatMap(({ path }) => {
      const erasure = erasures.find(
        (e) => Array.isArray(e.paths) && e.paths.some((p) => path === p || path.startsWith(`${p}/`)),
      );
      return erasure ? [{ path, erasure }] : [];
    });
    return {
      root: record.root,
      leafCount: record.leafCount!,
      version: Number(record.version),
      block,
      dataDir,
      erasedSince,
    };
  } finally {
    await store.close();
  }
}

function notVerified(request: VerifyRequest, reason: string, code: string): Outcome {
  return {
    code: ExitCode.mismatch,
    json: {
      command: 'verify-disclosure',
      verified: false,
      code,
      reason,
      consignmentId: request.consignmentId,
      record: request.record,
    },
    text: [
      `NOT VERIFIED: the disclosure of the ${request.record} record of consignment ${request.consignmentId}: ${reason}.`,
    ],
  };
}

/**
 * Reads the file and finds the request in it, refusing (usage error) what is no disclosure at all;
 * `malformed` says why a disclosure's placement claim cannot be checked.
 */
async function readRequest(
  path: string,
  options: DisclosureOptions,
): Promise<{ request: VerifyRequest; malformed?: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read a JSON disclosure from ${path}: ${(error as Error).message}`);
  }
  const document = (parsed ?? {}) as Partial<VerifyRequest> & Partial<DisclosurePackage>;
  const disclosure = (document.disclosure ?? (Array.isArray(document.fields) ? document : undefined)) as
    DisclosurePackage | undefined;
  const consignmentId = options.consignment ?? document.consignmentId;
  const record = options.record ?? document.record;
  if (!disclosure || !Array.isArray(disclosure.fields)) {
    throw new UsageError(
      `${path} holds no disclosure package (expected "disclosure": {root, leafCount, fields})`,
    );
  }
  if (typeof consignmentId !== 'string' || typeof record !== 'string') {
    throw new UsageError(
      `${path} does not say which consignment and record it discloses: pass --consignment and --record`,
    );
  }
  const placement = placementOf(document.txId, document.block);
  // The access record is the maker's, not the package's: only the version's placement is checked.
  return {
    request: {
      consignmentId,
      record,
      ...(typeof placement === 'string' ? {} : placement),
      disclosure: { root: disclosure.root, leafCount: disclosure.leafCount, fields: disclosure.fields },
    },
    malformed: typeof placement === 'string' ? placement : undefined,
  };
}

/**
 * The package's claim of where the ledger holds the version (its transaction and block), or why
 * it cannot be checked. A claim dropped for its form would let a package name any transaction or
 * block and still verify, so a malformed one is a verdict on the package, like a changed value
 * (the gateway answers such a package 400). A null block is no claim: the maker did not know it.
 */
function placementOf(txId: unknown, block: unknown): Pick<VerifyRequest, 'txId' | 'block'> | string {
  if (txId !== undefined && (typeof txId !== 'string' || !TX_ID.test(txId))) {
    return `its txId ${JSON.stringify(txId)} is not a transaction id (64 lowercase hex characters)`;
  }
  if (
    block !== undefined &&
    block !== null &&
    !(typeof block === 'number' && Number.isSafeInteger(block) && block >= 0)
  ) {
    return `its block ${JSON.stringify(block)} is not a block number`;
  }
  return {
    ...(txId === undefined ? {} : { txId }),
    ...(typeof block === 'number' ? { block } : {}),
  };
}
