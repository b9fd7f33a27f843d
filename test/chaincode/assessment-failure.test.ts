import { describe, expect, it } from 'vitest';
import {
  AssessmentFailureReport,
  describeAssessmentFailure,
  nextAssessmentFailure,
  UNAVAILABLE_REASON,
  UNEXPECTED_ERROR_REASON,
} from '../../chaincode/src/domain/assessment-failure.js';

describe('what is kept of a failed assessment', () => {
  it.each<[string, string]>([
    ['no CNY rate against EUR valid on 2026-12-06', 'a currency rate the tariff lacks'],
    ['more than one USD rate against GBP from 2026-01-01', 'two rates of one day'],
    ['2 tariffs for FR from 2026-07-01', 'two tariffs of one day'],
    ['customs has no tariff set yet (customs:putTariffs)', 'no tariff set'],
  ])('keeps a message that names configuration only: %s (%s)', (message) => {
    expect(describeAssessmentFailure({ cause: 'refused', message })).toEqual({
      code: 'ASSESSMENT_ERROR',
      reason: message,
    });
  });

  it('keeps of a write to a collection the chaincode definition lacks the collection, not the call', () => {
    const message = `PUT_STATE failed: transaction ID: ${'ab'.repeat(32)}: collection customs/customs/CustomsMSP-to-PostMSP could not be found`;
    expect(describeAssessmentFailure({ cause: 'refused', message })).toEqual({
      code: 'ASSESSMENT_ERROR',
      reason: 'collection customs/customs/CustomsMSP-to-PostMSP could not be found',
    });
  });

  it.each<[string, string]>([
    ["'Jane Roe, 12 Rue X' is not an ISO 8601 date-time with an offset", 'a value quoted'],
    ['cannot read 0612345678 as a decimal', 'a number quoted'],
    ["Cannot read properties of undefined (reading 'document')", 'a bug'],
    ['no CNY rate against EUR valid on 2026-12-06 for buyer P-1234567', 'a known message with more after it'],
    [
      'invalid rule set: /referencePrices/610910/price: must have at most 2 decimals',
      'a stored value unread',
    ],
  ])('keeps a fixed sentence for any other: %s (%s)', (message) => {
    const described = describeAssessmentFailure({ cause: 'refused', message });
    expect(described).toEqual({ code: 'ASSESSMENT_ERROR', reason: UNEXPECTED_ERROR_REASON });
  });

  it('says the ledger did not take it, whatever the error said', () => {
    expect(
      describeAssessmentFailure({ cause: 'unavailable', message: '14 UNAVAILABLE: peer0.customs down' }),
    ).toEqual({ code: 'LEDGER_UNAVAILABLE', reason: UNAVAILABLE_REASON });
  });

  it('refuses a report of another shape', () => {
    expect(AssessmentFailureReport.safeParse({ cause: 'refused' }).success).toBe(false);
    expect(AssessmentFailureReport.safeParse({ cause: 'crashed', message: 'x' }).success).toBe(false);
    expect(AssessmentFailureReport.safeParse({ cause: 'refused', message: 'x', extra: 1 }).success).toBe(
      false,
    );
    expect(AssessmentFailureReport.safeParse({ cause: 'refused', message: 'x'.repeat(4001) }).success).toBe(
      false,
    );
  });

  it('counts failures since the last assessment from the first one’s time', () => {
    const failure = (failedAt: string, txId: string) => ({
      consignmentId: 'C-1',
      destinationCountry: 'FR',
      code: 'ASSESSMENT_ERROR' as const,
      reason: UNEXPECTED_ERROR_REASON,
      basis: { order: 1, payment: 1, logistics: 1 },
      failedAt,
      recordedBy: 'customs-service',
      txId,
    });
    const first = nextAssessmentFailure(undefined, failure('2026-12-06T10:00:00Z', 'a'));
    expect(first).toMatchObject({ failures: 1, firstFailedAt: '2026-12-06T10:00:00Z', txId: 'a' });
    const second = nextAssessmentFailure(first, failure('2026-12-06T11:00:00Z', 'b'));
    expect(second).toMatchObject({
      failures: 2,
      firstFailedAt: '2026-12-06T10:00:00Z',
      failedAt: '2026-12-06T11:00:00Z',
      txId: 'b',
    });
  });
});
