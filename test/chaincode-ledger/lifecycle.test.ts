import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitPayload, disclose, verifyDisclosure } from '@customs-ledger/chaincode';
import type {
  ConsignmentRecord,
  DecisionRecord,
  MovementRecord,
  SubmissionRecord,
} from '@customs-ledger/chaincode';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import {
  committedTransactions,
  eventsSoFar,
  newSaltSeed,
  openTestNetwork,
  privateInput,
  readPrivateRecord,
  type TestNetwork,
} from '../support/network.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

/*
 * The consignment lifecycle through real transactions on the embedded ledger: the state machine,
 * join-key uniqueness, records arriving in any order, corrections, the lock after release, one event
 * per transaction, and the commitments that tie public roots to private payloads.
 */

let net: TestNetwork;

interface View {
  consignment: ConsignmentRecord;
  records: SubmissionRecord[];
  movements: MovementRecord[];
  decisions: DecisionRecord[];
}
interface PrivateRecord extends SubmissionRecord {
  payload: unknown;
  saltSeed: string;
}

const OK = 'ok';
const joinKeys = (keys: Record<string, string> = {}) =>
  JSON.stringify({ ...keys, originCountry: 'CN', destinationCountry: 'FR' });
const view = async (id: string) => (await net.evaluate('customs', 'consignment:get', [id])) as View;
const status = async (id: string) => (await view(id)).consignment.status;
const move = (carrier: string, id: string, type: string, location = 'FRCDG') =>
  net.submit(carrier, 'consignment:recordMovement', [id, JSON.stringify({ type, location })]);
const decide = (id: string, decision: string, reasonCodes: string[] = []) =>
  net.submit('customs', 'consignment:recordDecision', [id, JSON.stringify({ decision, reasonCodes })]);
/** The declaration customs releases under, by the consignment's carrier acting as declarant. */
const declare = (carrier: string, id: string) =>
  net.submit(carrier, 'consignment:submitDeclaration', [id], declarationPayload());

/** Each call refused with its message, the consignment and the chain as they were. */
async function expectRefusedLeavingNothing(id: string, refusals: [() => Promise<unknown>, string][]) {
  for (const [call, message] of refusals) {
    const before = await view(id);
    const height = net.ledger.height();
    expect(await net.outcome(call())).toBe(message);
    expect(await view(id)).toEqual(before);
    expect(net.ledger.height()).toBe(height);
  }
}

beforeAll(async () => {
  net = await openTestNetwork();
});
afterAll(async () => {
  await net?.close();
});

