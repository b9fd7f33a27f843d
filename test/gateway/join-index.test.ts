import { describe, expect, it } from 'vitest';
import { atOrBefore, JoinIndex } from '../../gateway/src/services/join-index.js';

const at = (block: number, seq = 0, sub = 0) => ({ block: BigInt(block), seq, sub });

describe('the join index', () => {
  it('keeps the first position at which each organisation joined a key', () => {
    const index = new JoinIndex();
    index.join('C-1', 'PlatformAMSP', at(3, 1, 7));
    index.join('C-1', 'PostMSP', at(5));
    index.join('C-1', 'PlatformAMSP', at(9));
    expect(index.joinedAt('C-1', 'PlatformAMSP')).toEqual(at(3, 1, 7));
    expect(index.joinedAt('C-1', 'PostMSP')).toEqual(at(5));
    expect(index.joinedAt('C-1', 'PaymentMSP')).toBeUndefined();
    expect(index.joinedAt('C-2', 'PlatformAMSP')).toBeUndefined();
  });

  it('tells MSP ids apart that share a prefix, and keeps block numbers beyond 2^53', () => {
    const index = new JoinIndex();
    index.join('C-1', 'PostMSP2', at(1));
    index.join('C-1', 'PostMSP', at(2));
    expect(index.joinedAt('C-1', 'PostMSP')).toEqual(at(2));
    const far = { block: 2n ** 60n + 1n, seq: 4, sub: 2 };
    index.join('C-3', 'PostMSP', far);
    expect(index.joinedAt('C-3', 'PostMSP')).toEqual(far);
  });

  it('orders positions by block, then transaction, then event within the transaction', () => {
    expect(atOrBefore(at(1, 5, 5), at(2))).toBe(true);
    expect(atOrBefore(at(2, 1, 9), at(2, 2, 0))).toBe(true);
    expect(atOrBefore(at(2, 2, 1), at(2, 2, 0))).toBe(false);
    expect(atOrBefore(at(2, 2, 0), at(2, 2, 0))).toBe(true);
  });
});
