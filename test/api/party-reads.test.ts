/**
 * A party's personal data over HTTP: customs' watch-list note, set by an officer and read for a
 * purpose, and a platform's registration of the party, read by that platform and by customs. Each
 * read leaves one entry on the party's access log; a refused one leaves none. A watch-listed seller
 * makes customs' next automatic assessment of its consignment carry WATCHLISTED_SELLER.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/access-log.js';
import { assessmentWithDeclaration, parcelToFrance, startCustomsTestGateway } from '../support/parcel.js';
import type { ApiResponse, TestGateway } from '../support/gateway.js';
import { SELLER_ID } from '../support/payloads.js';

let t: TestGateway;
const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();

beforeAll(async () => {
  t = await startCustomsTestGateway(`party-reads-${RUN}`);
});
afterAll(async () => {
  await t?.close();
});

const newPartyId = () => randomBytes(32).toString('hex');

function refused(res: ApiResponse<unknown>, status: number, detail?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (detail) expect((res.body as { detail: string }).detail).toMatch(detail);
}

interface WatchListRead {
  note: { partyId: string; watchlisted: boolean; reasonCode: string; flaggedBy: string; txId: string } | null;
  accessTxId: string;
}
const setNote = (partyId: string, note: unknown, user = OFFICER) =>
  t.as(user).post<{ txId: string }>(`/v1/parties/${partyId}/watch-list`, note);
const readNote = (partyId: string, purpose = 'risk_assessment', user = OFFICER) =>
  t.as(user).get<WatchListRead>(`/v1/parties/${partyId}/watch-list?purpose=${purpose}`);

describe('customs’ watch-list note on a party', () => {
  const partyId = newPartyId();

  it('is set by an officer, read back for a purpose, and that read is on the party’s access log', async () => {
    const set = await setNote(partyId, { watchlisted: true, reasonCode: 'REPEAT_UNDERVALUATION' });
    expect(set.status, set.text).toBe(201);
    expect(set.headers.get('x-transaction-id')).toBe(set.body.txId);

    const read = await readNote(partyId, 'risk_assessment');
    expect(read.status, read.text).toBe(200);
    expect(read.body.note).toMatchObject({
      partyId,
      watchlisted: true,
      reasonCode: 'REPEAT_UNDERVALUATION',
      flaggedBy: 'CustomsMSP',
      txId: set.body.txId,
    });
    for (const user of [OFFICER, 'auditor']) {
      expect(await accessLog(t, 'party', partyId, user)).toEqual([
        expect.objectContaining({
          subjectType: 'party',
          subjectId: partyId,
          recordKind: 'flag',
          purpose: 'risk_assessment',
          mspId: 'CustomsMSP',
          userId: expect.stringMatching(/CN=customs-officer\b/),
          txId: read.body.accessTxId,
        }),
      ]);
    }
  });

  it('is cleared by the next note, and a party never noted reads as null (still logged)', async () => {
    const cleared = await setNote(partyId, { watchlisted: false, reasonCode: 'REVIEWED' });
    expect(cleared.status, cleared.text).toBe(201);
    const read = await readNote(partyId, 'legal_request');
    expect(read.body.note).toMatchObject({
      watchlisted: false,
      reasonCode: 'REVIEWED',
      txId: cleared.body.txId,
    });
    expect((await accessLog(t, 'party', partyId)).map((e) => e.purpose)).toEqual([
      'risk_assessment',
      'legal_request',
    ]);

    const unknown = newPartyId();
    const none = await readNote(unknown);
    expect(none.status, none.text).toBe(200);
    expect(none.body.note).toBeNull();
    expect((await accessLog(t, 'party', unknown)).map((e) => e.txId)).toEqual([none.body.accessTxId]);
  });

  it('is refused to all but customs’ officers, and for a purpose customs lacks, recording nothing', async () => {
    const before = await accessLog(t, 'party', partyId);
    for (const user of [PLATFORM, 'customs-service', 'customs-governance', 'auditor']) {
      refused(await readNote(partyId, 'audit', user), 403);
      refused(await setNote(partyId, { watchlisted: true, reasonCode: 'X' }, user), 403);
    }
    refused(await readNote(partyId, 'delivery'), 403, /purpose 'delivery' is not allowed for role customs/);
    refused(await readNote(partyId, 'curiosity'), 400);
    refused(await t.as(OFFICER).get(`/v1/parties/${partyId}/watch-list`), 400);
    refused(await setNote(partyId, { watchlisted: 'yes', reasonCode: 'X' }), 400);
    refused(await setNote(partyId, { watchlisted: true, reasonCode: 'lower case' }), 400);
    refused(await setNote('NOT-A-PARTY', { watchlisted: true, reasonCode: 'X' }), 400);
    expect(await accessLog(t, 'party', partyId)).toEqual(before);
    expect((await readNote(partyId)).body.note).toMatchObject({ watchlisted: false, reasonCode: 'REVIEWED' });
  });
});

describe('a watch-listed seller', () => {
  interface Assessment {
    releasable?: boolean;
    risk?: { reasons: { code: string }[] };
  }
  const reasons = async (id: string) => {
    const res = await assessmentWithDeclaration<Assessment>(t, id);
    expect(res.status, res.text).toBe(200);
    return { releasable: res.body.releasable, codes: res.body.risk!.reasons.map((r) => r.code) };
  };

  it('makes customs’ next automatic assessment of a consignment from that seller carry the watch-list reason', async () => {
    const before = `WATCH-BEFORE-${RUN}`;
    await parcelToFrance(t, before);
    expect((await reasons(before)).codes).not.toContain('WATCHLISTED_SELLER');

    const set = await setNote(SELLER_ID, { watchlisted: true, reasonCode: 'COUNTERFEIT_GOODS' });
    expect(set.status, set.text).toBe(201);
    const after = `WATCH-AFTER-${RUN}`;
    await parcelToFrance(t, after);
    const assessed = await reasons(after);
    expect(assessed.codes).toContain('WATCHLISTED_SELLER');
    expect(assessed.releasable).toBe(false);
  });
});

describe('a platform’s registration of a party', () => {
  interface RegistrationRead {
    registration: { partyId: string; kind: string; registeredBy: string; txId: string };
    payload: Record<string, unknown>;
    accessTxId: string;
  }
  const person = {
    name: `Regina Lecteur ${RUN}`,
    document: { type: 'passport', number: `RL${RUN}`, country: 'FR' },
    address: { line1: '3 rue des Lecteurs', city: 'Lyon', postcode: '69002', country: 'FR' },
  };
  let partyId: string;
  let registrationTxId: string;
  const read = (user: string, purpose: string, platform = 'PlatformAMSP', id = partyId) =>
    t.as(user).get<RegistrationRead>(`/v1/parties/${id}/registrations/${platform}?purpose=${purpose}`);

  beforeAll(async () => {
    const res = await t.as(PLATFORM).post<{ partyId: string; txId: string }>('/v1/parties', {
      kind: 'buyer',
      verificationLevel: 'verified',
      party: person,
    });
    expect(res.status, res.text).toBe(201);
    partyId = res.body.partyId;
    registrationTxId = res.body.txId;
  });

  it('is read by its platform for a purpose, less what the purpose does not need', async () => {
    const res = await read(PLATFORM, 'return_processing');
    expect(res.status, res.text).toBe(200);
    expect(res.body.registration).toMatchObject({
      partyId,
      kind: 'buyer',
      registeredBy: 'PlatformAMSP',
      txId: registrationTxId,
    });
    expect(res.body.payload).toEqual({ name: person.name, address: person.address });
    expect(res.text).not.toContain(person.document.number);
    const audit = await read(PLATFORM, 'audit');
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.payload).toEqual({});
  });

  it('is read whole by customs for a risk assessment', async () => {
    const res = await read(OFFICER, 'risk_assessment');
    expect(res.status, res.text).toBe(200);
    expect(res.body.payload).toEqual(person);
  });

  it('puts each read on the party’s access log, with its purpose and user, for customs and the auditor', async () => {
    const expected = [
      ['PlatformAMSP', /CN=platforma-operator\b/, 'return_processing'],
      ['PlatformAMSP', /CN=platforma-operator\b/, 'audit'],
      ['CustomsMSP', /CN=customs-officer\b/, 'risk_assessment'],
    ] as const;
    for (const user of [OFFICER, 'auditor']) {
      const log = await accessLog(t, 'party', partyId, user);
      expect(log).toEqual(
        expected.map(([mspId, userId, purpose]) =>
          expect.objectContaining({
            recordKind: 'party',
            recordTxId: registrationTxId,
            mspId,
            userId: expect.stringMatching(userId),
            purpose,
          }),
        ),
      );
    }
    // A registrant sees its own reads: customs' would tell it that customs looked at the person.
    expect((await accessLog(t, 'party', partyId, PLATFORM)).map((e) => e.purpose)).toEqual([
      'return_processing',
      'audit',
    ]);
  });

  it('is refused to another platform as one that does not exist, and to roles outside its collection, recording nothing', async () => {
    const before = await accessLog(t, 'party', partyId);
    const other = await read('platformb-operator', 'dispute_resolution');
    refused(other, 404);
    const missing = await read('platformb-operator', 'dispute_resolution', 'PlatformAMSP', 'f'.repeat(64));
    expect(other.text.replaceAll(partyId, '{id}')).toBe(missing.text.replaceAll('f'.repeat(64), '{id}'));
    refused(await read(OFFICER, 'risk_assessment', 'PlatformBMSP'), 404, /not registered by PlatformBMSP/);
    for (const user of [
      'payment-operator',
      'post-operator',
      'auditor',
      'customs-service',
      'customs-governance',
    ]) {
      refused(await read(user, 'audit'), 403);
    }
    refused(await read(PLATFORM, 'risk_assessment'), 403, /purpose 'risk_assessment' is not allowed/);
    refused(await read(PLATFORM, 'curiosity'), 400);
    refused(await read(PLATFORM, 'audit', 'Platform A'), 400);
    expect(await accessLog(t, 'party', partyId)).toEqual(before);
  });

  it('answers 410 once the platform erased it, for the platform and for customs, recording nothing', async () => {
    const erased = await t.as(PLATFORM).post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' });
    expect(erased.status, erased.text).toBe(201);
    const before = await accessLog(t, 'party', partyId);
    refused(await read(PLATFORM, 'dispute_resolution'), 410);
    refused(await read(OFFICER, 'legal_request'), 410);
    expect(await accessLog(t, 'party', partyId)).toEqual(before);
  });
});

describe('the purposes a user may state, as GET /v1/me lists them', () => {
  const purposesOf = async (user: string): Promise<string[]> => {
    const res = await t.as(user).get<{ purposes: string[] }>('/v1/me');
    expect(res.status, res.text).toBe(200);
    return res.body.purposes;
  };

  it('are each accepted for a read, and a purpose not listed is refused', async () => {
    const partyId = newPartyId();
    const listed = await purposesOf(OFFICER);
    expect(listed).toEqual(['risk_assessment', 'revenue_assessment', 'clearance', 'legal_request', 'audit']);
    for (const purpose of listed) expect((await readNote(partyId, purpose)).status).toBe(200);
    refused(await readNote(partyId, 'delivery'), 403);
  });

  it('are none for user roles that read no personal data, whose reads are refused', async () => {
    expect(await purposesOf('customs-service')).toEqual([]);
    refused(await readNote(newPartyId(), 'risk_assessment', 'customs-service'), 403);
  });

  it('follow the organisation’s role', async () => {
    expect(await purposesOf(PLATFORM)).toEqual([
      'return_processing',
      'dispute_resolution',
      'audit',
      'data_subject_request',
    ]);
    expect(await purposesOf('post-operator')).toEqual(['delivery', 'return_processing', 'audit']);
    expect(await purposesOf('auditor')).toEqual(['audit']);
  });
});
