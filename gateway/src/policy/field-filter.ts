import type { Purpose, RecordKind } from '@customs-ledger/chaincode';
import { withoutPointer } from './json-pointer.js';

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

/** The payload without the fields the purpose does not need (the payload itself is left as it is). */
export function filterPersonalData(_kind: RecordKind, purpose: Purpose, payload: unknown): unknown {
  return EXCLUDED[purpose].reduce((filtered, pointer) => withoutPointer(filtered, pointer), payload);
}
