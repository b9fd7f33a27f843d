/**
 * OWASP API4:2023 Unrestricted Resource Consumption: bodies are capped (413), each caller is
 * rate limited (429 with Retry-After), and so is each client address for requests without valid
 * credentials, before they reach the audit log; pages and batches have upper bounds (400 past them);
 * each user's open event streams are bounded (429 past them); a consignment's history is read by
 * pages of at most 500 entries, and none of its records takes more than 100 versions (422 past them).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_LIMIT, MAX_RECORD_VERSIONS } from '@customs-ledger/chaincode';
import { client, startTestGateway, type ApiResponse, type TestGateway } from '../support/gateway.js';
import { createPayload, orderPayload, testKeys } from '../support/payloads.js';
import { expectProblem } from './support.js';

const PER_MINUTE = 40;
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ BODY_LIMIT: '64kb', RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) });
});
afterAll(async () => {
  await t?.close();
});

describe('resource limits', () => {
  it('refuses a body over the limit with 413', async () => {
    const big = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: 'BIG',
      originCountry: 'CN',
      destinationCountry: 'FR',
      pad: 'x'.repeat(70_000),
    });
    expectProblem(big, 413);
  });

  it('bounds pages and batches', async () => {
    expectProblem(await t.as('customs-officer').get('/v1/customs/queue?limit=201'), 400, /limit/);
    expectProblem(await t.as('auditor').get('/v1/audit/entries?from=0&limit=100000'), 400, /limit/);
    // Numbers in a query are decimal digits: an empty value, hex or an exponent is not 0, 1 or 100.
    for (const query of ['limit=', 'offset=0x1', 'limit=1e2', 'minAgeHours=%20']) {
      expectProblem(
        await t.as('customs-officer').get(`/v1/customs/queue?${query}`),
        400,
        /must be a decimal/,
      );
    }
    expect((await t.as('customs-officer').get('/v1/customs/queue?limit=5&minAgeHours=0.5')).status).toBe(200);
    expectProblem(await t.as('auditor').get('/v1/events?startBlock=1e0'), 400, /must be a decimal integer/);
    const operations = Array.from({ length: 501 }, (_, i) => ({
      op: 'create',
      consignmentId: `B-${i}`,
      body: { originCountry: 'CN', destinationCountry: 'FR' },
    }));
    expectProblem(await t.as('post-operator').post('/v1/batch', { operations }), 400, /operations/);
  });

  it('refuses a body nested deeper than 64 levels with 400, before anything walks it', async () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    // Fields that take any JSON, under an Idempotency-Key, whose canonical hash recursed: 500 at depth 10,000.
    const batch = `{"operations":[{"op":"create","consignmentId":"DEEP-1","body":{"a":${nested(20_000)}}}]}`;
    const verify = `{"consignmentId":"DEEP-2","record":"order","disclosure":{"root":"${'a'.repeat(64)}","leafCount":1,"fields":[{"path":"/goodsValue","value":${nested(20_000)},"salt":"00","index":0,"hash":"${'a'.repeat(64)}","proof":[]}]}}`;
    for (const [path, body] of [
      ['/v1/batch', batch],
      ['/v1/verify', verify],
    ]) {
      const res = await t
        .as('post-operator')
        .post(path!, body, { 'Idempotency-Key': `deep-${randomBytes(6).toString('hex')}` });
      expectProblem(res, 400, 'request body nests arrays and objects deeper than 64 levels');
    }
    // At 64 levels the body goes on to validation, which names what the create lacks.
    const atBound = `{"operations":[{"op":"create","consignmentId":"DEEP-3","body":{"a":${nested(60)}}}]}`;
    const res = await t.as('post-operator').post('/v1/batch', atBound, {
      'Idempotency-Key': `deep-${randomBytes(6).toString('hex')}`,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('/body/originCountry');
  });

  it('limits each caller’s requests per minute, with Retry-After, and not the others', async () => {
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < PER_MINUTE + 5; i++) {
      const res = await t.as('express-operator').get('/v1/consignments/NONE-1');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expectProblem(limited!, 429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another caller is not held back by the first one's volume.
    expect((await t.as('payment-operator').get('/v1/consignments/NONE-1')).status).toBe(404);
  });
});

describe('requests without valid credentials', () => {
  const LIMIT = 5;
  let g: TestGateway;

  beforeAll(async () => {
    g = await startTestGateway({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  });
  afterAll(async () => {
    await g?.close();
  });

  const KINDS = ['unknown key', 'no header', 'other scheme', 'forged JWT'] as const;
  /**
   * The i-th of a flood from this test's one address, cycling through the kinds of bad credentials,
   * each with another forged X-Forwarded-For: a fresh value must not buy a fresh budget.
   */
  function unauthenticated(i: number): Promise<ApiResponse> {
    const authorization = {
      'unknown key': `Bearer clk_${randomBytes(32).toString('base64url')}`,
      'no header': undefined,
      'other scheme': 'Basic dXNlcjpwYXNz',
      'forged JWT': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
    }[KINDS[i % KINDS.length]!];
    return client(g.gateway.url).get('/v1/consignments/NONE-1', {
      ...(authorization === undefined ? {} : { Authorization: authorization }),
      'X-Forwarded-For': `203.0.113.${i % 256}`,
    });
  }

  async function flood(count: number): Promise<ApiResponse[]> {
    const responses: ApiResponse[] = [];
    for (let i = 0; i < count; i++) responses.push(await unauthenticated(i));
    return responses;
  }

  /** Whatever earlier tests left of this address's budget, spends it and gives the first 429. */
  async function holdBackThisAddress(): Promise<ApiResponse> {
    const responses = await flood(LIMIT + 1);
    const limited = responses.find((res) => res.status === 429);
    expect(limited, `statuses ${responses.map((res) => res.status).join(',')}`).toBeDefined();
    return limited!;
  }

  // Each call is itself appended to the audit log once answered; the route first waits for the
  // appends already requested, so its size counts every request answered before it.
  const auditTreeSize = async (): Promise<number> => {
    const head = await g.as('auditor').get<{ treeSize: number }>('/v1/audit/tree-head');
    expect(head.status, head.text).toBe(200);
    return head.body.treeSize;
  };

  it('are limited per client address with 429 problem+json and Retry-After, and past the limit no longer grow the audit log', async () => {
    const before = await auditTreeSize();
    const responses = await flood(LIMIT + 10);
    expect(responses.map((res) => res.status)).toEqual([
      ...Array<number>(LIMIT).fill(401),
      ...Array<number>(10).fill(429),
    ]);
    for (const limited of responses.slice(LIMIT)) {
      expectProblem(limited, 429, /rate limit of 5 requests per minute exceeded/);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.text).not.toMatch(/clk_|Basic|eyJ/);
    }
    // The 401s within the budget are recorded (and the first tree-head call); the 429s are not.
    const afterFlood = await auditTreeSize();
    expect(afterFlood).toBe(before + 1 + LIMIT);
    expect((await flood(20)).every((res) => res.status === 429)).toBe(true);
    expect(await auditTreeSize()).toBe(afterFlood + 1);
  });

  it('leave a user with good credentials at the same address to its own budget', async () => {
    await holdBackThisAddress();
    const operator = g.as('express-operator');
    const first = await operator.get('/v1/consignments/NONE-1');
    expectProblem(first, 404);
    expect(first.headers.get('ratelimit')).toMatch(new RegExp(`limit=${LIMIT}, remaining=${LIMIT - 1}\\b`));
    const statuses = [first.status];
    for (let i = 1; i <= LIMIT; i++) statuses.push((await operator.get('/v1/consignments/NONE-1')).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(404), 429]);
  });

  it('leave the probes, metrics and docs answering to a held-back address', async () => {
    await holdBackThisAddress();
    const anonymous = client(g.gateway.url);
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      const res = await anonymous.get(path);
      expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBe(200);
    }
    await expect(g.metrics()).resolves.toContain('http_requests_total');
  });
});

