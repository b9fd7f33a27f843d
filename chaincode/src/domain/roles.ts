import { ORG_ROLES, type OrgRole } from './collections';

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

/** Customs and auditors oversee every organisation's records; the others see their own part. */
export function seesEveryOrganisation(role: OrgRole): boolean {
  return role === 'customs' || role === 'auditor';
}

/**
 * Which organisation role may attempt which action. The chaincode checks finer conditions
 * afterwards (e.g. that a carrier is the consignment's own carrier); this table is the first gate.
 */
export const permissions = {
  createConsignment: ['platform', 'post', 'express'],
  submitOrder: ['platform'],
  // A platform may take the payment itself (marketplace-collected payments).
  submitPayment: ['payment', 'platform'],
  submitLogistics: ['post', 'express'],
  recordMovement: ['post', 'express'],
  submitDeclaration: ['platform', 'post', 'express'],
  // Returns: each step by the role that owns it; participation is checked separately.
  requestReturn: ['platform'],
  shipReturn: ['post', 'express'],
  scanReturn: ['post', 'express'],
  refundReturn: ['payment', 'platform'],
  decideReturn: ['customs'],
  registerParty: ['platform'],
  // The controller of a private record (its submitter) erases it; customs holds copies, not control.
  erasePersonalData: ['platform', 'payment', 'post', 'express'],
  // AEO status: a seller's (trusted trader), a platform's or carrier's (trusted operator).
  setTrustedTrader: ['customs'],
  readTrustedTraders: ['customs'],
  setTrustedOperator: ['customs'],
  readTrustedOperators: ['customs'],
  flagParty: ['customs'],
  recordDecision: ['customs'],
  // Rule sets, tariffs, assessments and their reasons are customs' own.
  manageCustomsConfig: ['customs'],
  assessConsignment: ['customs'],
  readAssessment: ['customs'],
  // A platform records what it remitted under a checkout scheme (IOSS) and reads its own; customs reads all.
  recordRemittance: ['platform'],
  readRemittances: ['platform', 'customs'],
  // Participation in the referred consignment is checked separately.
  answerReferral: ['platform', 'payment', 'post', 'express'],
  // Participation in the particular consignment is checked separately.
  readConsignment: ['platform', 'payment', 'post', 'express', 'customs', 'auditor'],
  // Party records are pseudonymous and non-personal on the public state.
  readParty: ['platform', 'payment', 'post', 'express', 'customs', 'auditor'],
} as const satisfies Record<string, readonly OrgRole[]>;

export type Action = keyof typeof permissions;

/** The organisations whose AEO status customs' risk rules take into account: those that sell the goods or move them. */
export const TRUSTED_OPERATOR_ROLES = ['platform', 'post', 'express'] as const satisfies readonly OrgRole[];

export function isTrustedOperatorRole(role: OrgRole): boolean {
  return (TRUSTED_OPERATOR_ROLES as readonly OrgRole[]).includes(role);
}

export interface RoleHolder {
  readonly mspId: string;
  readonly role: OrgRole;
}

export function isAllowed(action: Action, role: OrgRole): boolean {
  return (permissions[action] as readonly OrgRole[]).includes(role);
}

export function assertAllowed(action: Action, caller: RoleHolder): void {
  if (!isAllowed(action, caller.role)) {
    throw new Error(
      `${action} is not allowed for ${caller.mspId} (role ${caller.role}); allowed roles: ${permissions[action].join(', ')}`,
    );
  }
}
