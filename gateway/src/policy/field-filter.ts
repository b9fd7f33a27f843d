import { withoutPointer, type Purpose, type RecordKind } from '@customs-ledger/chaincode';

/** What personal data is read: one of a consignment's records, or a platform's registration of a party. */
export type PersonalRecord = RecordKind | 'party';

/**
 * Data minimisation: each purpose sees only the personal fields it needs. Paths are JSON pointers
 * into a payload; a removed path takes its whole subtree. Purposes not listed with an exclusion
 * need the full record (customs risk assessment, clearance, a legal request). A registration holds
 * the person alone (name, document, address), so its exclusions are the consignment records' for
 * the buyer's and the consignee's fields, kept side by side so that a purpose is judged in one place.
 */
const EXCLUDED: Record<Purpose, { readonly records: readonly string[]; readonly party: readonly string[] }> =
  {
    risk_assessment: { records: [], party: [] },
    clearance: { records: [], party: [] },
    legal_request: { records: [], party: [] },
    revenue_assessment: {
      records: ['/buyer/document', '/payer/document', '/consignee/phone'],
      party: ['/document'],
    },
    delivery: { records: ['/buyer', '/seller', '/payer'], party: ['/name', '/document', '/address'] },
    return_processing: { records: ['/buyer/document', '/payer/document'], party: ['/document'] },
    dispute_resolution: { records: ['/buyer/document', '/consignee'], party: ['/document', '/address'] },
    audit: {
      records: ['/buyer', '/seller/name', '/payer', '/consignee'],
      party: ['/name', '/document', '/address'],
    },
  };

/** The payload without the fields the purpose does not need (the payload itself is left as it is). */
export function filterPersonalData(record: PersonalRecord, purpose: Purpose, payload: unknown): unknown {
  const excluded = record === 'party' ? EXCLUDED[purpose].party : EXCLUDED[purpose].records;
  return excluded.reduce((filtered, pointer) => withoutPointer(filtered, pointer), payload);
}
