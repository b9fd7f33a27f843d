import { verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import { verifyConsistency } from '../../gateway/src/audit/merkle.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * An auditor online checks the gateway's audit log against the ledger's anchors of it
 * (GET /v1/audit/anchors, /latest), not against the gateway's word: the latest anchor is signed by
 * the gateway's audit signer, and the current tree head extends it (RFC 6962 consistency proof).
 */

interface Anchor {
  gatewayMspId: string;
  logId: string;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  signature: string;
  signerId: string;
  txId: string;
  anchoredAt: string;
  block: number | null;
}
interface Anchors {
  gatewayMspId: string;
  logId: string;
  anchors: Anchor[];
  next: number | null;
}

interface TreeHead {
  logId: string;
  treeSize: number;
  rootHash: string;
  signerCertificate: string;
}

let t: TestGateway;
beforeAll(async () => {
  // An anchor every 2 entries, checked each second.
  t = await startTestGateway({ AUDIT_ANCHOR_EVERY: '2', AUDIT_ANCHOR_SECONDS: '1' });
});
afterAll(async () => {
  await t?.close();
});

const hashes = (hex: readonly string[]) => hex.map((h) => Buffer.from(h, 'hex'));

describe('GET /v1/audit/anchors', () => {
  it("lists the ledger's anchors of the log, which the current tree head is proved to extend", async () => {
    const auditor = t.as('auditor');
    for (let i = 0; i < 6; i++) expect((await auditor.get('/v1/me')).status).toBe(200);
    let listed: Anchors | undefined;
    await vi.waitFor(
      async () => {
        const res = await auditor.get<Anchors>('/v1/audit/anchors');
        expect(res.status, res.text).toBe(200);
        expect(res.body.anchors.length).toBeGreaterThanOrEqual(2);
        listed = res.body;
      },
      { timeout: 20_000, interval: 200 },
    );
    const head = (await auditor.get<TreeHead>('/v1/audit/tree-head')).body;
    expect(listed!).toMatchObject({ gatewayMspId: 'CustomsMSP', logId: head.logId, next: null });
    const sizes = listed!.anchors.map((a) => a.treeSize);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    const latest = listed!.anchors.at(-1)!;
    expect(latest).toMatchObject({ gatewayMspId: 'CustomsMSP', logId: head.logId });
    expect(latest.txId).toMatch(/^[0-9a-f]{64}$/);
    expect(latest.block).toEqual(expect.any(Number));

    // Signed by the same identity as the gateway's tree heads.
    const certificate = new X509Certificate(head.signerCertificate);
    expect(
      verify(
        'sha256',
        auditTreeHeadMessage(latest),
        certificate.publicKey,
        Buffer.from(latest.signature, 'base64'),
      ),
    ).toBe(true);

    // The current head extends the anchored one: a proof from the anchored size to the head's.
    expect(head.treeSize).toBeGreaterThan(latest.treeSize);
    const proof = await auditor.get<{ proof: string[]; fromRoot: string; toRoot: string }>(
      `/v1/audit/proofs/consistency?from=${latest.treeSize}&to=${head.treeSize}`,
    );
    expect(proof.status, proof.text).toBe(200);
    expect(
      verifyConsistency(
        latest.treeSize,
        head.treeSize,
        Buffer.from(latest.rootHash, 'hex'),
        Buffer.from(head.rootHash, 'hex'),
        hashes(proof.body.proof),
      ),
    ).toBe(true);
    // A root the ledger does not hold fails the same proof.
    expect(
      verifyConsistency(
        latest.treeSize,
        head.treeSize,
        Buffer.from('ab'.repeat(32), 'hex'),
        Buffer.from(head.rootHash, 'hex'),
        hashes(proof.body.proof),
      ),
    ).toBe(false);
  }, 60_000);

  it('pages by tree size', async () => {
    const all = (await t.as('customs-officer').get<Anchors>('/v1/audit/anchors')).body.anchors;
    expect(all.length).toBeGreaterThanOrEqual(2);
    const first = await t.as('customs-officer').get<Anchors>('/v1/audit/anchors?limit=1');
    expect(first.body.anchors).toEqual([all[0]]);
    expect(first.body.next).toBe(all[0]!.treeSize);
    const second = await t
      .as('customs-officer')
      .get<Anchors>(`/v1/audit/anchors?limit=1&after=${first.body.next}`);
    expect(second.body.anchors).toEqual([all[1]]);
    const past = await t
      .as('customs-officer')
      .get<Anchors>(`/v1/audit/anchors?after=${all.at(-1)!.treeSize}`);
    expect(past.body).toMatchObject({ anchors: [], next: null });
  });

  it('answers the latest anchor alone, as the list holds it', async () => {
    const latest = await t
      .as('auditor')
      .get<{ logId: string; anchor: Anchor | null }>('/v1/audit/anchors/latest');
    expect(latest.status, latest.text).toBe(200);
    const anchor = latest.body.anchor!;
    expect(anchor.block).toEqual(expect.any(Number));
    // Anchoring goes on beside the test: the list is read from the latest's size on.
    const listed = await t
      .as('customs-officer')
      .get<Anchors>(`/v1/audit/anchors?after=${anchor.treeSize - 1}&limit=1`);
    expect(listed.body.anchors).toEqual([anchor]);
    expect(latest.body.logId).toBe(listed.body.logId);
  });

  it('answers auditors and customs only, and refuses a bad page', async () => {
    for (const path of ['/v1/audit/anchors', '/v1/audit/anchors/latest']) {
      expect((await t.as('platforma-operator').get(path)).status, path).toBe(403);
    }
    for (const query of ['limit=0', 'limit=101', 'after=-1', 'after=x', 'logId=abc']) {
      const res = await t.as('auditor').get(`/v1/audit/anchors?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
