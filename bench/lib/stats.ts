/** The p-th percentile (nearest rank) of a sample; 0 for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY);
    variance += (p.x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** A Prometheus histogram: cumulative counts by upper bound (`le`), +Inf included. */
export type Histogram = ReadonlyMap<number, number>;

/** What a histogram counted between two scrapes of it. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  return new Map([...after].map(([le, count]) => [le, count - (before.get(le) ?? 0)]));
}

/**
 * The q-quantile (0…1) of a histogram, as Prometheus' histogram_quantile estimates it: linear
 * within the bucket that holds it, the highest finite bound if that bucket is +Inf; undefined when
 * nothing was counted.
 */
export function histogramQuantile(histogram: Histogram, q: number): number | undefined {
  const buckets = [...histogram].sort(([a], [b]) => a - b);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return count === below ? le : lower + ((le - lower) * (rank - below)) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}
