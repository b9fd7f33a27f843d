/**
 * Erasure of a party's personal data over HTTP: each holder erases the party's fields from the
 * records it submitted (the platform from its order, the payment provider and the carrier with
 * the platform's proof that the order names the party), and the platform the registration. Then
 * reads answer 410, the erasure marks and the commitments stay, disclosures of the fields kept
 * still verify, an erased field cannot be disclosed, and no file of the data directory holds any
 * of the erased values. Refusals: wrong role or organisation, a consignment still moving, a
 * retention period not yet run, an erasure repeated.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accessLog } from '../support/access-log.js';
import { filesContaining } from '../support/files.js';
import type { ApiResponse, TestGateway } from '../support/gateway.js';
import { startCustomsTestGateway } from '../support/parcel.js';
import {
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  SELLER_ID,
} from '../support/payloads.js';

const PLATFORM = 'platforma-operator';
const OFFICER = 'customs-officer';
const RUN = randomBytes(3).toString('hex').toUpperCase();

let t: TestGateway;
let n = 0;

/** Values that exist nowhere but in this buyer's records: what the file scan looks for. */
function buyer() {
  const tag = randomBytes(6).toString('hex');
  return {
    name: `Erasmus Vantablack ${tag}`,
    document: { type: 'passport', number: `EV${tag.toUpperCase()}`, country: 'FR' },
    street: `Impasse des Effacés ${tag}`,
    payer: `Payeur Oublié ${tag}`,
  };
}
type Buyer = ReturnType<typeof buyer>;
const controlValues = (b: Buyer) => [b.name, b.document.number, b.street, b.payer];

/** The statuses the OpenAPI document lists for a GET operation. */
async function documentedStatuses(path: string): Promise<string[]> {
  const openapi = (await (await fetch(`${t.gateway.url}/openapi.json`)).json()) as {
    paths: Record<string, { get: { responses: Record<string, unknown> } }>;
  };
  return Object.keys(openapi.paths[path]!.get.responses);
}

async function register(b: Buyer): Promise<string> {
  const res = await t.as(PLATFORM).post<{ partyId: string }>('/v1/parties', {
    kind: 'buyer',
    verificationLevel: 'verified',
    party: { name: b.name, document: b.document, address: { line1: b.street, city: 'Lyon', postcode: '69002', country: 'FR' } },
  }); // prettier-ignore
  expect(res.status, res.text).toBe(201);
  return res.body.partyId;
}

/** A consignment whose order, payment and logistics name the buyer; delivered unless `deliver` is false. */
async function consignment(partyId: string, b: Buyer, deliver = true): Promise<string> {
  const id = `ERA-${RUN}-${++n}`;
  const orderNumber = `ORD-${id}`;
  const consignee = { name: b.name, phone: '+33 6 00 00 00 00', address: { line1: b.street, city: 'Lyon', postcode: '69002', country: 'FR' } };
  const payment = paymentPayload(orderNumber, `PAY-${id}`);
  const steps: [string, string, unknown][] = [
    [PLATFORM, '', { consignmentId: id, orderNumber, trackingNumber: `RR${RUN}${n}EE`, paymentTransactionId: `PAY-${id}`, originCountry: 'CN', destinationCountry: 'FR' }],
    [PLATFORM, '/order', orderPayload(orderNumber, { buyer: { id: partyId, name: b.name, document: b.document }, consignee })],
    ['payment-operator', '/payment', { ...payment, payer: { ...payment.payer, name: b.payer } }],
    ['post-operator', '/logistics', { ...logisticsPayload(orderNumber, `RR${RUN}${n}EE`), consignee }],
    [PLATFORM, '/declaration', declarationPayload()],
  ]; // prettier-ignore
  for (const [user, path, body] of steps) {
    const res = await t.as(user).post(path === '' ? '/v1/consignments' : `/v1/consignments/${id}${path}`, body);
    expect(res.status, res.text).toBe(201);
  }
  if (!deliver) return id;
  const assessment = await t.as(OFFICER).post(`/v1/consignments/${id}/assessment`, undefined);
  expect(assessment.status, assessment.text).toBe(201);
  const release = await t.as(OFFICER).post(`/v1/consignments/${id}/decision`, { decision: 'release', reasonCodes: [] });
  expect(release.status, release.text).toBe(201);
  const delivered = await t.as('post-operator').post(`/v1/consignments/${id}/movements`, { type: 'delivered', location: 'FRLYS' });
  expect(delivered.status, delivered.text).toBe(201);
  return id;
} // prettier-ignore

