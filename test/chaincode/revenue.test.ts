import { describe, expect, it } from 'vitest';
import { utcDate } from '../../chaincode/src/domain/calendar.js';

import {
  CN_TARIFF,
  DEFAULT_TARIFFS,
  FR_TARIFF,
  GB_TARIFF,
  FR_TARIFF_2021,
  US_TARIFF,
  US_TARIFF_2016,
} from '../../chaincode/src/domain/customs-config.js';
import {
  apportionCents,
  applyRate,
  assessDuty,
  checkoutCollectionRefusal,
  reliefThresholds,
  convert,
  convertCents,
  rateTable,
  reconcile,
  selectTariff,
  TariffConfig,
  toCents,
  type AssessDutyInput,
  type RateTable,
} from '../../chaincode/src/domain/revenue.js';
import { MAX_MONEY } from '../../chaincode/src/domain/schemas.js';

describe('exact money arithmetic', () => {
  it.each([
    [0, 0],
    [0.1, 10],
    [0.29, 29],
    [52.2, 5220],
    [1.15, 115],
    [12345678901.23, 1234567890123],
  ])('toCents(%s) = %s', (amount, cents) => expect(toCents(amount)).toBe(cents));

  it.each([0.001, 1.005, Number.NaN, Number.POSITIVE_INFINITY, 1e21])('toCents(%s) is refused', (amount) =>
    expect(() => toCents(amount)).toThrow(),
  );

  it.each([
    [10750, 0.12, 1290],
    [6450, 0.17, 1097], // 1096.5 rounds up
    [125, 0.1, 13], // 12.5 rounds up
    [124, 0.1, 12],
    [25, 0.02, 1], // 0.5 rounds up
    [24, 0.02, 0],
    [1000, 0, 0],
    [1000, 1.45, 1450],
    [11700, 0.165, 1931], // 1930.5 rounds up
  ])('applyRate(%s cents, %s) = %s cents', (cents, rate, expected) =>
    expect(applyRate(cents, rate)).toBe(expected),
  );

  it.each<[number, number[], number[]]>([
    [100, [1, 1, 1], [34, 33, 33]],
    [1000, [10000, 6000], [625, 375]],
    [550, [2000, 1500, 3000], [169, 127, 254]],
    [5, [0, 0], [3, 2]],
    [0, [100, 200], [0, 0]],
    [7, [100], [7]],
    [1, [0, 5, 5], [0, 1, 0]],
    [10, [], []],
  ])('apportionCents(%s, %j) = %j', (total, weights, shares) => {
    expect(apportionCents(total, weights)).toEqual(shares);
  });
});

describe('dates', () => {
  it.each([
    ['2026-07-01', '2026-07-01'],
    ['2026-07-01T00:30:00+02:00', '2026-06-30'],
    ['2026-06-30T23:30:00-01:00', '2026-07-01'],
    ['2026-07-01T12:00:00Z', '2026-07-01'],
  ])('utcDate(%s) = %s', (value, date) => expect(utcDate(value)).toBe(date));

  it.each(['2026-02-30', '2026-07-01T10:00:00', '01/07/2026', ''])('utcDate(%j) is refused', (value) =>
    expect(() => utcDate(value)).toThrow(),
  );
});

