import { describe, expect, it } from 'vitest';
import {
  assessConsignment,
  automaticDecisionRefusal,
  carrierCollection,
  collectionModelFor,
  declaredValue,
  fileInIndex,
  fixesTaxPoint,
  nextSellerCount,
  queueItem,
  recentFromIndex,
  reconcileCollections,
  ReconciliationFilter,
  RemittanceInput,
  remittanceReaders,
  selectRemittances,
  splitIndexKeys,
  splitValue,
  TariffSet,
  taxPoint,
  workQueue,
  type AssessConsignmentInput,
  type EarlierTaxPoint,
  type PublicAssessment,
  type QueueItem,
} from '../../chaincode/src/domain/customs.js';
import type {
  AssessmentFailureRecord,
  PublicAssessmentFailure,
} from '../../chaincode/src/domain/assessment-failure.js';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET } from '../../chaincode/src/domain/customs-config.js';
import type { DecisionEvent } from '../../chaincode/src/domain/state-machine.js';
import type {
  DeclarationPayload,
  LogisticsPayload,
  OrderPayload,
  PaymentPayload,
} from '../../chaincode/src/domain/schemas.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

const order = orderPayload('ORD-1') as OrderPayload;
const declaration = declarationPayload() as DeclarationPayload;
const input: AssessConsignmentInput = {
  consignmentId: 'CN-1',
  originCountry: 'CN',
  destinationCountry: 'FR',
  order,
  payment: {
    ...paymentPayload('ORD-1', 'PAY-1'),
    payer: { name: order.buyer.name, document: order.buyer.document },
  } as PaymentPayload,
  logistics: logisticsPayload('ORD-1', 'RR123456785FR') as LogisticsPayload,
  declaration,
  buyerVerification: 'none',
  orderNumberTakenByOtherConsignment: false,
  trackingNumberTakenByOtherConsignment: false,
  ruleSet: { ...DEFAULT_RULE_SET, randomSelectionRate: 0 },
  tariffSet: DEFAULT_TARIFF_SET,
  secret: 'ab'.repeat(32),
  assessedAt: '2026-11-28T12:00:00Z',
  taxPointAt: '2026-11-28T12:00:00Z',
  seller: { trustedTrader: false, watchlisted: false, consignmentsSoFar: 50 },
  buyer: { watchlisted: false },
  recentConsignments: [],
  buyerYear: [],
  decisionsSoFar: 0,
};

describe('assessConsignment: release blockers', () => {
  it.each<[string, Partial<AssessConsignmentInput>, string[]]>([
    ['clean', {}, []],
    ['no declaration', { declaration: undefined }, ['DECLARATION_MISSING']],
    [
      'payer is not the buyer',
      { buyerVerification: 'basic', payment: paymentPayload('ORD-1', 'P') as PaymentPayload },
      ['MATCH_FAILED'],
    ],
    [
      'a verified buyer may have another payer',
      { buyerVerification: 'verified', payment: paymentPayload('ORD-1', 'P') as PaymentPayload },
      [],
    ],
    ['watch-listed buyer', { buyer: { watchlisted: true } }, ['LANE_RED']],
    ['a decision already taken', { decisionsSoFar: 1 }, ['CUSTOMS_DECISION_TAKEN']],
    [
      'no tariff for the destination',
      { destinationCountry: 'JP', declaration: { ...declaration, destinationCountry: 'JP' } },
      ['REVENUE_NOT_ASSESSED'],
    ],
    [
      'an earlier parcel in a currency without a rate: the split check is not made',
      { recentConsignments: [{ value: 10, currency: 'JPY', at: '2026-11-19T10:00:00Z' }] },
      ['RISK_INCOMPLETE'],
    ],
    ['random selection', { ruleSet: { ...DEFAULT_RULE_SET, randomSelectionRate: 1 } }, ['LANE_AMBER']],
  ])('%s', (_name, change, blockers) => {
    const a = assessConsignment({ ...input, ...change });
    expect(a.blockers).toEqual(blockers);
    expect(a.releasable).toBe(blockers.length === 0);
  });

  it('a declaration that says less than the order fails the match: duty would follow the declaration', () => {
    const underDeclared = { ...declaration, lines: [{ ...declaration.lines[0]!, value: 20 }] };
    const a = assessConsignment({ ...input, declaration: underDeclared });
    expect(a.match).toEqual({ complete: true, result: 'fail', reasons: ['DECLARATION_VALUE'] });
    expect(a.risk.reasons).toContainEqual({
      code: 'MATCH_DECLARATION_VALUE',
      weight: 40,
      detail: 'three-way match: DECLARATION_VALUE',
    });
    expect(a.blockers).toEqual(['MATCH_FAILED', 'LANE_AMBER']);
  });

  it('an order paid at ten times what its lines say fails the match, though the declaration follows the lines', () => {
    // The formula and the payment hold on the goods value; duty, VAT and the de minimis tests use the lines.
    const tenTimes = (n: number) => Math.round(n * 1000) / 100;
    const paidMore = {
      ...order,
      goodsValue: tenTimes(order.goodsValue),
      amountPaid:
        tenTimes(order.goodsValue) + order.freight + order.insurance + order.taxCollected - order.discount,
    };
    const payment = { ...input.payment, amountPaid: paidMore.amountPaid };
    const a = assessConsignment({ ...input, order: paidMore, payment });
    expect(a.match).toEqual({ complete: true, result: 'fail', reasons: ['ORDER_LINES_VALUE'] });
    expect(a.risk.reasons).toContainEqual({
      code: 'MATCH_ORDER_LINES_VALUE',
      weight: 40,
      detail: 'three-way match: ORDER_LINES_VALUE',
    });
    expect(a.blockers).toEqual(['MATCH_FAILED', 'LANE_AMBER']);
  });

  it('a declaration in a currency without a rate leaves the value comparison to an officer', () => {
    const inUsd = { ...declaration, lines: [{ ...declaration.lines[0]!, currency: 'JPY' }] };
    const a = assessConsignment({ ...input, declaration: inUsd });
    expect(a.match.result).toBe('pass');
    expect(a.risk.reasons.find((r) => r.code === 'RATE_MISSING')?.detail).toContain(
      "declared values not compared with the order's: no JPY rate against EUR",
    );
    expect(a.blockers).toContain('RISK_INCOMPLETE');
  });

  it('checks the declaration’s and the waybill’s descriptions for vagueness, as the order’s', () => {
    const vague = (a: ReturnType<typeof assessConsignment>) =>
      a.risk.reasons.find((r) => r.code === 'VAGUE_DESCRIPTION')?.detail;
    expect(vague(assessConsignment(input))).toBeUndefined();
    const gift = { ...declaration, lines: [{ ...declaration.lines[0]!, description: 'Gift' }] };
    expect(vague(assessConsignment({ ...input, declaration: gift }))).toBe(
      'declaration line 1: vague description',
    );
    const waybill = { ...input.logistics, goodsDescription: 'clothes' };
    expect(vague(assessConsignment({ ...input, logistics: waybill }))).toBe('waybill: vague description');
  });

  it('an order in a currency the tariff has no rate for waits for an officer instead of failing', () => {
    const inGbp = {
      ...input,
      order: { ...order, currency: 'GBP' },
      payment: { ...input.payment, currency: 'GBP' },
      declaration: { ...declaration, lines: declaration.lines.map((l) => ({ ...l, currency: 'GBP' })) },
    };
    const a = assessConsignment(inGbp);
    expect(a.risk.reasons).toContainEqual({
      code: 'RATE_MISSING',
      detail: 'line 1 (HS6 610910): undervaluation not checked: no GBP rate against EUR valid on 2026-11-20',
    });
    expect(a.blockers).toEqual(['RISK_INCOMPLETE', 'REVENUE_NOT_ASSESSED']);
    expect(a.releasable).toBe(false);
  });

  it('assesses duty on the declaration lines on the day of the assessment', () => {
    const a = assessConsignment(input);
    expect(a.revenue).toMatchObject({
      assessed: true,
      tariff: { country: 'FR', validFrom: '2026-07-01' },
      duty: {
        dutyBasis: 'flat',
        duty: 3,
        collectionModel: 'carrier',
        toCollect: a.revenue.assessed ? a.revenue.duty.totalDue : 0,
      },
    });
  });
});

