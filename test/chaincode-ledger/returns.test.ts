import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  assessedOnReturn,
  DEFAULT_TARIFF_SET,
  type DutyAssessment,
  type ReturnRecord,
} from '@customs-ledger/chaincode';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import { deadlineMs } from '../support/clock.js';
import { configureCustoms, testRuleSet } from '../support/customs-config.js';
import {
  openTestNetwork,
  recordedDisclosure,
  readPrivateRecord,
  type TestNetwork,
} from '../support/network.js';
import {
  BUYER_ID,
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  PERSONAL,
} from '../support/payloads.js';

/*
 * The returns contract on the embedded ledger, without the gateway: every step refused by the
 * chaincode itself to the roles that do not own it; a full return committed with the endorsements
 * the return's key-level policy asks for (customs on every step, customs alone for its decision)
 * and a forged step without customs invalid; deadlines on their last millisecond and one after;
 * partial returns and the refund kept in the payer's collection; a return that goes on after the
 * buyer's data was erased. The proposal timestamps come from Date, which the tests move.
 */

let net: TestNetwork;
const DAY = 24 * 60 * 60 * 1000;
/** Tomorrow, whole hour: within the test users' certificates' validity. */
const T0 = Math.ceil((Date.now() + DAY) / 3_600_000) * 3_600_000;
const clockAt = (days: number, ms = 0) => vi.setSystemTime(T0 + days * DAY + ms);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const RUN = randomBytes(3).toString('hex').toUpperCase();
let n = 0;

const LINES = [
  { lineNo: 1, description: 'Cotton T-shirt, printed', hsCode: '610910', quantity: 2, unit: 'pcs', unitPrice: 20, lineValue: 40, originCountry: 'CN' },
  { lineNo: 2, description: 'Canvas tote bag', hsCode: '420222', quantity: 1, unit: 'pcs', unitPrice: 12, lineValue: 12, originCountry: 'CN' },
]; // prettier-ignore

const assessedDuty = new Map<string, DutyAssessment>();

/**
 * A consignment to `destination`, assessed and released by customs at T0, delivered a day later
 * unless `delivered` is false, under a declaration that says what the order says, with `declared`'s
 * changes.
 */
/** A consignment with its records, assessed by customs at day 0. */
async function assessed(
  destination: 'FR' | 'CN',
  lines = LINES,
  declared: Record<string, unknown> = {},
): Promise<string> {
  const id = `CRT-${RUN}-${++n}`;
  const orderNumber = `ORD-${id}`;
  const origin = destination === 'CN' ? 'US' : 'CN';
  clockAt(-1);
  await net.submit('platformA', 'consignment:create', [
    id,
    JSON.stringify({
      orderNumber,
      trackingNumber: `RR${RUN}${n}XX`,
      paymentTransactionId: `PAY-${id}`,
      originCountry: origin,
      destinationCountry: destination,
    }),
  ]);
  await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload(orderNumber, { goodsValue: 52, lines })); // prettier-ignore
  await net.submit('payment', 'consignment:submitPayment', [id], paymentPayload(orderNumber, `PAY-${id}`));
  await net.submit(
    'post',
    'consignment:submitLogistics',
    [id],
    logisticsPayload(orderNumber, `RR${RUN}${n}XX`),
  );
  await net.submit('platformA', 'consignment:submitDeclaration', [id], {
    ...declarationPayload(),
    originCountry: origin,
    destinationCountry: destination,
    lines: lines.map((l) => ({
      hsCode: l.hsCode,
      description: l.description,
      value: l.lineValue,
      currency: 'EUR',
    })),
    ...declared,
  });
  clockAt(0);
  await net.submit('customs', 'customs:assess', [id]);
  const assessment = (await net.evaluate('customs', 'customs:getAssessment', [id])) as {
    revenue: { duty: DutyAssessment };
  };
  assessedDuty.set(id, assessment.revenue.duty);
  return id;
}

