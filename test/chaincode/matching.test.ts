import { describe, expect, it } from 'vitest';

import {
  matchReasonCodes,
  normalisePhone,
  normaliseText,
  threeWayMatch,
  type MatchInput,
  type MatchReasonCode,
} from '../../chaincode/src/domain/matching.js';
import {
  LogisticsPayload,
  OrderPayload,
  parseWith,
  PaymentPayload,
  ReasonCode,
} from '../../chaincode/src/domain/schemas.js';

const address = { line1: '1 Rue de la Paix', city: 'Paris', postcode: '75002', country: 'FR' };
const consignee = { name: 'Marie Curie', phone: '+33 1 23 45 67 89', address };
const document = { type: 'national_id' as const, number: 'X1234567', country: 'FR' };

// 40 + 5.50 + 0 + 8.70 − 2 = 52.20
const order = parseWith(OrderPayload, 'order', {
  orderNumber: 'PA-2026-000001',
  seller: { id: 'a'.repeat(64), name: 'Shenzhen Tees Ltd' },
  buyer: { id: 'b'.repeat(64), name: 'Marie Curie', document },
  consignee,
  goodsValue: 40,
  freight: 5.5,
  insurance: 0,
  discount: 2,
  taxCollected: 8.7,
  amountPaid: 52.2,
  currency: 'EUR',
  orderedAt: '2026-07-01T10:15:00Z',
  lines: [
    {
      lineNo: 1,
      description: 'Cotton T-shirt',
      hsCode: '610910',
      quantity: 2,
      unit: 'PCE',
      unitPrice: 20,
      lineValue: 40,
      originCountry: 'CN',
    },
  ],
});
const payment = parseWith(PaymentPayload, 'payment', {
  paymentTransactionId: 'PAY-778899',
  orderNumber: 'PA-2026-000001',
  payer: { name: 'Marie Curie', document },
  amountPaid: 52.2,
  currency: 'EUR',
  paidAt: '2026-07-01T10:16:00Z',
});
const logistics = parseWith(LogisticsPayload, 'logistics', {
  trackingNumber: 'RR123456785CN',
  orderNumber: 'PA-2026-000001',
  consignee,
  grossWeightKg: 0.45,
  packages: 1,
  freight: 5.5,
  insurance: 0,
  goodsDescription: 'Cotton T-shirts',
});

type Payloads = { order: OrderPayload; payment: PaymentPayload; logistics: LogisticsPayload };
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function input(change: (p: Payloads) => void = () => {}, extra: Partial<MatchInput> = {}): MatchInput {
  const p = clone({ order, payment, logistics });
  change(p);
  return {
    ...p,
    buyerVerification: 'none',
    orderNumberTakenByOtherConsignment: false,
    trackingNumberTakenByOtherConsignment: false,
    ...extra,
  };
}

describe('three-way match: completeness', () => {
  it('passes a consistent order, payment and waybill', () => {
    expect(threeWayMatch(input())).toEqual({ complete: true, result: 'pass', reasons: [] });
  });

  it.each<[string, (keyof Payloads)[]]>([
    ['nothing', []],
    ['order only', ['order']],
    ['payment only', ['payment']],
    ['logistics only', ['logistics']],
    ['order and payment', ['order', 'payment']],
    ['order and logistics', ['order', 'logistics']],
    ['payment and logistics', ['payment', 'logistics']],
  ])('is incomplete with %s', (_name, present) => {
    const all = { order, payment, logistics };
    const partial = Object.fromEntries(present.map((k) => [k, all[k]]));
    expect(
      threeWayMatch({
        ...partial,
        buyerVerification: 'none',
        orderNumberTakenByOtherConsignment: false,
        trackingNumberTakenByOtherConsignment: false,
      }),
    ).toEqual({ complete: false, result: 'incomplete', reasons: [] });
  });

  it('reports a failure found before all three records are in', () => {
    const o = clone(order);
    o.amountPaid = 52.21;
    expect(
      threeWayMatch({
        order: o,
        buyerVerification: 'verified',
        orderNumberTakenByOtherConsignment: false,
        trackingNumberTakenByOtherConsignment: false,
      }),
    ).toEqual({ complete: false, result: 'fail', reasons: ['AMOUNT_FORMULA'] });
  });
});

