import { accessLogWalk, PAGE_LIMIT, type SubjectType } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { ConsignmentService } from '../services/consignment-service.js';
import { assertCursorOfWalk } from './pages.js';
import { ConsignmentIdParam, PageQuery, PartyIdParam } from './schemas.js';
import { AccessLogSchema } from './responses.js';

const DESCRIPTION = `Each entry is an access record the chaincode committed before the personal data was handed out: organisation, user, record, declared purpose, time and transaction, and for a disclosure the fields it revealed. Visibility is the chaincode’s: participants of the subject, customs and auditors. Oldest first by transaction time (then transaction id), ${PAGE_LIMIT.default} entries a page unless \`limit\` says otherwise (at most ${PAGE_LIMIT.max}). While \`hasMore\`, ask again with \`after\` set to the page's \`next\`; a walk sees each entry once, and \`next\` of the last page later gives the reads made since. A cursor altered, or made for another log, is 400.`;

/**
 * Who read a subject's personal data and why (chaincode consignment:accessLog), for auditors, the
 * console and the auditor CLI's `reads` command. Read-only: evaluated on a peer, nothing is submitted.
 */
export function accessLogRoutes(service: ConsignmentService): RouteDefinition[] {
  const page = (principal: Principal, subjectType: SubjectType, id: string, query: PageQuery) => {
    assertCursorOfWalk(accessLogWalk(subjectType, id), query.after);
    return service.accessLog(principal, subjectType, id, query);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/access-log',
      summary: 'Who read the personal data of a consignment, and why',
      description: DESCRIPTION,
      tags: ['audit'],
      roles: 'any',
      params: ConsignmentIdParam,
      query: PageQuery,
      responses: {
        200: { description: 'A page of the access records, oldest first', schema: AccessLogSchema },
      },
      handler: async ({ principal, params, query, audit }) => {
        audit({ resource: `consignment/${params.id}` });
        return { status: 200, body: await page(principal, 'consignment', params.id, query) };
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
      query: PageQuery,
      responses: {
        200: { description: 'A page of the access records, oldest first', schema: AccessLogSchema },
      },
      handler: async ({ principal, params, query, audit }) => {
        audit({ resource: `party/${params.id}` });
        return { status: 200, body: await page(principal, 'party', params.id, query) };
      },
    }),
  ];
}
