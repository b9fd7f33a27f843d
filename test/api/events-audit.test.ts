import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinStore } from '../../gateway/src/services/join-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { openingFrame, readSse } from '../support/sse.js';
import { gatewayStorePath, openGatewayStore } from '../../gateway/src/storage/gateway-store.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ AUDIT_ANCHOR_EVERY: '5', AUDIT_ANCHOR_SECONDS: '1' });
});
afterAll(async () => {
  await t?.close();
});

const readEvents = (user: string, count: number, lastEventId?: string, timeoutMs?: number) =>
  readSse(t, user, count, lastEventId, timeoutMs);

async function create(user: string, id: string): Promise<void> {
  const res = await t
    .as(user)
    .post('/v1/consignments', { consignmentId: id, originCountry: 'CN', destinationCountry: 'FR' });
  expect(res.status, res.text).toBe(201);
}

describe('Server-Sent Events', () => {
  it('resumes from Last-Event-ID with no loss and no duplicate, filtered by organisation', async () => {
    for (let i = 0; i < 4; i++) await create('platforma-operator', `EVA-${i}`);
    await create('platformb-operator', 'EVB-0');
    // Customs also sees its gateway install the default rule set and tariffs at start.
    const customsAll = await readEvents('customs-officer', 8);
    const created = customsAll
      .filter((e) => e.event === 'ConsignmentCreated')
      .map((e) => e.data.consignmentId);
    expect(created).toEqual(expect.arrayContaining(['EVA-0', 'EVA-1', 'EVA-2', 'EVA-3', 'EVB-0']));

    const first = await readEvents('platforma-operator', 2);
    expect(first.map((e) => e.data.consignmentId)).toEqual(['EVA-0', 'EVA-1']);
    // More events arrive while the client is away; it resumes where it stopped.
    await create('platforma-operator', 'EVA-4');
    const rest = await readEvents('platforma-operator', 3, first[1]!.id);
    expect(rest.map((e) => e.data.consignmentId)).toEqual(['EVA-2', 'EVA-3', 'EVA-4']);
    const ids = [...first, ...rest].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(JSON.stringify(rest)).not.toContain('EVB-0');
  });

  it('starts with the position it streams from, so a client that drops before any event misses nothing', async () => {
    const opening = await openingFrame(t, 'platforma-operator');
    const position = /^id: (\d+)$/m.exec(opening)?.[1];
    expect(opening.startsWith('retry: 2000\n'), opening).toBe(true);
    expect(position, opening).toBeDefined();
    // Committed while the client is away, before it has had a single event.
    await create('platforma-operator', 'EV-AWAY');
    const resumed = await readEvents('platforma-operator', 1, position);
    expect(resumed.map((e) => e.data.consignmentId)).toEqual(['EV-AWAY']);
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const res = await t.as('customs-officer').get('/v1/events', { 'Last-Event-ID': 'garbage' });
    expect(res.status).toBe(400);
  });

  it('after a restart, filters as before from the index kept in the gateway store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'events-restart-'));
    try {
      const first = await startTestGateway({}, dataDir);
      const createAs = async (user: string, id: string): Promise<void> => {
        const res = await first
          .as(user)
          .post('/v1/consignments', { consignmentId: id, originCountry: 'CN', destinationCountry: 'FR' });
        expect(res.status, res.text).toBe(201);
      };
      await createAs('platforma-operator', 'EVR-A0');
      await createAs('platformb-operator', 'EVR-B0');
      await createAs('platforma-operator', 'EVR-A1');
      const before = await readSse(first, 'platforma-operator', 2);
      expect(before.map((e) => e.data.consignmentId)).toEqual(['EVR-A0', 'EVR-A1']);
      await first.close();

      const store = await openGatewayStore(gatewayStorePath(dataDir));
      const saved = await new JoinStore(store).checkpoint();
      await store.close();
      expect(saved?.nextBlock).toBeGreaterThan(0n);

      const second = await startTestGateway({}, dataDir);
      try {
        const res = await second.as('platformb-operator').post('/v1/consignments', {
          consignmentId: 'EVR-B1',
          originCountry: 'CN',
          destinationCountry: 'FR',
        });
        expect(res.status, res.text).toBe(201);
        // Waits long enough to see EVR-B1 if it were let through.
        const after = await readSse(second, 'platforma-operator', 3, undefined, 2_000);
        expect(after).toEqual(before);
        const platformB = await readSse(second, 'platformb-operator', 2);
        expect(platformB.map((e) => e.data.consignmentId)).toEqual(['EVR-B0', 'EVR-B1']);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('audit log', () => {
  it('records every request, refused ones too, and proves inclusion and consistency', async () => {
    await t.as('platforma-operator').get('/v1/consignments/EVA-0');
    await t
      .as('platforma-operator')
      .post('/v1/consignments/EVA-0/decision', { decision: 'release', reasonCodes: [] });
    const auditor = t.as('auditor');
    const head = await auditor.get<{ treeSize: number; rootHash: string }>('/v1/audit/tree-head');
    expect(head.status, head.text).toBe(200);
    expect(head.body.treeSize).toBeGreaterThan(5);
    const entries = await auditor.get<{
      entries: { index: number; outcome: number; route: string; user: string }[];
    }>(`/v1/audit/entries?from=0&limit=1000`);
    expect(entries.status, entries.text).toBe(200);
    const refused = entries.body.entries.find(
      (e) => e.outcome === 403 && e.route === '/v1/consignments/{id}/decision',
    );
    expect(refused).toMatchObject({ user: 'platforma-operator' });
    const proof = await auditor.get<{ rootHash: string }>(
      `/v1/audit/proofs/inclusion?index=${refused!.index}&treeSize=${head.body.treeSize}`,
    );
    expect(proof.status, proof.text).toBe(200);
    expect(proof.body.rootHash).toBe(head.body.rootHash);
    const consistency = await auditor.get(`/v1/audit/proofs/consistency?from=2&to=${head.body.treeSize}`);
    expect(consistency.status, consistency.text).toBe(200);
  });
});
