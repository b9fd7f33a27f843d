import type { TariffSet } from './customs';
import type { CurrencyRate, TariffConfig } from './revenue';
import type { RuleSet } from './risk';

/*
 * Default demo configuration: tariffs per destination and a risk rule set, as data.
 *
 * The legal thresholds and dates follow public rules (DOMAIN.md): the EU abolished its 22 EUR
 * VAT exemption on 1 July 2021 and its 150 EUR duty relief on 1 July 2026, replacing it with a
 * flat 3 EUR per item category (HS6) until 1 July 2028; the US suspended its 800 USD de minimis
 * from 29 August 2025; the UK relieves duty up to 135 GBP and charges VAT from the first pound;
 * China's cross-border e-commerce retail imports pay no duty up to 5,000 CNY a transaction and
 * 70 % of VAT and consumption tax (9.1 % on ordinary goods). Duty rates are per chapter, simplified from the published schedules
 * (US: MFN only, without Section 301 or other additional duties). Currency rates, reference
 * prices and risk weights are illustrative demo values, not official figures.
 */

// ---------------------------------------------------------------- currency rates

/** Units of EUR per 1 unit of the currency. */
export const EUR_RATES: readonly CurrencyRate[] = [
  { currency: 'USD', rate: 0.89, validFrom: '2020-01-01' },
  { currency: 'CNY', rate: 0.127, validFrom: '2020-01-01' },
  { currency: 'USD', rate: 0.96, validFrom: '2025-01-01' },
  { currency: 'CNY', rate: 0.132, validFrom: '2025-01-01' },
  { currency: 'USD', rate: 0.85, validFrom: '2025-07-01' },
  { currency: 'CNY', rate: 0.119, validFrom: '2025-07-01' },
  { currency: 'USD', rate: 0.86, validFrom: '2026-01-01' },
  { currency: 'CNY', rate: 0.121, validFrom: '2026-01-01' },
];

/** Units of GBP per 1 unit of the currency. */
export const GBP_RATES: readonly CurrencyRate[] = [
  { currency: 'EUR', rate: 0.86, validFrom: '2020-01-01' },
  { currency: 'USD', rate: 0.79, validFrom: '2020-01-01' },
  { currency: 'CNY', rate: 0.11, validFrom: '2020-01-01' },
];

/** Units of CNY per 1 unit of the currency. */
export const CNY_RATES: readonly CurrencyRate[] = [
  { currency: 'EUR', rate: 7.8, validFrom: '2020-01-01' },
  { currency: 'USD', rate: 7.2, validFrom: '2020-01-01' },
  { currency: 'GBP', rate: 9.1, validFrom: '2020-01-01' },
];

/** Units of USD per 1 unit of the currency. */
export const USD_RATES: readonly CurrencyRate[] = [
  { currency: 'EUR', rate: 1.12, validFrom: '2016-01-01' },
  { currency: 'CNY', rate: 0.15, validFrom: '2016-01-01' },
  { currency: 'EUR', rate: 1.04, validFrom: '2025-01-01' },
  { currency: 'CNY', rate: 0.137, validFrom: '2025-01-01' },
  { currency: 'EUR', rate: 1.17, validFrom: '2025-07-01' },
  { currency: 'CNY', rate: 0.139, validFrom: '2025-07-01' },
  { currency: 'EUR', rate: 1.16, validFrom: '2026-01-01' },
  { currency: 'CNY', rate: 0.141, validFrom: '2026-01-01' },
];

// ---------------------------------------------------------------- tariffs

/** EU Common Customs Tariff, simplified to chapters (heading 6403, leather footwear, shows a heading override). */
export const EU_DUTY_RATES: Readonly<Record<string, number>> = {
  '19': 0.09,
  '33': 0,
  '39': 0.065,
  '42': 0.03,
  '46': 0.037,
  '61': 0.12,
  '62': 0.12,
  '64': 0.17,
  '6403': 0.08,
  '69': 0.12,
  '71': 0.04,
  '73': 0.032,
  '82': 0.085,
  '84': 0,
  '85': 0.02,
  '95': 0,
};

/** The EU's Import One-Stop Shop since 1 July 2021: VAT collected at checkout up to 150 EUR. */
const IOSS = { scheme: 'IOSS', maxIntrinsicValue: 150 } as const;

/** EU rules from 1 July 2021: no VAT exemption, duty relief up to 150 EUR intrinsic value. */
export function euTariff2021(country: string, vatRate: number): TariffConfig {
  return {
    country,
    validFrom: '2021-07-01',
    currency: 'EUR',
    deMinimisDuty: 150,
    deMinimisVat: 0,
    vatRate,
    dutyRates: { ...EU_DUTY_RATES },
    checkoutCollection: { ...IOSS },
    currencyRates: [...EUR_RATES],
  };
}

/**
 * EU rules from 1 July 2026: no de minimis; 3 EUR per item category (HS6) for consignments of at
 * most 150 EUR intrinsic value until 1 July 2028; ad valorem above that and afterwards.
 */
