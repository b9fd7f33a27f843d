import { z } from 'zod';

import { HsPrefix, Reference } from './schemas';

/*
 * The goods a destination admits through its cross-border e-commerce retail channel: China's list of
 * cross-border e-commerce retail import goods (its "positive list"), for one. A line whose HS code is
 * under none of the list's prefixes may not come in that way, so the three-way match fails with
 * GOODS_NOT_ELIGIBLE and an officer decides (general trade, a return, a refusal).
 */

export const EligibleGoods = z.strictObject({
  /** The list's public name and edition. */
  reference: Reference,
  hsPrefixes: z.array(HsPrefix).min(1),
});
export type EligibleGoods = z.infer<typeof EligibleGoods>;

/** Whether every line's HS code falls under one of the list's prefixes. */
export function allEligible(list: EligibleGoods, lines: readonly { readonly hsCode: string }[]): boolean {
  return lines.every((line) => list.hsPrefixes.some((prefix) => line.hsCode.startsWith(prefix)));
}