async function released(
  destination: 'FR' | 'CN',
  lines = LINES,
  declared: Record<string, unknown> = {},
  { delivered = true } = {},
): Promise<string> {
  const id = await assessed(destination, lines, declared);
  await net.submit('customs', 'consignment:recordDecision', [id, JSON.stringify({ decision: 'release', reasonCodes: [] })]); // prettier-ignore
  clockAt(1);
  if (delivered) await deliver(id, destination);
  return id;
}

const deliver = (id: string, destination: 'FR' | 'CN') =>
  net.submit('post', 'consignment:recordMovement', [id, JSON.stringify({ type: 'delivered', location: destination === 'CN' ? 'CNSHA' : 'FRLYS' })]); // prettier-ignore

/** By default the platform names the express carrier to take the goods back (the parcel came by post); null names none. */
const requestReturn = (id: string, rid: string, lines: { lineNo: number; quantity: number }[], user = 'platformA', carrier: string | null = 'ExpressMSP') =>
  net.submit(user, 'returns:request', [id, rid, JSON.stringify({ reason: 'defective', lines, authorisation: `RMA-${rid}`, ...(carrier ? { carrierMspId: carrier } : {}) })]) as Promise<ReturnRecord>; // prettier-ignore
const ship = (id: string, rid: string, user = 'express') =>
  net.submit(user, 'returns:ship', [id, rid, JSON.stringify({ trackingNumber: `EX${randomBytes(4).toString('hex').toUpperCase()}` })]) as Promise<ReturnRecord>; // prettier-ignore
const scan = (id: string, rid: string, country: string, user = 'express') =>
  net.submit(user, 'returns:scan', [id, rid, JSON.stringify({ type: 'exited', location: country === 'CN' ? 'CNSHA' : 'FRCDG', country })]) as Promise<ReturnRecord>; // prettier-ignore
const REFUND = {
  refundTransactionId: 'RF-CC-0001',
  amount: 52.8,
  currency: 'EUR',
  refundedAt: '2026-12-01T10:00:00Z',
};
const refund = (id: string, rid: string, user = 'payment', refundPayload: unknown = REFUND) =>
  net.submit(user, 'returns:refund', [id, rid], refundPayload) as Promise<ReturnRecord>;
/** Customs' refund of the duty and VAT it assessed on the `returned` lines of consignment `id`. */
function decision(
  id: string,
  returned: { lineNo: number; quantity: number }[],
  change: Record<string, unknown> = {},
): string {
  const d = assessedDuty.get(id)!;
  const onReturn = assessedOnReturn(LINES, d.lines, returned);
  return JSON.stringify({
    outcome: 'duty_refunded',
    dutyRefund: onReturn.duty,
    vatRefund: onReturn.vat,
    currency: d.currency,
    reasonCodes: ['GOODS_EXITED'],
    ...change,
  });
}
const decide = (id: string, rid: string, body: string, user = 'customs') =>
  net.submit(user, 'returns:decide', [id, rid, body]) as Promise<ReturnRecord>;

