import { isCarrierRole, type OrgRole } from './collections';
import type { JoinKeys, PayloadOf, RecordKind } from './schemas';
import { seesEveryOrganisation, type RoleHolder } from './roles';

/*
 * Pure rules about who takes part in a consignment and how its join keys
 * (order number ↔ payment transaction id ↔ tracking number) are filled and kept unique.
 */

export interface Participants {
  readonly platformMspId?: string;
  readonly carrierMspId?: string;
  readonly paymentMspId?: string;
}

export type ParticipantSlot = keyof Participants;

const slotLabel: Record<ParticipantSlot, string> = {
  platformMspId: 'platform',
  carrierMspId: 'carrier',
  paymentMspId: 'payment provider',
};

/** The participant slot a submission by this role fills; a platform that takes the payment fills the payment slot. */
export function slotFor(kind: RecordKind | 'create', role: OrgRole): ParticipantSlot {
  switch (kind) {
    case 'order':
      return 'platformMspId';
    case 'payment':
      return 'paymentMspId';
    case 'logistics':
      return 'carrierMspId';
    case 'declaration':
    case 'create':
      return role === 'platform' ? 'platformMspId' : 'carrierMspId';
  }
}

export function participantsOf(c: Participants): Participants {
  return { platformMspId: c.platformMspId, carrierMspId: c.carrierMspId, paymentMspId: c.paymentMspId };
}

/** The join key each slot's holder issues: holding it is what links an organisation to the consignment. */
const slotKey: Record<ParticipantSlot, 'orderNumber' | 'trackingNumber' | 'paymentTransactionId'> = {
  platformMspId: 'orderNumber',
  carrierMspId: 'trackingNumber',
  paymentMspId: 'paymentTransactionId',
};

const SLOTS: readonly ParticipantSlot[] = ['platformMspId', 'carrierMspId', 'paymentMspId'];

/** The roles an organisation named for each slot must have (the payment slot also admits the platform itself). */
const slotRoles: Record<ParticipantSlot, readonly OrgRole[]> = {
  platformMspId: ['platform'],
  carrierMspId: ['post', 'express'],
  paymentMspId: ['payment'],
};

const notOfSlot: Record<ParticipantSlot, string> = {
  platformMspId: 'is not a registered platform',
  carrierMspId: 'is not a registered carrier (post or express)',
  paymentMspId: "is neither a registered payment provider nor the consignment's platform",
};

/** A consignment's parts, and those named at creation whose organisation has written no record yet. */
export interface ConsignmentParts extends Participants {
  readonly consignmentId: string;
  readonly joinKeys: JoinKeys;
  readonly pendingClaims?: readonly ParticipantSlot[];
}

/**
 * The parts of a new consignment: the creator takes its own, and each organisation it names for
 * another part (its counterpart: the carrier it bought the label from, the payment provider it
 * used, the platform that booked it) is bound to that part from creation. The naming is the proof
 * of the link: a named organisation writes with no join key of its own, and no one else can take
 * its part, however well it guesses the keys. A part left unnamed is taken by proof of a link, as
 * bindParticipant says. A name must be a registered organisation of the part's role (the platform
 * may be named for the payment when it takes it itself); the creator's own part is its own.
 *
 * `pendingClaims` are the named parts whose organisation is not the creator: their join keys are
 * made unique in the named organisation's name only once it writes a record (bindParticipant), so
 * that naming claims nothing in another organisation's numbering: a creator that named a carrier
 * with tracking numbers it guessed would otherwise use them up before the carrier could.
 */
export function participantsAtCreation(
  creator: RoleHolder,
  named: Participants,
  roleOf: (mspId: string) => OrgRole | undefined,
): { participants: Participants; pendingClaims: ParticipantSlot[] } {
  const own = slotFor('create', creator.role);
  const participants: { -readonly [S in ParticipantSlot]?: string } = { [own]: creator.mspId };
  const pendingClaims: ParticipantSlot[] = [];
  for (const slot of SLOTS) {
    const mspId = named[slot];
    if (mspId === undefined) continue;
    if (slot === own) {
      if (mspId !== creator.mspId) {
        throw new Error(
          `${slot} ${mspId} cannot be named: the consignment's ${slotLabel[slot]} is its creator ${creator.mspId}`,
        );
      }
      continue;
    }
    const role = roleOf(mspId);
    const ownPayment = slot === 'paymentMspId' && role === 'platform' && mspId === participants.platformMspId;
    if (!ownPayment && !(role !== undefined && slotRoles[slot].includes(role))) {
      throw new Error(`${slot} ${mspId} ${notOfSlot[slot]}`);
    }
    participants[slot] = mspId;
    if (mspId !== creator.mspId) pendingClaims.push(slot);
  }
  return { participants, pendingClaims };
}

