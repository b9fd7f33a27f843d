import type { OrgRole } from './collections';

/**
 * Purposes for which personal data may be read (purpose limitation), and which roles may
 * invoke each. Every read of personal data names one and leaves an access record.
 *
 * Audit: auditors are members of no personal-data collection; they work from roots, proofs
 * and the access log. When the audit of a specific access needs the data itself, the holder
 * (the submitting trader or customs) discloses just the fields in question under purpose 'audit'
 * (its access record names them) and hands the auditor the package, which the auditor verifies
 * against the on-chain root. An access record stands for data handed out, so the auditor, who
 * reads no collection, records none; its verification is in the gateway's audit log.
 */
export const purposes = {
  risk_assessment: ['customs'],
  revenue_assessment: ['customs'],
  clearance: ['customs'],
  legal_request: ['customs'],
  delivery: ['post', 'express'],
  // The payment provider refunds what a returned purchase cost: it reads its own payment for that.
  return_processing: ['platform', 'payment', 'post', 'express'],
  // Chargebacks are disputes too, handled by the payment provider.
  dispute_resolution: ['platform', 'payment'],
  audit: ['auditor', 'customs', 'platform', 'payment', 'post', 'express'],
  // A data subject's erasure request: the platform, the order's holder, shows another holder of
  // the consignment's records which party the order names (a disclosure of /buyer/id or /seller/id,
  // the erasure's orderProof), so that the other holder can erase the party's data too.
  data_subject_request: ['platform'],
} as const satisfies Record<string, readonly OrgRole[]>;

export type Purpose = keyof typeof purposes;

export const purposeNames = Object.keys(purposes) as Purpose[];

export function isPurpose(value: string): value is Purpose {
  return Object.prototype.hasOwnProperty.call(purposes, value);
}

export function purposeAllowed(purpose: Purpose, role: OrgRole): boolean {
  return (purposes[purpose] as readonly OrgRole[]).includes(role);
}

export function purposesForRole(role: OrgRole): Purpose[] {
  return purposeNames.filter((p) => purposeAllowed(p, role));
}

export function assertPurpose(
  purpose: string,
  caller: { readonly mspId: string; readonly role: OrgRole },
): Purpose {
  if (!isPurpose(purpose)) {
    throw new Error(`unknown purpose '${purpose}'; known purposes: ${purposeNames.join(', ')}`);
  }
  if (!purposeAllowed(purpose, caller.role)) {
    throw new Error(
      `purpose '${purpose}' is not allowed for ${caller.mspId} (role ${caller.role}); allowed purposes: ${
        purposesForRole(caller.role).join(', ') || 'none'
      }`,
    );
  }
  return purpose;
}