describe('the status machine through real transactions', () => {
  it('created → dispatched → arrived → released → delivered, each step recorded with its before and after', async () => {
    const id = 'SM-MAIN';
    await net.submit('post', 'consignment:create', [id, joinKeys({ trackingNumber: 'RR000000001CN' })]);
    expect(await status(id)).toBe('created');
    // Goods are released under a declaration: none yet, no release, and nothing changes.
    const height = net.ledger.height();
    expect(await net.outcome(decide(id, 'release'))).toBe(
      `cannot apply 'release' to consignment ${id} before its declaration is recorded: goods are released under a declaration`,
    );
    expect(net.ledger.height()).toBe(height);
    await declare('post', id);

    const steps: [string, () => Promise<unknown>, string][] = [
      ['dispatched', () => move('post', id, 'dispatched', 'CNSHA'), 'dispatched'],
      ['arrived', () => move('post', id, 'arrived', 'FRCDG'), 'arrived'],
      ['release', () => decide(id, 'release'), 'released'],
      ['delivered', () => move('post', id, 'delivered', 'FRLYS'), 'delivered'],
    ];
    let previous = 'created';
    for (const [event, step, expected] of steps) {
      const record = (await step()) as MovementRecord | DecisionRecord;
      expect(record, event).toMatchObject({ statusBefore: previous, statusAfter: expected });
      expect(await status(id)).toBe(expected);
      previous = expected;
    }
    const final = await view(id);
    expect(final.movements.map((m) => `${m.type}@${m.location}`)).toEqual([
      'dispatched@CNSHA',
      'arrived@FRCDG',
      'delivered@FRLYS',
    ]);
    expect(final.decisions.map((d) => [d.decision, d.decidedBy])).toEqual([['release', 'CustomsMSP']]);
    expect(await net.outcome(move('post', id, 'arrived'))).toBe(
      `cannot apply 'arrived' to consignment ${id} in status 'delivered'; allowed: none (final status)`,
    );
  });

  it('refuses an illegal transition with the events its status allows, and changes nothing', async () => {
    const id = 'SM-ILLEGAL';
    await net.submit('express', 'consignment:create', [id, joinKeys({ trackingNumber: 'HAWB-ILLEGAL-1' })]);
    const refusals: [() => Promise<unknown>, string][] = [
      [
        () => move('express', id, 'delivered'),
        `cannot apply 'delivered' to consignment ${id} in status 'created'; allowed: decisions release, hold, return_to_sender, refer; movements dispatched`,
      ],
      [
        () => decide(id, 'inspect', ['RANDOM']),
        `cannot apply 'inspect' to consignment ${id} in status 'created'; allowed: decisions release, hold, return_to_sender, refer; movements dispatched`,
      ],
    ];
    await expectRefusedLeavingNothing(id, refusals);
    await move('express', id, 'dispatched', 'CNSZX');
    // Physical control needs the goods in customs custody: no seizure before arrival.
    expect(await net.outcome(decide(id, 'seize', ['IPR']))).toBe(
      `cannot apply 'seize' to consignment ${id} in status 'dispatched'; allowed: decisions release, hold, inspect, return_to_sender, refer; movements arrived`,
    );
    // Nor after a hold decided in transit, which keeps no trace of arrival in the status.
    await decide(id, 'hold', ['IPR']);
    expect(await net.outcome(decide(id, 'seize', ['IPR']))).toBe(
      `cannot apply 'seize' to consignment ${id} before its arrival scan: the goods are not in customs custody`,
    );
    await declare('express', id);
    await decide(id, 'release', []);
    expect(await status(id)).toBe('released');
  });

  it('takes scans in the goods’ order whatever customs decided before loading: no arrival unscanned at dispatch', async () => {
    const id = 'SM-SCAN-ORDER';
    await net.submit('express', 'consignment:create', [id, joinKeys({ trackingNumber: 'EE000000011CN' })]);
    // Held before loading (do-not-load): the goods may not be dispatched, and so cannot arrive.
    await decide(id, 'hold', ['IPR']);
    const refusals: [() => Promise<unknown>, string][] = [
      [
        () => move('express', id, 'dispatched', 'CNSZX'),
        `cannot apply 'dispatched' to consignment ${id} in status 'held'; allowed: decisions release, inspect, seize, return_to_sender, refer; movements arrived`,
      ],
      [
        () => move('express', id, 'arrived'),
        `cannot apply 'arrived' to consignment ${id} before its 'dispatched' scan`,
      ],
      [
        () => decide(id, 'seize', ['IPR']),
        `cannot apply 'seize' to consignment ${id} before its arrival scan: the goods are not in customs custody`,
      ],
    ];
    await expectRefusedLeavingNothing(id, refusals);
    // Released before loading: dispatched, arrived, then delivered, and never dispatched again.
    await declare('express', id);
    await decide(id, 'release');
    await move('express', id, 'dispatched', 'CNSZX');
    await move('express', id, 'arrived');
    expect(await net.outcome(move('express', id, 'dispatched', 'FRCDG'))).toBe(
      `cannot apply 'dispatched' to consignment ${id} after its 'arrived' scan: the goods are at their destination`,
    );
    expect(((await move('express', id, 'delivered', 'FRLYS')) as MovementRecord).statusAfter).toBe(
      'delivered',
    );
    expect((await view(id)).movements.map((m) => m.type)).toEqual(['dispatched', 'arrived', 'delivered']);
  });

  it('seizes after the arrival scan, also from a hold decided in transit', async () => {
    const id = 'SM-SEIZE';
    await net.submit('express', 'consignment:create', [id, joinKeys({ trackingNumber: 'EE000000009CN' })]);
    await move('express', id, 'dispatched', 'CNSZX');
    await decide(id, 'hold', ['IPR']);
    await move('express', id, 'arrived');
    expect(((await decide(id, 'seize', ['IPR'])) as DecisionRecord).statusAfter).toBe('seized');
  });

  it('refuses a delivery or exit scan that does not fit the status', async () => {
    const id = 'SM-SCANS';
    await net.submit('express', 'consignment:create', [id, joinKeys({ trackingNumber: 'EE000000010CN' })]);
    await move('express', id, 'dispatched', 'CNSZX');
    await move('express', id, 'arrived');
    expect(await net.outcome(move('express', id, 'exited'))).toBe(
      `cannot apply 'exited' to consignment ${id} in status 'arrived'; allowed: decisions release, hold, inspect, seize, return_to_sender, refer; no movements`,
    );
    expect(await status(id)).toBe('arrived');
  });

  it('releases before arrival (pre-arrival processing); later scans keep the release', async () => {
    const id = 'SM-PREARRIVAL';
    await net.submit('post', 'consignment:create', [id, joinKeys({ trackingNumber: 'RR000000002CN' })]);
    await declare('post', id);
    expect(((await decide(id, 'release', [])) as DecisionRecord).statusAfter).toBe('released');
    expect(((await move('post', id, 'dispatched', 'CNSHA')) as MovementRecord).statusAfter).toBe('released');
    expect(((await move('post', id, 'arrived')) as MovementRecord).statusAfter).toBe('released');
    expect(((await move('post', id, 'delivered')) as MovementRecord).statusAfter).toBe('delivered');
    // Release in transit, too.
    const inTransit = 'SM-PREARRIVAL-2';
    await net.submit('post', 'consignment:create', [
      inTransit,
      joinKeys({ trackingNumber: 'RR000000003CN' }),
    ]);
    await move('post', inTransit, 'dispatched', 'CNSHA');
    await declare('post', inTransit);
    await decide(inTransit, 'release');
    expect(await status(inTransit)).toBe('released');
  });

  it('holds, refers and returns: held goods arrive held; a return ends with exit', async () => {
    const id = 'SM-RETURN';
    await net.submit('post', 'consignment:create', [id, joinKeys({ trackingNumber: 'RR000000004CN' })]);
    await move('post', id, 'dispatched', 'CNSHA');
    await decide(id, 'hold', ['DOCS_MISSING']);
    expect(((await move('post', id, 'arrived')) as MovementRecord).statusAfter).toBe('held');
    await decide(id, 'refer', ['RFI']);
    await decide(id, 'return_to_sender', ['PROHIBITED']);
    expect(await net.outcome(move('post', id, 'delivered'))).toBe(
      `cannot apply 'delivered' to consignment ${id} in status 'returned_to_sender'; allowed: no decisions; movements exited`,
    );
    await move('post', id, 'exited');
    expect((await view(id)).decisions.map((d) => `${d.statusBefore}→${d.statusAfter}`)).toEqual([
      'dispatched→held',
      'held→referred',
      'referred→returned_to_sender',
    ]);
    expect(await status(id)).toBe('exited');
  });
});

