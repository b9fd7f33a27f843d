import {
  Decision,
  CreateConsignment,
  ConsignmentId,
  historyWalk,
  PAGE_LIMIT,
  Movement,
  payloadSchemas,
  type RecordKind,
} from '@customs-ledger/chaincode';
import type { OrgRole } from '@customs-ledger/chaincode';
import type { z, ZodType } from 'zod';
import { DECIDING_USER_ROLES, PERSONAL_DATA_USER_ROLES, type Principal } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { assertCursorOfWalk } from './pages.js';
import { recordedReadRoute } from './recorded-read-route.js';
import type { ConsignmentService, WriteResult } from '../services/consignment-service.js';
import {
  ConsignmentIdParam,
  DetailsQuery,
  DisclosureRequest,
  HistoryPage,
  HistoryQuery,
  NoQuery,
} from './schemas.js';
import {
  ConsignmentSchema,
  ConsignmentViewSchema,
  DecisionSchema,
  DisclosureSchema,
  MovementSchema,
  RecordCommitmentSchema,
  RecordDetailsSchema,
} from './responses.js';

const RECORD_ROLES: Record<RecordKind, readonly OrgRole[]> = {
  order: ['platform'],
  payment: ['payment', 'platform'],
  logistics: ['post', 'express'],
  declaration: ['platform', 'post', 'express'],
};

const TAGS = ['consignments'];
const CreateBody = CreateConsignment.extend({ consignmentId: ConsignmentId.optional() });

/** A write on one consignment: the resource it touches is audited, and the transaction id returned. */
function consignmentWrite<B extends ZodType>(spec: {
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly roles: readonly OrgRole[];
  readonly userRoles?: readonly string[];
  readonly body: B;
  /** What the chaincode answers the write with. */
  readonly response: ZodType;
  readonly resource: string;
  readonly run: (principal: Principal, id: string, body: z.infer<B>) => Promise<WriteResult<unknown>>;
}): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: `/v1/consignments/{id}/${spec.path}`,
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    roles: spec.roles,
    ...(spec.userRoles ? { userRoles: spec.userRoles } : {}),
    params: ConsignmentIdParam,
    query: NoQuery,
    body: spec.body,
    responses: { 201: { description: 'Committed on the ledger (no personal data)', schema: spec.response } },
    handler: async ({ principal, params, body, audit }) => {
      audit({ resource: `consignment/${params.id}/${spec.resource}` });
      const { value, txId } = await spec.run(principal, params.id, body);
      audit({ txId });
      return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
    },
  });
}

