import {
  ConfigVersion,
  DEFAULT_RETURN_POLICY_SET,
  RefundPayload,
  ReturnDecision,
  ReturnPolicySet,
  ReturnRequest,
  ReturnScan,
  ReturnShipment,
} from '@customs-ledger/chaincode';
import type { OrgRole } from '@customs-ledger/chaincode';
import type { ZodType, z as zod } from 'zod';
import { CONFIGURING_USER_ROLES, DECIDING_USER_ROLES, type Principal } from '../auth/principal.js';
import { z } from '../http/openapi.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import type { Submitted } from '../services/ledger-client.js';
import type { ReturnsService } from '../services/returns-service.js';
import { ConsignmentIdParam, NoQuery } from './schemas.js';
import {
  ReturnListSchema,
  ReturnPolicyInForceSchema,
  ReturnSchema,
  StoredReturnPolicySetSchema,
} from './responses.js';

const TAGS = ['returns'];

const ReturnParams = ConsignmentIdParam.extend({
  returnId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
    .openapi({ param: { name: 'returnId', in: 'path' }, example: 'RT-2026-0001' }),
});

const DEADLINES =
  'Deadlines count from the release decision and depend on the destination, under the return policy in force when the return was requested (GET /v1/return-policy; by default China 30 days to request and 45 for the goods to be back; EU 90 days to request and for the goods to leave, and 210 for customs to refund or invalidate the declaration; elsewhere the same). A step after its deadline is refused (422) with the deadline, when it passed and what it counted from.';

const FILTERED =
  'For the consignment’s participants, customs and auditors, and for the carrier the platform named to take a return back: that return only (the list then holds only those), not the consignment. Filtered by role like the consignment: customs’ reason codes are for customs, the return’s authorisation (RMA) and tracking numbers not for auditors.';

const PolicyVersionQuery = z.strictObject({
  version: ConfigVersion.optional().describe('A version label; the policy in force when absent'),
});

/** One step of a return: a write on one return, audited, answering the return as it now stands. */
function returnStep<B extends ZodType>(spec: {
  readonly path: string;
  readonly summary: string;
  readonly roles: readonly OrgRole[];
  readonly userRoles?: readonly string[];
  readonly body: B;
  readonly run: (
    principal: Principal,
    id: string,
    returnId: string,
    body: zod.infer<B>,
  ) => Promise<Submitted<unknown>>;
}): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: `/v1/consignments/{id}/returns/{returnId}/${spec.path}`,
    summary: spec.summary,
    description: DEADLINES,
    tags: TAGS,
    roles: spec.roles,
    ...(spec.userRoles ? { userRoles: spec.userRoles } : {}),
    params: ReturnParams,
    query: NoQuery,
    body: spec.body,
    responses: {
      201: { description: 'The return after this step (no personal data)', schema: ReturnSchema },
    },
    handler: async ({ principal, params, body, audit }) => {
      audit({ resource: `consignment/${params.id}/return/${params.returnId}/${spec.path}` });
      const { value, txId } = await spec.run(principal, params.id, params.returnId, body);
      audit({ txId });
      return { status: 201, body: value as Record<string, unknown>, headers: { 'X-Transaction-Id': txId } };
    },
  });
}

