/**
 * The private data collection naming rule shared by the chaincode, the embedded ledger and the Fabric
 * network scripts: one collection per (trader organisation, customs) pair, so no trader can read another
 * trader's private data, customs' own collection for material no trader may see, and one collection per
 * carrier that only customs writes to, for what customs instructs that carrier (the duty and tax to
 * collect at delivery).
 *
 * Pure and dependency-free so the gateway and scripts can import the TypeScript source directly.
 */

export type OrgRole = 'platform' | 'payment' | 'post' | 'express' | 'customs' | 'auditor';

export interface OrganisationConfig {
  readonly mspId: string;
  readonly role: OrgRole;
  readonly name: string;
  readonly domain: string;
}

export interface NetworkConfig {
  readonly channel: string;
  readonly chaincode: string;
  readonly customsMspId: string;
  readonly governanceMspIds: readonly string[];
  readonly organisations: readonly OrganisationConfig[];
}

/** One entry of Fabric's collections_config.json, in the field order Fabric's own samples use. */
export interface CollectionConfigEntry {
  readonly name: string;
  readonly policy: string;
  readonly requiredPeerCount: number;
  readonly maxPeerCount: number;
  readonly blockToLive: number;
  readonly memberOnlyRead: boolean;
  readonly memberOnlyWrite: boolean;
  /** Only on the collections customs alone writes: see collectionsConfigFor. */
  readonly endorsementPolicy?: { readonly signaturePolicy: string };
}

export const ORG_ROLES: readonly OrgRole[] = ['platform', 'payment', 'post', 'express', 'customs', 'auditor'];

/** Roles whose organisations hold personal data about their own customers and so get a collection with customs. */
export const TRADER_ROLES: readonly OrgRole[] = ['platform', 'payment', 'post', 'express'];

/** Roles that carry parcels to the buyer, and so may collect duty and tax at delivery. */
export const carrierRoles = ['post', 'express'] as const satisfies readonly OrgRole[];

// Fabric's own rule for collection names; an MSP id that breaks it cannot be part of one.
const COLLECTION_NAME = /^[A-Za-z0-9-]+$/;
// Fabric's policy DSL reads a principal as `<mspId>.<role>` with the MSP id made of alphanumerics, '.' and '-'.
const MSP_ID = /^[A-Za-z0-9.-]+$/;
const CUSTOMS_ONLY_SUFFIX = '-only';
const CUSTOMS_TO = '-to-';

const NETWORK_FIELDS = ['channel', 'chaincode', 'customsMspId', 'governanceMspIds', 'organisations'];
const ORGANISATION_FIELDS = ['mspId', 'role', 'name', 'domain'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(record: Record<string, unknown>, field: string, where: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`network config: ${where}${field} must be a non-empty string`);
  }
  return value;
}

function rejectUnknownFields(record: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const field of Object.keys(record)) {
    if (!known.includes(field)) throw new Error(`network config: ${where}${field} is not a known field`);
  }
}

function requireMspId(value: string, where: string): string {
  if (!MSP_ID.test(value)) {
    throw new Error(`network config: ${where} "${value}" may contain only letters, digits, '.' and '-'`);
  }
  return value;
}

function parseOrganisation(value: unknown, index: number): OrganisationConfig {
  const where = `organisations[${index}].`;
  if (!isRecord(value)) throw new Error(`network config: organisations[${index}] must be an object`);
  rejectUnknownFields(value, ORGANISATION_FIELDS, where);
  const mspId = requireMspId(requireString(value, 'mspId', where), `${where}mspId`);
  const role = requireString(value, 'role', where);
  if (!(ORG_ROLES as readonly string[]).includes(role)) {
    throw new Error(`network config: ${where}role "${role}" must be one of ${ORG_ROLES.join(', ')}`);
  }
  return {
    mspId,
    role: role as OrgRole,
    name: requireString(value, 'name', where),
    domain: requireString(value, 'domain', where),
  };
}

/** Validates the shape of config/organisations.json; errors name the offending field. */
export function parseNetworkConfig(json: unknown): NetworkConfig {
  if (!isRecord(json)) throw new Error('network config: must be a JSON object');
  rejectUnknownFields(json, NETWORK_FIELDS, '');
  const channel = requireString(json, 'channel', '');
  const chaincode = requireString(json, 'chaincode', '');
  const customsMspId = requireMspId(requireString(json, 'customsMspId', ''), 'customsMspId');

  const rawOrganisations = json['organisations'];
  if (!Array.isArray(rawOrganisations) || rawOrganisations.length === 0) {
    throw new Error('network config: organisations must be a non-empty array');
  }
  const organisations = rawOrganisations.map(parseOrganisation);
  const seen = new Set<string>();
  for (const [index, org] of organisations.entries()) {
    if (seen.has(org.mspId)) {
      throw new Error(`network config: organisations[${index}].mspId "${org.mspId}" is listed twice`);
    }
    seen.add(org.mspId);
  }

  const customs = organisations.filter((org) => org.role === 'customs');
  if (customs.length !== 1) {
    throw new Error(
      `network config: organisations must contain exactly one customs organisation, found ${customs.length}`,
    );
  }
  if (customs[0]?.mspId !== customsMspId) {
    throw new Error(
      `network config: customsMspId "${customsMspId}" does not match the customs organisation "${customs[0]?.mspId}"`,
    );
  }

  const rawGovernance = json['governanceMspIds'];
  if (!Array.isArray(rawGovernance) || rawGovernance.length === 0) {
    throw new Error('network config: governanceMspIds must be a non-empty array');
  }
  const governanceMspIds = rawGovernance.map((value: unknown, index) => {
    if (typeof value !== 'string' || !seen.has(value)) {
      throw new Error(
        `network config: governanceMspIds[${index}] must be the mspId of a listed organisation`,
      );
    }
    return value;
  });

  return { channel, chaincode, customsMspId, governanceMspIds, organisations };
}

