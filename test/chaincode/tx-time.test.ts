import type { Context } from 'fabric-contract-api';
import { describe, expect, it } from 'vitest';
import { txTime } from '../../chaincode/src/contracts/context.js';
import { PROPOSAL_CLOCK_TOLERANCE_MINUTES } from '../../chaincode/src/domain/clock.js';

/** A transaction context whose proposal is stamped `offsetMinutes` from this clock. */
const proposedAt = (offsetMinutes: number): Context =>
  ({ stub: { getDateTimestamp: () => new Date(Date.now() + offsetMinutes * 60_000) } }) as unknown as Context;

describe("the transaction time (the proposal's timestamp, which its client chooses)", () => {
  it('is taken within the tolerance of the peer’s clock, either way', () => {
    for (const offset of [
      0,
      -PROPOSAL_CLOCK_TOLERANCE_MINUTES + 0.5,
      PROPOSAL_CLOCK_TOLERANCE_MINUTES - 0.5,
    ]) {
      expect(Date.parse(txTime(proposedAt(offset))) - Date.now()).toBeCloseTo(offset * 60_000, -3);
    }
  });

  it('is refused beyond it: a client may not date a proposal years ahead (retention) or back (deadlines)', () => {
    expect(() => txTime(proposedAt(5 * 365 * 24 * 60))).toThrow(
      /^the proposal's timestamp .* is 2628000 minutes from this peer's clock; at most 10 are accepted$/,
    );
    expect(() => txTime(proposedAt(-PROPOSAL_CLOCK_TOLERANCE_MINUTES - 1))).toThrow(
      /11 minutes from this peer's clock/,
    );
  });
});
