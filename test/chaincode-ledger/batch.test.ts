import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchEvents, BatchOutcome } from '@customs-ledger/chaincode';
import {
  eventsSoFar,
  newSaltSeed,
  openTestNetwork,
  readPrivateRecord,
  type TestNetwork,
} from '../support/network.js';
import { logisticsPayload, orderPayload } from '../support/payloads.js';

let net: TestNetwork;
const joinKeys = (order: string) =>
  JSON.stringify({ orderNumber: order, originCountry: 'CN', destinationCountry: 'FR' });

beforeAll(async () => {
  net = await openTestNetwork();
});
afterAll(async () => {
  await net?.close();
});

interface Operation {
  readonly fn: string;
  readonly args: string[];
  readonly payload?: unknown;
}

/** Submits operations as one consignment:batch transaction, payloads as transient payload.<i>/saltSeed.<i>. */
async function batch(user: string, operations: Operation[]): Promise<BatchOutcome[]> {
  const transientData: Record<string, Uint8Array> = {};
  operations.forEach((op, i) => {
    if (op.payload === undefined) return;
    transientData[`payload.${i}`] = Buffer.from(JSON.stringify(op.payload));
    transientData[`saltSeed.${i}`] = Buffer.from(newSaltSeed());
  });
  const answer = (await net.submit(
    user,
    'consignment:batch',
    [JSON.stringify(operations.map(({ fn, args }) => ({ fn, args })))],
    undefined,
    { transientData },
  )) as { outcomes: BatchOutcome[] };
  return answer.outcomes;
}

const statusOf = async (id: string) =>
  ((await net.evaluate('customs', 'consignment:get', [id])) as { consignment: { status: string } })
    .consignment.status;

