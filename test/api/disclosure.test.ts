/**
 * Selective disclosure over HTTP: a holder of a record discloses chosen fields (values, salts,
 * Merkle proofs, the version's transaction and block); anyone verifies the package with POST
 * /v1/verify against the ledger without the other fields. Each kind of tampering fails with its
 * code and reason; a package made before a correction still verifies against its own version.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/access-log.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { orderPayload, paymentPayload } from '../support/payloads.js';

interface Field {
  path: string;
  value: unknown;
  salt: string;
  index: number;
  hash: string;
  proof: string[];
}
interface Package {
  consignmentId: string;
  record: string;
  version: number;
  txId: string;
  block: number | null;
  accessTxId: string;
  disclosure: { root: string; leafCount: number; fields: Field[] };
}
interface Verdict {
  verified: boolean;
  code?: string;
  reason?: string;
  path?: string;
  committed?: { version: number; latestVersion: number; txId: string; block: number | null };
}

const PLATFORM = 'platforma-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();
const id = `DISC-${RUN}`;
const orderNumber = `ORD-${id}`;
const FIELDS = ['/goodsValue', '/lines/0/hsCode'];

let t: TestGateway;
let first: Package;
let second: Package;
let paymentTxId: string;

const disclose = async (): Promise<Package> => {
  const res = await t.as(PLATFORM).post<Package>(`/v1/consignments/${id}/disclosures`, {
    record: 'order',
    fields: FIELDS,
    purpose: 'dispute_resolution',
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
};
const verify = async (pkg: unknown, user = 'auditor') => {
  const res = await t.as(user).post<Verdict>('/v1/verify', pkg);
  expect(res.status, res.text).toBe(200);
  return res.body;
};
const copy = (pkg: Package): Package => structuredClone(pkg);

beforeAll(async () => {
  t = await startTestGateway();
  const created = await t.as(PLATFORM).post('/v1/consignments', {
    consignmentId: id,
    orderNumber,
    paymentTransactionId: `PAY-${id}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(created.status, created.text).toBe(201);
  const v1 = await t
    .as(PLATFORM)
    .post(`/v1/consignments/${id}/order`, orderPayload(orderNumber, { goodsValue: 41 }));
  expect(v1.status, v1.text).toBe(201);
  first = await disclose();
  const v2 = await t.as(PLATFORM).post(`/v1/consignments/${id}/order`, orderPayload(orderNumber));
  expect(v2.status, v2.text).toBe(201);
  second = await disclose();
  const payment = await t
    .as('payment-operator')
    .post(`/v1/consignments/${id}/payment`, paymentPayload(orderNumber, `PAY-${id}`));
  expect(payment.status, payment.text).toBe(201);
  paymentTxId = payment.headers.get('x-transaction-id')!;
});

afterAll(async () => {
  await t?.close();
});

describe('a disclosure package', () => {
  it('carries the chosen fields only, with the version, its transaction and its block', () => {
    expect(second).toMatchObject({ consignmentId: id, record: 'order', version: 2 });
    expect(second.block).toEqual(expect.any(Number));
    expect(second.disclosure.fields.map((f) => [f.path, f.value])).toEqual([
      ['/goodsValue', 40],
      ['/lines/0/hsCode', '610910'],
    ]);
    const text = JSON.stringify(second);
    expect(text).not.toContain(orderPayload(orderNumber).buyer.name);
    expect(second.disclosure.leafCount).toBeGreaterThan(FIELDS.length);
  });

  it('is on the access log with the fields it revealed: a pointer to a subtree names each of its leaves', async () => {
    expect((await accessLog(t, 'consignment', id)).find((e) => e.txId === second.accessTxId)).toMatchObject({
      recordKind: 'order',
      purpose: 'dispute_resolution',
      fields: FIELDS,
    });
    const seller = await t.as(PLATFORM).post<Package>(`/v1/consignments/${id}/disclosures`, {
      record: 'order',
      fields: ['/seller'],
      purpose: 'return_processing',
    });
    expect(seller.status, seller.text).toBe(201);
    const revealed = seller.body.disclosure.fields.map((f) => f.path);
    expect(revealed).toEqual(['/seller/id', '/seller/name']);
    expect(
      (await accessLog(t, 'consignment', id)).find((e) => e.txId === seller.body.accessTxId),
    ).toMatchObject({
      purpose: 'return_processing',
      fields: revealed,
    });
    // The same in the provenance: a read of the whole record names no fields.
    const history = await t
      .as('auditor')
      .get<{ entries: { type: string; txId: string; detail: Record<string, unknown> }[] }>(
        `/v1/consignments/${id}/history`,
      );
    const reads = history.body.entries.filter((e) => e.type === 'personal_data_read');
    expect(reads.find((e) => e.txId === seller.body.accessTxId)?.detail).toMatchObject({ fields: revealed });
  });

  it('reveals nothing its purpose may not see: 403 problem+json naming path and purpose, and nothing recorded', async () => {
    const before = await accessLog(t, 'consignment', id);
    const audit = (fields: string[]) =>
      t.as(PLATFORM).post(`/v1/consignments/${id}/disclosures`, { record: 'order', fields, purpose: 'audit' });
    for (const [fields, detail] of [
      [['/buyer/name'], "path '/buyer/name' may not be disclosed for purpose 'audit' (data minimisation): it is under /buyer, which audit does not need"],
      [['/goodsValue', '/buyer/id'], "path '/buyer/id' may not be disclosed for purpose 'audit' (data minimisation): it is under /buyer, which audit does not need"],
      [['/seller'], "path '/seller' may not be disclosed for purpose 'audit' (data minimisation): it holds /seller/name, which audit does not need"],
    ] as const) {
      const res = await audit([...fields]);
      expect(res.status, res.text).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ detail });
      expect(res.text).not.toContain(orderPayload(orderNumber).buyer.name);
    }
    expect(await accessLog(t, 'consignment', id)).toEqual(before);
    // What an audit details read of the same record leaves out, as before.
    const read = await t
      .as(PLATFORM)
      .get<{ payload: Record<string, unknown> }>(`/v1/consignments/${id}/details?record=order&purpose=audit`);
    expect(read.status, read.text).toBe(200);
    expect(read.body.payload).not.toHaveProperty('buyer');
    expect(read.body.payload.seller).toEqual({ id: orderPayload(orderNumber).seller.id });
  }); // prettier-ignore

  it('verifies against the ledger, for anyone, as it was produced', async () => {
    expect(await verify(second)).toMatchObject({
      verified: true,
      committed: { version: 2, latestVersion: 2, txId: second.txId, block: second.block },
    });
    expect((await verify(second, 'customs-officer')).verified).toBe(true);
  });

  it('made before a correction, verifies against its own version and says it was superseded', async () => {
    expect(first.version).toBe(1);
    expect(await verify(first)).toMatchObject({
      verified: true,
      committed: { version: 1, latestVersion: 2, txId: first.txId },
    });
    // Without its transaction it is taken for the latest version, which it is not.
    const { txId: _tx, block: _block, ...bare } = first;
    expect(await verify(bare)).toMatchObject({ verified: false, code: 'root' });
  });

  it.each<[string, (p: Package) => void, string, RegExp]>([
    [
      'a changed value',
      (p) => (p.disclosure.fields[0]!.value = 41),
      'leaf',
      /value, salt or path does not match/,
    ],
    [
      'a changed salt',
      (p) => (p.disclosure.fields[0]!.salt = p.disclosure.fields[1]!.salt),
      'leaf',
      /value, salt or path does not match/,
    ],
    [
      'a changed path',
      (p) => (p.disclosure.fields[0]!.path = '/goodsValues'),
      'leaf',
      /value, salt or path does not match/,
    ],
    ['a changed proof', (p) => p.disclosure.fields[0]!.proof.reverse(), 'proof', /does not link leaf/],
    [
      'a changed leaf hash',
      (p) => (p.disclosure.fields[0]!.hash = 'a'.repeat(64)),
      'proof',
      /does not link leaf/,
    ],
    ['a changed root', (p) => (p.disclosure.root = 'b'.repeat(64)), 'root', /not the committed/],
    ['a changed leaf count', (p) => (p.disclosure.leafCount += 1), 'root', /not the committed/],
    [
      'another transaction',
      (p) => (p.txId = paymentTxId),
      'transaction',
      /wrote no version of the order record/,
    ],
    ['another block', (p) => (p.block = (p.block ?? 0) + 1), 'block', /the ledger has it in block/],
  ])('fails with %s', async (_name, tamper, code, reason) => {
    const pkg = copy(second);
    tamper(pkg);
    const verdict = await verify(pkg);
    expect(verdict).toMatchObject({ verified: false, code });
    expect(verdict.reason).toMatch(reason);
  });

  it('that is malformed, or names a record the ledger does not have, is refused with problem+json', async () => {
    const malformed = await t.as('auditor').post('/v1/verify', { ...second, disclosure: { root: 'x' } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    const badId = await t.as('auditor').post('/v1/verify', { ...second, consignmentId: 'a\u0000b' });
    expect(badId.status, badId.text).toBe(400);
    expect(badId.body).toMatchObject({ errors: [{ pointer: '/body/consignmentId' }] });
    const missing = await t.as('auditor').post('/v1/verify', { ...second, record: 'declaration' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ detail: `consignment ${id} has no declaration record` });
  });
});
