import { describe, expect, it } from 'vitest';
import {
  addDays,
  calendarProblem,
  DESTINATION_TIME_ZONES,
  endOfDay,
  isoWeekday,
  localDate,
  timeZoneOf,
  workingDayFrom,
} from '../../chaincode/src/domain/calendar.js';
import { DEFAULT_TARIFF_SET } from '../../chaincode/src/domain/customs-config.js';
import { EU_CUSTOMS_TERRITORY } from '../../chaincode/src/domain/returns.js';

/*
 * Calendar days as the destination counts them: a tariff in force "from 1 July" in Paris applies at
 * 00:30 Paris time; a deadline's last day ends at the destination's midnight, summer time or not.
 */

describe('the destination’s calendar date of an instant', () => {
  it.each([
    // The EU's flat duty from 1 July 2026: in force at 00:30 Paris time, 22:30 UTC the day before.
    ['2026-07-01T00:30:00+02:00', 'FR', '2026-07-01'],
    ['2026-06-30T21:59:59Z', 'FR', '2026-06-30'],
    // The US de minimis suspension from 29 August 2025, 12:01 a.m. Eastern: still 28 August at 22:00.
    ['2025-08-28T22:00:00-04:00', 'US', '2025-08-28'],
    ['2025-08-29T04:01:00Z', 'US', '2025-08-29'],
    // New year in Beijing at 16:00 UTC.
    ['2025-12-31T16:00:00Z', 'CN', '2026-01-01'],
    ['2025-12-31T15:59:59.999Z', 'CN', '2025-12-31'],
    // A destination without a zone counts in UTC; a plain date is the destination's already.
    ['2025-12-31T23:59:59Z', 'XX', '2025-12-31'],
    ['2026-02-28', 'CN', '2026-02-28'],
  ])('%s in %s is %s', (instant, country, date) => {
    expect(localDate(instant, country)).toBe(date);
  });

  it.each(['2026-07-01T00:30:00', '01/07/2026', ''])('refuses %j, which names no instant', (value) => {
    expect(() => localDate(value, 'FR')).toThrow('is not an ISO 8601 date or a date-time with an offset');
  });

  it('refuses a date no calendar has', () => {
    expect(() => localDate('2026-02-30', 'FR')).toThrow("'2026-02-30' is no calendar date");
  });
});

describe('the end of a calendar day in the destination', () => {
  it.each([
    ['2026-03-31', 'CN', '2026-03-31T15:59:59.999Z'],
    // Paris on the days around its changes of offset: the 29 March and 25 October days are 23 and 25 hours.
    ['2026-03-28', 'FR', '2026-03-28T22:59:59.999Z'],
    ['2026-03-29', 'FR', '2026-03-29T21:59:59.999Z'],
    ['2026-10-25', 'FR', '2026-10-25T22:59:59.999Z'],
    ['2026-03-08', 'US', '2026-03-09T03:59:59.999Z'],
    ['2026-11-01', 'US', '2026-11-02T04:59:59.999Z'],
    ['2026-05-31', 'XX', '2026-05-31T23:59:59.999Z'],
  ])('%s in %s ends at %s', (date, country, end) => {
    expect(endOfDay(date, country)).toBe(end);
    expect(localDate(end, country)).toBe(date);
    expect(localDate(new Date(Date.parse(end) + 1).toISOString(), country)).toBe(addDays(date, 1));
  });

  it('adds calendar days across month and leap-year ends', () => {
    expect([addDays('2026-03-01', 30), addDays('2024-02-28', 1), addDays('2026-12-31', 1)]).toEqual([
      '2026-03-31',
      '2024-02-29',
      '2027-01-01',
    ]);
  });

  it('has a zone for every destination of the demo tariffs and every country of the EU’s customs territory', () => {
    const countries = [...DEFAULT_TARIFF_SET.tariffs.map((t) => t.country), ...EU_CUSTOMS_TERRITORY];
    expect(countries.filter((country) => timeZoneOf(country) === 'UTC')).toEqual([]);
  });

  // endOfDay assumes no zone in the map changes its clocks at midnight.
  it('ends every day of 2026 in every zone of the map where the next begins', () => {
    const wrong = Object.keys(DESTINATION_TIME_ZONES).flatMap((country) => {
      const days = Array.from({ length: 365 }, (_, i) => addDays('2026-01-01', i));
      return days.flatMap((date) => {
        const end = Date.parse(endOfDay(date, country));
        const ok =
          localDate(new Date(end).toISOString(), country) === date &&
          localDate(new Date(end + 1).toISOString(), country) === addDays(date, 1);
        return ok ? [] : [`${country} ${date}`];
      });
    });
    expect(wrong).toEqual([]);
  });
});

