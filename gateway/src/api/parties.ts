import { PartyPayload } from '@customs-ledger/chaincode';
import { DECIDING_USER_ROLES } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import type { PartyService } from '../services/party-service.js';
import { NoQuery, PartyIdParam } from './schemas.js';
import { PartyRegistrationSchema, PartySchema, TrustedTraderSchema } from './responses.js';

const TAGS = ['parties'];

export function partyRoutes(service: PartyService): RouteDefinition[] {
  const Register = z.strictObject({
    kind: z.enum(['seller', 'buyer']),
    verificationLevel: z.enum(['none', 'basic', 'verified']),
    party: PartyPayload,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/parties',
      summary: 'Register a seller or buyer under a pseudonymous id',
      description:
        'The id is a keyed hash of the identity document; name, document and address go to the platform’s private data collection with customs, never to public state.',
      tags: TAGS,
      roles: ['platform'],
      query: NoQuery,
      body: Register,
      responses: {
        201: {
          description: 'Party registered (pseudonymous id, no personal data)',
          schema: PartyRegistrationSchema,
        },
      },
      handler: async ({ principal, body, audit }) => {
        const { value, txId } = await service.register(principal, body);
        audit({ resource: `party/${(value as { partyId?: string }).partyId}`, txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/parties/{id}',
      summary: 'A party’s registrations and trusted-trader status (no personal data)',
      description:
        'Trusted-trader status for anyone; registrations and their erasure marks: customs and auditors see every platform’s, any other organisation its own only (that another platform registered the same person would tell whose customer the person is).',
      tags: TAGS,
      roles: 'any',
      params: PartyIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The party', schema: PartySchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `party/${params.id}` });
        return { status: 200, body: await service.get(principal, params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/parties/{id}/trusted-trader',
      summary: 'Grant or withdraw trusted-trader (AEO) status',
      tags: ['customs'],
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      params: PartyIdParam,
      query: NoQuery,
      body: z.strictObject({ trusted: z.boolean(), reference: z.string().min(1).max(64) }),
      responses: { 201: { description: 'Status recorded', schema: TrustedTraderSchema } },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `party/${params.id}` });
        const { value, txId } = await service.setTrustedTrader(
          principal,
          params.id,
          body.trusted,
          body.reference,
        );
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
  ];
}
