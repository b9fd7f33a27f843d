import { describe, expect, it } from 'vitest';

import {
  addYears,
  assertConsignmentErasure,
  assertPartyErasure,
  ConsignmentErasureRequest,
  ErasureSubject,
  orderProofRefusal,
  personalPaths,
  redactLeaves,
  roleInOrder,
  type ConsignmentFacts,
} from '../../chaincode/src/domain/erasure.js';
import {
  commitPayload,
  discloseLeaves,
  merkleRoot,
  verifyDisclosure,
  type HeldLeaf,
} from '../../chaincode/src/domain/merkle.js';
import { orderPayload, SELLER_ID, BUYER_ID } from '../support/payloads.js';

const SEED = 'ab'.repeat(32);
const RELEASED = '2026-03-01T12:00:00.000Z';
const TEN_YEARS_LATER = '2036-03-01T12:00:00.000Z';
const justBefore = (iso: string) => new Date(Date.parse(iso) - 1).toISOString();

const delivered: ConsignmentFacts = {
  consignmentId: 'C-1',
  status: 'delivered',
  releasedAt: RELEASED,
  statusSince: '2026-03-05T09:00:00.000Z',
};

describe('retention of consignment records', () => {
  it('ends ten years after release: refused on its last millisecond, allowed at the end', () => {
    expect(() =>
      assertConsignmentErasure('retention_expired', justBefore(TEN_YEARS_LATER), delivered),
    ).toThrow(
      `retention of consignment C-1 has not expired: its records are kept 10 years from release (or the final status of a consignment never released) (${RELEASED}), until ${TEN_YEARS_LATER}`,
    );
    expect(() => assertConsignmentErasure('retention_expired', TEN_YEARS_LATER, delivered)).not.toThrow();
  });

  it('runs from the final status of a consignment never released, and not at all while it moves', () => {
    const seized: ConsignmentFacts = { consignmentId: 'C-2', status: 'seized', statusSince: RELEASED };
    expect(() => assertConsignmentErasure('retention_expired', TEN_YEARS_LATER, seized)).not.toThrow();
    const moving: ConsignmentFacts = { consignmentId: 'C-3', status: 'dispatched', statusSince: RELEASED };
    expect(() => assertConsignmentErasure('retention_expired', '2099-01-01T00:00:00.000Z', moving)).toThrow(
      /retention of consignment C-3 has not started: .* status 'dispatched'/,
    );
  });

  it('honours a request once the consignment is final, except for seized goods under legal hold', () => {
    expect(() =>
      assertConsignmentErasure('erasure_request', '2026-03-06T00:00:00.000Z', delivered),
    ).not.toThrow();
    const moving: ConsignmentFacts = { consignmentId: 'C-3', status: 'dispatched', statusSince: RELEASED };
    expect(() => assertConsignmentErasure('erasure_request', '2026-03-06T00:00:00.000Z', moving)).toThrow(
      /refused while it is in status 'dispatched'/,
    );
    const seized: ConsignmentFacts = { consignmentId: 'C-4', status: 'seized', statusSince: RELEASED };
    expect(() => assertConsignmentErasure('erasure_request', justBefore(TEN_YEARS_LATER), seized)).toThrow(
      `consignment C-4 is under legal hold (status 'seized': evidence in proceedings) until its retention ends on ${TEN_YEARS_LATER}; erasure requests are refused`,
    );
    expect(() => assertConsignmentErasure('erasure_request', TEN_YEARS_LATER, seized)).not.toThrow();
  });
});

describe('retention of party registrations', () => {
  const registration = { partyId: 'p'.repeat(64), registeredAt: '2024-02-29T08:00:00.000Z' };

  it('ends five years after registration; 29 February rolls to 1 March', () => {
    expect(addYears(registration.registeredAt, 5)).toBe('2029-03-01T08:00:00.000Z');
    expect(() => assertPartyErasure('retention_expired', '2029-03-01T07:59:59.999Z', registration)).toThrow(
      /has not expired: it is kept 5 years from the latest registration \(2024-02-29T08:00:00.000Z\), until 2029-03-01T08:00:00.000Z/,
    );
    expect(() =>
      assertPartyErasure('retention_expired', '2029-03-01T08:00:00.000Z', registration),
    ).not.toThrow();
  });

  it('honours a request at any time', () => {
    expect(() =>
      assertPartyErasure('erasure_request', '2024-03-01T00:00:00.000Z', registration),
    ).not.toThrow();
  });
});

