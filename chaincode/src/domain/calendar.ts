import { z } from 'zod';
import { IsoDateTime } from './schemas';

/**
 * Calendar days as the destination counts them. A tariff comes into force, a deadline ends and a
 * buyer's year turns at the destination's midnight, not at UTC's: a rule in force "from 1 July" in
 * Paris applies at 00:30 Paris time, 22:30 UTC the day before, and a Chinese deadline's last day
 * ends at 16:00 UTC. One zone per customs territory: its capital's, or the one its customs rules
 * are written in (the United States: Eastern, as its orders on de minimis are). A destination not
 * listed counts in UTC.
 *
 * Every endorser must find the same day, so the zones' rules come from the ICU data of the Node.js
 * the chaincode runs on (run every peer's chaincode on one Node.js image); these zones have kept
 * their rules for years. endOfDay assumes that a zone's clocks do not change at midnight, as none of
 * these do (Santiago's or São Paulo's did).
 */
export const DESTINATION_TIME_ZONES: Readonly<Record<string, string>> = {
  AT: 'Europe/Vienna',
  AU: 'Australia/Sydney',
  AX: 'Europe/Mariehamn',
  BE: 'Europe/Brussels',
  BG: 'Europe/Sofia',
  CA: 'America/Toronto',
  CH: 'Europe/Zurich',
  CN: 'Asia/Shanghai',
  CY: 'Asia/Nicosia',
  CZ: 'Europe/Prague',
  DE: 'Europe/Berlin',
  DK: 'Europe/Copenhagen',
  EE: 'Europe/Tallinn',
  ES: 'Europe/Madrid',
  FI: 'Europe/Helsinki',
  FR: 'Europe/Paris',
  GB: 'Europe/London',
  GF: 'America/Cayenne',
  GP: 'America/Guadeloupe',
  GR: 'Europe/Athens',
  HK: 'Asia/Hong_Kong',
  HR: 'Europe/Zagreb',
  HU: 'Europe/Budapest',
  IE: 'Europe/Dublin',
  IT: 'Europe/Rome',
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  LT: 'Europe/Vilnius',
  LU: 'Europe/Luxembourg',
  LV: 'Europe/Riga',
  MC: 'Europe/Monaco',
  MF: 'America/Marigot',
  MQ: 'America/Martinique',
  MT: 'Europe/Malta',
  NL: 'Europe/Amsterdam',
  NO: 'Europe/Oslo',
  PL: 'Europe/Warsaw',
  PT: 'Europe/Lisbon',
  RE: 'Indian/Reunion',
  RO: 'Europe/Bucharest',
  SE: 'Europe/Stockholm',
  SG: 'Asia/Singapore',
  SI: 'Europe/Ljubljana',
  SK: 'Europe/Bratislava',
  SM: 'Europe/San_Marino',
  US: 'America/New_York',
  YT: 'Indian/Mayotte',
};

