import { describe, expect, it } from 'vitest';
import {
  assertAuthorisationUnused,
  assertBeforeDeadline,
  assertDeliveryPlace,
  assertNotGoingBack,
  assertRefundWithinPaid,
  assertReturnable,
  assertScanPlace,
  assertStep,
  assertVatRefundable,
  assertWholeBeforeDelivery,
  assertWithinAssessed,
  assessedOnReturn,
  assessedShare,
  BUILT_IN_RETURN_POLICY_SETS,
  consignmentStatusAfterReturnScan,
  DEFAULT_RETURN_POLICY_SET,
  returnDeadlines,
  returnedShare,
  returnPolicyFor,
  returnsReadableBy,
  ReturnDecision,
  ReturnPolicySet,
  type ReturnPolicy,
  statusAfter,
  type AssessedLine,
  type ClassifiedLine,
  type ReturnDeadlineName,
  type ReturnLine,
  type ReturnStatus,
  type ReturnStep,
} from '../../chaincode/src/domain/returns.js';
import { FR_TARIFF, FR_TARIFF_2021 } from '../../chaincode/src/domain/customs-config.js';
import { assessDuty } from '../../chaincode/src/domain/revenue.js';
import type { ConsignmentStatus } from '../../chaincode/src/domain/state-machine.js';

const RELEASED = '2026-03-01T10:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;
const at = (days: number, ms = 0) => new Date(Date.parse(RELEASED) + days * DAY + ms).toISOString();

