import { describe, expect, it } from 'vitest';

import {
  bindParticipant,
  canSeeConsignment,
  claimReusable,
  mergeJoinKeys,
  participantsAtCreation,
  participantsOf,
  payloadJoinKeys,
  readsCollectionInstruction,
  slotFor,
  uniquenessClaims,
  unknownConsignment,
  type Participants,
  type ParticipantSlot,
} from '../../chaincode/src/domain/consignment.js';
import type { OrgRole } from '../../chaincode/src/domain/collections.js';
import type { RoleHolder } from '../../chaincode/src/domain/roles.js';
import type { JoinKeys, PayloadOf } from '../../chaincode/src/domain/schemas.js';

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

  const A = { mspId: 'PlatformAMSP', role: 'platform' } as const;
  const B = { mspId: 'PlatformBMSP', role: 'platform' } as const;
  const POST = { mspId: 'PostMSP', role: 'post' } as const;
  const EXPRESS = { mspId: 'ExpressMSP', role: 'express' } as const;
  const PSP = { mspId: 'PaymentMSP', role: 'payment' } as const;
  const route = { originCountry: 'CN', destinationCountry: 'FR' };
  /** Created by platform A naming all three keys; by the post naming its tracking number only. */
  const byA = {
    consignmentId: 'C1',
    platformMspId: 'PlatformAMSP',
    joinKeys: { ...route, orderNumber: 'O-1', trackingNumber: 'T-1', paymentTransactionId: 'P-1' },
  };
  const byPost = {
    consignmentId: 'C1',
    carrierMspId: 'PostMSP',
    joinKeys: { ...route, trackingNumber: 'T-1' },
  };
  const bare = {
    consignmentId: 'C1',
    platformMspId: 'PlatformAMSP',
    joinKeys: { ...route, orderNumber: 'O-1' },
  };
  const outsider = (mspId: string) => `consignment C1 does not exist or is not visible to ${mspId}`;
  const order = { orderNumber: 'O-1' };
  const logistics = { orderNumber: 'O-1', trackingNumber: 'T-1' };
  const payment = { orderNumber: 'O-1', paymentTransactionId: 'P-1' };
  const declaration = route;

  it.each<[string, Parameters<typeof bindParticipant>[0], ParticipantSlot, RoleHolder, Partial<JoinKeys>, Participants | string]>([
    // Proof of a link: the slot's own key as the consignment holds it.
    ['the post by the tracking number A named', byA, 'carrierMspId', POST, logistics, { carrierMspId: 'PostMSP' }],
    ['the payment provider by the payment id A named', byA, 'paymentMspId', PSP, payment, { platformMspId: 'PlatformAMSP', paymentMspId: 'PaymentMSP' }],
    ['platform A by the order number the post named', { ...byPost, joinKeys: { ...byPost.joinKeys, orderNumber: 'O-1' } }, 'platformMspId', A, order, { carrierMspId: 'PostMSP', platformMspId: 'PlatformAMSP' }],
    ['platform A paying its own order', bare, 'paymentMspId', A, { orderNumber: 'O-1', paymentTransactionId: 'P-9' }, { platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformAMSP' }],
    // No proof: an id and a guessable order number are not a link.
    ['a carrier by the order number alone', bare, 'carrierMspId', EXPRESS, { orderNumber: 'O-1', trackingNumber: 'T-9' }, outsider('ExpressMSP')],
    ['a carrier by another tracking number', byA, 'carrierMspId', EXPRESS, { orderNumber: 'O-1', trackingNumber: 'T-9' }, outsider('ExpressMSP')],
    ['a carrier declaring', byA, 'carrierMspId', EXPRESS, declaration, outsider('ExpressMSP')],
    ['a platform declaring', byPost, 'platformMspId', B, declaration, outsider('PlatformBMSP')],
    ['a platform whose order the consignment does not name', byPost, 'platformMspId', B, order, outsider('PlatformBMSP')],
    ['the payment provider by the order number alone', bare, 'paymentMspId', PSP, payment, outsider('PaymentMSP')],
    ['another platform paying', bare, 'paymentMspId', B, payment, outsider('PlatformBMSP')],
    ['another platform paying, even with the payment id', byA, 'paymentMspId', B, payment, outsider('PlatformBMSP')],
    ['a platform paying where it takes no part', byPost, 'paymentMspId', B, payment, outsider('PlatformBMSP')],
    // A bound slot: its holder goes on, an outsider learns nothing, a participant is told who holds it.
    ['the bound platform again', bare, 'platformMspId', A, declaration, { platformMspId: 'PlatformAMSP' }],
    ['another platform on a bound slot, even with the order number', bare, 'platformMspId', B, order, outsider('PlatformBMSP')],
    ['another carrier on a bound slot, even with the tracking number', byPost, 'carrierMspId', EXPRESS, logistics, outsider('ExpressMSP')],
    ['the platform where a payment provider is bound', { ...byA, paymentMspId: 'PaymentMSP' }, 'paymentMspId', A, payment, 'consignment C1 is bound to payment provider PaymentMSP; PlatformAMSP cannot act as its payment provider'],
  ])('%s', (_case, consignment, slot, caller, carried, expected) => {
    const bind = () => bindParticipant(consignment, slot, caller, carried);
    if (typeof expected === 'string') expect(bind).toThrow(expected);
    else expect(bind().participants).toEqual({ ...participantsOf(consignment), ...expected });
  }); // prettier-ignore

  it('reports whether the slot changed', () => {
    expect(bindParticipant(byA, 'carrierMspId', POST, logistics).changed).toBe(true);
    expect(bindParticipant(byA, 'platformMspId', A, order).changed).toBe(false);
  });

  /** Created by platform A with its order number only, naming the post and the payment provider. */
  const naming = {
    consignmentId: 'C1',
    platformMspId: 'PlatformAMSP',
    carrierMspId: 'PostMSP',
    paymentMspId: 'PaymentMSP',
    pendingClaims: ['carrierMspId', 'paymentMspId'] as ParticipantSlot[],
    joinKeys: { ...route, orderNumber: 'O-1' },
  };
  /** Created by the post with its tracking number only, naming platform A (which takes the payment too). */
  const postNaming = {
    consignmentId: 'C1',
    platformMspId: 'PlatformAMSP',
    carrierMspId: 'PostMSP',
    paymentMspId: 'PlatformAMSP',
    pendingClaims: ['platformMspId', 'paymentMspId'] as ParticipantSlot[],
    joinKeys: { ...route, trackingNumber: 'T-1' },
  };
  const all = { platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' };

  it.each<[string, Parameters<typeof bindParticipant>[0], ParticipantSlot, RoleHolder, Partial<JoinKeys>, [Participants, ParticipantSlot[], boolean] | string]>([
    // The naming is the proof: a named organisation writes with no key, or a key the consignment did not hold yet.
    ['the named post, with a tracking number A did not know', naming, 'carrierMspId', POST, logistics, [all, ['paymentMspId'], true]],
    ['the named post declaring', naming, 'carrierMspId', POST, declaration, [all, ['paymentMspId'], true]],
    ['the named payment provider', naming, 'paymentMspId', PSP, payment, [all, ['carrierMspId'], true]],
    ['the creator, which claimed its keys at creation', naming, 'platformMspId', A, order, [all, ['carrierMspId', 'paymentMspId'], false]],
    ['platform A named by the post, for both its parts', postNaming, 'platformMspId', A, order, [participantsOf(postNaming), [], true]],
    // A named part is taken: no one else has it, whatever keys it carries.
    ['another carrier on the named carrier part, with the tracking number', { ...naming, joinKeys: { ...naming.joinKeys, trackingNumber: 'T-1' } }, 'carrierMspId', EXPRESS, logistics, outsider('ExpressMSP')],
    ['another platform on the named platform part, with the order number', { ...postNaming, joinKeys: { ...postNaming.joinKeys, orderNumber: 'O-1' } }, 'platformMspId', B, order, outsider('PlatformBMSP')],
    ['a payment provider where the platform was named for the payment', { ...naming, paymentMspId: 'PlatformAMSP' }, 'paymentMspId', { mspId: 'PSP2', role: 'payment' }, payment, outsider('PSP2')],
    ['the platform where it named a payment provider', naming, 'paymentMspId', A, payment, 'consignment C1 is bound to payment provider PaymentMSP; PlatformAMSP cannot act as its payment provider'],
    // An unnamed part keeps the rule of proof.
    ['the payment provider A did not name, by its payment id', { ...naming, paymentMspId: undefined, pendingClaims: ['carrierMspId'], joinKeys: { ...naming.joinKeys, paymentTransactionId: 'P-1' } }, 'paymentMspId', PSP, payment, [all, ['carrierMspId'], true]],
    ['the payment provider A did not name, without it', { ...naming, paymentMspId: undefined, pendingClaims: ['carrierMspId'] }, 'paymentMspId', PSP, payment, outsider('PaymentMSP')],
  ])('%s', (_case, consignment, slot, caller, carried, expected) => {
    const bind = () => bindParticipant(consignment, slot, caller, carried);
    if (typeof expected === 'string') return expect(bind).toThrow(expected);
    const [participants, pendingClaims, changed] = expected;
    expect(bind()).toEqual({ participants: { ...participantsOf(consignment), ...participants }, pendingClaims, changed });
  }); // prettier-ignore

  const registry: Record<string, OrgRole> = {
    PlatformAMSP: 'platform',
    PlatformBMSP: 'platform',
    PostMSP: 'post',
    ExpressMSP: 'express',
    PaymentMSP: 'payment',
    CustomsMSP: 'customs',
    AuditorMSP: 'auditor',
  };
  const roleOf = (mspId: string): OrgRole | undefined => registry[mspId];

  it.each<[string, RoleHolder, Participants, [Participants, ParticipantSlot[]] | string]>([
    ['a platform naming no one', A, {}, [{ platformMspId: 'PlatformAMSP' }, []]],
    ['a platform naming its carrier and payment provider', A, { carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' }, [all, ['carrierMspId', 'paymentMspId']]],
    ['a platform naming an express carrier', A, { carrierMspId: 'ExpressMSP' }, [{ platformMspId: 'PlatformAMSP', carrierMspId: 'ExpressMSP' }, ['carrierMspId']]],
    ['a platform naming itself, for its own part and the payment it takes', A, { platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformAMSP' }, [{ platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformAMSP' }, []]],
    ['a post naming the platform that booked it', POST, { platformMspId: 'PlatformAMSP' }, [{ carrierMspId: 'PostMSP', platformMspId: 'PlatformAMSP' }, ['platformMspId']]],
    ['a post naming the platform for the payment it takes', POST, { platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformAMSP' }, [{ carrierMspId: 'PostMSP', platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformAMSP' }, ['platformMspId', 'paymentMspId']]],
    // Names are of the part's role, registered on the channel.
    ['a platform naming a platform as carrier', A, { carrierMspId: 'PlatformBMSP' }, 'carrierMspId PlatformBMSP is not a registered carrier (post or express)'],
    ['a platform naming customs as carrier', A, { carrierMspId: 'CustomsMSP' }, 'carrierMspId CustomsMSP is not a registered carrier (post or express)'],
    ['a platform naming an unregistered carrier', A, { carrierMspId: 'NoSuchMSP' }, 'carrierMspId NoSuchMSP is not a registered carrier (post or express)'],
    ['a post naming a carrier as platform', POST, { platformMspId: 'ExpressMSP' }, 'platformMspId ExpressMSP is not a registered platform'],
    ['a platform naming a carrier as payment provider', A, { paymentMspId: 'PostMSP' }, "paymentMspId PostMSP is neither a registered payment provider nor the consignment's platform"],
    ['a platform naming another platform as payment provider', A, { paymentMspId: 'PlatformBMSP' }, "paymentMspId PlatformBMSP is neither a registered payment provider nor the consignment's platform"],
    ['a post naming a platform as payment provider, not its platform', POST, { platformMspId: 'PlatformAMSP', paymentMspId: 'PlatformBMSP' }, "paymentMspId PlatformBMSP is neither a registered payment provider nor the consignment's platform"],
    ['a post naming a platform as payment provider, naming no platform', POST, { paymentMspId: 'PlatformAMSP' }, "paymentMspId PlatformAMSP is neither a registered payment provider nor the consignment's platform"],
    ['a post naming itself as payment provider', POST, { paymentMspId: 'PostMSP' }, "paymentMspId PostMSP is neither a registered payment provider nor the consignment's platform"],
    // The creator's own part is its own.
    ['a platform naming another platform for its own part', A, { platformMspId: 'PlatformBMSP' }, "platformMspId PlatformBMSP cannot be named: the consignment's platform is its creator PlatformAMSP"],
    ['a post naming another carrier for its own part', POST, { carrierMspId: 'ExpressMSP' }, "carrierMspId ExpressMSP cannot be named: the consignment's carrier is its creator PostMSP"],
  ])('at creation, %s', (_case, creator, named, expected) => {
    const create = () => participantsAtCreation(creator, named, roleOf);
    if (typeof expected === 'string') return expect(create).toThrow(expected);
    expect(create()).toEqual({ participants: expected[0], pendingClaims: expected[1] });
  }); // prettier-ignore

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

  it("claims nothing in a named organisation's name until it writes", () => {
    const keys = { ...base, trackingNumber: 'T-1', paymentTransactionId: 'P-1' };
    const parts = { platformMspId: 'PlatformAMSP', carrierMspId: 'PostMSP', paymentMspId: 'PaymentMSP' };
    expect(
      uniquenessClaims(parts, keys, ['carrierMspId', 'paymentMspId']).map((c) => [c.type, c.owner]),
    ).toEqual([['ordernum', 'PlatformAMSP']]);
    expect(uniquenessClaims(parts, keys, ['paymentMspId']).map((c) => [c.type, c.owner])).toEqual([
      ['ordernum', 'PlatformAMSP'],
      ['tracking', 'PostMSP'],
    ]);
  });
});

describe('a uniqueness key claimed by another consignment', () => {
  it.each([
    ['tracking', '2026-01-31T10:00:00.000Z', '2026-07-31T09:59:59.999Z', false],
    ['tracking', '2026-01-31T10:00:00.000Z', '2026-07-31T10:00:00.000Z', true],
    ['tracking', '2026-08-31T00:00:00.000Z', '2027-02-28T23:59:59.999Z', false],
    ['tracking', '2026-08-31T00:00:00.000Z', '2027-03-03T00:00:00.000Z', true],
    ['ordernum', '2016-01-01T00:00:00.000Z', '2026-12-06T00:00:00.000Z', false],
    ['paytx', '2016-01-01T00:00:00.000Z', '2026-12-06T00:00:00.000Z', false],
  ] as const)('%s claimed %s may be taken over on %s: %s', (type, claimedAt, now, reusable) => {
    expect(claimReusable(type, claimedAt, now)).toBe(reusable);
  });
});