function checkCollectionName(name: string): string {
  if (!COLLECTION_NAME.test(name)) {
    throw new Error(`collection name "${name}" may contain only letters, digits and '-'`);
  }
  return name;
}

/** The collection shared by one trader organisation and customs, e.g. `PlatformAMSP-CustomsMSP`. */
export function traderCollection(traderMspId: string, customsMspId: string): string {
  if (traderMspId === customsMspId)
    throw new Error(`trader "${traderMspId}" cannot be the customs organisation`);
  return checkCollectionName(`${traderMspId}-${customsMspId}`);
}

/** Customs' own collection, e.g. `CustomsMSP-only`. */
export function customsCollection(customsMspId: string): string {
  return checkCollectionName(`${customsMspId}${CUSTOMS_ONLY_SUFFIX}`);
}

/**
 * What customs instructs one carrier, e.g. `CustomsMSP-to-PostMSP`: the carrier reads it, only customs
 * writes it (its endorsement policy names customs' peer alone).
 */
export function customsToCarrierCollection(carrierMspId: string, customsMspId: string): string {
  if (carrierMspId === customsMspId)
    throw new Error(`carrier "${carrierMspId}" cannot be the customs organisation`);
  return checkCollectionName(`${customsMspId}${CUSTOMS_TO}${carrierMspId}`);
}

export function isTraderRole(role: OrgRole): boolean {
  return TRADER_ROLES.includes(role);
}

export function isCarrierRole(role: OrgRole): boolean {
  return (carrierRoles as readonly OrgRole[]).includes(role);
}

function memberPolicy(mspIds: readonly string[]): string {
  return `OR(${mspIds.map((mspId) => `'${mspId}.member'`).join(',')})`;
}

function collectionEntry(
  name: string,
  members: readonly string[],
  blockToLive: number,
): CollectionConfigEntry {
  return {
    name,
    policy: memberPolicy(members),
    // 0: an endorsement must not fail because the other member's single peer is down; that peer pulls
    // the data later through reconciliation. The endorsing peers already hold it, and the gateway only
    // chooses member endorsers for a private write, so nothing is held by a single peer alone.
    requiredPeerCount: 0,
    // Push to every other member peer at once rather than waiting for reconciliation. With one peer per
    // organisation that is members-1; the customs-only collection gets 1 so a second customs peer would be
    // served immediately (with no eligible peer Fabric just sends to none).
    maxPeerCount: Math.max(members.length - 1, 1),
    blockToLive,
    memberOnlyRead: true,
    memberOnlyWrite: true,
    // No collection endorsementPolicy for trader collections: their private writes are checked against the
    // chaincode-level policy, like public writes (FABRIC-SEMANTICS row 11h); two members (trader, customs)
    // satisfy it.
  };
}

/**
 * Fabric's collections_config.json for the network: one collection per trader organisation, customs-only,
 * then one from customs to each carrier.
 */
export function collectionsConfigFor(
  network: NetworkConfig,
  { blockToLive = 0 }: { blockToLive?: number } = {},
): CollectionConfigEntry[] {
  // 0 keeps private data until an explicit purge: erasure follows retention rules and lawful requests,
  // which a block count cannot express.
  if (!Number.isSafeInteger(blockToLive) || blockToLive < 0) {
    throw new Error(`blockToLive must be a non-negative integer, got ${blockToLive}`);
  }
  const customs = network.customsMspId;
  const entries = network.organisations
    .filter((org) => isTraderRole(org.role))
    .map((org) => collectionEntry(traderCollection(org.mspId, customs), [org.mspId, customs], blockToLive));
  // Customs is the only member of its own collection, so only customs can endorse a write to it (transient
  // data must not reach other organisations); the chaincode-level "any two" could never be met.
  entries.push({
    ...collectionEntry(customsCollection(customs), [customs], blockToLive),
    endorsementPolicy: customsEndorses(customs),
  });
  // Customs writes a carrier's instructions in its assessment, which only customs' peer can endorse (it
  // alone holds the order and payment it reads). Under the chaincode-level "any two" the carrier's peer
  // would have to endorse too, so the collection names customs alone; and a carrier, though a member,
  // cannot write its own instructions, since no endorsement of its peer satisfies that policy.
  for (const org of network.organisations.filter((o) => isCarrierRole(o.role))) {
    entries.push({
      ...collectionEntry(customsToCarrierCollection(org.mspId, customs), [customs, org.mspId], blockToLive),
      endorsementPolicy: customsEndorses(customs),
    });
  }
  return entries;
}

function customsEndorses(customsMspId: string): { readonly signaturePolicy: string } {
  return { signaturePolicy: `OR('${customsMspId}.peer')` };
}

/**
 * The chaincode-level endorsement policy: any two organisations' peers. A transaction carrying
 * private data can only be endorsed by the members of its collections (a trader and customs), so
 * the policy must be satisfiable by two; MAJORITY of seven is not. Records that only customs may
 * make are additionally protected by key-level policies naming customs.
 */
export function chaincodeEndorsementPolicy(network: NetworkConfig): string {
  const principals = network.organisations.map((o) => `'${o.mspId}.peer'`).join(',');
  return `OutOf(2,${principals})`;
}