describe('return policies by destination', () => {
  it.each([
    ['CN', 'CN', 30, 45, 90],
    ['FR', 'EU', 90, 90, 210],
    ['DE', 'EU', 90, 90, 210],
    // Inside the EU's customs territory without being member states.
    ['MC', 'EU', 90, 90, 210],
    ['SM', 'EU', 90, 90, 210],
    ['GP', 'EU', 90, 90, 210],
    ['RE', 'EU', 90, 90, 210],
    ['MF', 'EU', 90, 90, 210],
    ['AX', 'EU', 90, 90, 210],
    // Outside it: Saint-Barthélemy left in 2012; Switzerland has its own.
    ['BL', 'default', 90, 90, 210],
    ['CH', 'default', 90, 90, 210],
    ['US', 'default', 90, 90, 210],
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

  it('goods that left on the EU’s 89th day can still be decided on, after the 90 days', () => {
    const policy = returnPolicyFor('FR');
    const deadlines = returnDeadlines(policy, RELEASED, 'FR');
    expect(() => assertBeforeDeadline('arrival', deadlines, policy, 'FR', at(89))).not.toThrow();
    expect(() => assertBeforeDeadline('decision', deadlines, policy, 'FR', at(91))).not.toThrow();
  });

  it('each built-in set keeps its label and content: returns requested under one name it', () => {
    expect(BUILT_IN_RETURN_POLICY_SETS.map((set) => ReturnPolicySet.parse(set).version)).toEqual(['default-2026', 'default-2026.2']);
    expect(BUILT_IN_RETURN_POLICY_SETS.at(-1)).toBe(DEFAULT_RETURN_POLICY_SET);
    // As it was in force until customs' decision deadline became 210 days.
    expect(BUILT_IN_RETURN_POLICY_SETS[0]).toEqual({
      version: 'default-2026',
      policies: {
        CN: { requestDays: 30, arrivalDays: 45, decisionDays: 90 },
        EU: { requestDays: 90, arrivalDays: 90, decisionDays: 90 },
        default: { requestDays: 90, arrivalDays: 90, decisionDays: 90 },
      },
    });
  }); // prettier-ignore

  it('accepts a decision deadline on the same day as the arrival deadline', () => {
    const same = { requestDays: 30, arrivalDays: 45, decisionDays: 45 };
    expect(ReturnPolicySet.safeParse({ version: 'v1', policies: { CN: same, default: same } }).success).toBe(
      true,
    );
  });

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
    expect(returnPolicyFor('MC', set)).toMatchObject({ entry: 'EU', requestDays: 60 });
    expect(returnPolicyFor('CN', set)).toMatchObject({ entry: 'default', requestDays: 20 });
  });

  it.each([
    [{ version: 'v1', policies: { CN: { requestDays: 30, arrivalDays: 45, decisionDays: 90 } } }, "must have a 'default' policy"],
    [{ version: 'v1', policies: { default: { requestDays: 30, arrivalDays: 20, decisionDays: 90 } } }, 'arrivalDays (20) for default must be at least its requestDays (30)'],
    // Goods back on the last day of arrivalDays would be past customs' deadline to refund or invalidate.
    [{ version: 'v1', policies: { CN: { requestDays: 30, arrivalDays: 45, decisionDays: 44 }, default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, 'decisionDays (44) for CN must be at least its arrivalDays (45)'],
    [{ version: 'v1', policies: { default: { requestDays: 90, arrivalDays: 90, decisionDays: 30 } } }, 'decisionDays (30) for default must be at least its arrivalDays (90)'],
    [{ version: 'v1', policies: { default: { requestDays: 0, arrivalDays: 20, decisionDays: 90 } } }, 'Too small'],
    [{ version: 'v1', policies: { cn: { requestDays: 1, arrivalDays: 1, decisionDays: 1 }, default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, "must be a country code, 'EU' or 'default'"],
    [{ version: 'v1', policies: { ZZ: { requestDays: 1, arrivalDays: 1, decisionDays: 1 }, default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, "must be a country code, 'EU' or 'default'"],
    [{ version: 'v 1', policies: { default: { requestDays: 1, arrivalDays: 1, decisionDays: 1 } } }, 'must be a short version label'],
    // The buyer's annual limit is the tariff's (revenue.ts BuyerLimits), not the return policy's.
    [{ version: 'v1', policies: { default: { requestDays: 1, arrivalDays: 1, decisionDays: 1, annualQuota: { amount: 1, currency: 'CNY' } } } }, 'Unrecognized key: \\"annualQuota\\"'],
  ])('refuses the policy set %j', (set, message) => {
    const parsed = ReturnPolicySet.safeParse(set);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  }); // prettier-ignore

  // Counted in hours from the release, each deadline passed at 10:00 UTC (18:00 in Beijing) on its
  // last day, up to a day early.
  it('counts calendar days from the day after release, each ending at the destination’s midnight', () => {
    // Released at 18:00 on 1 March in Beijing: the 30 days are 2 to 31 March, Beijing time.
    expect(returnDeadlines(returnPolicyFor('CN'), RELEASED, 'CN')).toEqual({
      releasedAt: RELEASED,
      request: '2026-03-31T15:59:59.999Z',
      arrival: '2026-04-15T15:59:59.999Z',
      decision: '2026-05-30T15:59:59.999Z',
    });
    // Released at 20:00 UTC on 1 March, 2 March in Beijing: its 30 days end with 1 April.
    expect(returnDeadlines(returnPolicyFor('CN'), '2026-03-01T20:00:00.000Z', 'CN').request).toBe('2026-04-01T15:59:59.999Z');
    // Paris changes to summer time on 29 March: the 90th day ends at midnight CEST.
    expect(returnDeadlines(returnPolicyFor('DE'), '2026-03-02T09:00:00+01:00', 'DE').request).toBe('2026-05-31T21:59:59.999Z');
  }); // prettier-ignore
});

describe('a deadline whose last day is not a working day', () => {
  // Released on Friday 6 March 2026 in Paris: the 90th day after is Thursday 4 June, the 84th
  // Friday 29 May, the 85th Saturday 30 May, the 86th Sunday 31 May.
  const RELEASED_FRIDAY = '2026-03-06T10:00:00.000Z';
  const policy = (requestDays: number, nonWorkingDays?: ReturnPolicy['nonWorkingDays']) => ({
    requestDays,
    arrivalDays: 90,
    decisionDays: 210,
    ...(nonWorkingDays ? { nonWorkingDays } : {}),
  });
  const WEEKEND = { weekdays: [6, 7], holidays: [] };

  it('moves to the end of the next working day where the policy names the rest days', () => {
    expect(returnDeadlines(policy(85, WEEKEND), RELEASED_FRIDAY, 'FR').request).toBe('2026-06-01T21:59:59.999Z');
    expect(returnDeadlines(policy(86, WEEKEND), RELEASED_FRIDAY, 'FR').request).toBe('2026-06-01T21:59:59.999Z');
    expect(returnDeadlines(policy(84, WEEKEND), RELEASED_FRIDAY, 'FR').request).toBe('2026-05-29T21:59:59.999Z');
    // Whit Monday, 25 May 2026, a holiday: the Saturday before goes on to Tuesday.
    const whit = { weekdays: [6, 7], holidays: ['2026-05-25'] };
    expect(returnDeadlines(policy(78, whit), RELEASED_FRIDAY, 'FR').request).toBe('2026-05-26T21:59:59.999Z');
  });

  it('stays on its last calendar day where the policy names none', () => {
    expect(returnDeadlines(policy(85), RELEASED_FRIDAY, 'FR').request).toBe('2026-05-30T21:59:59.999Z');
  });

  it('says, when refused, that its last day was moved', () => {
    const moved = policy(85, WEEKEND);
    const deadlines = returnDeadlines(moved, RELEASED_FRIDAY, 'FR');
    expect(() => assertBeforeDeadline('request', deadlines, moved, 'FR', '2026-06-01T22:00:00.000Z')).toThrow(
      `return request deadline for FR passed on 2026-06-01T21:59:59.999Z (85 days after release on ${RELEASED_FRIDAY}, its last day moved to the next working day)`,
    );
    // A deadline computed by 1.8, 85 × 24 hours from the release, moved nothing.
    const legacy = { ...deadlines, request: '2026-05-30T10:00:00.000Z' };
    expect(() => assertBeforeDeadline('request', legacy, moved, 'FR', '2026-05-30T10:00:00.001Z')).toThrow(
      `return request deadline for FR passed on 2026-05-30T10:00:00.000Z (85 days after release on ${RELEASED_FRIDAY})`,
    );
    // Nor one of 30 × 24 hours from 23:30 in Paris across the change to summer time, which ends
    // past the counted day's midnight.
    const lateNight = '2026-03-20T22:30:00.000Z';
    const hours = { releasedAt: lateNight, request: '2026-04-19T22:30:00.000Z', arrival: '', decision: '' };
    expect(() => assertBeforeDeadline('request', hours, policy(30), 'FR', '2026-04-19T22:30:00.001Z')).toThrow(
      `return request deadline for FR passed on 2026-04-19T22:30:00.000Z (30 days after release on ${lateNight})`,
    );
  });

  it.each([
    [{ weekdays: [1, 2, 3, 4, 5, 6, 7], holidays: [] }, 'a week needs a working day'],
    [{ weekdays: [6, 6], holidays: [] }, 'each weekday once'],
    [{ weekdays: [0], holidays: [] }, 'Too small'],
    [{ weekdays: [6], holidays: ['2026-02-30'] }, 'must be a calendar date'],
    // Refused for the date, not thrown from the check of the calendar's runs (a 500 before).
    [{ weekdays: [6, 7], holidays: ['2026-12-25', 'christmas'] }, 'must be a calendar date'],
    [{ weekdays: [6], holidays: [], unknown: true }, 'Unrecognized key'],
    [{ weekdays: [6, 7], holidays: ['2026-12-25', '2026-12-25'] }, 'a holiday is listed twice'],
  ])('a policy set refuses the rest days %j', (nonWorkingDays, message) => {
    const parsed = ReturnPolicySet.safeParse({ version: 'v1', policies: { default: policy(30, nonWorkingDays as never) } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });
}); // prettier-ignore

describe('deadlines, just inside and just outside', () => {
  const cases: [string, ReturnDeadlineName, string, string][] = [
    ['CN', 'request', '2026-03-31T15:59:59.999Z', 'return request deadline for CN passed on 2026-03-31T15:59:59.999Z (30 days after release on 2026-03-01T10:00:00.000Z)'],
    ['CN', 'arrival', '2026-04-15T15:59:59.999Z', 'return arrival deadline for CN passed on 2026-04-15T15:59:59.999Z (45 days after release on 2026-03-01T10:00:00.000Z)'],
    // The goods leave and the application is made within 90 days; customs has 120 more to decide.
    ['FR', 'decision', '2026-09-27T21:59:59.999Z', 'duty refund and invalidation deadline for FR passed on 2026-09-27T21:59:59.999Z (210 days after release on 2026-03-01T10:00:00.000Z)'],
    ['FR', 'arrival', '2026-05-30T21:59:59.999Z', 'return arrival deadline for FR passed on 2026-05-30T21:59:59.999Z (90 days after release on 2026-03-01T10:00:00.000Z)'],
    ['FR', 'request', '2026-05-30T21:59:59.999Z', 'return request deadline for FR passed on 2026-05-30T21:59:59.999Z (90 days after release on 2026-03-01T10:00:00.000Z)'],
  ]; // prettier-ignore
  it.each(cases)(
    '%s %s: on the last millisecond in time, one after refused',
    (country, name, last, message) => {
      const policy = returnPolicyFor(country);
      const deadlines = returnDeadlines(policy, RELEASED, country);
      const plus = (ms: number) => new Date(Date.parse(last) + ms).toISOString();
      expect(() => assertBeforeDeadline(name, deadlines, policy, country, plus(0))).not.toThrow();
      expect(() => assertBeforeDeadline(name, deadlines, policy, country, plus(1))).toThrow(message);
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

  const pcs = [{ lineNo: 1, quantity: 3, unit: 'pcs' }];
  const kg = [{ lineNo: 1, quantity: 2, unit: 'kg' }];
  it.each([
    // Counted goods come back whole: a thousandth of a T-shirt would leave the line unreturnable for good.
    [pcs, 0.5, 'order line 1: 0.5 cannot be returned; a quantity in pcs is a whole number'],
    [pcs, 0.001, 'order line 1: 0.001 cannot be returned; a quantity in pcs is a whole number'],
    [pcs, 5e-324, 'order line 1: 5e-324 cannot be returned; a quantity in pcs is a whole number'],
    [[{ lineNo: 1, quantity: 3, unit: 'PCE' }], 1.5, 'order line 1: 1.5 cannot be returned; a quantity in PCE is a whole number'],
    [[{ lineNo: 1, quantity: 3, unit: 'H87' }], 2.5, 'order line 1: 2.5 cannot be returned; a quantity in H87 is a whole number'],
    [kg, 0.0001, 'order line 1: 0.0001 cannot be returned; a quantity in kg has at most 3 decimals'],
    [kg, 5e-324, 'order line 1: 5e-324 cannot be returned; a quantity in kg has at most 3 decimals'],
    [[{ lineNo: 1, quantity: 2 }], 0.0001, 'order line 1: 0.0001 cannot be returned; a quantity has at most 3 decimals'],
    // An order line measured finer than that can still come back whole, to its own decimals.
    [[{ lineNo: 1, quantity: 0.2505, unit: 'kg' }], 0.00001, 'order line 1: 0.00001 cannot be returned; a quantity in kg has at most 4 decimals'],
    // Said as written, not as 309 digits.
    [pcs, 1e308, 'order line 1: 1e+308 cannot be returned; 3 ordered, 0 already returned, 3 left'],
    [kg, 2.001, 'order line 1: 2.001 cannot be returned; 2 ordered, 0 already returned, 2 left'],
  ])('a line of %j: refuses %s', (ordered, quantity, message) => {
    expect(() => assertReturnable(ordered, [], [{ lineNo: 1, quantity }])).toThrow(message);
  }); // prettier-ignore

  it.each([
    [pcs, 3],
    [pcs, 1],
    [[{ lineNo: 1, quantity: 3, unit: 'Piece' }], 2],
    [kg, 0.001],
    [kg, 1.999],
    [[{ lineNo: 1, quantity: 0.2505, unit: 'kg' }], 0.2505],
    [[{ lineNo: 1, quantity: 2.5, unit: 'pcs' }], 2.5],
  ])('a line of %j: takes %s', (ordered, quantity) => {
    expect(() => assertReturnable(ordered, [], [{ lineNo: 1, quantity }])).not.toThrow();
  });

  it('takes exactly what is left, however finely earlier returns (recorded before the rule) cut the line', () => {
    const one = [{ lineNo: 1, quantity: 1, unit: 'pcs' }];
    expect(() => assertReturnable(one, [{ lineNo: 1, quantity: 0.5 }], [{ lineNo: 1, quantity: 0.5 }])).not.toThrow();
    const kilo = [{ lineNo: 1, quantity: 1, unit: 'kg' }];
    expect(() => assertReturnable(kilo, [{ lineNo: 1, quantity: 0.0001 }], [{ lineNo: 1, quantity: 0.9999 }])).not.toThrow();
    // Anything but the rest still comes back to the unit's precision.
    expect(() => assertReturnable(one, [{ lineNo: 1, quantity: 0.5 }], [{ lineNo: 1, quantity: 0.25 }])).toThrow(/a whole number/);
  }); // prettier-ignore

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

describe('where a scan proves the goods left', () => {
  type Scan = Parameters<typeof assertScanPlace>[0];
  const exited = (location: string, country = location.slice(0, 2)): Scan => ({
    type: 'exited',
    location,
    country,
  });
  const arrived = (location: string, country = location.slice(0, 2)): Scan => ({
    type: 'arrived_at_origin',
    location,
    country,
  });
  const toFR = { destinationCountry: 'FR', originCountry: 'CN' };
  const toCN = { destinationCountry: 'CN', originCountry: 'US' };
  const toUS = { destinationCountry: 'US', originCountry: 'DE' };
  it.each([
    // The EU is one customs territory: goods leave it through any member state.
    [exited('FRCDG'), toFR, undefined],
    [exited('DEFRA'), toFR, undefined],
    [exited('BEBRU'), toFR, undefined],
    [exited('CNSHA'), toFR, "a scan of type 'exited' must be in the EU (the destination FR is in it), not CN"],
    [exited('GBLHR'), toFR, "a scan of type 'exited' must be in the EU (the destination FR is in it), not GB"],
    // Monaco, the French outermost regions and Åland are in the EU's customs territory; San Marino in its union.
    [exited('MCMON'), toFR, undefined],
    [exited('RERUN'), toFR, undefined],
    [exited('MFMAR'), toFR, undefined],
    [exited('AXMHQ'), { destinationCountry: 'FI', originCountry: 'CN' }, undefined],
    [exited('BLSBH'), toFR, "a scan of type 'exited' must be in the EU (the destination FR is in it), not BL"],
    [exited('FRNCE'), { destinationCountry: 'MC', originCountry: 'CN' }, undefined],
    [exited('ITBLQ'), { destinationCountry: 'SM', originCountry: 'CN' }, undefined],
    [exited('LIVDZ'), { destinationCountry: 'CH', originCountry: 'CN' }, undefined],
    [exited('FRMLH'), { destinationCountry: 'CH', originCountry: 'CN' }, "a scan of type 'exited' must be in Switzerland and Liechtenstein (the destination CH is in it), not FR"],
    [exited('CNSHA'), toCN, undefined],
    [exited('HKHKG'), toCN, "a scan of type 'exited' must be in CN (destination), not HK"],
    [exited('USJFK'), toUS, undefined],
    [exited('CAYVR'), toUS, "a scan of type 'exited' must be in US (destination), not CA"],
    // Back at origin means back in the origin's customs territory: the EU's for a member state.
    [arrived('USLAX'), toCN, undefined],
    [arrived('DEFRA'), toUS, undefined],
    [arrived('NLAMS'), { destinationCountry: 'GB', originCountry: 'DE' }, undefined],
    [arrived('GBLHR'), toUS, "a scan of type 'arrived_at_origin' must be in the EU (the origin DE is in it), not GB"],
    [arrived('CNSHA'), toFR, undefined],
    // Within one territory, back at origin means the origin country itself: the destination is in it too.
    [arrived('FRPAR'), { destinationCountry: 'FR', originCountry: 'DE' }, "a scan of type 'arrived_at_origin' must be in DE (origin), not FR"],
    [arrived('DEFRA'), { destinationCountry: 'FR', originCountry: 'DE' }, undefined],
    [arrived('CHZRH'), { destinationCountry: 'CH', originCountry: 'LI' }, "a scan of type 'arrived_at_origin' must be in LI (origin), not CH"],
    // Hong Kong is a customs territory of its own.
    [arrived('HKHKG'), toFR, "a scan of type 'arrived_at_origin' must be in CN (origin), not HK"],
    // The country is the location's: a UN/LOCODE begins with its country's code.
    [exited('USJFK', 'FR'), toFR, 'the scan says country FR but its location USJFK is in US'],
    [arrived('FRCDG', 'CN'), toFR, 'the scan says country CN but its location FRCDG is in FR'],
  ])('%j on %j: %s', (scan, route, message) => {
    const check = () => assertScanPlace(scan, route);
    if (message === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(message);
  }); // prettier-ignore
});

describe('where a delivery may be', () => {
  it.each([
    ['FRLYS', 'FR', undefined],
    // The buyer's address is in the destination's customs territory: Monaco's is France's.
    ['MCMON', 'FR', undefined],
    ['USNYC', 'FR', 'a delivery must be in the EU (the destination FR is in it), not US (location USNYC)'],
    ['CNSHA', 'CN', undefined],
    ['HKHKG', 'CN', 'a delivery must be in CN (destination), not HK (location HKHKG)'],
    ['LIVDZ', 'CH', undefined],
  ])('%s for a consignment to %s: %s', (location, destination, message) => {
    const check = () => assertDeliveryPlace(location, destination);
    if (message === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(message);
  });
});

describe('a delivery after a return before it', () => {
  it('is refused once a return is shipped: the goods are on their way back', () => {
    for (const status of ['shipped', 'returned', 'closed'] as const) {
      expect(() =>
        assertNotGoingBack('C1', [
          { returnId: 'R1', status: 'requested' },
          { returnId: 'R2', status },
        ]),
      ).toThrow(
        `cannot apply 'delivered' to consignment C1: its goods went back under return R2 (status '${status}')`,
      );
    }
  });

  it('is taken while the returns are only requested, or there are none', () => {
    expect(() => assertNotGoingBack('C1', [{ returnId: 'R1', status: 'requested' }])).not.toThrow();
    expect(() => assertNotGoingBack('C1', [])).not.toThrow();
  });

  it("never comes: once the return's goods left, a consignment not delivered has exited; a delivered one stays delivered", () => {
    expect(consignmentStatusAfterReturnScan('released')).toBe('exited');
    expect(consignmentStatusAfterReturnScan('delivered')).toBe('delivered');
  });
});

describe('who reads a consignment’s returns', () => {
  const returns = [
    { returnId: 'RT-1', carrierMspId: 'ExpressMSP' },
    { returnId: 'RT-2', carrierMspId: 'PostMSP' },
    { returnId: 'RT-3', carrierMspId: 'ExpressMSP' },
  ];
  it.each([
    ['PostMSP', true, ['RT-1', 'RT-2', 'RT-3']],
    ['CustomsMSP', true, ['RT-1', 'RT-2', 'RT-3']],
    // Not in the consignment: only the returns the platform named it to take back.
    ['ExpressMSP', false, ['RT-1', 'RT-3']],
    ['OtherPostMSP', false, []],
  ] as const)('%s (sees the consignment: %s): %j', (mspId, seesConsignment, ids) => {
    expect(returnsReadableBy(mspId, seesConsignment, returns).map((r) => r.returnId)).toEqual(ids);
  });
});

describe('a return authorisation (RMA) admits one return of the consignment', () => {
  const earlier = [
    { returnId: 'RT-1', authorisation: 'RMA-0001' },
    { returnId: 'RT-2', authorisation: 'RMA-0002' },
  ];
  it.each([
    [[], 'RMA-0001', undefined],
    [earlier, 'RMA-0003', undefined],
    [earlier, 'RMA-0002', 'return authorisation RMA-0002 is already used by return RT-2 of consignment C-1'],
    [earlier, 'RMA-0001', 'return authorisation RMA-0001 is already used by return RT-1 of consignment C-1'],
  ])('after %j, %s: %s', (returns, authorisation, message) => {
    const check = () => assertAuthorisationUnused('C-1', returns, authorisation);
    if (message === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(message);
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

  it('lines worth nothing together weigh the same each', () => {
    const free = [
      { lineNo: 1, quantity: 1, lineValue: 0 },
      { lineNo: 2, quantity: 2, lineValue: 0 },
    ];
    const share = returnedShare(free, [{ lineNo: 2, quantity: 1 }]);
    expect(share.n * 4n).toBe(share.d);
  });

  it('the share of an amount rounds half-up to the cent', () => {
    expect(assessedShare(10.4, part(1, 1))).toBe(10.4);
    expect(assessedShare(10.4, part(20, 52))).toBe(4);
    expect(assessedShare(0.05, part(1, 2))).toBe(0.03);
    // 1 of 6 kilos of a line worth 0.18: 0.03 of the order's value, and of 0.03 exactly half a cent.
    const kilos = [{ lineNo: 1, quantity: 0.6, lineValue: 0.18 }];
    expect(assessedShare(0.03, returnedShare(kilos, [{ lineNo: 1, quantity: 0.1 }]))).toBe(0.01);
  });

  const within = (asked: number, earlier = 0, onReturn = 4) =>
    assertWithinAssessed({ what: 'VAT refund', currency: 'EUR', assessed: 10.4, onReturn, asked, earlier });
  it('customs refunds at most what it assessed on the returned goods, and over all returns what it assessed', () => {
    expect(() => within(4)).not.toThrow();
    expect(() => within(4.01)).toThrow(
      'VAT refund of 4.01 EUR exceeds what customs assessed on the returned goods: at most 4.00 EUR (of the 10.40 EUR assessed)',
    );
    expect(() => within(6.4, 4, 6.4)).not.toThrow();
    expect(() => within(6.41, 4, 10.4)).toThrow(
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

describe('what customs assessed on the returned goods', () => {
  const tshirt = { lineNo: 1, hsCode: '610910', quantity: 1, lineValue: 100 };
  const laptop = { lineNo: 2, hsCode: '847130', quantity: 1, lineValue: 100 };
  /** The assessment of `lines` as customs makes it: per line, in the tariff's currency. */
  const assess = (lines: readonly { hsCode: string; lineValue: number }[], tariff = FR_TARIFF_2021, date = '2026-03-01') =>
    assessDuty({
      tariff,
      lines: lines.map((l) => ({ hsCode: l.hsCode, value: l.lineValue, currency: 'EUR' })),
      freight: 0,
      insurance: 0,
      date,
      collectionModel: 'carrier',
    }).lines; // prettier-ignore

  it('a T-shirt at 12 % duty and a laptop at 0 %: each return gets back the duty and VAT on its own line', () => {
    const assessed = assess([tshirt, laptop]);
    expect(assessed.map((l) => [l.duty, l.vat])).toEqual([
      [12, 22.4],
      [0, 20],
    ]);
    const order = [tshirt, laptop];
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }])).toEqual({ duty: 12, vat: 22.4, customsValue: 100 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 2, quantity: 1 }])).toEqual({ duty: 0, vat: 20, customsValue: 100 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }, { lineNo: 2, quantity: 1 }])).toEqual({ duty: 12, vat: 42.4, customsValue: 200 });
    const duty = (lineNo: number, asked: number) => () =>
      assertWithinAssessed({
        what: 'duty refund',
        currency: 'EUR',
        assessed: 12,
        onReturn: assessedOnReturn(order, assessed, [{ lineNo, quantity: 1 }]).duty,
        asked,
        earlier: 0,
      });
    expect(duty(1, 12)).not.toThrow();
    expect(duty(2, 0.01)).toThrow(
      'duty refund of 0.01 EUR exceeds what customs assessed on the returned goods: at most 0.00 EUR (of the 12.00 EUR assessed)',
    );
  }); // prettier-ignore

  it.each([
    // 1 of 3 T-shirts: 12.00 / 3 duty, 22.40 / 3 = 7.4666… VAT.
    [3, 1, 4, 7.47, 33.33],
    [3, 2, 8, 14.93, 66.67],
    [3, 3, 12, 22.4, 100],
    // 0.3 of 0.7 kg: 12 × 3 / 7 = 5.142…, 22.40 × 3 / 7 = 9.6.
    [0.7, 0.3, 5.14, 9.6, 42.86],
  ])('%s ordered, %s returned: duty %s, VAT %s, customs value %s', (quantity, returned, duty, vat, customsValue) => {
    const order = [{ ...tshirt, quantity }, laptop];
    expect(assessedOnReturn(order, assess(order), [{ lineNo: 1, quantity: returned }])).toEqual({ duty, vat, customsValue });
  }); // prettier-ignore

  it('rounds half-up to the cent, once on the exact total of the lines', () => {
    const line = (hs6: string, duty: number) => ({ hs6, duty, vat: 0, customsValue: 1 });
    const order = [
      { lineNo: 1, hsCode: '610910', quantity: 2, lineValue: 1 },
      { lineNo: 2, hsCode: '420222', quantity: 2, lineValue: 1 },
    ];
    const assessed = [line('610910', 0.05), line('420222', 0.01)];
    // 0.025: half a cent up.
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }]).duty).toBe(0.03);
    // 0.005: half a cent up, not 0.
    expect(assessedOnReturn(order, assessed, [{ lineNo: 2, quantity: 1 }]).duty).toBe(0.01);
    // 0.025 + 0.005 = 0.03 exactly, not 0.03 + 0.01 rounded line by line.
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }, { lineNo: 2, quantity: 1 }]).duty).toBe(0.03);
  }); // prettier-ignore

  it('a declaration of only some of the order’s goods: nothing was assessed on the others', () => {
    const order = [
      { lineNo: 1, hsCode: '610910', quantity: 2, lineValue: 40 },
      { lineNo: 2, hsCode: '420222', quantity: 1, lineValue: 12 },
    ];
    const assessed = assess([{ hsCode: '6109100010', lineValue: 40 }]);
    expect(assessedOnReturn(order, assessed, [{ lineNo: 2, quantity: 1 }])).toEqual({ duty: 0, vat: 0, customsValue: 0 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }])).toEqual({
      duty: assessedShare(assessed[0]!.duty, { n: 1n, d: 2n }),
      vat: assessedShare(assessed[0]!.vat, { n: 1n, d: 2n }),
      customsValue: 20,
    });
  }); // prettier-ignore

  it('the flat duty per subheading is spread over the subheading’s lines by value', () => {
    const order = [
      { lineNo: 1, hsCode: '610910', quantity: 1, lineValue: 30 },
      { lineNo: 2, hsCode: '610910', quantity: 1, lineValue: 10 },
      { lineNo: 3, hsCode: '420222', quantity: 1, lineValue: 12 },
    ];
    const assessed = assess(order, FR_TARIFF, '2026-08-01');
    // 3 EUR per subheading, booked on its first line; VAT on value plus duty.
    expect(assessed.map((l) => [l.duty, l.vat])).toEqual([[3, 6.6], [0, 2], [3, 3]]);
    expect(assessedOnReturn(order, assessed, [{ lineNo: 2, quantity: 1 }])).toEqual({ duty: 0.75, vat: 2.15, customsValue: 10 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }])).toEqual({ duty: 2.25, vat: 6.45, customsValue: 30 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 3, quantity: 1 }])).toEqual({ duty: 3, vat: 3, customsValue: 12 });
  }); // prettier-ignore

  it('what was assessed on a subheading the order does not have is spread over the order by value', () => {
    const order = [
      { lineNo: 1, hsCode: '610910', quantity: 1, lineValue: 30 },
      { lineNo: 2, hsCode: '420222', quantity: 1, lineValue: 10 },
    ];
    // The declarant classified the tote bag as a T-shirt of another subheading.
    const assessed = [
      { hs6: '610910', duty: 3.6, vat: 6.72, customsValue: 30 },
      { hs6: '611020', duty: 1.2, vat: 2.24, customsValue: 10 },
    ];
    expect(assessedOnReturn(order, assessed, [{ lineNo: 2, quantity: 1 }])).toEqual({ duty: 0.3, vat: 0.56, customsValue: 2.5 });
    expect(assessedOnReturn(order, assessed, [{ lineNo: 1, quantity: 1 }])).toEqual({ duty: 4.5, vat: 8.4, customsValue: 37.5 });
  }); // prettier-ignore

  describe('a return in parts gets back exactly what the whole would', () => {
    const AMOUNTS = ['duty', 'vat', 'customsValue'] as const;
    const cents = (n: number) => Math.round(n * 100);
    /** Each part's figure after the parts before it, in turn. */
    const inParts = (
      order: readonly ClassifiedLine[],
      assessed: readonly AssessedLine[],
      parts: ReturnLine[][],
    ) => {
      let earlier: ReturnLine[] = [];
      return parts.map((lines) => {
        const figure = assessedOnReturn(order, assessed, lines, earlier);
        earlier = [...earlier, ...lines];
        return figure;
      });
    };
    // 0.10 of duty on 3 units: a third each is 0.0333…, which rounded on its own would give back 0.09.
    const three = [{ lineNo: 1, hsCode: '610910', quantity: 3, lineValue: 30 }];
    const onThree = [{ hs6: '610910', duty: 0.1, vat: 6.02, customsValue: 30.01 }];
    const units = (...quantities: number[]) => quantities.map((quantity) => [{ lineNo: 1, quantity }]);
    it.each([
      [[1, 1, 1], [0.03, 0.04, 0.03], [2.01, 2, 2.01]],
      [[2, 1], [0.07, 0.03], [4.01, 2.01]],
      [[1, 2], [0.03, 0.07], [2.01, 4.01]],
      [[3], [0.1], [6.02]],
    ])('%j of 3 units: duty %j, VAT %j, adding up to the whole', (quantities, duty, vat) => {
      const figures = inParts(three, onThree, units(...quantities));
      expect(figures.map((f) => f.duty)).toEqual(duty);
      expect(figures.map((f) => f.vat)).toEqual(vat);
      const whole = assessedOnReturn(three, onThree, [{ lineNo: 1, quantity: 3 }]);
      for (const amount of AMOUNTS) {
        expect(figures.reduce((n, f) => n + cents(f[amount]), 0), amount).toBe(cents(whole[amount]));
      }
    }); // prettier-ignore

    it('over several lines and subheadings, in any order of parts', () => {
      const order = [
        { lineNo: 1, hsCode: '610910', quantity: 3, lineValue: 30 },
        { lineNo: 2, hsCode: '610910', quantity: 7, lineValue: 10 },
        { lineNo: 3, hsCode: '420222', quantity: 0.7, lineValue: 12 },
      ];
      const assessed = [
        { hs6: '610910', duty: 3, vat: 8.61, customsValue: 40.03 },
        { hs6: '420222', duty: 1.01, vat: 2.59, customsValue: 12.07 },
      ];
      const all = [{ lineNo: 1, quantity: 3 }, { lineNo: 2, quantity: 7 }, { lineNo: 3, quantity: 0.7 }];
      const whole = assessedOnReturn(order, assessed, all);
      expect(whole).toEqual({ duty: 4.01, vat: 11.2, customsValue: 52.1 });
      for (const parts of [
        [[{ lineNo: 1, quantity: 1 }, { lineNo: 3, quantity: 0.1 }], [{ lineNo: 2, quantity: 3 }], [{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 4 }, { lineNo: 3, quantity: 0.6 }]],
        [[{ lineNo: 2, quantity: 1 }], [{ lineNo: 2, quantity: 1 }], [{ lineNo: 3, quantity: 0.3 }], [{ lineNo: 1, quantity: 3 }, { lineNo: 2, quantity: 5 }, { lineNo: 3, quantity: 0.4 }]],
      ]) {
        const figures = inParts(order, assessed, parts);
        for (const amount of AMOUNTS) {
          expect(figures.reduce((n, f) => n + cents(f[amount]), 0), amount).toBe(cents(whole[amount]));
        }
      }
    }); // prettier-ignore
  });

  it('nothing assessed, nothing to give back', () => {
    expect(assessedOnReturn([tshirt], [], [{ lineNo: 1, quantity: 1 }])).toEqual({
      duty: 0,
      vat: 0,
      customsValue: 0,
    });
  });
});

