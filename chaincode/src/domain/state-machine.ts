/**
 * Consignment lifecycle as one explicit table. A missing cell is a refused transition.
 *
 * Choices worth knowing:
 * - Customs may decide before arrival (WCO standard 5, pre-arrival processing) in 'created' and
 *   'dispatched'. Physical control ('seize') needs the goods in customs custody, so it is refused
 *   pre-arrival; 'inspect' is refused before dispatch (nothing to target on arrival yet) but allowed
 *   in transit, meaning "inspect on arrival".
 * - Carrier scans do not undo a customs status: an arrival scan keeps 'released', 'held',
 *   'referred' and 'inspection'. A dispatch scan keeps 'released' (released before loading), but
 *   is refused while held or referred before loading (do-not-load).
 * - 'seized', 'delivered' and 'exited' are final: no decision or scan moves them. A return of
 *   delivered goods is a record of its own (returns.ts) and leaves the status as it is; a return
 *   shipped before delivery ends, once its goods are scanned out, in 'exited'.
 */

export const statuses = [
  'created',
  'dispatched',
  'arrived',
  'referred',
  'held',
  'inspection',
  'released',
  'seized',
  'returned_to_sender',
  'delivered',
  'exited',
] as const;
export type ConsignmentStatus = (typeof statuses)[number];

export const movementEvents = ['dispatched', 'arrived', 'delivered', 'exited'] as const;
export type MovementEvent = (typeof movementEvents)[number];

export const decisionEvents = ['release', 'hold', 'inspect', 'seize', 'return_to_sender', 'refer'] as const;
export type DecisionEvent = (typeof decisionEvents)[number];

export type ConsignmentEvent = MovementEvent | DecisionEvent;
export const consignmentEvents: readonly ConsignmentEvent[] = [...movementEvents, ...decisionEvents];

type Transitions = Readonly<Partial<Record<ConsignmentEvent, ConsignmentStatus>>>;

export const transitions: Readonly<Record<ConsignmentStatus, Transitions>> = {
  created: {
    dispatched: 'dispatched',
    release: 'released',
    hold: 'held',
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  dispatched: {
    arrived: 'arrived',
    release: 'released',
    hold: 'held',
    inspect: 'inspection',
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  arrived: {
    release: 'released',
    hold: 'held',
    inspect: 'inspection',
    seize: 'seized',
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  referred: {
    arrived: 'referred',
    release: 'released',
    hold: 'held',
    inspect: 'inspection',
    seize: 'seized',
    // A trader's answer may prompt a further request.
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  held: {
    arrived: 'held',
    release: 'released',
    inspect: 'inspection',
    seize: 'seized',
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  inspection: {
    arrived: 'inspection',
    release: 'released',
    hold: 'held',
    seize: 'seized',
    refer: 'referred',
    return_to_sender: 'returned_to_sender',
  },
  released: {
    dispatched: 'released',
    arrived: 'released',
    delivered: 'delivered',
  },
  returned_to_sender: {
    exited: 'exited',
  },
  seized: {},
  delivered: {},
  exited: {},
};

export function isStatus(value: string): value is ConsignmentStatus {
  return (statuses as readonly string[]).includes(value);
}

export function isMovementEvent(value: string): value is MovementEvent {
  return (movementEvents as readonly string[]).includes(value);
}

export function isDecisionEvent(value: string): value is DecisionEvent {
  return (decisionEvents as readonly string[]).includes(value);
}

/** Events accepted in a status, in the table's canonical event order. */
export function allowedEvents(status: ConsignmentStatus): ConsignmentEvent[] {
  const row = transitions[status];
  return consignmentEvents.filter((e) => row[e] !== undefined);
}

export function isFinal(status: ConsignmentStatus): boolean {
  return allowedEvents(status).length === 0;
}

/** Statuses from which the goods may come back (a return, returns.ts): released, before delivery or after. */
export const returnableStatuses: readonly ConsignmentStatus[] = ['released', 'delivered'];

/**
 * Statuses in which customs has decided on the data as submitted, so order, payment, logistics
 * and declaration records can no longer be submitted or corrected.
 */
export const recordsLockedStatuses: readonly ConsignmentStatus[] = [
  'released',
  'seized',
  'returned_to_sender',
  'delivered',
  'exited',
];

export function recordsLocked(status: ConsignmentStatus): boolean {
  return recordsLockedStatuses.includes(status);
}

/**
 * Seizure is physical control and needs the goods in customs custody: an arrival scan. The table
 * refuses it in 'created' and 'dispatched', but a hold, referral or inspection decided before
 * arrival keeps no trace of arrival in the status, so a seizure also needs the scan itself.
 */
export function assertInCustody(
  event: ConsignmentEvent,
  movements: readonly MovementEvent[],
  consignmentId: string,
): void {
  if (event === 'seize' && !movements.includes('arrived')) {
    throw new Error(
      `cannot apply 'seize' to consignment ${consignmentId} before its arrival scan: the goods are not in customs custody`,
    );
  }
}

/**
 * Carrier scans follow the goods: an arrival needs a dispatch scan before it, and goods that arrived
 * are not dispatched again. The status cannot tell: a decision before loading keeps 'held',
 * 'referred' or 'released' whether or not the goods moved, so the scans themselves are read.
 * Without this, an arrival scan in place of a dispatch got round a do-not-load hold, and a seizure
 * then found in custody goods the ledger says never left. A delivery needs no arrival scan before
 * it: goods released before arrival may be delivered by a destination post that shares no arrival
 * event.
 */
export function assertScanOrder(
  event: MovementEvent,
  movements: readonly MovementEvent[],
  consignmentId: string,
): void {
  if (event === 'arrived' && !movements.includes('dispatched')) {
    throw new Error(`cannot apply 'arrived' to consignment ${consignmentId} before its 'dispatched' scan`);
  }
  if (event === 'dispatched' && movements.includes('arrived')) {
    throw new Error(
      `cannot apply 'dispatched' to consignment ${consignmentId} after its 'arrived' scan: the goods are at their destination`,
    );
  }
}

/**
 * Release lets goods into free circulation under a declaration. Pre-arrival release (WCO standard 5)
 * is release on advance data, not without it: an officer's release with no declaration on file
 * would clear goods nobody declared, with nothing to assess duty on.
 */
export function assertDeclared(event: ConsignmentEvent, declared: boolean, consignmentId: string): void {
  if (event === 'release' && !declared) {
    throw new Error(
      `cannot apply 'release' to consignment ${consignmentId} before its declaration is recorded: goods are released under a declaration`,
    );
  }
}

export function nextStatus(
  status: ConsignmentStatus,
  event: ConsignmentEvent,
  consignmentId?: string,
): ConsignmentStatus {
  const target = transitions[status][event];
  if (target !== undefined) return target;
  const allowed = allowedEvents(status);
  const subject = consignmentId === undefined ? 'consignment' : `consignment ${consignmentId}`;
  // Customs and carriers read this: each is told what it, and the other, may still do.
  const group = (name: string, events: readonly ConsignmentEvent[]) =>
    events.length > 0 ? `${name} ${events.join(', ')}` : `no ${name}`;
  const next =
    allowed.length === 0
      ? 'none (final status)'
      : `${group('decisions', allowed.filter(isDecisionEvent))}; ${group('movements', allowed.filter(isMovementEvent))}`;
  throw new Error(`cannot apply '${event}' to ${subject} in status '${status}'; allowed: ${next}`);
}
