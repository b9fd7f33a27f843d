/**
 * OWASP API6:2023 Unrestricted Access to Sensitive Business Flows: a replayed write is answered
 * from the first response and commits nothing more; a key reused for another request is refused;
 * a consignment, an order number or more returned goods than were ordered cannot be recorded; a
 * client cannot choose or replay a transaction id (the ledger refuses a duplicate one below HTTP:
 * test/embedded/fidelity.test.ts 3i); and customs' release cannot be invoked by a trader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { committedSubmissions, expectProblem, releasedWithReturn, settled } from './support.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
  await settled(t);
});
afterAll(async () => {
  await t?.close();
});

describe('replays and duplicates', () => {
  it('replays the first response for the same key and body, with no second transaction', async () => {
    const platform = t.as('platforma-operator');
    const body = { consignmentId: 'IDEM-1', originCountry: 'CN', destinationCountry: 'FR' };
    const first = await platform.post('/v1/consignments', body, { 'Idempotency-Key': 'idem-key-0001' });
    expect(first.status, first.text).toBe(201);
    const committed = await committedSubmissions(t);
    const again = await platform.post('/v1/consignments', body, { 'Idempotency-Key': 'idem-key-0001' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-transaction-id')).toBe(first.headers.get('x-transaction-id'));
    expect(again.body).toEqual(first.body);
    expect(await committedSubmissions(t)).toBe(committed);
    const other = await platform.post(
      '/v1/consignments',
      { ...body, destinationCountry: 'DE' },
      { 'Idempotency-Key': 'idem-key-0001' },
    );
    expectProblem(other, 422, /different request/);
  });

  it('keys are per user: another user’s identical key is its own request', async () => {
    const body = { consignmentId: 'IDEM-OTHER', originCountry: 'CN', destinationCountry: 'FR' };
    const res = await t
      .as('platformb-operator')
      .post('/v1/consignments', body, { 'Idempotency-Key': 'idem-key-0001' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses a duplicate consignment and a reused order number', async () => {
    const platform = t.as('platforma-operator');
    const body = {
      consignmentId: 'DUP-1',
      orderNumber: 'ORD-DUP',
      originCountry: 'CN',
      destinationCountry: 'FR',
    };
    expect((await platform.post('/v1/consignments', body)).status).toBe(201);
    expectProblem(await platform.post('/v1/consignments', body), 409, /already exists/);
    expectProblem(
      await platform.post('/v1/consignments', { ...body, consignmentId: 'DUP-2' }),
      409,
      /order number ORD-DUP of PlatformAMSP is already used by consignment DUP-1/,
    );
  });

  it('answers the same consignment created at once by several organisations: one 201, the others 409, never 403', async () => {
    // The first create's key-level endorsement policies meet the others at commit, before their
    // read conflict: Fabric refuses them ENDORSEMENT_POLICY_FAILURE, which was answered 403.
    const creators = ['platforma-operator', 'platformb-operator', 'post-operator', 'express-operator'];
    for (let round = 0; round < 3; round++) {
      const consignmentId = `DUP-RACE-${round}`;
      const answers = await Promise.all(
        [...creators, ...creators].map((user, i) =>
          t.as(user).post('/v1/consignments', {
            consignmentId,
            ...(user.startsWith('platform') ? { orderNumber: `ORD-${consignmentId}-${i}` } : { trackingNumber: `RR${round}${i}0000${i}CN` }),
            originCountry: 'CN',
            destinationCountry: 'FR',
          }),
        ),
      ); // prettier-ignore
      expect(
        answers.filter((a) => a.status === 201),
        consignmentId,
      ).toHaveLength(1);
      for (const answer of answers.filter((a) => a.status !== 201)) {
        expectProblem(answer, 409, new RegExp(`consignment ${consignmentId} already exists`));
      }
    }
  });

  it('refuses a second return of goods already returned', async () => {
    // The order has 2 units of line 1; releasedWithReturn returned 1 of them.
    await releasedWithReturn(t, 'DUP-R');
    await settled(t);
    const again = (quantity: number) =>
      t.as('platforma-operator').post('/v1/consignments/DUP-R/returns', {
        reason: 'not_as_described',
        lines: [{ lineNo: 1, quantity }],
        authorisation: `RMA-DUP-R-${quantity}`,
      });
    const before = await committedSubmissions(t);
    expectProblem(await again(2), 422, /line 1/);
    expect(await committedSubmissions(t)).toBe(before);
    expect((await again(1)).status).toBe(201);
    expectProblem(await again(1), 422, /line 1/);
  });

  it('takes no transaction id from the client: a replayed one is ignored and a new one assigned', async () => {
    const platform = t.as('platforma-operator');
    const first = await platform.post('/v1/consignments', {
      consignmentId: 'TXID-1',
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    const txId = first.headers.get('x-transaction-id')!;
    expect(txId).toMatch(/^[0-9a-f]{64}$/);
    const second = await platform.post(
      '/v1/consignments',
      { consignmentId: 'TXID-2', originCountry: 'CN', destinationCountry: 'FR' },
      { 'X-Transaction-Id': txId },
    );
    expect(second.status).toBe(201);
    expect(second.headers.get('x-transaction-id')).not.toBe(txId);
    expectProblem(
      await platform.post('/v1/consignments', {
        consignmentId: 'TXID-3',
        originCountry: 'CN',
        destinationCountry: 'FR',
        txId,
      }),
      400,
      /unknown field 'txId'/,
    );
  });

  it('customs’ automatic release is customs’ service identity’s alone', async () => {
    // A trader cannot record a decision at all; customs' decisions by a person are never automatic.
    expectProblem(
      await t
        .as('platforma-operator')
        .post('/v1/consignments/DUP-1/decision', { decision: 'release', reasonCodes: [] }),
      403,
    );
  });
});