/** The same parcel from a French seller to China. */
const toChina = {
  ...input,
  originCountry: 'FR',
  destinationCountry: 'CN',
  declaration: { ...declaration, originCountry: 'FR', destinationCountry: 'CN' },
};

describe('assessConsignment: per-buyer limits (the demo tariff: China, 5,000 CNY a purchase, 26,000 a year)', () => {
  const purchase = (a: ReturnType<typeof assessConsignment>) => a.buyerLimits!.purchase;
  const yearOf = (value: number, status: 'released' | 'seized' = 'released') => [
    { consignmentId: 'CN-0', value, currency: 'CNY', restored: 0, status },
  ];

  it('counts the customs value in the tariff’s currency against both limits', () => {
    const a = assessConsignment(toChina);
    expect(a.revenue.assessed && a.revenue.duty.currency).toBe('CNY');
    expect(a.buyerLimits).toEqual({
      currency: 'CNY',
      perPurchase: 5000,
      perYear: 26_000,
      purchase: a.revenue.assessed ? a.revenue.duty.customsValue : NaN,
      usedBefore: 0,
      reasons: [],
    });
    expect(a.match.result).toBe('pass');
    expect(a.blockers).toEqual([]);
  });

  it('a purchase that takes the year exactly to the limit passes; a cent more fails the match', () => {
    const price = purchase(assessConsignment(toChina));
    const atLimit = assessConsignment({ ...toChina, buyerYear: yearOf(26_000 - price) });
    expect(atLimit.buyerLimits).toMatchObject({ usedBefore: 26_000 - price, reasons: [] });
    expect(atLimit.releasable).toBe(true);
    const over = assessConsignment({ ...toChina, buyerYear: yearOf(26_000 - price + 0.01) });
    expect(over.match).toEqual({ complete: true, result: 'fail', reasons: ['BUYER_ANNUAL_LIMIT'] });
    expect(over.risk.reasons.map((r) => r.code)).toContain('MATCH_BUYER_ANNUAL_LIMIT');
    expect(over.blockers).toContain('MATCH_FAILED');
  });

  it('a seized parcel of the year does not count', () => {
    const a = assessConsignment({ ...toChina, buyerYear: yearOf(26_000, 'seized') });
    expect(a.buyerLimits).toMatchObject({ usedBefore: 0, reasons: [] });
  });

  it('a purchase above 5,000 CNY fails however little the buyer bought before', () => {
    const lines = order.lines.map((l) => ({ ...l, unitPrice: 700, lineValue: 700 * l.quantity }));
    const goodsValue = lines.reduce((n, l) => n + l.lineValue, 0);
    const dear = {
      ...order,
      lines,
      goodsValue,
      amountPaid: goodsValue + order.freight + order.insurance + order.taxCollected - order.discount,
    };
    const a = assessConsignment({
      ...toChina,
      order: dear,
      payment: { ...input.payment, amountPaid: dear.amountPaid },
      declaration: undefined,
    });
    expect(purchase(a)).toBeGreaterThan(5000);
    expect(a.match.reasons).toEqual(['BUYER_PURCHASE_LIMIT']);
  });

  it('a year the tariff has no rate to add up leaves the annual limit to an officer, not released', () => {
    const inYen = [
      { consignmentId: 'CN-0', value: 100, currency: 'JPY', restored: 0, status: 'released' as const },
    ];
    const a = assessConsignment({ ...toChina, buyerYear: inYen });
    const missing = "buyer's annual limit not checked: no JPY rate against CNY valid on 2026-11-28";
    expect(a.buyerLimits).toMatchObject({ reasons: [], notChecked: missing });
    expect(a.buyerLimits).not.toHaveProperty('usedBefore');
    expect(a.match.result).toBe('pass');
    expect(a.risk.reasons).toContainEqual({ code: 'RATE_MISSING', detail: missing });
    expect(a.blockers).toEqual(['RISK_INCOMPLETE']);
    expect(a.releasable).toBe(false);
  });

  it('destinations without limits, and consignments without a revenue assessment, are not checked', () => {
    expect(assessConsignment(input).buyerLimits).toBeNull();
    expect(assessConsignment({ ...input, destinationCountry: 'JP' }).buyerLimits).toBeNull();
  });
});

