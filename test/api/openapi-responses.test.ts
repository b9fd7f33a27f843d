/**
 * The OpenAPI document tells clients what they get back: a realistic flow through every documented
 * JSON operation, as each role that reads it differently, validates each 2xx body the gateway sends
 * against the schema its operation documents in /openapi.json (JSON Schema 2020-12, formats
 * checked, and no property the schema does not name). Every operation's 2xx body has a schema with
 * properties, but for the few whose body is free-form by nature (FREE_FORM).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  assessedOnReturn,
  DEFAULT_RETURN_POLICY_SET,
  DEFAULT_RULE_SET,
  DEFAULT_TARIFF_SET,
  type DutyAssessment,
} from '@customs-ledger/chaincode';
import {
  client,
  startTestGateway,
  type ApiClient,
  type ApiResponse,
  type TestGateway,
} from '../support/gateway.js';
import { assessmentWithDeclaration, parcelToFrance } from '../support/parcel.js';
import { declarationPayload, orderPayload } from '../support/payloads.js';
import { partyOfPlatformA, releasedWithReturn } from '../security/support.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const AUDITOR = 'auditor';
const RUN = randomBytes(3).toString('hex').toUpperCase();

/**
 * Operations whose 2xx body has no schema of properties, and why: the document itself, which is
 * OpenAPI's own.
 */
const FREE_FORM = new Set(['GET /openapi.json']);

interface Operation {
  readonly key: string;
  readonly pattern: RegExp;
  /** Literal segments: a template with more of them wins when two match. */
  readonly literals: number;
  readonly validators: ReadonlyMap<number, ValidateFunction>;
}

interface OpenApi {
  readonly paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}
interface ResponseObject {
  readonly content?: Record<string, { schema?: JsonSchema }>;
}
type JsonSchema = { readonly [keyword: string]: unknown };

const COMPONENTS = 'https://openapi.test/components';

/**
 * The schema as a validator of what the gateway sends: component references resolved, and every
 * object with named properties closed to others (unevaluatedProperties, so that allOf still
 * composes), since an undocumented property is one a generated client does not know.
 */
function closed(schema: unknown, inAllOf = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => closed(s, inAllOf));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', `${COMPONENTS}#/$defs/`);
    } else if (keyword === 'properties' || keyword === '$defs' || keyword === 'patternProperties') {
      out[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, closed(v)]),
      );
    } else {
      out[keyword] = closed(value, keyword === 'allOf');
    }
  }
  const named = out.type === 'object' && 'properties' in out;
  const open = 'additionalProperties' in out || 'unevaluatedProperties' in out;
  if (named && !open && !inAllOf) out.unevaluatedProperties = false;
  return out;
}

/** An object schema that says nothing of its properties: `{type: object}` or a bare record. */
function isFreeForm(schema: JsonSchema | undefined): boolean {
  if (!schema) return true;
  const structural = ['properties', '$ref', 'allOf', 'anyOf', 'oneOf', 'patternProperties'];
  if (structural.some((k) => k in schema)) return false;
  const additional = schema.additionalProperties;
  return additional === undefined || additional === true || Object.keys(additional as object).length === 0;
}

function operationsOf(doc: OpenApi): Operation[] {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's annotations, which zod-to-openapi writes where a schema has them.
  ajv.addVocabulary(['example', 'discriminator']);
  ajv.addSchema({ $id: COMPONENTS, $defs: closed(doc.components.schemas) as object });
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => {
      const validators = new Map<number, ValidateFunction>();
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (status.startsWith('2') && schema)
          validators.set(Number(status), ajv.compile(closed(schema) as object));
      }
      const segments = path.split('/');
      return {
        key: `${method.toUpperCase()} ${path}`,
        pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
        literals: segments.filter((s) => !s.startsWith('{')).length,
        validators,
      };
    }),
  );
}

let t: TestGateway;
let doc: OpenApi;
let operations: Operation[];
/** The operations a 2xx body was validated for. */
const validated = new Set<string>();
/** Bodies that did not match their operation's schema, with ajv's errors. */
const mismatches: { operation: string; url: string; errors: unknown }[] = [];