describe('redaction', () => {
  const commitment = commitPayload(orderPayload('ORD-1'), SEED);

  it('removes the buyer’s values and salts, keeps their hashes, and leaves the root unchanged', () => {
    const redaction = redactLeaves(commitment.leaves, personalPaths('order', 'buyer'))!;
    expect(redaction.erased).toEqual(
      expect.arrayContaining([
        '/buyer/name',
        '/buyer/document/number',
        '/consignee/phone',
        '/consignee/address/line1',
      ]),
    );
    expect(redaction.erased).not.toContain('/buyer/id');
    expect(redaction.erased.some((p) => p.startsWith('/seller') || p.startsWith('/lines'))).toBe(false);
    expect(merkleRoot(redaction.leaves)).toBe(commitment.root);
    const erased = redaction.leaves.filter((l) => 'erased' in l);
    expect(erased).toHaveLength(redaction.erased.length);
    expect(JSON.stringify(erased)).not.toMatch(/"(value|salt)"/);
  });

  it('lets the kept fields be disclosed and verified, and refuses an erased one', () => {
    const { leaves } = redactLeaves(commitment.leaves, personalPaths('order', 'buyer'))!;
    const kept = discloseLeaves(leaves, ['/orderNumber', '/buyer/id', '/lines/0']);
    expect(verifyDisclosure(kept, { root: commitment.root, leafCount: commitment.leafCount })).toMatchObject({
      ok: true,
    });
    expect(() => discloseLeaves(leaves, ['/consignee'])).toThrow(
      /field '\/consignee\/[a-z/]+' was erased: only its hash remains/,
    );
  });

  it('erases on top of an earlier erasure, and reports nothing left to erase', () => {
    const buyer = redactLeaves(commitment.leaves, personalPaths('order', 'buyer'))!;
    const seller = redactLeaves(buyer.leaves, personalPaths('order', 'seller'))!;
    expect(seller.erased).toEqual(['/seller/name']);
    expect(merkleRoot(seller.leaves)).toBe(commitment.root);
    expect(redactLeaves(seller.leaves, personalPaths('order', 'buyer'))).toBeUndefined();
    expect(redactLeaves(commitment.leaves, personalPaths('declaration', 'buyer'))).toBeUndefined();
  });

  it('erases a referral answer whole for either party, keeping its root', () => {
    const answer = commitPayload(
      { message: 'Sent as a gift by the buyer', documents: [{ type: 'invoice', reference: 'INV-1' }] },
      SEED,
    );
    for (const role of ['buyer', 'seller'] as const) {
      const redaction = redactLeaves(answer.leaves, personalPaths('referral_answer', role))!;
      expect(redaction.erased.sort()).toEqual(answer.leaves.map((l) => l.path).sort());
      expect(merkleRoot(redaction.leaves)).toBe(answer.root);
      expect(redactLeaves(redaction.leaves, personalPaths('referral_answer', role))).toBeUndefined();
    }
  });

  it('finds the party’s role in the order from its leaves, erased or not', () => {
    const leaves: readonly HeldLeaf[] = commitment.leaves;
    expect(roleInOrder(leaves, BUYER_ID)).toBe('buyer');
    expect(roleInOrder(leaves, SELLER_ID)).toBe('seller');
    expect(roleInOrder(leaves, 'c'.repeat(64))).toBeUndefined();
    const { leaves: redacted } = redactLeaves(leaves, personalPaths('order', 'buyer'))!;
    expect(roleInOrder(redacted, BUYER_ID)).toBe('buyer');
  });
});

describe('erasure requests as arguments', () => {
  it('refuses unknown fields and reasons, and names the field', () => {
    const ok = { reason: 'erasure_request', partyId: BUYER_ID };
    expect(ConsignmentErasureRequest.safeParse(ok).success).toBe(true);
    expect(ConsignmentErasureRequest.safeParse({ ...ok, extra: 1 }).success).toBe(false);
    const reason = ConsignmentErasureRequest.safeParse({ ...ok, reason: 'because' });
    expect(reason.error?.issues[0]?.path).toEqual(['reason']);
    expect(ErasureSubject.safeParse({ ...ok, target: { type: 'party' } }).success).toBe(true);
    expect(ErasureSubject.safeParse({ ...ok, target: { type: 'party' }, extra: 1 }).success).toBe(false);
    expect(ErasureSubject.safeParse({ ...ok, target: { type: 'consignment' } }).success).toBe(false);
  });
});

describe('an orderProof’s disclosure', () => {
  const TX = 'e'.repeat(64);
  const disclosure = discloseLeaves(commitPayload(orderPayload('ORD-1'), SEED).leaves, ['/buyer/id']);
  const proof = { accessTxId: TX, disclosure };
  const recorded = { recordKind: 'order', purpose: 'data_subject_request', fields: ['/buyer/id'] };

  it('stands when the order’s disclosure was recorded for a data subject’s request, with its fields', () => {
    expect(orderProofRefusal('C-1', proof, recorded)).toBeUndefined();
    expect(ConsignmentErasureRequest.safeParse({ reason: 'erasure_request', partyId: BUYER_ID, orderProof: proof }).success).toBe(true);
    expect(ConsignmentErasureRequest.safeParse({ reason: 'erasure_request', partyId: BUYER_ID, orderProof: disclosure }).success).toBe(false);
  });

  it('is refused under audit, even one made before audit was kept from the buyer', () => {
    expect(orderProofRefusal('C-1', proof, { ...recorded, purpose: 'audit' })).toBe(
      "orderProof of consignment C-1 was disclosed for purpose 'audit'; an erasure takes a disclosure of the order's /buyer/id or /seller/id for purpose 'data_subject_request'",
    );
  });

  it('is refused without a disclosure of the order at that transaction, or with a field it did not disclose', () => {
    const none = `orderProof of consignment C-1 names transaction ${TX}, which recorded no disclosure of its order record`;
    expect(orderProofRefusal('C-1', proof, undefined)).toBe(none);
    expect(orderProofRefusal('C-1', proof, { ...recorded, recordKind: 'payment' })).toBe(none);
    expect(orderProofRefusal('C-1', proof, { recordKind: 'order', purpose: 'data_subject_request' })).toBe(none);
    expect(orderProofRefusal('C-1', proof, { ...recorded, fields: ['/seller/id'] })).toBe(
      `orderProof of consignment C-1 holds field '/buyer/id', which transaction ${TX} did not disclose`,
    );
  });
}); // prettier-ignore
