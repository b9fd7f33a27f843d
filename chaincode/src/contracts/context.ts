import type { Context } from 'fabric-contract-api';

import { canonicalJson, fromBytes, toBytes } from '../domain/canonical';
import { assertNotLaterThanTransaction, PROPOSAL_CLOCK_TOLERANCE_MINUTES } from '../domain/clock';
import type { OrgRole } from '../domain/collections';
import { parsePayload, parseWith, SaltSeed, type PayloadKind, type PayloadOf } from '../domain/schemas';

/*
 * Shared plumbing for the contracts: who is calling, typed JSON state access, transient data,
 * and the one-event-per-transaction rule. Everything here is deterministic and uses only the
 * fabric-shim stub API, so the same code endorses on a Fabric peer and on the embedded ledger.
 */

// ---------------------------------------------------------------- key layout

/** Composite-key object types on the public state. */
export const KeyType = {
  /** [] → NetworkRecord: channel, customs MSP and governance list, written once by org:init. */
  network: 'network',
  /** [mspId] → OrganisationRecord. */
  org: 'org',
  /** [partyId, platformMspId] → PartyRegistration: one per registering platform, so platforms never collide. */
  party: 'party',
  /**
   * [partyId] → TrustedTraderRecord, written by customs before 1.12. Under "any two" two other
   * organisations' peers could write one too, so since 1.12 the status is in customs' collection
   * (privateKey.trustedTrader); party:adoptTrustedTraders copies these once, and nothing else reads them.
   */
  trusted: 'trusted',
  /** [consignmentId] → ConsignmentRecord. */
  consignment: 'consignment',
  /** [consignmentId, kind] → SubmissionRecord (the latest version of that record). */
  record: 'record',
  /** [consignmentId, txId] → MovementRecord, append-only. */
  movement: 'movement',
  /** [consignmentId, txId] → DecisionRecord, append-only. */
  decision: 'decision',
  /** [platformMspId, orderNumber] → UniquenessRecord. */
  orderNumber: 'ordernum',
  /** [carrierMspId, trackingNumber] → UniquenessRecord. */
  trackingNumber: 'tracking',
  /** [paymentMspId, paymentTransactionId] → UniquenessRecord. */
  paymentTransaction: 'paytx',
  /** [subjectType, subjectId, txId] → AccessRecord, append-only. */
  access: 'access',
  /**
   * [consignmentId] → CustomsSeal, under a key-level endorsement policy naming customs: every
   * customs decision updates it, so no transaction without the customs peer's endorsement can
   * record one, even if other organisations' peers ran altered chaincode.
   */
  customsSeal: 'customsseal',
  /** [consignmentId, txId] → ReferralAnswerRecord, append-only. */
  referralAnswer: 'referralanswer',
  /** [consignmentId, returnId] → ReturnRecord, rewritten at each step of the return. */
  return: 'return',
  /** ['current'] and ['version', version] → StoredReturnPolicySet, written by customs (returns:putPolicy). */
  returnPolicy: 'returnpolicy',
  /** [gatewayMspId, logId, zero-padded tree size] → AuditAnchor, append-only. */
  auditAnchor: 'auditanchor',
  /** [gatewayMspId, logId] → the latest AuditAnchor of that log (written only by its gateway, serially). */
  auditHead: 'audithead',
  /**
   * [subjectType, subjectId, recordKind, holderMspId] → ErasureRecord: which fields of a private
   * record were purged, when and why (domain/erasure.ts).
   */
  erasure: 'erasure',
  /**
   * [platformMspId] → { platformMspId }: the platform has recorded remittances (customs:recordRemittance),
   * so its collection with customs is one their readers look in. Public, as the transaction's function is.
   */
  remitter: 'remitter',
} as const;

export function compositeKey(
  ctx: Context,
  type: (typeof KeyType)[keyof typeof KeyType],
  attrs: string[],
): string {
  return ctx.stub.createCompositeKey(type, attrs);
}

/** Private-collection keys are simple keys; their hashes land in blocks, so they carry ids only. */
export const privateKey = {
  record: (kind: string, consignmentId: string) => `${kind}~${consignmentId}`,
  party: (partyId: string) => `party~${partyId}`,
  flag: (partyId: string) => `flag~${partyId}`,
  /** In the answering trader's collection; the transaction id keeps every answer. */
  referralAnswer: (consignmentId: string, txId: string) => `referralanswer~${consignmentId}~${txId}`,
  /** In the customs-to-carrier collection; the latest assessment's replaces the one before. */
  collectionInstruction: (consignmentId: string) => `collect~${consignmentId}`,
  /** In the platform's collection with customs; one per reference. */
  remittance: (reference: string) => `remittance~${reference}`,
  /**
   * In customs' own collection, whose policy is customs' peer alone: on the public state, under the
   * chaincode's "any two", two other organisations' peers could write a platform's or carrier's
   * trusted-operator status for themselves.
   */
  trustedOperator: (mspId: string) => `trustedoperator~${mspId}`,
  /** In customs' own collection since 1.12, for the same reason as trustedOperator. */
  trustedTrader: (partyId: string) => `trustedtrader~${partyId}`,
  /** In customs' own collection: when the public statuses of before 1.12 were adopted, once. */
  trustedTraderAdoption: 'trustedtraderadoption',
};

