import { withoutPointer } from './json-pointer';
import { underPath } from './merkle';
import type { Purpose } from './purposes';
import type { RecordKind } from './schemas';

/** What personal data is read: one of a consignment's records, or a platform's registration of a party. */
export type PersonalRecord = RecordKind | 'party';

/**
 * Data minimisation: each purpose sees only the personal fields it needs. Paths are JSON pointers
 * into a payload; an excluded path takes its whole subtree. Purposes not listed with an exclusion
 * need the full record (customs risk assessment, clearance, a legal request). A registration holds
 * the person alone (name, document, address), so its exclusions are the consignment records' for
 * the buyer's and the consignee's fields, kept side by side so that a purpose is judged in one place.
 * The chaincode applies the rule to every read and disclosure, so that no caller, the gateway or an
 * application with a member's identity, is handed more than its stated purpose needs.
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
    // Which party an order names, to another holder of its records: the parties' ids, nothing else.
    data_subject_request: {
      records: ['/buyer/name', '/buyer/document', '/seller/name', '/payer', '/consignee'],
      party: ['/name', '/document', '/address'],
    },
  };

/** The JSON pointers of the fields the purpose may not see in such a record. */
export function excludedFields(record: PersonalRecord, purpose: Purpose): readonly string[] {
  return record === 'party' ? EXCLUDED[purpose].party : EXCLUDED[purpose].records;
}

/** The payload without the fields the purpose does not need (the payload itself is left as it is). */
export function minimisedPayload(record: PersonalRecord, purpose: Purpose, payload: unknown): unknown {
  return excludedFields(record, purpose).reduce(
    (filtered, pointer) => withoutPointer(filtered, pointer),
    payload,
  );
}

/**
 * Refuses a disclosure of any path the purpose may not see: an excluded field, a field under an
 * excluded object, or an object that holds an excluded field (its disclosure would reveal that
 * field). Judged on the paths alone, so whether a record happens to hold the field changes nothing.
 */
export function assertDisclosable(record: PersonalRecord, purpose: Purpose, paths: readonly string[]): void {
  for (const path of paths) {
    const excluded = excludedFields(record, purpose).find(
      (pointer) => underPath(path, pointer) || underPath(pointer, path),
    );
    if (excluded === undefined) continue;
    const why =
      excluded === path
        ? `${purpose} does not need it`
        : `it ${underPath(path, excluded) ? 'is under' : 'holds'} ${excluded}, which ${purpose} does not need`;
    throw new Error(
      `path '${path}' may not be disclosed for purpose '${purpose}' (data minimisation): ${why}`,
    );
  }
}