describe('currency conversion', () => {
  const rates: RateTable = {
    base: 'EUR',
    rates: [
      { currency: 'USD', rate: 0.9, validFrom: '2025-01-01' },
      { currency: 'USD', rate: 0.8, validFrom: '2026-01-01' },
      { currency: 'CNY', rate: 0.125, validFrom: '2025-01-01' },
    ],
  };

  it.each<[number, string, string, string, number]>([
    [100, 'USD', 'EUR', '2025-01-01', 90], // first day of the first rate
    [100, 'USD', 'EUR', '2025-12-31', 90], // last day before the next rate
    [100, 'USD', 'EUR', '2026-01-01', 80], // the next rate from its first day
    [80, 'EUR', 'USD', '2026-01-01', 100],
    [1, 'EUR', 'USD', '2025-06-01', 1.11],
    [0.05, 'USD', 'EUR', '2025-06-01', 0.05], // 4.5 cents rounds up
    [0.01, 'USD', 'EUR', '2026-06-01', 0.01], // 0.8 cent
    [100, 'CNY', 'USD', '2025-06-01', 13.89], // cross rate 0.125 / 0.9
    [100, 'CNY', 'EUR', '2026-06-01', 12.5],
    [12.34, 'GBP', 'GBP', '2026-06-01', 12.34], // same currency needs no rate
  ])('%s %s → %s on %s = %s', (amount, from, to, date, expected) => {
    expect(convert(amount, from, to, date, rates)).toBe(expected);
  });

  it('refuses a date before any rate, an unknown currency and a malformed date', () => {
    expect(() => convert(1, 'USD', 'EUR', '2024-12-31', rates)).toThrow(
      'no USD rate against EUR valid on 2024-12-31',
    );
    expect(() => convert(1, 'GBP', 'EUR', '2026-01-01', rates)).toThrow(
      'no GBP rate against EUR valid on 2026-01-01',
    );
    expect(() => convert(1, 'EUR', 'GBP', '2026-01-01', rates)).toThrow('no GBP rate against EUR');
    expect(() => convert(1, 'USD', 'EUR', '2026-02-30', rates)).toThrow(
      "conversion date '2026-02-30' must be a calendar date YYYY-MM-DD",
    );
  });

  it('refuses two rates for the same currency and day', () => {
    const twice = {
      ...rates,
      rates: [...rates.rates, { currency: 'USD', rate: 0.7, validFrom: '2026-01-01' }],
    };
    expect(() => convertCents(100, 'USD', 'EUR', '2026-02-01', twice)).toThrow(
      'more than one USD rate against EUR from 2026-01-01',
    );
    expect(convertCents(100, 'USD', 'EUR', '2025-02-01', twice)).toBe(90);
  });
});

