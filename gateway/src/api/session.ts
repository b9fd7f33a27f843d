import { purposeNames, purposesForRole } from '@customs-ledger/chaincode';
import { DECIDING_USER_ROLES, PERSONAL_DATA_USER_ROLES, type Principal } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import { NoQuery } from './schemas.js';

const MeSchema = z
  .object({
    user: z.string(),
    mspId: z.string(),
    orgRole: z.string().openapi({
      description: 'The organisation’s role: platform, payment, post, express, customs, auditor',
    }),
    role: z
      .string()
      .openapi({ description: 'The user’s role within the organisation: operator, officer, service, …' }),
    authMethod: z.enum(['api-key', 'jwt']),
    expiresAt: z.string().nullable().openapi({
      description:
        'When the credential expires (ISO 8601): an API key’s expiry, null for a key that never expires (the demo users’ keys, and keys issued before keys had an expiry); a JWT’s `exp` (the gateway accepts it 30 s longer, for clocks that disagree)',
    }),
    purposes: z.array(z.enum(purposeNames as [string, ...string[]])).openapi({
      description:
        'The purposes this user may state when reading personal data (`?purpose=` and disclosures): those of the organisation’s role, none for user roles that read no personal data (service, governance)',
    }),
    decides: z.boolean().openapi({
      description:
        'Whether the user takes customs’ decisions on consignments, returns and parties (customs’ officers; not its service or governance users)',
    }),
  })
  .openapi('Session', { description: 'Who the presented credential authenticates' });

/** Who am I: what a client (the web console) needs to show only what the caller's role may do. */
export function sessionRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'The user, organisation and roles of the presented API key or JWT, and when it expires',
      tags: ['session'],
      roles: 'any',
      query: NoQuery,
      responses: { 200: { description: 'The caller', schema: MeSchema } },
      handler: async ({ principal }) => {
        const { user, mspId, orgRole, role, authMethod } = principal;
        const expiry = authMethod === 'jwt' ? principal.tokenExpiresAt : principal.expiresAt;
        const expiresAt = expiry === undefined ? null : new Date(expiry).toISOString();
        return {
          status: 200,
          body: {
            user,
            mspId,
            orgRole,
            role,
            authMethod,
            expiresAt,
            purposes: statablePurposes(principal),
            decides: orgRole === 'customs' && DECIDING_USER_ROLES.includes(role),
          },
        };
      },
    }),
  ];
}

/** Asking for another purpose is refused (403), so a client offers only these. */
function statablePurposes(principal: Principal): string[] {
  return PERSONAL_DATA_USER_ROLES.includes(principal.role) ? purposesForRole(principal.orgRole) : [];
}