describe('assessConsignment: goods under a protected mark', () => {
  it('wait for an officer whatever their lane, a trusted seller’s green included', () => {
    const acme = order.lines.map((l, i) => (i === 0 ? { ...l, description: 'ACME cotton T-shirt' } : l));
    const a = assessConsignment({
      ...input,
      order: { ...order, lines: acme },
      seller: { ...input.seller, trustedTrader: true },
    });
    expect(a.risk).toMatchObject({ lane: 'green', score: 15 });
    expect(a.risk.reasons.map((r) => r.code)).toEqual(['IPR_SENSITIVE', 'TRUSTED_TRADER']);
    expect(a.blockers).toEqual(['PROTECTED_MARK']);
    expect(a.releasable).toBe(false);
  });
});

describe('assessConsignment: goods eligible for China’s cross-border retail channel (the demo list, CBEC-DEMO-2026)', () => {
  // Heading 4205, other articles of leather, is not on the demo list; 6109, T-shirts, is.
  const leather = <T extends { hsCode: string }>(lines: readonly T[]) =>
    lines.map((l, i) => (i === 0 ? { ...l, hsCode: '420500' } : l));
  const withLeather = {
    ...toChina,
    order: { ...order, lines: leather(order.lines) },
    declaration: { ...toChina.declaration, lines: leather(toChina.declaration.lines) },
  };

  it('passes goods under the list’s headings', () => {
    const a = assessConsignment(toChina);
    expect(a.match).toEqual({ complete: true, result: 'pass', reasons: [] });
    expect(a.releasable).toBe(true);
  });

  it('fails the match on a declared line the list does not name, and keeps the parcel for an officer', () => {
    const a = assessConsignment(withLeather);
    expect(a.match).toEqual({ complete: true, result: 'fail', reasons: ['GOODS_NOT_ELIGIBLE'] });
    expect(a.risk.reasons.map((r) => r.code)).toContain('MATCH_GOODS_NOT_ELIGIBLE');
    expect(a.blockers).toContain('MATCH_FAILED');
    expect(a.releasable).toBe(false);
  });

  it('checks the order’s lines until there is a declaration', () => {
    const a = assessConsignment({ ...withLeather, declaration: undefined });
    expect(a.match.reasons).toEqual(['GOODS_NOT_ELIGIBLE']);
  });

  it('checks nothing where the destination keeps no list', () => {
    const toFrance = assessConsignment({
      ...input,
      order: withLeather.order,
      declaration: { ...declaration, lines: leather(declaration.lines) },
    });
    expect(toFrance.match.reasons).not.toContain('GOODS_NOT_ELIGIBLE');
  });
});

describe('derived inputs', () => {
  it.each<[string, DeclarationPayload | undefined, string]>([
    ['a collection number', { ...declaration, vatCollectionNumber: 'IM3720001234' }, 'platform'],
    ['none', declaration, 'carrier'],
    ['no declaration', undefined, 'carrier'],
  ])('collection model with %s', (_name, decl, model) => {
    expect(collectionModelFor(decl, 'carrier')).toBe(model);
  });

  it('the declared value is the declaration’s in one currency, else the order’s', () => {
    expect(declaredValue(order, declaration)).toEqual({ value: 40, currency: 'EUR' });
    const mixed = {
      ...declaration,
      lines: [...declaration.lines, { ...declaration.lines[0]!, currency: 'USD' }],
    };
    expect(declaredValue(order, mixed)).toEqual({ value: 40, currency: 'EUR' });
    expect(declaredValue(order, undefined)).toEqual({ value: 40, currency: 'EUR' });
    const two = { ...declaration, lines: [...declaration.lines, { ...declaration.lines[0]!, value: 0.1 }] };
    expect(declaredValue(order, two)).toEqual({ value: 40.1, currency: 'EUR' });
  });

  it('the default tariff set is valid and covers the demo destinations', () => {
    expect(TariffSet.safeParse(DEFAULT_TARIFF_SET).error).toBeUndefined();
    const countries = new Set(DEFAULT_TARIFF_SET.tariffs.map((t) => t.country));
    for (const c of ['FR', 'DE', 'ES', 'NL', 'IT', 'PL', 'IE', 'US', 'GB', 'CN'])
      expect(countries).toContain(c);
  });

  it('a seller count stops at the cap', () => {
    expect([0, 5, 99, 100].map(nextSellerCount)).toEqual([1, 6, 100, 100]);
  });
});

