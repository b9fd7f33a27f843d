import { JoinKeys, withoutPointer, type OrgRole } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';

type Property = 'reasonCodes' | 'commercialReferences';

/**
 * Role-based filtering of the public data about a consignment (ids, statuses and commitments, no
 * personal data): the roles that may see each protected property. One table for every answer and
 * event that carries such data, or what the consignment view withholds the history, the returns
 * or the event stream would tell.
 */
const SEEN_BY: Record<Property, readonly OrgRole[]> = {
  /**
   * Customs' reasons for its decisions, on a consignment or a return: for customs alone (they
   * would tell traders what customs targets), but for a referral's (REFERRAL below).
   */
  reasonCodes: ['customs'],
  /**
   * The traders' own references (the join keys: order number, tracking numbers, payment
   * transaction id; and a return's authorisation (RMA) number) find the order and its buyer in
   * their systems: an auditor checks commitments and provenance without them.
   */
  commercialReferences: ['platform', 'payment', 'post', 'express', 'customs'],
};

/**
 * A referral's reason codes are the questions the trader is asked to answer (VALUE_QUERY, …): the
 * decision in the consignment view and in an event, or its entry in the history.
 */
const isReferral = (item: unknown): boolean => {
  const { decision, type } = (item ?? {}) as { decision?: unknown; type?: unknown };
  return decision === 'refer' || type === 'decision_refer';
};
const SPARED: Partial<Record<Property, (item: unknown) => boolean>> = { reasonCodes: isReferral };

/** Where the protected properties sit in one shape of data: JSON pointers (see withoutPointer). */
type Locations = Partial<Record<Property, readonly string[]>>;

/** The countries route the consignment and stay public; a join key added later is protected. */
const ROUTING_KEYS: ReadonlySet<string> = new Set(['originCountry', 'destinationCountry']);
const joinKeysUnder = (pointer: string): string[] =>
  Object.keys(JoinKeys.shape)
    .filter((key) => !ROUTING_KEYS.has(key))
    .map((key) => `${pointer}/${key}`);

const RETURN: Locations = {
  reasonCodes: ['/decision/reasonCodes'],
  commercialReferences: ['/authorisation', '/shipment/trackingNumber'],
};

const under = (prefix: string, locations: Locations): Locations =>
  Object.fromEntries(
    Object.entries(locations).map(([property, pointers]) => [property, pointers.map((p) => prefix + p)]),
  );

/** The gateway's answers that carry a consignment's public data, by what the chaincode returns. */
const VIEWS = {
  /** consignment:get */
  consignment: {
    reasonCodes: ['/decisions/*/reasonCodes'],
    commercialReferences: joinKeysUnder('/consignment/joinKeys'),
  },
  /** provenance:history: decisions' and return decisions' reasons, creation's join keys, a return's RMA and tracking numbers. */
  history: {
    reasonCodes: ['/entries/*/detail/reasonCodes'],
    commercialReferences: [
      ...joinKeysUnder('/entries/*/detail/joinKeys'),
      '/entries/*/detail/authorisation',
      '/entries/*/detail/trackingNumber',
    ],
  },
  /** returns:get, and each return step's result */
  return: RETURN,
  /** returns:list */
  returns: under('/returns/*', RETURN),
} satisfies Record<string, Locations>;

export type PublicView = keyof typeof VIEWS;

/**
 * Chaincode events by name, as clients receive them (a batch transaction's one by one). An event
 * not listed carries none of the protected properties.
 */
const EVENTS: ReadonlyMap<string, Locations> = new Map([
  ['DecisionRecorded', { reasonCodes: ['/reasonCodes'] }],
  ['ReturnShipped', { commercialReferences: ['/trackingNumber'] }],
]);

/** The value without what the principal's role may not see; the value itself is left as it is. */
function withheld<T>(principal: Principal, locations: Locations, value: T): T {
  const hidden = Object.entries(locations).filter(
    ([property]) => !SEEN_BY[property as Property].includes(principal.orgRole),
  );
  let seen = value;
  for (const [property, pointers] of hidden) {
    for (const pointer of pointers) seen = withoutPointer(seen, pointer, SPARED[property as Property]);
  }
  return seen;
}

/**
 * One of the gateway's answers about a consignment, as the principal may see it: still typed as
 * the ledger's answer, though properties the type requires may be gone.
 */
export function publicView<T>(principal: Principal, view: PublicView, value: T): T {
  return withheld(principal, VIEWS[view], value);
}

/** A chaincode event's payload, as the principal may see it. */
export function publicEvent(
  principal: Principal,
  name: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  const locations = EVENTS.get(name);
  return locations === undefined ? data : withheld(principal, locations, data);
}