describe('tariff configuration', () => {
  it('accepts every default tariff', () => {
    for (const t of DEFAULT_TARIFFS) expect(TariffConfig.safeParse(t).error).toBeUndefined();
    expect(new Set(DEFAULT_TARIFFS.map((t) => `${t.country} ${t.validFrom}`)).size).toBe(
      DEFAULT_TARIFFS.length,
    );
  });

  it('keeps FR and US rules as the published figures', () => {
    expect(FR_TARIFF).toMatchObject({
      country: 'FR',
      currency: 'EUR',
      deMinimisDuty: 0,
      deMinimisVat: 0,
      vatRate: 0.2,
      flatDutyPerItemCategory: { amount: 3, from: '2026-07-01', until: '2028-07-01' },
    });
    expect(FR_TARIFF.dutyRates).toMatchObject({
      '61': 0.12,
      '64': 0.17,
      '85': 0.02,
      '95': 0,
      '42': 0.03,
      '33': 0,
      '84': 0,
      '71': 0.04,
    });
    expect(US_TARIFF).toMatchObject({
      country: 'US',
      validFrom: '2025-08-29',
      currency: 'USD',
      deMinimisDuty: 0,
    });
    expect(US_TARIFF_2016).toMatchObject({ validFrom: '2016-03-10', deMinimisDuty: 800 });
  });

  it.each<[string, string, string, TariffConfig]>([
    ['FR', '2021-07-01', 'first day without the VAT exemption', FR_TARIFF_2021],
    ['FR', '2026-06-30', 'last day of the 150 EUR duty relief', FR_TARIFF_2021],
    ['FR', '2026-07-01', 'first day of the flat duty', FR_TARIFF],
    ['FR', '2030-01-01', 'after the flat duty', FR_TARIFF],
    ['US', '2025-08-28', 'last day of the 800 USD de minimis', US_TARIFF_2016],
    ['US', '2025-08-29', 'first day without de minimis', US_TARIFF],
  ])('selectTariff(%s, %s): %s', (country, date, _why, expected) => {
    expect(selectTariff(DEFAULT_TARIFFS, country, date)).toBe(expected);
  });

  it('selects EU member states with their own VAT rate', () => {
    expect(selectTariff(DEFAULT_TARIFFS, 'DE', '2026-07-01').vatRate).toBe(0.19);
    expect(selectTariff(DEFAULT_TARIFFS, 'PL', '2026-07-01').vatRate).toBe(0.23);
  });

  it('refuses a country or date without a tariff, and two versions on one day', () => {
    expect(() => selectTariff(DEFAULT_TARIFFS, 'JP', '2026-07-01')).toThrow(
      'no tariff for JP in force on 2026-07-01',
    );
    expect(() => selectTariff(DEFAULT_TARIFFS, 'US', '2016-03-09')).toThrow(
      'no tariff for US in force on 2016-03-09',
    );
    expect(() => selectTariff([FR_TARIFF, { ...FR_TARIFF }], 'FR', '2026-08-01')).toThrow(
      '2 tariffs for FR from 2026-07-01',
    );
  });

  // Mutators poke fields of deliberately invalid tariffs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Loose = Record<string, any>;
  it.each<[string, (t: Loose) => void, string]>([
    ['chapter key of 3 digits', (t) => (t.dutyRates['610'] = 0.1), '/dutyRates/610'],
    ['negative rate', (t) => (t.dutyRates['61'] = -0.1), '/dutyRates/61'],
    [
      'flat window backwards',
      (t) => (t.flatDutyPerItemCategory.until = '2026-07-01'),
      '/flatDutyPerItemCategory/until: from must be before until',
    ],
    [
      'rate for the tariff currency',
      (t) => t.currencyRates.push({ currency: 'EUR', rate: 1, validFrom: '2026-01-01' }),
      'rate for the base currency EUR',
    ],
    [
      'a currency rate of no proportion',
      (t) => (t.currencyRates[0].rate = 1e300),
      '/currencyRates/0/rate: must be at most 1000000000',
    ],
    [
      'a currency rate of zero',
      (t) => (t.currencyRates[0].rate = 0),
      '/currencyRates/0/rate: must be at least 1e-9',
    ],
    [
      'same currency and day twice',
      (t) => t.currencyRates.push({ currency: 'USD', rate: 0.5, validFrom: '2026-01-01' }),
      'second USD rate from 2026-01-01',
    ],
    ['unknown field', (t) => (t.dutyFree = true), '/dutyFree: unknown field'],
    ['malformed date', (t) => (t.validFrom = '2026-7-1'), '/validFrom: must be a calendar date'],
    ['3-decimal threshold', (t) => (t.deMinimisDuty = 150.005), '/deMinimisDuty'],
  ])('refuses a tariff with %s', (_name, change, message) => {
    const t = JSON.parse(JSON.stringify(FR_TARIFF)) as Loose;
    change(t);
    expect(TariffConfig.safeParse(t).success).toBe(false);
    expect(() => assessDuty({ ...base, tariff: t as TariffConfig })).toThrow(message);
  });
});

const base: AssessDutyInput = {
  tariff: FR_TARIFF,
  lines: [{ hsCode: '610910', value: 40, currency: 'EUR' }],
  freight: 0,
  insurance: 0,
  date: '2026-07-01',
  collectionModel: 'carrier',
};

describe('the largest amounts the schemas accept', () => {
  it('are assessed under the highest rates a tariff may set, in safe integer cents', () => {
    const a = assessDuty({
      ...base,
      tariff: {
        ...FR_TARIFF,
        flatDutyPerItemCategory: undefined,
        dutyRates: {},
        defaultDutyRate: 10,
        vatRate: 10,
        vatRates: {},
      },
      lines: Array.from({ length: 999 }, () => ({ hsCode: '610910', value: MAX_MONEY, currency: 'EUR' })),
      freight: MAX_MONEY,
      insurance: MAX_MONEY,
    });
    // 1001 × MAX_MONEY of customs value, 10× in duty and 110× in VAT: whole cents, no rounding.
    expect(a.totalDue).toBe(1001 * MAX_MONEY * 120);
    expect(Number.isSafeInteger(toCents(a.totalDue) * 7)).toBe(true);
  });
});