describe('join keys', () => {
  it('an order number is unique per platform, not across platforms', async () => {
    await net.submit('platformA', 'consignment:create', ['UQ-A1', joinKeys({ orderNumber: 'ORD-SHARED' })]);
    const height = net.ledger.height();
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:create', ['UQ-A2', joinKeys({ orderNumber: 'ORD-SHARED' })]),
      ),
    ).toBe('order number ORD-SHARED of PlatformAMSP is already used by consignment UQ-A1');
    expect(net.ledger.height()).toBe(height);
    expect(await net.outcome(net.evaluate('customs', 'consignment:get', ['UQ-A2']))).toBe(
      'consignment UQ-A2 does not exist',
    );
    expect(
      await net.outcome(
        net.submit('platformB', 'consignment:create', ['UQ-B1', joinKeys({ orderNumber: 'ORD-SHARED' })]),
      ),
    ).toBe(OK);
    // The claim is checked when the order fills in a missing order number, too.
    await net.submit('platformA', 'consignment:create', ['UQ-A3', joinKeys()]);
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:submitOrder', ['UQ-A3'], orderPayload('ORD-SHARED')),
      ),
    ).toBe('order number ORD-SHARED of PlatformAMSP is already used by consignment UQ-A1');
  });

  /** The outcome of the post creating `id` under `trackingNumber`. */
  const postCreates = (id: string, trackingNumber: string) =>
    net.outcome(net.submit('post', 'consignment:create', [id, joinKeys({ trackingNumber })]));
  /** The outcome of `carrier`'s logistics claiming `trackingNumber` for `id` (order ORD-`id`). */
  const logistics = (carrier: string, id: string, trackingNumber: string) =>
    net.outcome(
      net.submit(carrier, 'consignment:submitLogistics', [id], logisticsPayload(`ORD-${id}`, trackingNumber)),
    );
  /** Platform A creates `id` naming `trackingNumber`; then the post's logistics claims it: its outcome. */
  const createThenClaim = async (id: string, trackingNumber: string) => {
    await net.submit('platformA', 'consignment:create', [
      id,
      joinKeys({ orderNumber: `ORD-${id}`, trackingNumber }),
    ]);
    return logistics('post', id, trackingNumber);
  };

  it('a tracking number is unique per carrier, whether claimed at creation or by logistics', async () => {
    const used = 'tracking number RR123456785CN of PostMSP is already used by consignment UQ-P1';
    expect(await postCreates('UQ-P1', 'RR123456785CN')).toBe(OK);
    expect(await postCreates('UQ-P2', 'RR123456785CN')).toBe(used);
    expect(await createThenClaim('UQ-P3', 'RR123456785CN')).toBe(used);
    // Another carrier's numbering is its own.
    expect(await logistics('express', 'UQ-P3', 'RR123456785CN')).toBe(OK);
  });

  it('a tracking number is free again for its carrier six months after it was claimed, and only then', async () => {
    const T0 = Date.parse('2026-01-31T10:00:00.000Z');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      expect(await postCreates('UQ-R1', 'RR987654321CN')).toBe(OK);
      // Five months on the post cannot use it again; 31 July (six months on) it can.
      vi.setSystemTime(Date.parse('2026-07-31T09:59:59.000Z'));
      expect(await postCreates('UQ-R2', 'RR987654321CN')).toBe(
        'tracking number RR987654321CN of PostMSP is already used by consignment UQ-R1',
      );
      vi.setSystemTime(Date.parse('2026-07-31T10:00:00.000Z'));
      expect(await postCreates('UQ-R2', 'RR987654321CN')).toBe(OK);
      // The number is the new consignment's now: the old one cannot claim it back.
      expect(await createThenClaim('UQ-R3', 'RR987654321CN')).toBe(
        'tracking number RR987654321CN of PostMSP is already used by consignment UQ-R2',
      );
      // An order number is never free again.
      vi.setSystemTime(Date.parse('2036-01-31T10:00:00.000Z'));
      expect(
        await net.outcome(
          net.submit('platformA', 'consignment:create', ['UQ-R4', joinKeys({ orderNumber: 'ORD-UQ-R3' })]),
        ),
      ).toBe('order number ORD-UQ-R3 of PlatformAMSP is already used by consignment UQ-R3');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a payload whose join key disagrees with the consignment is refused', async () => {
    await net.submit('platformA', 'consignment:create', [
      'JK-1',
      joinKeys({ orderNumber: 'ORD-JK-1', paymentTransactionId: 'PAY-JK-1' }),
    ]);
    expect(
      await net.outcome(
        net.submit('payment', 'consignment:submitPayment', ['JK-1'], paymentPayload('ORD-OTHER', 'PAY-JK-1')),
      ),
    ).toBe("payment payload orderNumber 'ORD-OTHER' does not match the orderNumber of consignment JK-1");
  });
});

