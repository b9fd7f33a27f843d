import { describe, expect, it } from 'vitest';
import {
  assertBeforeDeadline,
  assertReturnable,
  assertStep,
  returnDeadlines,
  returnPolicyFor,
  ReturnDecision,
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
    ['CN', 30, 45, 90, { amount: 26_000, currency: 'CNY' }],
    ['FR', 90, 90, 90, undefined],
    ['DE', 90, 90, 90, undefined],
    ['US', 90, 90, 90, undefined],
  ])(
    '%s: request %i days, arrival %i, decision %i, quota %o',
    (country, request, arrival, decision, quota) => {
      expect(returnPolicyFor(country)).toEqual({
        requestDays: request,
        arrivalDays: arrival,
        decisionDays: decision,
        ...(quota ? { annualQuota: quota } : {}),
      });
    },
  );

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