describe('duty and VAT: worked examples', () => {
  it('ad valorem on CIF value, freight and insurance apportioned by value, half-up per line', () => {
    const a = assessDuty({
      ...base,
      tariff: FR_TARIFF_2021,
      date: '2026-03-01',
      lines: [
        { hsCode: '610910', value: 100, currency: 'EUR' },
        { hsCode: '64041100', value: 60, currency: 'EUR' },
      ],
      freight: 10,
      insurance: 2,
    });
    expect(a).toEqual({
      currency: 'EUR',
      collectionModel: 'carrier',
      intrinsicValue: 160,
      customsValue: 172,
      itemCategories: 2,
      duty: 23.87,
      vat: 39.17,
      dutyBasis: 'ad_valorem',
      vatBasis: 'standard',
      totalDue: 63.04,
      collectedAtCheckout: 0,
      toCollect: 63.04,
      lines: [
        {
          hsCode: '610910',
          hs6: '610910',
          value: 100,
          freight: 6.25,
          insurance: 1.25,
          customsValue: 107.5,
          dutyRate: 0.12,
          duty: 12.9,
          vatRate: 0.2,
          vat: 24.08,
        },
        {
          hsCode: '64041100',
          hs6: '640411',
          value: 60,
          freight: 3.75,
          insurance: 0.75,
          customsValue: 64.5,
          dutyRate: 0.17,
          duty: 10.97, // 10.965
          vatRate: 0.2,
          vat: 15.09, // 15.094
        },
      ],
    });
  });

  it('EU 2026: 3 EUR per distinct HS6, booked on the first line of each, VAT on value + duty', () => {
    const a = assessDuty({
      ...base,
      lines: [
        { hsCode: '610910', value: 20, currency: 'EUR' },
        { hsCode: '6109100010', value: 15, currency: 'EUR' },
        { hsCode: '851830', value: 30, currency: 'EUR' },
      ],
      freight: 5.5,
      collectionModel: 'platform',
      vatCollected: 15,
    });
    expect(a).toMatchObject({
      intrinsicValue: 65,
      customsValue: 70.5,
      itemCategories: 2,
      dutyBasis: 'flat',
      duty: 6,
      vat: 15.3,
      totalDue: 21.3,
      collectedAtCheckout: 15,
      // Under IOSS the import is exempt from VAT: customs collects the duty.
      toCollect: 6,
    });
    expect(a.lines.map((l) => [l.freight, l.dutyRate, l.duty, l.vat])).toEqual([
      [1.69, null, 3, 4.94],
      [1.27, null, 0, 3.25],
      [2.54, null, 3, 7.11],
    ]);
  });

  it('US: FOB customs value leaves freight and insurance out; no VAT', () => {
    const a = assessDuty({
      ...base,
      tariff: US_TARIFF,
      date: '2025-09-01',
      lines: [{ hsCode: '610910', value: 100, currency: 'USD' }],
      freight: 20,
      insurance: 5,
    });
    expect(a).toMatchObject({
      currency: 'USD',
      intrinsicValue: 100,
      customsValue: 100,
      dutyBasis: 'ad_valorem',
      duty: 16.5,
      vatBasis: 'standard',
      vat: 0,
      totalDue: 16.5,
    });
    expect(a.lines[0]).toMatchObject({ freight: 20, insurance: 5, customsValue: 100 });
  });

  it('converts line values into the tariff currency before anything else', () => {
    const a = assessDuty({
      ...base,
      tariff: US_TARIFF,
      date: '2025-09-01',
      lines: [{ hsCode: '610910', value: 100, currency: 'EUR' }], // 1.17 USD per EUR
    });
    expect(a).toMatchObject({ intrinsicValue: 117, duty: 19.31 }); // 19.305
  });
});