function check(method: string, url: string, res: ApiResponse<unknown>): void {
  if (res.status < 200 || res.status >= 300) return;
  if (!res.headers.get('content-type')?.includes('application/json')) return;
  const path = new URL(url, 'http://x').pathname;
  const op = operations
    .filter((o) => o.key.startsWith(`${method} `) && o.pattern.test(path))
    .sort((a, b) => b.literals - a.literals)[0];
  if (!op) throw new Error(`${method} ${path} is not a documented operation`);
  const validate = op.validators.get(res.status);
  if (!validate) throw new Error(`${op.key} answered ${res.status}, which it does not document`);
  validated.add(op.key);
  if (!validate(res.body)) mismatches.push({ operation: op.key, url, errors: validate.errors });
}

/** A client whose 2xx answers are checked against the document. */
function checking(api: ApiClient): ApiClient {
  return {
    get: async (path, headers) => {
      const res = await api.get(path, headers);
      check('GET', path, res);
      return res as never;
    },
    post: async (path, body, headers) => {
      const res = await api.post(path, body, headers);
      check('POST', path, res);
      return res as never;
    },
  };
}

/** The test gateway, every call through it checked. */
let g: TestGateway;

async function ok<T = Record<string, unknown>>(call: Promise<ApiResponse<T>>): Promise<T> {
  const res = await call;
  expect(res.status, res.text).toBeGreaterThanOrEqual(200);
  expect(res.status, res.text).toBeLessThan(300);
  return res.body;
}