describe('three-way match: amounts', () => {
  type Case = [string, Partial<OrderPayload>, number | undefined, MatchReasonCode[]];
  it.each<Case>([
    ['formula holds to the cent', {}, undefined, []],
    ['one cent over', { amountPaid: 52.21 }, 52.21, ['AMOUNT_FORMULA']],
    ['one cent under', { amountPaid: 52.19 }, 52.19, ['AMOUNT_FORMULA']],
    [
      'float noise is not a difference (0.1 + 0.2 = 0.3)',
      {
        goodsValue: 0.1,
        freight: 0.2,
        insurance: 0,
        taxCollected: 0,
        discount: 0,
        amountPaid: 0.3,
        lines: [{ ...order.lines[0]!, quantity: 1, unitPrice: 0.1, lineValue: 0.1 }],
      },
      0.3,
      [],
    ],
    [
      'discount larger than freight',
      {
        goodsValue: 19.99,
        lines: [{ ...order.lines[0]!, quantity: 1, unitPrice: 19.99, lineValue: 19.99 }],
        freight: 0.01,
        insurance: 0.35,
        taxCollected: 4.07,
        discount: 5,
        amountPaid: 19.42,
      },
      19.42,
      [],
    ],
    ['discount ignored by the platform', { discount: 2, amountPaid: 54.2 }, 54.2, ['AMOUNT_FORMULA']],
    ['insurance counted', { insurance: 1.25, amountPaid: 53.45 }, 53.45, []],
    ['payment one cent less', {}, 52.19, ['PAYMENT_AMOUNT']],
    ['payment one cent more', {}, 52.21, ['PAYMENT_AMOUNT']],
    ['both wrong', { amountPaid: 60 }, 52.2, ['AMOUNT_FORMULA', 'PAYMENT_AMOUNT']],
  ])('%s', (_name, orderChange, paid, reasons) => {
    const result = threeWayMatch(
      input((p) => {
        Object.assign(p.order, orderChange);
        if (paid !== undefined) p.payment.amountPaid = paid;
      }),
    );
    expect(result.reasons).toEqual(reasons);
    expect(result.result).toBe(reasons.length === 0 ? 'pass' : 'fail');
  });

  // Duty, VAT and the de minimis tests are computed on the lines, the formula and the payment on the goods value.
  type LinesCase = [string, Partial<OrderPayload['lines'][number]>[], MatchReasonCode[]];
  it.each<LinesCase>([
    [
      'a line worth a tenth of the goods value (400 paid, taxed as 40)',
      [{ lineValue: 4 }],
      ['ORDER_LINES_VALUE'],
    ],
    [
      'lines that add up to one cent less than the goods value',
      [{ lineNo: 1, lineValue: 39.99 }],
      ['ORDER_LINES_VALUE'],
    ],
    [
      'lines that add up to the goods value',
      [
        { lineNo: 1, quantity: 1, unitPrice: 25.5, lineValue: 25.5 },
        { lineNo: 2, quantity: 3, unitPrice: 4.83, lineValue: 14.49 },
        { lineNo: 3, quantity: 1, unitPrice: 0.01, lineValue: 0.01 },
      ],
      [],
    ],
    // A unit price is a rounded figure, held to nothing: three for 10.00, 100 g for 7.99.
    [
      'three for 10.00 at 3.33 each, and 100 g for 7.99 at 0.08 a gram',
      [
        { lineNo: 1, quantity: 3, unitPrice: 3.33, lineValue: 10 },
        { lineNo: 2, quantity: 100, unit: 'GRM', unitPrice: 0.08, lineValue: 7.99 },
        { lineNo: 3, quantity: 1, unitPrice: 22.01, lineValue: 22.01 },
      ],
      [],
    ],
  ])('%s', (_name, lines, reasons) => {
    const result = threeWayMatch(
      input((p) => {
        p.order.lines = lines.map((line) => ({ ...order.lines[0]!, ...line }));
      }),
    );
    expect(result.reasons).toEqual(reasons);
    expect(result.result).toBe(reasons.length === 0 ? 'pass' : 'fail');
  });

  it('reports a currency difference instead of comparing amounts in different currencies', () => {
    expect(
      threeWayMatch(
        input((p) => {
          p.payment.currency = 'USD';
          p.payment.amountPaid = 61.07;
        }),
      ).reasons,
    ).toEqual(['CURRENCY']);
  });
});