describe('duty and VAT: thresholds', () => {
  type Case = [string, Partial<AssessDutyInput>, string, number, number];
  const line = (value: number, currency = 'EUR') => [{ hsCode: '610910', value, currency }];
  it.each<Case>([
    // flat duty window [2026-07-01, 2028-07-01), FR_TARIFF has no de minimis
    ['day before the flat duty', { date: '2026-06-30' }, 'ad_valorem', 4.8, 8.96],
    ['first day of the flat duty', { date: '2026-07-01' }, 'flat', 3, 8.6],
    ['last day of the flat duty', { date: '2028-06-30' }, 'flat', 3, 8.6],
    ['first day after the flat duty', { date: '2028-07-01' }, 'ad_valorem', 4.8, 8.96],
    // flat duty only up to 150 EUR intrinsic value
    ['flat at exactly 150', { lines: line(150) }, 'flat', 3, 30.6],
    ['ad valorem at 150.01', { lines: line(150.01) }, 'ad_valorem', 18, 33.6],
    ['freight does not count towards 150', { lines: line(140), freight: 20 }, 'flat', 3, 32.6],
    [
      'CNY converted: 1239 CNY = 149.92 EUR',
      { lines: line(1239, 'CNY'), date: '2026-07-01' },
      'flat',
      3,
      30.58,
    ],
    ['CNY converted: 1240 CNY = 150.04 EUR', { lines: line(1240, 'CNY') }, 'ad_valorem', 18, 33.61],
    // EU 150 EUR duty relief until 30 June 2026, VAT due from the first cent
    ['relief at exactly 150', { tariff: FR_TARIFF_2021, lines: line(150) }, 'de_minimis', 0, 30],
    ['no relief at 150.01', { tariff: FR_TARIFF_2021, lines: line(150.01) }, 'ad_valorem', 18, 33.6],
    [
      'relief looks at goods only',
      { tariff: FR_TARIFF_2021, lines: line(140), freight: 20 },
      'de_minimis',
      0,
      32,
    ],
    ['relief on a zero value', { tariff: FR_TARIFF_2021, lines: line(0) }, 'de_minimis', 0, 0],
    // US 800 USD de minimis until 28 August 2025
    [
      'US at exactly 800',
      { tariff: US_TARIFF_2016, date: '2025-08-28', lines: line(800, 'USD') },
      'de_minimis',
      0,
      0,
    ],
    [
      'US at 800.01',
      { tariff: US_TARIFF_2016, date: '2025-08-28', lines: line(800.01, 'USD') },
      'ad_valorem',
      132,
      0,
    ],
    [
      'US from 29 August 2025',
      { tariff: US_TARIFF, date: '2025-08-29', lines: line(10, 'USD') },
      'ad_valorem',
      1.65,
      0,
    ],
  ])('%s', (_name, change, dutyBasis, duty, vat) => {
    const a = assessDuty({ ...base, ...change });
    expect([a.dutyBasis, a.duty, a.vat]).toEqual([dutyBasis, duty, vat]);
  });

  it('tests the thresholds on the consignment converted whole, not on its lines converted and rounded', () => {
    const a = assessDuty({
      ...base,
      date: '2026-11-20',
      lines: Array.from({ length: 4 }, () => ({ hsCode: '610910', value: 43.61, currency: 'USD' })),
    });
    // 4 × 43.61 USD = 174.44 USD = 150.02 EUR (each line 37.50 EUR): over the flat duty's 150 EUR.
    expect([a.intrinsicValue, a.dutyBasis]).toEqual([150.02, 'ad_valorem']);
    expect(a.lines.map((l) => l.value)).toEqual([37.5, 37.5, 37.5, 37.5]);
  });

  // China's 5,000 CNY is on the dutiable price, freight included, as its per-purchase limit is:
  // a parcel over the one is over the other.
  it.each<[string, number, number, string]>([
    ['4,980 CNY of goods and 20 of freight: at the limit', 4980, 20, 'de_minimis'],
    ['4,990 CNY of goods and 20 of freight: over it', 4990, 20, 'ad_valorem'],
  ])('China, %s', (_name, goods, freight, dutyBasis) => {
    const a = assessDuty({
      ...base,
      tariff: CN_TARIFF,
      date: '2026-11-20',
      lines: [{ hsCode: '610910', value: goods, currency: 'CNY' }],
      freight,
    });
    expect([a.intrinsicValue, a.customsValue, a.dutyBasis]).toEqual([goods, goods + freight, dutyBasis]);
  });

  const vatTariff: TariffConfig = { ...FR_TARIFF_2021, deMinimisVat: 22 };
  it.each<[number, string, number, number | null]>([
    [22, 'de_minimis', 0, null],
    [22.01, 'standard', 4.4, 0.2], // 4.402
    [0.01, 'de_minimis', 0, null],
  ])('VAT de minimis of 22 EUR, value %s: %s', (value, vatBasis, vat, vatRate) => {
    const a = assessDuty({ ...base, tariff: vatTariff, date: '2021-06-30', lines: line(value) });
    expect([a.vatBasis, a.vat, a.lines[0]?.vatRate]).toEqual([vatBasis, vat, vatRate]);
  });
});

