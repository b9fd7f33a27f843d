import type {
  ConsignmentErasureRequest,
  ErasureRequest,
  ErasureSubject,
  NetworkConfig,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import type { LedgerClient, Submitted } from './ledger-client.js';

export interface ErasureOutcome {
  readonly subjectType: 'party' | 'consignment';
  readonly subjectId: string;
  /**
   * The records whose fields this erasure removed, and which fields (JSON pointers); a referral
   * answer is named by the transaction that wrote it.
   */
  readonly erased: readonly {
    readonly recordKind: string;
    readonly recordTxId?: string;
    readonly paths: readonly string[];
  }[];
  readonly txId: string;
}

/**
 * Erasure of a party's personal data by the organisation that holds it as controller: one
 * transaction of the erasure contract per target, which checks the retention rules, keeps a
 * redacted version (hashes and the fields that are not the party's) and purges the original from
 * the organisation's collection with customs — hence endorsed by both. The subject travels in
 * transient data, so no block links the party to its consignments.
 */
export class ErasureService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  eraseRegistration(
    principal: Principal,
    partyId: string,
    request: ErasureRequest,
  ): Promise<Submitted<ErasureOutcome>> {
    return this.erase(principal, { ...request, partyId, target: { type: 'party' } });
  }

  eraseFromConsignment(
    principal: Principal,
    consignmentId: string,
    request: ConsignmentErasureRequest,
  ): Promise<Submitted<ErasureOutcome>> {
    const { orderProof, partyId, ...why } = request;
    return this.erase(principal, {
      ...why,
      partyId,
      target: { type: 'consignment', consignmentId, ...(orderProof ? { orderProof } : {}) },
    });
  }

  private erase(principal: Principal, subject: ErasureSubject): Promise<Submitted<ErasureOutcome>> {
    return this.ledger.submit(principal, 'erasure:erase', [], {
      transient: { subject: Buffer.from(JSON.stringify(subject), 'utf8') },
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }
}
