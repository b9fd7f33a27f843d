import { readFileSync } from 'node:fs';
import {
  CHANNEL_ENDORSEMENT_POLICY,
  parseSignaturePolicy,
  policyMspIds,
  type SignaturePolicy,
} from './policy.js';

/**
 * A private data collection as the embedded ledger enforces it, loaded from the same
 * collections_config.json that is deployed to Fabric.
 */
export interface CollectionDefinition {
  readonly name: string;
  /** The MSP ids named in `policy`: the organisations whose peers hold the data. */
  readonly members: ReadonlySet<string>;
  /** The member policy as written, e.g. `OR('PlatformAMSP.member','CustomsMSP.member')`. */
  readonly policy: string;
  readonly requiredPeerCount: number;
  readonly maxPeerCount: number;
  /** Blocks after which private data is purged; 0 keeps it until an explicit purge. */
  readonly blockToLive: number;
  readonly memberOnlyRead: boolean;
  readonly memberOnlyWrite: boolean;
  /**
   * The collection's own endorsement policy in parseEndorsementPolicy's text form (a signature policy, or
   * `/Channel/Application/Endorsement`). Absent: the chaincode-level policy applies to its writes.
   */
  readonly endorsementPolicy?: string;
}

export interface LoadCollectionsOptions {
  /** When given, every member of every collection must be one of these MSP ids. */
  readonly channelOrgs?: readonly string[];
}

const KNOWN_FIELDS = new Set([
  'name',
  'policy',
  'requiredPeerCount',
  'maxPeerCount',
  'blockToLive',
  'memberOnlyRead',
  'memberOnlyWrite',
  'endorsementPolicy',
]);
const ENDORSEMENT_POLICY_FIELDS = new Set(['signaturePolicy', 'channelConfigPolicy']);
const COLLECTION_NAME = /^[A-Za-z0-9-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Loads and validates a collections config given as the parsed JSON array, as JSON text, or as a path
 * to the file. Errors name the collection and field at fault.
 */
export function loadCollectionsConfig(
  jsonOrPath: unknown,
  options: LoadCollectionsOptions = {},
): CollectionDefinition[] {
  let json = jsonOrPath;
  if (typeof jsonOrPath === 'string') {
    const text = jsonOrPath.trimStart().startsWith('[') ? jsonOrPath : readConfigFile(jsonOrPath);
    try {
      json = JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`collections config is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(json)) throw new Error('collections config must be a JSON array of collections');

  const definitions = json.map((entry: unknown, index) => parseCollection(entry, index, options));
  const seen = new Set<string>();
  for (const definition of definitions) {
    if (seen.has(definition.name))
      throw new Error(`collections config: collection "${definition.name}" is defined twice`);
    seen.add(definition.name);
  }
  return definitions;
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read collections config ${path}: ${(err as Error).message}`);
  }
}

function parseCollection(
  entry: unknown,
  index: number,
  options: LoadCollectionsOptions,
): CollectionDefinition {
  if (!isRecord(entry)) throw new Error(`collections config: entry ${index} must be an object`);
  const rawName = entry['name'];
  if (typeof rawName !== 'string' || !COLLECTION_NAME.test(rawName)) {
    throw new Error(
      `collections config: entry ${index}: name must be a non-empty string of letters, digits and '-'`,
    );
  }
  const name = rawName;
  const fail = (message: string): never => {
    throw new Error(`collections config: collection "${name}": ${message}`);
  };

  for (const field of Object.keys(entry)) {
    if (!KNOWN_FIELDS.has(field)) fail(`unknown field "${field}"`);
  }

  const policy = entry['policy'];
  if (typeof policy !== 'string') return fail('policy must be a signature policy string');
  const members = memberOrgs(policy, fail);
  for (const mspId of members) {
    if (options.channelOrgs && !options.channelOrgs.includes(mspId)) {
      fail(`policy names ${mspId}, which is not an organisation of the channel`);
    }
  }

  // Defaults are Fabric's: the peer CLI treats an omitted count or flag as zero/false.
  const requiredPeerCount = count(entry, 'requiredPeerCount', fail);
  const maxPeerCount = count(entry, 'maxPeerCount', fail);
  if (maxPeerCount < requiredPeerCount) {
    fail(`maxPeerCount (${maxPeerCount}) cannot be less than requiredPeerCount (${requiredPeerCount})`);
  }

  const definition: CollectionDefinition = {
    name,
    members,
    policy,
    requiredPeerCount,
    maxPeerCount,
    blockToLive: count(entry, 'blockToLive', fail),
    memberOnlyRead: flag(entry, 'memberOnlyRead', fail),
    memberOnlyWrite: flag(entry, 'memberOnlyWrite', fail),
  };
  const endorsementPolicy = collectionEndorsementPolicy(entry['endorsementPolicy'], fail);
  return endorsementPolicy === undefined ? definition : { ...definition, endorsementPolicy };
}

/*
 * Fabric decides membership by evaluating this policy against one identity (the reader, the writer, the
 * peer). Only an OR of `.member` principals makes that the same as "belongs to one of these
 * organisations", which is what isMember checks, so anything else is rejected rather than half-honoured.
 */
function memberOrgs(policy: string, fail: (message: string) => never): ReadonlySet<string> {
  let parsed: SignaturePolicy;
  try {
    parsed = parseSignaturePolicy(policy);
  } catch (err) {
    return fail((err as Error).message);
  }
  const isMemberOr =
    parsed.kind === 'outOf' &&
    parsed.n === 1 &&
    parsed.rules.every((rule) => rule.kind === 'signedBy' && rule.principal.role === 'member');
  if (!isMemberOr) fail(`policy must be OR('<MSPID>.member', ...), got "${policy}"`);
  return new Set(policyMspIds(parsed));
}

function count(entry: Record<string, unknown>, field: string, fail: (message: string) => never): number {
  const value = entry[field];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return fail(`${field} must be a non-negative integer`);
  }
  return value;
}

function flag(entry: Record<string, unknown>, field: string, fail: (message: string) => never): boolean {
  const value = entry[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') return fail(`${field} must be true or false`);
  return value;
}

/** Fabric's JSON form: `{ "signaturePolicy": "..." }` or `{ "channelConfigPolicy": "..." }`. */
function collectionEndorsementPolicy(value: unknown, fail: (message: string) => never): string | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value))
    return fail('endorsementPolicy must be an object with signaturePolicy or channelConfigPolicy');
  for (const field of Object.keys(value)) {
    if (!ENDORSEMENT_POLICY_FIELDS.has(field)) fail(`unknown field "endorsementPolicy.${field}"`);
  }
  const signature = value['signaturePolicy'];
  const channel = value['channelConfigPolicy'];
  if ((signature === undefined) === (channel === undefined)) {
    fail('endorsementPolicy must have exactly one of signaturePolicy and channelConfigPolicy');
  }
  if (signature !== undefined) {
    if (typeof signature !== 'string') return fail('endorsementPolicy.signaturePolicy must be a string');
    try {
      parseSignaturePolicy(signature);
    } catch (err) {
      fail(`endorsementPolicy.signaturePolicy: ${(err as Error).message}`);
    }
    return signature;
  }
  if (channel !== CHANNEL_ENDORSEMENT_POLICY) {
    fail(`endorsementPolicy.channelConfigPolicy must be "${CHANNEL_ENDORSEMENT_POLICY}"`);
  }
  return CHANNEL_ENDORSEMENT_POLICY;
}

/** Whether an organisation is a member of the collection (its peers hold the data; its clients may read). */
export function isMember(collection: CollectionDefinition, mspId: string): boolean {
  return collection.members.has(mspId);
}
