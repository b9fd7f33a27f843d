import type { Purpose, RecordKind } from '@customs-ledger/chaincode';
import { removePointer } from './json-pointer.js';

/**
 * Data minimisation: each purpose sees only the personal fields it needs. Paths are JSON pointers
 * into a record's payload; a removed path takes its whole subtree. Purposes not listed with an
 * exclusion need the full record (customs risk assessment, clearance, a legal request).
 */
const EXCLUDED: Record<Purpose, readonly string[]> = {
  risk_assessment: [],
  clearance: [],
  legal_request: [],
  revenue_assessment: ['/buyer/document', '/payer/document', '/consignee/phone'],
  delivery: ['/buyer', '/seller', '/payer'],
  return_processing: ['/buyer/document', '/payer/document'],
  dispute_resolution: ['/buyer/document', '/consignee'],
  audit: ['/buyer', '/seller/name', '/payer', '/consignee'],
};

export function excludedPaths(purpose: Purpose): readonly string[] {
  return EXCLUDED[purpose];
}

/** A copy of the payload without the fields the purpose does not need. */
export function filterPersonalData(_kind: RecordKind, purpose: Purpose, payload: unknown): unknown {
  const exclusions = EXCLUDED[purpose];
  if (exclusions.length === 0) return payload;
  const copy = structuredClone(payload);
  for (const pointer of exclusions) removePointer(copy, pointer);
  return copy;
}
