import { FlagPayload, PartyPayload, Reference } from '@customs-ledger/chaincode';
import { DECIDING_USER_ROLES, PERSONAL_DATA_USER_ROLES } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { recordedReadRoute } from './recorded-read-route.js';
import { z } from '../http/openapi.js';
import type { PartyService } from '../services/party-service.js';
import { NoQuery, PartyIdParam, PartyRegistrationParams, PurposeQuery } from './schemas.js';
import {
  PartyRegistrationReadSchema,
  PartyRegistrationSchema,
  PartySchema,
  TrustedTraderSchema,
  TrustedTradersSchema,
  WatchListReadSchema,
  WatchListWriteSchema,
} from './responses.js';

const TAGS = ['parties'];

const ACCESS_LOGGED =
  'The access record (who, which record, purpose, when) is committed on the ledger first, on the party’s access log (GET /v1/parties/{id}/access-log), and the chaincode hands the data only to the user it names; if it cannot be written, nothing is returned, and a read that would be refused records nothing.';

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
    // Before /v1/parties/{id}, which would take "trusted-traders" for a malformed id.
    defineRoute({
      method: 'get',
      path: '/v1/parties/trusted-traders',
      summary: 'The sellers customs recognises as trusted traders (AEO)',
      description:
        'Customs’ own record, kept in its own collection since chaincode 1.12: only its peer holds it and endorses its changes. `adoption` tells when the statuses chaincode before 1.12 kept on the public state were copied there, and which.',
      tags: ['customs'],
      roles: ['customs'],
      query: NoQuery,
      responses: { 200: { description: 'The statuses', schema: TrustedTradersSchema } },
      handler: async ({ principal, audit }) => {
        audit({ resource: 'parties/trusted-traders' });
        return { status: 200, body: await service.trustedTraders(principal) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/parties/{id}',
      summary: 'A party’s registrations, and for customs its trusted-trader status (no personal data)',
      description:
        'Registrations and their erasure marks: customs and auditors see every platform’s, any other organisation its own only (that another platform registered the same person would tell whose customer the person is). `trusted` for customs only: the status is in customs’ own collection since chaincode 1.12; the platforms that registered the party learn of each change from the `TrustedTraderSet` event.',
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
      description:
        'Customs’ risk rules multiply the score of a consignment from a trusted seller by the rule set’s `trustedTraderFactor`, and may send a fully matched one with no indicator to the green lane. Kept in customs’ own collection, which its peer alone endorses; the event `TrustedTraderSet` tells the platforms that registered the party.',
      tags: ['customs'],
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      params: PartyIdParam,
      query: NoQuery,
      body: z.strictObject({ trusted: z.boolean(), reference: Reference }),
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
    defineRoute({
      method: 'post',
      path: '/v1/parties/{id}/watch-list',
      summary: 'Set or clear customs’ watch-list note on a party',
      description:
        'Customs’ own note (`watchlisted`, `reasonCode`), kept in its customs-only collection and replaced by the next: customs’ risk rules read it when they assess a consignment naming the party as seller or buyer (WATCHLISTED_SELLER, WATCHLISTED_BUYER). The party need not be registered: customs may note a seller known from orders alone. The note travels as transient data; the answer names the transaction only.',
      tags: ['customs'],
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      params: PartyIdParam,
      query: NoQuery,
      body: FlagPayload,
      responses: { 201: { description: 'Note recorded', schema: WatchListWriteSchema } },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `party/${params.id}/watch-list` });
        const { txId } = await service.setWatchList(principal, params.id, body);
        audit({ txId });
        return { status: 201, body: { txId }, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    recordedReadRoute({
      method: 'get',
      path: '/v1/parties/{id}/watch-list',
      summary: 'Customs’ watch-list note on a party, for a stated purpose',
      description: `For customs’ officers (not its service or governance users, who read no personal data): whether a person is watch-listed, and why, is customs’ data about that person. ${ACCESS_LOGGED} \`note\` is null when customs never noted the party.`,
      tags: ['customs'],
      roles: ['customs'],
      userRoles: PERSONAL_DATA_USER_ROLES,
      params: PartyIdParam,
      query: PurposeQuery,
      responses: {
        200: { description: 'The note, and the access that let it out', schema: WatchListReadSchema },
      },
      reads: ({ params, query }) => ({ resource: `party/${params.id}/watch-list`, purpose: query.purpose }),
      read: ({ principal, params }, purpose) => service.readWatchList(principal, params.id, purpose),
      accessTxId: (note) => note.accessTxId,
    }),
    recordedReadRoute({
      method: 'get',
      path: '/v1/parties/{id}/registrations/{platformMspId}',
      summary: 'A platform’s registration of a party with its identity data, for a stated purpose',
      description: `For the registering platform and customs, the members of its collection; another platform’s registration is answered 404, as one that does not exist (that another platform registered the person would tell whose customer the person is). ${ACCESS_LOGGED} The chaincode removes the fields the purpose does not need; an erased registration is 410.`,
      tags: TAGS,
      roles: ['platform', 'customs'],
      userRoles: PERSONAL_DATA_USER_ROLES,
      params: PartyRegistrationParams,
      query: PurposeQuery,
      responses: {
        200: {
          description: 'The registration and its (filtered) identity data',
          schema: PartyRegistrationReadSchema,
        },
      },
      returnsPersonalData: true,
      reads: ({ params, query }) => ({
        resource: `party/${params.id}/registration/${params.platformMspId}`,
        purpose: query.purpose,
      }),
      read: ({ principal, params }, purpose) =>
        service.readRegistration(principal, params.id, params.platformMspId, purpose),
      accessTxId: (registration) => registration.accessTxId,
    }),
  ];
}
