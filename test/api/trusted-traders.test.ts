/**
 * A seller's trusted-trader (AEO) status over HTTP since chaincode 1.12: kept in customs' own
 * collection, read by customs alone; on a ledger from before, the public statuses are adopted once
 * by customs' gateway at start, and public trusted-trader keys count for nothing after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustedTraderAdoption, TrustedTraderRecord } from '@customs-ledger/chaincode';
import { assessmentWithDeclaration, parcelToFrance, startCustomsTestGateway } from '../support/parcel.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { SELLER_ID } from '../support/payloads.js';
import { writeAsBefore112 } from '../support/ledger-before-1.12.js';

const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();

interface TrustedTraders {
  trustedTraders: TrustedTraderRecord[];
  adoption: TrustedTraderAdoption | null;
}
interface Assessment {
  risk: { reasons: { code: string }[] };
}

let dataDir: string;
let t: TestGateway;

const trustedTraders = async () => {
  const res = await t.as(OFFICER).get<TrustedTraders>('/v1/parties/trusted-traders');
  expect(res.status, res.text).toBe(200);
  return res.body;
};

/** The risk reason codes of a parcel of the demo seller, whose payment disagrees (an officer decides). */
const reasonsOfNewParcel = async (gateway: TestGateway, suffix: string) => {
  const id = `TT-${RUN}-${suffix}`;
  await parcelToFrance(gateway, id, 40);
  return (await assessmentWithDeclaration<Assessment>(gateway, id)).body.risk.reasons.map((r) => r.code);
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trusted-traders-'));
  // A ledger from before 1.12: the demo orders' seller holds a status on the public state.
  await writeAsBefore112(dataDir, {
    trustedTraders: [{ partyId: SELLER_ID, trusted: true, reference: 'AEO-CN-OLD-1' }],
  });
  t = await startCustomsTestGateway('api-trusted-traders-1', { dataDir });
});
afterAll(async () => {
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a ledger from before chaincode 1.12', () => {
  it('customs’ gateway adopted its public status at start, and the seller’s parcels are scored with it', async () => {
    const { trustedTraders: statuses, adoption } = await trustedTraders();
    expect(adoption).toMatchObject({ adopted: [SELLER_ID], skipped: [], adoptedBy: 'CustomsMSP' });
    expect(statuses).toEqual([
      expect.objectContaining({
        partyId: SELLER_ID,
        trusted: true,
        reference: 'AEO-CN-OLD-1',
        adoptedTxId: adoption!.txId,
      }),
    ]);
    expect(statuses[0]!.txId).not.toBe(adoption!.txId);
    expect(await reasonsOfNewParcel(t, '1')).toContain('TRUSTED_TRADER');
  });
});

describe('a public trusted-trader key written after the adoption', () => {
  it('counts for nothing: a status granted there by two peers other than customs’ is not listed, nor scored', async () => {
    const freshDir = await mkdtemp(join(tmpdir(), 'trusted-traders-forged-'));
    let g = await startCustomsTestGateway('api-trusted-traders-2', { dataDir: freshDir });
    try {
      const before = (await g.as(OFFICER).get<TrustedTraders>('/v1/parties/trusted-traders')).body;
      expect(before).toMatchObject({ trustedTraders: [], adoption: { adopted: [] } });
      await g.close();
      await writeAsBefore112(freshDir, {
        trustedTraders: [{ partyId: SELLER_ID, trusted: true, reference: 'FORGED-1' }],
      });
      g = await startTestGateway({}, freshDir);
      expect((await g.as(OFFICER).get<TrustedTraders>('/v1/parties/trusted-traders')).body).toEqual(before);
      expect(await reasonsOfNewParcel(g, 'FORGED')).not.toContain('TRUSTED_TRADER');
    } finally {
      await g.close();
      await rm(freshDir, { recursive: true, force: true });
    }
  });
});

describe('trusted-trader status', () => {
  let partyId: string;
  beforeAll(async () => {
    const res = await t.as(PLATFORM).post<{ partyId: string }>('/v1/parties', {
      kind: 'seller',
      verificationLevel: 'verified',
      party: { name: 'Ningbo Seller', document: { type: 'tax_id', number: `TT-${RUN}`, country: 'CN' } },
    });
    expect(res.status, res.text).toBe(201);
    partyId = res.body.partyId;
  });
  const party = async (user: string) => {
    const res = await t.as(user).get<{ trusted?: unknown }>(`/v1/parties/${partyId}`);
    expect(res.status, res.text).toBe(200);
    return res.body;
  };

  it('is refused to anyone but a deciding customs user, and to a malformed request, changing nothing', async () => {
    const before = await trustedTraders();
    for (const user of [PLATFORM, 'post-operator', 'auditor']) {
      expect((await t.as(user).get('/v1/parties/trusted-traders')).status).toBe(403);
    }
    const ok = { trusted: true, reference: 'AEO-CN-0001' };
    for (const user of [PLATFORM, 'auditor', 'customs-service']) {
      expect((await t.as(user).post(`/v1/parties/${partyId}/trusted-trader`, ok)).status).toBe(403);
    }
    const cases: [string, unknown, number, string][] = [
      ['f'.repeat(64), ok, 404, `party ${'f'.repeat(64)} is not registered`],
      [partyId, { trusted: true, reference: 'AEO CN\n1' }, 400, '/reference'],
      [partyId, { trusted: 'yes', reference: 'AEO-CN-0001' }, 400, '/trusted'],
    ];
    for (const [id, body, status, says] of cases) {
      const res = await t.as(OFFICER).post(`/v1/parties/${id}/trusted-trader`, body);
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.text).toContain(says);
    }
    expect(await trustedTraders()).toEqual(before);
  });

  it('customs sets it and reads it; the platform that registered the seller reads the party without it', async () => {
    expect(await party(OFFICER)).toMatchObject({ trusted: null });
    const granted = await t.as(OFFICER).post(`/v1/parties/${partyId}/trusted-trader`, {
      trusted: true,
      reference: 'AEO-CN-0001',
    });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.body).toMatchObject({
      partyId,
      trusted: true,
      reference: 'AEO-CN-0001',
      setBy: 'CustomsMSP',
    });
    expect(await party(OFFICER)).toMatchObject({ trusted: granted.body });
    expect((await trustedTraders()).trustedTraders).toContainEqual(granted.body);
    for (const user of [PLATFORM, 'auditor']) expect(await party(user)).not.toHaveProperty('trusted');
  });
});
