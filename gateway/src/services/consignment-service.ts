import { randomBytes, randomUUID } from 'node:crypto';
import type {
  BatchFunction,
  BatchOutcome,
  JoinKeys,
  NetworkConfig,
  RecordKind,
  SubmissionRecord,
} from '@customs-ledger/chaincode';
import {
  disclose,
  purposeAllowed,
  purposesForRole,
  type DisclosurePackage,
  type ProvenanceEntry,
  type Purpose,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { HttpProblem } from '../http/problem.js';
import { filterPersonalData } from '../policy/field-filter.js';
import { publicView } from '../policy/public-view.js';
import type { LedgerClient } from './ledger-client.js';

const SUBMIT_FUNCTION: Record<RecordKind, string> = {
  order: 'consignment:submitOrder',
  payment: 'consignment:submitPayment',
  logistics: 'consignment:submitLogistics',
  declaration: 'consignment:submitDeclaration',
};

export interface CreateConsignmentInput extends JoinKeys {
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

/** Salts are derived from a seed the client side draws; the chaincode must stay deterministic. */
function newSaltSeed(): Uint8Array {
  return Buffer.from(randomBytes(32).toString('hex'), 'utf8');
}

export class ConsignmentService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  async create(principal: Principal, input: CreateConsignmentInput): Promise<WriteResult<unknown>> {
    const { consignmentId = `CN-${randomUUID()}`, ...joinKeys } = input;
    const { value, txId } = await this.ledger.submit(principal, 'consignment:create', [
      consignmentId,
      JSON.stringify(joinKeys),
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
      transient: { payload: Buffer.from(JSON.stringify(payload), 'utf8'), saltSeed: newSaltSeed() },
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
    return publicView(principal, await this.ledger.evaluate(principal, 'consignment:get', [id]));
  }

  /**
   * A selective-disclosure package for chosen fields of a record: values, salts and Merkle proofs
   * that anyone can verify against the ledger's commitment without seeing the other fields. Reading
   * the record to build it is itself a purpose-bound, recorded access.
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
    txId: string;
    disclosure: DisclosurePackage;
    accessTxId: string;
  }> {
    const access = await this.recordAccess(principal, id, kind, purpose);
    const record = await this.ledger.evaluate<{ payload: unknown; saltSeed: string; txId: string }>(
      principal,
      'consignment:getPrivateRecord',
      [id, kind],
    );
    try {
      return {
        consignmentId: id,
        record: kind,
        txId: record.txId,
        disclosure: disclose(record.payload, record.saltSeed, paths),
        accessTxId: access,
      };
    } catch (error) {
      throw new HttpProblem(400, (error as Error).message);
    }
  }

  private async recordAccess(
    principal: Principal,
    id: string,
    kind: RecordKind,
    purpose: Purpose,
  ): Promise<string> {
    if (!purposeAllowed(purpose, principal.orgRole)) {
      throw new HttpProblem(
        403,
        `purpose '${purpose}' is not allowed for role ${principal.orgRole}; allowed: ${purposesForRole(principal.orgRole).join(', ') || 'none'}`,
      );
    }
    const { txId } = await this.ledger.submit(principal, 'consignment:recordAccess', [
      'consignment',
      id,
      kind,
      purpose,
    ]);
    return txId;
  }

  /**
   * A purpose-bound read of personal data: the access record is committed on the ledger before
   * the data is read, so no read goes unrecorded; if it cannot be written, nothing is returned.
   */
  async details(
    principal: Principal,
    id: string,
    kind: RecordKind,
    purpose: Purpose,
  ): Promise<{ record: unknown; payload: unknown; accessTxId: string }> {
    const accessTxId = await this.recordAccess(principal, id, kind, purpose);
    const record = await this.ledger.evaluate<{ payload: unknown; saltSeed?: unknown }>(
      principal,
      'consignment:getPrivateRecord',
      [id, kind],
    );
    const { payload, saltSeed: _seed, ...summary } = record;
    return { record: summary, payload: filterPersonalData(kind, purpose, payload), accessTxId };
  }

  /** The root and leaf count committed on the ledger for the latest version of a record. */
  async commitment(
    principal: Principal,
    id: string,
    kind: RecordKind,
  ): Promise<{ root: string; leafCount: number; txId: string }> {
    const view = (await this.ledger.evaluate(principal, 'consignment:get', [id])) as ConsignmentChaincodeView;
    const record = view.records.find((r) => r.kind === kind);
    if (!record) throw new HttpProblem(404, `consignment ${id} has no ${kind} record`);
    return { root: record.root, leafCount: record.leafCount, txId: record.txId };
  }

  /**
   * Provenance: every version of every record of the consignment as the ledger holds it (who,
   * with which registered role, which transaction, the hash of what it wrote), in commit order:
   * by block, then by transaction time within a block.
   */
  async history(
    principal: Principal,
    id: string,
  ): Promise<{ consignmentId: string; entries: HistoryEntry[] }> {
    const trail = await this.ledger.evaluate<{ consignmentId: string; entries: ProvenanceEntry[] }>(
      principal,
      'provenance:history',
      [id],
    );
    const blocks = await this.ledger.blocksOf(
      principal,
      trail.entries.map((e) => e.txId),
    );
    const entries = trail.entries.map((e) => {
      const block = blocks.get(e.txId);
      return { ...e, block: block === undefined ? null : Number(block) };
    });
    entries.sort(
      (a, b) => (a.block ?? Infinity) - (b.block ?? Infinity) || (a.at < b.at ? -1 : a.at > b.at ? 1 : 0),
    );
    return { consignmentId: trail.consignmentId, entries };
  }
}

/** A provenance entry with the block that holds its transaction (null if the peer asked has none yet). */
export type HistoryEntry = ProvenanceEntry & { readonly block: number | null };

/** The part of consignment:get that commitment() reads. */
interface ConsignmentChaincodeView {
  readonly records: readonly SubmissionRecord[];
}
