import { describe, expect, it } from 'vitest';
import { checkDeclaration, type DeclarationCheck } from '../../chaincode/src/domain/declaration-check.js';
import type { RateTable } from '../../chaincode/src/domain/revenue.js';
import type { DeclarationPayload, OrderPayload } from '../../chaincode/src/domain/schemas.js';
import { declarationPayload, orderPayload } from '../support/payloads.js';

// The order: one line of T-shirts (HS 610910) at 40 EUR, a discount of 2 EUR.
const order = orderPayload('ORD-1') as OrderPayload;
const route = { originCountry: 'CN', destinationCountry: 'FR' };
// 1 CNY = 0.125 EUR, from before the order's date.
const rates: RateTable = { base: 'EUR', rates: [{ currency: 'CNY', rate: 0.125, validFrom: '2026-01-01' }] };

type Line = DeclarationPayload['lines'][number];
const line = (hsCode: string, value: number, currency = 'EUR'): Line => ({
  hsCode,
  description: 'Cotton T-shirts',
  value,
  currency,
});
const declaring = (lines: Line[], change: Partial<DeclarationPayload> = {}): DeclarationPayload => ({
  ...(declarationPayload() as DeclarationPayload),
  lines,
  ...change,
});

// Two lines under subheadings of different duty rates: T-shirts 40 EUR, a handbag 60 EUR; discount 2 EUR.
const twoLines: OrderPayload = {
  ...order,
  goodsValue: 100,
  lines: [
    order.lines[0]!,
    {
      ...order.lines[0]!,
      lineNo: 2,
      hsCode: '420222',
      description: 'Handbag',
      quantity: 1,
      unitPrice: 60,
      lineValue: 60,
    },
  ],
};

describe('checkDeclaration: the declaration says what the order says', () => {
  it.each<[string, OrderPayload, DeclarationPayload, DeclarationCheck]>([
    ['the order’s values', order, declaring([line('610910', 40)]), { reasons: [] }],
    ['less the whole discount (the price actually paid)', order, declaring([line('610910', 38)]), { reasons: [] }],
    ['a cent under that', order, declaring([line('610910', 37.99)]), { reasons: ['DECLARATION_VALUE'] }],
    ['a cent over the order', order, declaring([line('610910', 40.01)]), { reasons: ['DECLARATION_VALUE'] }],
    ['half the price', order, declaring([line('610910', 20)]), { reasons: ['DECLARATION_VALUE'] }],
    ['a 10-digit code in the same subheading', order, declaring([line('6109100010', 40)]), { reasons: [] }],
    ['split within a subheading', order, declaring([line('610910', 25), line('6109100090', 15)]), { reasons: [] }],
    ['T-shirts declared as toys', order, declaring([line('950300', 40)]), { reasons: ['DECLARATION_HS_CODES'] }],
    [
      'toys and the T-shirts’ value under-declared',
      order,
      declaring([line('950300', 10)]),
      { reasons: ['DECLARATION_HS_CODES', 'DECLARATION_VALUE'] },
    ],
    [
      'value moved to the subheading with the lower rate',
      twoLines,
      declaring([line('610910', 20), line('420222', 80)]),
      { reasons: ['DECLARATION_VALUE'] },
    ],
    [
      'the discount taken off one subheading',
      twoLines,
      declaring([line('610910', 38), line('420222', 60)]),
      { reasons: [] },
    ],
    [
      'the discount taken off both, twice over',
      twoLines,
      declaring([line('610910', 38), line('420222', 58)]),
      { reasons: ['DECLARATION_VALUE'] },
    ],
    [
      'both lines under one subheading',
      twoLines,
      declaring([line('610910', 100)]),
      { reasons: ['DECLARATION_HS_CODES'] },
    ],
    ['another destination', order, declaring([line('610910', 40)], { destinationCountry: 'DE' }), { reasons: ['DECLARATION_ROUTE'] }],
    ['another origin', order, declaring([line('610910', 40)], { originCountry: 'HK' }), { reasons: ['DECLARATION_ROUTE'] }],
    // 320 CNY is 40 EUR; 1 % either way is another day's rate.
    ['in another currency, converted', order, declaring([line('610910', 320, 'CNY')]), { reasons: [] }],
    ['converted, within 1 %', order, declaring([line('610910', 323.2, 'CNY')]), { reasons: [] }],
    ['converted, past 1 %', order, declaring([line('610910', 323.3, 'CNY')]), { reasons: ['DECLARATION_VALUE'] }],
    [
      'in a currency without a rate: not compared, and said so',
      order,
      declaring([line('610910', 1, 'USD')]),
      {
        reasons: [],
        notCompared: "declared values not compared with the order's: no USD rate against EUR valid on 2026-11-20",
      },
    ],
    [
      'without a rate, the subheadings are still compared',
      order,
      declaring([line('950300', 1, 'USD')]),
      {
        reasons: ['DECLARATION_HS_CODES'],
        notCompared: "declared values not compared with the order's: no USD rate against EUR valid on 2026-11-20",
      },
    ],
  ])('%s', (_name, ordered, declaration, expected) => {
    expect(checkDeclaration({ order: ordered, declaration, route, rates })).toEqual(expected);
  }); // prettier-ignore
});