/** Returns and refunds: each step by the role that owns it, within the destination's deadlines. */
export function returnsRoutes(service: ReturnsService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/consignments/{id}/returns',
      summary: 'Request the return of some or all of a released consignment’s order lines',
      description: `By the consignment's platform, with the reason and its return authorisation (RMA), which admits one return: an authorisation already on a return of the consignment is refused (409). Partial returns add up to at most what was ordered; a quantity is whole for a line counted in articles (pcs, PCE, H87, pair, set, …), else has at most 3 decimals (or the ordered quantity’s own, if finer), unless it is exactly what is left of the line; otherwise 422 naming the order line. Without a returnId the gateway chooses one: derived from the Idempotency-Key when the request has one (a retry names the same return), else random. ${DEADLINES}`,
      tags: TAGS,
      roles: ['platform'],
      params: ConsignmentIdParam,
      query: NoQuery,
      body: ReturnRequest,
      responses: { 201: { description: 'The return requested', schema: ReturnSchema } },
      handler: async ({ principal, params, body, audit }) => {
        const { value, txId } = await service.request(principal, params.id, body);
        audit({ resource: `consignment/${params.id}/return/${value.returnId}`, txId });
        return {
          status: 201,
          body: value as unknown as Record<string, unknown>,
          headers: {
            'X-Transaction-Id': txId,
            Location: `/v1/consignments/${params.id}/returns/${value.returnId}`,
          },
        };
      },
    }),
    returnStep({
      path: 'shipment',
      summary: 'Take the return: its new tracking number, linked to the original consignment',
      roles: ['post', 'express'],
      body: ReturnShipment,
      run: (principal, id, returnId, body) => service.ship(principal, id, returnId, body),
    }),
    returnStep({
      path: 'scan',
      summary:
        'Proof the goods left: exit scan in the destination’s customs territory (the EU’s for a member state), or arrival scan back in the origin’s; country as its UN/LOCODE’s',
      roles: ['post', 'express'],
      body: ReturnScan,
      run: (principal, id, returnId, body) => service.scan(principal, id, returnId, body),
    }),
    returnStep({
      path: 'refund',
      summary: 'The refund to the buyer (personal: kept in the refunder’s collection with customs)',
      roles: ['payment', 'platform'],
      body: RefundPayload,
      run: (principal, id, returnId, body) => service.refund(principal, id, returnId, body),
    }),
    returnStep({
      path: 'decision',
      summary:
        'Customs’ decision: duty/VAT refunded, declaration invalidated or refused; buyer’s annual limit restored',
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      body: ReturnDecision,
      run: (principal, id, returnId, body) => service.decide(principal, id, returnId, body),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/returns/{returnId}',
      summary: 'One return of the consignment, as it now stands, with its policy and deadlines',
      description: FILTERED,
      tags: TAGS,
      roles: 'any',
      params: ReturnParams,
      query: NoQuery,
      responses: { 200: { description: 'The return (no personal data)', schema: ReturnSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/return/${params.returnId}` });
        const value = await service.get(principal, params.id, params.returnId);
        return { status: 200, body: value as unknown as Record<string, unknown> };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/return-policy',
      summary: 'The return policy set in force (or a given version): deadlines by destination',
      description:
        'Public, so every party knows the deadlines it works to. Entries are by destination country, "EU" for the countries of the EU’s customs territory (its member states, Monaco, San Marino, Åland, the French outermost regions) without their own entry, and "default". The built-in set applies until customs puts its own, and answers to its version label.',
      tags: TAGS,
      roles: 'any',
      query: PolicyVersionQuery,
      responses: {
        200: { description: 'The policy set with who set it and when', schema: ReturnPolicyInForceSchema },
      },
      // A version label that names no policy set.
      problems: [404],
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'return-policy' });
        return {
          status: 200,
          body: (await service.getPolicy(principal, query.version)) as Record<string, unknown>,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customs/return-policy',
      summary: 'Put a new version of the return policy set in force',
      description: `Applies to returns requested from then on; a return keeps the policy it was requested under. In each entry requestDays ≤ arrivalDays ≤ decisionDays (400 naming the entry otherwise): customs must be able to decide on goods that are back on their last day. An entry may name the destination’s days off (nonWorkingDays: weekdays, holidays, rest days worked instead): a deadline whose last day is one of them ends with the next working day. A version label keeps its content for good, the built-in set’s (${DEFAULT_RETURN_POLICY_SET.version}) included: other content under a used label is refused (409); putting an earlier version again makes it current.`,
      tags: TAGS,
      roles: ['customs'],
      userRoles: CONFIGURING_USER_ROLES,
      query: NoQuery,
      body: ReturnPolicySet,
      responses: { 201: { description: 'The version is in force', schema: StoredReturnPolicySetSchema } },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: 'customs/return-policy' });
        const { value, txId } = await service.putPolicy(principal, body);
        audit({ txId });
        return {
          status: 201,
          body: value as unknown as Record<string, unknown>,
          headers: { 'X-Transaction-Id': txId },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/returns',
      summary: 'The consignment’s returns, with their steps and deadlines',
      description: FILTERED,
      tags: TAGS,
      roles: 'any',
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The returns, oldest first', schema: ReturnListSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/returns` });
        return { status: 200, body: await service.list(principal, params.id) };
      },
    }),
  ];
}