describe('duty and VAT: rates by heading and chapter', () => {
  const tariff: TariffConfig = {
    country: 'CH',
    validFrom: '2020-01-01',
    currency: 'EUR',
    deMinimisDuty: 0,
    deMinimisVat: 0,
    vatRate: 0.2,
    vatRates: { '49': 0.055, '4901': 0.021 },
    dutyRates: { '49': 0, '64': 0.17, '6403': 0.08 },
    currencyRates: [],
  };
  it.each<[string, number, number, number, number]>([
    ['640391', 0.08, 8, 0.2, 21.6], // heading wins
    ['640411', 0.17, 17, 0.2, 23.4], // chapter
    ['490110', 0, 0, 0.021, 2.1], // VAT by heading
    ['490900', 0, 0, 0.055, 5.5], // VAT by chapter
  ])('HS %s: duty rate %s (%s on 100), VAT rate %s (%s)', (hsCode, dutyRate, duty, vatRate, vat) => {
    const a = assessDuty({ ...base, tariff, lines: [{ hsCode, value: 100, currency: 'EUR' }] });
    expect([a.lines[0]?.dutyRate, a.duty, a.lines[0]?.vatRate, a.vat]).toEqual([
      dutyRate,
      duty,
      vatRate,
      vat,
    ]);
  });

  it('refuses goods in an unlisted chapter unless the tariff has a default rate', () => {
    const lines = [{ hsCode: '392690', value: 100, currency: 'EUR' }];
    expect(() => assessDuty({ ...base, tariff, lines })).toThrow(
      'line 1: no duty rate for HS heading 3926 or chapter 39 in the CH tariff',
    );
    expect(assessDuty({ ...base, tariff: { ...tariff, defaultDutyRate: 0.065 }, lines }).duty).toBe(6.5);
  });

  it('rounds each line half-up to the cent', () => {
    const t = { ...tariff, dutyRates: { '61': 0.02 } };
    const a = assessDuty({
      ...base,
      tariff: t,
      lines: [
        { hsCode: '610910', value: 0.25, currency: 'EUR' },
        { hsCode: '610910', value: 0.24, currency: 'EUR' },
      ],
    });
    // 0.005 → 0.01 and 0.0048 → 0; VAT 0.052 → 0.05 and 0.048 → 0.05
    expect(a.lines.map((l) => [l.duty, l.vat])).toEqual([
      [0.01, 0.05],
      [0, 0.05],
    ]);
    expect([a.duty, a.vat, a.totalDue]).toEqual([0.01, 0.1, 0.11]);
  });
});

describe('duty and VAT: collection models', () => {
  const lines = [
    { hsCode: '610910', value: 20, currency: 'EUR' },
    { hsCode: '610910', value: 15, currency: 'EUR' },
    { hsCode: '851830', value: 30, currency: 'EUR' },
  ];
  it.each<[AssessDutyInput['collectionModel'], number | undefined, number, number]>([
    // The import is exempt from VAT under the checkout scheme, whatever the platform collected (a
    // shortfall, 15.30 − 15, is the platform's, in reconciliation): customs collects the duty, 6.
    ['platform', 15, 15, 6],
    ['platform', 21.3, 21.3, 6],
    ['platform', 25, 25, 6],
    ['platform', undefined, 0, 6],
    ['platform', 0, 0, 6],
    ['carrier', 15, 0, 21.3], // only the platform model collects at checkout
    ['buyer', 15, 0, 21.3],
  ])('%s model, %s collected at checkout', (collectionModel, vatCollected, collected, toCollect) => {
    const a = assessDuty({
      ...base,
      lines,
      freight: 5.5,
      collectionModel,
      ...(vatCollected === undefined ? {} : { vatCollected }),
    });
    expect([a.totalDue, a.collectedAtCheckout, a.toCollect]).toEqual([21.3, collected, toCollect]);
  });

  it('converts what was collected from the charges currency', () => {
    const a = assessDuty({
      ...base,
      lines: [{ hsCode: '610910', value: 100, currency: 'USD' }],
      collectionModel: 'platform',
      vatCollected: 20,
      date: '2026-07-01',
    });
    expect(a.collectedAtCheckout).toBe(17.2); // 20 USD × 0.86
  });
});