describe('a collection number honoured only where the destination’s checkout scheme covers the goods', () => {
  const ioss = { ...declaration, vatCollectionNumber: 'IM2500000001' };
  const withNumber = { ...input, declaration: ioss };
  it('IOSS to France, 40 EUR of goods: the platform collected the VAT at checkout', () => {
    const a = assessConsignment(withNumber);
    expect(a.collectionModel).toBe('platform');
    expect(a.revenue).toMatchObject({
      assessed: true,
      duty: { collectionModel: 'platform', collectedAtCheckout: 8.8 },
    });
    expect(a.revenue.assessed && a.revenue.collectionNumberRefused).toBeUndefined();
  });

  it('IOSS past 150 EUR: VAT at import, collected by the carrier, whatever the checkout took', () => {
    const laptop = { ...ioss, lines: [{ ...ioss.lines[0]!, hsCode: '847130', value: 500 }] };
    const expensive = {
      ...order,
      goodsValue: 500,
      amountPaid: 512.8,
      lines: [{ ...order.lines[0]!, hsCode: '847130', unitPrice: 250, lineValue: 500 }],
    };
    const a = assessConsignment({ ...withNumber, order: expensive, declaration: laptop });
    expect(a.collectionModel).toBe('carrier');
    expect(a.revenue).toMatchObject({
      assessed: true,
      collectionNumberRefused:
        'IOSS covers goods of at most 150 EUR, not 500 EUR: VAT is collected at import',
      duty: { collectionModel: 'carrier', collectedAtCheckout: 0 },
    });
    expect(a.revenue.assessed && a.revenue.duty.toCollect).toBe(
      a.revenue.assessed && a.revenue.duty.totalDue,
    );
  });

  it('an EU collection number on a parcel to the United States changes nothing', () => {
    const toUs = {
      ...withNumber,
      originCountry: 'CN',
      destinationCountry: 'US',
      declaration: { ...ioss, destinationCountry: 'US' },
    };
    const a = assessConsignment(toUs);
    expect(a.collectionModel).toBe('carrier');
    expect(a.revenue).toMatchObject({
      collectionNumberRefused: 'US takes no VAT collected at checkout: it is collected at import',
      duty: { collectedAtCheckout: 0 },
    });
  });
});

describe('split shipments against the destination’s own relief thresholds', () => {
  // The same buyer and seller, an hour apart.
  const earlier = (value: number, currency: string) => [{ value, currency, at: '2026-11-20T09:00:00Z' }];
  const to = (country: string, currency: string, value: number): AssessConsignmentInput => ({
    ...input,
    originCountry: 'FR',
    destinationCountry: country,
    order: {
      ...order,
      goodsValue: value,
      amountPaid: value + 13.8 - 2,
      currency,
      lines: [{ ...order.lines[0]!, unitPrice: value / 2, lineValue: value }],
    },
    declaration: {
      ...declaration,
      originCountry: 'FR',
      destinationCountry: country,
      lines: [{ ...declaration.lines[0]!, value, currency }],
    },
  });
  const split = (a: ReturnType<typeof assessConsignment>) =>
    a.risk.reasons.find((r) => r.code === 'SPLIT_SHIPMENT')?.detail;

  it('China: two parcels of 3,000 CNY together over the 5,000 CNY a purchase', () => {
    const a = assessConsignment({ ...to('CN', 'CNY', 3000), recentConsignments: earlier(3000, 'CNY') });
    expect(split(a)).toBe('1 other consignment(s) within 72 h bring the total over 5000 CNY');
  });

  // China's thresholds are on the customs value, so freight (5) and insurance (1) count; France's on the goods.
  it.each<[string, string, number, number]>([
    ['CN', 'CNY', 2497, 2503],
    ['FR', 'EUR', 100, 100],
  ])(
    'a parcel to %s adds up as its thresholds are tested: %s %s of goods count as %s',
    (country, currency, goods, counted) => {
      const own = to(country, currency, goods);
      expect(splitValue(own.order, own.declaration, DEFAULT_TARIFF_SET, country, '2026-11-20')).toEqual({
        value: counted,
        currency,
      });
    },
  );

  it('China: two parcels of 2,497 CNY of goods, 6 of charges each: 5,006 CNY of customs value, over', () => {
    const a = assessConsignment({ ...to('CN', 'CNY', 2497), recentConsignments: earlier(2503, 'CNY') });
    expect(split(a)).toBe('1 other consignment(s) within 72 h bring the total over 5000 CNY');
  });

  it('the United States, with no de minimis since August 2025: nothing to gain by splitting', () => {
    const a = assessConsignment({ ...to('US', 'USD', 100), recentConsignments: earlier(100, 'USD') });
    expect(split(a)).toBeUndefined();
  });

  it('France: two parcels of 100 EUR together over the 150 EUR of the flat duty and IOSS', () => {
    const a = assessConsignment({ ...to('FR', 'EUR', 100), recentConsignments: earlier(100, 'EUR') });
    expect(split(a)).toBe('1 other consignment(s) within 72 h bring the total over 150 EUR');
  });
});

describe('what the carrier collects at delivery', () => {
  // France from July 2026: a flat 3 EUR duty on the one HS6 subheading, VAT 20 % on 46 + 3.
  const owed = { currency: 'EUR', duty: 3, vat: 9.8, collectedAtCheckout: 0, toCollect: 12.8 };
  it.each<[string, Partial<AssessConsignmentInput>, typeof owed | undefined]>([
    ['the carrier collects what no platform collected', {}, owed],
    [
      'the platform collected at checkout under a collection number',
      { declaration: { ...declaration, vatCollectionNumber: 'IM3720001234' } },
      undefined,
    ],
    ['the buyer pays customs', { tariffSet: { ...DEFAULT_TARIFF_SET, uncollectedBy: 'buyer' } }, undefined],
    [
      'nothing is due (the United States’ 800 USD de minimis, before August 2025)',
      { destinationCountry: 'US', taxPointAt: '2025-06-02T12:00:00Z' },
      undefined,
    ],
    ['revenue is not assessed (no tariff for the destination)', { destinationCountry: 'JP' }, undefined],
  ])('%s', (_name, change, expected) => {
    expect(carrierCollection(assessConsignment({ ...input, ...change }))).toEqual(expected);
  });
});

