/**
 * A registry initialised before chaincode 1.12 has no key-level policy: opening its ledger puts it
 * under one (org:protectRegistry, as the gateway does when it opens the embedded ledger), after which
 * two trader peers can no longer change it, and keys the registry never wrote are no registrations.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import { writeAsBefore112 } from '../support/ledger-before-1.12.js';
import { openTestNetwork, type TestNetwork } from '../support/network.js';

const REGISTERED = [
  'AuditorMSP',
  'CustomsMSP',
  'ExpressMSP',
  'PaymentMSP',
  'PlatformAMSP',
  'PlatformBMSP',
  'PostMSP',
];

interface Registry {
  organisations: { mspId: string; role: string }[];
  protectedBy: string[];
}

let net: TestNetwork;
const registry = async () => (await net.evaluate('customs', 'org:listOrganisations')) as Registry;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'registry-before-1.12-'));
  await writeAsBefore112(dataDir, {
    unprotectedRegistry: true,
    // Keys the registry never wrote: one under a policy of a trader's own, one not an organisation.
    orgKeys: [
      {
        mspId: 'PlantedMSP',
        raw: JSON.stringify({ mspId: 'PlantedMSP', role: 'auditor', name: 'Planted' }),
        policyOf: 'PostMSP',
      },
      { mspId: 'JunkMSP', raw: 'not json' },
    ],
  });
  net = await openTestNetwork(dataDir);
});
afterAll(async () => {
  await net?.close();
});

describe('a registry from before chaincode 1.12', () => {
  it('is put under the governance organisations’ peers when its ledger opens, with the organisations it registered', async () => {
    const before = await registry();
    expect(before.protectedBy).toEqual(['CustomsMSP']);
    expect(before.organisations.map((o) => o.mspId).sort()).toEqual(REGISTERED);
    expect(await net.outcome(net.evaluate('customs', 'org:getOrganisation', ['PlantedMSP']))).toBe(
      'organisation PlantedMSP is not registered',
    );
    const forged = await net.ledger.endorse(net.users.governance!, 'org:setOrganisation', {
      arguments: ['PostMSP', 'platform', 'Post as platform'],
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    expect((await (await forged.submit()).getStatus()).code).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await registry()).toEqual(before);
  });

  it('protecting it again is for governance, names the keys the registry did not write, and changes nothing', async () => {
    const before = await registry();
    expect(await net.outcome(net.submit('platformA', 'org:protectRegistry'))).toMatch(
      /^protectRegistry requires a governance identity/,
    );
    const again = (await net.submit('governance', 'org:protectRegistry')) as {
      registered: string[];
      skipped: { mspId: string; reason: string }[];
    };
    expect([...again.registered].sort()).toEqual(REGISTERED);
    expect(again.skipped).toEqual([
      { mspId: 'JunkMSP', reason: 'malformed' },
      { mspId: 'PlantedMSP', reason: 'foreign_policy' },
    ]);
    expect(await registry()).toEqual(before);
  });
});

describe('an org key two trader peers running altered chaincode create on a protected registry', () => {
  it('commits, as a key new to the ledger is validated against "any two", but registers nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'registry-planted-'));
    // A 1.12 registry, then a key written alone, as the registry's own code would never write it.
    await writeAsBefore112(dataDir, {
      orgKeys: [
        { mspId: 'NeverMSP', raw: JSON.stringify({ mspId: 'NeverMSP', role: 'customs', name: 'Fake' }) },
      ],
    });
    const planted = await openTestNetwork(dataDir);
    try {
      expect(await planted.outcome(planted.evaluate('customs', 'org:getOrganisation', ['NeverMSP']))).toBe(
        'organisation NeverMSP is not registered',
      );
      const listed = (await planted.evaluate('customs', 'org:listOrganisations')) as Registry;
      expect(listed.organisations.map((o) => o.mspId).sort()).toEqual(REGISTERED);
    } finally {
      await planted.close();
    }
  });
});
