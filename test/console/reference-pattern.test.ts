/**
 * The console checks a reference as the chaincode does (Reference) before it asks to record a
 * status: the same strings pass and fail, the edge cases of each rule included.
 */
import { describe, expect, it } from 'vitest';
import { Reference } from '@customs-ledger/chaincode';
import { REFERENCE } from '../../console/src/aeo.js';

const SAMPLES = [
  'AEO-CN-0001',
  'AEOF-FR/2026:1.a b',
  'a',
  'A'.repeat(64),
  'A'.repeat(65),
  '',
  ' AEO',
  '-AEO',
  '.AEO',
  'AEO\n1',
  'AEO_1',
  'AEO#1',
  'AEO–1',
  'ÄEO-1',
  'AEO-1\u202e',
];

describe('the console’s reference pattern', () => {
  it.each(SAMPLES)('agrees with the chaincode’s Reference on %j', (sample) => {
    expect(REFERENCE.test(sample)).toBe(Reference.safeParse(sample).success);
  });

  it('passes some and fails some of the samples, so that the agreement says something', () => {
    const passing = SAMPLES.filter((s) => REFERENCE.test(s));
    expect(passing.length).toBeGreaterThan(2);
    expect(passing.length).toBeLessThan(SAMPLES.length - 2);
  });
});
