import { MspId, Reference } from '@customs-ledger/chaincode';
import { DECIDING_USER_ROLES } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import type { OrganisationService } from '../services/organisation-service.js';
import { NoQuery } from './schemas.js';
import { OrganisationsSchema, TrustedOperatorSchema, TrustedOperatorsSchema } from './responses.js';

export function organisationRoutes(service: OrganisationService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/organisations',
      summary: 'The channel’s organisations and their roles',
      description:
        'The organisation registry as the chaincode keeps it on the public state: every channel member reads it there, so every caller may read it here.',
      tags: ['organisations'],
      roles: 'any',
      query: NoQuery,
      responses: { 200: { description: 'The registry', schema: OrganisationsSchema } },
      handler: async ({ principal, audit }) => {
        audit({ resource: 'organisations' });
        return { status: 200, body: await service.list(principal) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/organisations/trusted-operators',
      summary: 'The platforms and carriers customs recognises as trusted operators (AEO)',
      description:
        'Customs’ own record, kept in its own collection: only its peer holds it and endorses its changes.',
      tags: ['customs'],
      roles: ['customs'],
      query: NoQuery,
      responses: { 200: { description: 'The statuses', schema: TrustedOperatorsSchema } },
      handler: async ({ principal, audit }) => {
        audit({ resource: 'organisations/trusted-operators' });
        return { status: 200, body: await service.trustedOperators(principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/organisations/{mspId}/trusted-operator',
      summary: 'Grant or withdraw a platform’s or carrier’s trusted-operator (AEO) status',
      description:
        'Customs’ risk rules multiply the score of a consignment by the rule set’s `trustedOperatorFactor` once for each of its platform and carrier that holds the status. For platforms, posts and express carriers of the registry only. Kept in customs’ own collection, which its peer alone endorses; the event `TrustedOperatorSet` tells the organisation.',
      tags: ['customs'],
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      params: z.object({ mspId: MspId }),
      query: NoQuery,
      body: z.strictObject({ trusted: z.boolean(), reference: Reference }),
      responses: { 201: { description: 'Status recorded', schema: TrustedOperatorSchema } },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `organisations/${params.mspId}` });
        const { value, txId } = await service.setTrustedOperator(
          principal,
          params.mspId,
          body.trusted,
          body.reference,
        );
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
  ];
}