describe('three-way match: order numbers and duplicates', () => {
  it.each<[string, (p: Payloads) => void, Partial<MatchInput>, MatchReasonCode[]]>([
    ['payment for another order', (p) => (p.payment.orderNumber = 'PA-2026-000002'), {}, ['ORDER_NUMBER']],
    ['waybill for another order', (p) => (p.logistics.orderNumber = 'PA-2026-000002'), {}, ['ORDER_NUMBER']],
    [
      'order numbers are case-sensitive',
      (p) => (p.logistics.orderNumber = 'pa-2026-000001'),
      {},
      ['ORDER_NUMBER'],
    ],
    [
      'order number reused',
      () => {},
      { orderNumberTakenByOtherConsignment: true },
      ['DUPLICATE_ORDER_NUMBER'],
    ],
    [
      'tracking number reused',
      () => {},
      { trackingNumberTakenByOtherConsignment: true },
      ['DUPLICATE_TRACKING_NUMBER'],
    ],
    [
      'both reused',
      () => {},
      { orderNumberTakenByOtherConsignment: true, trackingNumberTakenByOtherConsignment: true },
      ['DUPLICATE_ORDER_NUMBER', 'DUPLICATE_TRACKING_NUMBER'],
    ],
  ])('%s', (_name, change, extra, reasons) => {
    expect(threeWayMatch(input(change, extra)).reasons).toEqual(reasons);
  });

  it('compares payment and waybill order numbers without an order', () => {
    const base = {
      buyerVerification: 'none' as const,
      orderNumberTakenByOtherConsignment: false,
      trackingNumberTakenByOtherConsignment: false,
    };
    expect(threeWayMatch({ ...base, payment, logistics }).result).toBe('incomplete');
    const l = { ...clone(logistics), orderNumber: 'X-1' };
    expect(threeWayMatch({ ...base, payment, logistics: l })).toEqual({
      complete: false,
      result: 'fail',
      reasons: ['ORDER_NUMBER'],
    });
  });

  it('reports duplicates even when nothing else is known', () => {
    expect(
      threeWayMatch({
        buyerVerification: 'none',
        orderNumberTakenByOtherConsignment: false,
        trackingNumberTakenByOtherConsignment: true,
      }),
    ).toEqual({ complete: false, result: 'fail', reasons: ['DUPLICATE_TRACKING_NUMBER'] });
  });
});

describe('three-way match: consignee', () => {
  it.each<[string, (c: Payloads['logistics']['consignee']) => void, MatchReasonCode[]]>([
    ['name: case and spacing ignored', (c) => (c.name = 'MARIE   curie'), []],
    ['name: tab between words', (c) => (c.name = 'Marie\tCurie'), []],
    ['name: an added accent differs', (c) => (c.name = 'Marie Cu\u0301rie'), ['CONSIGNEE_NAME']],
    ['name: another person', (c) => (c.name = 'Pierre Curie'), ['CONSIGNEE_NAME']],
    ['name: extra word', (c) => (c.name = 'Marie Curie Sklodowska'), ['CONSIGNEE_NAME']],
    ['phone: punctuation ignored', (c) => (c.phone = '+33 (1) 23-45-67-89'), []],
    ['phone: no spaces', (c) => (c.phone = '+33123456789'), []],
    ['phone: last digit differs', (c) => (c.phone = '+33 1 23 45 67 80'), ['CONSIGNEE_PHONE']],
    [
      'phone: 00 instead of + is a different digit string',
      (c) => (c.phone = '0033 1 23 45 67 89'),
      ['CONSIGNEE_PHONE'],
    ],
    ['address: case and spacing ignored', (c) => (c.address.line1 = '1  RUE DE LA PAIX'), []],
    [
      'address: split over two lines',
      (c) => {
        c.address.line1 = '1 Rue de la';
        c.address.line2 = 'Paix';
      },
      [],
    ],
    ['address: postcode with a space', (c) => (c.address.postcode = '75 002'), []],
    ['address: city case', (c) => (c.address.city = 'PARIS'), []],
    ['address: other street number', (c) => (c.address.line1 = '3 Rue de la Paix'), ['CONSIGNEE_ADDRESS']],
    ['address: extra line', (c) => (c.address.line2 = 'Bâtiment B'), ['CONSIGNEE_ADDRESS']],
    ['address: other postcode', (c) => (c.address.postcode = '75001'), ['CONSIGNEE_ADDRESS']],
    ['address: other city', (c) => (c.address.city = 'Lyon'), ['CONSIGNEE_ADDRESS']],
    ['address: other country', (c) => (c.address.country = 'BE'), ['CONSIGNEE_ADDRESS']],
    [
      'all three differ',
      (c) => {
        c.name = 'Someone Else';
        c.phone = '+1 555 0100';
        c.address.city = 'Nice';
      },
      ['CONSIGNEE_NAME', 'CONSIGNEE_PHONE', 'CONSIGNEE_ADDRESS'],
    ],
  ])('%s', (_name, change, reasons) => {
    expect(threeWayMatch(input((p) => change(p.logistics.consignee))).reasons).toEqual(reasons);
  });

  it('normalises NFC-equivalent names alike', () => {
    // 'é' precomposed vs 'e' + combining acute accent.
    expect(normaliseText(' Ren\u00e9e  Dupont ')).toBe(normaliseText('RENE\u0301E Dupont'));
    expect(normalisePhone('+33 (0)6-11')).toBe('330611');
  });
});

