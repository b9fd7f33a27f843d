import type { AccessRecord } from '@customs-ledger/chaincode';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { LedgerClient } from '../services/ledger-client.js';
import { ConsignmentIdParam, NoQuery, PartyIdParam } from './schemas.js';
import { AccessLogSchema } from './responses.js';

export interface AccessLogDependencies {
  readonly client: LedgerClient;
}

/** What consignment:accessLog returns: every personal-data read of the subject, oldest first. */
export interface AccessLog {
  readonly subjectType: 'consignment' | 'party';
  readonly subjectId: string;
  readonly entries: readonly AccessRecord[];
}

const DESCRIPTION =
  'Each entry is an access record the chaincode committed before the personal data was handed out: organisation, user, record, declared purpose, time and transaction, and for a disclosure the fields it revealed. Visibility is the chaincode’s: participants of the subject, customs and auditors.';

/**
 * Who read a subject's personal data and why (chaincode consignment:accessLog), for auditors, the
 * console and the auditor CLI's `reads` command. Read-only: evaluated on a peer, nothing is submitted.
 */
export function accessLogRoutes(deps: AccessLogDependencies): RouteDefinition[] {
  const { client } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/access-log',
      summary: 'Who read the personal data of a consignment, and why',
      description: DESCRIPTION,
      tags: ['audit'],
      roles: 'any',
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The access records, oldest first', schema: AccessLogSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}` });
        const log = await client.evaluate<AccessLog>(principal, 'consignment:accessLog', [
          'consignment',
          params.id,
        ]);
        return { status: 200, body: log };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/parties/{id}/access-log',
      summary: 'Who read a party’s registrations and customs’ watch-list note on it, and why',
      description: `${DESCRIPTION} It lists the reads of the party’s own records: a platform’s registration of the party (GET /v1/parties/{id}/registrations/{platformMspId}) and customs’ watch-list note (GET /v1/parties/{id}/watch-list); a registrant sees its own reads only. Reads of consignment records that name the person (order, payment, logistics, referral answers) are on each consignment’s access log, not here: nothing public links a party to its consignments, and an entry here would. A data subject’s access request is answered by the controller platform, which knows the person’s consignments from its own orders: it asks each consignment’s access log, and this one.`,
      tags: ['audit'],
      roles: 'any',
      params: PartyIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The access records, oldest first', schema: AccessLogSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `party/${params.id}` });
        const log = await client.evaluate<AccessLog>(principal, 'consignment:accessLog', [
          'party',
          params.id,
        ]);
        return { status: 200, body: log };
      },
    }),
  ];
}