describe('split-shipment index', () => {
  const e = (id: string, at: string, value = 40) => ({ consignmentId: id, value, currency: 'EUR', at });

  it('keys are keyed hashes: the same buyer or consignee and seller, whatever the spelling', () => {
    const c = order.consignee;
    const [buyer, consignee] = splitIndexKeys('ab'.repeat(32), 'a'.repeat(64), 'b'.repeat(64), c);
    const respelt = { ...c, name: `  ${c.name.toUpperCase()} `, address: { ...c.address, city: 'LYON' } };
    expect(splitIndexKeys('ab'.repeat(32), 'a'.repeat(64), 'c'.repeat(64), respelt)[1]).toBe(consignee);
    expect(splitIndexKeys('cd'.repeat(32), 'a'.repeat(64), 'b'.repeat(64), c)[0]).not.toBe(buyer);
    expect(buyer).toMatch(/^[0-9a-f]{64}$/);
    expect(buyer).not.toBe(consignee);
  });

  it('files an entry once, replaces it, and forgets what is two windows older than the latest', () => {
    const list = [e('A', '2026-11-01T00:00:00Z'), e('B', '2026-11-05T00:00:00Z')];
    expect(fileInIndex(list, e('C', '2026-11-05T12:00:00Z'), 48).map((x) => x.consignmentId)).toEqual([
      'B',
      'C',
    ]);
    // Filed after a parcel ordered 90 h later, one ordered 10 h after an unassessed parcel E is kept:
    // E, assessed last, must still find it within its 72 h.
    const p = fileInIndex([], e('P', '2026-11-10T10:00:00Z'), 72);
    const kept = fileInIndex(p, e('L', '2026-11-14T04:00:00Z'), 72);
    expect(recentFromIndex([kept], 'E').map((x) => x.consignmentId)).toEqual(['P', 'L']);
    expect(fileInIndex(list, e('B', '2026-11-05T00:00:00Z', 99), 200)).toEqual([
      e('A', '2026-11-01T00:00:00Z'),
      e('B', '2026-11-05T00:00:00Z', 99),
    ]);
  });

  it('recent consignments are the others, once each, in time order', () => {
    const a = e('A', '2026-11-02T00:00:00Z');
    const b = e('B', '2026-11-01T00:00:00Z');
    expect(
      recentFromIndex(
        [
          [a, e('SELF', '2026-11-03T00:00:00Z')],
          [a, b],
        ],
        'SELF',
      ),
    ).toEqual([b, a]);
  });
});

describe('the tax point: the tariff of the day the customs debt arose', () => {
  const earlier = (change: Partial<EarlierTaxPoint> = {}): EarlierTaxPoint => ({
    assessedAt: 'then',
    declared: true,
    revenueAssessed: true,
    ...change,
  });
  it.each<[string, EarlierTaxPoint | undefined, string, boolean]>([
    ['the first assessment with a declaration fixes it, once it prices the goods', undefined, 'now', true],
    ['a tax point kept is kept', earlier({ taxPointAt: 'fixed' }), 'fixed', true],
    ['even by an assessment without a declaration or revenue', earlier({ taxPointAt: 'fixed', declared: false, revenueAssessed: false }), 'fixed', true],
    ['an assessment by chaincode 1.8, which kept none, priced the goods on its own day', earlier(), 'then', true],
    ['one that assessed no revenue (a tariff yet to come) fixed nothing', earlier({ revenueAssessed: false }), 'now', true],
    ['nor did one without a declaration', earlier({ declared: false }), 'now', true],
  ])('%s', (_, before, at, fixes) => {
    expect(taxPoint(before, 'now')).toBe(at);
    expect(fixesTaxPoint({ declared: true, revenueAssessed: true }, before)).toBe(fixes);
  }); // prettier-ignore

  it('is not fixed by an assessment that prices nothing on a declaration', () => {
    for (const now of [
      { declared: false, revenueAssessed: true },
      { declared: true, revenueAssessed: false },
    ]) {
      expect(fixesTaxPoint(now, undefined)).toBe(false);
      expect(fixesTaxPoint(now, earlier({ revenueAssessed: false }))).toBe(false);
      expect(fixesTaxPoint(now, earlier({ taxPointAt: 'fixed' }))).toBe(true);
    }
  });

  it('a re-assessment after the EU’s flat duty came into force keeps the relief of the day before', () => {
    const lines = { taxPointAt: '2026-06-30T15:00:00Z', assessedAt: '2026-07-02T09:00:00Z' };
    const again = assessConsignment({ ...input, ...lines });
    expect(again.revenue.assessed && again.revenue.duty.dutyBasis).toBe('de_minimis');
    const fresh = assessConsignment({ ...input, taxPointAt: lines.assessedAt, assessedAt: lines.assessedAt });
    expect(fresh.revenue.assessed && fresh.revenue.duty.dutyBasis).toBe('flat');
  });
});