beforeAll(async () => {
  t = await startTestGateway();
  doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as OpenApi;
  operations = operationsOf(doc);
  g = { ...t, as: (user) => checking(t.as(user)) };
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('every 2xx body the gateway sends', () => {
  it('validates against the schema its operation documents', { timeout: 240_000 }, async () => {
    const officer = g.as(OFFICER);
    const platform = g.as(PLATFORM);
    const auditor = g.as(AUDITOR);
    const post = g.as('post-operator');
    const payment = g.as('payment-operator');
    const anonymous = checking(client(t.gateway.url));

    await ok(anonymous.get('/healthz'));
    await ok(anonymous.get('/readyz'));
    await ok(anonymous.get('/openapi.json'));
    for (const user of [PLATFORM, OFFICER, AUDITOR]) await ok(g.as(user).get('/v1/me'));

    // Configuration: rules that leave nothing to chance, tariffs and return policy of their own.
    await ok(officer.post('/v1/customs/rule-set', { ...DEFAULT_RULE_SET, version: `oa-${RUN}`, randomSelectionRate: 0 }));
    await ok(officer.get('/v1/customs/rule-set'));
    await ok(officer.get(`/v1/customs/rule-set?version=${DEFAULT_RULE_SET.version}`));
    await ok(officer.post('/v1/customs/tariffs', { ...DEFAULT_TARIFF_SET, version: `oa-${RUN}` }));
    await ok(officer.get('/v1/customs/tariffs'));
    await ok(platform.get('/v1/return-policy'));
    await ok(officer.post('/v1/customs/return-policy', { ...DEFAULT_RETURN_POLICY_SET, version: `oa-${RUN}` }));
    await ok(platform.get('/v1/return-policy'));

    // A party, its trusted-trader status (customs' list of them too), customs' watch-list note, its registration and its access log.
    const partyId = await partyOfPlatformA(g, `OA-${RUN}`);
    for (const user of [PLATFORM, OFFICER, AUDITOR]) await ok(g.as(user).get(`/v1/parties/${partyId}`));
    await ok(officer.post(`/v1/parties/${partyId}/trusted-trader`, { trusted: true, reference: `AEO-${RUN}` }));
    await ok(officer.get(`/v1/parties/${partyId}`));
    await ok(officer.get('/v1/parties/trusted-traders'));
    await ok(officer.get(`/v1/parties/${partyId}/watch-list?purpose=risk_assessment`));
    await ok(officer.post(`/v1/parties/${partyId}/watch-list`, { watchlisted: true, reasonCode: 'OA_CHECK' }));
    await ok(officer.get(`/v1/parties/${partyId}/watch-list?purpose=risk_assessment`));
    await ok(platform.get(`/v1/parties/${partyId}/registrations/PlatformAMSP?purpose=dispute_resolution`));
    await ok(officer.get(`/v1/parties/${partyId}/registrations/PlatformAMSP?purpose=clearance`));
    await ok(g.as('platformb-operator').get(`/v1/parties/${partyId}`));
    // The organisation registry, with a carrier's trusted-operator status set and withdrawn.
    for (const trusted of [true, false]) {
      await ok(officer.post('/v1/organisations/ExpressMSP/trusted-operator', { trusted, reference: `AEOF-${RUN}` }));
    }
    for (const user of [PLATFORM, OFFICER, AUDITOR]) await ok(g.as(user).get('/v1/organisations'));
    await ok(officer.get('/v1/organisations/trusted-operators'));

    // A consignment released, delivered and returned in full: request, shipment, exit, refund, decision.
    const id = `OA-${RUN}-1`;
    const returnId = await releasedWithReturn(g, id);
    const assessment = await ok(
      officer.get<{ revenue: { duty: DutyAssessment } }>(`/v1/customs/assessments/${id}`),
    );
    for (const user of [PLATFORM, OFFICER, AUDITOR, 'post-operator', 'payment-operator']) {
      const as = g.as(user);
      await ok(as.get(`/v1/consignments/${id}`));
      await ok(as.get(`/v1/consignments/${id}/history`));
      await ok(as.get(`/v1/consignments/${id}/history?record=order&limit=1`));
      await ok(as.get(`/v1/consignments/${id}/match`));
      await ok(as.get(`/v1/consignments/${id}/returns`));
      await ok(as.get(`/v1/consignments/${id}/returns/${returnId}`));
      await ok(as.get(`/v1/consignments/${id}/access-log`));
    }
    await ok(post.get(`/v1/consignments/${id}/collection-instruction`));
    await ok(officer.get(`/v1/consignments/${id}/collection-instruction`));
    await ok(post.post(`/v1/consignments/${id}/returns/${returnId}/shipment`, { trackingNumber: `RR${RUN}9RFR` }));
    await ok(post.post(`/v1/consignments/${id}/returns/${returnId}/scan`, { type: 'exited', location: 'FRCDG', country: 'FR' }));
    await ok(
      payment.post(`/v1/consignments/${id}/returns/${returnId}/refund`, {
        refundTransactionId: `RF-${RUN}`,
        amount: 26.4,
        currency: 'EUR',
        refundedAt: new Date().toISOString(),
      }),
    );
    const onReturn = assessedOnReturn(orderPayload('').lines, assessment.revenue.duty.lines, [{ lineNo: 1, quantity: 1 }]);
    await ok(
      officer.post(`/v1/consignments/${id}/returns/${returnId}/decision`, {
        outcome: 'duty_refunded',
        dutyRefund: onReturn.duty,
        vatRefund: onReturn.vat,
        currency: assessment.revenue.duty.currency,
        reasonCodes: ['GOODS_EXITED'],
      }),
    );
    for (const user of [PLATFORM, OFFICER, AUDITOR]) {
      await ok(g.as(user).get(`/v1/consignments/${id}/returns/${returnId}`));
      await ok(g.as(user).get(`/v1/consignments/${id}/history`));
    }

    // Personal data: a purpose-bound read, a disclosure and its verification, the access log.
    await ok(platform.get(`/v1/consignments/${id}/details?record=order&purpose=dispute_resolution`));
    await ok(officer.get(`/v1/consignments/${id}/details?record=payment&purpose=clearance`));
    const disclosed = await ok(
      platform.post<{ disclosure: unknown }>(`/v1/consignments/${id}/disclosures`, {
        record: 'order',
        fields: ['/seller/id', '/lines/0/hsCode'],
        purpose: 'audit',
      }),
    );
    await ok(auditor.post('/v1/verify', disclosed));
    await ok(auditor.post('/v1/verify', { ...(disclosed as object), txId: '0'.repeat(64) }));

    // A mismatch: referred, answered, the answer read; the queue and the reconciliation.
    const referred = `OA-${RUN}-2`;
    await parcelToFrance(g, referred, 40);
    await assessmentWithDeclaration(g, referred);
    // Collected at checkout under a collection number: a reconciliation row, nothing for the carrier.
    await ok(
      platform.post(`/v1/consignments/${referred}/declaration`, {
        ...declarationPayload(),
        vatCollectionNumber: 'IM2500000042',
      }),
    );
    await ok(officer.post(`/v1/consignments/${referred}/assessment`, undefined));
    await ok(post.get(`/v1/consignments/${referred}/collection-instruction`));
    await ok(officer.post(`/v1/consignments/${referred}/decision`, { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] }));
    const answer = await ok(
      platform.post<{ txId: string }>(`/v1/consignments/${referred}/referral-answer`, {
        message: 'Partial refund before capture; invoice sent.',
        documents: [{ type: 'invoice', reference: `INV-${RUN}` }],
      }),
    );
    await ok(officer.get(`/v1/consignments/${referred}/referral-answers/${answer.txId}?purpose=risk_assessment`));
    await ok(officer.get(`/v1/customs/assessments/${referred}`));
    for (const user of [PLATFORM, OFFICER, AUDITOR]) {
      await ok(g.as(user).get(`/v1/consignments/${referred}`));
      await ok(g.as(user).get(`/v1/consignments/${referred}/match`));
      await ok(g.as(user).get(`/v1/consignments/${referred}/history`));
    }
    await ok(officer.get('/v1/customs/queue'));
    await ok(officer.get('/v1/customs/queue?includeClosed=true&limit=5'));
    await ok(platform.post('/v1/remittances', { period: '2026-11', currency: 'EUR', amount: 8.8, reference: `R-${RUN}` }));
    await ok(platform.get('/v1/remittances'));
    await ok(officer.get('/v1/remittances?period=2026-11'));
    await ok(officer.get('/v1/customs/reconciliation'));

    // A batch, applied in part.
    const batched = `OA-${RUN}-3`;
    await ok(
      platform.post('/v1/batch', {
        operations: [
          { op: 'create', consignmentId: batched, body: { orderNumber: `ORD-${batched}`, originCountry: 'CN', destinationCountry: 'FR' } },
          { op: 'order', consignmentId: batched, body: orderPayload(`ORD-${batched}`) },
          { op: 'movement', consignmentId: batched, body: { type: 'dispatched', location: 'CNSHA' } },
        ],
      }),
    );

    // Erasure, on the data subject's request: from the delivered consignment, and the registration.
    const erasedFrom = `OA-${RUN}-4`;
    await releasedWithReturn(g, erasedFrom);
    await ok(platform.post(`/v1/consignments/${erasedFrom}/erasure`, { reason: 'erasure_request', partyId: orderPayload('').buyer.id }));
    await ok(platform.post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' }));
    for (const user of [PLATFORM, OFFICER, AUDITOR]) {
      await ok(g.as(user).get(`/v1/consignments/${erasedFrom}`));
      await ok(g.as(user).get(`/v1/consignments/${erasedFrom}/history`));
      await ok(g.as(user).get(`/v1/consignments/${erasedFrom}/access-log`));
      await ok(g.as(user).get(`/v1/parties/${partyId}`));
      await ok(g.as(user).get(`/v1/parties/${partyId}/access-log`));
    }
    await ok(officer.get(`/v1/consignments/${erasedFrom}/details?record=payment&purpose=clearance`));

    // The gateway's audit log.
    const head = await ok(auditor.get<{ treeSize: number }>('/v1/audit/tree-head'));
    await ok(auditor.get('/v1/audit/entries?limit=3'));
    await ok(auditor.get('/v1/audit/entries/0'));
    await ok(auditor.get(`/v1/audit/proofs/inclusion?index=1&treeSize=${head.treeSize}`));
    await ok(auditor.get(`/v1/audit/proofs/consistency?from=1&to=${head.treeSize}`));
    await ok(auditor.get('/v1/audit/anchors'));
    await ok(auditor.get('/v1/audit/anchors/latest'));

    expect(mismatches).toEqual([]);
  }); // prettier-ignore

  it('was seen for every documented JSON operation', () => {
    const documented = operations.filter((o) => o.validators.size > 0).map((o) => o.key);
    expect(documented.filter((key) => !validated.has(key))).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('documents every 2xx JSON body with its properties, but the free-form ones', () => {
    const bare = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([status, response]) => status.startsWith('2') && response.content?.['application/json'])
          .filter(([, response]) => isFreeForm(response.content!['application/json']!.schema))
          .map(() => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect(bare.filter((key) => !FREE_FORM.has(key))).toEqual([]);
  });
});
