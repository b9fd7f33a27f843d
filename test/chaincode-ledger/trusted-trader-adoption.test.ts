/**
 * party:adoptTrustedTraders on a ledger from before chaincode 1.12, whose trusted-trader statuses
 * are on the public state: what it copies into customs' collection, what it leaves, and that it
 * runs once, for customs only.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustedTraderAdoption, TrustedTraderRecord } from '@customs-ledger/chaincode';
import { openTestNetwork, type TestNetwork } from '../support/network.js';
import { writeAsBefore112 } from '../support/ledger-before-1.12.js';

const ADOPTED = '1'.repeat(64);
const SET_SINCE = '2'.repeat(64);
const MALFORMED = '3'.repeat(64);
const WITHDRAWN = '4'.repeat(64);
const ANOTHER_PARTY = '6'.repeat(64);
const NOT_CUSTOMS = '7'.repeat(64);

interface TrustedTraders {
  trustedTraders: TrustedTraderRecord[];
  adoption: TrustedTraderAdoption | null;
}

let net: TestNetwork;
const statuses = async () => (await net.evaluate('customs', 'party:trustedTraders')) as TrustedTraders;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'adoption-'));
  await writeAsBefore112(dataDir, {
    trustedTraders: [
      { partyId: ADOPTED, trusted: true, reference: 'AEO-CN-0001' },
      { partyId: SET_SINCE, trusted: true, reference: 'AEO-CN-0002' },
      { partyId: MALFORMED, raw: '{"partyId":"not a status"' },
      { partyId: WITHDRAWN, trusted: false, reference: 'AEO-CN-0004' },
      // A status of another party under this party's key, and one in another organisation's name.
      {
        partyId: ANOTHER_PARTY,
        raw: JSON.stringify({
          partyId: ADOPTED,
          trusted: true,
          reference: 'AEO-CN-0006',
          setBy: 'CustomsMSP',
          setAt: '2026-01-01T00:00:00.000Z',
          txId: 'a'.repeat(64),
        }),
      },
      { partyId: NOT_CUSTOMS, trusted: true, reference: 'AEO-CN-0007', setBy: 'PlatformAMSP' },
    ],
  });
  net = await openTestNetwork(dataDir);
  // Customs withdrew one status after the upgrade, before customs' gateway adopted them.
  await net.submit('platformA', 'party:register', [SET_SINCE, 'seller', 'verified'], {
    name: 'Seller Since',
    document: { type: 'tax_id', number: 'CN-SINCE', country: 'CN' },
  });
  await net.submit('customs', 'party:setTrustedTrader', [SET_SINCE, 'false', 'AEO-CN-0002-W']);
});
afterAll(async () => {
  await net?.close();
});

describe('adopting the public trusted-trader statuses of before 1.12', () => {
  it('is for customs; others are refused and nothing is copied', async () => {
    for (const user of ['platformA', 'post', 'auditor']) {
      expect(await net.outcome(net.submit(user, 'party:adoptTrustedTraders'))).toMatch(
        /^setTrustedTrader is not allowed for \w+MSP/,
      );
      expect(await net.outcome(net.evaluate(user, 'party:trustedTraders'))).toMatch(
        /^readTrustedTraders is not allowed for \w+MSP/,
      );
    }
    expect(await statuses()).toEqual({
      trustedTraders: [expect.objectContaining({ partyId: SET_SINCE, trusted: false })],
      adoption: null,
    });
  });

  it('copies each status 1.11 wrote, withdrawn ones too, and leaves one customs set since, and any other record', async () => {
    const adoption = (await net.submit('customs', 'party:adoptTrustedTraders')) as TrustedTraders['adoption'];
    expect(adoption).toMatchObject({
      adopted: [ADOPTED, WITHDRAWN],
      skipped: [
        { partyId: SET_SINCE, reason: 'already_set' },
        { partyId: MALFORMED, reason: 'malformed' },
        { partyId: ANOTHER_PARTY, reason: 'malformed' },
        { partyId: NOT_CUSTOMS, reason: 'not_set_by_customs' },
      ],
      adoptedBy: 'CustomsMSP',
    });
    const { trustedTraders, adoption: kept } = await statuses();
    expect(kept).toEqual(adoption);
    expect(trustedTraders).toEqual([
      expect.objectContaining({
        partyId: ADOPTED,
        trusted: true,
        reference: 'AEO-CN-0001',
        adoptedTxId: adoption!.txId,
      }),
      expect.objectContaining({ partyId: SET_SINCE, trusted: false, reference: 'AEO-CN-0002-W' }),
      expect.objectContaining({
        partyId: WITHDRAWN,
        trusted: false,
        reference: 'AEO-CN-0004',
        adoptedTxId: adoption!.txId,
      }),
    ]);
    expect(trustedTraders[1]).not.toHaveProperty('adoptedTxId');
  });

  it('runs once: a second adoption is refused and changes nothing', async () => {
    const before = await statuses();
    const height = net.ledger.height();
    expect(await net.outcome(net.submit('customs', 'party:adoptTrustedTraders'))).toBe(
      `trusted-trader statuses were adopted from the public state already, by ${before.adoption!.txId}`,
    );
    expect(net.ledger.height()).toBe(height);
    expect(await statuses()).toEqual(before);
  });
});