const erase = (id: string, user: string, body: Record<string, unknown>) =>
  t
    .as(user)
    .post<{ erased: { recordKind: string; paths: string[] }[]; txId: string }>(
      `/v1/consignments/${id}/erasure`,
      { reason: 'erasure_request', reference: `DSR-${RUN}`, ...body },
    );

interface DisclosureResult {
  accessTxId: string;
  disclosure: { fields: { path: string; value: unknown }[] };
  [key: string]: unknown;
}
const disclose = (id: string, record: string, fields: string[], purpose = 'dispute_resolution') =>
  t.as(PLATFORM).post<DisclosureResult>(`/v1/consignments/${id}/disclosures`, { record, fields, purpose });

/** The platform's proof for another holder that the order names the party: what the erasure takes. */
async function orderProof(id: string, path = '/buyer/id', purpose = 'data_subject_request') {
  const made = await disclose(id, 'order', [path], purpose);
  expect(made.status, made.text).toBe(201);
  return { accessTxId: made.body.accessTxId, disclosure: made.body.disclosure };
}

function refused(res: ApiResponse<unknown>, status: number, detail: RegExp | string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect((res.body as { detail: string }).detail).toMatch(detail);
}

beforeAll(async () => {
  // Every parcel in the amber lane, so that customs' automatic pipeline never races the officer.
  t = await startCustomsTestGateway(`erasure-${RUN}`, { allAmber: true });
});
afterAll(async () => {
  vi.useRealTimers();
  await t?.close();
});

