import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import type { LedgerClient, Submitted } from './ledger-client.js';

/** The channel's organisation registry, and customs' trusted-operator (AEO) status of platforms and carriers. */
export class OrganisationService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
  ) {}

  async list(principal: Principal): Promise<unknown> {
    return this.ledger.evaluate(principal, 'org:listOrganisations', []);
  }

  /** Kept in customs' own collection: only customs' peer holds it, so it alone endorses. */
  async setTrustedOperator(
    principal: Principal,
    mspId: string,
    trusted: boolean,
    reference: string,
  ): Promise<Submitted<unknown>> {
    return this.ledger.submit(principal, 'customs:setTrustedOperator', [mspId, String(trusted), reference], {
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  async trustedOperators(principal: Principal): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:trustedOperators', []);
  }
}
