/**
 * Hostile input against every operation the gateway documents: for each path and method of
 * /openapi.json, fast-check sends path parameters, query strings and bodies derived from the
 * operation's own schemas and then bent (wrong types, missing and unknown fields, boundary and
 * huge values, unicode, prototype keys, deep nesting, malformed JSON, wrong content types), as
 * every kind of caller, against objects that do not exist and against real ones in late states (a
 * consignment released, delivered and under return; one just created; a party). Whatever
 * comes in: never a 5xx, a refusal is problem+json without a stack trace or an internal path, and
 * a refused request commits nothing (the count of committed ledger submissions does not move).
 * A failure prints fast-check's seed and the shrunk request; FUZZ_SEED=<seed> replays it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedSubmissions, partyOfPlatformA, releasedWithReturn, settled } from '../security/support.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
};
interface Operation {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly pathParams: string[];
  readonly query: Record<string, Schema>;
  readonly body?: Schema;
  /** The statuses its document lists. */
  readonly documented: ReadonlySet<number>;
}
interface Request {
  readonly user: string;
  readonly path: string;
  readonly query: string;
  readonly idempotencyKey: string | null;
  /** contentType '' sends no Content-Type header at all. */
  readonly body?: { readonly contentType: string; readonly text: string };
}

const RUNS_PER_OPERATION = 30;
let t: TestGateway;
let operations: Operation[];
let components: Record<string, Schema>;
let users: string[];
/** Real values for path parameters, by parameter name: requests then reach the ledger's own rules. */
let known: Record<string, string[]>;
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

beforeAll(async () => {
  // No anchoring and no rate limit: the only ledger writes are those the fuzzed requests cause.
  t = await startTestGateway({
    AUDIT_ANCHOR_EVERY: '1000000000',
    AUDIT_ANCHOR_SECONDS: '86400',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const doc = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { in: string; name: string; schema: Schema }[];
          requestBody?: { content: Record<string, { schema: Schema }> };
          responses: Record<string, unknown>;
        }
      >
    >;
    components?: { schemas?: Record<string, Schema> };
  };
  components = doc.components?.schemas ?? {};
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method as 'get' | 'post',
      path,
      pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
      query: Object.fromEntries(
        (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
      ),
      body: op.requestBody?.content['application/json']?.schema,
      documented: new Set(Object.keys(op.responses).map(Number)),
    })),
  );
  users = [...t.gateway.credentials.map((c) => c.user), '(none)', '(bad key)'];
  known = await realObjects();
}, 60_000);

/** FUZZ-1 released, delivered and with a return requested; FUZZ-2 just created; a party. */
async function realObjects(): Promise<Record<string, string[]>> {
  const returnId = await releasedWithReturn(t, 'FUZZ-1');
  const second = await t.as('platforma-operator').post('/v1/consignments', {
    consignmentId: 'FUZZ-2',
    orderNumber: 'ORD-FUZZ-2',
    originCountry: 'CN',
    destinationCountry: 'DE',
  });
  expect(second.status, second.text).toBe(201);
  const partyId = await partyOfPlatformA(t, 'FUZZ-P-1');
  await settled(t);
  return { id: ['FUZZ-1', 'FUZZ-2', partyId], returnId: [returnId], index: ['0', '1'] };
}

afterAll(async () => {
  await t?.close();
});

const resolve = (schema: Schema): Schema =>
  schema.$ref ? resolve(components[schema.$ref.split('/').pop()!] ?? {}) : schema;

