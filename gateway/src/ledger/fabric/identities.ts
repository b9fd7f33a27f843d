import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { USER_ROLES } from '../../auth/principal.js';
import { newClientIdentity } from '../embedded/msp.js';
import type { IdentityProvider, Signer } from '../identities.js';
import type { ClientIdentity } from '../port.js';
import { ConnectionProfileError, type OrgProfile } from './connection-profile.js';

/**
 * A user of a connection profile as a ClientIdentity: the certificate and key files the network
 * scripts wrote (cryptogen), signing with ECDSA over SHA-256, DER and low-S as Fabric requires.
 */
export async function loadUserIdentity(profile: OrgProfile, role: string): Promise<ClientIdentity> {
  const user = profile.users[role];
  if (!user) {
    throw new ConnectionProfileError(
      profile.file,
      `users.${role}`,
      `no such user; the profile has ${Object.keys(profile.users).join(', ')}`,
    );
  }
  const certificate = await readFile(user.certPath, 'utf8');
  const privateKeyPem = await readFile(user.keyPath, 'utf8');
  let certKey: string;
  let key: string;
  try {
    certKey = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  } catch (error) {
    throw new ConnectionProfileError(
      profile.file,
      `users.${role}.certPath`,
      `${user.certPath} is not a PEM certificate (${(error as Error).message})`,
    );
  }
  try {
    key = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
  } catch (error) {
    throw new ConnectionProfileError(
      profile.file,
      `users.${role}.keyPath`,
      `${user.keyPath} is not a PEM private key (${(error as Error).message})`,
    );
  }
  if (key !== certKey) {
    throw new ConnectionProfileError(
      profile.file,
      `users.${role}.keyPath`,
      `${user.keyPath} is not the key of ${user.certPath}`,
    );
  }
  return newClientIdentity({ mspId: profile.mspId, certificate, privateKeyPem });
}

/**
 * The user roles the gateway knows, those it makes users of. Only these name profile users: a JWT or
 * an API key may carry any role, and a profile also holds users that are no role's own, such as the
 * organisation's `admin`.
 */
const KNOWN_ROLES: ReadonlySet<string> = new Set(Object.values(USER_ROLES).flat());

/**
 * The one role that may sign as the organisation's admin (OU admin), which the chaincode takes for
 * a governance identity.
 */
const GOVERNANCE_ROLE = 'governance';

/**
 * The profile user name for a gateway role: the role itself, else (governance only) `admin`, else
 * `default`; none for a role the gateway does not know.
 */
export function profileUserFor(profile: OrgProfile, role: string): string | undefined {
  if (!KNOWN_ROLES.has(role)) return undefined;
  const names = role === GOVERNANCE_ROLE ? [role, 'admin', 'default'] : [role, 'default'];
  return names.find((name) => profile.users[name] !== undefined);
}

/**
 * On Fabric, each gateway principal signs with its organisation's identity for its role, as given
 * by the connection profiles: `users.<role>` for a role the gateway knows (governance falls back to
 * `admin`, any known role to `default`). Identities are loaded once and cached.
 */
export class ProfileIdentityProvider implements IdentityProvider {
  private readonly cache = new Map<string, Promise<ClientIdentity>>();

  constructor(private readonly profiles: ReadonlyMap<string, OrgProfile>) {}

  identityFor(principal: Signer): Promise<ClientIdentity> {
    const profile = this.profiles.get(principal.mspId);
    if (!profile) {
      return Promise.reject(
        new Error(`no connection profile for ${principal.mspId}: cannot sign for ${principal.user}`),
      );
    }
    if (!KNOWN_ROLES.has(principal.role)) {
      return Promise.reject(
        new Error(
          `${principal.user} of ${principal.mspId} has role ${principal.role}, which no profile user signs for (the gateway's roles: ${[...KNOWN_ROLES].join(', ')})`,
        ),
      );
    }
    const name = profileUserFor(profile, principal.role);
    if (name === undefined) {
      return Promise.reject(
        new ConnectionProfileError(
          profile.file,
          `users.${principal.role}`,
          `no user for role ${principal.role} (nor 'default'); the profile has ${Object.keys(profile.users).join(', ')}`,
        ),
      );
    }
    const key = `${principal.mspId}\u0000${name}`;
    let identity = this.cache.get(key);
    if (!identity) {
      identity = loadUserIdentity(profile, name);
      identity.catch(() => this.cache.delete(key));
      this.cache.set(key, identity);
    }
    return identity;
  }
}
