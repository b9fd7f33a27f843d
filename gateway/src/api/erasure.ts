import { ConsignmentErasureRequest, ErasureRequest, RETENTION } from '@customs-ledger/chaincode';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { ErasureService } from '../services/erasure-service.js';
import { ConsignmentIdParam, NoQuery, PartyIdParam } from './schemas.js';
import { ErasureResultSchema } from './responses.js';

const TAGS = ['erasure'];

const RULES = `Reasons: \`retention_expired\` (allowed once the retention period has run: consignment records ${RETENTION.consignment.years} years from ${RETENTION.consignment.from}; registrations ${RETENTION.party.years} years from ${RETENTION.party.from}) or \`erasure_request\` (the data subject's request: a consignment's records only once it is final — delivered, or exited — and not while seized goods keep it under legal hold). The data leaves the organisation's private data collection and customs' copy (Fabric purge; the embedded ledger also compacts its files so no copy stays on disk); its hashes, the Merkle root and an erasure mark (who, when, why, which fields) stay public. Reads of the record then answer 410; disclosures of the fields kept still verify. The optional \`reference\` is the controller's case number for the request: it stays public with the mark, for good, so it must never name the person.`;

/** Erasure of a party's personal data by the organisation that submitted it. */
export function erasureRoutes(service: ErasureService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/parties/{id}/erasure',
      summary: 'Erase the personal data of a party’s registration',
      description: `By the platform that registered the party. ${RULES}`,
      tags: TAGS,
      roles: ['platform'],
      params: PartyIdParam,
      query: NoQuery,
      body: ErasureRequest,
      responses: { 201: { description: 'What was erased (no personal data)', schema: ErasureResultSchema } },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `party/${params.id}/erasure` });
        const { value, txId } = await service.eraseRegistration(principal, params.id, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/consignments/{id}/erasure',
      summary: 'Erase a party’s personal data from the records of a consignment the caller submitted',
      description: `By each organisation for the records it submitted (the platform: order and declaration; the payment provider: payment; the carrier: logistics). Only the party's fields go: for a buyer, name, identity document, consignee and payer; for a seller, its name. The organisation's answers to customs' referrals on the consignment go whole (free text that may name either party), each named by its transaction in \`erased\` (\`recordKind\` \`referral_answer\`, \`recordTxId\`); customs then sees the answer as erased. The platform finds the party in its own order; another holder proves it with \`orderProof\`: the platform's disclosure of the order's /buyer/id or /seller/id for purpose \`data_subject_request\` (POST /v1/consignments/{id}/disclosures), its \`disclosure\` and the \`accessTxId\` that recorded it. A disclosure for another purpose is refused (422), \`audit\` included, which may not reveal the buyer. ${RULES}`,
      tags: TAGS,
      roles: ['platform', 'payment', 'post', 'express'],
      params: ConsignmentIdParam,
      query: NoQuery,
      body: ConsignmentErasureRequest,
      responses: { 201: { description: 'What was erased (no personal data)', schema: ErasureResultSchema } },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `consignment/${params.id}/erasure` });
        const { value, txId } = await service.eraseFromConsignment(principal, params.id, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
  ];
}