/**
 * Binds the caller to its slot from a record it submits, accepts the caller already bound there
 * (named by the creator, or bound before), and refuses anyone else. An empty slot, one the creator
 * did not name, is taken only by proof of a link: the record carries the slot's own join key as
 * the consignment already holds it (named by its creator, or by a participant's earlier record); a
 * payment by a platform binds only the consignment's own platform. A declaration carries none of
 * them, so it binds no one. An id alone proves nothing: whoever knew one could otherwise make
 * itself the carrier or platform, read everything and lock the real one out. A participant is told
 * who holds a slot; an outsider only what it is told of a missing consignment.
 *
 * The caller's first record also ends the pending claims of the parts it was named for, so its
 * join keys are claimed from then on (`changed`: the consignment is to be rewritten).
 */
export function bindParticipant(
  consignment: ConsignmentParts,
  slot: ParticipantSlot,
  caller: RoleHolder,
  carried: Partial<JoinKeys>,
): { participants: Participants; pendingClaims: ParticipantSlot[]; changed: boolean } {
  const participants = participantsOf(consignment);
  const pending = consignment.pendingClaims ?? [];
  const id = consignment.consignmentId;
  const bound = participants[slot];
  let next = participants;
  if (bound !== caller.mspId) {
    if (bound !== undefined) {
      if (!participantMspIds(participants).includes(caller.mspId)) throw unknownConsignment(id, caller);
      throw new Error(
        `consignment ${id} is bound to ${slotLabel[slot]} ${bound}; ${caller.mspId} cannot act as its ${slotLabel[slot]}`,
      );
    }
    const held = consignment.joinKeys[slotKey[slot]];
    // A platform collects payments only for its own orders (DOMAIN: the PSP may be the platform).
    const linked =
      slot === 'paymentMspId' && caller.role === 'platform'
        ? participants.platformMspId === caller.mspId
        : held !== undefined && carried[slotKey[slot]] === held;
    // Each role fills one slot only (a platform also its own payment's), so the unlinked caller takes no part.
    if (!linked) throw unknownConsignment(id, caller);
    next = { ...participants, [slot]: caller.mspId };
  }
  const pendingClaims = pending.filter((s) => next[s] !== caller.mspId);
  return {
    participants: next,
    pendingClaims,
    changed: next !== participants || pendingClaims.length < pending.length,
  };
}

