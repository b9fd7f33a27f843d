import { describe, expect, it } from 'vitest';
import { ReferralAnswer } from '../../chaincode/src/domain/customs.js';

import {
  ConsignmentId,
  CountryCode,
  Decision,
  JoinKeys,
  MAX_GROSS_WEIGHT_KG,
  MAX_MONEY,
  MAX_PACKAGES,
  MAX_QUANTITY,
  Money,
  Movement,
  PartyId,
  parseJsonWith,
  parsePayload,
  type PayloadKind,
} from '../../chaincode/src/domain/schemas.js';

const SELLER = 'a'.repeat(64);
const BUYER = '0123456789abcdef'.repeat(4);
const address = { line1: '1 Rue de la Paix', city: 'Paris', postcode: '75002', country: 'FR' };
const consignee = { name: 'Marie Curie', phone: '+33 1 23 45 67 89', address };
const document = { type: 'national_id', number: 'X1234567', country: 'FR' };

const valid: Record<PayloadKind, Record<string, unknown>> = {
  order: {
    orderNumber: 'PA-2024-000001',
    platformId: 'platform-a',
    seller: { id: SELLER, name: 'Shenzhen Tees Ltd' },
    buyer: { id: BUYER, name: 'Marie Curie', document },
    consignee,
    goodsValue: 40,
    freight: 5.5,
    insurance: 0,
    discount: 2,
    taxCollected: 8.7,
    amountPaid: 52.2,
    currency: 'EUR',
    orderedAt: '2026-03-01T10:15:00Z',
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
        productUrl: 'https://platform-a.example.com/p/1',
      },
    ],
  },
  payment: {
    paymentTransactionId: 'PAY-778899',
    orderNumber: 'PA-2024-000001',
    payer: { name: 'Marie Curie', document },
    amountPaid: 52.2,
    currency: 'EUR',
    paidAt: '2026-03-01T10:16:00+01:00',
  },
  logistics: {
    trackingNumber: 'RR123456785CN',
    orderNumber: 'PA-2024-000001',
    consignee,
    grossWeightKg: 0.45,
    packages: 1,
    freight: 5.5,
    insurance: 0,
    goodsDescription: 'Cotton T-shirts',
  },
  declaration: {
    declarant: 'Platform A Marketplace',
    mode: 'direct',
    transportMode: 'air',
    originCountry: 'CN',
    destinationCountry: 'FR',
    lines: [{ hsCode: '610910', description: 'Cotton T-shirt', value: 40, currency: 'EUR' }],
    vatCollectionNumber: 'IM2500000001',
  },
  party: { name: 'Marie Curie', document, address },
  flag: { watchlisted: true, reasonCode: 'REPEAT_UNDERVALUATION' },
  refund: {
    refundTransactionId: 'RF-2026-0001',
    amount: 20,
    currency: 'EUR',
    refundedAt: '2026-03-20T09:00:00Z',
  },
};

