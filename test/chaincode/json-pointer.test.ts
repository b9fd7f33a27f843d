import { describe, expect, it } from 'vitest';
import { withoutPointer } from '../../chaincode/src/domain/json-pointer.js';

describe('withoutPointer', () => {
  const history = () => ({
    consignmentId: 'C-1',
    entries: [
      { type: 'created', detail: { joinKeys: { orderNumber: 'O-1', originCountry: 'CN' } } },
      { type: 'decision_hold', detail: { reasonCodes: ['UNDERVALUATION'], statusAfter: 'held' } },
      { type: 'decision_refer', detail: { reasonCodes: ['VALUE_QUERY'] } },
    ],
  });

  it('removes the property in every item a * selects, and leaves the value it was given unchanged', () => {
    const value = history();
    const before = structuredClone(value);
    const filtered = withoutPointer(value, '/entries/*/detail/reasonCodes');
    expect(filtered.entries.map((e) => e.detail)).toEqual([
      { joinKeys: { orderNumber: 'O-1', originCountry: 'CN' } },
      { statusAfter: 'held' },
      {},
    ]);
    expect(value).toEqual(before);
  });

  it('copies only the path to what it removes: the rest is the same objects', () => {
    const value = history();
    const filtered = withoutPointer(value, '/entries/1/detail/reasonCodes');
    expect(filtered).not.toBe(value);
    expect(filtered.entries).not.toBe(value.entries);
    expect(filtered.entries[0]).toBe(value.entries[0]);
    expect(filtered.entries[2]).toBe(value.entries[2]);
    expect(filtered.entries[1]).not.toBe(value.entries[1]);
  });

  it('gives the value itself back when the path is absent', () => {
    const value = history();
    expect(withoutPointer(value, '/entries/*/detail/trackingNumber')).toBe(value);
    expect(withoutPointer(value, '/nothing/here')).toBe(value);
    expect(withoutPointer('a string', '/x')).toBe('a string');
  });

  it('keeps whole the items spare chooses, or the value when the pointer has no *', () => {
    const isReferral = (item: unknown) => (item as { type?: string }).type === 'decision_refer';
    const filtered = withoutPointer(history(), '/entries/*/detail/reasonCodes', isReferral);
    expect(filtered.entries.map((e) => (e.detail as { reasonCodes?: string[] }).reasonCodes)).toEqual([
      undefined,
      undefined,
      ['VALUE_QUERY'],
    ]);
    const event = { decision: 'refer', reasonCodes: ['VALUE_QUERY'] };
    expect(withoutPointer(event, '/reasonCodes', (item) => (item as typeof event).decision === 'refer')).toBe(
      event,
    );
    expect(withoutPointer(event, '/reasonCodes')).toEqual({ decision: 'refer' });
  });
});