const STRANGE_STRINGS = ['', ' ', '..', '../../etc/passwd', '%00', '\u0000', '__proto__', 'constructor', '<script>alert(1)</script>', "' OR 1=1 --", '💥'.repeat(40), 'a'.repeat(5000), 'CN-1', '1e309', '-0', 'null', 'true']; // prettier-ignore
const strange = fc.oneof(fc.constantFrom(...STRANGE_STRINGS), fc.string({ unit: 'grapheme', maxLength: 40 }));
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1e21, Number.MAX_SAFE_INTEGER + 2, 0.001, -0.005),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A value for a schema: mostly of its type (possibly out of its bounds), sometimes of any other. */
function valueOf(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valueOf(a, depth)));
  if (s.allOf) return valueOf(Object.assign({}, ...s.allOf.map(resolve)), depth);
  const wrong = fc.oneof(
    strange,
    number,
    fc.boolean(),
    fc.constant(null),
    depth < 2 ? anyJson : fc.constant([]),
  );
  let typed: fc.Arbitrary<unknown>;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (s.enum) typed = fc.oneof(fc.constantFrom(...s.enum), strange);
  else if (type === 'string') typed = strange;
  else if (type === 'number' || type === 'integer') typed = number;
  else if (type === 'boolean') typed = fc.boolean();
  else if (type === 'array')
    typed = depth < 3 ? fc.array(valueOf(s.items ?? {}, depth + 1), { maxLength: 4 }) : fc.constant([]);
  else if (type === 'object' || s.properties) typed = depth < 3 ? objectOf(s, depth + 1) : fc.constant({});
  else typed = anyJson;
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: wrong });
}

/** An object with some of its properties (required ones dropped at times) and at times an unknown or prototype key. */
function objectOf(s: Schema, depth: number): fc.Arbitrary<unknown> {
  const props = Object.entries(s.properties ?? {});
  return fc
    .tuple(
      fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueOf(v, depth)])), { requiredKeys: [] }),
      fc.option(
        fc.tuple(
          fc.constantFrom('__proto__', 'constructor', 'extra', 'status', 'txId', 'createdBy'),
          anyJson,
        ),
      ),
    )
    .map(([object, extra]) => {
      if (!extra) return object;
      // An own property, so that JSON.stringify sends even '__proto__' as a key.
      Object.defineProperty(object, extra[0], {
        value: extra[1],
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return object;
    });
}

/** A deeply nested array, to probe recursion limits of parsers and validators. */
const deep = fc.integer({ min: 50, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n));

/** Content types a JSON route must refuse ('' sends none; a JSON type in another charset too). */
const NOT_JSON = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', '']; // prettier-ignore

/** Header values must be printable ASCII to be sent at all; some are well-formed keys, reused across runs. */
const idempotencyKey = fc.option(
  fc.oneof(
    fc.constantFrom('fuzz-key-0001', 'fuzz-key-0002'),
    fc.string({ unit: 'binary-ascii', maxLength: 140 }).map((s) => s.replace(/[^\x21-\x7e]/g, '')),
  ),
);

function requestFor(op: Operation): fc.Arbitrary<Request> {
  const params = fc.tuple(
    ...op.pathParams.map((name) =>
      known[name] ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known[name]) }, strange) : strange,
    ),
  );
  const query = fc.record(Object.fromEntries(Object.entries(op.query).map(([k, v]) => [k, valueOf(v)])), {
    requiredKeys: [],
  });
  // Unknown, repeated (an array to the parser) and bracketed parameters.
  const extraQuery = fc.oneof(
    { weight: 4, arbitrary: fc.constant([]) },
    fc.array(
      fc.tuple(
        fc.constantFrom(...Object.keys(op.query), 'extra', '__proto__', 'constructor', 'a[b]', 'limit[]'),
        strange,
      ),
      { minLength: 1, maxLength: 2 },
    ),
  );
  const body: fc.Arbitrary<Request['body']> = op.body
    ? fc.oneof(
        {
          weight: 6,
          arbitrary: valueOf(op.body).map((v) => ({
            contentType: 'application/json',
            text: JSON.stringify(v) ?? 'null',
          })),
        },
        {
          weight: 1,
          arbitrary: fc
            .string({ maxLength: 60 })
            .map((text) => ({ contentType: 'application/json', text: `{${text}` })),
        },
        { weight: 1, arbitrary: deep.map((text) => ({ contentType: 'application/json', text })) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(...NOT_JSON), anyJson)
            .map(([contentType, v]) => ({ contentType, text: JSON.stringify(v) })),
        },
      )
    : fc.constant(undefined);
  return fc
    .record({ user: fc.constantFrom(...users), params, query, extraQuery, idempotencyKey, body })
    .map(({ user, params: values, query: q, extraQuery: extra, idempotencyKey: key, body: b }) => {
      let path = op.path;
      op.pathParams.forEach(
        (name, i) => (path = path.replace(`{${name}}`, encodeURIComponent(String(values[i])))),
      );
      const search = new URLSearchParams(
        Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );
      for (const [k, v] of extra) search.append(k, v);
      return { user, path, query: search.toString(), idempotencyKey: key, body: b };
    });
}