describe('collection numbers: which destinations take VAT collected at checkout, and up to what', () => {
  it.each<[string, Parameters<typeof checkoutCollectionRefusal>[0], number, string | undefined]>([
    ['IOSS, at the limit', FR_TARIFF, 150, undefined],
    ['IOSS, a cent over', FR_TARIFF, 150.01, 'IOSS covers goods of at most 150 EUR, not 150.01 EUR: VAT is collected at import'],
    ['IOSS before July 2026 too', FR_TARIFF_2021, 20, undefined],
    ['no scheme (the US)', US_TARIFF, 20, 'US takes no VAT collected at checkout: it is collected at import'],
    ['no scheme (the UK charges its VAT at the sale)', GB_TARIFF, 20, 'GB takes no VAT collected at checkout: it is collected at import'],
  ])('%s', (_name, tariff, intrinsicValue, refusal) => {
    expect(checkoutCollectionRefusal(tariff, intrinsicValue)).toBe(refusal);
  }); // prettier-ignore
});

describe('relief thresholds: what a split shipment would stay under', () => {
  it.each<[string, TariffConfig, string, number[]]>([
    ['the EU from July 2026: the flat duty’s cap and IOSS', FR_TARIFF, '2026-11-20', [150]],
    ['the EU after the flat duty ends: IOSS still', FR_TARIFF, '2028-07-01', [150]],
    ['the EU before: the duty de minimis and IOSS', FR_TARIFF_2021, '2025-01-01', [150]],
    ['the US since August 2025: nothing', US_TARIFF, '2026-11-20', []],
    ['the US before: 800 USD', US_TARIFF_2016, '2025-01-01', [800]],
    ['the UK: 135 GBP', GB_TARIFF, '2026-11-20', [135]],
    ['China: 5,000 CNY a purchase', CN_TARIFF, '2026-11-20', [5000]],
    ['two thresholds, smaller first', { ...FR_TARIFF_2021, deMinimisVat: 22 }, '2025-01-01', [22, 150]],
  ])('%s', (_name, tariff, date, thresholds) => {
    expect(reliefThresholds(tariff, date)).toEqual(thresholds);
  });
});

describe('duty and VAT: refused input', () => {
  it.each<[string, Partial<AssessDutyInput>, string]>([
    ['no lines', { lines: [] }, 'a duty assessment needs at least one line'],
    [
      'a 4-digit HS code',
      { lines: [{ hsCode: '6109', value: 1, currency: 'EUR' }] },
      "line 1: HS code '6109' must be 6 to 10 digits",
    ],
    [
      'lines in two currencies without chargesCurrency',
      {
        lines: [
          { hsCode: '610910', value: 1, currency: 'EUR' },
          { hsCode: '610910', value: 1, currency: 'USD' },
        ],
      },
      'chargesCurrency',
    ],
    [
      'a currency without a rate',
      { lines: [{ hsCode: '610910', value: 1, currency: 'GBP' }] },
      'no GBP rate against EUR valid on 2026-07-01',
    ],
    [
      'three decimals',
      { lines: [{ hsCode: '610910', value: 1.005, currency: 'EUR' }] },
      'more than two decimals',
    ],
    ['a date-time', { date: '2026-07-01T10:00:00Z' }, "assessment date '2026-07-01T10:00:00Z'"],
  ])('%s', (_name, change, message) => {
    expect(() => assessDuty({ ...base, ...change })).toThrow(message);
  });

  it('accepts lines in two currencies with chargesCurrency', () => {
    const a = assessDuty({
      ...base,
      lines: [
        { hsCode: '610910', value: 10, currency: 'EUR' },
        { hsCode: '851830', value: 10, currency: 'USD' },
      ],
      freight: 10,
      chargesCurrency: 'USD',
    });
    expect([a.intrinsicValue, a.customsValue]).toEqual([18.6, 27.2]);
  });
});