/** The keys of a private collection that begin with `prefix`, as a range (prefixes end in `~`). */
export function privateKeyRange(prefix: string): { readonly start: string; readonly end: string } {
  return { start: prefix, end: `${prefix}\u007f` };
}

// ---------------------------------------------------------------- records shared across contracts

export interface NetworkRecord {
  readonly channel: string;
  readonly chaincode: string;
  readonly customsMspId: string;
  readonly governanceMspIds: readonly string[];
  readonly initialisedBy: string;
  readonly initialisedAt: string;
  readonly txId: string;
  /**
   * The MSP ids the registry lists (since 1.12; absent on a registry not yet protected). An `org` key
   * of another MSP id is not a registration: a key new to the ledger is validated against "any two"
   * (FABRIC-SEMANTICS 11a), while this record is under the registry's key-level policy.
   */
  readonly registered?: readonly string[];
}

export interface OrganisationRecord {
  readonly mspId: string;
  readonly role: OrgRole;
  readonly name: string;
}

// ---------------------------------------------------------------- state access

export async function readJson<T>(ctx: Context, key: string): Promise<T | undefined> {
  const bytes = await ctx.stub.getState(key);
  return bytes.length === 0 ? undefined : (fromBytes(bytes) as T);
}

export async function putJson(ctx: Context, key: string, value: unknown): Promise<void> {
  await ctx.stub.putState(key, toBytes(value));
}

export async function readPrivateJson<T>(
  ctx: Context,
  collection: string,
  key: string,
): Promise<T | undefined> {
  const bytes = await ctx.stub.getPrivateData(collection, key);
  return bytes.length === 0 ? undefined : (fromBytes(bytes) as T);
}

export async function putPrivateJson(
  ctx: Context,
  collection: string,
  key: string,
  value: unknown,
): Promise<void> {
  await ctx.stub.putPrivateData(collection, key, toBytes(value));
}

/** All values under a partial composite key, in key (byte) order. */
export async function listByPartialKey<T>(
  ctx: Context,
  type: (typeof KeyType)[keyof typeof KeyType],
  attrs: string[],
): Promise<T[]> {
  const out: T[] = [];
  // `for await` rather than awaiting the promise form: the shim's awaited iterator lacks next().
  for await (const kv of ctx.stub.getStateByPartialCompositeKey(type, attrs)) {
    if (kv.value.length > 0) out.push(fromBytes(kv.value) as T);
  }
  return out;
}

/** The values of a key range of a private data collection, in key order. Private range query: evaluate only. */
export async function listPrivateRange<T>(
  ctx: Context,
  collection: string,
  range: { readonly start: string; readonly end: string },
): Promise<T[]> {
  const out: T[] = [];
  for await (const kv of ctx.stub.getPrivateDataByRange(collection, range.start, range.end)) {
    if (kv.value.length > 0) out.push(fromBytes(kv.value) as T);
  }
  return out;
}

/** A boolean argument: the contract API converts 'true'/'false'; a dispatcher that does not is tolerated. */
export function booleanArgument(value: unknown, name: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`${name} must be true or false`);
}

/**
 * The transaction time chosen by the client: identical on every endorser, unlike the local clock,
 * and refused when further than PROPOSAL_CLOCK_TOLERANCE_MINUTES from it.
 */
export function txTime(ctx: Context): string {
  const at = ctx.stub.getDateTimestamp();
  const minutesOff = Math.abs(at.getTime() - Date.now()) / 60_000;
  if (!(minutesOff <= PROPOSAL_CLOCK_TOLERANCE_MINUTES)) {
    throw new Error(
      `the proposal's timestamp ${at.toISOString()} is ${Math.round(minutesOff)} minutes from this peer's clock; at most ${PROPOSAL_CLOCK_TOLERANCE_MINUTES} are accepted`,
    );
  }
  return at.toISOString();
}

/** Transaction results are canonical JSON so every endorser returns identical bytes. */
export function result(value: unknown): string {
  return canonicalJson(value);
}

// ---------------------------------------------------------------- transient data

export function transientBytes(ctx: Context, key: string): Uint8Array {
  const value = ctx.stub.getTransient().get(key);
  if (value === undefined) throw new Error(`transient data must contain '${key}'`);
  if (value.length === 0) throw new Error(`transient data '${key}' must not be empty`);
  return value;
}

export function transientString(ctx: Context, key: string): string {
  return Buffer.from(transientBytes(ctx, key)).toString('utf8');
}

/** The field in which a payload states when its event happened (clock.ts). */
const STATED_TIMES = { order: 'orderedAt', payment: 'paidAt', refund: 'refundedAt' } as const;

