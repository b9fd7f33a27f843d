/**
 * OWASP API10:2023 Unsafe Consumption of APIs: what comes back from the ledger (values other
 * organisations wrote, chaincode messages) is treated as data: always JSON-encoded with a JSON
 * content type and nosniff, never interpreted as markup or headers, and event data is one JSON
 * line per event, so a value cannot inject events into the stream. Personal data whose stored copy
 * no longer matches the commitment its block holds is not handed out at all.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { readSse } from '../support/sse.js';
import { orderPayload } from '../support/payloads.js';

// One line: line breaks, which could add header lines or events, are refused in one line of text.
const HOSTILE = '</script><script>alert(1)</script> event: fake data: {"x":1}';
let t: TestGateway;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'api10-'));
  t = await startTestGateway({}, dataDir);
  const platform = t.as('platforma-operator');
  expect(
    (
      await platform.post('/v1/consignments', {
        consignmentId: 'UC-1',
        orderNumber: 'ORD-UC-1',
        originCountry: 'CN',
        destinationCountry: 'FR',
      })
    ).status,
  ).toBe(201);
  const order = orderPayload('ORD-UC-1');
  const lines = (order.lines as Record<string, unknown>[]).map((l) => ({ ...l, description: HOSTILE }));
  const res = await platform.post('/v1/consignments/UC-1/order', { ...order, lines });
  expect(res.status, res.text).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('ledger data on the way out', () => {
  it('a value another organisation wrote comes back JSON-encoded, as JSON, with nosniff', async () => {
    const res = await fetch(
      `${t.gateway.url}/v1/consignments/UC-1/details?record=order&purpose=risk_assessment`,
      {
        headers: {
          Authorization: `Bearer ${t.gateway.credentials.find((c) => c.user === 'customs-officer')!.apiKey}`,
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const text = await res.text();
    expect(text).not.toContain('</script><script>');
    expect(
      (JSON.parse(text) as { payload: { lines: { description: string }[] } }).payload.lines[0]!.description,
    ).toBe(HOSTILE);
  });

  it('a value with line breaks is not taken as one line of text', async () => {
    const order = orderPayload('ORD-UC-2');
    const lines = (order.lines as Record<string, unknown>[]).map((l) => ({
      ...l,
      description: 'Shirt\r\n\r\nevent: fake\ndata: {"x":1}',
    }));
    const res = await t.as('platforma-operator').post('/v1/consignments/UC-1/order', { ...order, lines });
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain('must not contain U+000D');
  });

  it('a chaincode refusal comes back as a problem document, not raw text', async () => {
    const res = await t
      .as('platforma-operator')
      .post('/v1/consignments/UC-1/order', orderPayload('ORD-OTHER'));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 422,
      detail: "order payload orderNumber 'ORD-OTHER' does not match the orderNumber of consignment UC-1",
    });
  });

  it('each event is one id, one event name and one JSON data line', async () => {
    const events = await readSse(t, 'customs-officer', 2);
    expect(events.length).toBe(2);
    for (const e of events) {
      expect(e.id).toMatch(/^\d+:[0-9a-f]{64}(:\d+)?$/);
      expect(e.event).toMatch(/^[A-Za-z]+$/);
      expect(JSON.stringify(e.data)).not.toContain('alert(1)');
    }
  });
});

describe('personal data whose stored copy no longer matches its commitment', () => {
  let answerTxId: string;
  /** The gateway's log lines once restarted on the altered store. */
  const logged: string[] = [];

  beforeAll(async () => {
    const refer = await t
      .as('customs-officer')
      .post('/v1/consignments/UC-1/decision', { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] });
    expect(refer.status, refer.text).toBe(201);
    const answer = await t
      .as('platforma-operator')
      .post<{ txId: string }>('/v1/consignments/UC-1/referral-answer', { message: `As ordered: ${HOSTILE}` });
    expect(answer.status, answer.text).toBe(201);
    answerTxId = answer.body.txId;
    await t.close();
    // What an insider, or a damaged disk, could do: the order's private copies change, and neither
    // the block nor the public commitment does.
    const store = await LedgerStore.openExisting(join(dataDir, 'ledger'));
    let altered = 0;
    for await (const [key, value] of store.privateData.iterator()) {
      const text = Buffer.from(value).toString('utf8');
      if (!text.includes('alert(1)')) continue;
      await store.privateData.put(key, Buffer.from(text.replaceAll('alert(1)', 'alert(2)'), 'utf8'));
      altered += 1;
    }
    await store.close();
    expect(altered).toBeGreaterThan(0);
    t = await startTestGateway(
      {},
      dataDir,
      pino({ level: 'error' }, { write: (line: string) => void logged.push(line) }),
    );
  });

  it('a read answers a documented 500 naming the record, and hands out nothing', async () => {
    const res = await t
      .as('customs-officer')
      .get('/v1/consignments/UC-1/details?record=order&purpose=risk_assessment');
    expect(res.status, res.text).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      detail: 'private data of the order record of consignment UC-1 does not match its committed root',
    });
    expect(res.text).not.toContain('alert(');
    // For the operator, who must look: the record, at error, with the request's id.
    const requestId = res.headers.get('x-request-id');
    expect(
      logged.map((line) => JSON.parse(line) as { level: number; msg: string; requestId?: string }),
    ).toContainEqual(
      expect.objectContaining({
        level: 50,
        requestId,
        msg: 'private data of the order record of consignment UC-1 does not match its committed root',
      }),
    );
    const openapi = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(openapi.paths['/v1/consignments/{id}/details']!.get!.responses)).toContain('500');
  });

  it('so does a referral answer’s read', async () => {
    const res = await t
      .as('customs-officer')
      .get(`/v1/consignments/UC-1/referral-answers/${answerTxId}?purpose=risk_assessment`);
    expect(res.status, res.text).toBe(500);
    expect(res.body).toMatchObject({
      detail: `private data of the referral answer of consignment UC-1 by PlatformAMSP (transaction ${answerTxId}) does not match its committed root`,
    });
    expect(res.text).not.toContain('alert(');
  });

  it('so does a disclosure of its fields', async () => {
    const res = await t.as('platforma-operator').post('/v1/consignments/UC-1/disclosures', {
      record: 'order',
      fields: ['/lines/0/description'],
      purpose: 'audit',
    });
    expect(res.status, res.text).toBe(500);
    expect(res.text).not.toContain('alert(');
  });
});
