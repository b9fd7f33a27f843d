import {
  assessmentFailureCodes,
  lanes,
  purposeNames,
  ReconciliationFilter,
  ReferralAnswer,
  RemittanceInput,
  RuleSet,
  statuses,
  TariffSet,
} from '@customs-ledger/chaincode';
import { CONFIGURING_USER_ROLES, DECIDING_USER_ROLES, PERSONAL_DATA_USER_ROLES } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { recordedReadRoute } from './recorded-read-route.js';
import { orNull, z } from '../http/openapi.js';
import type { CustomsService } from '../services/customs-service.js';
import { ConsignmentIdParam, NoQuery, NumberParam } from './schemas.js';
import {
  AssessmentOutcomeSchema,
  AssessmentSchema,
  CollectionInstructionViewSchema,
  ConfigVersionSetSchema,
  MatchViewSchema,
  ReconciliationSchema,
  ReferralAnswerReadSchema,
  ReferralAnswerRecordSchema,
  RemittanceListSchema,
  RemittanceSchema,
  RuleSetViewSchema,
  TariffsViewSchema,
} from './responses.js';

const TAGS = ['customs'];

const VersionQuery = z.strictObject({
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/)
    .optional()
    .openapi({ description: 'A version label; the current version when absent' }),
});

const ReferralAnswerParams = ConsignmentIdParam.extend({
  answerTxId: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a transaction id (64 lowercase hex)')
    .openapi({
      param: { name: 'answerTxId', in: 'path' },
      description: 'The transaction that recorded the answer (`txId` of a referral answer in the assessment)',
    }),
});

const PurposeQuery = z.strictObject({
  purpose: z.enum(purposeNames as [string, ...string[]]).openapi({
    description:
      'Why the answer is read: a purpose customs may read personal data for (risk_assessment, revenue_assessment, clearance, legal_request, audit)',
  }),
});

const QueueQuery = z.strictObject({
  lane: z.enum(lanes).optional(),
  status: z.enum(statuses).optional(),
  matchResult: z.enum(['pass', 'fail']).optional(),
  reason: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,47}$/)
    .optional()
    .openapi({ description: 'A risk reason code or release blocker, e.g. SPLIT_SHIPMENT or LANE_RED' }),
  destinationCountry: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  minAgeHours: NumberParam({ min: 0, max: 100_000, fraction: true }).optional(),
  includeClosed: z.enum(['true', 'false']).optional().openapi({
    description: 'Also released, final and about-to-be-released consignments',
  }),
  offset: NumberParam({ min: 0, max: 1_000_000 }).optional(),
  limit: NumberParam({ min: 1, max: 200 }).optional(),
});

const QueueFailureSchema = z
  .strictObject({
    code: z.enum(assessmentFailureCodes).openapi({
      description:
        'ASSESSMENT_ERROR: the chaincode could not assess the consignment though its records were complete (an exception, a stored value it cannot read, a configuration it cannot apply); LEDGER_UNAVAILABLE: the ledger did not take the assessment, try after try',
    }),
    reason: z.string().openapi({
      description:
        'Why, with no personal data: the error when it names configuration only (e.g. `no CNY rate against EUR valid on 2026-12-06`), else a fixed sentence; an officer’s on-demand assessment shows the chaincode’s own words',
    }),
    failures: z
      .number()
      .int()
      .openapi({ description: 'Failures recorded since the last assessment that succeeded' }),
    firstFailedAt: z.string(),
    failedAt: z.string(),
  })
  .openapi('QueueFailure', {
    description:
      'The latest automatic assessment of the consignment failed: it is not released automatically and waits for an officer, who may decide on it or assess it on demand (which, when it succeeds, takes this off)',
  });

/** The documented shape of GET /v1/customs/queue (customs:workQueue, domain/customs.ts QueuePage). */
export const QueuePageSchema = z
  .strictObject({
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
    items: z.array(
      z
        .strictObject({
          consignmentId: z.string(),
          status: z.enum(statuses),
          destinationCountry: z.string(),
          lane: z.enum(lanes).nullable().openapi({ description: 'null when no assessment succeeded yet' }),
          score: z.number().nullable(),
          matchResult: z.enum(['pass', 'fail']).nullable(),
          reasonCodes: z.array(z.string()).openapi({
            description:
              'Risk reason codes, then release blockers, then ASSESSMENT_FAILED when the latest assessment failed',
          }),
          releasable: z.boolean().openapi({
            description:
              'Customs’ service identity may still release it automatically (never after a failed assessment)',
          }),
          firstAssessedAt: z.string().nullable(),
          assessedAt: z.string().nullable(),
          assessments: z.number().int(),
          referralAnswers: z.number().int(),
          assessmentFailed: orNull(QueueFailureSchema),
          ageHours: z
            .number()
            .openapi({ description: 'Since the first assessment, or the first failure when none succeeded' }),
        })
        .openapi('QueueItem'),
    ),
  })
  .openapi('QueuePage');