// Mutators poke arbitrary nested fields of deliberately invalid payloads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('private payload schemas', () => {
  it.each(Object.keys(valid) as PayloadKind[])('accepts a valid %s payload from bytes or text', (kind) => {
    expect(parsePayload(kind, json(valid[kind]))).toEqual(valid[kind]);
    expect(parsePayload(kind, JSON.stringify(valid[kind]))).toEqual(valid[kind]);
  });

  type Case = [PayloadKind, string, (p: Loose) => void, string];
  it.each<Case>([
    [
      'order',
      'country code',
      (p) => (p.consignee.address.country = 'France'),
      '/consignee/address/country: must be an ISO 3166-1 alpha-2 code',
    ],
    ['order', 'unknown field', (p) => (p.consignee.email = 'x@y.z'), '/consignee/email: unknown field'],
    ['order', 'unknown top-level field', (p) => (p.extra = 1), '/extra: unknown field'],
    [
      'order',
      'short HS code',
      (p) => (p.lines[0].hsCode = '6109'),
      '/lines/0/hsCode: must be 6 to 10 digits',
    ],
    ['order', 'no lines', (p) => (p.lines = []), '/lines:'],
    ['order', '3-decimal money', (p) => (p.goodsValue = 40.005), '/goodsValue: must have at most 2 decimals'],
    ['order', 'negative money', (p) => (p.freight = -1), '/freight:'],
    ['order', 'money as string', (p) => (p.freight = '5.50'), '/freight:'],
    [
      'order',
      'bad seller id',
      (p) => (p.seller.id = 'ABC'),
      '/seller/id: must be 64 lowercase hex characters',
    ],
    ['order', 'bad currency', (p) => (p.currency = 'euro'), '/currency: must be an ISO 4217 currency code'],
    ['order', 'date without zone', (p) => (p.orderedAt = '2026-03-01 10:15'), '/orderedAt:'],
    ['order', 'missing buyer document', (p) => delete p.buyer.document, '/buyer/document:'],
    ['order', 'blank name', (p) => (p.consignee.name = '  '), '/consignee/name:'],
    [
      'order',
      'padded name',
      (p) => (p.consignee.name = ' Marie'),
      '/consignee/name: must not be blank or start or end with whitespace',
    ],
    ['order', 'non-http URL', (p) => (p.lines[0].productUrl = 'javascript:alert(1)'), '/lines/0/productUrl:'],
    [
      'payment',
      'bad document type',
      (p) => (p.payer.document.type = 'library_card'),
      '/payer/document/type:',
    ],
    [
      'order',
      'money over the bound',
      (p) => (p.goodsValue = MAX_MONEY + 0.01),
      '/goodsValue: must be at most',
    ],
    [
      'order',
      'quantity over the bound',
      (p) => (p.lines[0].quantity = MAX_QUANTITY + 1),
      '/lines/0/quantity:',
    ],
    ['logistics', 'zero weight', (p) => (p.grossWeightKg = 0), '/grossWeightKg:'],
    [
      'logistics',
      'weight over the bound',
      (p) => (p.grossWeightKg = MAX_GROSS_WEIGHT_KG + 0.1),
      '/grossWeightKg:',
    ],
    ['logistics', 'packages over the bound', (p) => (p.packages = MAX_PACKAGES + 1), '/packages:'],
    ['logistics', 'fractional packages', (p) => (p.packages = 1.5), '/packages:'],
    ['declaration', 'unknown mode', (p) => (p.mode = 'smuggled'), '/mode:'],
    ['declaration', 'line currency', (p) => (p.lines[0].currency = 'E'), '/lines/0/currency:'],
    ['party', 'address field', (p) => (p.address.zip = '1'), '/address/zip: unknown field'],
    ['flag', 'lower-case code', (p) => (p.reasonCode = 'bad'), '/reasonCode: must be an upper-case code'],
    // A refund of nothing would use up the return's one refund step.
    ['refund', 'zero amount', (p) => (p.amount = 0), '/amount: must be more than 0'],
  ])('%s payload: %s', (kind, _name, change, message) => {
    const p = clone(valid[kind]);
    change(p);
    expect(() => parsePayload(kind, json(p))).toThrow(`invalid ${kind} payload: ${message}`);
  });

  it('reports several issues at once', () => {
    const p = clone(valid.order) as Loose;
    p.currency = 'eur';
    p.lines[0].hsCode = 'x';
    expect(() => parsePayload('order', json(p))).toThrow(/\/currency: .*; \/lines\/0\/hsCode: /);
  });

  it('refuses non-JSON input and non-object payloads', () => {
    expect(() => parsePayload('order', '{oops')).toThrow(/^invalid order payload: not JSON/);
    expect(() => parsePayload('order', '[]')).toThrow(/^invalid order payload: \/: /);
    expect(() => parsePayload('party', Buffer.from([0xff, 0xfe]))).toThrow(
      /^invalid party payload: not JSON/,
    );
  });
});

describe('country codes', () => {
  it.each(['FR', 'CN', 'GB', 'MF', 'AX', 'MC', 'XK'])(
    'takes %s, an assigned code (or Kosovo, as customs use it)',
    (code) => {
      expect(CountryCode.safeParse(code).success).toBe(true);
    },
  );

  it.each(['ZZ', 'XX', 'EU', 'QQ', 'UK', 'fr', 'FRA', ''])('refuses %s', (code) => {
    expect(CountryCode.safeParse(code).success).toBe(false);
  });

  it('says which kind of code it wants', () => {
    expect(() =>
      parseJsonWith(JoinKeys, 'joinKeys', '{"originCountry":"CN","destinationCountry":"ZZ"}'),
    ).toThrow('invalid joinKeys: /destinationCountry: is not an assigned ISO 3166-1 alpha-2 country code');
  });
});

