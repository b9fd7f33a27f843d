import { describe, expect, it } from 'vitest';
import { histogramDelta, histogramQuantile } from '../../bench/lib/stats.js';

const histogram = (entries: [number, number][]) => new Map(entries);

describe('histogramQuantile (Prometheus histogram_quantile)', () => {
  it('interpolates linearly inside the bucket that holds the rank', () => {
    // 100 observations: 50 up to 0.01, 40 more up to 0.1, 10 more up to 1.
    const h = histogram([
      [0.01, 50],
      [0.1, 90],
      [1, 100],
      [Infinity, 100],
    ]);
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.01);
    expect(histogramQuantile(h, 0.7)).toBeCloseTo(0.01 + 0.09 * (20 / 40));
    expect(histogramQuantile(h, 0.99)).toBeCloseTo(0.1 + 0.9 * (9 / 10));
    expect(histogramQuantile(h, 0.25)).toBeCloseTo(0.005);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and undefined when empty', () => {
    expect(
      histogramQuantile(
        histogram([
          [0.5, 1],
          [1, 2],
          [Infinity, 10],
        ]),
        0.99,
      ),
    ).toBe(1);
    expect(histogramQuantile(histogram([[Infinity, 0]]), 0.99)).toBeUndefined();
  });

  it('takes what was counted between two scrapes', () => {
    const before = histogram([
      [0.1, 100],
      [1, 100],
      [Infinity, 100],
    ]);
    const after = histogram([
      [0.1, 110],
      [1, 200],
      [Infinity, 200],
    ]);
    const delta = histogramDelta(before, after);
    expect([...delta]).toEqual([
      [0.1, 10],
      [1, 100],
      [Infinity, 100],
    ]);
    expect(histogramQuantile(delta, 0.5)).toBeCloseTo(0.1 + 0.9 * (40 / 90));
  });
});
