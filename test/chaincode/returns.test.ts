import { describe, expect, it } from 'vitest';
import {
  assertBeforeDeadline,
  assertRefundWithinPaid,
  assertReturnable,
  assertStep,
  assertWithinAssessedShare,
  assessedShare,
  DEFAULT_RETURN_POLICY_SET,
  returnDeadlines,
  returnedShare,
  returnPolicyFor,
  ReturnDecision,
  ReturnPolicySet,
  statusAfter,
  type ReturnDeadlineName,
  type ReturnStatus,
  type ReturnStep,
} from '../../chaincode/src/domain/returns.js';

const RELEASED = '2026-03-01T10:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;
const at = (days: number, ms = 0) => new Date(Date.parse(RELEASED) + days * DAY + ms).toISOString();

describe('return policies by destination', () => {
  it.each([
    ['CN', 'CN', 30, 45, 90],
    ['FR', 'EU', 90, 90, 90],
    ['DE', 'EU', 90, 90, 90],
    ['US', 'default', 90, 90, 90],
  ])(
    '%s (entry %s): request %i days, arrival %i, decision %i',
    (country, entry, request, arrival, decision) => {
      expect(returnPolicyFor(country)).toEqual({
        version: DEFAULT_RETURN_POLICY_SET.version,
        entry,
        requestDays: request,
        arrivalDays: arrival,
        decisionDays: decision,
      });
    },
  );

  it('a policy set customs installs: a country entry beats the EU entry, which beats the default', () => {
    const set = ReturnPolicySet.parse({
      version: 'returns-2027.1',
      policies: {
        DE: { requestDays: 14, arrivalDays: 30, decisionDays: 60 },
        EU: { requestDays: 60, arrivalDays: 60, decisionDays: 90 },
        default: { requestDays: 20, arrivalDays: 40, decisionDays: 40 },
      },
    });
    expect(returnPolicyFor('DE', set)).toMatchObject({
      entry: 'DE',
      requestDays: 14,
      version: 'returns-2027.1',
    });
    expect(returnPolicyFor('FR', set)).toMatchObject({ entry: 'EU', requestDays: 60 });
    expect(returnPolicyFor('CN', set)).toMatchObject({ entry: 'default', requestDays: 20 });
  });

  it.each([
    [{ version: 'v1', policies: { CN: { requestDays: 30, arrivalDays: 45, decisionDays: 90 } } }, "must have a 'default' policy"],
    [{ version: 'v1', policies: { default: { requestDays: 30, arrivalDays: 20, decisionDays: 90 } } }, 'arrivalDays must be at least requestDays'],
    [{ version: 'v1', policies: { default: { requestDays: 0, arrivalDays: 20, decisionDays: 90 } } }, 'Too small'],
    [{ version: 'v1', policies: { cn: { requestDays: 1, arrivalDays: 1, decisionDays: 1 }, default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, "must be a country code, 'EU' or 'default'"],
    [{ version: 'v 1', policies: { default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, 'must be a short version label'],
    // The buyer's annual limit is the tariff's (revenue.ts BuyerLimits), not the return policy's.
    [{ version: 'v1', policies: { default: { requestDays: 1, arrivalDays: 1, decisionDays: 1, annualQuota: { amount: 1, currency: 'CNY' } } } }, 'Unrecognized key: \\"annualQuota\\"'],
  ])('refuses the policy set %j', (set, message) => {
    const parsed = ReturnPolicySet.safeParse(set);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  }); // prettier-ignore

  it('counts each deadline from the release', () => {
    expect(returnDeadlines(returnPolicyFor('CN'), RELEASED)).toEqual({
      releasedAt: RELEASED,
      request: '2026-03-31T10:00:00.000Z',
      arrival: '2026-04-15T10:00:00.000Z',
      decision: '2026-05-30T10:00:00.000Z',
    });
  });
});

describe('deadlines, just inside and just outside', () => {
  const cases: [string, ReturnDeadlineName, number, string][] = [
    ['CN', 'request', 30, 'return request deadline for CN passed on 2026-03-31T10:00:00.000Z (30 days after release on 2026-03-01T10:00:00.000Z)'],
    ['CN', 'arrival', 45, 'return arrival deadline for CN passed on 2026-04-15T10:00:00.000Z (45 days after release on 2026-03-01T10:00:00.000Z)'],
    ['FR', 'decision', 90, 'duty refund and invalidation deadline for FR passed on 2026-05-30T10:00:00.000Z (90 days after release on 2026-03-01T10:00:00.000Z)'],
    ['FR', 'request', 90, 'return request deadline for FR passed on 2026-05-30T10:00:00.000Z (90 days after release on 2026-03-01T10:00:00.000Z)'],
  ]; // prettier-ignore
  it.each(cases)(
    '%s %s: on the last millisecond in time, one after refused',
    (country, name, days, message) => {
      const policy = returnPolicyFor(country);
      const deadlines = returnDeadlines(policy, RELEASED);
      expect(() => assertBeforeDeadline(name, deadlines, policy, country, at(days))).not.toThrow();
      expect(() => assertBeforeDeadline(name, deadlines, policy, country, at(days, 1))).toThrow(message);
      expect(() => assertBeforeDeadline(name, deadlines, policy, country, at(0))).not.toThrow();
    },
  );
});

describe('what may be returned', () => {
  const ordered = [
    { lineNo: 1, quantity: 2 },
    { lineNo: 2, quantity: 1 },
  ];

  it('takes part of an order, then the rest, and no more', () => {
    expect(() => assertReturnable(ordered, [], [{ lineNo: 1, quantity: 1 }])).not.toThrow();
    const first = [{ lineNo: 1, quantity: 1 }];
    expect(() =>
      assertReturnable(ordered, first, [
        { lineNo: 1, quantity: 1 },
        { lineNo: 2, quantity: 1 },
      ]),
    ).not.toThrow();
    expect(() => assertReturnable(ordered, first, [{ lineNo: 1, quantity: 2 }])).toThrow(
      'order line 1: 2 cannot be returned; 2 ordered, 1 already returned, 1 left',
    );
  });

  it.each([
    [[{ lineNo: 3, quantity: 1 }], 'the order has no line 3'],
    [
      [{ lineNo: 2, quantity: 2 }],
      'order line 2: 2 cannot be returned; 1 ordered, 0 already returned, 1 left',
    ],
    [
      [
        { lineNo: 1, quantity: 1 },
        { lineNo: 1, quantity: 1 },
      ],
      'the return lists order line 1 twice',
    ],
  ])('refuses %o', (lines, message) => {
    expect(() => assertReturnable(ordered, [], lines)).toThrow(message);
  });

  it('counts fractional quantities exactly, and says what is left as written', () => {
    const kilos = [{ lineNo: 1, quantity: 0.7 }];
    const earlier = [
      { lineNo: 1, quantity: 0.1 },
      { lineNo: 1, quantity: 0.2 },
    ];
    expect(() => assertReturnable(kilos, earlier, [{ lineNo: 1, quantity: 0.4 }])).not.toThrow();
    expect(() =>
      assertReturnable(
        [{ lineNo: 1, quantity: 0.3 }],
        [{ lineNo: 1, quantity: 0.1 }],
        [{ lineNo: 1, quantity: 0.2 }],
      ),
    ).not.toThrow();
    expect(() => assertReturnable(kilos, earlier, [{ lineNo: 1, quantity: 0.41 }])).toThrow(
      'order line 1: 0.41 cannot be returned; 0.7 ordered, 0.3 already returned, 0.4 left',
    );
  });
});

describe('amounts: what the buyer and customs give back', () => {
  const part = (n: number, d: number) => ({ n: BigInt(n), d: BigInt(d) });
  const ordered = [
    { lineNo: 1, quantity: 2, lineValue: 40 },
    { lineNo: 2, quantity: 1, lineValue: 12 },
  ];

  it.each([
    [[{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 1 }], 1, 1],
    [[{ lineNo: 1, quantity: 1 }], 20, 52],
    [[{ lineNo: 2, quantity: 1 }], 12, 52],
  ])('lines %j take back %d / %d of the order’s value', (lines, n, d) => {
    const share = returnedShare(ordered, lines);
    expect(share.n * BigInt(d)).toBe(BigInt(n) * share.d);
  }); // prettier-ignore

  it('the share of an assessed amount rounds half-up to the cent', () => {
    expect(assessedShare(10.4, part(1, 1))).toBe(10.4);
    expect(assessedShare(10.4, part(20, 52))).toBe(4);
    expect(assessedShare(0.05, part(1, 2))).toBe(0.03);
  });

  it('caps at the exact share, rounded half-up: 7 of a 10 order’s value, of 0.45 assessed, is 0.315, so 0.32', () => {
    const tenths = [
      { lineNo: 1, quantity: 1, lineValue: 7 },
      { lineNo: 2, quantity: 1, lineValue: 3 },
    ];
    const share = returnedShare(tenths, [{ lineNo: 1, quantity: 1 }]);
    expect(assessedShare(0.45, share)).toBe(0.32);
    const refund = { what: 'VAT refund', currency: 'EUR', assessed: 0.45, share, earlier: 0 };
    expect(() => assertWithinAssessedShare({ ...refund, asked: 0.32 })).not.toThrow();
    expect(() => assertWithinAssessedShare({ ...refund, asked: 0.33 })).toThrow(
      "VAT refund of 0.33 EUR exceeds this return's share: at most 0.32 EUR (70.0% of the 0.45 EUR assessed)",
    );
    // 1 of 6 kilos of a line worth 0.18: 0.03 of the order's value, and of 0.03 assessed exactly half a cent.
    const kilos = [{ lineNo: 1, quantity: 0.6, lineValue: 0.18 }];
    expect(assessedShare(0.03, returnedShare(kilos, [{ lineNo: 1, quantity: 0.1 }]))).toBe(0.01);
  });

  const within = (asked: number, earlier = 0, share = part(20, 52)) =>
    assertWithinAssessedShare({ what: 'VAT refund', currency: 'EUR', assessed: 10.4, share, asked, earlier });
  it('customs refunds at most the returned goods’ share of what it assessed, over all returns', () => {
    expect(() => within(4)).not.toThrow();
    expect(() => within(4.01)).toThrow(
      "VAT refund of 4.01 EUR exceeds this return's share: at most 4.00 EUR (38.5% of the 10.40 EUR assessed)",
    );
    expect(() => within(6.4, 4, part(32, 52))).not.toThrow();
    expect(() => within(6.41, 4, part(1, 1))).toThrow(
      'VAT refund of 6.41 EUR with 4.00 EUR on earlier returns exceeds the 10.40 EUR assessed',
    );
  });

  it('the buyer is refunded at most what was paid, in its currency, over all returns', () => {
    const paid = { amount: 52.8, currency: 'EUR' };
    expect(() => assertRefundWithinPaid({ amount: 52.8, currency: 'EUR' }, paid, 0)).not.toThrow();
    expect(() => assertRefundWithinPaid({ amount: 32.8, currency: 'EUR' }, paid, 20)).not.toThrow();
    expect(() => assertRefundWithinPaid({ amount: 32.81, currency: 'EUR' }, paid, 20)).toThrow(
      'a refund of 32.81 EUR exceeds what is left to refund: 52.80 EUR paid, 20.00 EUR refunded on earlier returns, 32.80 EUR left',
    );
    expect(() => assertRefundWithinPaid({ amount: 1, currency: 'USD' }, paid, 0)).toThrow(
      'the refund is in USD but the payment was in EUR',
    );
  });
});

describe('the steps of a return', () => {
  const state = (status: ReturnStatus, refunded = false, decided = false) => ({ status, refunded, decided });
  const steps: ReturnStep[] = ['ship', 'scan', 'refund', 'decide'];
  const table: [ReturnStatus, boolean, boolean, Record<ReturnStep, ReturnStatus | string>][] = [
    ['requested', false, false, { ship: 'shipped', scan: "needs status shipped", refund: 'needs status shipped or returned', decide: 'needs status returned' }],
    ['shipped', false, false, { ship: 'needs status requested', scan: 'returned', refund: 'shipped', decide: 'needs status returned' }],
    ['returned', false, false, { ship: 'needs status requested', scan: 'needs status shipped', refund: 'returned', decide: 'returned' }],
    ['returned', true, false, { ship: 'needs status requested', scan: 'needs status shipped', refund: 'already refunded', decide: 'closed' }],
    ['returned', false, true, { ship: 'needs status requested', scan: 'needs status shipped', refund: 'closed', decide: 'already decided' }],
  ]; // prettier-ignore
  it.each(table)('from %s (refunded %s, decided %s)', (status, refunded, decided, outcomes) => {
    for (const step of steps) {
      const expected = outcomes[step];
      const s = state(status, refunded, decided);
      if (expected.includes(' ')) {
        expect(() => assertStep(step, s, 'R-1'), step).toThrow(expected);
      } else {
        expect(() => assertStep(step, s, 'R-1'), step).not.toThrow();
        expect(statusAfter(step, s), step).toBe(expected);
      }
    }
  });

  it('a refused return refunds nothing', () => {
    const base = { dutyRefund: 0, vatRefund: 0, currency: 'EUR', reasonCodes: [] };
    expect(ReturnDecision.safeParse({ ...base, outcome: 'refused' }).success).toBe(true);
    expect(ReturnDecision.safeParse({ ...base, outcome: 'refused', vatRefund: 1 }).success).toBe(false);
    expect(ReturnDecision.safeParse({ ...base, outcome: 'duty_refunded', vatRefund: 8.8 }).success).toBe(
      true,
    );
  });
});