describe('parts named at creation', () => {
  const parts = async (id: string) => {
    const { platformMspId, carrierMspId, paymentMspId, pendingClaims } = (await view(id)).consignment;
    return { platformMspId, carrierMspId, paymentMspId, pendingClaims };
  };
  const outsider = (id: string, mspId: string) =>
    `consignment ${id} does not exist or is not visible to ${mspId}`;

  it('a named carrier and payment provider write with keys the creator did not know; no one else takes their parts', async () => {
    const id = 'NAMED-1';
    await net.submit('platformA', 'consignment:create', [
      id,
      joinKeys({ orderNumber: 'ORD-NAMED-1', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' }),
    ]);
    expect(await parts(id)).toEqual({
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: 'PaymentMSP',
      pendingClaims: ['carrierMspId', 'paymentMspId'],
    });
    // Another carrier, another payment provider's rival: refused as on a missing consignment, whatever they carry.
    expect(
      await net.outcome(
        net.submit(
          'express',
          'consignment:submitLogistics',
          [id],
          logisticsPayload('ORD-NAMED-1', 'EX0000NAMED1'),
        ),
      ),
    ).toBe(outsider(id, 'ExpressMSP'));
    expect(
      await net.outcome(
        net.submit(
          'platformB',
          'consignment:submitPayment',
          [id],
          paymentPayload('ORD-NAMED-1', 'PAY-NAMED-1'),
        ),
      ),
    ).toBe(outsider(id, 'PlatformBMSP'));
    // The named ones: the post's waybill brings the tracking number, the payment its transaction id.
    expect(
      await net.outcome(
        net.submit(
          'post',
          'consignment:submitLogistics',
          [id],
          logisticsPayload('ORD-NAMED-1', 'RR0NAMED1CN'),
        ),
      ),
    ).toBe(OK);
    expect(await net.outcome(move('post', id, 'dispatched', 'CNSHA'))).toBe(OK);
    expect(
      await net.outcome(
        net.submit(
          'payment',
          'consignment:submitPayment',
          [id],
          paymentPayload('ORD-NAMED-1', 'PAY-NAMED-1'),
        ),
      ),
    ).toBe(OK);
    expect(await parts(id)).toEqual({
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: 'PaymentMSP',
      pendingClaims: undefined,
    });
    expect((await view(id)).consignment.joinKeys).toMatchObject({
      trackingNumber: 'RR0NAMED1CN',
      paymentTransactionId: 'PAY-NAMED-1',
    });
    // The tracking number is the post's from its waybill on.
    expect(
      await net.outcome(
        net.submit('post', 'consignment:create', ['NAMED-1B', joinKeys({ trackingNumber: 'RR0NAMED1CN' })]),
      ),
    ).toBe('tracking number RR0NAMED1CN of PostMSP is already used by consignment NAMED-1');
  });

  it("a post names the platform that booked it: a rival platform with the order number is refused, the named one's order binds nothing new", async () => {
    const id = 'NAMED-2';
    await net.submit('post', 'consignment:create', [
      id,
      joinKeys({ orderNumber: 'ORD-NAMED-2', trackingNumber: 'RR0NAMED2CN', platformMspId: 'PlatformAMSP' }),
    ]);
    expect(
      await net.outcome(
        net.submit('platformB', 'consignment:submitOrder', [id], orderPayload('ORD-NAMED-2')),
      ),
    ).toBe(outsider(id, 'PlatformBMSP'));
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:submitOrder', [id], orderPayload('ORD-NAMED-2')),
      ),
    ).toBe(OK);
    expect(await parts(id)).toEqual({
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: undefined,
      pendingClaims: undefined,
    });
  });

  it("naming claims nothing in the named organisation's numbering until it writes", async () => {
    // Platform B names the post with a tracking number the post has not issued to it.
    await net.submit('platformB', 'consignment:create', [
      'NAMED-3',
      joinKeys({ orderNumber: 'ORD-NAMED-3', trackingNumber: 'RR0NAMED3CN', carrierMspId: 'PostMSP' }),
    ]);
    // The post's own consignment under that number is not blocked by it...
    expect(
      await net.outcome(
        net.submit('post', 'consignment:create', ['NAMED-3P', joinKeys({ trackingNumber: 'RR0NAMED3CN' })]),
      ),
    ).toBe(OK);
    // ...and the post cannot carry one parcel under two consignments.
    expect(
      await net.outcome(
        net.submit(
          'post',
          'consignment:submitLogistics',
          ['NAMED-3'],
          logisticsPayload('ORD-NAMED-3', 'RR0NAMED3CN'),
        ),
      ),
    ).toBe('tracking number RR0NAMED3CN of PostMSP is already used by consignment NAMED-3P');
  });

  it("a name of the wrong role, or for the creator's own part, is refused and nothing is written", async () => {
    const height = net.ledger.height();
    const create = (caller: string, id: string, names: Record<string, string>) =>
      net.outcome(
        net.submit(caller, 'consignment:create', [id, joinKeys({ orderNumber: `ORD-${id}`, ...names })]),
      );
    expect(await create('platformA', 'NAMED-X1', { carrierMspId: 'PlatformBMSP' })).toBe(
      'carrierMspId PlatformBMSP is not a registered carrier (post or express)',
    );
    expect(await create('platformA', 'NAMED-X2', { carrierMspId: 'NoSuchMSP' })).toBe(
      'carrierMspId NoSuchMSP is not a registered carrier (post or express)',
    );
    expect(await create('platformA', 'NAMED-X3', { paymentMspId: 'PlatformBMSP' })).toBe(
      "paymentMspId PlatformBMSP is neither a registered payment provider nor the consignment's platform",
    );
    expect(await create('platformA', 'NAMED-X4', { platformMspId: 'PlatformBMSP' })).toBe(
      "platformMspId PlatformBMSP cannot be named: the consignment's platform is its creator PlatformAMSP",
    );
    expect(await create('post', 'NAMED-X5', { platformMspId: 'CustomsMSP' })).toBe(
      'platformMspId CustomsMSP is not a registered platform',
    );
    expect(await create('post', 'NAMED-X6', { platformMspId: 'not an msp' })).toMatch(
      /^invalid joinKeys: .*platformMspId/,
    );
    expect(net.ledger.height()).toBe(height);
  });
});