describe('requests without valid credentials behind a trusted proxy (TRUST_PROXY)', () => {
  const LIMIT = 3;
  let g: TestGateway;

  beforeAll(async () => {
    // The test client connects over loopback: it plays the proxy.
    g = await startTestGateway({ RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: 'loopback' });
  });
  afterAll(async () => {
    await g?.close();
  });

  const from = (address: string): Promise<ApiResponse> =>
    client(g.gateway.url).get('/v1/consignments/NONE-1', { 'X-Forwarded-For': address });

  it('are limited per client address the proxy forwards, not as one client', async () => {
    const first: number[] = [];
    for (let i = 0; i <= LIMIT; i++) first.push((await from('203.0.113.10')).status);
    expect(first).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    expect((await from('203.0.113.11')).status).toBe(401);
    // A client cannot slip past by adding its own X-Forwarded-For: the proxy appends the address it
    // saw, and the nearest untrusted address is the client's.
    expect((await from('198.51.100.1, 203.0.113.10')).status).toBe(429);
  });
});

describe('event streams', () => {
  const STREAMS = 3;
  let g: TestGateway;
  const streams: AbortController[] = [];

  beforeAll(async () => {
    g = await startTestGateway({ EVENT_STREAMS_PER_USER: String(STREAMS) });
  });
  afterAll(async () => {
    for (const stream of streams) stream.abort();
    await g?.close();
  });

  /** Opens /v1/events as the user from block 0 and leaves it open; the answer's status and headers. */
  async function openStream(user: string): Promise<Response> {
    const controller = new AbortController();
    streams.push(controller);
    const key = g.gateway.credentials.find((c) => c.user === user)!.apiKey;
    return fetch(`${g.gateway.url}/v1/events?startBlock=0`, {
      headers: { Authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
  }

  it('are limited per user (429 with Retry-After), not for the others, and a closed one frees its place', async () => {
    const open = await Promise.all(Array.from({ length: STREAMS }, () => openStream('platformb-operator')));
    expect(open.map((r) => r.status)).toEqual(Array(STREAMS).fill(200));
    const refused = await openStream('platformb-operator');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expectProblem(
      {
        status: refused.status,
        headers: refused.headers,
        body: JSON.parse(await refused.text()),
        text: '',
      },
      429,
      `PlatformBMSP/platformb-operator has ${STREAMS} event streams open, as many as one user may (EVENT_STREAMS_PER_USER): close one first`,
    );
    // Another user of the same organisation has streams of its own.
    expect((await openStream('platforma-operator')).status).toBe(200);
    // A stream refused once it had taken its place (a malformed Last-Event-ID) gives it back.
    const key = g.gateway.credentials.find((c) => c.user === 'platforma-operator')!.apiKey;
    for (let i = 0; i < STREAMS; i++) {
      const malformed = await fetch(`${g.gateway.url}/v1/events`, {
        headers: { Authorization: `Bearer ${key}`, 'Last-Event-ID': 'not-an-event-id' },
      });
      expect(malformed.status).toBe(400);
    }
    expect((await openStream('platforma-operator')).status).toBe(200);
    streams[0]!.abort();
    await expect.poll(async () => (await openStream('platformb-operator')).status).toBe(200);
  });
});

describe("a consignment's history", () => {
  // A probe corrected one record 3,000 times: the history was a 1.5 MB answer, made whole by the
  // chaincode on every read, by every participant, customs and auditors too.
  const id = `HIST-${randomBytes(3).toString('hex').toUpperCase()}`;
  let g: TestGateway;

  beforeAll(async () => {
    g = await startTestGateway();
    const created = await g.as('platforma-operator').post('/v1/consignments', createPayload(id));
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await g?.close();
  });

  it(`takes at most ${MAX_RECORD_VERSIONS} versions of a record: the next correction is 422 naming the limit, and changes nothing`, async () => {
    const { orderNumber } = testKeys(id);
    for (let v = 1; v <= MAX_RECORD_VERSIONS; v++) {
      const res = await g
        .as('platforma-operator')
        .post(`/v1/consignments/${id}/order`, orderPayload(orderNumber, { goodsValue: 10 + v }));
      expect(res.status, res.text).toBe(201);
    }
    const view = async () => (await g.as('platforma-operator').get(`/v1/consignments/${id}`)).text;
    const history = async () => (await g.as('auditor').get(`/v1/consignments/${id}/history?limit=500`)).text;
    const [viewBefore, historyBefore] = [await view(), await history()];
    const refused = await g
      .as('platforma-operator')
      .post(`/v1/consignments/${id}/order`, orderPayload(orderNumber, { goodsValue: 9 }));
    expectProblem(
      refused,
      422,
      `the order record of consignment ${id} has ${MAX_RECORD_VERSIONS} versions, the most a record may have (${MAX_RECORD_VERSIONS}); it takes no further correction`,
    );
    expect(await view()).toBe(viewBefore);
    expect(await history()).toBe(historyBefore);
    const versions = await g
      .as('auditor')
      .get<{ entries: { detail: { version: number } }[]; hasMore: boolean }>(
        `/v1/consignments/${id}/history?record=order`,
      );
    expect(versions.body.entries.map((e) => e.detail.version).at(-1)).toBe(MAX_RECORD_VERSIONS);
    expect(versions.body.hasMore).toBe(false);
  });

  it(`is read by pages: ${PAGE_LIMIT.default} entries unless asked, at most ${PAGE_LIMIT.max}`, async () => {
    const first = await g
      .as('customs-officer')
      .get<{ entries: unknown[]; hasMore: boolean; next: string }>(`/v1/consignments/${id}/history`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.entries).toHaveLength(PAGE_LIMIT.default);
    expect(first.body.hasMore).toBe(true);
    // The creation and a hundred versions: what the first page left is one more page.
    const rest = await g
      .as('customs-officer')
      .get<{ entries: unknown[]; hasMore: boolean }>(
        `/v1/consignments/${id}/history?after=${first.body.next}`,
      );
    expect(rest.body.entries).toHaveLength(MAX_RECORD_VERSIONS + 1 - PAGE_LIMIT.default);
    expect(rest.body.hasMore).toBe(false);
    expectProblem(
      await g.as('customs-officer').get(`/v1/consignments/${id}/history?limit=${PAGE_LIMIT.max + 1}`),
      400,
      /limit/,
    );
  });
});