export function euTariff2026(country: string, vatRate: number): TariffConfig {
  return {
    country,
    validFrom: '2026-07-01',
    currency: 'EUR',
    deMinimisDuty: 0,
    deMinimisVat: 0,
    vatRate,
    dutyRates: { ...EU_DUTY_RATES },
    flatDutyPerItemCategory: { amount: 3, from: '2026-07-01', until: '2028-07-01', maxIntrinsicValue: 150 },
    checkoutCollection: { ...IOSS },
    currencyRates: [...EUR_RATES],
  };
}

/** France from 1 July 2026 (standard VAT 20 %). */
export const FR_TARIFF: TariffConfig = euTariff2026('FR', 0.2);
/** France from 1 July 2021 until 30 June 2026. */
export const FR_TARIFF_2021: TariffConfig = euTariff2021('FR', 0.2);

/** US MFN rates by chapter (illustrative; additional duties not modelled). */
export const US_DUTY_RATES: Readonly<Record<string, number>> = {
  '19': 0.045,
  '33': 0,
  '39': 0.053,
  '42': 0.176,
  '46': 0.043,
  '61': 0.165,
  '62': 0.084,
  '64': 0.2,
  '69': 0.06,
  '71': 0.11,
  '73': 0.034,
  '82': 0.045,
  '84': 0,
  '85': 0.049,
  '95': 0,
};

/** United States from 29 August 2025: de minimis suspended; FOB valuation; no federal VAT. */
export const US_TARIFF: TariffConfig = {
  country: 'US',
  validFrom: '2025-08-29',
  currency: 'USD',
  valuationBasis: 'FOB',
  deMinimisDuty: 0,
  deMinimisVat: 0,
  vatRate: 0,
  dutyRates: { ...US_DUTY_RATES },
  currencyRates: [...USD_RATES],
};

/** United States from 10 March 2016 (800 USD de minimis) until 28 August 2025. */
export const US_TARIFF_2016: TariffConfig = {
  ...US_TARIFF,
  validFrom: '2016-03-10',
  deMinimisDuty: 800,
};

/**
 * United Kingdom from 1 January 2021: up to 135 GBP no duty, and no import VAT either, since the
 * seller or marketplace charges the UK's VAT at the sale (no collection number travels with the
 * parcel); above that, duty and 20 % import VAT at the border.
 */
export const GB_TARIFF: TariffConfig = {
  country: 'GB',
  validFrom: '2021-01-01',
  currency: 'GBP',
  deMinimisDuty: 135,
  deMinimisVat: 135,
  vatRate: 0.2,
  dutyRates: { ...EU_DUTY_RATES },
  currencyRates: [...GBP_RATES],
};

/**
 * China, cross-border e-commerce retail imports from 1 January 2019: no duty up to 5,000 CNY a
 * transaction (its dutiable price, freight and insurance included), a comprehensive tax of 70 %
 * of VAT (13 %); illustrative general-trade duty above the limit. A buyer may import 5,000 CNY a
 * purchase and 26,000 CNY a calendar year this way, of the goods on the list of cross-border
 * e-commerce retail import goods: the real list names some 1,400 ten-digit tariff lines; the demo's
 * names the headings of its own goods.
 */
export const CN_TARIFF: TariffConfig = {
  country: 'CN',
  validFrom: '2019-01-01',
  currency: 'CNY',
  deMinimisDuty: 5000,
  deMinimisVat: 0,
  deMinimisOn: 'customs',
  vatRate: 0.091,
  dutyRates: { ...EU_DUTY_RATES },
  buyerLimits: { perPurchase: 5000, perYear: 26_000 },
  eligibleGoods: {
    reference: 'CBEC-DEMO-2026',
    hsPrefixes: [
      '1905',
      '3303',
      '3304',
      '3305',
      '3926',
      '4202',
      '4203',
      '4602',
      '6109',
      '6204',
      '6403',
      '6404',
      '6912',
      '7117',
      '7323',
      '8211',
      '8471',
      '8507',
      '8518',
      '9503',
      '9504',
    ],
  },
  currencyRates: [...CNY_RATES],
};

/** Standard VAT rates of the demo's EU destinations. */
export const EU_STANDARD_VAT: Readonly<Record<string, number>> = {
  DE: 0.19,
  ES: 0.21,
  FR: 0.2,
  IE: 0.23,
  IT: 0.22,
  NL: 0.21,
  PL: 0.23,
};

/** Every version of every demo destination's tariff; pick one with selectTariff(tariffs, country, date). */
export const DEFAULT_TARIFFS: readonly TariffConfig[] = [
  ...Object.entries(EU_STANDARD_VAT).flatMap(([country, vat]) =>
    country === 'FR' ? [FR_TARIFF_2021, FR_TARIFF] : [euTariff2021(country, vat), euTariff2026(country, vat)],
  ),
  US_TARIFF_2016,
  US_TARIFF,
  GB_TARIFF,
  CN_TARIFF,
];

/** The demo's tariff set: every default tariff; what no platform collected, the carrier collects. */
export const DEFAULT_TARIFF_SET: TariffSet = {
  // A label always names the same content: a ledger that installed an earlier one keeps it.
  version: 'demo-2026.4',
  tariffs: [...DEFAULT_TARIFFS],
  uncollectedBy: 'carrier',
};

