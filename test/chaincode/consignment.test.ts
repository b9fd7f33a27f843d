import { describe, expect, it } from 'vitest';

import {
  assertPaymentSubmitter,
  bindParticipant,
  canReadPrivateRecord,
  canSeeConsignment,
  mergeJoinKeys,
  payloadJoinKeys,
  readsCollectionInstruction,
  slotFor,
  uniquenessClaims,
  unknownConsignment,
} from '../../chaincode/src/domain/consignment.js';
import type { OrgRole } from '../../chaincode/src/domain/collections.js';
import type { PayloadOf } from '../../chaincode/src/domain/schemas.js';

describe('participant binding', () => {
  it.each<[Parameters<typeof slotFor>[0], OrgRole, string]>([
    ['order', 'platform', 'platformMspId'],
    ['payment', 'payment', 'paymentMspId'],
    ['payment', 'platform', 'paymentMspId'],
    ['logistics', 'post', 'carrierMspId'],
    ['logistics', 'express', 'carrierMspId'],
    ['declaration', 'platform', 'platformMspId'],
    ['declaration', 'express', 'carrierMspId'],
    ['create', 'platform', 'platformMspId'],
    ['create', 'post', 'carrierMspId'],
  ])('%s by %s fills %s', (kind, role, slot) => {
    expect(slotFor(kind, role)).toBe(slot);
  });

  it('binds an unbound slot, accepts the bound caller and refuses others', () => {
    const post = { mspId: 'PostMSP', role: 'post' } as const;
    const first = bindParticipant({ platformMspId: 'PlatformAMSP' }, 'carrierMspId', post, 'C1');
    expect(first).toEqual({
      participants: { platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP' },
      changed: true,
    });
    expect(bindParticipant(first.participants, 'carrierMspId', post, 'C1').changed).toBe(false);
    // An outsider is told what it would be told of a consignment that does not exist.
    expect(() =>
      bindParticipant(first.participants, 'carrierMspId', { mspId: 'ExpressMSP', role: 'express' }, 'C1'),
    ).toThrow('consignment C1 does not exist or is not visible to ExpressMSP');
    expect(() =>
      bindParticipant(first.participants, 'platformMspId', { mspId: 'PlatformBMSP', role: 'platform' }, 'C1'),
    ).toThrow('consignment C1 does not exist or is not visible to PlatformBMSP');
    // A participant is told who holds the slot.
    expect(() =>
      bindParticipant(
        { ...first.participants, paymentMspId: 'PaymentMSP' },
        'paymentMspId',
        { mspId: 'PlatformAMSP', role: 'platform' },
        'C1',
      ),
    ).toThrow(
      'consignment C1 is bound to payment provider PaymentMSP; PlatformAMSP cannot act as its payment provider',
    );
  });

  it.each<[string, OrgRole, string]>([
    ['PlatformBMSP', 'platform', 'consignment C1 does not exist or is not visible to PlatformBMSP'],
    ['PostMSP', 'post', 'consignment C1 does not exist or is not visible to PostMSP'],
    ['CustomsMSP', 'customs', 'consignment C1 does not exist'],
    ['AuditorMSP', 'auditor', 'consignment C1 does not exist'],
  ])('an unknown consignment, to %s (%s): %s', (mspId, role, message) => {
    expect(unknownConsignment('C1', { mspId, role }).message).toBe(message);
  });

  it.each<[string, OrgRole, boolean]>([
    ['PlatformAMSP', 'platform', true],
    ['PlatformBMSP', 'platform', false],
    ['PostMSP', 'post', true],
    ['ExpressMSP', 'express', false],
    ['PaymentMSP', 'payment', true],
    ['CustomsMSP', 'customs', true],
    ['AuditorMSP', 'auditor', true],
  ])('visibility for %s (%s): %s', (mspId, role, visible) => {
    const participants = {
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: 'PaymentMSP',
    };
    expect(canSeeConsignment({ mspId, role }, participants)).toBe(visible);
  });

  it.each<[string, OrgRole, boolean]>([
    ['PostMSP', 'post', true],
    ['CustomsMSP', 'customs', true],
    ['ExpressMSP', 'express', false],
    ['PlatformAMSP', 'platform', false],
    ['PaymentMSP', 'payment', false],
    ['AuditorMSP', 'auditor', false],
  ])('the collection instruction for %s (%s): %s', (mspId, role, reads) => {
    const participants = {
      platformMspId: 'PlatformAMSP',
      carrierMspId: 'PostMSP',
      paymentMspId: 'PaymentMSP',
    };
    expect(readsCollectionInstruction({ mspId, role }, participants)).toBe(reads);
  });

  it('no carrier reads the collection instruction of a consignment with no carrier yet; customs does', () => {
    expect(readsCollectionInstruction({ mspId: 'PostMSP', role: 'post' }, {})).toBe(false);
    expect(readsCollectionInstruction({ mspId: 'CustomsMSP', role: 'customs' }, {})).toBe(true);
  });
});

describe('join keys', () => {
  const base = { orderNumber: 'O-1', originCountry: 'CN', destinationCountry: 'FR' };

  it('extracts the keys each payload carries', () => {
    expect(payloadJoinKeys('order', { orderNumber: 'O-1' } as PayloadOf<'order'>)).toEqual({
      orderNumber: 'O-1',
    });
    expect(
      payloadJoinKeys('payment', { orderNumber: 'O-1', paymentTransactionId: 'P-1' } as PayloadOf<'payment'>),
    ).toEqual({ orderNumber: 'O-1', paymentTransactionId: 'P-1' });
    expect(
      payloadJoinKeys('logistics', {
        orderNumber: 'O-1',
        trackingNumber: 'RR123456785CN',
      } as PayloadOf<'logistics'>),
    ).toEqual({
      orderNumber: 'O-1',
      trackingNumber: 'RR123456785CN',
    });
    expect(
      payloadJoinKeys('declaration', {
        originCountry: 'CN',
        destinationCountry: 'FR',
      } as PayloadOf<'declaration'>),
    ).toEqual({ originCountry: 'CN', destinationCountry: 'FR' });
  });

  it('fills missing keys and reports the change', () => {
    expect(mergeJoinKeys(base, { orderNumber: 'O-1', trackingNumber: 'T-1' }, 'C1', 'logistics')).toEqual({
      joinKeys: { ...base, trackingNumber: 'T-1' },
      changed: true,
    });
    expect(mergeJoinKeys(base, { orderNumber: 'O-1' }, 'C1', 'order')).toEqual({
      joinKeys: base,
      changed: false,
    });
  });

  it('refuses disagreeing keys', () => {
    expect(() => mergeJoinKeys(base, { orderNumber: 'O-2' }, 'C1', 'payment')).toThrow(
      "payment payload orderNumber 'O-2' does not match the orderNumber of consignment C1",
    );
    expect(() => mergeJoinKeys(base, { destinationCountry: 'DE' }, 'C1', 'declaration')).toThrow(
      /destinationCountry 'DE'/,
    );
  });

  it('claims uniqueness only once the owning organisation is known', () => {
    const keys = { ...base, trackingNumber: 'T-1', paymentTransactionId: 'P-1' };
    expect(uniquenessClaims({}, keys)).toEqual([]);
    expect(uniquenessClaims({ carrierMspId: 'PostMSP' }, keys)).toEqual([
      { type: 'tracking', owner: 'PostMSP', value: 'T-1', label: 'tracking number' },
    ]);
    expect(
      uniquenessClaims(
        { platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' },
        keys,
      ).map((c) => [c.type, c.owner, c.value]),
    ).toEqual([
      ['ordernum', 'PlatformAMSP', 'O-1'],
      ['tracking', 'PostMSP', 'T-1'],
      ['paytx', 'PaymentMSP', 'P-1'],
    ]);
  });
});

describe('private record readers', () => {
  const members = ['PlatformAMSP', 'CustomsMSP'];
  it.each<[string, OrgRole, string, boolean]>([
    ['PlatformAMSP', 'platform', 'return_processing', true],
    ['CustomsMSP', 'customs', 'risk_assessment', true],
    ['PlatformBMSP', 'platform', 'return_processing', false],
    ['PostMSP', 'post', 'delivery', false],
    ['AuditorMSP', 'auditor', 'audit', true],
    ['AuditorMSP', 'auditor', 'clearance', false],
  ])('%s (%s) for %s: %s', (mspId, role, purpose, ok) => {
    expect(canReadPrivateRecord({ mspId, role }, members, purpose)).toBe(ok);
  });
});

describe('assertPaymentSubmitter', () => {
  const participants = { platformMspId: 'PlatformAMSP' };
  it.each([
    ['payment', 'PlatformAMSP', 'platform', true],
    ['payment', 'PlatformBMSP', 'platform', false],
    ['payment', 'PaymentMSP', 'payment', true],
    ['order', 'PlatformBMSP', 'platform', true],
  ] as const)('%s by %s (%s) allowed: %s', (kind, mspId, role, allowed) => {
    const call = () => assertPaymentSubmitter(kind, { mspId, role }, participants, 'C-1');
    if (allowed) expect(call).not.toThrow();
    else expect(call).toThrow('consignment C-1 does not exist or is not visible to PlatformBMSP');
  });
});