export function consignmentRoutes(service: ConsignmentService): RouteDefinition[] {
  const recordRoutes = (Object.keys(RECORD_ROLES) as RecordKind[]).map((kind) =>
    consignmentWrite({
      path: kind,
      summary: `Submit the ${kind} data of a consignment`,
      description: `The payload is personal data: it travels to the ledger as transient data only, is stored in the submitting organisation's private data collection with customs, and is committed on public state as a Merkle root over salted field hashes. Resubmitting corrects the record (version + 1) until release.`,
      tags: TAGS,
      roles: RECORD_ROLES[kind],
      body: payloadSchemas[kind],
      response: RecordCommitmentSchema,
      resource: kind,
      run: (principal, id, body) => service.submitRecord(principal, id, kind, body),
    }),
  );

  return [
    defineRoute({
      method: 'post',
      path: '/v1/consignments',
      summary: 'Create a consignment with its join keys and the organisations that take part',
      description:
        "The creator (a platform, post or express carrier) takes its own part of the consignment and names the organisations it deals with for the others: platformMspId (a platform), carrierMspId (a post or express carrier), paymentMspId (a payment provider, or the platform itself). A named organisation is bound from creation: it writes its records without any join key, and no other organisation can take its part. A name that is not a registered organisation of that role, or another organisation named for the creator's own part, is refused (422). A part left unnamed is taken by proof of a link, by the join key the consignment holds for it: the platform by an order with the order number, the carrier by logistics with the tracking number, the payment provider by a payment with the payment transaction id (a platform pays its own orders); a key a participant's record fills in (the carrier's waybill names the order) serves as well. Nothing else binds, a declaration included. Join keys are often guessable: name every counterpart you know. Order numbers are unique per platform, tracking numbers per carrier, payment transaction ids per payment provider; a named organisation's key is claimed in its name once it writes its first record. Without a consignmentId the gateway chooses one: derived from the Idempotency-Key when the request has one (a retry names the same consignment), else random.",
      tags: TAGS,
      roles: ['platform', 'post', 'express'],
      query: NoQuery,
      body: CreateBody,
      responses: { 201: { description: 'Consignment created', schema: ConsignmentSchema } },
      handler: async ({ principal, body, audit }) => {
        const { value, txId } = await service.create(principal, body);
        const id = (value as { consignmentId?: string }).consignmentId;
        audit({ resource: `consignment/${id}`, txId });
        return {
          status: 201,
          body: value,
          headers: { 'X-Transaction-Id': txId, ...(id ? { Location: `/v1/consignments/${id}` } : {}) },
        };
      },
    }),
    ...recordRoutes,
    consignmentWrite({
      path: 'movements',
      summary: 'Record a movement scan (dispatched, arrived, delivered, exited)',
      tags: TAGS,
      roles: ['post', 'express'],
      body: Movement,
      response: MovementSchema,
      resource: 'movement',
      run: (principal, id, body) => service.recordMovement(principal, id, body),
    }),
    consignmentWrite({
      path: 'decision',
      summary: 'Record a customs clearance decision',
      tags: ['customs'],
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      body: Decision,
      response: DecisionSchema,
      resource: 'decision',
      run: (principal, id, body) => service.recordDecision(principal, id, body),
    }),
    // POST /v1/consignments/{id}/assessment is customs' (api/customs.ts).
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}',
      summary: 'Status, join keys, record commitments, movements and decisions (no personal data)',
      description:
        'Visible to the consignment’s platform, carrier and payment provider, customs and auditors; filtered by role.',
      tags: TAGS,
      roles: 'any',
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The consignment', schema: ConsignmentViewSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}` });
        return { status: 200, body: await service.get(principal, params.id) };
      },
    }),
    recordedReadRoute({
      method: 'get',
      path: '/v1/consignments/{id}/details',
      summary: 'Personal data of one record, for a stated purpose',
      description:
        'Leaves an access record on the ledger (who, which record, purpose, when) before the data is read, and the chaincode hands the record only to the user that access record names; if it cannot be written the read is refused, and a read that would be refused (not a member of the record’s collection, erased: 410) records nothing. The chaincode removes the fields the purpose does not need, after checking the whole record against its committed root.',
      tags: TAGS,
      roles: 'any',
      userRoles: PERSONAL_DATA_USER_ROLES,
      params: ConsignmentIdParam,
      query: DetailsQuery,
      responses: {
        200: { description: 'The record and its (filtered) payload', schema: RecordDetailsSchema },
      },
      returnsPersonalData: true,
      reads: ({ params, query }) => ({
        resource: `consignment/${params.id}/${query.record}`,
        purpose: query.purpose,
      }),
      read: ({ principal, params, query }, purpose) =>
        service.details(principal, params.id, query.record, purpose),
      accessTxId: (details) => details.accessTxId,
    }),
    recordedReadRoute({
      method: 'post',
      path: '/v1/consignments/{id}/disclosures',
      summary: 'Produce a selective-disclosure package for chosen fields of a record',
      description:
        'For the holders of the record (its submitter and customs). The package carries the chosen fields with their salts and Merkle proofs; POST /v1/verify checks it against the ledger. Building it is a purpose-bound access, recorded on the access log with each field it reveals; a field the purpose does not need (the fields a details read for that purpose removes), an object holding one, or one under it is refused (403) and records nothing. It is never replayed from an Idempotency-Key (the gateway keeps no copy of personal data). After an erasure the kept fields can still be disclosed; an erased field cannot (400).',
      tags: ['verification'],
      roles: 'any',
      userRoles: PERSONAL_DATA_USER_ROLES,
      params: ConsignmentIdParam,
      query: NoQuery,
      body: DisclosureRequest,
      responses: { 201: { description: 'The disclosure package', schema: DisclosureSchema } },
      returnsPersonalData: true,
      reads: ({ params, body }) => ({
        resource: `consignment/${params.id}/${body.record}`,
        purpose: body.purpose,
      }),
      read: ({ principal, params, body }, purpose) =>
        service.disclose(principal, params.id, body.record, body.fields, purpose),
      accessTxId: (disclosure) => disclosure.accessTxId,
    }),
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/history',
      summary: 'Provenance: records, movements, decisions and personal-data accesses in time order, by pages',
      description: `Oldest first by transaction time (then transaction id), ${PAGE_LIMIT.default} entries a page unless \`limit\` says otherwise (at most ${PAGE_LIMIT.max}). While \`hasMore\`, ask again with \`after\` set to the page's \`next\`; a walk sees each entry once, and \`next\` of the last page later gives what was appended since. A cursor altered, or made for another consignment or another \`record\`, is 400. Filtered by role like the consignment: customs’ reason codes are for customs, join keys and a return’s RMA and tracking numbers not for auditors.`,
      tags: TAGS,
      roles: 'any',
      params: ConsignmentIdParam,
      query: HistoryQuery,
      responses: { 200: { description: 'A page of the history', schema: HistoryPage } },
      handler: async ({ principal, params, query, audit }) => {
        audit({ resource: `consignment/${params.id}` });
        assertCursorOfWalk(historyWalk(params.id, query.record), query.after);
        return { status: 200, body: await service.history(principal, params.id, query) };
      },
    }),
  ];
}
