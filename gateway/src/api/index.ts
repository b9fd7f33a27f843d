import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { RouteDefinition } from '../http/route.js';
import type { IdentityProvider } from '../ledger/identities.js';
import type { LedgerPort } from '../ledger/port.js';
import { ConsignmentService } from '../services/consignment-service.js';
import { LedgerClient } from '../services/ledger-client.js';
import { PartyService } from '../services/party-service.js';
import { batchRoutes } from './batch.js';
import { consignmentRoutes } from './consignments.js';
import { partyRoutes } from './parties.js';
import { verifyRoutes } from './verify.js';

export interface ApiDependencies {
  readonly ledger: LedgerPort;
  readonly identities: IdentityProvider;
  readonly network: NetworkConfig;
  readonly partyIdKey: string;
}

/** The stakeholder API: consignments and their records, parties, batches and verification. */
export function apiRoutes(deps: ApiDependencies): RouteDefinition[] {
  const client = new LedgerClient(deps.ledger, deps.identities);
  const consignments = new ConsignmentService(client, deps.network);
  const parties = new PartyService(client, deps.network, deps.partyIdKey);
  return [
    ...consignmentRoutes(consignments),
    ...partyRoutes(parties),
    ...batchRoutes(consignments),
    ...verifyRoutes(consignments),
  ];
}
