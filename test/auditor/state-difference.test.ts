import { describe, expect, it } from 'vitest';
import { difference } from '../../auditor/src/checks/state.js';

/* How verify-state words two values of one key that differ, the blocks' and the store's. */

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const render = (value: Uint8Array) => Buffer.from(value).toString('utf8');

describe('two values of a key, in words', () => {
  it('names only the members that differ', () => {
    expect(
      difference(bytes({ status: 'held', id: 'A' }), bytes({ status: 'released', id: 'A' }), render),
    ).toEqual(['status "held"', 'status "released"']);
  });

  // Members were compared as printed, cut at 80 characters: a change past the cut read as the same JSON.
  it('names a member that differs only past the length it prints', () => {
    const long = 'x'.repeat(100);
    const [was, is] = difference(bytes({ note: `${long}a` }), bytes({ note: `${long}b` }), render);
    expect(was).toMatch(/^note "x+…$/);
    expect(is).toBe(was);
    expect(is).not.toContain('the same JSON');
  });

  it('says so when the JSON is the same and only the bytes differ', () => {
    expect(difference(bytes('{"a":1,"b":2}'), bytes('{"b":2,"a":1}'), render)).toEqual([
      '{"a":1,"b":2}',
      '{"b":2,"a":1}, the same JSON in other bytes (member order or spelling)',
    ]);
  });
});