describe('three-way match: buyer and payer', () => {
  type Case = [string, MatchInput['buyerVerification'], (p: Payloads) => void, boolean];
  it.each<Case>([
    ['unverified buyer who paid', 'none', () => {}, false],
    [
      'unverified buyer, payer name differs only in case',
      'none',
      (p) => (p.payment.payer.name = 'marie CURIE'),
      false,
    ],
    [
      'unverified buyer, document number spacing',
      'none',
      (p) => (p.payment.payer.document.number = 'x 123-4567'),
      false,
    ],
    ['unverified buyer, someone else paid', 'none', (p) => (p.payment.payer.name = 'Pierre Curie'), true],
    [
      'unverified buyer, other document number',
      'none',
      (p) => (p.payment.payer.document.number = 'X1234568'),
      true,
    ],
    [
      'unverified buyer, other document type',
      'none',
      (p) => (p.payment.payer.document.type = 'passport'),
      true,
    ],
    [
      'unverified buyer, other issuing country',
      'none',
      (p) => (p.payment.payer.document.country = 'BE'),
      true,
    ],
    [
      'basic verification is not identity verification',
      'basic',
      (p) => (p.payment.payer.name = 'Pierre Curie'),
      true,
    ],
    ['verified buyer, someone else paid', 'verified', (p) => (p.payment.payer.name = 'Pierre Curie'), false],
  ])('%s', (_name, level, change, fails) => {
    const result = threeWayMatch(input(change, { buyerVerification: level }));
    expect(result.reasons).toEqual(fails ? ['BUYER_NOT_VERIFIED_OR_PAYER'] : []);
  });

  it('needs the payment to tell', () => {
    const { payment: _payment, ...rest } = input((p) => (p.order.buyer.name = 'Pierre Curie'));
    expect(threeWayMatch(rest).reasons).toEqual([]);
  });
});

describe('three-way match: reasons', () => {
  it('lists every reason once, in a fixed order, as upper-case codes without personal values', () => {
    const result = threeWayMatch(
      input(
        (p) => {
          p.order.amountPaid = 99;
          p.order.lines[0]!.lineValue = 4;
          p.payment.amountPaid = 98;
          p.payment.orderNumber = 'OTHER-1';
          p.payment.payer.name = 'Payer Person';
          p.logistics.consignee.name = 'Other Person';
          p.logistics.consignee.phone = '+1 555 0100';
          p.logistics.consignee.address.city = 'Nice';
        },
        {
          orderNumberTakenByOtherConsignment: true,
          trackingNumberTakenByOtherConsignment: true,
          buyerLimitsExceeded: ['BUYER_ANNUAL_LIMIT', 'BUYER_PURCHASE_LIMIT'],
          declarationMismatches: ['DECLARATION_VALUE', 'DECLARATION_ROUTE', 'DECLARATION_HS_CODES'],
          goodsNotEligible: true,
        },
      ),
    );
    expect(result.result).toBe('fail');
    expect(result.reasons).toEqual(matchReasonCodes.filter((c) => c !== 'CURRENCY'));
    for (const code of result.reasons) expect(ReasonCode.safeParse(code).success).toBe(true);
    const text = JSON.stringify(result);
    for (const personal of ['Marie', 'Curie', 'Payer', 'Other', 'Nice', '555', 'X1234567', '99', '98']) {
      expect(text).not.toContain(personal);
    }
  });
});
