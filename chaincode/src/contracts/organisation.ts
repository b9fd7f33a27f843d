import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { z } from 'zod';

import { fromBytes, fromBytesOrUndefined } from '../domain/canonical';
import { ORG_ROLES, parseNetworkConfig, type OrgRole } from '../domain/collections';
import { isOrgRole } from '../domain/roles';
import { MspId } from '../domain/schemas';
import {
  KeyType,
  emitEvent,
  getNetwork,
  identityOf,
  isGovernanceIdentity,
  networkKey,
  orgKey,
  putJson,
  readJson,
  readOrganisation,
  result,
  txTime,
  type NetworkRecord,
  type OrganisationRecord,
  isRegisteredIn,
} from './context';

const MSP_ID = /^[A-Za-z0-9.-]{1,64}$/;

@Info({
  title: 'OrganisationContract',
  description: 'Registry of organisations (MSPs) and their roles on the channel',
})
export class OrganisationContract extends Contract {
  constructor() {
    super('org');
  }

  /**
   * Seeds the registry from config/organisations.json. Once only: afterwards the registry
   * changes one organisation at a time through governance.
   */
  @Transaction()
  @Returns('string')
  public async init(ctx: Context, networkConfigJson: string): Promise<string> {
    let json: unknown;
    try {
      json = fromBytes(Buffer.from(networkConfigJson, 'utf8'));
    } catch (e) {
      throw new Error(`invalid network config: not JSON (${(e as Error).message})`);
    }
    const config = parseNetworkConfig(json);
    const identity = identityOf(ctx);
    // The configuration comes from the caller, so being listed in it proves little: the caller must also
    // be a governance identity (an admin, or a user with role governance) of a listed governance MSP.
    // Deployments close the remaining gap by calling init in the same step as the chaincode commit.
    if (!isGovernanceIdentity(identity, config.governanceMspIds)) {
      throw new Error(
        `org:init must be called by a governance identity of ${config.governanceMspIds.join(', ')}, not ${identity.mspId} (${identity.userRole ?? 'no role'})`,
      );
    }
    if (await readJson<NetworkRecord>(ctx, networkKey(ctx))) {
      throw new Error('organisation registry already initialised');
    }
    const network: NetworkRecord = {
      channel: config.channel,
      chaincode: config.chaincode,
      customsMspId: config.customsMspId,
      governanceMspIds: [...config.governanceMspIds],
      initialisedBy: identity.mspId,
      initialisedAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
      registered: config.organisations.map((o) => o.mspId),
    };
    await putRegistryEntry(ctx, networkKey(ctx), network, network);
    const organisations = config.organisations.map((o): OrganisationRecord => ({
      mspId: o.mspId,
      role: o.role,
      name: o.name,
    }));
    for (const org of organisations) await putRegistryEntry(ctx, orgKey(ctx, org.mspId), org, network);
    emitEvent(ctx, 'OrganisationsInitialised', {
      customsMspId: network.customsMspId,
      governanceMspIds: network.governanceMspIds,
      organisations: organisations.map(({ mspId, role }) => ({ mspId, role })),
    });
    return result({ ...network, organisations });
  }

  @Transaction()
  @Returns('string')
  public async setOrganisation(ctx: Context, mspId: string, role: string, name: string): Promise<string> {
    const network = await this.requireGovernance(ctx, 'setOrganisation');
    if (!MSP_ID.test(mspId)) throw new Error(`invalid mspId '${mspId}': letters, digits, '.' and '-' only`);
    if (!isOrgRole(role)) throw new Error(`invalid role '${role}'`);
    if (name.trim().length === 0 || name.length > 200) throw new Error('name must be 1-200 characters');
    // Collections are named after the single customs MSP, so customs cannot move or multiply.
    if ((role === 'customs') !== (mspId === network.customsMspId)) {
      throw new Error(`only ${network.customsMspId} has role customs on this channel`);
    }
    const org: OrganisationRecord = { mspId, role: role as OrgRole, name };
    await putRegistryEntry(ctx, orgKey(ctx, mspId), org, network);
    if (network.registered && !network.registered.includes(mspId)) {
      await putRegistryEntry(
        ctx,
        networkKey(ctx),
        { ...network, registered: [...network.registered, mspId] },
        network,
      );
    }
    emitEvent(ctx, 'OrganisationSet', { mspId, role });
    return result(org);
  }

  @Transaction()
  @Returns('string')
  public async removeOrganisation(ctx: Context, mspId: string): Promise<string> {
    const network = await this.requireGovernance(ctx, 'removeOrganisation');
    if (mspId === network.customsMspId)
      throw new Error(`the customs organisation ${mspId} cannot be removed`);
    if (!(await readOrganisation(ctx, network, mspId)))
      throw new Error(`organisation ${mspId} is not registered`);
    // Under the registry's key-level policy; the org key's deletion too (FABRIC-SEMANTICS 11g). A key
    // created again after it is validated against "any two", but the network record no longer names it.
    await ctx.stub.deleteState(orgKey(ctx, mspId));
    if (network.registered) {
      const registered = network.registered.filter((m) => m !== mspId);
      await putRegistryEntry(ctx, networkKey(ctx), { ...network, registered }, network);
    }
    emitEvent(ctx, 'OrganisationRemoved', { mspId });
    return result({ mspId, removed: true });
  }

  @Transaction(false)
  @Returns('string')
  public async getOrganisation(ctx: Context, mspId: string): Promise<string> {
    const org = await readOrganisation(ctx, await getNetwork(ctx), mspId);
    if (!org) throw new Error(`organisation ${mspId} is not registered`);
    return result(org);
  }