describe('records', () => {
  const permutations: string[][] = [
    ['order', 'payment', 'logistics'],
    ['order', 'logistics', 'payment'],
    ['payment', 'order', 'logistics'],
    ['payment', 'logistics', 'order'],
    ['logistics', 'order', 'payment'],
    ['logistics', 'payment', 'order'],
  ];

  for (const [n, order] of permutations.entries()) {
    it(`order, payment and logistics arrive in any order: ${order.join(' → ')}`, async () => {
      const id = `ANY-${n}`;
      const orderNumber = `ORD-ANY-${n}`;
      const tracking = `RR00000${n}ANYCN`;
      const paymentId = `PAY-ANY-${n}`;
      await net.submit('platformA', 'consignment:create', [
        id,
        joinKeys({ orderNumber, trackingNumber: tracking, paymentTransactionId: paymentId }),
      ]);
      const submitters: Record<string, () => Promise<unknown>> = {
        order: () => net.submit('platformA', 'consignment:submitOrder', [id], orderPayload(orderNumber)),
        payment: () =>
          net.submit('payment', 'consignment:submitPayment', [id], paymentPayload(orderNumber, paymentId)),
        logistics: () =>
          net.submit('post', 'consignment:submitLogistics', [id], logisticsPayload(orderNumber, tracking)),
      };
      for (const kind of order) expect(await net.outcome(submitters[kind]!()), kind).toBe(OK);
      const { consignment, records } = await view(id);
      expect(consignment).toMatchObject({
        status: 'created',
        platformMspId: 'PlatformAMSP',
        paymentMspId: 'PaymentMSP',
        carrierMspId: 'PostMSP',
        joinKeys: { orderNumber, trackingNumber: tracking, paymentTransactionId: paymentId },
      });
      expect(records.map((r) => [r.kind, r.submittedBy, r.version]).sort()).toEqual([
        ['logistics', 'PostMSP', 1],
        ['order', 'PlatformAMSP', 1],
        ['payment', 'PaymentMSP', 1],
      ]);
    });
  }

  it('a correction bumps the version and the root; only the original submitter may correct', async () => {
    const id = 'CORR-1';
    await net.submit('platformA', 'consignment:create', [
      id,
      joinKeys({ orderNumber: 'ORD-CORR-1', trackingNumber: 'RR0000CORRCN' }),
    ]);
    const first = (await net.submit(
      'platformA',
      'consignment:submitOrder',
      [id],
      orderPayload('ORD-CORR-1'),
    )) as SubmissionRecord;
    const second = (await net.submit(
      'platformA',
      'consignment:submitOrder',
      [id],
      orderPayload('ORD-CORR-1', { goodsValue: 41, amountPaid: 53.8 }),
    )) as SubmissionRecord;
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(second.root).not.toBe(first.root);
    const stored = (await view(id)).records.find((r) => r.kind === 'order')!;
    expect(stored).toMatchObject({ version: 2, root: second.root, txId: second.txId });
    const opened = (await readPrivateRecord(net, 'platformA', id, 'order')) as PrivateRecord;
    expect((opened.payload as { goodsValue: number }).goodsValue).toBe(41);

    // The declaration is open to the platform and to its carrier; the record belongs to whoever filed it.
    await net.submit('platformA', 'consignment:submitDeclaration', [id], declarationPayload());
    await net.submit(
      'post',
      'consignment:submitLogistics',
      [id],
      logisticsPayload('ORD-CORR-1', 'RR0000CORRCN'),
    );
    expect(
      await net.outcome(net.submit('post', 'consignment:submitDeclaration', [id], declarationPayload())),
    ).toBe(
      `the declaration record of consignment ${id} was submitted by PlatformAMSP; only it may correct the record`,
    );
  });

  it('records may change while held, and no longer once released', async () => {
    const id = 'LOCK-1';
    const orderNumber = 'ORD-LOCK-1';
    await net.submit('platformA', 'consignment:create', [
      id,
      joinKeys({ orderNumber, trackingNumber: 'RR00000LOCKCN', paymentTransactionId: 'PAY-LOCK-1' }),
    ]);
    await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload(orderNumber));
    await net.submit(
      'post',
      'consignment:submitLogistics',
      [id],
      logisticsPayload(orderNumber, 'RR00000LOCKCN'),
    );
    await move('post', id, 'dispatched', 'CNSHA');
    await decide(id, 'hold', ['VALUE_QUERY']);
    const corrected = (await net.submit(
      'platformA',
      'consignment:submitOrder',
      [id],
      orderPayload(orderNumber),
    )) as SubmissionRecord;
    expect(corrected.version).toBe(2);
    await net.submit('platformA', 'consignment:submitDeclaration', [id], declarationPayload());
    await decide(id, 'release');

    const before = await view(id);
    const height = net.ledger.height();
    const attempts: [string, string, unknown][] = [
      ['platformA', 'consignment:submitOrder', orderPayload(orderNumber)],
      ['payment', 'consignment:submitPayment', paymentPayload(orderNumber, 'PAY-LOCK-1')],
      ['post', 'consignment:submitLogistics', logisticsPayload(orderNumber, 'RR00000LOCKCN')],
      ['platformA', 'consignment:submitDeclaration', declarationPayload()],
    ];
    for (const [user, fn, payload] of attempts) {
      expect(await net.outcome(net.submit(user, fn, [id], payload)), fn).toBe(
        `records of consignment ${id} cannot change in status 'released'`,
      );
    }
    expect(await view(id)).toEqual(before);
    expect(net.ledger.height()).toBe(height);
  });

  it('the salt seed is hex text in transient data; raw bytes are refused', async () => {
    const id = 'SEED-1';
    await net.submit('platformA', 'consignment:create', [id, joinKeys({ orderNumber: 'ORD-SEED-1' })]);
    const raw = {
      payload: Buffer.from(JSON.stringify(orderPayload('ORD-SEED-1'))),
      saltSeed: Buffer.alloc(16, 0xfe),
    };
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:submitOrder', [id], undefined, { transientData: raw }),
      ),
    ).toMatch(/^invalid saltSeed: \/: must be 16-256 bytes of hex/);
    const short = privateInput(orderPayload('ORD-SEED-1'), 'ab'.repeat(15));
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:submitOrder', [id], undefined, { transientData: short }),
      ),
    ).toMatch(/^invalid saltSeed/);
    const missing = { payload: Buffer.from(JSON.stringify(orderPayload('ORD-SEED-1'))) };
    expect(
      await net.outcome(
        net.submit('platformA', 'consignment:submitOrder', [id], undefined, { transientData: missing }),
      ),
    ).toBe("transient data must contain 'saltSeed'");
    // Upper-case hex is accepted and stored in its canonical lower-case form.
    const seed = newSaltSeed().toUpperCase();
    await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload('ORD-SEED-1'), {
      saltSeed: seed,
    });
    const opened = (await readPrivateRecord(net, 'customs', id, 'order', 'risk_assessment')) as PrivateRecord;
    expect(opened.saltSeed).toBe(seed.toLowerCase());
  });
});

