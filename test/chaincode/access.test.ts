import { describe, expect, it } from 'vitest';
import {
  ACCESS_VALID_MINUTES,
  accessLogWalk,
  accessRefusal,
  type ReadRequest,
  type RecordedAccess,
} from '../../chaincode/src/domain/access.js';
import { historyWalk } from '../../chaincode/src/domain/history.js';
import { CURSOR_MAX_LENGTH, decodeCursor, encodeCursor, pageOf } from '../../chaincode/src/domain/pages.js';

const AT = '2026-12-06T10:00:00.000Z';
const minutesLater = (minutes: number, ms = 0) =>
  new Date(Date.parse(AT) + minutes * 60_000 + ms).toISOString();

const USER = 'x509::/CN=officer1::/CN=ca.customs';
const record: RecordedAccess = {
  subjectType: 'consignment',
  subjectId: 'CN-1',
  recordKind: 'order',
  mspId: 'CustomsMSP',
  userId: USER,
  at: AT,
};
const request: ReadRequest = {
  target: { subjectType: 'consignment', subjectId: 'CN-1', recordKind: 'order' },
  form: 'read',
  mspId: 'CustomsMSP',
  userId: USER,
  at: minutesLater(1),
};

describe('an access record lets out what it names, to its user, for a while', () => {
  it('lets its own user read its record', () => {
    expect(accessRefusal(record, request)).toBeUndefined();
  });

  it.each<[string, RecordedAccess | undefined, Partial<ReadRequest>]>([
    ['no record', undefined, {}],
    ['another user', record, { userId: 'x509::/CN=officer2::/CN=ca.customs' }],
    ['the same user name in another organisation', record, { mspId: 'PlatformAMSP' }],
    ['another record kind', record, { target: { ...request.target, recordKind: 'payment' } }],
    ['another consignment', record, { target: { ...request.target, subjectId: 'CN-2' } }],
    ['a party of the same id', record, { target: { ...request.target, subjectType: 'party' } }],
    [
      'another referral answer',
      { ...record, recordKind: 'referral_answer', recordTxId: 'a'.repeat(64) },
      { target: { ...request.target, recordKind: 'referral_answer', recordTxId: 'b'.repeat(64) } },
    ],
    [
      'one of several, when the record names none',
      record,
      { target: { ...request.target, recordTxId: 'a'.repeat(64) } },
    ],
    ['a disclosure, for a read of the whole record', { ...record, fields: ['/goodsValue'] }, {}],
    ['a read, for a disclosure', record, { form: 'disclosure' }],
  ])('is unrecorded for %s', (_name, access, change) => {
    expect(accessRefusal(access, { ...request, ...change })).toBe('unrecorded');
  });

  it('lets a disclosure record out as a disclosure', () => {
    expect(accessRefusal({ ...record, fields: ['/goodsValue'] }, { ...request, form: 'disclosure' })).toBe(
      undefined,
    );
  });

  it(`is stale after ${ACCESS_VALID_MINUTES} minutes, to the millisecond`, () => {
    expect(accessRefusal(record, { ...request, at: minutesLater(ACCESS_VALID_MINUTES) })).toBeUndefined();
    expect(accessRefusal(record, { ...request, at: minutesLater(ACCESS_VALID_MINUTES, 1) })).toBe('stale');
    expect(accessRefusal(record, { ...request, at: 'not a time' })).toBe('stale');
  });
});

describe("an access log's cursor", () => {
  const PARTY = 'ab'.repeat(32);
  const position = { at: AT, txId: 'c'.repeat(64), n: 2 };
  const ofConsignment = encodeCursor(accessLogWalk('consignment', 'CN-1'), position);

  it('continues the log it was returned for, of a consignment or of a party', () => {
    expect(decodeCursor(accessLogWalk('consignment', 'CN-1'), ofConsignment)).toEqual(position);
    const ofParty = encodeCursor(accessLogWalk('party', PARTY), position);
    expect(decodeCursor(accessLogWalk('party', PARTY), ofParty)).toEqual(position);
  });

  it('is shorter than the longest cursor a page request takes', () => {
    const longest = encodeCursor(accessLogWalk('consignment', 'C'.repeat(64)), { ...position, n: 1_000_000 });
    expect(longest.length).toBeLessThan(CURSOR_MAX_LENGTH);
  });

  it("is refused for another subject's log, saying so", () => {
    expect(decodeCursor(accessLogWalk('consignment', 'CN-2'), ofConsignment)).toEqual({
      refused: 'the access log cursor was returned for another consignment, not CN-2',
    });
    expect(decodeCursor(accessLogWalk('party', 'CN-1'), ofConsignment)).toEqual({
      refused: "the access log cursor was returned for a consignment's access log, not a party's",
    });
  });

  it("and a history's cursor are each refused by the other list", () => {
    expect(decodeCursor(historyWalk('CN-1', undefined), ofConsignment)).toEqual({
      refused: 'the history cursor is not one this history returned',
    });
    const ofHistory = encodeCursor(historyWalk('CN-1', undefined), position);
    expect(decodeCursor(accessLogWalk('consignment', 'CN-1'), ofHistory)).toEqual({
      refused: 'the access log cursor is not one this access log returned',
    });
  });

  it('naming no entry of the log is refused, naming the log', () => {
    const entries = [{ at: AT, txId: 'd'.repeat(64) }];
    expect(() =>
      pageOf(accessLogWalk('consignment', 'CN-1'), entries, { limit: 10, after: ofConsignment }),
    ).toThrow("the access log cursor names no entry of consignment CN-1's access log");
  });
});
