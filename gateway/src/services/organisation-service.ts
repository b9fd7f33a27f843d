import type { Principal } from '../auth/principal.js';
import type { LedgerClient, Submitted } from './ledger-client.js';

/** The channel's organisation registry as the chaincode keeps it, and customs' trusted-operator (AEO) status. */
export class OrganisationService {
  constructor(private readonly ledger: LedgerClient) {}

  async list(principal: Principal): Promise<unknown> {
    return this.ledger.evaluate(principal, 'org:listOrganisations', []);
  }

  async setTrustedOperator(
    principal: Principal,
    mspId: string,
    trusted: boolean,
    reference: string,
  ): Promise<Submitted<unknown>> {
    return this.ledger.submit(principal, 'org:setTrustedOperator', [mspId, String(trusted), reference]);
  }
}