describe('commitments', () => {
  const id = 'ROOT-1';
  const seed = newSaltSeed();
  let record: SubmissionRecord;

  beforeAll(async () => {
    await net.submit('platformA', 'consignment:create', [id, joinKeys({ orderNumber: 'ORD-ROOT-1' })]);
    await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload('ORD-ROOT-1'), {
      saltSeed: seed,
    });
    record = (await view(id)).records.find((r) => r.kind === 'order')!;
  });

  it('the public root and leaf count verify against the private data a whole read hands out', async () => {
    // Only a purpose that needs the whole record gets it, with its seed (recorded-reads.test.ts).
    const opened = (await readPrivateRecord(net, 'customs', id, 'order', 'risk_assessment')) as PrivateRecord;
    expect(opened.payload).toEqual(orderPayload('ORD-ROOT-1'));
    expect(opened.saltSeed).toBe(seed);
    const commitment = commitPayload(opened.payload, opened.saltSeed);
    expect(commitment.root).toBe(record.root);
    expect(commitment.leafCount).toBe(record.leafCount);
    // Computed independently from what the client sent: the chaincode committed exactly that.
    expect(commitPayload(orderPayload('ORD-ROOT-1'), seed).root).toBe(record.root);
    // Another seed, another root: the root does not reveal the (brute-forceable) values.
    expect(commitPayload(orderPayload('ORD-ROOT-1'), newSaltSeed()).root).not.toBe(record.root);
  });

  it('a disclosure of two fields verifies against the public record; a changed value does not', async () => {
    const opened = (await readPrivateRecord(net, 'customs', id, 'order', 'risk_assessment')) as PrivateRecord;
    const pkg = disclose(opened.payload, opened.saltSeed, ['/goodsValue', '/lines/0/hsCode']);
    expect(pkg.fields.map((f) => [f.path, f.value])).toEqual([
      ['/goodsValue', 40],
      ['/lines/0/hsCode', '610910'],
    ]);
    expect(verifyDisclosure(pkg, record)).toEqual({ ok: true });

    const changed = {
      ...pkg,
      fields: pkg.fields.map((f) => (f.path === '/goodsValue' ? { ...f, value: 4 } : f)),
    };
    expect(verifyDisclosure(changed, record)).toMatchObject({ ok: false, code: 'leaf', path: '/goodsValue' });
    const otherRecord = (await view('CORR-1')).records.find((r) => r.kind === 'order')!;
    expect(verifyDisclosure(pkg, otherRecord)).toMatchObject({ ok: false, code: 'root' });
  });
});