describe('under a checkout scheme (IOSS) the seller refunds the VAT, customs the duty', () => {
  const assessment = (collectionModel: 'platform' | 'carrier' | 'buyer', collectedAtCheckout: number) =>
    ({ collectionModel, collectedAtCheckout, currency: 'EUR' }) as const;

  it.each([
    // Whatever the platform declared it collected, the import was exempt from VAT.
    ['platform', 8.8, 0.01],
    ['platform', 12.8, 9.52],
    ['platform', 0, 1],
  ] as const)('%s model, %s declared collected: a VAT refund of %s is refused', (model, collected, asked) => {
    expect(() => assertVatRefundable(asked, assessment(model, collected))).toThrow(
      `VAT refund of ${asked.toFixed(2)} EUR: customs collected no VAT at import, the goods being under the platform's checkout scheme (IOSS), which charged the VAT with the price (${collected.toFixed(2)} EUR declared collected); the seller refunds it with the price`,
    );
  });

  it.each([
    ['platform', 8.8, 0],
    ['carrier', 0, 9.52],
    ['buyer', 0, 9.52],
  ] as const)(
    '%s model, %s declared collected: a VAT refund of %s passes on to the caps',
    (model, collected, asked) => {
      expect(() => assertVatRefundable(asked, assessment(model, collected))).not.toThrow();
    },
  );
});