export function timeZoneOf(country: string): string {
  return DESTINATION_TIME_ZONES[country] ?? 'UTC';
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** A calendar date, YYYY-MM-DD. */
export const IsoDate = z.string().refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD');

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's wall clock at an instant, read as if it were UTC, in milliseconds (whole seconds). */
function wallClockMs(epochMs: number, timeZone: string): number {
  const parts = wallClock(timeZone).formatToParts(new Date(epochMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
}

/**
 * The calendar date (YYYY-MM-DD) in a time zone of an ISO 8601 date-time with an offset; a plain
 * date is taken as that zone's already.
 */
function dateIn(value: string, timeZone: string): string {
  if (ISO_DATE.test(value)) {
    if (!isCalendarDate(value)) throw new Error(`'${value}' is no calendar date`);
    return value;
  }
  // An offset is required: a time without one would depend on the endorser's time zone.
  if (!IsoDateTime.safeParse(value).success) {
    throw new Error(`'${value}' is not an ISO 8601 date or a date-time with an offset`);
  }
  return new Date(wallClockMs(Date.parse(value), timeZone)).toISOString().slice(0, 10);
}

/** The destination's calendar date of an instant (see dateIn). */
export function localDate(value: string, country: string): string {
  return dateIn(value, timeZoneOf(country));
}

/** The UTC calendar date of an instant (see dateIn). */
export function utcDate(value: string): string {
  return dateIn(value, 'UTC');
}

/** ISO weekday of a calendar date: 1 Monday … 7 Sunday. */
export function isoWeekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay() || 7;
}

/**
 * The days on which a period does not end, as a destination counts them: its weekly rest days
 * (ISO weekdays), its public holidays, and the rest days it works instead (China moves weekend
 * days around its holidays). Data, not code: holidays differ by country and year.
 */
export interface WorkingCalendar {
  readonly weekdays: readonly number[];
  readonly holidays: readonly string[];
  readonly workingDays?: readonly string[];
}

/**
 * More days off in a row than a month cannot be a calendar (China's longest holiday, with its
 * weekends, is nine days): a mistake in it, which would stretch every deadline ending there.
 */
const MAX_DAYS_OFF_IN_A_ROW = 31;

/** Whether `date` is a day off: a rest day not worked instead, or a public holiday. */
function isDayOff(
  date: string,
  off: WorkingCalendar,
  holidays: ReadonlySet<string>,
  worked: ReadonlySet<string>,
) {
  return (off.weekdays.includes(isoWeekday(date)) && !worked.has(date)) || holidays.has(date);
}

/**
 * `date` itself when it is a working day, else the first working day after it: where a period
 * whose last day is a rest day or a public holiday ends (EU Regulation 1182/71 Art. 3(4); China's
 * Civil Code Art. 203).
 */
export function workingDayFrom(date: string, off: WorkingCalendar): string {
  const holidays = new Set(off.holidays);
  const worked = new Set(off.workingDays ?? []);
  let day = date;
  for (let n = 0; n <= MAX_DAYS_OFF_IN_A_ROW; n++) {
    if (!isDayOff(day, off, holidays, worked)) return day;
    day = addDays(day, 1);
  }
  throw new Error(`no working day within ${MAX_DAYS_OFF_IN_A_ROW} days from ${date}`);
}

/**
 * Why a calendar cannot be one (a date listed twice, a day both a holiday and worked, a day worked
 * that is no rest day, more than MAX_DAYS_OFF_IN_A_ROW days off in a row), or undefined: checked
 * when customs puts it in force, so that no deadline computed from it later can fail.
 */
export function calendarProblem(off: WorkingCalendar): string | undefined {
  const holidays = new Set(off.holidays);
  const worked = new Set(off.workingDays ?? []);
  if (holidays.size !== off.holidays.length) return 'a holiday is listed twice';
  if (worked.size !== (off.workingDays ?? []).length) return 'a working day is listed twice';
  for (const day of worked) {
    if (holidays.has(day)) return `${day} is both a holiday and a working day`;
    if (!off.weekdays.includes(isoWeekday(day)))
      return `${day} is worked instead of a rest day, but is no rest day`;
  }
  // A run of days off longer than the rest weekdays alone (six at most) holds a holiday, and may
  // begin with rest days before it: each run is measured from its first day, once.
  const starts = new Set<string>();
  for (const holiday of holidays) {
    let start = holiday;
    for (let n = 0; n <= MAX_DAYS_OFF_IN_A_ROW; n++) {
      const before = addDays(start, -1);
      if (!isDayOff(before, off, holidays, worked)) break;
      start = before;
    }
    starts.add(start);
  }
  for (const start of starts) {
    let day = start;
    for (let run = 1; isDayOff(day, off, holidays, worked); run++) {
      if (run > MAX_DAYS_OFF_IN_A_ROW)
        return `more than ${MAX_DAYS_OFF_IN_A_ROW} days off in a row from ${start}`;
      day = addDays(day, 1);
    }
  }
  return undefined;
}

/** The date `days` calendar days after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The instant the destination's calendar date `date` begins. */
function startOfDay(date: string, country: string): number {
  const timeZone = timeZoneOf(country);
  const midnight = Date.parse(`${date}T00:00:00Z`);
  // The zone's offset at its own midnight: measured near it, then again at the instant found, in
  // case a change of offset falls between the two.
  const near = midnight - (wallClockMs(midnight, timeZone) - midnight);
  return midnight - (wallClockMs(near, timeZone) - near);
}

/** The last millisecond of the destination's calendar date `date`, as an ISO instant in UTC. */
export function endOfDay(date: string, country: string): string {
  return new Date(startOfDay(addDays(date, 1), country) - 1).toISOString();
}
