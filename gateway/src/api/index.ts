import type { NetworkConfig } from '@customs-ledger/chaincode';
import type { RouteDefinition } from '../http/route.js';
import { ConsignmentService } from '../services/consignment-service.js';
import type { LedgerClient } from '../services/ledger-client.js';
import { ErasureService } from '../services/erasure-service.js';
import { OrganisationService } from '../services/organisation-service.js';
import { PartyService } from '../services/party-service.js';
import { ReturnsService } from '../services/returns-service.js';
import { accessLogRoutes } from './access-log.js';
import { batchRoutes } from './batch.js';
import { consignmentRoutes } from './consignments.js';
import { erasureRoutes } from './erasure.js';
import { organisationRoutes } from './organisations.js';
import { partyRoutes } from './parties.js';
import { returnsRoutes } from './returns.js';
import { sessionRoutes } from './session.js';
import { verifyRoutes } from './verify.js';

export interface ApiDependencies {
  readonly client: LedgerClient;
  readonly network: NetworkConfig;
  readonly partyIdKey: string;
}

/** The stakeholder API: consignments and their records, returns, parties, organisations, erasure, batches and verification. */
export function apiRoutes(deps: ApiDependencies): RouteDefinition[] {
  const consignments = new ConsignmentService(deps.client, deps.network);
  const parties = new PartyService(deps.client, deps.network, deps.partyIdKey);
  return [
    ...consignmentRoutes(consignments),
    ...accessLogRoutes(consignments),
    ...returnsRoutes(new ReturnsService(deps.client, deps.network)),
    ...partyRoutes(parties),
    ...organisationRoutes(new OrganisationService(deps.client, deps.network)),
    ...erasureRoutes(new ErasureService(deps.client, deps.network)),
    ...batchRoutes(consignments),
    ...verifyRoutes(consignments),
    ...sessionRoutes(),
  ];
}