  @Transaction(false)
  @Returns('string')
  public async listOrganisations(ctx: Context): Promise<string> {
    const network = await getNetwork(ctx);
    return result({
      channel: network.channel,
      customsMspId: network.customsMspId,
      governanceMspIds: network.governanceMspIds,
      organisations: await registeredOrganisations(ctx, network),
      protectedBy: await registryPolicyOrgs(ctx),
    });
  }

  /**
   * Puts a registry initialised before 1.12 under the registry's key-level policy: the network
   * record, now naming the organisations registered, and each of their keys (the gateway on the
   * embedded ledger, and network.sh deploy, call this when listOrganisations names no protectedBy).
   * Endorsed under "any two", as the keys lack a policy until then. A key that already carries
   * another policy, or whose value is not an organisation, was not written by the registry: it is
   * left out of the registration and named in the answer. Again on a protected registry, it
   * changes nothing and needs the policy.
   */
  @Transaction()
  @Returns('string')
  public async protectRegistry(ctx: Context): Promise<string> {
    const network = await this.requireGovernance(ctx, 'protectRegistry');
    const policy = registryPolicy(network);
    const registered: string[] = [];
    const skipped: { mspId: string; reason: 'foreign_policy' | 'malformed' | 'not_registered' }[] = [];
    for await (const { key, value } of ctx.stub.getStateByPartialCompositeKey(KeyType.org, [])) {
      const [mspId = ''] = ctx.stub.splitCompositeKey(key).attributes;
      const parameter = await validationParameter(ctx, key);
      const org = organisationOrUndefined(value);
      if (org?.mspId !== mspId) skipped.push({ mspId, reason: 'malformed' });
      else if (parameter && !Buffer.from(parameter).equals(policy))
        skipped.push({ mspId, reason: 'foreign_policy' });
      else if (!isRegisteredIn(network, mspId)) skipped.push({ mspId, reason: 'not_registered' });
      else {
        if (!parameter) await putRegistryEntry(ctx, key, org, network);
        registered.push(mspId);
      }
    }
    await putRegistryEntry(ctx, networkKey(ctx), { ...network, registered }, network);
    return result({ protectedBy: [...network.governanceMspIds], registered, skipped });
  }

  private async requireGovernance(ctx: Context, action: string): Promise<NetworkRecord> {
    const network = await getNetwork(ctx);
    const identity = identityOf(ctx);
    if (!isGovernanceIdentity(identity, network.governanceMspIds)) {
      throw new Error(
        `${action} requires a governance identity (MSP in ${network.governanceMspIds.join(', ')} with role 'governance' or OU admin); caller is ${identity.mspId} (${identity.userRole ?? 'no role'})`,
      );
    }
    return network;
  }
}

/**
 * The organisations the network record names, in MSP id order; on a registry not yet protected,
 * every `org` key that holds an organisation (nothing else tells them apart there).
 */
async function registeredOrganisations(ctx: Context, network: NetworkRecord): Promise<OrganisationRecord[]> {
  const organisations: OrganisationRecord[] = [];
  if (!network.registered) {
    for await (const { key, value } of ctx.stub.getStateByPartialCompositeKey(KeyType.org, [])) {
      const org = organisationOrUndefined(value);
      if (org && org.mspId === ctx.stub.splitCompositeKey(key).attributes[0]) organisations.push(org);
    }
    return organisations;
  }
  for (const mspId of [...network.registered].sort()) {
    const org = await readJson<OrganisationRecord>(ctx, orgKey(ctx, mspId));
    if (org) organisations.push(org);
  }
  return organisations;
}

/** The registry's key-level policy: a peer of every governance organisation. */
function registryPolicy(network: Pick<NetworkRecord, 'governanceMspIds'>): Buffer {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...network.governanceMspIds);
  return Buffer.from(policy.getPolicy());
}

/**
 * Writes a registry key under the registry's key-level policy: a peer of every governance
 * organisation must endorse its next change. Without it the chaincode's "any two" would let two
 * other organisations' peers running altered chaincode rewrite the registry (a role, customs' MSP
 * id), which every permission check reads.
 */
async function putRegistryEntry(
  ctx: Context,
  key: string,
  value: NetworkRecord | OrganisationRecord,
  network: Pick<NetworkRecord, 'governanceMspIds'>,
): Promise<void> {
  await putJson(ctx, key, value);
  await ctx.stub.setStateValidationParameter(key, registryPolicy(network));
}

/** A key's validation parameter, if it has one (the shim answers undefined for none, whatever its type says). */
async function validationParameter(ctx: Context, key: string): Promise<Uint8Array | undefined> {
  const parameter = (await ctx.stub.getStateValidationParameter(key)) as Uint8Array | undefined;
  return parameter === undefined || parameter.length === 0 ? undefined : parameter;
}

/** The organisations whose peers the registry's key-level policy names (none before 1.12's protection). */
async function registryPolicyOrgs(ctx: Context): Promise<string[]> {
  const parameter = await validationParameter(ctx, networkKey(ctx));
  return parameter ? new KeyEndorsementPolicy(parameter).listOrgs() : [];
}

/** An `org` key's value written as the registry writes it, for the keys protectRegistry finds. */
const StoredOrganisation = z.strictObject({
  mspId: MspId,
  role: z.enum(ORG_ROLES),
  name: z.string(),
}) satisfies z.ZodType<OrganisationRecord>;

function organisationOrUndefined(bytes: Uint8Array): OrganisationRecord | undefined {
  const parsed = StoredOrganisation.safeParse(fromBytesOrUndefined(bytes));
  return parsed.success ? parsed.data : undefined;
}
