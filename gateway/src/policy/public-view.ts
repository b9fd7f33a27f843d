import type { Principal } from '../auth/principal.js';

interface ConsignmentView {
  consignment?: { joinKeys?: Record<string, unknown> } & Record<string, unknown>;
  decisions?: ({ reasonCodes?: unknown } & Record<string, unknown>)[];
  [key: string]: unknown;
}

/**
 * Role-based filtering of the public consignment view (which holds no personal data, only ids,
 * statuses and commitments): customs' reason codes are for customs alone, and an auditor sees
 * the commitments and provenance but not the commercial join keys (order, tracking, payment ids).
 */
export function publicView(principal: Principal, view: unknown): unknown {
  if (principal.orgRole === 'customs') return view;
  const copy = structuredClone(view) as ConsignmentView;
  for (const decision of copy.decisions ?? []) delete decision.reasonCodes;
  if (principal.orgRole === 'auditor' && copy.consignment?.joinKeys) {
    const { originCountry, destinationCountry } = copy.consignment.joinKeys;
    copy.consignment.joinKeys = { originCountry, destinationCountry };
  }
  return copy;
}
