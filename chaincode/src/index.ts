import { tuneShim } from './shim-tuning';
import { AuditContract } from './contracts/audit';
import { ConsignmentContract } from './contracts/consignment';
import { CustomsContract } from './contracts/customs';
import { ErasureContract } from './contracts/erasure';
import { OrganisationContract } from './contracts/organisation';
import { PartyContract } from './contracts/party';
import { ProvenanceContract } from './contracts/provenance';
import { ReturnsContract } from './contracts/returns';

export { tuneShim };
export {
  AuditContract,
  ConsignmentContract,
  CustomsContract,
  ErasureContract,
  OrganisationContract,
  PartyContract,
  ProvenanceContract,
  ReturnsContract,
};

tuneShim();

/** Picked up by fabric-chaincode-node (and the embedded ledger) as the chaincode's contracts. */
export const contracts = [
  OrganisationContract,
  PartyContract,
  ConsignmentContract,
  AuditContract,
  CustomsContract,
  ProvenanceContract,
  ErasureContract,
  ReturnsContract,
];

// Pure domain modules the gateway shares with the chaincode.
export * from './domain/access';
export * from './domain/assessment-failure';
export * from './domain/calendar';
export * from './domain/canonical';
export * from './domain/collections';
export * from './domain/consignment';
export * from './domain/customs';
export * from './domain/customs-config';
export * from './domain/eligible-goods';
export * from './domain/erasure';
export * from './domain/history';
export * from './domain/json-pointer';
export * from './domain/matching';
export * from './domain/merkle';
export * from './domain/minimisation';
export * from './domain/pages';
export * from './domain/purposes';
export * from './domain/returns';
export * from './domain/revenue';
export * from './domain/risk';
export * from './domain/roles';
export * from './domain/schemas';
export * from './domain/state-machine';
export { KeyType } from './contracts/context';
export { AUDIT_ANCHOR_PAGE_LIMIT, AUDIT_LOG_ID, auditTreeHeadMessage } from './contracts/audit';
export type { AnchorPage, AnchorPageInput, AuditAnchor } from './contracts/audit';
export { SERVICE_ROLE } from './contracts/customs';
export { ADOPTED_ALREADY } from './contracts/party';
export type { AssessmentRecord, AssessmentView, CollectionInstruction, MatchView } from './contracts/customs';
export type { ProvenanceEntry, StateKeyRef } from './contracts/provenance';
export type { ReturnRecord, StoredReturnPolicySet } from './contracts/returns';
export type {
  AccessRecord,
  BatchEvents,
  BatchOutcome,
  ConsignmentRecord,
  DecisionRecord,
  FlagRecord,
  MovementRecord,
  PartyRegistration,
  PrivateEnvelope,
  ReferralAnswerRecord,
  SubmissionRecord,
  TrustedTraderAdoption,
  TrustedTraderRecord,
  UniquenessRecord,
} from './contracts/records';
export type { NetworkRecord, OrganisationRecord } from './contracts/context';