describe('reconciliation per platform and period', () => {
  it('totals declared and assessed amounts, sorted by platform, period and currency', () => {
    expect(
      reconcile([
        {
          platformMspId: 'PlatformBMSP',
          period: '2026-07',
          currency: 'EUR',
          declaredCollected: 10,
          assessedVat: 10,
        },
        {
          platformMspId: 'PlatformAMSP',
          period: '2026-08',
          currency: 'EUR',
          declaredCollected: 5,
          assessedVat: 6.5,
        },
        {
          platformMspId: 'PlatformAMSP',
          period: '2026-07',
          currency: 'EUR',
          declaredCollected: 15.3,
          assessedVat: 15.3,
        },
        {
          platformMspId: 'PlatformAMSP',
          period: '2026-07',
          currency: 'EUR',
          declaredCollected: 0,
          assessedVat: 4.4,
        },
        {
          platformMspId: 'PlatformAMSP',
          period: '2026-07',
          currency: 'USD',
          declaredCollected: 3,
          assessedVat: 3,
        },
      ]),
    ).toEqual([
      {
        platformMspId: 'PlatformAMSP',
        period: '2026-07',
        currency: 'EUR',
        consignments: 2,
        declared: 15.3,
        assessed: 19.7,
        difference: -4.4,
        remittances: 0,
        remitted: 0,
        unremitted: 15.3,
      },
      {
        platformMspId: 'PlatformAMSP',
        period: '2026-07',
        currency: 'USD',
        consignments: 1,
        declared: 3,
        assessed: 3,
        difference: 0,
        remittances: 0,
        remitted: 0,
        unremitted: 3,
      },
      {
        platformMspId: 'PlatformAMSP',
        period: '2026-08',
        currency: 'EUR',
        consignments: 1,
        declared: 5,
        assessed: 6.5,
        difference: -1.5,
        remittances: 0,
        remitted: 0,
        unremitted: 5,
      },
      {
        platformMspId: 'PlatformBMSP',
        period: '2026-07',
        currency: 'EUR',
        consignments: 1,
        declared: 10,
        assessed: 10,
        difference: 0,
        remittances: 0,
        remitted: 0,
        unremitted: 10,
      },
    ]);
  });

  it('sums in cents', () => {
    const r = {
      platformMspId: 'P',
      period: '2026-07',
      currency: 'EUR',
      declaredCollected: 0.1,
      assessedVat: 0,
    };
    expect(reconcile([r, r, r])[0]).toMatchObject({ declared: 0.3, difference: 0.3 });
    const remitted = { platformMspId: 'P', period: '2026-07', currency: 'EUR', amount: 0.1 };
    expect(reconcile([r, r, r], [remitted, remitted])[0]).toMatchObject({
      remittances: 2,
      remitted: 0.2,
      unremitted: 0.1,
    });
    expect(reconcile([])).toEqual([]);
  });

  it('gives a remittance for a period, platform or currency with nothing declared a row of its own', () => {
    expect(
      reconcile(
        [{ platformMspId: 'P', period: '2026-07', currency: 'EUR', declaredCollected: 5, assessedVat: 5 }],
        [{ platformMspId: 'P', period: '2026-07', currency: 'USD', amount: 7 }],
      ).map((row) => [row.currency, row.consignments, row.declared, row.remitted, row.unremitted]),
    ).toEqual([
      ['EUR', 1, 5, 0, 5],
      ['USD', 0, 0, 7, -7],
    ]);
  });

  it.each(['2026-13', '2026-7', '2026-07-01', ''])('refuses period %j', (period) => {
    expect(() =>
      reconcile([{ platformMspId: 'P', period, currency: 'EUR', declaredCollected: 0, assessedVat: 0 }]),
    ).toThrow(`period '${period}' must be YYYY-MM`);
    expect(() => reconcile([], [{ platformMspId: 'P', period, currency: 'EUR', amount: 0 }])).toThrow(
      `period '${period}' must be YYYY-MM`,
    );
  });
});

it('rateTable uses the tariff currency as base', () => {
  expect(rateTable(FR_TARIFF).base).toBe('EUR');
  expect(convert(100, 'CNY', 'USD', '2026-01-01', rateTable(US_TARIFF))).toBe(14.1);
});