beforeAll(async () => {
  net = await openTestNetwork();
  await configureCustoms(net, testRuleSet('returns-1'));
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterAll(async () => {
  vi.useRealTimers();
  await net?.close();
});

describe('a full return, each step by its owner and endorsed with customs', () => {
  it('commits request, shipment, exit, refund and customs’ decision; the refund stays private', async () => {
    const id = await released('FR');
    const rid = 'RT-FULL';
    clockAt(5);
    const everything = [
      { lineNo: 1, quantity: 2 },
      { lineNo: 2, quantity: 1 },
    ];
    const requested = await requestReturn(id, rid, everything);
    expect(requested).toMatchObject({
      status: 'requested',
      policy: { entry: 'EU', requestDays: 90 },
      deadlines: { releasedAt: new Date(T0).toISOString() },
    });
    expect((await ship(id, rid)).status).toBe('shipped');
    expect((await scan(id, rid, 'FR')).status).toBe('returned');
    const refunded = await refund(id, rid);
    expect(refunded.refund).toMatchObject({
      refundedBy: 'PaymentMSP',
      root: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(refunded)).not.toContain(REFUND.refundTransactionId);
    const decided = await decide(id, rid, decision(id, everything));
    expect(decided).toMatchObject({ status: 'closed', decision: { decidedBy: 'CustomsMSP' } });
    const got = (await net.evaluate('auditor', 'returns:get', [id, rid])) as ReturnRecord;
    expect(got).toEqual(decided);
    expect(await net.outcome(net.evaluate('platformB', 'returns:get', [id, rid]))).toMatch(
      /is not visible to PlatformBMSP/,
    );
  });

  it('a step endorsed by two trader peers without customs is committed invalid', async () => {
    const id = await released('FR');
    clockAt(5);
    await requestReturn(id, 'RT-FORGE', [{ lineNo: 2, quantity: 1 }]);
    const forged = await net.ledger.endorse(net.users.express!, 'returns:ship', {
      arguments: [id, 'RT-FORGE', JSON.stringify({ trackingNumber: `EXFORGE${RUN}` })],
      endorsingOrganizations: ['ExpressMSP', 'PostMSP'],
    });
    expect((await (await forged.submit()).getStatus()).code).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    const after = (await net.evaluate('customs', 'returns:get', [id, 'RT-FORGE'])) as ReturnRecord;
    expect(after.status).toBe('requested');
  });
});

describe('the carrier the platform names for a return', () => {
  it('reads that return, and neither the consignment nor its other returns', async () => {
    const id = await released('FR');
    clockAt(5);
    await requestReturn(id, 'RT-NAMED', [{ lineNo: 1, quantity: 1 }]);
    clockAt(6);
    await requestReturn(id, 'RT-OWN', [{ lineNo: 2, quantity: 1 }], 'platformA', null);
    const named = (await net.evaluate('express', 'returns:get', [id, 'RT-NAMED'])) as ReturnRecord;
    expect(named).toMatchObject({ returnId: 'RT-NAMED', carrierMspId: 'ExpressMSP', status: 'requested' });
    const list = (await net.evaluate('express', 'returns:list', [id])) as { returns: ReturnRecord[] };
    expect(list.returns.map((r) => r.returnId)).toEqual(['RT-NAMED']);
    // Another return, one that does not exist, the consignment: as to any organisation not in it.
    for (const read of [
      net.evaluate('express', 'returns:get', [id, 'RT-OWN']),
      net.evaluate('express', 'returns:get', [id, 'RT-NONE']),
      net.evaluate('express', 'consignment:get', [id]),
    ]) {
      expect(await net.outcome(read)).toBe(
        `consignment ${id} does not exist or is not visible to ExpressMSP`,
      );
    }
    // The consignment's own carrier reads both.
    const all = (await net.evaluate('post', 'returns:list', [id])) as { returns: ReturnRecord[] };
    expect(all.returns.map((r) => r.returnId)).toEqual(['RT-NAMED', 'RT-OWN']);
  });
});

describe('each step refused by the chaincode to the roles and organisations that do not own it', () => {
  it('request, ship, scan, refund and decide', async () => {
    const id = await released('FR');
    const rid = 'RT-ROLES';
    clockAt(3);
    const lines = [{ lineNo: 1, quantity: 1 }];
    expect(await net.outcome(requestReturn(id, rid, lines, 'post'))).toMatch(/^requestReturn is not allowed for PostMSP/);
    expect(await net.outcome(requestReturn(id, rid, lines, 'customs'))).toMatch(/^requestReturn is not allowed for CustomsMSP/);
    expect(await net.outcome(requestReturn(id, rid, lines, 'platformB'))).toBe(
      `consignment ${id} does not exist or is not visible to PlatformBMSP`,
    );
    expect(await net.outcome(requestReturn(id, rid, lines, 'platformA', 'PaymentMSP'))).toBe(
      'PaymentMSP is not a registered carrier; a return is taken back by post or express',
    );
    // No carrier named: the consignment's own (post) takes it back.
    expect(await requestReturn(id, rid, lines, 'platformA', null)).toMatchObject({ carrierMspId: 'PostMSP' });
    expect(await net.outcome(ship(id, rid, 'platformA'))).toMatch(/^shipReturn is not allowed for PlatformAMSP/);
    expect(await net.outcome(ship(id, rid, 'payment'))).toMatch(/^shipReturn is not allowed for PaymentMSP/);
    // An organisation not in the consignment, and not named for the return, learns nothing of it.
    expect(await net.outcome(ship(id, rid, 'express'))).toBe(`consignment ${id} does not exist or is not visible to ExpressMSP`);
    await ship(id, rid, 'post');
    expect(await net.outcome(scan(id, rid, 'FR', 'customs'))).toMatch(/^scanReturn is not allowed for CustomsMSP/);
    expect(await net.outcome(scan(id, rid, 'FR', 'express'))).toBe(`consignment ${id} does not exist or is not visible to ExpressMSP`);
    await scan(id, rid, 'FR', 'post');
    expect(await net.outcome(refund(id, rid, 'post'))).toMatch(/^refundReturn is not allowed for PostMSP/);
    expect(await net.outcome(refund(id, rid, 'platformA'))).toBe(
      `only the payment provider of consignment ${id} (PaymentMSP) may refund it`,
    );
    for (const user of ['platformA', 'payment', 'auditor']) {
      expect(await net.outcome(decide(id, rid, decision(id, [{ lineNo: 1, quantity: 1 }]), user))).toMatch(/^decideReturn is not allowed for /);
    }
    expect(await net.outcome(net.submit('platformA', 'returns:putPolicy', [JSON.stringify({ version: 'x', policies: {} })]))).toMatch(
      /^manageCustomsConfig is not allowed for PlatformAMSP/,
    );
    // One of the two T-shirts: half the flat 3 EUR on their subheading, nothing of the tote bag's.
    expect(await net.outcome(decide(id, rid, decision(id, [{ lineNo: 1, quantity: 1 }], { dutyRefund: 1.51 })))).toBe(
      'duty refund of 1.51 EUR exceeds what customs assessed on the returned goods: at most 1.50 EUR (of the 6.00 EUR assessed)',
    );
    expect((await decide(id, rid, decision(id, [{ lineNo: 1, quantity: 1 }]))).status).toBe('returned');
    expect((await refund(id, rid, 'payment', { ...REFUND, amount: 20 })).status).toBe('closed');
  }); // prettier-ignore
});

describe('deadlines from the release, on their last millisecond and one after', () => {
  it('China: request within 30 days, shipment and proof of exit within 45, each to the close of its last day in Beijing', async () => {
    const last = (days: number) => deadlineMs(T0, days, 'CN');
    // Independently of the calendar: Beijing's midnight is 16:00 UTC all year.
    expect(new Date(last(30)).toISOString().slice(11)).toBe('15:59:59.999Z');
    expect(last(30) - T0).toBeGreaterThan(30 * DAY);
    expect(last(30) - T0).toBeLessThanOrEqual(31 * DAY);
    const releasedAt = new Date(T0).toISOString();
    const [a, b] = [await released('CN'), await released('CN')];
    vi.setSystemTime(last(30));
    await requestReturn(a, 'RT-A', [{ lineNo: 1, quantity: 1 }]);
    vi.setSystemTime(last(30) + 1);
    expect(await net.outcome(requestReturn(b, 'RT-B', [{ lineNo: 1, quantity: 1 }]))).toBe(
      `return request deadline for CN passed on ${new Date(last(30)).toISOString()} (30 days after release on ${releasedAt})`,
    );
    vi.setSystemTime(last(45));
    await ship(a, 'RT-A');
    await scan(a, 'RT-A', 'CN');
    const c = await released('CN');
    clockAt(29);
    await requestReturn(c, 'RT-C', [{ lineNo: 2, quantity: 1 }]);
    vi.setSystemTime(last(45) + 1);
    expect(await net.outcome(ship(c, 'RT-C'))).toBe(
      `return arrival deadline for CN passed on ${new Date(last(45)).toISOString()} (45 days after release on ${releasedAt})`,
    );
  }); // prettier-ignore

  it('not before release', async () => {
    const id = `CRT-${RUN}-open`;
    await net.submit('platformA', 'consignment:create', [
      id,
      JSON.stringify({ orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    expect(await net.outcome(requestReturn(id, 'RT-OPEN', [{ lineNo: 1, quantity: 1 }]))).toBe(
      `consignment ${id} in status 'created' cannot be returned; it must be released or delivered`,
    );
  });
});

describe('partial returns', () => {
  it('a second partial return takes what is left, no more; ids and tracking numbers are unique', async () => {
    const id = await released('CN');
    clockAt(4);
    await requestReturn(id, 'RT-P1', [{ lineNo: 1, quantity: 1 }]);
    expect(await net.outcome(requestReturn(id, 'RT-P1', [{ lineNo: 2, quantity: 1 }]))).toBe(
      `return RT-P1 of consignment ${id} already exists`,
    );
    expect(await net.outcome(requestReturn(id, 'RT-P2', [{ lineNo: 1, quantity: 2 }]))).toBe(
      'order line 1: 2 cannot be returned; 2 ordered, 1 already returned, 1 left',
    );
    clockAt(6);
    await requestReturn(id, 'RT-P2', [
      { lineNo: 1, quantity: 1 },
      { lineNo: 2, quantity: 1 },
    ]);
    expect(await net.outcome(requestReturn(id, 'RT-P3', [{ lineNo: 2, quantity: 1 }]))).toBe(
      'order line 2: 1 cannot be returned; 1 ordered, 1 already returned, 0 left',
    );
    // The T-shirts are counted in pcs: half of one is no return.
    expect(await net.outcome(requestReturn(id, 'RT-P3', [{ lineNo: 1, quantity: 0.5 }]))).toBe(
      'order line 1: 0.5 cannot be returned; a quantity in pcs is a whole number',
    );
    const tracking = JSON.stringify({ trackingNumber: `EXP${RUN}` });
    await net.submit('express', 'returns:ship', [id, 'RT-P1', tracking]);
    expect(await net.outcome(net.submit('express', 'returns:ship', [id, 'RT-P2', tracking]))).toBe(
      `tracking number EXP${RUN} of ExpressMSP is already used by consignment ${id}`,
    );
    // Oldest first.
    const list = (await net.evaluate('platformA', 'returns:list', [id])) as { returns: ReturnRecord[] };
    expect(list.returns.map((r) => [r.returnId, r.status])).toEqual([
      ['RT-P1', 'shipped'],
      ['RT-P2', 'requested'],
    ]);
  });
});

describe('a return before delivery', () => {
  const WHOLE = [{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 1 }]; // prettier-ignore

  // A part went back and the consignment exited whole: the buyer's quota freed the whole purchase
  // while customs' refund caps covered the part.
  it('takes back the whole parcel, not a part of it', async () => {
    const id = await released('FR', LINES, {}, { delivered: false });
    const height = net.ledger.height();
    expect(await net.outcome(requestReturn(id, 'R1', [{ lineNo: 1, quantity: 1 }]))).toBe(
      "the consignment is 'released', not delivered: a return before delivery takes back the whole parcel, and this one is short of line 1 by 1, line 2 by 1; return part of the order once it is delivered",
    );
    expect(net.ledger.height()).toBe(height);
    await requestReturn(id, 'R1', WHOLE);
  });

  it('once shipped, the goods are going back: the parcel is not delivered after it', async () => {
    const id = await released('FR', LINES, {}, { delivered: false });
    await requestReturn(id, 'R1', WHOLE);
    const status = async () => ((await net.evaluate('customs', 'consignment:get', [id])) as { consignment: { status: string } }).consignment.status; // prettier-ignore
    await ship(id, 'R1');
    const height = net.ledger.height();
    expect(await net.outcome(deliver(id, 'FR'))).toBe(
      `cannot apply 'delivered' to consignment ${id}: its goods went back under return R1 (status 'shipped')`,
    );
    expect(net.ledger.height()).toBe(height);
    expect(await status()).toBe('released');
    // The goods leave the destination: the consignment has exited, a final status.
    await scan(id, 'R1', 'FR');
    expect(await status()).toBe('exited');
    expect(await net.outcome(deliver(id, 'FR'))).toBe(
      `cannot apply 'delivered' to consignment ${id} in status 'exited'; allowed: none (final status)`,
    );
  });

  it('while only requested, the parcel may still be delivered', async () => {
    const id = await released('FR', LINES, {}, { delivered: false });
    await requestReturn(id, 'R1', WHOLE);
    expect(((await deliver(id, 'FR')) as { statusAfter: string }).statusAfter).toBe('delivered');
  });
});

describe('a return in parts', () => {
  it('gets back over its parts exactly the VAT customs assessed on the whole', async () => {
    // Three T-shirts: 3.00 flat duty and 9.52 VAT on their line; a third of the VAT is 3.1733….
    const lines = [{ ...LINES[0]!, quantity: 3, unitPrice: 13.33, lineValue: 40 }, LINES[1]!];
    const id = await released('FR', lines);
    const assessed = assessedDuty.get(id)!;
    expect(assessed.lines[0]).toMatchObject({ hs6: '610910', duty: 3, vat: 9.52 });
    clockAt(5);
    const refund = (dutyRefund: number, vatRefund: number) =>
      JSON.stringify({ outcome: 'duty_refunded', dutyRefund, vatRefund, currency: 'EUR', reasonCodes: ['GOODS_EXITED'] }); // prettier-ignore
    // Rounded each on its own, the thirds would be 3.17 three times: 9.51.
    for (const [rid, vat] of [['RT-THIRD-1', 3.17], ['RT-THIRD-2', 3.18], ['RT-THIRD-3', 3.17]] as const) {
      await requestReturn(id, rid, [{ lineNo: 1, quantity: 1 }]);
      await ship(id, rid);
      await scan(id, rid, 'FR');
      const more = Math.round(vat * 100 + 1) / 100;
      expect(await net.outcome(decide(id, rid, refund(1, more)))).toBe(
        `VAT refund of ${more.toFixed(2)} EUR exceeds what customs assessed on the returned goods: at most ${vat.toFixed(2)} EUR (of the 12.80 EUR assessed)`,
      );
      expect((await decide(id, rid, refund(1, vat))).decision).toMatchObject({ dutyRefund: 1, vatRefund: vat });
    }
  }); // prettier-ignore
});

describe('a return of goods whose VAT the platform collected at checkout (IOSS)', () => {
  it('customs refunds the duty it collected at import and no VAT, which the seller refunds with the price', async () => {
    const id = await released('FR', LINES, { vatCollectionNumber: 'IM2500000001' });
    // The import is exempt from VAT under IOSS: customs collected the duty alone, 3 EUR per HS6.
    expect(assessedDuty.get(id)).toMatchObject({ collectionModel: 'platform', duty: 6, vat: 12.8, collectedAtCheckout: 8.8, toCollect: 6 });
    clockAt(5);
    const refund = (dutyRefund: number, vatRefund: number) =>
      JSON.stringify({ outcome: 'duty_refunded', dutyRefund, vatRefund, currency: 'EUR', reasonCodes: ['GOODS_EXITED'] }); // prettier-ignore
    for (const [rid, lines, vat] of [
      ['RT-IOSS-1', [{ lineNo: 1, quantity: 2 }], 9.52],
      ['RT-IOSS-2', [{ lineNo: 2, quantity: 1 }], 3.28],
    ] as const) {
      await requestReturn(id, rid, [...lines]);
      await ship(id, rid);
      await scan(id, rid, 'FR');
      expect(await net.outcome(decide(id, rid, refund(3, vat)))).toBe(
        `VAT refund of ${vat.toFixed(2)} EUR: customs collected no VAT at import, the goods being under the platform's checkout scheme (IOSS), which charged the VAT with the price (8.80 EUR declared collected); the seller refunds it with the price`,
      );
      expect(await net.outcome(decide(id, rid, refund(3.01, 0)))).toBe(
        'duty refund of 3.01 EUR exceeds what customs assessed on the returned goods: at most 3.00 EUR (of the 6.00 EUR assessed)',
      );
      expect((await decide(id, rid, refund(3, 0))).decision).toMatchObject({ dutyRefund: 3, vatRefund: 0 });
    }
  }); // prettier-ignore
});

describe('erasure of the buyer’s data while the consignment can still be returned', () => {
  /** The holder erases the buyer's data from its records of the consignment, endorsed with customs. */
  const erase = (user: 'platformA' | 'payment', mspId: string, id: string, orderProof?: unknown) =>
    net.ledger.submit(net.users[user]!, 'erasure:erase', {
      arguments: [],
      transientData: {
        subject: json({
          reason: 'erasure_request',
          partyId: BUYER_ID,
          target: { type: 'consignment', consignmentId: id, ...(orderProof ? { orderProof } : {}) },
        }),
      },
      endorsingOrganizations: [mspId, 'CustomsMSP'],
    });

  it('an open return is refunded and decided from the kept fields, a new one can be requested, and the erased fields stay gone', async () => {
    const id = await released('FR');
    clockAt(5);
    await requestReturn(id, 'RT-E1', [{ lineNo: 1, quantity: 1 }]);
    await ship(id, 'RT-E1');
    await scan(id, 'RT-E1', 'FR');

    clockAt(6);
    await erase('platformA', 'PlatformAMSP', id);
    await erase(
      'payment',
      'PaymentMSP',
      id,
      await recordedDisclosure(net, 'platformA', id, 'order', ['/buyer/id'], 'data_subject_request'),
    );

    // The refund is bounded by the payment's kept amount, customs' decision by the order's kept lines.
    expect(await net.outcome(refund(id, 'RT-E1', 'payment', { ...REFUND, amount: 52.81 }))).toBe(
      'a refund of 52.81 EUR exceeds what is left to refund: 52.80 EUR paid, 0.00 EUR refunded on earlier returns, 52.80 EUR left',
    );
    expect((await refund(id, 'RT-E1', 'payment', { ...REFUND, amount: 20 })).status).toBe('returned');
    expect((await decide(id, 'RT-E1', decision(id, [{ lineNo: 1, quantity: 1 }]))).status).toBe('closed');

    clockAt(7);
    expect(await net.outcome(requestReturn(id, 'RT-E2', [{ lineNo: 1, quantity: 2 }]))).toBe(
      'order line 1: 2 cannot be returned; 2 ordered, 1 already returned, 1 left',
    );
    expect(
      await requestReturn(id, 'RT-E2', [
        { lineNo: 1, quantity: 1 },
        { lineNo: 2, quantity: 1 },
      ]),
    ).toMatchObject({ status: 'requested' });

    // Each under a purpose that may see the erased field: what refuses it is the erasure.
    for (const [user, kind, erased, purpose] of [
      ['platformA', 'order', '/buyer/name', 'dispute_resolution'],
      ['customs', 'order', '/buyer/name', 'risk_assessment'],
      ['payment', 'payment', '/payer/name', 'dispute_resolution'],
      ['customs', 'payment', '/payer/name', 'risk_assessment'],
    ] as const) {
      expect(await net.outcome(readPrivateRecord(net, user, id, kind))).toMatch(
        new RegExp(`^the ${kind} record of consignment ${id} was erased \\(transaction `),
      );
      expect(await net.outcome(recordedDisclosure(net, user, id, kind, [erased], purpose))).toBe(
        `field '${erased}' was erased: only its hash remains`,
      );
      const kept = JSON.stringify(await recordedDisclosure(net, user, id, kind, ['/currency']));
      for (const value of [PERSONAL.buyerName, PERSONAL.buyerDocument, PERSONAL.payerName, PERSONAL.street]) {
        expect(kept).not.toContain(value);
      }
    }
  });

  it('a read whose access record was endorsed before an erasure that commits first is not recorded, and hands nothing out', async () => {
    const id = await released('FR');
    const access = [id, 'order', 'dispute_resolution'];
    const inFlight = await net.ledger.endorse(net.users.platformA!, 'consignment:recordAccess', {
      arguments: access,
    });
    clockAt(6);
    await erase('platformA', 'PlatformAMSP', id);
    const committed = await (await inFlight.submit()).getStatus();
    expect(committed.code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    // No access record committed: its transaction lets nothing out.
    expect(
      await net.outcome(
        net.evaluate('platformA', 'consignment:getPrivateRecord', [id, 'order', inFlight.transactionId]),
      ),
    ).toMatch(/recorded no read of the order record of consignment /);
    expect(await net.outcome(net.submit('platformA', 'consignment:recordAccess', access))).toMatch(
      new RegExp(`^the order record of consignment ${id} was erased \\(transaction `),
    );
    // A disclosure of kept fields is still recorded; one of an erased field is not.
    const disclose = (fields: string[]) =>
      net.outcome(
        net.submit('platformA', 'consignment:recordDisclosure', [
          id,
          'order',
          'dispute_resolution',
          JSON.stringify(fields),
        ]),
      );
    expect(await disclose(['/lines/0/hsCode'])).toBe('ok');
    expect(await disclose(['/lines/0/hsCode', '/buyer/name'])).toBe(
      "field '/buyer/name' was erased: only its hash remains",
    );
  });
});

describe('the tax point', () => {
  // A re-assessment (after a referral's answer, a correction, an officer's request) priced the goods
  // under the tariff of its own day: goods declared the day before a flat duty came in were charged it.
  it('a re-assessment keeps the tariff of the day the first assessment with a declaration fixed', async () => {
    const day = (days: number) => new Date(T0 + days * DAY).toISOString().slice(0, 10);
    const withFlatDutyFrom = (version: string, from: string) => ({
      ...DEFAULT_TARIFF_SET,
      version,
      tariffs: DEFAULT_TARIFF_SET.tariffs.map((t) =>
        t.country === 'FR' && t.flatDutyPerItemCategory
          ? { ...t, flatDutyPerItemCategory: { ...t.flatDutyPerItemCategory, from } }
          : t,
      ),
    });
    const install = (tariffs: unknown) =>
      net.submit('customs', 'customs:putTariffs', [], undefined, {
        transientData: { tariffs: json(tariffs) },
      });
    clockAt(-2);
    await install(withFlatDutyFrom(`tax-point-${RUN}`, day(3)));
    try {
      const id = await assessed('FR');
      // Before the flat duty, ad valorem.
      const first = assessedDuty.get(id)!;
      expect(first).toMatchObject({ dutyBasis: 'ad_valorem', duty: 5.75 });
      clockAt(5);
      await net.submit('customs', 'customs:assess', [id]);
      const again = (await net.evaluate('customs', 'customs:getAssessment', [id])) as {
        number: number;
        revenue: { duty: DutyAssessment };
      };
      expect(again.number).toBe(2);
      expect(again.revenue.duty).toEqual(first);
    } finally {
      clockAt(6);
      await install({ ...DEFAULT_TARIFF_SET, version: `tax-point-${RUN}-back` });
    }
  });
});
