/*
 * Times a client states. Pure: the transaction time is an argument (contracts/context.ts txTime).
 */

/**
 * How far a proposal's timestamp may be from the endorsing peer's clock. Every time rule (return
 * deadlines, retention and legal hold, a buyer's year) reads the proposal's time, which its client
 * chooses: unbounded, a client signing its own proposals could date one years ahead or back. Peers'
 * clocks agree to well within it, so endorsers agree too; only a proposal at the very edge could be
 * endorsed by one and refused by another, and then it collects too few endorsements.
 */
export const PROPOSAL_CLOCK_TOLERANCE_MINUTES = 10;

/**
 * Refuses a time at which something is said to have happened (a scan, an order, a payment, a
 * refund) that is later than the transaction recording it, by more than its sender's clock may be
 * ahead. Such a time is a mistake or a lie, and would sort a movement after the ones that follow
 * it, or date an order into a buyer's next year. An earlier time is not refused: scans reach the
 * carrier's system late and out of order, and the record keeps the time it was recorded beside it.
 */
export function assertNotLaterThanTransaction(what: string, at: string, txTime: string): void {
  const aheadMs = Date.parse(at) - Date.parse(txTime);
  if (aheadMs > PROPOSAL_CLOCK_TOLERANCE_MINUTES * 60_000) {
    throw new Error(
      `${what}: ${at} is later than the transaction recording it (${txTime}), by more than the ${PROPOSAL_CLOCK_TOLERANCE_MINUTES} minutes clocks may differ`,
    );
  }
}