describe('free text', () => {
  const description = (value: string) => {
    const p = clone(valid.order) as Loose;
    p.lines[0].description = value;
    return () => parsePayload('order', json(p));
  };

  it('refuses a description that would show in a console as other text than it is', () =>
    expect(description('Shirt\u202Eevil\u0000 end')).toThrow(
      'invalid order payload: /lines/0/description: must not contain U+202E: control and bidirectional formatting characters are refused',
    ));

  it.each([
    ['NUL', '\u0000'],
    ['bell', '\u0007'],
    ['tab', '\t'],
    ['line feed', '\n'],
    ['carriage return', '\r'],
    ['escape', '\u001B'],
    ['delete', '\u007F'],
    ['next line (C1)', '\u0085'],
    ['last C1', '\u009F'],
    ['left-to-right embedding', '\u202A'],
    ['right-to-left override', '\u202E'],
    ['left-to-right isolate', '\u2066'],
    ['pop directional isolate', '\u2069'],
  ])('refuses %s in one line of text', (_name, c) =>
    expect(description(`Cotton${c}shirt`)).toThrow(
      `must not contain U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
    ),
  );

  it.each([
    'Café crème – “naïve” T-shirt',
    'חולצה\u200F כותנה', // a right-to-left mark stays: right-to-left text needs it
    '棉质T恤 💥',
    'No\u00A0break',
  ])('accepts %j', (value) => expect(description(value)).not.toThrow());

  it.each([
    ['tab and line feed', 'Invoice attached.\n\tLine 1: 40 EUR', true],
    ['carriage return', 'Invoice attached.\r\nThanks', false],
    ['NUL', 'Invoice\u0000attached', false],
    ['right-to-left override', 'Invoice \u202Eattached', false],
  ])('a referral answer with %s: %s', (_name, message, ok) =>
    expect(ReferralAnswer.safeParse({ message }).success).toBe(ok),
  );
});

describe('money', () => {
  it.each([0, 1, 19.99, 0.1, 1234567.89, 0.07, MAX_MONEY, MAX_MONEY - 0.01])('accepts %s', (n) =>
    expect(Money.safeParse(n).success).toBe(true),
  );
  it.each([-0.01, 0.001, 1.005, Number.NaN, Number.POSITIVE_INFINITY, MAX_MONEY + 0.01, 1e300])(
    'refuses %s',
    (n) => expect(Money.safeParse(n).success).toBe(false),
  );
});

describe('bounded quantities', () => {
  it.each<[PayloadKind, (p: Loose) => void]>([
    ['order', (p) => (p.lines[0].quantity = MAX_QUANTITY)],
    ['logistics', (p) => (p.grossWeightKg = MAX_GROSS_WEIGHT_KG)],
    ['logistics', (p) => (p.packages = MAX_PACKAGES)],
    ['refund', (p) => (p.amount = MAX_MONEY)],
    ['refund', (p) => (p.amount = 0.01)],
  ])('%s payload at the bound is accepted', (kind, change) => {
    const p = clone(valid[kind]);
    change(p);
    expect(() => parsePayload(kind, json(p))).not.toThrow();
  });
});

describe('public argument schemas', () => {
  it.each([
    ['C1', true],
    ['PA-2024.000_1', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['-C1', false],
    ['', false],
    ['C 1', false],
    ['C\u00001', false],
  ])('consignment id %j: %s', (id, ok) => expect(ConsignmentId.safeParse(id).success).toBe(ok));

  it.each([
    [SELLER, true],
    ['A'.repeat(64), false],
    ['a'.repeat(63), false],
  ])('party id %j: %s', (id, ok) => expect(PartyId.safeParse(id).success).toBe(ok));

  it('parses movements with a UN/LOCODE', () => {
    expect(parseJsonWith(Movement, 'movement', '{"type":"arrived","location":"FRCDG"}')).toEqual({
      type: 'arrived',
      location: 'FRCDG',
    });
    expect(() => parseJsonWith(Movement, 'movement', '{"type":"arrived","location":"Paris"}')).toThrow(
      'invalid movement: /location: must be a 5-character UN/LOCODE',
    );
    expect(() => parseJsonWith(Movement, 'movement', '{"type":"teleported","location":"FRCDG"}')).toThrow(
      /^invalid movement: \/type: /,
    );
  });

  it('parses decisions and join keys', () => {
    expect(
      parseJsonWith(Decision, 'decision', '{"decision":"hold","reasonCodes":["UNDERVALUATION"]}'),
    ).toEqual({
      decision: 'hold',
      reasonCodes: ['UNDERVALUATION'],
    });
    expect(() => parseJsonWith(Decision, 'decision', '{"decision":"dispatched","reasonCodes":[]}')).toThrow(
      /\/decision: /,
    );
    expect(
      parseJsonWith(
        JoinKeys,
        'joinKeys',
        '{"orderNumber":"O-1","originCountry":"CN","destinationCountry":"FR"}',
      ),
    ).toEqual({ orderNumber: 'O-1', originCountry: 'CN', destinationCountry: 'FR' });
    expect(() => parseJsonWith(JoinKeys, 'joinKeys', '{"originCountry":"CN"}')).toThrow(
      /^invalid joinKeys: \/destinationCountry: /,
    );
  });
});
