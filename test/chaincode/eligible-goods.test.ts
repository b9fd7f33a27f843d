import { describe, expect, it } from 'vitest';
import { CN_TARIFF } from '../../chaincode/src/domain/customs-config.js';
import { allEligible, EligibleGoods } from '../../chaincode/src/domain/eligible-goods.js';
import { TariffConfig } from '../../chaincode/src/domain/revenue.js';

const list: EligibleGoods = { reference: 'CBEC-2022', hsPrefixes: ['3304', '61', '8518300000'] };
const lines = (...codes: string[]) => codes.map((hsCode) => ({ hsCode }));

describe('goods eligible for a cross-border retail channel', () => {
  it.each<[string, string[], boolean]>([
    ['a subheading under a listed heading', ['330499'], true],
    ['a national line under a listed chapter', ['6109100010'], true],
    ['the listed tariff line itself', ['8518300000'], true],
    ['every line listed', ['330499', '610910'], true],
    ['one line under a heading the list does not name', ['330499', '420500'], false],
    ['a subheading above a listed tariff line: not shown to be that line', ['851830'], false],
    ['another line of the same subheading', ['8518300090'], false],
    ['no line', [], true],
  ])('%s', (_name, codes, expected) => {
    expect(allEligible(list, lines(...codes))).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['an empty list', { reference: 'CBEC-2022', hsPrefixes: [] }, 'hsPrefixes'],
    ['a one-digit prefix', { reference: 'CBEC-2022', hsPrefixes: ['3'] }, 'hsPrefixes'],
    ['no reference', { hsPrefixes: ['33'] }, 'reference'],
    ['another property', { ...list, since: '2022-03-01' }, 'since'],
  ])('refuses %s', (_name, value, where) => {
    const parsed = EligibleGoods.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(where);
  });

  it('is part of a tariff, where the demo’s Chinese one names the headings of the demo’s goods', () => {
    expect(TariffConfig.safeParse(CN_TARIFF).error).toBeUndefined();
    expect(
      TariffConfig.safeParse({ ...CN_TARIFF, eligibleGoods: { reference: 'x', hsPrefixes: [] } }).success,
    ).toBe(false);
    expect(CN_TARIFF.eligibleGoods?.hsPrefixes).toContain('6109');
  });
});