describe('a return before delivery takes back the whole parcel', () => {
  const ordered = [
    { lineNo: 1, quantity: 2, unit: 'pcs' },
    { lineNo: 2, quantity: 1.5, unit: 'kg' },
  ];
  const whole = [
    { lineNo: 1, quantity: 2 },
    { lineNo: 2, quantity: 1.5 },
  ];
  it.each<[string, ConsignmentStatus, ReturnLine[], ReturnLine[], string | undefined]>([
    ['the whole parcel, released', 'released', [], whole, undefined],
    ['what earlier returns left, released', 'released', [{ lineNo: 2, quantity: 0.5 }], [{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 1 }], undefined],
    ['part of it, delivered', 'delivered', [], [{ lineNo: 1, quantity: 1 }], undefined],
    ['part of it, released', 'released', [], [{ lineNo: 1, quantity: 2 }, { lineNo: 2, quantity: 1.25 }], 'line 2 by 0.25'],
    ['a line left out, released', 'released', [], [{ lineNo: 2, quantity: 1.5 }], 'line 1 by 2'],
  ])('%s', (_, status, earlier, lines, short) => {
    const check = () => assertWholeBeforeDelivery(status, ordered, earlier, lines);
    if (short === undefined) expect(check).not.toThrow();
    else
      expect(check).toThrow(
        `the consignment is '${status}', not delivered: a return before delivery takes back the whole parcel, and this one is short of ${short}; return part of the order once it is delivered`,
      );
  }); // prettier-ignore
});