describe('automatic decisions', () => {
  const assessment: PublicAssessment = {
    number: 2,
    assessedAt: '2026-11-28T12:00:00Z',
    txId: 'tx',
    match: { result: 'pass', reasons: [] },
    releasable: true,
    basis: { order: 1, payment: 1, logistics: 1, declaration: 1 },
    decisionsSoFar: 0,
  };
  const ok = {
    decision: 'release' as DecisionEvent,
    assessment,
    currentBasis: assessment.basis,
    decisionsSoFar: 0,
  };
  it.each<[string, Partial<typeof ok> & { failure?: PublicAssessmentFailure }, string | undefined]>([
    ['a releasable, current assessment', {}, undefined],
    [
      'a failed assessment since, on the same records',
      {
        failure: {
          code: 'ASSESSMENT_ERROR',
          failedAt: '2026-11-28T12:05:00Z',
          txId: 'tx2',
          basis: assessment.basis,
        },
      },
      'its assessment failed (ASSESSMENT_ERROR, transaction tx2); an officer decides',
    ],
    [
      'a failed assessment and no assessment before it',
      {
        assessment: undefined,
        failure: { code: 'LEDGER_UNAVAILABLE', failedAt: '2026-11-28T12:05:00Z', txId: 'tx2', basis: {} },
      },
      'its assessment failed (LEDGER_UNAVAILABLE, transaction tx2); an officer decides',
    ],
    ['another decision', { decision: 'hold' }, "an automatic decision can only be 'release', not 'hold'"],
    ['no assessment', { assessment: undefined }, 'no assessment to release on'],
    [
      'not releasable',
      { assessment: { ...assessment, releasable: false } },
      'assessment 2 does not allow automatic release',
    ],
    [
      'a corrected record',
      { currentBasis: { ...assessment.basis, order: 2 } },
      'records changed since assessment 2; assess again',
    ],
    [
      'a record added',
      { currentBasis: { order: 1, payment: 1, logistics: 1 } },
      'records changed since assessment 2; assess again',
    ],
    ['a decision since', { decisionsSoFar: 1 }, 'a customs decision was recorded since assessment 2'],
  ])('%s', (_name, change, refusal) => {
    expect(automaticDecisionRefusal({ ...ok, ...change })).toBe(refusal);
  });
});

describe('work queue', () => {
  const item = (id: string, change: Partial<QueueItem> = {}): QueueItem => ({
    consignmentId: id,
    status: 'arrived',
    destinationCountry: 'FR',
    lane: 'amber',
    score: 30,
    matchResult: 'pass',
    reasonCodes: ['RESTRICTED_HS', 'LANE_AMBER'],
    releasable: false,
    firstAssessedAt: '2026-11-28T10:00:00Z',
    assessedAt: '2026-11-28T10:00:00Z',
    assessments: 1,
    referralAnswers: 0,
    assessmentFailed: null,
    ...change,
  });
  const failure = (id: string, failedAt: string): AssessmentFailureRecord => ({
    consignmentId: id,
    destinationCountry: 'FR',
    code: 'ASSESSMENT_ERROR',
    reason: 'no CNY rate against EUR valid on 2026-11-28',
    basis: { order: 1, payment: 1, logistics: 1 },
    failures: 1,
    firstFailedAt: failedAt,
    failedAt,
    recordedBy: 'customs-service',
    txId: `tx-${id}`,
  });
  const items = [
    item('C', {
      firstAssessedAt: '2026-11-28T08:00:00Z',
      lane: 'red',
      reasonCodes: ['PROHIBITED_HS', 'LANE_RED'],
    }),
    item('A'),
    item('B', { status: 'released', lane: 'green', releasable: true }),
    item('D', { status: 'referred', matchResult: 'fail', destinationCountry: 'DE' }),
    // Releasable a moment ago: the service's to release.
    item('E', { releasable: true, lane: 'green', assessedAt: '2026-11-28T11:58:00Z' }),
    // Releasable, but not released two hours on: the release failed; an officer's now.
    item('F', { releasable: true, lane: 'green' }),
    // Never assessed: its assessment failed an hour and a half ago.
    queueItem('arrived', { failure: failure('G', '2026-11-28T10:30:00Z') }),
  ];
  const ids = (filter: Record<string, unknown>) =>
    workQueue(items, filter, '2026-11-28T12:00:00Z').items.map((i) => i.consignmentId);
  it.each<[string, Record<string, unknown>, string[]]>([
    ['open ones, oldest first', {}, ['C', 'A', 'D', 'F', 'G']],
    ['all', { includeClosed: 'true' }, ['C', 'A', 'B', 'D', 'E', 'F', 'G']],
    ['failed assessments', { reason: 'ASSESSMENT_FAILED' }, ['G']],
    ['by age since the first failure', { minAgeHours: '1.5' }, ['C', 'A', 'D', 'F', 'G']],
    ['by lane', { lane: 'red' }, ['C']],
    ['by status', { status: 'released' }, ['B']],
    ['by match result', { matchResult: 'fail' }, ['D']],
    ['by reason', { reason: 'PROHIBITED_HS' }, ['C']],
    ['by destination', { destinationCountry: 'DE' }, ['D']],
    ['by age', { minAgeHours: '3' }, ['C']],
    ['a page', { offset: '1', limit: '1' }, ['A']],
  ])('%s', (_name, filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });
  it('counts the total before paging and gives each item its age', () => {
    const page = workQueue(items, { limit: 1 }, '2026-11-28T12:00:00Z');
    expect(page).toMatchObject({
      total: 5,
      offset: 0,
      limit: 1,
      items: [{ consignmentId: 'C', ageHours: 4 }],
    });
  });
  it('shows a consignment whose assessment failed, never assessed, as failed and not releasable', () => {
    expect(queueItem('arrived', { failure: failure('G', '2026-11-28T10:30:00Z') })).toEqual({
      consignmentId: 'G',
      status: 'arrived',
      destinationCountry: 'FR',
      lane: null,
      score: null,
      matchResult: null,
      reasonCodes: ['ASSESSMENT_FAILED'],
      releasable: false,
      firstAssessedAt: null,
      assessedAt: null,
      assessments: 0,
      referralAnswers: 0,
      assessmentFailed: {
        code: 'ASSESSMENT_ERROR',
        reason: 'no CNY rate against EUR valid on 2026-11-28',
        failures: 1,
        firstFailedAt: '2026-11-28T10:30:00Z',
        failedAt: '2026-11-28T10:30:00Z',
      },
    });
  });
  it('keeps a failed re-assessment’s earlier lane, and makes it the officers’ even if that allowed release', () => {
    const assessment = {
      consignmentId: 'H',
      destinationCountry: 'FR',
      number: 1,
      firstAssessedAt: '2026-11-28T11:59:00Z',
      assessedAt: '2026-11-28T11:59:00Z',
      referralAnswers: 0,
      releasable: true,
      blockers: [],
      match: { result: 'pass' as const, complete: true, reasons: [] },
      risk: { ruleSetVersion: 'v', lane: 'green' as const, score: 0, reasons: [], selectedAtRandom: false },
    };
    const releasable = queueItem('arrived', { assessment, stillReleasable: true });
    expect(releasable).toMatchObject({ lane: 'green', releasable: true, assessmentFailed: null });
    const failed = queueItem('arrived', {
      assessment,
      stillReleasable: true,
      failure: failure('H', '2026-11-28T11:59:30Z'),
    });
    expect(failed).toMatchObject({
      lane: 'green',
      releasable: false,
      reasonCodes: ['ASSESSMENT_FAILED'],
      assessmentFailed: { code: 'ASSESSMENT_ERROR' },
    });
    // A releasable one a minute old is the service's; a failed one is the officers' at once.
    const now = '2026-11-28T12:00:00Z';
    expect(workQueue([releasable], {}, now).items).toEqual([]);
    expect(workQueue([failed], {}, now).items.map((i) => i.consignmentId)).toEqual(['H']);
  });
  it('refuses a bad filter', () => {
    expect(() => workQueue(items, { lane: 'purple' as never }, '2026-11-28T12:00:00Z')).toThrow();
    expect(() => workQueue(items, { limit: 0 }, '2026-11-28T12:00:00Z')).toThrow();
  });
});