describe('the working day a period ends on', () => {
  const WEEKEND = { weekdays: [6, 7], holidays: [] };

  it('numbers weekdays as ISO does, Monday 1 to Sunday 7', () => {
    // 30 November 2026 is a Monday; 6 December a Sunday.
    expect(['2026-11-30', '2026-12-04', '2026-12-05', '2026-12-06'].map(isoWeekday)).toEqual([1, 5, 6, 7]);
  });

  it('keeps a working day, and moves a rest day or a holiday to the next working day', () => {
    expect(workingDayFrom('2026-12-04', WEEKEND)).toBe('2026-12-04');
    expect(workingDayFrom('2026-12-05', WEEKEND)).toBe('2026-12-07');
    expect(workingDayFrom('2026-12-06', WEEKEND)).toBe('2026-12-07');
    // Christmas on a Friday, then the weekend: the Monday after.
    const christmas = { weekdays: [6, 7], holidays: ['2026-12-25', '2026-12-28'] };
    expect(workingDayFrom('2026-12-25', christmas)).toBe('2026-12-29');
    // Across the year's end.
    expect(workingDayFrom('2026-12-31', { weekdays: [], holidays: ['2026-12-31', '2027-01-01'] })).toBe(
      '2027-01-02',
    );
  });

  it('counts a rest day worked instead as a working day (China moves weekend days around its holidays)', () => {
    const china = { weekdays: [6, 7], holidays: ['2026-10-01', '2026-10-02'], workingDays: ['2026-10-10'] };
    expect(workingDayFrom('2026-10-10', china)).toBe('2026-10-10');
    expect(workingDayFrom('2026-10-03', china)).toBe('2026-10-05');
  });

  it('refuses a calendar with no working day in sight, a mistake in it', () => {
    const holidays = Array.from({ length: 40 }, (_, n) => addDays('2026-01-01', n));
    expect(() => workingDayFrom('2026-01-01', { weekdays: [], holidays })).toThrow(
      'no working day within 31 days from 2026-01-01',
    );
  });

  it('finds what cannot be a calendar before it is put in force', () => {
    const weekend = [6, 7];
    expect(calendarProblem({ weekdays: weekend, holidays: ['2026-12-25'], workingDays: ['2026-10-10'] })).toBeUndefined();
    expect(calendarProblem({ weekdays: weekend, holidays: ['2026-12-25', '2026-12-25'] })).toBe('a holiday is listed twice');
    expect(calendarProblem({ weekdays: weekend, holidays: [], workingDays: ['2026-10-10', '2026-10-10'] })).toBe('a working day is listed twice');
    expect(calendarProblem({ weekdays: weekend, holidays: ['2026-10-10'], workingDays: ['2026-10-10'] })).toBe('2026-10-10 is both a holiday and a working day');
    // 9 October 2026 is a Friday.
    expect(calendarProblem({ weekdays: weekend, holidays: [], workingDays: ['2026-10-09'] })).toBe('2026-10-09 is worked instead of a rest day, but is no rest day');
    // Six rest days a week and every Monday a holiday for ten weeks: no working day from Tuesday 24
    // November, the day after the last working Monday.
    const mondays = Array.from({ length: 10 }, (_, n) => addDays('2026-11-30', 7 * n));
    expect(calendarProblem({ weekdays: [2, 3, 4, 5, 6, 7], holidays: mondays })).toBe('more than 31 days off in a row from 2026-11-24');
    // Nine days, China's National Day week with its weekends: a calendar.
    const nationalDay = Array.from({ length: 7 }, (_, n) => addDays('2026-10-01', n));
    expect(calendarProblem({ weekdays: weekend, holidays: nationalDay })).toBeUndefined();
    // A run is measured from its first day, a rest day before the first holiday: 29 holidays from
    // Monday 7 December with the weekend before make 31 days off, 30 make 32.
    const from7December = (n: number) => Array.from({ length: n }, (_, i) => addDays('2026-12-07', i));
    expect(calendarProblem({ weekdays: weekend, holidays: from7December(29) })).toBeUndefined();
    expect(workingDayFrom('2026-12-05', { weekdays: weekend, holidays: from7December(29) })).toBe('2027-01-05');
    expect(calendarProblem({ weekdays: weekend, holidays: from7December(30) })).toBe('more than 31 days off in a row from 2026-12-05');
  }); // prettier-ignore
});
