import { access, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Connection profiles written by the network scripts under `network/organizations/gateway/`:
 * `network.json` names the channel, the chaincode and the organisations; `<MSPID>.json` tells how
 * to reach that organisation's peer and where its users' certificates and keys are.
 *
 * Relative paths inside a profile are resolved against the profile's own folder first, then
 * against the working directory; a path that exists in neither is an error naming the file and field.
 */

export const NETWORK_PROFILE_FILE = 'network.json';

/** The problem of a profile file that is not there. */
export const PROFILE_NOT_FOUND = 'file not found';

/** A problem in a profile file: which file, which field, what is wrong. */
export class ConnectionProfileError extends Error {
  override readonly name = 'ConnectionProfileError';
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(field ? `${file}: ${field}: ${problem}` : `${file}: ${problem}`);
  }
}

const MspId = z.string().regex(/^[A-Za-z0-9.-]+$/, "an MSP id (letters, digits, '.' and '-')");
const Endpoint = z
  .string()
  .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port, such as 127.0.0.1:7051');
const Path = z.string().min(1, 'a file path');

const UserSchema = z.object({ certPath: Path, keyPath: Path });

const OrgProfileSchema = z.object({
  mspId: MspId,
  peerEndpoint: Endpoint,
  /** TLS server name to expect (needed when dialling an IP address); defaults to `localhost` for IPs. */
  peerHostAlias: z.string().min(1).optional(),
  /** Path to the PEM CA certificate that issued the peer's TLS certificate. */
  tlsRootCert: Path,
  users: z
    .record(z.string().min(1), UserSchema)
    .refine((users) => Object.keys(users).length > 0, 'at least one user'),
});

const NetworkOrgSchema = z.object({
  mspId: MspId,
  peerEndpoint: Endpoint,
  peerHostAlias: z.string().min(1).optional(),
  tlsRootCert: Path.optional(),
});

const NetworkProfileSchema = z.object({
  channel: z.string().min(1),
  chaincode: z.string().min(1),
  customsMspId: MspId.optional(),
  /** The organisation list the registry was initialised with (config/organisations.json's shape). */
  organisationsConfig: Path.optional(),
  /** The collections config deployed with the chaincode. */
  collectionsConfig: Path.optional(),
  organisations: z.array(NetworkOrgSchema).min(1, 'at least one organisation'),
});

export interface UserFiles {
  /** Absolute path to the user's PEM certificate. */
  readonly certPath: string;
  /** Absolute path to the user's PEM (PKCS#8 or SEC1) private key. */
  readonly keyPath: string;
}

export interface PeerConnection {
  readonly mspId: string;
  readonly peerEndpoint: string;
  /** TLS server name override, when the endpoint's host is not the name in the peer's certificate. */
  readonly hostAlias: string | undefined;
  /** PEM bytes of the TLS CA certificate. */
  readonly tlsRootCert: Buffer;
}

export interface OrgProfile extends PeerConnection {
  /** The file this profile came from. */
  readonly file: string;
  readonly users: Readonly<Record<string, UserFiles>>;
}

export interface NetworkProfile {
  readonly file: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly customsMspId?: string;
  /** Absolute path, when network.json names it. */
  readonly organisationsConfig?: string;
  /** Absolute path, when network.json names it. */
  readonly collectionsConfig?: string;
  readonly organisations: readonly {
    readonly mspId: string;
    readonly peerEndpoint: string;
    readonly peerHostAlias?: string;
    readonly tlsRootCert?: string;
  }[];
}

export interface ConnectionProfiles {
  readonly network: NetworkProfile;
  /** Profiles of the organisations that have a `<MSPID>.json` file, by MSP id. */
  readonly organisations: ReadonlyMap<string, OrgProfile>;
}

/** The file of an organisation's profile in a profile folder. */
export function orgProfileFile(profileDir: string, mspId: string): string {
  return join(resolve(profileDir), `${mspId}.json`);
}