// ---------------------------------------------------------------- risk rule set

export const DEFAULT_RULE_SET: RuleSet = {
  // A label always names the same content: a ledger that installed an earlier one keeps it.
  version: 'demo-2026.4',
  hardRules: [
    { code: 'PROHIBITED_HS', lane: 'red' },
    { code: 'PRODUCT_RECALL', lane: 'red' },
    { code: 'WATCHLISTED_SELLER', lane: 'red' },
    { code: 'WATCHLISTED_BUYER', lane: 'red' },
    { code: 'TRUSTED_TRADER_CLEAN', lane: 'green' },
  ],
  indicators: [
    { code: 'MATCH_AMOUNT_FORMULA', weight: 20 },
    { code: 'MATCH_ORDER_LINES_VALUE', weight: 40 },
    { code: 'MATCH_PAYMENT_AMOUNT', weight: 30 },
    { code: 'MATCH_CURRENCY', weight: 20 },
    { code: 'MATCH_ORDER_NUMBER', weight: 40 },
    { code: 'MATCH_CONSIGNEE_NAME', weight: 20 },
    { code: 'MATCH_CONSIGNEE_PHONE', weight: 10 },
    { code: 'MATCH_CONSIGNEE_ADDRESS', weight: 20 },
    { code: 'MATCH_BUYER_NOT_VERIFIED_OR_PAYER', weight: 25 },
    { code: 'MATCH_DUPLICATE_ORDER_NUMBER', weight: 50 },
    { code: 'MATCH_DUPLICATE_TRACKING_NUMBER', weight: 50 },
    { code: 'MATCH_BUYER_PURCHASE_LIMIT', weight: 30 },
    { code: 'MATCH_BUYER_ANNUAL_LIMIT', weight: 30 },
    { code: 'MATCH_GOODS_NOT_ELIGIBLE', weight: 30 },
    { code: 'MATCH_DECLARATION_ROUTE', weight: 30 },
    { code: 'MATCH_DECLARATION_HS_CODES', weight: 30 },
    { code: 'MATCH_DECLARATION_VALUE', weight: 40 },
    { code: 'MATCH_INCOMPLETE', weight: 10 },
    { code: 'UNDERVALUATION', weight: 40 },
    { code: 'NOMINAL_VALUE', weight: 35 },
    { code: 'VAGUE_DESCRIPTION', weight: 20 },
    { code: 'MISSING_HS6', weight: 25 },
    { code: 'SPLIT_SHIPMENT', weight: 35 },
    { code: 'RESTRICTED_HS', weight: 30 },
    { code: 'IPR_SENSITIVE', weight: 30 },
    { code: 'NEW_SELLER', weight: 15 },
  ],
  thresholds: { amber: 30, red: 60 },
  randomSelectionRate: 0.02,
  trustedTraderFactor: 0.5,
  trustedOperatorFactor: 0.8,
  referencePrices: {
    '330499': { price: 9, currency: 'EUR' },
    '420222': { price: 25, currency: 'EUR' },
    '610910': { price: 12, currency: 'EUR' },
    '640411': { price: 40, currency: 'EUR' },
    '711719': { price: 3, currency: 'EUR' },
    '847130': { price: 450, currency: 'EUR' },
    '851830': { price: 30, currency: 'EUR' },
    '950300': { price: 15, currency: 'EUR' },
  },
  undervaluationRatio: 0.3,
  nominalValueMax: 1,
  vagueDescriptions: [
    'accessories',
    'clothes',
    'clothing',
    'gift',
    'gifts',
    'goods',
    'item',
    'items',
    'merchandise',
    'part',
    'parts',
    'present',
    'product',
    'products',
    'sample',
    'samples',
    'spare parts',
    'stuff',
    'various',
  ],
  // Arms and ammunition; explosives, detonators and fireworks.
  prohibitedHsPrefixes: ['93', '3601', '3602', '3603', '3604'],
  // Medicaments, tobacco, wine and spirits, accumulators, radar and radio navigation apparatus.
  restrictedHsPrefixes: ['3004', '2402', '2403', '2204', '2208', '8507', '8526'],
  // Invented marks and products: a real list is customs' own (applications for action, Safety Gate).
  protectedMarks: [
    { reference: 'AFA-DEMO-0001', hsPrefixes: ['4202', '61', '62', '64'], terms: ['acme'] },
    { reference: 'AFA-DEMO-0002', hsPrefixes: ['8518', '8517'], terms: ['orbitsound', 'orbit sound'] },
  ],
  productRecalls: [
    { reference: 'SG-DEMO-0001', hsPrefixes: ['9503'], terms: ['magnetic ball set'] },
    { reference: 'SG-DEMO-0002', hsPrefixes: ['8507'], terms: ['voltmax 20000'] },
  ],
  splitShipment: { windowHours: 72, threshold: 150, currency: 'EUR' },
  newSellerMaxConsignments: 5,
};
