import { z } from 'zod';

/**
 * What an API key issued without an expiry of its own lives: a quarter. Long enough that an
 * organisation's integration is not re-keyed every few weeks; short enough that a key copied
 * into a script or left with someone who moved on stops working by itself.
 */
export const DEFAULT_KEY_LIFETIME = '90d';
/** The longest an issued key may live: a key good for decades would be one that never expires. */
export const MAX_KEY_LIFETIME_DAYS = 365;

const DAY_MS = 24 * 60 * 60 * 1000;
const UNIT_MS = { m: 60 * 1000, h: 60 * 60 * 1000, d: DAY_MS, w: 7 * DAY_MS } as const;
// Whole minutes, hours, days or weeks: a bare number, a fraction or a year (365 or 365.25 days?)
// would each leave the reader of a command line to guess what it meant.
const DURATION = /^([1-9][0-9]{0,5})([mhdw])$/;
// A date alone is that day's midnight in UTC; a time must say its offset, or it would be the local
// time of whichever machine ran the command.
const INSTANT = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** How an expiry is asked for: a lifetime from now (`90d`), or a time; neither is the default lifetime. */
export interface ExpiryRequest {
  readonly expiresIn?: string;
  readonly expiresAt?: string;
}

/**
 * When a key issued at `now` (ms since the epoch) expires, as asked; throws saying what is wrong
 * with a lifetime that is not one, a time that is not one or not in the future, or an expiry past
 * the longest a key may live.
 */
export function keyExpiry(request: ExpiryRequest, now: number): Date {
  if (request.expiresIn !== undefined && request.expiresAt !== undefined) {
    throw new Error(
      'give an expiry either as a lifetime (--expires-in) or as a time (--expires-at), not both',
    );
  }
  let expiresAt: number;
  if (request.expiresAt === undefined) {
    const lifetime = request.expiresIn ?? DEFAULT_KEY_LIFETIME;
    const match = DURATION.exec(lifetime);
    if (!match) {
      throw new Error(
        `expiry '${lifetime}' is not a lifetime: a whole number of minutes, hours, days or weeks, e.g. 30m, 12h, 90d, 8w`,
      );
    }
    expiresAt = now + Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  } else {
    if (!INSTANT.safeParse(request.expiresAt).success) {
      throw new Error(
        `expiry '${request.expiresAt}' is not a time: a date (2027-03-01, midnight UTC) or a date and time with its offset (2027-03-01T09:00:00Z, 2027-03-01T09:00:00+08:00)`,
      );
    }
    expiresAt = Date.parse(request.expiresAt);
    if (expiresAt <= now) {
      throw new Error(`expiry ${new Date(expiresAt).toISOString()} is not in the future`);
    }
  }
  if (expiresAt - now > MAX_KEY_LIFETIME_DAYS * DAY_MS) {
    throw new Error(
      `expiry ${new Date(expiresAt).toISOString()} is more than ${MAX_KEY_LIFETIME_DAYS} days away, the longest a key may live (to keep a user going, issue a new key before the old one expires)`,
    );
  }
  return new Date(expiresAt);
}