export async function loadNetworkProfile(profileDir: string): Promise<NetworkProfile> {
  const file = join(resolve(profileDir), NETWORK_PROFILE_FILE);
  const data = parseWith(NetworkProfileSchema, file, await readJson(file));
  const seen = new Set<string>();
  for (const [i, org] of data.organisations.entries()) {
    if (seen.has(org.mspId))
      throw new ConnectionProfileError(file, `organisations.${i}.mspId`, `duplicate MSP id ${org.mspId}`);
    seen.add(org.mspId);
  }
  return {
    file,
    ...data,
    organisationsConfig:
      data.organisationsConfig === undefined
        ? undefined
        : await existingPath(file, 'organisationsConfig', data.organisationsConfig),
    collectionsConfig:
      data.collectionsConfig === undefined
        ? undefined
        : await existingPath(file, 'collectionsConfig', data.collectionsConfig),
  };
}

export async function loadOrgProfile(profileDir: string, mspId: string): Promise<OrgProfile> {
  const file = orgProfileFile(profileDir, mspId);
  const data = parseWith(OrgProfileSchema, file, await readJson(file));
  if (data.mspId !== mspId) {
    throw new ConnectionProfileError(file, 'mspId', `is ${data.mspId}, but the file is named for ${mspId}`);
  }
  const tlsPath = await existingPath(file, 'tlsRootCert', data.tlsRootCert);
  const tlsRootCert = await readFile(tlsPath);
  if (!tlsRootCert.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConnectionProfileError(file, 'tlsRootCert', `${tlsPath} is not a PEM certificate`);
  }
  const users: Record<string, UserFiles> = {};
  for (const [role, user] of Object.entries(data.users)) {
    users[role] = {
      certPath: await existingPath(file, `users.${role}.certPath`, user.certPath),
      keyPath: await existingPath(file, `users.${role}.keyPath`, user.keyPath),
    };
  }
  return {
    file,
    mspId: data.mspId,
    peerEndpoint: data.peerEndpoint,
    hostAlias: hostAliasFor(data.peerEndpoint, data.peerHostAlias),
    tlsRootCert,
    users,
  };
}

/**
 * The network profile and the profile of every listed organisation that has one. An organisation
 * listed without a `<MSPID>.json` is allowed (its users then reach the ledger through another
 * organisation's peer); a profile that exists but is invalid is an error.
 */
export async function loadConnectionProfiles(profileDir: string): Promise<ConnectionProfiles> {
  const network = await loadNetworkProfile(profileDir);
  const organisations = new Map<string, OrgProfile>();
  for (const org of network.organisations) {
    if (!(await exists(orgProfileFile(profileDir, org.mspId)))) continue;
    organisations.set(org.mspId, await loadOrgProfile(profileDir, org.mspId));
  }
  return { network, organisations };
}

/** When dialling an IP address the TLS name must be given; Fabric's test certificates carry `localhost`. */
export function hostAliasFor(endpoint: string, alias: string | undefined): string | undefined {
  if (alias !== undefined) return alias;
  const host = endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return /^[\d.]+$/.test(host) || host.includes(':') ? 'localhost' : undefined;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConnectionProfileError(
      file,
      undefined,
      code === 'ENOENT' ? PROFILE_NOT_FOUND : `cannot be read (${code ?? String(error)})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConnectionProfileError(file, undefined, `is not JSON (${(error as Error).message})`);
  }
}

function parseWith<T>(schema: z.ZodType<T>, file: string, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
  return failWith(file, field || undefined, issue.message + more);
}

function failWith(file: string, field: string | undefined, problem: string): never {
  throw new ConnectionProfileError(file, field, problem);
}

async function existingPath(file: string, field: string, path: string): Promise<string> {
  const candidates = isAbsolute(path) ? [path] : [resolve(dirname(file), path), resolve(path)];
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  return failWith(file, field, `file not found: ${candidates.join(' or ')}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
