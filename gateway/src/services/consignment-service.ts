import type {
  BatchFunction,
  BatchOutcome,
  CreateConsignment,
  NetworkConfig,
  RecordKind,
} from '@customs-ledger/chaincode';
import {
  PAGE_LIMIT,
  verifyDisclosure,
  type DisclosurePackage,
  type DisclosureVerdict as MerkleVerdict,
  type AccessRecord,
  type HistoryPageInput,
  type Page,
  type PageRequestInput,
  type ProvenanceEntry,
  type Purpose,
  type SubjectType,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { HttpProblem } from '../http/problem.js';
import { publicView } from '../policy/public-view.js';
import type { LedgerClient } from './ledger-client.js';
import { newSaltSeed, privateTransient } from './private-payload.js';
import { newRecordId } from './keyed-write.js';
import { recordedRead } from './recorded-read.js';

const SUBMIT_FUNCTION: Record<RecordKind, string> = {
  order: 'consignment:submitOrder',
  payment: 'consignment:submitPayment',
  logistics: 'consignment:submitLogistics',
  declaration: 'consignment:submitDeclaration',
};

export interface CreateConsignmentInput extends CreateConsignment {
  readonly consignmentId?: string;
}

export interface WriteResult<T> {
  readonly value: T;
  readonly txId: string;
}

/** One operation of consignment:batch: a batchable transaction's arguments and, for a record, its payload. */
export interface BatchOperationInput {
  readonly fn: BatchFunction;
  readonly args: readonly string[];
  readonly payload?: unknown;
}

export class ConsignmentService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  async create(principal: Principal, input: CreateConsignmentInput): Promise<WriteResult<unknown>> {
    const { consignmentId = newRecordId('CN', principal.keyedWrite), ...keysAndNames } = input;
    const { value, txId } = await this.ledger.submit(principal, 'consignment:create', [
      consignmentId,
      JSON.stringify(keysAndNames),
    ]);
    return { value, txId };
  }

  /** Personal payloads travel only as transient data and land in the (trader, customs) collection. */
  async submitRecord(
    principal: Principal,
    id: string,
    kind: RecordKind,
    payload: unknown,
  ): Promise<WriteResult<unknown>> {
    const { value, txId } = await this.ledger.submit(principal, SUBMIT_FUNCTION[kind], [id], {
      transient: privateTransient(payload),
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
    return { value, txId };
  }

  /**
   * Operations in one transaction: each one's outcome. Payloads travel as transient data like
   * submitRecord's; a principal's records all go to the same (own, customs) collection, so the
   * same two organisations endorse.
   */
  async applyBatch(
    principal: Principal,
    operations: readonly BatchOperationInput[],
  ): Promise<WriteResult<readonly BatchOutcome[]>> {
    const transient: Record<string, Uint8Array> = {};
    operations.forEach((op, i) => {
      if (op.payload === undefined) return;
      transient[`payload.${i}`] = Buffer.from(JSON.stringify(op.payload), 'utf8');
      transient[`saltSeed.${i}`] = newSaltSeed();
    });
    const carriesRecords = Object.keys(transient).length > 0;
    const { value, txId } = await this.ledger.submit<{ outcomes: BatchOutcome[] }>(
      principal,
      'consignment:batch',
      [JSON.stringify(operations.map(({ fn, args }) => ({ fn, args })))],
      carriesRecords
        ? { transient, endorsingOrganizations: [principal.mspId, this.network.customsMspId] }
        : {},
    );
    return { value: value.outcomes, txId };
  }

  async recordMovement(principal: Principal, id: string, movement: unknown): Promise<WriteResult<unknown>> {
    return this.ledger.submit(principal, 'consignment:recordMovement', [id, JSON.stringify(movement)]);
  }

  async recordDecision(principal: Principal, id: string, decision: unknown): Promise<WriteResult<unknown>> {
    return this.ledger.submit(principal, 'consignment:recordDecision', [id, JSON.stringify(decision)]);
  }

  async get(principal: Principal, id: string): Promise<unknown> {
    return publicView(
      principal,
      'consignment',
      await this.ledger.evaluate(principal, 'consignment:get', [id]),
    );
  }

  /**
   * A selective-disclosure package for chosen fields of a record: values, salts and Merkle proofs
   * that anyone can verify against the ledger's commitment without seeing the other fields. Building
   * it is a purpose-bound access: the disclosure, with each field it reveals, is committed on the
   * ledger first (consignment:recordDisclosure, which refuses what the package would be refused
   * for, a field the purpose may not see included: 403), and the chaincode builds the package only
   * for the user that record names. After an
   * erasure the kept fields can still be disclosed (their proofs run through the erased fields'
   * hashes); an erased field cannot (400, naming it).
   */
  async disclose(
    principal: Principal,
    id: string,
    kind: RecordKind,
    paths: readonly string[],
    purpose: Purpose,
  ): Promise<{
    consignmentId: string;
    record: RecordKind;
    version: number;
    txId: string;
    block: number | null;
    disclosure: DisclosurePackage;
    accessTxId: string;
  }> {
    const { value: record, accessTxId } = await recordedRead<{
      txId: string;
      version: number;
      disclosure: DisclosurePackage;
    }>(
      this.ledger,
      principal,
      purpose,
      { fn: 'consignment:recordDisclosure', args: [id, kind, purpose, JSON.stringify(paths)] },
      { fn: 'consignment:getDisclosure', args: [id, kind] },
    );
    const block = (await this.ledger.blocksOf(principal, [record.txId])).get(record.txId);
    return {
      consignmentId: id,
      record: kind,
      version: record.version,
      txId: record.txId,
      block: block === undefined ? null : Number(block),
      disclosure: record.disclosure,
      accessTxId,
    };
  }

  /**
   * A purpose-bound read of personal data: the access record is committed on the ledger first
   * (consignment:recordAccess, which refuses what the read would refuse: not a member, erased: 410,
   * so a refused read records nothing), and the chaincode hands the record only to the user that
   * record names, less the fields the purpose does not need (the chaincode minimises it, after
   * checking the whole record against its committed root). If the record cannot be written,
   * nothing is returned.
   */
  async details(
    principal: Principal,
    id: string,
    kind: RecordKind,
    purpose: Purpose,
  ): Promise<{ record: unknown; payload: unknown; accessTxId: string }> {
    const { value: record, accessTxId } = await recordedRead<{ payload: unknown; saltSeed?: unknown }>(
      this.ledger,
      principal,
      purpose,
      { fn: 'consignment:recordAccess', args: [id, kind, purpose] },
      { fn: 'consignment:getPrivateRecord', args: [id, kind] },
    );
    const { payload, saltSeed: _seed, ...summary } = record;
    return { record: summary, payload, accessTxId };
  }

  /**
   * Checks a disclosure package against the record version the ledger holds: the one its
   * transaction wrote (a package made before a correction still verifies, and says it was
   * superseded), else the latest. A transaction that wrote no version of the record, or a block
   * that does not hold it, fails like a changed value does, with the reason.
   */
  async verifyDisclosure(
    principal: Principal,
    request: DisclosureClaim,
  ): Promise<DisclosureVerdict & { readonly committed?: RecordCommitment }> {
    const { consignmentId: id, record: kind } = request;
    const versions = await this.recordVersions(principal, id, kind);
    const latest = versions.at(-1);
    if (!latest) throw new HttpProblem(404, `consignment ${id} has no ${kind} record`);
    const chosen = request.txId === undefined ? latest : versions.find((v) => v.txId === request.txId);
    if (!chosen) {
      return {
        ok: false,
        code: 'transaction',
        reason: `transaction ${request.txId} wrote no version of the ${kind} record of consignment ${id}`,
      };
    }
    const committed: RecordCommitment = {
      root: String(chosen.detail.root),
      leafCount: Number(chosen.detail.leafCount),
      version: Number(chosen.detail.version),
      txId: chosen.txId,
      block: chosen.block,
      latestVersion: Number(latest.detail.version),
    };
    if (request.block !== undefined && request.block !== committed.block) {
      return {
        ok: false,
        code: 'block',
        reason: `the package places transaction ${committed.txId} in block ${request.block}; the ledger has it in block ${committed.block}`,
        committed,
      };
    }
    return { ...verifyDisclosure(request.disclosure, committed), committed };
  }

  /**
   * A page of the consignment's provenance as the ledger holds it (who, with which registered
   * role, which transaction, the hash of what it wrote), oldest first by transaction time, each
   * entry with the block that holds its transaction. Pages are the chaincode's: a block number,
   * known only here, could order a page but not a walk of pages.
   */
  async history(principal: Principal, id: string, request: HistoryPageInput): Promise<HistoryPageView> {
    const page = await this.ledger.evaluate<{
      consignmentId: string;
      entries: ProvenanceEntry[];
      hasMore: boolean;
      next: string | null;
    }>(principal, 'provenance:history', [id, JSON.stringify(request)]);
    const blocks = await this.ledger.blocksOf(
      principal,
      page.entries.map((e) => e.txId),
    );
    const entries = page.entries.map((e) => {
      const block = blocks.get(e.txId);
      return { ...e, block: block === undefined ? null : Number(block) };
    });
    return publicView(principal, 'history', { ...page, entries });
  }

  /** A page of a subject's access log (consignment:accessLog): who read its personal data, and why. */
  async accessLog(
    principal: Principal,
    subjectType: SubjectType,
    id: string,
    request: PageRequestInput,
  ): Promise<AccessLogPage> {
    return this.ledger.evaluate<AccessLogPage>(principal, 'consignment:accessLog', [
      subjectType,
      id,
      JSON.stringify(request),
    ]);
  }

  /** Every version of one record of the consignment, oldest first (one page, but for ledgers older than the cap). */
  private async recordVersions(principal: Principal, id: string, kind: RecordKind): Promise<HistoryEntry[]> {
    const versions: HistoryEntry[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.history(principal, id, {
        record: kind,
        limit: PAGE_LIMIT.max,
        ...(after === undefined ? {} : { after }),
      });
      versions.push(...page.entries);
      if (!page.hasMore || page.next === null) return versions;
      after = page.next;
    }
  }
}

/** A provenance entry with the block that holds its transaction (null if the peer asked has none yet). */
export type HistoryEntry = ProvenanceEntry & { readonly block: number | null };

export interface HistoryPageView {
  readonly consignmentId: string;
  readonly entries: readonly HistoryEntry[];
  readonly hasMore: boolean;
  readonly next: string | null;
}

/** What a disclosure package claims: a record version's fields, and where the ledger holds it. */
export interface DisclosureClaim {
  readonly consignmentId: string;
  readonly record: RecordKind;
  readonly txId?: string;
  readonly block?: number;
  readonly disclosure: DisclosurePackage;
}

/** A record version's commitment on the ledger, and which version is the latest. */
export interface RecordCommitment {
  readonly root: string;
  readonly leafCount: number;
  readonly version: number;
  readonly txId: string;
  readonly block: number | null;
  readonly latestVersion: number;
}

/** Why a package does not verify: the Merkle check's reasons, or a transaction or block it misnames. */
export type DisclosureVerdict =
  MerkleVerdict | { readonly ok: false; readonly code: 'transaction' | 'block'; readonly reason: string };

/** What consignment:accessLog returns: a page of the subject's personal-data reads, oldest first. */
export interface AccessLogPage extends Page<AccessRecord> {
  readonly subjectType: SubjectType;
  readonly subjectId: string;
}
