import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { DEFAULT_RULE_SET, FR_TARIFF } from '../../chaincode/src/domain/customs-config.js';
import {
  matchReasonCodes,
  threeWayMatch,
  type MatchReasonCode,
} from '../../chaincode/src/domain/matching.js';
import { rateTable } from '../../chaincode/src/domain/revenue.js';
import {
  assessRisk,
  indicatorCodes,
  matchIndicator,
  noticesFor,
  vagueDescriptions,
  RuleSet,
  selectionDraw,
  type AssessRiskInput,
  type IndicatorCode,
  type Lane,
} from '../../chaincode/src/domain/risk.js';
import { ReasonCode } from '../../chaincode/src/domain/schemas.js';

const NOW = '2026-07-10T12:00:00Z';

const clean: AssessRiskInput = {
  ruleSet: DEFAULT_RULE_SET,
  match: { complete: true, reasons: [] },
  lines: [
    { lineNo: 1, hsCode: '610910', description: 'Cotton T-shirt', value: 24, currency: 'EUR', quantity: 2 },
  ],
  declaredValue: 24,
  currency: 'EUR',
  date: NOW,
  destinationCountry: 'FR',
  rates: rateTable(FR_TARIFF),
  seller: { trustedTrader: false, watchlisted: false, consignmentsSoFar: 100 },
  buyer: { watchlisted: false },
  recentConsignments: [],
  randomDraw: 0.5,
};

type Line = AssessRiskInput['lines'][number];
const line = (change: Partial<Line>): Line[] => [{ ...(clean.lines[0] as Line), ...change }];
/** The demo rule set without its notices, for rule sets that drop the rules looking at them. */
const { protectedMarks: _marks, productRecalls: _recalls, ...withoutNotices } = DEFAULT_RULE_SET;
const weightOf = (code: IndicatorCode) => DEFAULT_RULE_SET.indicators.find((i) => i.code === code)?.weight;

