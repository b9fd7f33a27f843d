import { randomUUID } from 'node:crypto';
import type { NetworkConfig, RefundPayload, ReturnRecord, ReturnRequest } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import type { LedgerClient, Submitted } from './ledger-client.js';
import { privateTransient } from './private-payload.js';

/**
 * Returns and refunds: each step is one transaction of the returns contract, which checks the
 * role, the participant and the destination's deadlines. The request and the refund read or write
 * a trader's collection with customs, so those two organisations endorse them.
 */
export class ReturnsService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  request(principal: Principal, id: string, request: ReturnRequest): Promise<Submitted<ReturnRecord>> {
    const returnId = request.returnId ?? `RT-${randomUUID()}`;
    return this.ledger.submit(
      principal,
      'returns:request',
      [id, returnId, JSON.stringify({ ...request, returnId })],
      {
        endorsingOrganizations: [principal.mspId, this.network.customsMspId],
      },
    );
  }

  ship(
    principal: Principal,
    id: string,
    returnId: string,
    shipment: unknown,
  ): Promise<Submitted<ReturnRecord>> {
    return this.ledger.submit(principal, 'returns:ship', [id, returnId, JSON.stringify(shipment)]);
  }

  scan(principal: Principal, id: string, returnId: string, scan: unknown): Promise<Submitted<ReturnRecord>> {
    return this.ledger.submit(principal, 'returns:scan', [id, returnId, JSON.stringify(scan)]);
  }

  /** The refund is personal: transient data only, into the refunder's collection with customs. */
  refund(
    principal: Principal,
    id: string,
    returnId: string,
    refund: RefundPayload,
  ): Promise<Submitted<ReturnRecord>> {
    return this.ledger.submit(principal, 'returns:refund', [id, returnId], {
      transient: privateTransient(refund),
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  decide(
    principal: Principal,
    id: string,
    returnId: string,
    decision: unknown,
  ): Promise<Submitted<ReturnRecord>> {
    return this.ledger.submit(principal, 'returns:decide', [id, returnId, JSON.stringify(decision)]);
  }

  list(principal: Principal, id: string): Promise<{ consignmentId: string; returns: ReturnRecord[] }> {
    return this.ledger.evaluate(principal, 'returns:list', [id]);
  }
}