export function participantMspIds(participants: Participants): string[] {
  const ids = [participants.platformMspId, participants.carrierMspId, participants.paymentMspId];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/**
 * What a caller is told of a consignment it takes no part in: word for word what it is told of one
 * that does not exist, on reads and writes alike, so that no refusal tells an outsider which ids are
 * in use, by whom, or how far the consignment has got. Customs and auditors see every consignment,
 * so for them a missing one simply does not exist.
 */
export function unknownConsignment(consignmentId: string, caller: RoleHolder): Error {
  return new Error(
    seesEveryOrganisation(caller.role)
      ? `consignment ${consignmentId} does not exist`
      : `consignment ${consignmentId} does not exist or is not visible to ${caller.mspId}`,
  );
}

/** Participants, customs and auditors may see a consignment's public record. */
export function canSeeConsignment(
  caller: { readonly mspId: string; readonly role: OrgRole },
  participants: Participants,
): boolean {
  return seesEveryOrganisation(caller.role) || participantMspIds(participants).includes(caller.mspId);
}

/**
 * What customs instructs a consignment's carrier to collect is revenue data: for that carrier and
 * customs, not for the platform, the payment provider or auditors, who see the rest of the consignment.
 */
export function readsCollectionInstruction(
  caller: { readonly mspId: string; readonly role: OrgRole },
  participants: Participants,
): boolean {
  return (
    caller.role === 'customs' || (isCarrierRole(caller.role) && participants.carrierMspId === caller.mspId)
  );
}

type JoinKeyName = keyof JoinKeys;

/** The join keys a payload carries; they must agree with the consignment's. */
export function payloadJoinKeys<K extends RecordKind>(kind: K, payload: PayloadOf<K>): Partial<JoinKeys> {
  switch (kind) {
    case 'order': {
      const p = payload as PayloadOf<'order'>;
      return { orderNumber: p.orderNumber };
    }
    case 'payment': {
      const p = payload as PayloadOf<'payment'>;
      return { orderNumber: p.orderNumber, paymentTransactionId: p.paymentTransactionId };
    }
    case 'logistics': {
      const p = payload as PayloadOf<'logistics'>;
      return { orderNumber: p.orderNumber, trackingNumber: p.trackingNumber };
    }
    default: {
      const p = payload as PayloadOf<'declaration'>;
      return { originCountry: p.originCountry, destinationCountry: p.destinationCountry };
    }
  }
}

/** Fills missing join keys from a payload and refuses any that disagree. */
export function mergeJoinKeys(
  current: JoinKeys,
  incoming: Partial<JoinKeys>,
  consignmentId: string,
  kind: RecordKind,
): { joinKeys: JoinKeys; changed: boolean } {
  const merged: Record<string, string> = { ...current };
  let changed = false;
  for (const name of Object.keys(incoming).sort() as JoinKeyName[]) {
    const value = incoming[name];
    if (value === undefined) continue;
    const existing = current[name];
    if (existing === undefined) {
      merged[name] = value;
      changed = true;
    } else if (existing !== value) {
      // Not the stored value: whoever fails the match may not know it, and a participant reads it
      // from the consignment.
      throw new Error(
        `${kind} payload ${name} '${value}' does not match the ${name} of consignment ${consignmentId}`,
      );
    }
  }
  return { joinKeys: merged as unknown as JoinKeys, changed };
}

export type UniquenessType = 'ordernum' | 'tracking' | 'paytx';

export interface UniquenessClaim {
  readonly type: UniquenessType;
  /** The organisation within which the value must be unique. */
  readonly owner: string;
  readonly value: string;
  readonly label: string;
}

/**
 * How long a carrier's tracking number stays its consignment's alone. Posts and express carriers
 * reuse their S10 and HAWB numbers once a parcel is long delivered; the numbers must be unique for
 * at least six months. Order numbers and payment transaction ids are never reused.
 */
export const TRACKING_NUMBER_UNIQUE_MONTHS = 6;

/**
 * Whether a new consignment may take over a uniqueness key another consignment claimed at
 * `claimedAt`: a tracking number once its six months have passed, nothing else ever.
 */
export function claimReusable(type: UniquenessType, claimedAt: string, now: string): boolean {
  if (type !== 'tracking') return false;
  const freeFrom = new Date(claimedAt);
  freeFrom.setUTCMonth(freeFrom.getUTCMonth() + TRACKING_NUMBER_UNIQUE_MONTHS);
  return new Date(now).getTime() >= freeFrom.getTime();
}

/**
 * The uniqueness keys a consignment should hold: order number per platform, tracking number per
 * carrier, payment transaction id per payment provider. A claim needs both its value and its
 * owner, so one appears only once the owning organisation has bound, and, for a part named at
 * creation, once its organisation has written a record (`pending`: see participantsAtCreation).
 */
export function uniquenessClaims(
  bound: Participants,
  joinKeys: JoinKeys,
  pending: readonly ParticipantSlot[] = [],
): UniquenessClaim[] {
  const participants = participantsOf(bound);
  for (const slot of pending) delete (participants as Record<ParticipantSlot, unknown>)[slot];
  const claims: UniquenessClaim[] = [];
  if (participants.platformMspId && joinKeys.orderNumber) {
    claims.push({
      type: 'ordernum',
      owner: participants.platformMspId,
      value: joinKeys.orderNumber,
      label: 'order number',
    });
  }
  if (participants.carrierMspId && joinKeys.trackingNumber) {
    claims.push({
      type: 'tracking',
      owner: participants.carrierMspId,
      value: joinKeys.trackingNumber,
      label: 'tracking number',
    });
  }
  if (participants.paymentMspId && joinKeys.paymentTransactionId) {
    claims.push({
      type: 'paytx',
      owner: participants.paymentMspId,
      value: joinKeys.paymentTransactionId,
      label: 'payment transaction id',
    });
  }
  return claims;
}

/** Members of a trader collection: the submitting trader and customs. */
export function collectionMembers(submittedBy: string, customsMspId: string): string[] {
  return [submittedBy, customsMspId];
}