describe('a buyer’s erasure request, honoured by every holder', () => {
  const b = buyer();
  let partyId: string;
  let id: string;
  let before: DisclosureResult;

  beforeAll(async () => {
    partyId = await register(b);
    id = await consignment(partyId, b);
    const made = await disclose(id, 'order', ['/buyer/name', '/orderNumber']);
    expect(made.status, made.text).toBe(201);
    before = made.body;
  });

  it('finds the values in the data directory before the erasure (the scan can see them)', async () => {
    expect(await filesContaining(t.dataDir, controlValues(b))).not.toEqual([]);
  });

  it('erases the buyer’s fields from each holder’s records, and the registration', async () => {
    const platform = await erase(id, PLATFORM, { partyId });
    expect(platform.status, platform.text).toBe(201);
    expect(platform.body.erased).toEqual([
      {
        recordKind: 'order',
        paths: expect.arrayContaining(['/buyer/name', '/buyer/document/number', '/consignee/name', '/consignee/address/line1']),
      },
    ]); // prettier-ignore
    expect(platform.body.erased[0]!.paths).not.toContain('/buyer/id');

    const proof = await orderProof(id);
    const payment = await erase(id, 'payment-operator', { partyId, orderProof: proof });
    expect(payment.status, payment.text).toBe(201);
    expect(payment.body.erased).toEqual([
      { recordKind: 'payment', paths: expect.arrayContaining(['/payer/name']) },
    ]);
    const logistics = await erase(id, 'post-operator', { partyId, orderProof: proof });
    expect(logistics.status, logistics.text).toBe(201);
    expect(logistics.body.erased).toEqual([
      { recordKind: 'logistics', paths: expect.arrayContaining(['/consignee/address/line1']) },
    ]);

    const registration = await t
      .as(PLATFORM)
      .post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' });
    expect(registration.status, registration.text).toBe(201);
  });

  it('leaves no copy of the erased values in any file of the data directory', async () => {
    expect(await filesContaining(t.dataDir, controlValues(b))).toEqual([]);
  });

  it('answers reads of the erased records with 410, for the holder and for customs', async () => {
    for (const [user, record] of [
      [PLATFORM, 'order'],
      ['payment-operator', 'payment'],
      ['post-operator', 'logistics'],
      [OFFICER, 'order'],
    ] as const) {
      const res = await t.as(user).get(`/v1/consignments/${id}/details?record=${record}&purpose=audit`);
      refused(res, 410, new RegExp(`${record} record of consignment ${id} was erased .*erasure_request`));
    }
    expect(await documentedStatuses('/v1/consignments/{id}/details')).toContain('410');
  });

  it('keeps the commitments and the fact of the erasure public', async () => {
    const view = await t.as('auditor').get<{
      records: { kind: string; root: string }[];
      erasures: { recordKind: string; holder: string; root: string; erasedPaths: string[]; erasures: { reason: string; reference?: string }[] }[];
    }>(`/v1/consignments/${id}`); // prettier-ignore
    expect(view.status, view.text).toBe(200);
    expect(view.body.erasures.map((e) => `${e.recordKind}/${e.holder}`).sort()).toEqual([
      'logistics/PostMSP',
      'order/PlatformAMSP',
      'payment/PaymentMSP',
    ]);
    for (const mark of view.body.erasures) {
      expect(mark.root).toBe(view.body.records.find((r) => r.kind === mark.recordKind)!.root);
      expect(mark.erasures[0]).toMatchObject({ reason: 'erasure_request', reference: `DSR-${RUN}` });
    }
    const history = await t.as('auditor').get<{
      entries: { type: string; by: { mspId: string }; detail: { record: string; reason: string } }[];
    }>(`/v1/consignments/${id}/history`);
    const erased = history.body.entries.filter((e) => e.type === 'personal_data_erased');
    expect(erased.map((e) => `${e.detail.record}/${e.by.mspId}/${e.detail.reason}`).sort()).toEqual([
      'logistics/PostMSP/erasure_request',
      'order/PlatformAMSP/erasure_request',
      'payment/PaymentMSP/erasure_request',
    ]);
    const party = await t.as('auditor').get<{ erasures: { recordKind: string }[] }>(`/v1/parties/${partyId}`);
    expect(party.body.erasures.map((e) => e.recordKind)).toEqual(['party']);
    expect(JSON.stringify(view.body) + JSON.stringify(party.body)).not.toContain(b.name);
  });

  it('still verifies disclosures of the fields kept, and one made before the erasure', async () => {
    const kept = await disclose(id, 'order', ['/orderNumber', '/lines/0/hsCode', '/buyer/id']);
    expect(kept.status, kept.text).toBe(201);
    const verified = await t.as('auditor').post('/v1/verify', kept.body);
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ ok: true });
    const earlier = await t.as('auditor').post('/v1/verify', before);
    expect(earlier.body).toMatchObject({ ok: true });
  });

  it('refuses to disclose an erased field (400, naming it) and records no access for it', async () => {
    const log = async () => (await accessLog(t, 'consignment', id, PLATFORM)).length;
    const accesses = await log();
    refused(await disclose(id, 'order', ['/buyer/name']), 400, /field '\/buyer\/name' was erased/);
    refused(await t.as(PLATFORM).get(`/v1/consignments/${id}/details?record=order&purpose=audit`), 410, /was erased/);
    expect(await log()).toBe(accesses);
  }); // prettier-ignore

  it('refuses to erase again what is already erased (409)', async () => {
    refused(await erase(id, PLATFORM, { partyId }), 409, /left to erase \(already erased, or none of its fields are in them\)$/);
    refused(await t.as(PLATFORM).post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' }), 409, /left to erase/);
  }); // prettier-ignore

  it('erases the seller from the same order later, on top of the buyer’s erasure', async () => {
    const seller = await erase(id, PLATFORM, { partyId: SELLER_ID });
    expect(seller.status, seller.text).toBe(201);
    expect(seller.body.erased).toEqual([{ recordKind: 'order', paths: ['/seller/name'] }]);
    const view = await t.as(OFFICER).get<{ erasures: { recordKind: string; redactedVersion: number; erasedPaths: string[] }[] }>(`/v1/consignments/${id}`);
    const order = view.body.erasures.find((e) => e.recordKind === 'order')!;
    expect(order.redactedVersion).toBe(2);
    expect(order.erasedPaths).toEqual(expect.arrayContaining(['/buyer/name', '/seller/name']));
    const kept = await disclose(id, 'order', ['/seller/id', '/goodsValue']);
    expect(kept.status, kept.text).toBe(201);
    expect((await t.as('auditor').post('/v1/verify', kept.body)).body).toMatchObject({ ok: true });
    refused(await disclose(id, 'order', ['/seller']), 400, /field '\/seller\/name' was erased/);
  }); // prettier-ignore
});

