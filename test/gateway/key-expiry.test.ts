/**
 * When an API key expires (`npm run keys -- issue --expires-in | --expires-at`), and whether a key
 * is accepted at a given time: the pure rules the key store and the command apply.
 */
import { describe, expect, it } from 'vitest';
import { keyState } from '../../gateway/src/auth/api-keys.js';
import { keyExpiry, MAX_KEY_LIFETIME_DAYS } from '../../gateway/src/auth/key-expiry.js';

const NOW = Date.parse('2026-12-06T21:30:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const at = (request: Parameters<typeof keyExpiry>[0]): string => keyExpiry(request, NOW).toISOString();

describe('keyExpiry', () => {
  it('is 90 days from now unless asked otherwise', () => {
    expect(at({})).toBe('2027-03-06T21:30:00.000Z');
  });

  it('takes a lifetime in whole minutes, hours, days or weeks', () => {
    expect(at({ expiresIn: '30m' })).toBe('2026-12-06T22:00:00.000Z');
    expect(at({ expiresIn: '12h' })).toBe('2026-12-07T09:30:00.000Z');
    expect(at({ expiresIn: '30d' })).toBe('2027-01-05T21:30:00.000Z');
    expect(at({ expiresIn: '2w' })).toBe('2026-12-20T21:30:00.000Z');
    expect(at({ expiresIn: `${MAX_KEY_LIFETIME_DAYS}d` })).toBe('2027-12-06T21:30:00.000Z');
  });

  it('takes a time with its offset, or a date as its midnight in UTC', () => {
    expect(at({ expiresAt: '2027-03-01T09:00:00+08:00' })).toBe('2027-03-01T01:00:00.000Z');
    expect(at({ expiresAt: '2027-03-01T09:00:00Z' })).toBe('2027-03-01T09:00:00.000Z');
    expect(at({ expiresAt: '2027-03-01' })).toBe('2027-03-01T00:00:00.000Z');
  });

  it('refuses what is not a lifetime, saying what one is', () => {
    for (const expiresIn of ['90', '0d', '1.5d', '-1d', '1y', '90 d', '90D', 'P90D', '']) {
      expect(() => keyExpiry({ expiresIn }, NOW), expiresIn).toThrow(
        `expiry '${expiresIn}' is not a lifetime: a whole number of minutes, hours, days or weeks`,
      );
    }
  });

  it('refuses what is not a time, a time without its offset, and a day the calendar does not have', () => {
    for (const expiresAt of [
      'tomorrow',
      '2027-03-01T09:00:00',
      '2027-02-30',
      '2027-13-01',
      '1803945600000',
    ]) {
      expect(() => keyExpiry({ expiresAt }, NOW), expiresAt).toThrow(`expiry '${expiresAt}' is not a time`);
    }
  });

  it('refuses an expiry now or past, and one further away than a key may live', () => {
    expect(() => keyExpiry({ expiresAt: '2026-12-06T21:30:00Z' }, NOW)).toThrow(
      'expiry 2026-12-06T21:30:00.000Z is not in the future',
    );
    expect(() => keyExpiry({ expiresAt: '2020-01-01' }, NOW)).toThrow('is not in the future');
    expect(() => keyExpiry({ expiresIn: `${MAX_KEY_LIFETIME_DAYS + 1}d` }, NOW)).toThrow(
      `expiry 2027-12-07T21:30:00.000Z is more than ${MAX_KEY_LIFETIME_DAYS} days away, the longest a key may live`,
    );
    expect(() => keyExpiry({ expiresAt: '2028-01-01' }, NOW)).toThrow('the longest a key may live');
    expect(() => keyExpiry({ expiresIn: '53w' }, NOW)).toThrow('the longest a key may live');
  });

  it('refuses a lifetime and a time together', () => {
    expect(() => keyExpiry({ expiresIn: '30d', expiresAt: '2027-01-01' }, NOW)).toThrow(
      'give an expiry either as a lifetime (--expires-in) or as a time (--expires-at), not both',
    );
  });
});

describe('keyState', () => {
  const expiresAt = new Date(NOW + DAY).toISOString();

  it('accepts a key until the millisecond it expires, not from then on', () => {
    expect(keyState({ expiresAt }, NOW + DAY - 1)).toBe('active');
    expect(keyState({ expiresAt }, NOW + DAY)).toBe('expired');
  });

  it('accepts a key without an expiry (issued before keys had one, or a demo user’s) at any time', () => {
    expect(keyState({}, NOW + 100 * 365 * DAY)).toBe('active');
  });

  it('calls a revoked key revoked, expired or not', () => {
    const revokedAt = new Date(NOW).toISOString();
    expect(keyState({ revokedAt }, NOW)).toBe('revoked');
    expect(keyState({ expiresAt, revokedAt }, NOW + 2 * DAY)).toBe('revoked');
  });
});