async function send(
  op: Operation,
  r: Request,
): Promise<{ status: number; contentType: string; text: string }> {
  const headers: Record<string, string> = {};
  if (r.user === '(bad key)') headers.Authorization = 'Bearer not-a-key';
  else if (r.user !== '(none)') {
    headers.Authorization = `Bearer ${t.gateway.credentials.find((c) => c.user === r.user)!.apiKey}`;
  }
  if (r.body?.contentType) headers['Content-Type'] = r.body.contentType;
  if (r.idempotencyKey !== null) headers['Idempotency-Key'] = r.idempotencyKey;
  const controller = new AbortController();
  const url = `${t.gateway.url}${r.path}${r.query ? `?${r.query}` : ''}`;
  const response = await fetch(url, {
    method: op.method.toUpperCase(),
    headers,
    // A Blob without a type: fetch would otherwise add text/plain to a body with no Content-Type.
    body: r.body && new Blob([r.body.text]),
    signal: controller.signal,
  });
  // The event stream stays open on success: its status and headers are the answer.
  if (op.path === '/v1/events' && response.status === 200) {
    controller.abort();
    return { status: 200, contentType: response.headers.get('content-type') ?? '', text: '' };
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

const STACK = /\n\s+at |node_modules|\.ts:\d+|\/work\/|\/gateway\/src\//;

describe('every documented operation, fuzzed from its schema', () => {
  it('is documented (the fuzzer has something to go through)', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it('answers no 5xx, refuses with problem+json and no internals, and a refusal commits nothing', async () => {
    const seen = new Map<string, Set<number>>();
    // Read once per request: the count after one request is the count before the next.
    let committed = await committedSubmissions(t);
    for (const op of operations) {
      const statuses = new Set<number>();
      seen.set(`${op.method.toUpperCase()} ${op.path}`, statuses);
      await fc.assert(
        fc.asyncProperty(requestFor(op), async (r) => {
          const res = await send(op, r);
          const before = committed;
          committed = await committedSubmissions(t);
          statuses.add(res.status);
          // A client generated from the document knows every answer it may get.
          expect(op.documented, `${op.method} ${op.path} answered an undocumented ${res.status}`).toContain(
            res.status,
          );
          expect(
            res.status,
            `${op.method} ${r.path}?${r.query} as ${r.user}: ${res.text.slice(0, 300)}`,
          ).toBeLessThan(500);
          expect(res.text).not.toMatch(STACK);
          if (res.status >= 400) {
            expect(res.contentType).toContain('application/problem+json');
            expect(committed, `${op.method} ${r.path} committed although refused`).toBe(before);
          } else if (op.method !== 'get') {
            // An accepted write may set customs' pipeline going: let it finish before the next
            // request is measured.
            await settled(t, 100);
            committed = await committedSubmissions(t);
          }
        }),
        { numRuns: RUNS_PER_OPERATION, seed: SEED },
      );
    }
    // Not only refusals at the door: the fuzz reached validation and the ledger's own refusals.
    const all = new Set([...seen.values()].flatMap((s) => [...s]));
    expect([...all].some((s) => s === 400)).toBe(true);
    expect([...all].some((s) => s === 401)).toBe(true);
    expect([...all].some((s) => s === 403 || s === 404)).toBe(true);
  }, 240_000);
});
