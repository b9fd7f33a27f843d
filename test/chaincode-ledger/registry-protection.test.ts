/**
 * A registry initialised before chaincode 1.12 has no key-level policy: opening its ledger puts it
 * under one (org:protectRegistry, as customs' gateway does at start), after which two trader peers
 * can no longer change it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import { writeAsBefore112 } from '../support/ledger-before-1.12.js';
import { openTestNetwork, type TestNetwork } from '../support/network.js';

let net: TestNetwork;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'registry-before-1.12-'));
  await writeAsBefore112(dataDir, { unprotectedRegistry: true });
  net = await openTestNetwork(dataDir);
});
afterAll(async () => {
  await net?.close();
});

describe('a registry from before chaincode 1.12', () => {
  it('is put under the governance organisations’ peers when its ledger opens, and keeps its content', async () => {
    const registry = (await net.evaluate('customs', 'org:listOrganisations')) as {
      organisations: { mspId: string; role: string }[];
      protectedBy: string[];
    };
    expect(registry.protectedBy).toEqual(['CustomsMSP']);
    expect(registry.organisations).toContainEqual(
      expect.objectContaining({ mspId: 'PostMSP', role: 'post' }),
    );
    const forged = await net.ledger.endorse(net.users.governance!, 'org:setOrganisation', {
      arguments: ['PostMSP', 'platform', 'Post as platform'],
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    expect((await (await forged.submit()).getStatus()).code).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await net.evaluate('customs', 'org:listOrganisations')).toEqual(registry);
  });

  it('protecting it again is for governance, and changes nothing', async () => {
    const before = await net.evaluate('customs', 'org:listOrganisations');
    expect(await net.outcome(net.submit('platformA', 'org:protectRegistry'))).toMatch(
      /^protectRegistry requires a governance identity/,
    );
    expect(await net.submit('governance', 'org:protectRegistry')).toEqual({
      protectedBy: ['CustomsMSP'],
      keys: expect.any(Number),
    });
    expect(await net.evaluate('customs', 'org:listOrganisations')).toEqual(before);
  });
});
