import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import {
  assertDisclosable,
  excludedFields,
  minimisedPayload,
} from '../../chaincode/src/domain/minimisation.js';
import { purposeNames, purposes } from '../../chaincode/src/domain/purposes.js';
import { orderPayload, BUYER_ID, SELLER_ID } from '../support/payloads.js';

const registration = {
  name: 'Jane Doe',
  document: { type: 'passport', number: 'X1', country: 'FR' },
  address: { line1: '1 rue', city: 'Paris', country: 'FR' },
};

describe('minimisedPayload', () => {
  it('gives the purposes that need the whole record all of it, the very payload', () => {
    const order = orderPayload('ORD-1');
    for (const purpose of ['risk_assessment', 'clearance', 'legal_request'] as const) {
      expect(excludedFields('order', purpose)).toEqual([]);
      expect(minimisedPayload('order', purpose, order)).toBe(order);
    }
  });

  it('removes each excluded subtree and leaves the payload it was given unchanged', () => {
    const order = orderPayload('ORD-1');
    const before = structuredClone(order);
    const audit = minimisedPayload('order', 'audit', order) as Record<string, unknown>;
    expect(audit).not.toHaveProperty('buyer');
    expect(audit).not.toHaveProperty('consignee');
    expect(audit.seller).toEqual({ id: SELLER_ID });
    expect(audit.goodsValue).toBe(40);
    expect(order).toEqual(before);
  });

  it('for a data subject’s request, keeps the parties’ ids and no other personal field', () => {
    const filtered = minimisedPayload('order', 'data_subject_request', orderPayload('ORD-1'));
    expect(filtered).toMatchObject({ buyer: { id: BUYER_ID }, seller: { id: SELLER_ID } });
    expect(filtered).not.toHaveProperty('consignee');
    expect((filtered as { buyer: object }).buyer).toEqual({ id: BUYER_ID });
    expect(minimisedPayload('party', 'data_subject_request', registration)).toEqual({});
  });

  it('judges a registration by its own fields', () => {
    expect(minimisedPayload('party', 'revenue_assessment', registration)).toEqual({
      name: 'Jane Doe',
      address: registration.address,
    });
    expect(minimisedPayload('party', 'delivery', registration)).toEqual({});
  });
});

describe('assertDisclosable', () => {
  it('lets a purpose disclose what it may see', () => {
    expect(() => assertDisclosable('order', 'audit', ['/goodsValue', '/seller/id', '/lines'])).not.toThrow();
    expect(() =>
      assertDisclosable('order', 'data_subject_request', ['/buyer/id', '/seller/id']),
    ).not.toThrow();
    for (const purpose of purposeNames.filter((p) => excludedFields('order', p).length === 0)) {
      expect(() => assertDisclosable('order', purpose, ['/buyer'])).not.toThrow();
    }
  });

  it('refuses an excluded field, a field under an excluded object, and an object holding one, naming path and purpose', () => {
    expect(() => assertDisclosable('order', 'audit', ['/goodsValue', '/buyer'])).toThrow(
      "path '/buyer' may not be disclosed for purpose 'audit' (data minimisation): audit does not need it",
    );
    expect(() => assertDisclosable('order', 'audit', ['/buyer/name'])).toThrow(
      "path '/buyer/name' may not be disclosed for purpose 'audit' (data minimisation): it is under /buyer, which audit does not need",
    );
    expect(() => assertDisclosable('order', 'dispute_resolution', ['/buyer'])).toThrow(
      "path '/buyer' may not be disclosed for purpose 'dispute_resolution' (data minimisation): it holds /buyer/document, which dispute_resolution does not need",
    );
    expect(() => assertDisclosable('order', 'data_subject_request', ['/buyer/id', '/buyer/name'])).toThrow(
      /^path '\/buyer\/name' may not be disclosed for purpose 'data_subject_request'/,
    );
  });

  it('does not mistake a field sharing a name’s prefix for one under it', () => {
    expect(() => assertDisclosable('order', 'revenue_assessment', ['/consignee/phoneCountry'])).not.toThrow();
  });
});

describe("README's purposes table", () => {
  /** Its rows: purpose, roles, consignment records' exclusions, registrations' exclusions. */
  const rows = (): string[][] => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');
    const header = readme.findIndex((line) => /^\| purpose +\| roles +\|/.test(line));
    expect(header).toBeGreaterThan(0);
    const body = readme.slice(header + 2);
    return body
      .slice(
        0,
        body.findIndex((line) => !line.startsWith('|')),
      )
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
  };
  const list = (cell: string): string[] =>
    cell === '—' ? [] : cell.split(/, /).map((c) => c.replaceAll('`', ''));

  it('says what the rule does: every purpose, its roles and what it does not see', () => {
    const table = rows();
    expect(table.map(([purpose]) => purpose!.replaceAll('`', ''))).toEqual(purposeNames);
    for (const [purpose, roles, records, party] of table) {
      const name = purpose!.replaceAll('`', '') as (typeof purposeNames)[number];
      expect(list(roles!), name).toEqual(purposes[name]);
      expect(list(records!), name).toEqual(excludedFields('order', name));
      expect(list(party!), name).toEqual(excludedFields('party', name));
    }
  });
});
