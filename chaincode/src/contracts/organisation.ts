import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { fromBytes } from '../domain/canonical';
import { parseNetworkConfig, type OrgRole } from '../domain/collections';
import { isOrgRole } from '../domain/roles';
import {
  KeyType,
  emitEvent,
  getNetwork,
  identityOf,
  isGovernanceIdentity,
  listByPartialKey,
  networkKey,
  orgKey,
  putJson,
  readJson,
  result,
  txTime,
  type NetworkRecord,
  type OrganisationRecord,
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
    await putJson(ctx, networkKey(ctx), network);
    const organisations = config.organisations.map((o): OrganisationRecord => ({
      mspId: o.mspId,
      role: o.role,
      name: o.name,
    }));
    for (const org of organisations) await putJson(ctx, orgKey(ctx, org.mspId), org);
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
    await putJson(ctx, orgKey(ctx, mspId), org);
    emitEvent(ctx, 'OrganisationSet', { mspId, role });
    return result(org);
  }

  @Transaction()
  @Returns('string')
  public async removeOrganisation(ctx: Context, mspId: string): Promise<string> {
    const network = await this.requireGovernance(ctx, 'removeOrganisation');
    if (mspId === network.customsMspId)
      throw new Error(`the customs organisation ${mspId} cannot be removed`);
    const key = orgKey(ctx, mspId);
    if (!(await readJson<OrganisationRecord>(ctx, key)))
      throw new Error(`organisation ${mspId} is not registered`);
    await ctx.stub.deleteState(key);
    emitEvent(ctx, 'OrganisationRemoved', { mspId });
    return result({ mspId, removed: true });
  }

  @Transaction(false)
  @Returns('string')
  public async getOrganisation(ctx: Context, mspId: string): Promise<string> {
    const org = await readJson<OrganisationRecord>(ctx, orgKey(ctx, mspId));
    if (!org) throw new Error(`organisation ${mspId} is not registered`);
    return result(org);
  }

  @Transaction(false)
  @Returns('string')
  public async listOrganisations(ctx: Context): Promise<string> {
    const network = await getNetwork(ctx);
    const organisations = await listByPartialKey<OrganisationRecord>(ctx, KeyType.org, []);
    return result({
      channel: network.channel,
      customsMspId: network.customsMspId,
      governanceMspIds: network.governanceMspIds,
      organisations,
    });
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