describe('referral answers that name the buyer', () => {
  const b = buyer();
  // Two answers by the platform, one by the payment provider: each holder erases its own.
  const texts = {
    first: `Gift from ${b.name}, who asked for it to be sent to her sister.`,
    second: `${b.name} confirmed the price by phone on ${RUN}.`,
    payment: `Paid by ${b.payer} with a card ending ${RUN}.`,
  };
  let partyId: string;
  let id: string;
  const txIds: Record<keyof typeof texts, string> = { first: '', second: '', payment: '' };

  type AnswerView = {
    txId: string;
    answeredBy: string;
    erased?: { reason: string; txId: string };
  };
  const answers = async () =>
    (await t.as(OFFICER).get<{ referralAnswers: AnswerView[] }>(`/v1/customs/assessments/${id}`)).body
      .referralAnswers;
  const answerOf = async (key: keyof typeof texts) => (await answers()).find((a) => a.txId === txIds[key])!;
  /** Customs reads an answer's text as personal data: for a purpose, on the access log. */
  const read = (key: keyof typeof texts) =>
    t
      .as(OFFICER)
      .get<{ answer: { message: string } }>(
        `/v1/consignments/${id}/referral-answers/${txIds[key]}?purpose=risk_assessment`,
      );
  const textOf = async (key: keyof typeof texts) => {
    const res = await read(key);
    expect(res.status, res.text).toBe(200);
    return res.body.answer.message;
  };
  type Erased = { type: string; detail: { record: string; recordTxId?: string } };
  const erasedInHistory = async () =>
    (await t.as('auditor').get<{ entries: Erased[] }>(`/v1/consignments/${id}/history`)).body.entries
      .filter((e) => e.type === 'personal_data_erased')
      .map((e) => `${e.detail.record}${e.detail.recordTxId ? `:${e.detail.recordTxId}` : ''}`)
      .sort();

  beforeAll(async () => {
    partyId = await register(b);
    id = await consignment(partyId, b, false);
    const steps: [string, string, unknown, keyof typeof texts | undefined][] = [
      [OFFICER, '/assessment', undefined, undefined],
      [OFFICER, '/decision', { decision: 'refer', reasonCodes: ['REQUEST_INFORMATION'] }, undefined],
      [PLATFORM, '/referral-answer', { message: texts.first, documents: [{ type: 'invoice', reference: `INV-${RUN}` }] }, 'first'],
      [PLATFORM, '/referral-answer', { message: texts.second }, 'second'],
      ['payment-operator', '/referral-answer', { message: texts.payment }, 'payment'],
      [OFFICER, '/decision', { decision: 'release', reasonCodes: [] }, undefined],
      ['post-operator', '/movements', { type: 'delivered', location: 'FRLYS' }, undefined],
    ]; // prettier-ignore
    for (const [user, path, body, answer] of steps) {
      const res = await t.as(user).post<{ txId: string }>(`/v1/consignments/${id}${path}`, body);
      expect(res.status, res.text).toBe(201);
      if (answer) txIds[answer] = res.body.txId;
    }
  });

  it('are held whole before the erasure', async () => {
    expect((await answers()).map((a) => a.txId).sort()).toEqual(Object.values(txIds).sort());
    expect(await Promise.all((['first', 'second', 'payment'] as const).map(textOf))).toEqual(
      Object.values(texts),
    );
    expect(await filesContaining(t.dataDir, Object.values(texts))).not.toEqual([]);
  });

  it('go whole with their holder’s erasure of the buyer, each named by its transaction; the others’ stay', async () => {
    const platform = await erase(id, PLATFORM, { partyId });
    expect(platform.status, platform.text).toBe(201);
    expect(platform.body.erased).toHaveLength(3);
    expect(platform.body.erased).toEqual(expect.arrayContaining([
      { recordKind: 'order', paths: expect.arrayContaining(['/buyer/name']) },
      { recordKind: 'referral_answer', recordTxId: txIds.first, paths: expect.arrayContaining(['/message', '/documents/0/reference']) },
      { recordKind: 'referral_answer', recordTxId: txIds.second, paths: ['/documents', '/message'] },
    ])); // prettier-ignore
    // The name is still in the registration, which this erasure leaves; the answers' texts are gone.
    expect(await filesContaining(t.dataDir, [texts.first, texts.second])).toEqual([]);
    expect(await textOf('payment')).toBe(texts.payment);

    const payment = await erase(id, 'payment-operator', { partyId, orderProof: await orderProof(id) });
    expect(payment.status, payment.text).toBe(201);
    expect(payment.body.erased).toEqual([
      { recordKind: 'payment', paths: expect.arrayContaining(['/payer/name']) },
      { recordKind: 'referral_answer', recordTxId: txIds.payment, paths: ['/documents', '/message'] },
    ]);
    expect(await filesContaining(t.dataDir, [texts.payment])).toEqual([]);
  });

  it('show customs each answer as erased, and each erasure in the history', async () => {
    for (const key of ['first', 'second', 'payment'] as const) {
      expect(await answerOf(key)).toEqual(
        expect.objectContaining({ erased: expect.objectContaining({ reason: 'erasure_request' }) }),
      );
      const gone = await read(key);
      expect(gone.status, gone.text).toBe(410);
    }
    expect(await documentedStatuses('/v1/consignments/{id}/referral-answers/{answerTxId}')).toContain('410');
    expect(await erasedInHistory()).toEqual(
      ['order', 'payment', ...Object.values(txIds).map((tx) => `referral_answer:${tx}`)].sort(),
    );
    const view = await t.as('auditor').get<{ erasures: { recordKind: string; recordTxId?: string }[] }>(`/v1/consignments/${id}`);
    expect(view.body.erasures.filter((e) => e.recordKind === 'referral_answer').map((e) => e.recordTxId).sort()).toEqual(
      Object.values(txIds).sort(),
    );
  }); // prettier-ignore

  it('are not erased again by the seller’s erasure, which takes only the seller’s name', async () => {
    const seller = await erase(id, PLATFORM, { partyId: SELLER_ID });
    expect(seller.status, seller.text).toBe(201);
    expect(seller.body.erased).toEqual([{ recordKind: 'order', paths: ['/seller/name'] }]);
  });
});