describe('consignment:batch: many operations in one transaction', () => {
  it('applies each operation as its own transaction would, with one BatchApplied event listing their events', async () => {
    const heightBefore = net.ledger.height();
    const outcomes = await batch('platformA', [
      { fn: 'create', args: ['B-1', joinKeys('ORD-B-1')] },
      { fn: 'create', args: ['B-2', joinKeys('ORD-B-2')] },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(outcomes[0]).toMatchObject({ result: { consignmentId: 'B-1', status: 'created' } });
    expect(net.ledger.height()).toBe(heightBefore + 1n);

    const second = await batch('platformA', [
      { fn: 'submitOrder', args: ['B-1'], payload: orderPayload('ORD-B-1') },
      { fn: 'submitOrder', args: ['B-2'], payload: orderPayload('ORD-B-2') },
    ]);
    expect(second.map((o) => o.status)).toEqual(['applied', 'applied']);
    // The private payload of operation 1 is in the platform's collection, under its own salt seed.
    const record = (await readPrivateRecord(net, 'platformA', 'B-2', 'order')) as {
      payload: { orderNumber: string };
      version: number;
    };
    expect(record).toMatchObject({ payload: { orderNumber: 'ORD-B-2' }, version: 1 });

    const events = (await eventsSoFar(net.ledger)).filter((e) => e.eventName === 'BatchApplied');
    expect(events).toHaveLength(2);
    const payload = JSON.parse(Buffer.from(events[1]!.payload).toString()) as BatchEvents;
    expect(payload.txId).toBe(events[1]!.transactionId);
    expect(payload.events.map((e) => [e.index, e.name])).toEqual([
      [0, 'RecordSubmitted'],
      [1, 'RecordSubmitted'],
    ]);
    expect(payload.events[1]!.payload).toMatchObject({ consignmentId: 'B-2', kind: 'order', version: 1 });
    expect(JSON.stringify(payload)).not.toContain('Zebulon');
  });

  it('defers an operation on state an earlier operation wrote, and applies it in a later transaction', async () => {
    const outcomes = await batch('platformA', [
      { fn: 'create', args: ['B-3', joinKeys('ORD-B-3')] },
      { fn: 'submitOrder', args: ['B-3'], payload: orderPayload('ORD-B-3') },
      // Same order number as the first: without deferral both claims would be written.
      { fn: 'create', args: ['B-4', joinKeys('ORD-B-3')] },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'deferred', 'deferred']);
    expect(outcomes[1]).toMatchObject({
      message: expect.stringMatching(/written earlier in this transaction/),
    });

    const later = await batch('platformA', [
      { fn: 'submitOrder', args: ['B-3'], payload: orderPayload('ORD-B-3') },
      { fn: 'create', args: ['B-4', joinKeys('ORD-B-3')] },
    ]);
    expect(later[0]!.status).toBe('applied');
    expect(later[1]).toMatchObject({
      status: 'refused',
      message: 'order number ORD-B-3 of PlatformAMSP is already used by consignment B-3',
    });
    await expect(net.outcome(net.evaluate('customs', 'consignment:get', ['B-4']))).resolves.toBe(
      'consignment B-4 does not exist',
    );
  });

  it('a refused operation leaves nothing behind and does not undo the others', async () => {
    await net.submit('post', 'consignment:create', [
      'B-5',
      JSON.stringify({ trackingNumber: 'RRB5CN', originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    const outcomes = await batch('post', [
      { fn: 'recordMovement', args: ['B-5', JSON.stringify({ type: 'dispatched', location: 'CNSHA' })] },
      // Not this carrier's consignment: refused exactly as a single transaction would be.
      { fn: 'recordMovement', args: ['B-1', JSON.stringify({ type: 'dispatched', location: 'CNSHA' })] },
      { fn: 'submitLogistics', args: ['B-1'], payload: { nonsense: true } },
      { fn: 'submitLogistics', args: ['B-2'] },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'refused', 'refused', 'refused']);
    expect(outcomes[1]).toMatchObject({
      message: 'consignment B-1 does not exist or is not visible to PostMSP',
    });
    expect(outcomes[2]).toMatchObject({ message: expect.stringMatching(/^invalid logistics payload: /) });
    expect(outcomes[3]).toMatchObject({ message: "transient data must contain 'payload'" });
    expect(await statusOf('B-5')).toBe('dispatched');
    expect(await statusOf('B-1')).toBe('created');
    const b1 = (await net.evaluate('customs', 'consignment:get', ['B-1'])) as { records: { kind: string }[] };
    expect(b1.records.map((r) => r.kind)).toEqual(['order']);
  });

  it('checks roles per operation, and a malformed batch changes nothing', async () => {
    const outcomes = await batch('payment', [
      { fn: 'create', args: ['B-6', joinKeys('ORD-B-6')] },
      { fn: 'submitLogistics', args: ['B-1'], payload: logisticsPayload('ORD-B-1', 'RRB1CN') },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['refused', 'refused']);
    expect(outcomes[0]).toMatchObject({
      message: expect.stringMatching(/^createConsignment is not allowed for PaymentMSP/),
    });

    const heightBefore = net.ledger.height();
    for (const malformed of [
      '[]',
      '{}',
      JSON.stringify([{ fn: 'recordDecision', args: ['B-1', '{}'] }]),
      JSON.stringify([{ fn: 'create', args: ['B-7'] }]),
    ]) {
      const refusal = await net.outcome(net.submit('platformA', 'consignment:batch', [malformed]));
      expect(refusal).toMatch(/^invalid operations/);
    }
    expect(net.ledger.height()).toBe(heightBefore);
  });

  it('a batch and the same operations one by one leave the same public state', async () => {
    const ops = (prefix: string): Operation[] => [
      { fn: 'create', args: [`${prefix}-1`, joinKeys(`ORD-${prefix}-1`)] },
      { fn: 'create', args: [`${prefix}-2`, joinKeys(`ORD-${prefix}-2`)] },
    ];
    await batch('platformA', ops('BB'));
    for (const op of ops('BS')) await net.submit('platformA', `consignment:${op.fn}`, op.args);
    for (const n of [1, 2]) {
      const viaBatch = (await net.evaluate('customs', 'consignment:get', [`BB-${n}`])) as {
        consignment: Record<string, unknown>;
      };
      const single = (await net.evaluate('customs', 'consignment:get', [`BS-${n}`])) as {
        consignment: Record<string, unknown>;
      };
      const { joinKeys: singleKeys, ...singleRest } = single.consignment;
      expect(viaBatch.consignment).toEqual({
        ...singleRest,
        consignmentId: `BB-${n}`,
        joinKeys: { ...(singleKeys as object), orderNumber: `ORD-BB-${n}` },
        txId: expect.stringMatching(/^[0-9a-f]{64}$/),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    }
  });
});