/**
 * A private payload and its salt seed from transient data (keys 'payload' and 'saltSeed'),
 * validated. The seed is normalised to lowercase so its stored form is canonical.
 */
export function transientPayload<K extends PayloadKind>(
  ctx: Context,
  kind: K,
): { payload: PayloadOf<K>; saltSeed: string } {
  const payload = parsePayload(kind, transientBytes(ctx, 'payload'));
  const stated = STATED_TIMES[kind as keyof typeof STATED_TIMES];
  if (stated !== undefined) {
    const at = (payload as Record<string, unknown>)[stated] as string;
    assertNotLaterThanTransaction(`invalid ${kind} payload: /${stated}`, at, txTime(ctx));
  }
  const saltSeed = parseWith(SaltSeed, 'saltSeed', transientString(ctx, 'saltSeed')).toLowerCase();
  return { payload, saltSeed };
}

// ---------------------------------------------------------------- events

const emitted = new WeakSet<object>();

/**
 * Sets the transaction's single chaincode event. Fabric keeps only the last setEvent, so a
 * second call would silently drop the first; it is a programming error here instead. Event
 * payloads are public and reach every channel member: ids, statuses, codes and the txId only.
 */
export function emitEvent(ctx: Context, name: string, payload: Record<string, unknown>): void {
  if (emitted.has(ctx.stub))
    throw new Error(`a chaincode event was already set for transaction ${ctx.stub.getTxID()}`);
  emitted.add(ctx.stub);
  ctx.stub.setEvent(name, toBytes({ ...payload, txId: ctx.stub.getTxID() }));
}

// ---------------------------------------------------------------- caller

export interface Identity {
  readonly mspId: string;
  /** x509::<subject>::<issuer>, the Fabric-wide user id. */
  readonly userId: string;
  /** From the certificate attribute `role`, else the node OU of a cryptogen certificate. */
  readonly userRole: string | undefined;
  readonly ous: readonly string[];
}

export interface Caller extends Identity {
  readonly role: OrgRole;
  readonly name: string;
  readonly network: NetworkRecord;
}

const NODE_OUS = ['admin', 'client', 'peer', 'orderer'];

/** OU values of the subject in a shim id `x509::/C=../OU=admin/CN=..::<issuer>` ('/' in values is escaped as '\/'). */
export function subjectOUs(userId: string): string[] {
  const subject = userId.split('::')[1] ?? '';
  return [...subject.matchAll(/\/OU=((?:\\\/|[^/])*)/g)].map((m) => (m[1] ?? '').replace(/\\\//g, '/'));
}

export function identityOf(ctx: Context): Identity {
  const mspId = ctx.clientIdentity.getMSPID();
  const userId = ctx.clientIdentity.getID();
  const ous = subjectOUs(userId);
  const attribute = ctx.clientIdentity.getAttributeValue('role');
  const userRole = attribute ?? ous.find((ou) => NODE_OUS.includes(ou)) ?? ous[0];
  return { mspId, userId, userRole: userRole === null ? undefined : userRole, ous };
}

export function networkKey(ctx: Context): string {
  return compositeKey(ctx, KeyType.network, []);
}

export function orgKey(ctx: Context, mspId: string): string {
  return compositeKey(ctx, KeyType.org, [mspId]);
}

/** Whether the network record lists the MSP id (any, on a registry not yet protected). */
export function isRegisteredIn(network: NetworkRecord, mspId: string): boolean {
  return network.registered?.includes(mspId) ?? true;
}

/** An organisation the registry lists; `network` is the record the caller read already (getNetwork). */
export async function readOrganisation(
  ctx: Context,
  network: NetworkRecord,
  mspId: string,
): Promise<OrganisationRecord | undefined> {
  if (!isRegisteredIn(network, mspId)) return undefined;
  return readJson<OrganisationRecord>(ctx, orgKey(ctx, mspId));
}

export async function getNetwork(ctx: Context): Promise<NetworkRecord> {
  const network = await readJson<NetworkRecord>(ctx, networkKey(ctx));
  if (!network) throw new Error('organisation registry is not initialised; call org:init first');
  return network;
}

/** The calling organisation as registered on the ledger; the role comes from the registry, never from the caller. */
export async function resolveCaller(ctx: Context): Promise<Caller> {
  const identity = identityOf(ctx);
  const network = await getNetwork(ctx);
  const org = await readOrganisation(ctx, network, identity.mspId);
  if (!org) throw new Error(`caller's organisation ${identity.mspId} is not registered`);
  return { ...identity, role: org.role, name: org.name, network };
}

/** Governance: an MSP on the governance list, acting through an identity with role 'governance' or OU admin. */
export function isGovernanceIdentity(identity: Identity, governanceMspIds: readonly string[]): boolean {
  return (
    governanceMspIds.includes(identity.mspId) &&
    (identity.userRole === 'governance' || identity.ous.includes('admin'))
  );
}