describe('reconciliation', () => {
  it('filters by an MSP id and a month only', () => {
    expect(ReconciliationFilter.safeParse({ platformMspId: 'PlatformAMSP', period: '2026-11' }).success).toBe(
      true,
    );
    for (const filter of [{ platformMspId: 'P'.repeat(65) }, { platformMspId: '' }, { period: '2026-13' }]) {
      expect(ReconciliationFilter.safeParse(filter).success, JSON.stringify(filter)).toBe(false);
    }
  });

  it('compares platform-collected VAT with assessed VAT per platform and month', () => {
    const platform = assessConsignment({
      ...input,
      declaration: { ...declaration, vatCollectionNumber: 'IM3720001234' },
    });
    const carrier = assessConsignment(input);
    const rows = reconcileCollections(
      [
        {
          platformMspId: 'PlatformAMSP',
          destinationCountry: 'FR',
          assessedAt: '2026-11-28T12:00:00Z',
          revenue: platform.revenue,
        },
        {
          platformMspId: 'PlatformAMSP',
          destinationCountry: 'FR',
          assessedAt: '2026-12-01T12:00:00Z',
          revenue: platform.revenue,
        },
        {
          platformMspId: 'PlatformAMSP',
          destinationCountry: 'FR',
          assessedAt: '2026-11-28T12:00:00Z',
          revenue: carrier.revenue,
        },
        {
          platformMspId: 'PlatformBMSP',
          destinationCountry: 'FR',
          assessedAt: '2026-11-28T12:00:00Z',
          revenue: platform.revenue,
        },
      ],
      [],
      { platformMspId: 'PlatformAMSP' },
    );
    const vat = platform.revenue.assessed ? platform.revenue.duty.vat : NaN;
    expect(rows).toEqual([
      {
        platformMspId: 'PlatformAMSP',
        period: '2026-11',
        currency: 'EUR',
        consignments: 1,
        declared: 8.8,
        assessed: vat,
        difference: Number((8.8 - vat).toFixed(2)),
        remittances: 0,
        remitted: 0,
        unremitted: 8.8,
      },
      {
        platformMspId: 'PlatformAMSP',
        period: '2026-12',
        currency: 'EUR',
        consignments: 1,
        declared: 8.8,
        assessed: vat,
        difference: Number((8.8 - vat).toFixed(2)),
        remittances: 0,
        remitted: 0,
        unremitted: 8.8,
      },
    ]);
    expect(reconcileCollections([], [], { period: '2026-11' })).toEqual([]);
  });

  it('sets what a platform remitted for a month against what it declared as collected in it', () => {
    const { revenue } = assessConsignment({
      ...input,
      declaration: { ...declaration, vatCollectionNumber: 'IM3720001234' },
    });
    const sale = {
      platformMspId: 'PlatformAMSP',
      destinationCountry: 'FR',
      paidAt: '2026-11-10T10:00:00Z',
      assessedAt: '2026-11-12T10:00:00Z',
      revenue,
    };
    const remittance = (
      reference: string,
      period: string,
      amount: number,
      platformMspId = 'PlatformAMSP',
    ) => ({
      platformMspId,
      period,
      currency: 'EUR',
      amount,
      reference,
      recordedAt: '2026-12-05T09:00:00Z',
      txId: 'f'.repeat(64),
    });
    const rows = reconcileCollections(
      [sale, sale],
      [
        remittance('IOSS-2026-11', '2026-11', 12.5),
        // A correction for the same month, under its own reference.
        remittance('IOSS-2026-11-C1', '2026-11', 4),
        // And one that lowers it.
        remittance('IOSS-2026-11-C2', '2026-11', -0.5),
        // A month with nothing assessed yet still makes its row.
        remittance('IOSS-2026-10', '2026-10', 3.3),
        remittance('B-2026-11', '2026-11', 100, 'PlatformBMSP'),
      ],
      { platformMspId: 'PlatformAMSP' },
    );
    expect(
      rows.map((r) => [r.period, r.consignments, r.declared, r.remittances, r.remitted, r.unremitted]),
    ).toEqual([
      ['2026-10', 0, 0, 1, 3.3, -3.3],
      ['2026-11', 2, 17.6, 3, 16, 1.6],
    ]);
    expect(
      reconcileCollections([sale], [remittance('IOSS-2026-10', '2026-10', 3.3)], { period: '2026-11' }).map(
        (r) => r.remitted,
      ),
    ).toEqual([0]);
  });

  it('lists remittances by platform, month, time recorded and reference, as the filter selects them', () => {
    const r = (platformMspId: string, period: string, recordedAt: string, reference: string) => ({
      platformMspId,
      period,
      currency: 'EUR',
      amount: 1,
      reference,
      recordedAt,
      txId: 'a'.repeat(64),
    });
    const all = [
      r('PlatformBMSP', '2026-10', '2026-11-02T00:00:00Z', 'B1'),
      r('PlatformAMSP', '2026-11', '2026-12-03T00:00:00Z', 'A3'),
      r('PlatformAMSP', '2026-11', '2026-12-01T00:00:00Z', 'A2'),
      r('PlatformAMSP', '2026-11', '2026-12-01T00:00:00Z', 'A1'),
      r('PlatformAMSP', '2026-10', '2026-12-05T00:00:00Z', 'A0'),
    ];
    expect(selectRemittances(all, {}).map((x) => x.reference)).toEqual(['A0', 'A1', 'A2', 'A3', 'B1']);
    expect(selectRemittances(all, { period: '2026-10' }).map((x) => x.reference)).toEqual(['A0', 'B1']);
    expect(
      selectRemittances(all, { platformMspId: 'PlatformAMSP', period: '2026-11' }).map((x) => x.reference),
    ).toEqual(['A1', 'A2', 'A3']);
  });

  it('lets customs list every platform’s remittances, and a platform its own alone', () => {
    const platforms = ['PlatformAMSP', 'PlatformBMSP'];
    const customs = { mspId: 'CustomsMSP', role: 'customs' };
    const platformA = { mspId: 'PlatformAMSP', role: 'platform' };
    expect(remittanceReaders(customs, {}, platforms)).toEqual(platforms);
    expect(remittanceReaders(customs, { platformMspId: 'PlatformBMSP' }, platforms)).toEqual([
      'PlatformBMSP',
    ]);
    expect(remittanceReaders(customs, { platformMspId: 'PostMSP' }, platforms)).toEqual([]);
    expect(remittanceReaders(platformA, {}, platforms)).toEqual(['PlatformAMSP']);
    expect(
      remittanceReaders(platformA, { platformMspId: 'PlatformAMSP', period: '2026-11' }, platforms),
    ).toEqual(['PlatformAMSP']);
    expect(() => remittanceReaders(platformA, { platformMspId: 'PlatformBMSP' }, platforms)).toThrow(
      'PlatformAMSP cannot read the remittances of PlatformBMSP',
    );
  });

  it('takes a remittance of a month, a currency, an amount in cents and a reference', () => {
    const valid = { period: '2026-11', currency: 'EUR', amount: 1234.56, reference: 'IM3720001234/2026-11' };
    expect(RemittanceInput.parse(valid)).toEqual(valid);
    expect(RemittanceInput.safeParse({ ...valid, amount: 0 }).success).toBe(true);
    // A correction downwards.
    expect(RemittanceInput.safeParse({ ...valid, amount: -12.5 }).success).toBe(true);
    for (const bad of [
      { ...valid, period: '2026-13' },
      { ...valid, period: '2026-11-01' },
      { ...valid, currency: 'eur' },
      { ...valid, amount: -100_000_001 },
      { ...valid, amount: -0.001 },
      { ...valid, amount: 1.234 },
      { ...valid, reference: '' },
      { ...valid, reference: '/leading-slash' },
      { ...valid, reference: 'R'.repeat(65) },
      { ...valid, platformMspId: 'PlatformBMSP' },
    ]) {
      expect(RemittanceInput.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  // The period was the month of the latest assessment: a parcel sold in August and assessed again
  // in September after a referral's answer left August's row after August was closed.
  it('counts a sale in the month its payment was accepted, however late it is assessed', () => {
    const { revenue } = assessConsignment({
      ...input,
      declaration: { ...declaration, vatCollectionNumber: 'IM3720001234' },
    });
    const sold = {
      platformMspId: 'PlatformAMSP',
      destinationCountry: 'FR',
      paidAt: '2026-08-31T21:00:00Z',
      revenue,
    };
    const periods = (assessedAt: string) =>
      reconcileCollections([{ ...sold, assessedAt }], [], {}).map((r) => r.period);
    expect(periods('2026-08-31T21:30:00Z')).toEqual(['2026-08']);
    expect(periods('2026-09-02T09:00:00Z')).toEqual(['2026-08']);
    // The month is the destination's: 31 August 23:30 UTC is 1 September in Paris.
    expect(
      reconcileCollections(
        [{ ...sold, paidAt: '2026-08-31T23:30:00Z', assessedAt: '2026-09-01T09:00:00Z' }],
        [],
        {},
      ).map((r) => r.period),
    ).toEqual(['2026-09']);
    // An assessment by 1.8 kept no payment time: it stays in the UTC month it was counted in.
    const { paidAt: _, ...before19 } = sold;
    expect(
      reconcileCollections([{ ...before19, assessedAt: '2026-08-31T23:00:00Z' }], [], {}).map(
        (r) => r.period,
      ),
    ).toEqual(['2026-08']);
    expect(
      reconcileCollections([{ ...sold, assessedAt: '2026-09-02T09:00:00Z' }], [], { period: '2026-09' }),
    ).toEqual([]);
  });
});