describe('rule sets', () => {
  it('accepts the default rule set, with a weight for every indicator', () => {
    expect(RuleSet.safeParse(DEFAULT_RULE_SET).error).toBeUndefined();
    expect(DEFAULT_RULE_SET.indicators.map((i) => i.code)).toEqual([...indicatorCodes]);
  });

  it('has one match indicator per match reason', () => {
    expect(matchReasonCodes.map(matchIndicator)).toEqual(
      indicatorCodes.filter((c) => c.startsWith('MATCH_')).slice(0, -1),
    );
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Loose = Record<string, any>;
  it.each<[string, (r: Loose) => void, string]>([
    ['an indicator twice', (r) => r.indicators.push({ code: 'NEW_SELLER', weight: 1 }), 'NEW_SELLER twice'],
    [
      'a hard rule twice',
      (r) => r.hardRules.push({ code: 'PROHIBITED_HS', lane: 'red' }),
      'PROHIBITED_HS twice',
    ],
    [
      'an unknown indicator',
      (r) => r.indicators.push({ code: 'ASTROLOGY', weight: 1 }),
      '/indicators/26/code',
    ],
    ['a hard rule to amber', (r) => (r.hardRules[0].lane = 'amber'), '/hardRules/0/lane'],
    ['amber above red', (r) => (r.thresholds = { amber: 61, red: 60 }), 'amber must not exceed red'],
    [
      'a 5-digit reference price key',
      (r) => (r.referencePrices['61091'] = { price: 1, currency: 'EUR' }),
      '/referencePrices/61091',
    ],
    ['an upper-case vague word', (r) => r.vagueDescriptions.push('Gift'), '/vagueDescriptions/19'],
    ['a selection rate above 1', (r) => (r.randomSelectionRate = 1.5), '/randomSelectionRate'],
    ['a negative weight', (r) => (r.indicators[0].weight = -1), '/indicators/0/weight'],
    ['a one-digit HS prefix', (r) => r.prohibitedHsPrefixes.push('9'), '/prohibitedHsPrefixes/5'],
    ['a zero window', (r) => (r.splitShipment.windowHours = 0), '/splitShipment/windowHours'],
    [
      'a notice twice',
      (r) => r.productRecalls.push({ ...r.productRecalls[0], terms: ['other'] }),
      'SG-DEMO-0001 twice',
    ],
    ['an upper-case term', (r) => r.protectedMarks[0].terms.push('Acme'), '/protectedMarks/0/terms/1'],
    ['a notice without terms', (r) => (r.productRecalls[1].terms = []), '/productRecalls/1/terms'],
    [
      'a notice with no HS prefix listed',
      (r) => (r.protectedMarks[1].hsPrefixes = []),
      '/protectedMarks/1/hsPrefixes',
    ],
    [
      'recalls without the hard rule that looks at them',
      (r) => (r.hardRules = r.hardRules.filter((h: Loose) => h.code !== 'PRODUCT_RECALL')),
      'productRecalls: are looked at only under the hard rule PRODUCT_RECALL, which is not listed',
    ],
    [
      'protected marks without the indicator that looks at them',
      (r) => (r.indicators = r.indicators.filter((i: Loose) => i.code !== 'IPR_SENSITIVE')),
      '/protectedMarks',
    ],
  ])('refuses %s', (_name, change, message) => {
    const r = JSON.parse(JSON.stringify(DEFAULT_RULE_SET)) as Loose;
    change(r);
    expect(RuleSet.safeParse(r).success).toBe(false);
    expect(() => assessRisk({ ...clean, ruleSet: r as RuleSet })).toThrow(message);
  });
});

describe('a clean consignment', () => {
  it('goes green with no reason', () => {
    expect(assessRisk(clean)).toEqual({
      ruleSetVersion: 'demo-2026.4',
      lane: 'green',
      score: 0,
      reasons: [],
      selectedAtRandom: false,
    });
  });
});

describe('weighted indicators, one at a time (amber from 30, red from 60)', () => {
  type Case = [string, Partial<AssessRiskInput>, IndicatorCode | null, Lane];
  const recent = (value: number, at: string, currency = 'EUR') => ({ value, currency, at });
  const cases: Case[] = [
    ...matchReasonCodes.map((r): Case => [
      `match reason ${r}`,
      { match: { complete: true, reasons: [r] } },
      matchIndicator(r),
      (weightOf(matchIndicator(r)) ?? 0) >= 30 ? 'amber' : 'green',
    ]),
    ['match incomplete', { match: { complete: false, reasons: [] } }, 'MATCH_INCOMPLETE', 'green'],

    // reference 12 EUR per unit for 610910, ratio 0.3: 3.60 EUR per unit
    ['2 units at exactly 0.3 × reference', { lines: line({ value: 7.2 }) }, null, 'green'],
    ['2 units one cent under', { lines: line({ value: 7.19 }) }, 'UNDERVALUATION', 'amber'],
    ['1 unit at exactly 0.3 × reference', { lines: line({ value: 3.6, quantity: 1 }) }, null, 'green'],
    ['1 unit one cent under', { lines: line({ value: 3.59, quantity: 1 }) }, 'UNDERVALUATION', 'amber'],
    ['no quantity: whole line at 3.60', { lines: line({ value: 3.6, quantity: undefined }) }, null, 'green'],
    [
      'no quantity: whole line at 3.59',
      { lines: line({ value: 3.59, quantity: undefined }) },
      'UNDERVALUATION',
      'amber',
    ],
    ['4.19 USD = 3.60 EUR', { lines: line({ value: 4.19, currency: 'USD', quantity: 1 }) }, null, 'green'],
    [
      '4.18 USD = 3.59 EUR',
      { lines: line({ value: 4.18, currency: 'USD', quantity: 1 }) },
      'UNDERVALUATION',
      'amber',
    ],
    [
      'no reference price for the HS6',
      { lines: line({ hsCode: '392690', value: 1.5, quantity: 10 }) },
      null,
      'green',
    ],
    [
      'reference looked up by HS6 of a longer code',
      { lines: line({ hsCode: '6109100010', value: 7 }) },
      'UNDERVALUATION',
      'amber',
    ],

    // values of 0 or 1
    ['declared value 1', { declaredValue: 1 }, 'NOMINAL_VALUE', 'amber'],
    ['declared value 0', { declaredValue: 0 }, 'NOMINAL_VALUE', 'amber'],
    ['declared value 1.01', { declaredValue: 1.01 }, null, 'green'],
    ['a line valued 1', { lines: line({ hsCode: '392690', value: 1 }) }, 'NOMINAL_VALUE', 'amber'],
    ['a line valued 1.01', { lines: line({ hsCode: '392690', value: 1.01 }) }, null, 'green'],

    // descriptions and HS6
    ['description "Gift"', { lines: line({ description: 'Gift' }) }, 'VAGUE_DESCRIPTION', 'green'],
    ['description "GIFTS!"', { lines: line({ description: 'GIFTS!' }) }, 'VAGUE_DESCRIPTION', 'green'],
    [
      'description "Sample goods"',
      { lines: line({ description: 'Sample goods' }) },
      'VAGUE_DESCRIPTION',
      'green',
    ],
    [
      'description "spare  parts"',
      { lines: line({ description: 'spare  parts' }) },
      'VAGUE_DESCRIPTION',
      'green',
    ],
    ['description "---"', { lines: line({ description: '---' }) }, 'VAGUE_DESCRIPTION', 'green'],
    [
      'description "Gift box, cardboard"',
      { lines: line({ description: 'Gift box, cardboard' }) },
      null,
      'green',
    ],
    ['description "Car parts"', { lines: line({ description: 'Car parts' }) }, null, 'green'],
    ['no HS code', { lines: line({ hsCode: undefined }) }, 'MISSING_HS6', 'green'],
    ['a 4-digit HS code', { lines: line({ hsCode: '6109' }) }, 'MISSING_HS6', 'green'],

    // split shipments: 150 EUR over 72 h, this consignment 24 EUR
    [
      '72 h earlier, total 150.01',
      { recentConsignments: [recent(126.01, '2026-07-07T12:00:00Z')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      '72 h earlier, total exactly 150',
      { recentConsignments: [recent(126, '2026-07-07T12:00:00Z')] },
      null,
      'green',
    ],
    ['72 h and 1 s earlier', { recentConsignments: [recent(500, '2026-07-07T11:59:59Z')] }, null, 'green'],
    [
      'a time with an offset',
      { recentConsignments: [recent(200, '2026-07-07T14:00:00+02:00')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    // Ordered after this one but assessed first: the pair is flagged whichever customs sees first.
    [
      'a consignment ordered later',
      { recentConsignments: [recent(200, '2026-07-10T12:00:01Z')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'one ordered 72 h later, total 150.01',
      { recentConsignments: [recent(126.01, '2026-07-13T12:00:00Z')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'one ordered 72 h and 1 s later',
      { recentConsignments: [recent(500, '2026-07-13T12:00:01Z')] },
      null,
      'green',
    ],
    [
      'two earlier consignments',
      { recentConsignments: [recent(60, '2026-07-09T12:00:00Z'), recent(66.01, '2026-07-10T11:00:00Z')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'earlier value in USD (147 USD = 126.42 EUR)',
      { recentConsignments: [recent(147, '2026-07-09T00:00:00Z', 'USD')] },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'this one alone at exactly 150',
      {
        declaredValue: 150,
        lines: line({ value: 150 }),
        recentConsignments: [recent(0.01, '2026-07-09T00:00:00Z')],
      },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'this one alone over 150 is not split',
      {
        declaredValue: 150.01,
        lines: line({ value: 150.01 }),
        recentConsignments: [recent(10, '2026-07-09T00:00:00Z')],
      },
      null,
      'green',
    ],
    // the destination's own relief thresholds, given, replace the rule set's 150 EUR
    [
      'a destination with nothing to split for (no relief)',
      { splitThresholds: [], recentConsignments: [recent(500, '2026-07-09T00:00:00Z')] },
      null,
      'green',
    ],
    [
      'under the lower of two thresholds, and together over it',
      {
        splitThresholds: [
          { value: 30, currency: 'EUR' },
          { value: 1000, currency: 'EUR' },
        ],
        recentConsignments: [recent(6.01, '2026-07-09T00:00:00Z')],
      },
      'SPLIT_SHIPMENT',
      'amber',
    ],
    [
      'together still under a destination’s threshold',
      {
        splitThresholds: [{ value: 1000, currency: 'EUR' }],
        recentConsignments: [recent(200, '2026-07-09T00:00:00Z')],
      },
      null,
      'green',
    ],

    // restricted goods and new sellers
    [
      'restricted heading 3004',
      { lines: line({ hsCode: '300490', description: 'Paracetamol tablets' }) },
      'RESTRICTED_HS',
      'amber',
    ],
    [
      'heading 3003 is not restricted',
      { lines: line({ hsCode: '300390', description: 'Herbal medicine' }) },
      null,
      'green',
    ],
    [
      'seller with 5 earlier consignments',
      { seller: { ...clean.seller, consignmentsSoFar: 5 } },
      'NEW_SELLER',
      'green',
    ],
    [
      'seller with 6 earlier consignments',
      { seller: { ...clean.seller, consignmentsSoFar: 6 } },
      null,
      'green',
    ],
    ['seller with none', { seller: { ...clean.seller, consignmentsSoFar: 0 } }, 'NEW_SELLER', 'green'],

    // protected marks: AFA-DEMO-0001 'acme' under 4202, 61, 62, 64; AFA-DEMO-0002 'orbit sound' under 8518
    [
      'a protected mark on shoes',
      { lines: line({ hsCode: '64041100', description: 'ACME-Sport running shoes' }) },
      'IPR_SENSITIVE',
      'amber',
    ],
    [
      'the mark under a heading its notice does not name',
      { lines: line({ hsCode: '392690', description: 'Acme phone stand' }) },
      null,
      'green',
    ],
    [
      'the mark inside a longer word',
      { lines: line({ description: 'Acmeplex cotton T-shirt' }) },
      null,
      'green',
    ],
    [
      'a two-word mark written apart by a slash',
      { lines: line({ hsCode: '851830', description: 'Orbit/Sound earbuds' }) },
      'IPR_SENSITIVE',
      'amber',
    ],
    [
      'the words of a two-word mark in another order',
      { lines: line({ hsCode: '851830', description: 'Sound orbit earbuds' }) },
      null,
      'green',
    ],
  ];

  it.each(cases)('%s', (_name, change, code, lane) => {
    const a = assessRisk({ ...clean, ...change });
    expect(a.reasons.map((r) => r.code)).toEqual(code === null ? [] : [code]);
    expect(a.score).toBe(code === null ? 0 : weightOf(code));
    expect(a.lane).toBe(lane);
    if (code !== null) expect(a.reasons[0]?.weight).toBe(weightOf(code));
  });

  it('counts an indicator once however many lines trip it, naming each line', () => {
    const a = assessRisk({
      ...clean,
      lines: [
        { lineNo: 1, hsCode: '610910', description: 'Gift', value: 1.5, currency: 'EUR', quantity: 1 },
        { lineNo: 2, hsCode: '610910', description: 'Parts', value: 1.5, currency: 'EUR', quantity: 1 },
      ],
    });
    expect(a.reasons).toEqual([
      {
        code: 'UNDERVALUATION',
        weight: 40,
        detail:
          'line 1 (HS6 610910): under 0.3 × the reference unit price; line 2 (HS6 610910): under 0.3 × the reference unit price',
      },
      {
        code: 'VAGUE_DESCRIPTION',
        weight: 20,
        detail: 'line 1: vague description; line 2: vague description',
      },
    ]);
    expect([a.score, a.lane]).toEqual([60, 'red']);
  });

  it('scores only the indicators the rule set lists', () => {
    const ruleSet = { ...withoutNotices, indicators: [{ code: 'NEW_SELLER' as const, weight: 5 }] };
    const a = assessRisk({
      ...clean,
      ruleSet,
      match: { complete: false, reasons: ['CURRENCY'] },
      seller: { ...clean.seller, consignmentsSoFar: 0 },
    });
    expect(a.reasons.map((r) => r.code)).toEqual(['NEW_SELLER']);
    expect(a.score).toBe(5);
  });
});

describe('score into lanes', () => {
  const withWeight = (weight: number, factor = 0.5): RuleSet => ({
    ...withoutNotices,
    indicators: [{ code: 'NEW_SELLER', weight }],
    trustedTraderFactor: factor,
  });
  const newSeller = (trustedTrader: boolean) => ({ trustedTrader, watchlisted: false, consignmentsSoFar: 0 });

  it.each<[number, boolean, number, Lane]>([
    [29.99, false, 29.99, 'green'],
    [30, false, 30, 'amber'],
    [59.99, false, 59.99, 'amber'],
    [60, false, 60, 'red'],
    [250, false, 250, 'red'],
    [59.99, true, 30, 'amber'], // 29.995 rounds half-up
    [59.98, true, 29.99, 'green'],
    [120, true, 60, 'red'],
    [0.15, true, 0.08, 'green'], // 0.075 rounds half-up
  ])('weight %s, trusted %s: score %s, %s', (weight, trusted, score, lane) => {
    const a = assessRisk({ ...clean, ruleSet: withWeight(weight), seller: newSeller(trusted) });
    expect([a.score, a.lane]).toEqual([score, lane]);
  });

  describe('trusted operators: each trusted platform or carrier multiplies the score by 0.8', () => {
    const undervalued = { lines: line({ value: 7.19 }) }; // UNDERVALUATION, 40
    it.each<[string, Partial<AssessRiskInput>, number, Lane, string[]]>([
      ['none', {}, 40, 'amber', ['UNDERVALUATION']],
      [
        'the platform',
        { trustedOperators: ['PlatformAMSP'] },
        32,
        'amber',
        ['UNDERVALUATION', 'TRUSTED_OPERATOR'],
      ],
      [
        'the platform and the carrier',
        { trustedOperators: ['PlatformAMSP', 'PostMSP'] },
        25.6,
        'green',
        ['UNDERVALUATION', 'TRUSTED_OPERATOR'],
      ],
      [
        'a trusted seller too, whose factor comes first',
        { trustedOperators: ['PlatformAMSP', 'PostMSP'], seller: { ...clean.seller, trustedTrader: true } },
        12.8,
        'green',
        ['UNDERVALUATION', 'TRUSTED_TRADER', 'TRUSTED_OPERATOR'],
      ],
    ])('%s', (_name, change, score, lane, reasonCodes) => {
      const a = assessRisk({ ...clean, ...undervalued, ...change });
      expect(a).toMatchObject({ score, lane });
      expect(a.reasons.map((r) => r.code)).toEqual(reasonCodes);
    });

    it('says which operators lowered the score from what', () => {
      const a = assessRisk({
        ...clean,
        ...undervalued,
        seller: { ...clean.seller, trustedTrader: true },
        trustedOperators: ['PlatformAMSP', 'PostMSP'],
      });
      expect(a.reasons.find((r) => r.code === 'TRUSTED_OPERATOR')).toEqual({
        code: 'TRUSTED_OPERATOR',
        detail: 'score 20 × 0.8 for each of PlatformAMSP, PostMSP',
      });
    });

    it('neither fires a green hard rule nor adds a reason to a score of nothing', () => {
      const a = assessRisk({ ...clean, trustedOperators: ['PlatformAMSP', 'PostMSP'] });
      expect(a).toMatchObject({ lane: 'green', score: 0, reasons: [] });
      expect(a.hardRule).toBeUndefined();
    });

    it('lowers nothing under a rule set from before chaincode 1.11, which has no operator factor', () => {
      const { trustedOperatorFactor: _factor, ...earlier } = DEFAULT_RULE_SET;
      const a = assessRisk({
        ...clean,
        ...undervalued,
        ruleSet: earlier,
        trustedOperators: ['PlatformAMSP'],
      });
      expect(a).toMatchObject({ score: 40, lane: 'amber' });
      expect(a.reasons.map((r) => r.code)).toEqual(['UNDERVALUATION']);
    });
  });

  it('records the trusted-trader factor as a reason', () => {
    const a = assessRisk({
      ...clean,
      match: { complete: true, reasons: ['PAYMENT_AMOUNT'] },
      seller: { ...clean.seller, trustedTrader: true },
    });
    expect(a).toMatchObject({ lane: 'green', score: 15 });
    expect(a.reasons).toEqual([
      { code: 'MATCH_PAYMENT_AMOUNT', weight: 30, detail: 'three-way match: PAYMENT_AMOUNT' },
      { code: 'TRUSTED_TRADER', detail: 'score 30 × 0.5' },
    ]);
  });
});

describe('hard rules', () => {
  const trusted = { ...clean.seller, trustedTrader: true };

  it.each<[string, Partial<AssessRiskInput>, Lane, string | undefined, string[]]>([
    [
      'prohibited chapter 93',
      { lines: line({ hsCode: '930200', description: 'Revolver' }) },
      'red',
      'PROHIBITED_HS',
      ['PROHIBITED_HS'],
    ],
    [
      'prohibited heading 3604',
      { lines: line({ hsCode: '360410', description: 'Fireworks' }) },
      'red',
      'PROHIBITED_HS',
      ['PROHIBITED_HS'],
    ],
    [
      'heading 3605 is not prohibited',
      { lines: line({ hsCode: '360500', description: 'Matches' }) },
      'green',
      undefined,
      [],
    ],
    [
      'watch-listed seller',
      { seller: { ...clean.seller, watchlisted: true } },
      'red',
      'WATCHLISTED_SELLER',
      ['WATCHLISTED_SELLER'],
    ],
    [
      'watch-listed buyer',
      { buyer: { watchlisted: true } },
      'red',
      'WATCHLISTED_BUYER',
      ['WATCHLISTED_BUYER'],
    ],
    [
      'both watch-listed: every fired rule is reported, the first decides',
      { seller: { ...clean.seller, watchlisted: true }, buyer: { watchlisted: true } },
      'red',
      'WATCHLISTED_SELLER',
      ['WATCHLISTED_SELLER', 'WATCHLISTED_BUYER'],
    ],
    [
      'trusted trader, full match, no indicator',
      { seller: trusted },
      'green',
      'TRUSTED_TRADER_CLEAN',
      ['TRUSTED_TRADER_CLEAN'],
    ],
    [
      'trusted trader with incomplete data',
      { seller: trusted, match: { complete: false, reasons: [] } },
      'green',
      undefined,
      ['MATCH_INCOMPLETE', 'TRUSTED_TRADER'],
    ],
    [
      'trusted trader with a vague description',
      { seller: trusted, lines: line({ description: 'gift' }) },
      'green',
      undefined,
      ['VAGUE_DESCRIPTION', 'TRUSTED_TRADER'],
    ],
    [
      'trusted trader shipping prohibited goods: red beats green',
      { seller: trusted, lines: line({ hsCode: '930200', description: 'Revolver' }) },
      'red',
      'PROHIBITED_HS',
      ['PROHIBITED_HS', 'TRUSTED_TRADER_CLEAN'],
    ],
    [
      'watch-listed seller with a red score',
      {
        seller: { ...clean.seller, watchlisted: true },
        lines: line({ value: 0.5, description: 'gift' }),
        declaredValue: 0.5,
      },
      'red',
      'WATCHLISTED_SELLER',
      ['WATCHLISTED_SELLER', 'UNDERVALUATION', 'NOMINAL_VALUE', 'VAGUE_DESCRIPTION'],
    ],
  ])('%s', (_name, change, lane, hardRule, reasonCodes) => {
    const a = assessRisk({ ...clean, ...change });
    expect(a.lane).toBe(lane);
    expect(a.hardRule).toBe(hardRule);
    expect(a.reasons.map((r) => r.code)).toEqual(reasonCodes);
  });

  it.each<[string, Partial<AssessRiskInput>, Lane, string | undefined, string[]]>([
    [
      'a recalled product (SG-DEMO-0001: magnetic ball set under 9503)',
      { lines: line({ hsCode: '950390', description: 'Magnetic ball set, 216 pieces' }) },
      'red',
      'PRODUCT_RECALL',
      ['PRODUCT_RECALL'],
    ],
    [
      'a recalled product from a trusted trader: red beats green',
      { seller: trusted, lines: line({ hsCode: '950390', description: 'Magnetic ball set' }) },
      'red',
      'PRODUCT_RECALL',
      ['PRODUCT_RECALL', 'TRUSTED_TRADER_CLEAN'],
    ],
    [
      'the same words under a heading the notice does not name',
      { lines: line({ hsCode: '392690', description: 'Magnetic ball set' }) },
      'green',
      undefined,
      [],
    ],
    [
      'a line without an HS code, compared on the terms alone',
      { lines: line({ hsCode: undefined, description: 'Magnetic ball set' }) },
      'red',
      'PRODUCT_RECALL',
      ['PRODUCT_RECALL', 'MISSING_HS6'],
    ],
  ])('%s', (_name, change, lane, hardRule, reasonCodes) => {
    const a = assessRisk({ ...clean, ...change });
    expect(a.lane).toBe(lane);
    expect(a.hardRule).toBe(hardRule);
    expect(a.reasons.map((r) => r.code)).toEqual(reasonCodes);
  });

  it.each<[string, string, string, boolean]>([
    ['full-width letters fold to their plain form', 'acme', 'ＡＣＭＥ running shoes', true],
    ['a ligature folds too', 'fine', 'ﬁne leather bag', true],
    ['an invisible variation selector does not hide a word', 'acme', 'acme\uFE0F shoes', true],
    ['nor a zero-width joiner inside it', 'acme', 'ac\u200Dme shoes', true],
    ['a katakana name with its long-vowel mark', 'マジックボール', 'マジックボール 216個', true],
    ['a Thai word is not cut at its vowel signs', 'ของเล่น', 'ของเล่น แม่เหล็ก', true],
    ['a run of Chinese characters is one word', '磁力球', '磁力球玩具', false],
    ['the same run written alone', '磁力球', '磁力球 玩具', true],
  ])('compares words: %s', (_name, term, description, falls) => {
    expect(
      RuleSet.safeParse({ ...DEFAULT_RULE_SET, productRecalls: [{ reference: 'SG-1', terms: [term] }] })
        .success,
    ).toBe(true);
    expect(noticesFor([{ reference: 'SG-1', terms: [term] }])({ description })).toHaveLength(falls ? 1 : 0);
  });

  it('names the notice a line falls under, never the words that matched', () => {
    const a = assessRisk({
      ...clean,
      lines: [
        { lineNo: 1, hsCode: '950390', description: 'Magnetic ball set', value: 12, currency: 'EUR' },
        { lineNo: 2, hsCode: '420222', description: 'ACME tote bag', value: 12, currency: 'EUR' },
      ],
    });
    expect(a.reasons).toEqual([
      { code: 'PRODUCT_RECALL', detail: 'line 1: HS 950390, recalled under SG-DEMO-0001' },
      {
        code: 'IPR_SENSITIVE',
        weight: 30,
        detail: 'line 2: HS 420222, a mark protected under AFA-DEMO-0001',
      },
    ]);
    expect(JSON.stringify(a.reasons).toLowerCase()).not.toMatch(/magnetic|acme|tote/);
  });

  it('looks out for no goods by name under a rule set from before chaincode 1.11', () => {
    expect(RuleSet.safeParse(withoutNotices).success).toBe(true);
    const a = assessRisk({
      ...clean,
      ruleSet: withoutNotices,
      lines: line({ hsCode: '950390', description: 'ACME magnetic ball set' }),
    });
    expect(a).toMatchObject({ lane: 'green', reasons: [] });
  });

  it('lets red win whatever the listing order, and only applies listed rules', () => {
    const greenFirst = { ...DEFAULT_RULE_SET, hardRules: [...DEFAULT_RULE_SET.hardRules].reverse() };
    const input = { ...clean, seller: trusted, lines: line({ hsCode: '930200', description: 'Revolver' }) };
    expect(assessRisk({ ...input, ruleSet: greenFirst })).toMatchObject({
      lane: 'red',
      hardRule: 'PROHIBITED_HS',
    });
    const none = assessRisk({ ...input, ruleSet: { ...withoutNotices, hardRules: [] } });
    expect(none).toMatchObject({ lane: 'green', score: 0, reasons: [] });
    expect(none.hardRule).toBeUndefined();
  });

  it('still computes the score under a hard rule', () => {
    const a = assessRisk({
      ...clean,
      buyer: { watchlisted: true },
      match: { complete: true, reasons: ['CONSIGNEE_NAME'] },
    });
    expect([a.lane, a.score]).toEqual(['red', 20]);
  });
});

describe('random selection (rate 0.02)', () => {
  it.each<[string, Partial<AssessRiskInput>, number, Lane, boolean]>([
    ['green, draw 0', {}, 0, 'amber', true],
    ['green, draw just under the rate', {}, 0.0199, 'amber', true],
    ['green, draw at the rate', {}, 0.02, 'green', false],
    ['green, draw 0.999', {}, 0.999, 'green', false],
    [
      'hard green, draw under the rate',
      { seller: { ...clean.seller, trustedTrader: true } },
      0.01,
      'amber',
      true,
    ],
    ['amber stays amber', { declaredValue: 1 }, 0, 'amber', false],
    ['red stays red', { buyer: { watchlisted: true } }, 0, 'red', false],
    ['rate 0 never selects', { ruleSet: { ...DEFAULT_RULE_SET, randomSelectionRate: 0 } }, 0, 'green', false],
    [
      'rate 1 always selects',
      { ruleSet: { ...DEFAULT_RULE_SET, randomSelectionRate: 1 } },
      0.999,
      'amber',
      true,
    ],
  ])('%s', (_name, change, randomDraw, lane, selected) => {
    const a = assessRisk({ ...clean, ...change, randomDraw });
    expect([a.lane, a.selectedAtRandom]).toEqual([lane, selected]);
    const last = a.reasons[a.reasons.length - 1];
    if (selected) expect(last?.code).toBe('RANDOM_SELECTION');
    else expect(a.reasons.map((r) => r.code)).not.toContain('RANDOM_SELECTION');
  });

  it('keeps the deciding hard rule when a hard green is selected', () => {
    const a = assessRisk({ ...clean, seller: { ...clean.seller, trustedTrader: true }, randomDraw: 0.01 });
    expect(a).toMatchObject({ lane: 'amber', hardRule: 'TRUSTED_TRADER_CLEAN', selectedAtRandom: true });
    expect(a.reasons.map((r) => r.code)).toEqual(['TRUSTED_TRADER_CLEAN', 'RANDOM_SELECTION']);
  });

  it.each([1, -0.01, Number.NaN, 1.5])('refuses the draw %s', (randomDraw) => {
    expect(() => assessRisk({ ...clean, randomDraw })).toThrow('randomDraw must be in [0, 1)');
  });

  it('derives a deterministic draw from SHA-256 of (consignment id, rule set version, seed)', () => {
    const expected =
      createHash('sha256').update('["C-1","demo-2026.1","seed"]').digest().readUIntBE(0, 6) / 2 ** 48;
    expect(selectionDraw('C-1', 'demo-2026.1', 'seed')).toBe(expected);
    expect(selectionDraw('C-1', 'demo-2026.1', 'seed')).toBe(selectionDraw('C-1', 'demo-2026.1', 'seed'));
    const variants = [
      selectionDraw('C-2', 'demo-2026.1', 'seed'),
      selectionDraw('C-1', 'demo-2026.2', 'seed'),
      selectionDraw('C-1', 'demo-2026.1', 'other'),
    ];
    for (const v of variants) expect(v).not.toBe(expected);
  });

  it('selects about the configured share of consignments', () => {
    const draws = Array.from({ length: 20_000 }, (_, i) => selectionDraw(`C-${i}`, 'demo-2026.1', 'seed'));
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true);
    const share = draws.filter((d) => d < DEFAULT_RULE_SET.randomSelectionRate).length / draws.length;
    expect(share).toBeGreaterThan(0.015);
    expect(share).toBeLessThan(0.025);
  });
});

describe('a comparison that needs a rate the table lacks', () => {
  const gap = (what: string) => `${what} not checked: no GBP rate against EUR valid on 2026-07-10`;
  const trusted = { ...clean.seller, trustedTrader: true };
  it.each<[string, Partial<AssessRiskInput>, string, string[]]>([
    [
      'an undervalued line in GBP',
      { lines: line({ value: 7.19, currency: 'GBP' }) },
      gap('line 1 (HS6 610910): undervaluation'),
      ['RATE_MISSING'],
    ],
    [
      'an earlier consignment in GBP',
      { recentConsignments: [{ value: 500, currency: 'GBP', at: '2026-07-09T00:00:00Z' }] },
      gap('split shipment'),
      ['RATE_MISSING'],
    ],
    [
      'a declared value in GBP, with the other comparisons still made',
      {
        currency: 'GBP',
        lines: line({ value: 7.19 }),
        recentConsignments: [
          { value: 500, currency: 'EUR', at: '2026-07-09T00:00:00Z' },
          { value: 500, currency: 'GBP', at: '2026-07-09T01:00:00Z' },
        ],
      },
      gap('split shipment'),
      ['UNDERVALUATION', 'RATE_MISSING'],
    ],
    [
      'a trusted trader: not clean while a comparison is missing',
      { seller: trusted, lines: line({ currency: 'GBP' }) },
      gap('line 1 (HS6 610910): undervaluation'),
      ['RATE_MISSING'],
    ],
  ])('%s is skipped and named, for an officer', (_name, change, detail, codes) => {
    const a = assessRisk({ ...clean, ...change });
    expect(a.reasons.map((r) => r.code)).toEqual(codes);
    expect(a.reasons.find((r) => r.code === 'RATE_MISSING')).toEqual({ code: 'RATE_MISSING', detail });
    expect(a.hardRule).toBeUndefined();
  });
});

describe('input and privacy', () => {
  it.each<[string, Partial<AssessRiskInput>, string]>([
    [
      'a local time',
      { date: '2026-07-10T12:00:00' },
      "date '2026-07-10T12:00:00' must be an ISO 8601 date-time",
    ],
    ['an impossible date', { date: '2026-02-30' }, "'2026-02-30'"],
    [
      'a recent consignment without a zone',
      { recentConsignments: [{ value: 1, currency: 'EUR', at: 'yesterday' }] },
      "recent consignment time 'yesterday'",
    ],
    [
      'a rate table with the base rate',
      { rates: { base: 'EUR', rates: [{ currency: 'EUR', rate: 1, validFrom: '2026-01-01' }] } },
      'invalid rate table',
    ],
  ])('refuses %s', (_name, change, message) => {
    expect(() => assessRisk({ ...clean, ...change })).toThrow(message);
  });

  it('accepts a plain date as midnight UTC', () => {
    const a = assessRisk({
      ...clean,
      date: '2026-07-10',
      recentConsignments: [{ value: 200, currency: 'EUR', at: '2026-07-07T00:00:00Z' }],
    });
    expect(a.reasons.map((r) => r.code)).toEqual(['SPLIT_SHIPMENT']);
  });

  it('puts codes, line numbers, HS codes and rule parameters in reasons, never descriptions or values', () => {
    const a = assessRisk({
      ...clean,
      match: { complete: false, reasons: [...matchReasonCodes] as MatchReasonCode[] },
      lines: [
        {
          hsCode: '610910',
          description: 'Gift for Marie Curie +33 6 11 22 33 44',
          value: 7.19,
          currency: 'EUR',
          quantity: 2,
        },
        { hsCode: '93 Marie', description: 'gift', value: 0.77, currency: 'EUR' },
        { description: 'Present for Jonas', value: 13.57, currency: 'EUR' },
      ],
      declaredValue: 21.53,
      seller: { trustedTrader: true, watchlisted: true, consignmentsSoFar: 3 },
      buyer: { watchlisted: true },
      recentConsignments: [{ value: 246.8, currency: 'EUR', at: '2026-07-09T10:00:00Z' }],
    });
    expect(a.reasons.length).toBeGreaterThan(15);
    for (const r of a.reasons) expect(ReasonCode.safeParse(r.code).success).toBe(true);
    const text = JSON.stringify(a.reasons);
    for (const personal of [
      'Marie',
      'Curie',
      'Jonas',
      '33 6',
      'Present',
      '7.19',
      '0.77',
      '13.57',
      '21.53',
      '246.8',
    ]) {
      expect(text).not.toContain(personal);
    }
    expect(text).toContain('line 2: HS code under prohibited prefix 93');
  });

  it('is a pure function of its input', () => {
    expect(assessRisk({ ...clean, declaredValue: 1 })).toEqual(assessRisk({ ...clean, declaredValue: 1 }));
  });
});

describe('from matching to risk', () => {
  it('scores the reasons of a real three-way match', () => {
    const match = threeWayMatch({
      buyerVerification: 'none',
      orderNumberTakenByOtherConsignment: false,
      trackingNumberTakenByOtherConsignment: true,
    });
    const a = assessRisk({ ...clean, match });
    expect(a.reasons.map((r) => r.code)).toEqual(['MATCH_DUPLICATE_TRACKING_NUMBER', 'MATCH_INCOMPLETE']);
    expect([a.score, a.lane]).toEqual([60, 'red']);
  });

  it('classifies vague descriptions by words', () => {
    const vague = DEFAULT_RULE_SET.vagueDescriptions;
    expect(
      ['Gift', 'gifts', 'ITEMS', 'spare parts', 'clothes & accessories', ' '].map((d) =>
        vagueDescriptions(vague)(d),
      ),
    ).toEqual([true, true, true, true, true, true]);
    expect(['T-shirt', 'Gift card holder', 'Brake parts'].map((d) => vagueDescriptions(vague)(d))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it.each<[string, string, readonly string[], boolean]>([
    ['full-width letters', 'ＧＩＦＴ', DEFAULT_RULE_SET.vagueDescriptions, true],
    ['a variation selector stuck to a word', 'gift\uFE0F', DEFAULT_RULE_SET.vagueDescriptions, true],
    ['a mark that would start a word', '\u0301gift', DEFAULT_RULE_SET.vagueDescriptions, true],
    ['an entry written in full-width letters', 'gift', ['ｇｉｆｔ'], true],
    ['a sign that folds to letters', '™', DEFAULT_RULE_SET.vagueDescriptions, false],
  ])('compares vague words as words: %s', (_name, description, vague, expected) => {
    expect(vagueDescriptions(vague)(description)).toBe(expected);
  });
});

it('uses the indicator codes as upper-case reason codes', () => {
  for (const c of indicatorCodes) expect(ReasonCode.safeParse(c).success).toBe(true);
});