describe('who may erase what, and when', () => {
  const b = buyer();
  let partyId: string;
  let moving: string;
  let delivered: string;

  beforeAll(async () => {
    partyId = await register(b);
    moving = await consignment(partyId, b, false);
    delivered = await consignment(partyId, b);
  });

  it('refuses roles that hold no record as controller', async () => {
    refused(await erase(delivered, OFFICER, { partyId }), 403, /not allowed/);
    refused(await erase(delivered, 'auditor', { partyId }), 403, /not allowed/);
    refused(await t.as(OFFICER).post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' }), 403, /not allowed/);
  }); // prettier-ignore

  it('refuses an organisation that took no part in the consignment', async () => {
    const res = await erase(delivered, 'express-operator', { partyId });
    expect([403, 404], res.text).toContain(res.status);
  });

  it('refuses a request while the consignment is still moving, saying why', async () => {
    refused(await erase(moving, PLATFORM, { partyId }), 409, /refused while it is in status '\w+'/);
  });

  it('refuses a holder without the order’s proof, or with a proof for another party', async () => {
    refused(await erase(delivered, 'payment-operator', { partyId }), 422, /needs an orderProof/);
    const proof = await orderProof(delivered);
    const other = 'c'.repeat(64);
    refused(await erase(delivered, 'payment-operator', { partyId: other, orderProof: proof }), 422, `the orderProof of consignment ${delivered} discloses no /buyer/id or /seller/id that is party ${other}`);
    const forged = structuredClone(proof);
    forged.disclosure.fields[0]!.value = other;
    refused(await erase(delivered, 'payment-operator', { partyId: other, orderProof: forged }), 422, /orderProof .* does not verify/);
    // The package alone, as before 1.4, is no proof: it must come with the transaction that recorded it.
    refused(await erase(delivered, 'payment-operator', { partyId, orderProof: proof.disclosure }), 400, /orderProof/);
  }); // prettier-ignore

  it('takes an orderProof disclosed for a data subject’s request only', async () => {
    // audit may no longer reveal the buyer at all (403, nothing recorded) ...
    refused(await disclose(delivered, 'order', ['/buyer/id'], 'audit'), 403, /^path '\/buyer\/id' may not be disclosed for purpose 'audit' \(data minimisation\)/);
    // ... and what it may reveal, the seller's id, is no proof for an erasure.
    const audit = await orderProof(delivered, '/seller/id', 'audit');
    refused(await erase(delivered, 'payment-operator', { partyId: SELLER_ID, orderProof: audit }), 422, /was disclosed for purpose 'audit'; an erasure takes a disclosure of the order's \/buyer\/id or \/seller\/id for purpose 'data_subject_request'/);
    // Nor a package under another disclosure's transaction, or one that recorded none.
    const proof = await orderProof(delivered, '/seller/id');
    refused(await erase(delivered, 'payment-operator', { partyId: SELLER_ID, orderProof: { ...proof, accessTxId: audit.accessTxId } }), 422, /was disclosed for purpose 'audit'/);
    refused(await erase(delivered, 'payment-operator', { partyId: SELLER_ID, orderProof: { ...proof, accessTxId: 'f'.repeat(64) } }), 422, /recorded no disclosure of its order record/);
    // Another purpose the platform has, with fields beyond the ids, is refused too.
    const dispute = await orderProof(delivered, '/seller/id', 'dispute_resolution');
    refused(await erase(delivered, 'payment-operator', { partyId: SELLER_ID, orderProof: dispute }), 422, /was disclosed for purpose 'dispute_resolution'/);
    // The platform cannot disclose more than the ids for that purpose.
    refused(await disclose(delivered, 'order', ['/buyer'], 'data_subject_request'), 403, /it holds \/buyer\/name, which data_subject_request does not need/);
    // The proof for the request is taken: a payment names no seller, so there is nothing to erase.
    refused(await erase(delivered, 'payment-operator', { partyId: SELLER_ID, orderProof: proof }), 409, /hold no personal data of party .* left to erase/);
  }); // prettier-ignore

  it('refuses a party the order does not name', async () => {
    refused(await erase(delivered, PLATFORM, { partyId: 'd'.repeat(64) }), 422, /does not name party/);
  });

  it('refuses an end of retention that has not come, naming the date', async () => {
    refused(await erase(delivered, PLATFORM, { partyId, reason: 'retention_expired' }), 422, /has not expired: .*kept 10 years from release .* until \d{4}-/);
  }); // prettier-ignore

  it('refuses malformed requests with the field at fault, changing nothing', async () => {
    refused(await erase(delivered, PLATFORM, { partyId, reason: 'because' }), 400, /reason/);
    refused(await erase(delivered, PLATFORM, { partyId, extra: 1 }), 400, /extra|unrecognized/i);
    const details = await t
      .as(PLATFORM)
      .get(`/v1/consignments/${delivered}/details?record=order&purpose=audit`);
    expect(details.status, details.text).toBe(200);
  });
});

describe('the end of a registration’s retention period', () => {
  it('erases a registration five years after it was made, not a millisecond before', async () => {
    const b = buyer();
    const T0 = Math.ceil((Date.now() + 86_400_000) / 3_600_000) * 3_600_000;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      const partyId = await register(b);
      const end = new Date(T0);
      end.setUTCFullYear(end.getUTCFullYear() + 5);
      vi.setSystemTime(end.getTime() - 1);
      const early = await t
        .as(PLATFORM)
        .post(`/v1/parties/${partyId}/erasure`, { reason: 'retention_expired' });
      refused(
        early,
        422,
        new RegExp(`kept 5 years from the latest registration .* until ${end.toISOString()}`),
      );
      vi.setSystemTime(end.getTime());
      const due = await t
        .as(PLATFORM)
        .post(`/v1/parties/${partyId}/erasure`, { reason: 'retention_expired' });
      expect(due.status, due.text).toBe(201);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a person registered by two platforms', () => {
  it('is shown to each platform with its own registration and erasure marks only; customs and auditors see all', async () => {
    const b = buyer();
    const partyId = await register(b);
    const erased = await t.as(PLATFORM).post(`/v1/parties/${partyId}/erasure`, { reason: 'erasure_request' });
    expect(erased.status, erased.text).toBe(201);
    // Platform B knows the document number: registering it gives it the same pseudonymous id.
    const again = await t.as('platformb-operator').post<{ partyId: string }>('/v1/parties', {
      kind: 'buyer',
      verificationLevel: 'basic',
      party: { name: 'Any Name', document: b.document },
    });
    expect(again.status, again.text).toBe(201);
    expect(again.body.partyId).toBe(partyId);
    type PartyView = { registrations: { registeredBy: string }[]; erasures: { holder: string }[] };
    const view = async (user: string) => (await t.as(user).get<PartyView>(`/v1/parties/${partyId}`)).body;
    const seen = (v: PartyView) => [
      v.registrations.map((r) => r.registeredBy),
      v.erasures.map((e) => e.holder),
    ];
    expect(seen(await view('platformb-operator'))).toEqual([['PlatformBMSP'], []]);
    expect(seen(await view(PLATFORM))).toEqual([['PlatformAMSP'], ['PlatformAMSP']]);
    for (const user of [OFFICER, 'auditor']) {
      const all = seen(await view(user));
      expect(all[0]!.sort()).toEqual(['PlatformAMSP', 'PlatformBMSP']);
      expect(all[1]).toEqual(['PlatformAMSP']);
    }
  });
});