describe('events', () => {
  it('a transaction that loses an MVCC race is committed invalid and emits nothing', async () => {
    const identity = net.users['platformA']!;
    // Both endorsed against the same state, before either is ordered.
    const first = await net.ledger.endorse(identity, 'consignment:create', {
      arguments: ['RACE-1', joinKeys({ orderNumber: 'ORD-RACE-1' })],
    });
    const second = await net.ledger.endorse(identity, 'consignment:create', {
      arguments: ['RACE-1', joinKeys({ orderNumber: 'ORD-RACE-2' })],
    });
    const statuses = await Promise.all([first, second].map(async (tx) => (await tx.submit()).getStatus()));
    // The loser also writes the consignment's customs seal, which the winner has just put under a
    // customs-only key policy in the same block; endorsement policies are validated before read
    // conflicts (VSCC before MVCC on Fabric), so it fails on the policy first.
    expect(statuses.map((s) => s.code).sort()).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    ]);
    expect((await view('RACE-1')).consignment.joinKeys.orderNumber).toMatch(/^ORD-RACE-[12]$/);
  });

  it('exactly one chaincode event per valid transaction, none for an invalid one, in commit order', async () => {
    const transactions = await committedTransactions(net.ledger);
    const valid = transactions.filter((tx) => tx.valid);
    expect(valid.length).toBeGreaterThan(50);
    expect(transactions.some((tx) => !tx.valid)).toBe(true);

    const events = await eventsSoFar(net.ledger);
    expect(events.map((e) => e.transactionId)).toEqual(valid.map((tx) => tx.transactionId));
    const expectedName: Record<string, string> = {
      'org:init': 'OrganisationsInitialised',
      'consignment:create': 'ConsignmentCreated',
      'consignment:submitOrder': 'RecordSubmitted',
      'consignment:submitPayment': 'RecordSubmitted',
      'consignment:submitLogistics': 'RecordSubmitted',
      'consignment:submitDeclaration': 'RecordSubmitted',
      'consignment:recordMovement': 'MovementRecorded',
      'consignment:recordDecision': 'DecisionRecorded',
      'consignment:recordAccess': 'PersonalDataAccessed',
    };
    for (const [i, event] of events.entries()) {
      const tx = valid[i]!;
      expect(event.eventName, tx.fn).toBe(expectedName[tx.fn]);
      expect(event.blockNumber).toBe(tx.blockNumber);
      // Every payload names its transaction, so a subscriber can check it against the block.
      expect((JSON.parse(Buffer.from(event.payload).toString()) as { txId: string }).txId).toBe(
        tx.transactionId,
      );
    }
  });
});