/** Customs' API: assessments and their explanation, the work queue, rules, tariffs, reconciliation, referrals. */
export function customsRoutes(service: CustomsService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/consignments/{id}/assessment',
      summary: 'Match, risk-assess and assess duty on a consignment now',
      description:
        'Customs assesses on its own as soon as order, payment and logistics data are all present, and again when a record changes or a referral is answered; this runs it on demand. A releasable assessment (match passed, green lane, every risk comparison made, no line under a protected mark, duty assessed, no decision yet) is followed by an automatic release by customs’ service identity.',
      tags: TAGS,
      roles: ['customs'],
      userRoles: DECIDING_USER_ROLES,
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: {
        201: { description: 'The assessment, with its explanation', schema: AssessmentOutcomeSchema },
      },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/assessment` });
        const outcome = await service.assess(principal, params.id);
        audit({ txId: outcome.assessment.txId });
        return { status: 201, body: outcome, headers: { 'X-Transaction-Id': outcome.assessment.txId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customs/assessments/{id}',
      summary: 'The latest assessment of a consignment, explained',
      description:
        'Match result and reasons, lane, score, every risk reason with its weight and detail, duty and VAT per line, why it was or was not released automatically, earlier assessments, and the referral answers received: who answered, when, which referral (`referralTxId`), the transaction (`txId`) and the answer’s commitment (`root`, `leafCount`), not the answer itself, which is personal data: GET /v1/consignments/{id}/referral-answers/{answerTxId}?purpose= reads it, on the access log. An answer erased with the consignment’s personal data has `erased` (its transaction, time and reason).',
      tags: TAGS,
      roles: ['customs'],
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: { 200: { description: 'The assessment', schema: AssessmentSchema } },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/assessment` });
        return { status: 200, body: await service.getAssessment(principal, params.id) };
      },
    }),
    recordedReadRoute({
      method: 'get',
      path: '/v1/consignments/{id}/referral-answers/{answerTxId}',
      summary: 'A trader’s answer to a referral (its text and documents), for a stated purpose',
      description:
        'For customs’ officers (not its service or governance users, who read no personal data). The answer is free text that may name the buyer or seller, so it is read as personal data: the access record (who, which answer, purpose, when) is committed on the ledger first, and the chaincode hands the answer only to the user whose committed read names it; if the record cannot be written, nothing is returned. The access log of the consignment lists it (`recordKind` referral_answer, `recordTxId` the answer). An erased answer is 410, an unknown one 404, and neither is recorded.',
      tags: TAGS,
      roles: ['customs'],
      userRoles: PERSONAL_DATA_USER_ROLES,
      params: ReferralAnswerParams,
      query: PurposeQuery,
      responses: {
        200: {
          description:
            'The answer’s record, the answer (message, documents) and the access that let it out (`access.txId`)',
          schema: ReferralAnswerReadSchema,
        },
      },
      returnsPersonalData: true,
      reads: ({ params, query }) => ({
        resource: `consignment/${params.id}/referral-answer/${params.answerTxId}`,
        purpose: query.purpose,
      }),
      read: ({ principal, params }, purpose) =>
        service.readReferralAnswer(principal, params.id, params.answerTxId, purpose),
      accessTxId: (answer) => answer.access.txId,
    }),
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/match',
      summary: 'The public three-way match result (pass or fail with reason codes)',
      description:
        'For the consignment’s participants, customs and auditors. Never the values compared. `assessmentFailed` is the public trace of a failure of customs’ assessment since the latest one (code, time, transaction, record versions; the reason is customs’ alone): while it stands nothing is released automatically and an officer decides.',
      tags: TAGS,
      roles: 'any',
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: {
        200: { description: 'The match result, null before any assessment', schema: MatchViewSchema },
      },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/match` });
        return { status: 200, body: await service.getMatch(principal, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/consignments/{id}/collection-instruction',
      summary: 'The duty and tax the consignment’s carrier is to collect from the buyer at delivery',
      description:
        'For the consignment’s carrier and customs; anyone else gets 404, as for a consignment it does not see. Written by the customs assessment that leaves the carrier something to collect (the tariff set has the carrier collect what no platform collected at checkout under a collection number, and something is due): amount, currency, what it covers (duty, VAT, less what was collected at checkout) and the assessment it comes from. A later assessment replaces it, or withdraws it when it leaves nothing to collect: `instruction` is then null, as before any assessment. Revenue data: it is kept in the private data collection from customs to that carrier, which only customs writes.',
      tags: TAGS,
      roles: 'any',
      params: ConsignmentIdParam,
      query: NoQuery,
      responses: {
        200: {
          description: '{ consignmentId, instruction }, instruction null when nothing is to collect',
          schema: CollectionInstructionViewSchema,
        },
      },
      handler: async ({ principal, params, audit }) => {
        audit({ resource: `consignment/${params.id}/collection-instruction` });
        return {
          status: 200,
          body: (await service.getCollectionInstruction(principal, params.id)) as Record<string, unknown>,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customs/queue',
      summary: 'The officers’ work queue',
      description:
        'Consignments that wait for an officer (not decided for good, and not about to be released automatically: a releasable assessment is the service’s unless a decision or a record change came since, or it is still unreleased 10 minutes on), oldest first, with lane, score and reason codes; filters and paging. A consignment whose automatic assessment failed is here too, assessed before or not, with `assessmentFailed` and the reason code ASSESSMENT_FAILED (`reason=ASSESSMENT_FAILED` lists them), never releasable automatically.',
      tags: TAGS,
      roles: ['customs'],
      query: QueueQuery,
      responses: { 200: { description: 'A page of the queue', schema: QueuePageSchema } },
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'customs/queue' });
        return { status: 200, body: (await service.workQueue(principal, query)) as Record<string, unknown> };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customs/reconciliation',
      summary:
        'VAT declared as collected at checkout against VAT assessed and against VAT remitted, per platform and month',
      tags: TAGS,
      roles: ['customs'],
      query: ReconciliationFilter,
      responses: { 200: { description: '{ rows }', schema: ReconciliationSchema } },
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'customs/reconciliation' });
        return {
          status: 200,
          body: (await service.reconciliation(principal, query)) as Record<string, unknown>,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/remittances',
      summary: 'Record what the platform remitted for a month’s sales under a checkout scheme (IOSS)',
      description:
        'For a platform: its return’s or payment’s reference, the month of the sales it covers, the currency of the destination’s tariff and the amount. Kept in the platform’s private data collection with customs, where customs’ reconciliation reads it. A reference is recorded once (409 after); a correction is a remittance of its own, negative when it lowers what was remitted.',
      tags: TAGS,
      roles: ['platform'],
      query: NoQuery,
      body: RemittanceInput,
      responses: { 201: { description: 'The remittance is recorded', schema: RemittanceSchema } },
      handler: async ({ principal, body, audit }) => {
        // The reference is the platform's business, as the amount is: the audit log names the transaction.
        audit({ resource: 'remittances' });
        const { value, txId } = await service.recordRemittance(principal, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/remittances',
      summary: 'The remittances platforms recorded, by platform, month and time',
      description: 'Customs reads every platform’s; a platform its own (naming another is 403).',
      tags: TAGS,
      roles: ['platform', 'customs'],
      query: ReconciliationFilter,
      responses: { 200: { description: '{ remittances }', schema: RemittanceListSchema } },
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'remittances' });
        return {
          status: 200,
          body: (await service.remittances(principal, query)) as Record<string, unknown>,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customs/rule-set',
      summary: 'The current risk rule set (or a given version)',
      tags: TAGS,
      roles: ['customs'],
      query: VersionQuery,
      responses: { 200: { description: 'The rule set with who set it and when', schema: RuleSetViewSchema } },
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'customs/rule-set' });
        const stored = await service.getRuleSet(principal, query.version);
        return { status: 200, body: { ruleSet: stored } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customs/rule-set',
      summary: 'Put a new version of the risk rule set',
      description:
        'Kept in customs’ own private data collection. A version label keeps its content for good; putting an earlier version again makes it current.',
      tags: TAGS,
      roles: ['customs'],
      userRoles: CONFIGURING_USER_ROLES,
      query: NoQuery,
      body: RuleSet,
      responses: { 201: { description: 'The version is current', schema: ConfigVersionSetSchema } },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: 'customs/rule-set' });
        const { value, txId } = await service.putRuleSet(principal, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customs/tariffs',
      summary: 'The current tariff set (or a given version)',
      tags: TAGS,
      roles: ['customs'],
      query: VersionQuery,
      responses: {
        200: { description: 'The tariff set with who set it and when', schema: TariffsViewSchema },
      },
      handler: async ({ principal, query, audit }) => {
        audit({ resource: 'customs/tariffs' });
        return { status: 200, body: { tariffs: await service.getTariffs(principal, query.version) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customs/tariffs',
      summary: 'Put a new version of the tariff set',
      description:
        'Per destination: de minimis for duty and VAT, VAT rates, duty by HS chapter or heading, flat duty per item category, dated currency rates; and who collects what no platform collected.',
      tags: TAGS,
      roles: ['customs'],
      userRoles: CONFIGURING_USER_ROLES,
      query: NoQuery,
      body: TariffSet,
      responses: { 201: { description: 'The version is current', schema: ConfigVersionSetSchema } },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: 'customs/tariffs' });
        const { value, txId } = await service.putTariffs(principal, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/consignments/{id}/referral-answer',
      summary: 'Answer customs’ request for information on a referred consignment',
      description:
        'For the consignment’s platform, payment provider or carrier. The answer goes to the answering organisation’s private data collection with customs (its Merkle root on the ledger); customs then assesses the consignment again.',
      tags: TAGS,
      roles: ['platform', 'payment', 'post', 'express'],
      params: ConsignmentIdParam,
      query: NoQuery,
      body: ReferralAnswer,
      responses: {
        201: { description: 'The answer is recorded (no personal data)', schema: ReferralAnswerRecordSchema },
      },
      handler: async ({ principal, params, body, audit }) => {
        audit({ resource: `consignment/${params.id}/referral-answer` });
        const { value, txId } = await service.answerReferral(principal, params.id, body);
        audit({ txId });
        return { status: 201, body: value, headers: { 'X-Transaction-Id': txId } };
      },
    }),
  ];
}
