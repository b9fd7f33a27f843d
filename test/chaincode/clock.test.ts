import { describe, expect, it } from 'vitest';
import {
  assertNotLaterThanTransaction,
  PROPOSAL_CLOCK_TOLERANCE_MINUTES,
} from '../../chaincode/src/domain/clock.js';

const TX = '2026-07-01T12:00:00.000Z';

describe('a time at which something is said to have happened', () => {
  it.each([
    ['the transaction time itself', TX],
    ['as far ahead as clocks may differ', '2026-07-01T12:10:00.000Z'],
    ['the same instant at another offset', '2026-07-01T14:10:00+02:00'],
    ['long before: a scan that reached the carrier late', '1971-01-01T00:00:00Z'],
    ['a second before the transaction', '2026-07-01T11:59:59Z'],
  ])('is accepted when %s', (_name, at) =>
    expect(() => assertNotLaterThanTransaction('invalid movement: /occurredAt', at, TX)).not.toThrow(),
  );

  it.each([
    ['a millisecond past the tolerance', '2026-07-01T12:10:00.001Z'],
    ['a day ahead', '2026-07-02T12:00:00Z'],
    ['years ahead', '2099-01-01T00:00:00Z'],
    ['ahead only at its offset', '2026-07-01T12:30:00+00:15'],
  ])('is refused %s', (_name, at) =>
    expect(() => assertNotLaterThanTransaction('invalid movement: /occurredAt', at, TX)).toThrow(
      `invalid movement: /occurredAt: ${at} is later than the transaction recording it (${TX}), by more than the ${PROPOSAL_CLOCK_TOLERANCE_MINUTES} minutes clocks may differ`,
    ),
  );
});
