import { vi } from 'vitest';
import { addDays, endOfDay, localDate } from '../../chaincode/src/domain/calendar.js';

/** Past the ten years the embedded ledger's CAs and the certificates they issue are valid for. */
export const ELEVEN_YEARS_MS = 11 * 365 * 24 * 3600 * 1000;

/**
 * Runs `body` with the clock `ms` ahead, then sets it back. Only Date is faked: timers and I/O run
 * as they do, so a gateway or a store goes on working around it.
 */
export async function withClockAhead<T>(ms: number, body: () => Promise<T> | T): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + ms });
  try {
    return await body();
  } finally {
    vi.useRealTimers();
  }
}

/**
 * The last millisecond of a return deadline: the close of the day `days` calendar days after the
 * day of `releasedAtMs`, in `country` (chaincode domain/returns.ts returnDeadlines).
 */
export function deadlineMs(releasedAtMs: number, days: number, country: string): number {
  const released = localDate(new Date(releasedAtMs).toISOString(), country);
  return Date.parse(endOfDay(addDays(released, days), country));
}
