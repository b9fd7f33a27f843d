import type {
  NetworkConfig,
  RefundPayload,
  ReturnPolicySet,
  ReturnRecord,
  ReturnRequest,
  StoredReturnPolicySet,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { publicView } from '../policy/public-view.js';
import type { LedgerClient, Submitted } from './ledger-client.js';
import { privateTransient } from './private-payload.js';
import { newRecordId } from './keyed-write.js';

/**
 * Returns and refunds: each step is one transaction of the returns contract, which checks the
 * role, the participant and the deadlines of the return's policy. A return's key names customs in
 * its endorsement policy, so every step is endorsed by the acting organisation and customs, and
 * customs' decision (which reads its own assessment) by customs alone.
 */
export class ReturnsService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  request(principal: Principal, id: string, request: ReturnRequest): Promise<Submitted<ReturnRecord>> {
    const returnId = request.returnId ?? newRecordId('RT', principal.keyedWrite);
    return this.step(principal, 'returns:request', [id, returnId, JSON.stringify({ ...request, returnId })], {
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  ship(
    principal: Principal,
    id: string,
    returnId: string,
    shipment: unknown,
  ): Promise<Submitted<ReturnRecord>> {
    return this.step(principal, 'returns:ship', [id, returnId, JSON.stringify(shipment)], {
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  scan(principal: Principal, id: string, returnId: string, scan: unknown): Promise<Submitted<ReturnRecord>> {
    return this.step(principal, 'returns:scan', [id, returnId, JSON.stringify(scan)], {
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  /** The refund is personal: transient data only, into the refunder's collection with customs. */
  refund(
    principal: Principal,
    id: string,
    returnId: string,
    refund: RefundPayload,
  ): Promise<Submitted<ReturnRecord>> {
    return this.step(principal, 'returns:refund', [id, returnId], {
      transient: privateTransient(refund),
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  /** Reads customs' assessment and the order: only customs' peer holds both, so it alone endorses. */
  decide(
    principal: Principal,
    id: string,
    returnId: string,
    decision: unknown,
  ): Promise<Submitted<ReturnRecord>> {
    return this.step(principal, 'returns:decide', [id, returnId, JSON.stringify(decision)], {
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  async list(principal: Principal, id: string): Promise<{ consignmentId: string; returns: ReturnRecord[] }> {
    return publicView(principal, 'returns', await this.ledger.evaluate(principal, 'returns:list', [id]));
  }

  async get(principal: Principal, id: string, returnId: string): Promise<ReturnRecord> {
    return publicView(
      principal,
      'return',
      await this.ledger.evaluate(principal, 'returns:get', [id, returnId]),
    );
  }

  /** Public state only: any endorsers will do, as long as customs' own identity submits it. */
  putPolicy(principal: Principal, policySet: ReturnPolicySet): Promise<Submitted<StoredReturnPolicySet>> {
    return this.ledger.submit(principal, 'returns:putPolicy', [JSON.stringify(policySet)]);
  }

  getPolicy(principal: Principal, version: string | undefined): Promise<unknown> {
    return this.ledger.evaluate(principal, 'returns:getPolicy', [version ?? '']);
  }

  /**
   * A step answers with the return as it now stands, which may hold what the actor may not see
   * (a payment provider refunding after customs decided gets no decision reasons).
   */
  private async step(
    principal: Principal,
    fn: string,
    args: readonly string[],
    options: Parameters<LedgerClient['submit']>[3],
  ): Promise<Submitted<ReturnRecord>> {
    const submitted = await this.ledger.submit<ReturnRecord>(principal, fn, args, options);
    return { ...submitted, value: publicView(principal, 'return', submitted.value) };
  }
}
