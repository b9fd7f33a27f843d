import { localDate } from '../../chaincode/src/domain/calendar.js';
import { describe, expect, it } from 'vitest';
import {
  buyerQuotaKey,
  checkBuyerLimits,
  countsAgainstYear,
  fileQuotaEntry,
  restoreQuota,
  type BuyerLimitInput,
  type QuotaEntry,
} from '../../chaincode/src/domain/buyer-limits.js';
import { BuyerLimits } from '../../chaincode/src/domain/revenue.js';
import type { ConsignmentStatus } from '../../chaincode/src/domain/state-machine.js';

const china: BuyerLimitInput = {
  limits: { perPurchase: 5000, perYear: 26_000 },
  currency: 'CNY',
  purchase: 1000,
  year: [],
  consignmentId: 'C-9',
  rates: { base: 'CNY', rates: [{ currency: 'EUR', rate: 7.8, validFrom: '2020-01-01' }] },
  date: '2026-11-29',
};

const entry = (
  consignmentId: string,
  value: number,
  more: { status?: ConsignmentStatus; restored?: number; currency?: string } = {},
) => ({
  consignmentId,
  value,
  currency: more.currency ?? 'CNY',
  restored: more.restored ?? 0,
  status: more.status ?? 'released',
});

describe('checkBuyerLimits', () => {
  it.each<[string, Partial<BuyerLimitInput>, number, string[]]>([
    ['a first purchase', {}, 0, []],
    ['exactly 5,000 in one purchase', { purchase: 5000 }, 0, []],
    ['a cent over 5,000 in one purchase', { purchase: 5000.01 }, 0, ['BUYER_PURCHASE_LIMIT']],
    ['the year exactly at 26,000', { year: [entry('C-1', 20_000), entry('C-2', 5000)] }, 25_000, []],
    ['the year a cent over', { year: [entry('C-1', 20_000), entry('C-2', 5000.01)] }, 25_000.01, ['BUYER_ANNUAL_LIMIT']],
    ['both', { purchase: 6000, year: [entry('C-1', 20_001)] }, 20_001, ['BUYER_PURCHASE_LIMIT', 'BUYER_ANNUAL_LIMIT']],
    ['parcels still open count (assessed side by side)', { year: [entry('C-1', 25_500, { status: 'arrived' })] }, 25_500, ['BUYER_ANNUAL_LIMIT']],
    ['seized, returned to sender and exited parcels do not', {
      year: [
        entry('C-1', 9000, { status: 'seized' }),
        entry('C-2', 9000, { status: 'returned_to_sender' }),
        entry('C-3', 9000, { status: 'exited' }),
      ],
    }, 0, []],
    ['what a return restored is given back', { year: [entry('C-1', 25_500, { restored: 600 })] }, 24_900, []],
    ['this consignment’s own earlier filing is not counted twice', { year: [entry('C-9', 25_500)] }, 0, []],
    ['an entry filed in another currency is converted', { year: [entry('C-1', 3000, { currency: 'EUR' })] }, 23_400, []],
    ['no annual limit', { limits: { perPurchase: 5000 }, year: [entry('C-1', 90_000)] }, 90_000, []],
  ])('%s', (_name, change, usedBefore, reasons) => {
    const outcome = checkBuyerLimits({ ...china, ...change });
    expect(outcome.usedBefore).toBe(usedBefore);
    expect(outcome.reasons).toEqual(reasons);
  }); // prettier-ignore

  it('says what it checked against', () => {
    expect(checkBuyerLimits({ ...china, limits: { perYear: 26_000 } })).toEqual({
      currency: 'CNY',
      perYear: 26_000,
      purchase: 1000,
      usedBefore: 0,
      reasons: [],
    });
  });

  it('an entry in a currency the tariff has no rate for leaves the annual limit unchecked, not a silent zero', () => {
    expect(
      checkBuyerLimits({
        ...china,
        year: [entry('C-1', 3000, { currency: 'EUR' }), entry('C-2', 10, { currency: 'JPY' })],
      }),
    ).toEqual({
      currency: 'CNY',
      perPurchase: 5000,
      perYear: 26_000,
      purchase: 1000,
      reasons: [],
      notChecked: "buyer's annual limit not checked: no JPY rate against CNY valid on 2026-11-29",
    });
  });

  it('still checks the purchase limit when the year cannot be added up', () => {
    const outcome = checkBuyerLimits({
      ...china,
      purchase: 5000.01,
      year: [entry('C-1', 10, { currency: 'JPY' })],
    });
    expect(outcome.reasons).toEqual(['BUYER_PURCHASE_LIMIT']);
    expect(outcome.notChecked).toMatch(/^buyer's annual limit not checked: no JPY rate against CNY/);
  });

  it('a rate missing where no annual limit needs it leaves nothing unchecked', () => {
    const outcome = checkBuyerLimits({
      ...china,
      limits: { perPurchase: 5000 },
      year: [entry('C-1', 10, { currency: 'JPY' })],
    });
    expect(outcome).toEqual({ currency: 'CNY', perPurchase: 5000, purchase: 1000, reasons: [] });
  });

  it.each([
    [{}, 'must set perPurchase or perYear'],
    [{ perYear: 0 }, 'must be positive'],
    [{ perPurchase: 5000, perDay: 10 }, 'Unrecognized key'],
  ])('refuses the limits %o', (limits, message) => {
    const parsed = BuyerLimits.safeParse(limits);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });
});

describe('countsAgainstYear', () => {
  it.each<[string, Partial<BuyerLimitInput>, boolean]>([
    ['within both limits', {}, true],
    ['over the purchase limit', { purchase: 5000.01 }, false],
    ['over the annual limit', { year: [entry('C-1', 25_000.01)] }, false],
    ['no annual limit to count against', { limits: { perPurchase: 5000 } }, false],
    [
      'the annual limit not checked for want of a rate',
      { year: [entry('C-1', 10, { currency: 'JPY' })] },
      false,
    ],
  ])('%s', (_name, change, counts) => {
    expect(countsAgainstYear(checkBuyerLimits({ ...china, ...change }), { reasons: [] })).toBe(counts);
  });

  it('goods the cross-border retail channel does not admit are no such purchase', () => {
    const within = checkBuyerLimits(china);
    expect(countsAgainstYear(within, { reasons: ['CONSIGNEE_PHONE'] })).toBe(true);
    expect(countsAgainstYear(within, { reasons: ['GOODS_NOT_ELIGIBLE'] })).toBe(false);
  });

  it('nothing checked, nothing counted', () => {
    expect(countsAgainstYear(null, { reasons: [] })).toBe(false);
  });
});

describe('buyerQuotaKey', () => {
  const secret = 'ab'.repeat(32);
  const document = { type: 'national_id' as const, number: '31011519800101001X', country: 'CN' };
  const key = buyerQuotaKey(secret, document, '2026-03-01');

  it('is the person’s: the same however the number is spaced or cased', () => {
    expect(buyerQuotaKey(secret, { ...document, number: '310115-1980 0101 001x' }, '2026-12-01')).toEqual(
      key,
    );
    expect(key.buyer).toMatch(/^[0-9a-f]{64}$/);
    expect(key.buyer).not.toContain('31011519800101001');
  });

  it.each([
    ['another number', { document: { ...document, number: '31011519800101002X' } }],
    ['another document type', { document: { ...document, type: 'passport' as const } }],
    ['another issuing country', { document: { ...document, country: 'HK' } }],
    ['another secret', { secret: 'cd'.repeat(32) }],
  ])('differs for %s', (_name, change) => {
    const c = { secret, document, ...change };
    expect(buyerQuotaKey(c.secret, c.document, '2026-03-01').buyer).not.toBe(key.buyer);
  });

  // The UTC year filed an order placed on the morning of 1 January in Beijing under the year before.
  it('files an order under the year of its date in the destination', () => {
    expect(key.year).toBe('2026');
    const year = (orderedAt: string) => buyerQuotaKey(secret, document, localDate(orderedAt, 'CN')).year;
    expect(year('2027-01-01T06:00:00+08:00')).toBe('2027');
    expect(year('2026-12-31T16:00:00Z')).toBe('2027');
    expect(year('2026-12-31T15:59:59Z')).toBe('2026');
    expect(() => buyerQuotaKey(secret, document, '2026-12-31T16:00:00Z')).toThrow();
  });
});

describe('filing and restoring', () => {
  const year: QuotaEntry[] = [
    { consignmentId: 'C-1', value: 1000, currency: 'CNY', restored: 200 },
    { consignmentId: 'C-3', value: 300, currency: 'CNY', restored: 0 },
  ];

  it('files a purchase once, in id order, keeping what a return restored when it is filed again', () => {
    const filed = fileQuotaEntry(year, { consignmentId: 'C-2', value: 50, currency: 'CNY' });
    expect(filed.map((e) => e.consignmentId)).toEqual(['C-1', 'C-2', 'C-3']);
    expect(fileQuotaEntry(filed, { consignmentId: 'C-1', value: 1100, currency: 'CNY' })).toEqual([
      { consignmentId: 'C-1', value: 1100, currency: 'CNY', restored: 200 },
      { consignmentId: 'C-2', value: 50, currency: 'CNY', restored: 0 },
      { consignmentId: 'C-3', value: 300, currency: 'CNY', restored: 0 },
    ]);
  });

  it('restores up to what was counted, and no more', () => {
    expect(restoreQuota(year, 'C-1', 800)[0]).toEqual({ ...year[0], restored: 1000 });
    expect(() => restoreQuota(year, 'C-1', 800.01)).toThrow(
      'would give back more than the 1000 CNY counted for consignment C-1',
    );
    expect(() => restoreQuota(year, 'C-2', 1)).toThrow(
      "consignment C-2 was never counted against its buyer's quota",
    );
  });
});
