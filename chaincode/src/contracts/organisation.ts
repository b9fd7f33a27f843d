import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';

import { fromBytes } from '../domain/canonical';
import { parseNetworkConfig, type OrgRole } from '../domain/collections';
import { isOrgRole } from '../domain/roles';
import {
  KeyType,
  emitEvent,
  getNetwork,
  identityOf,
  isGovernanceIdentity,
  isRegistered,
  listByPartialKey,
  networkKey,
  orgKey,
  putJson,
  readJson,
  readOrganisation,
  result,
  txTime,
  type NetworkRecord,
  type OrganisationRecord,
  type RegistryEntry,
  type RemovedOrganisationRecord,
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
    emitEvent(ctx, 'OrganisationSet', { mspId, role });
    return result(org);
  }

  @Transaction()
  @Returns('string')
  public async removeOrganisation(ctx: Context, mspId: string): Promise<string> {
    const network = await this.requireGovernance(ctx, 'removeOrganisation');
    if (mspId === network.customsMspId)
      throw new Error(`the customs organisation ${mspId} cannot be removed`);
    if (!(await readOrganisation(ctx, mspId))) throw new Error(`organisation ${mspId} is not registered`);
    const removed: RemovedOrganisationRecord = {
      mspId,
      removed: true,
      removedAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    await putRegistryEntry(ctx, orgKey(ctx, mspId), removed, network);
    emitEvent(ctx, 'OrganisationRemoved', { mspId });
    return result({ mspId, removed: true });
  }

  @Transaction(false)
  @Returns('string')
  public async getOrganisation(ctx: Context, mspId: string): Promise<string> {
    const org = await readOrganisation(ctx, mspId);
    if (!org) throw new Error(`organisation ${mspId} is not registered`);
    return result(org);
  }

  @Transaction(false)
  @Returns('string')
  public async listOrganisations(ctx: Context): Promise<string> {
    const network = await getNetwork(ctx);
    const entries = await listByPartialKey<RegistryEntry>(ctx, KeyType.org, []);
    return result({
      channel: network.channel,
      customsMspId: network.customsMspId,
      governanceMspIds: network.governanceMspIds,
      organisations: entries.filter(isRegistered),
      protectedBy: await registryPolicyOrgs(ctx),
    });
  }

  /**
   * Puts the registry's key-level policy on every registry key that lacks it: a registry initialised
   * before 1.12 has none (customs' gateway, on the embedded ledger, and network.sh deploy call this
   * when listOrganisations names no protectedBy). Rewriting keys that have it changes nothing. Under
   * "any two" while the keys lack it, under their policy once they have it.
   */
  @Transaction()
  @Returns('string')
  public async protectRegistry(ctx: Context): Promise<string> {
    const network = await this.requireGovernance(ctx, 'protectRegistry');
    await putRegistryEntry(ctx, networkKey(ctx), network, network);
    let keys = 1;
    for await (const { key, value } of ctx.stub.getStateByPartialCompositeKey(KeyType.org, [])) {
      if (value.length === 0) continue;
      await putRegistryEntry(ctx, key, fromBytes(value) as RegistryEntry, network);
      keys++;
    }
    return result({ protectedBy: [...network.governanceMspIds], keys });
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
 * Writes a registry key under the registry's key-level policy: a peer of every governance
 * organisation must endorse its next change. Without it the chaincode's "any two" would let two
 * other organisations' peers running altered chaincode rewrite the registry (a role, customs' MSP id),
 * which every permission check reads. A key new to the ledger is still validated against "any two"
 * (FABRIC-SEMANTICS 11a): the policy guards the keys the registry has.
 */
async function putRegistryEntry(
  ctx: Context,
  key: string,
  value: NetworkRecord | RegistryEntry,
  network: Pick<NetworkRecord, 'governanceMspIds'>,
): Promise<void> {
  await putJson(ctx, key, value);
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', ...network.governanceMspIds);
  await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
}

/** The organisations whose peers the registry's key-level policy names (none before 1.12's protection). */
async function registryPolicyOrgs(ctx: Context): Promise<string[]> {
  // The shim answers undefined for a key without metadata, though its type says bytes.
  const parameter = (await ctx.stub.getStateValidationParameter(networkKey(ctx))) as Uint8Array | undefined;
  return parameter === undefined || parameter.length === 0
    ? []
    : new KeyEndorsementPolicy(parameter).listOrgs();
}
