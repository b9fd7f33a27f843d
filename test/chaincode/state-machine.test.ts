import { describe, expect, it } from 'vitest';

import {
  assertDeclared,
  assertInCustody,
  assertScanOrder,
  allowedEvents,
  consignmentEvents,
  isFinal,
  nextStatus,
  recordsLocked,
  statuses,
  type ConsignmentEvent,
  type ConsignmentStatus,
} from '../../chaincode/src/domain/state-machine.js';

// The full table, written out independently of the implementation: '-' is a refused transition.
// Columns: dispatched arrived delivered exited | release hold inspect seize return_to_sender refer
const expected: Record<ConsignmentStatus, string> = {
  created: '         dispatched - - - | released held - - returned_to_sender referred',
  dispatched: '      - arrived - - | released held inspection - returned_to_sender referred',
  arrived: '         - - - - | released held inspection seized returned_to_sender referred',
  referred: '        - referred - - | released held inspection seized returned_to_sender referred',
  held: '            - held - - | released - inspection seized returned_to_sender referred',
  inspection: '      - inspection - - | released held - seized returned_to_sender referred',
  released: '        released released delivered - | - - - - - -',
  seized: '          - - - - | - - - - - -',
  returned_to_sender: '- - - exited | - - - - - -',
  delivered: '       - - - - | - - - - - -',
  exited: '          - - - - | - - - - - -',
};

const columns: ConsignmentEvent[] = [
  'dispatched',
  'arrived',
  'delivered',
  'exited',
  'release',
  'hold',
  'inspect',
  'seize',
  'return_to_sender',
  'refer',
];

const cells = statuses.flatMap((status) => {
  const targets = expected[status].replace('|', '').trim().split(/\s+/);
  if (targets.length !== columns.length) throw new Error(`row ${status} has ${targets.length} cells`);
  return columns.map((event, i) => [status, event, targets[i] === '-' ? undefined : targets[i]] as const);
});

describe('consignment state machine', () => {
  it('covers every status and event', () => {
    expect(cells).toHaveLength(statuses.length * consignmentEvents.length);
    expect([...columns].sort()).toEqual([...consignmentEvents].sort());
  });

  it.each(cells.filter(([, , target]) => target !== undefined))("%s + '%s' → %s", (status, event, target) => {
    expect(nextStatus(status, event, 'C1')).toBe(target);
  });

  it.each(cells.filter(([, , target]) => target === undefined))("%s + '%s' is refused", (status, event) => {
    const allowed = allowedEvents(status);
    const error = (() => {
      try {
        nextStatus(status, event, 'C1');
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toMatch(`cannot apply '${event}' to consignment C1 in status '${status}'; allowed: `);
    for (const e of allowed) expect(error).toMatch(new RegExp(`[ ,]${e}(,|;|$)`));
  });

  it('names the allowed events in the error', () => {
    expect(() => nextStatus('created', 'seize', 'PX-9')).toThrow(
      "cannot apply 'seize' to consignment PX-9 in status 'created'; allowed: decisions release, hold, return_to_sender, refer; movements dispatched",
    );
    expect(() => nextStatus('released', 'seize', 'PX-9')).toThrow(
      "cannot apply 'seize' to consignment PX-9 in status 'released'; allowed: no decisions; movements dispatched, arrived, delivered",
    );
    expect(() => nextStatus('delivered', 'release')).toThrow(
      "cannot apply 'release' to consignment in status 'delivered'; allowed: none (final status)",
    );
  });

  it('seizes only goods in custody: after an arrival scan, whatever the status says', () => {
    expect(() => assertInCustody('seize', ['dispatched'], 'C1')).toThrow(
      "cannot apply 'seize' to consignment C1 before its arrival scan: the goods are not in customs custody",
    );
    expect(() => assertInCustody('seize', [], 'C1')).toThrow(/before its arrival scan/);
    expect(() => assertInCustody('seize', ['dispatched', 'arrived'], 'C1')).not.toThrow();
    for (const event of ['release', 'hold', 'inspect', 'refer', 'return_to_sender'] as const) {
      expect(() => assertInCustody(event, [], 'C1')).not.toThrow();
    }
  });

  it('takes scans in the goods’ order: an arrival after a dispatch, no dispatch after an arrival', () => {
    expect(() => assertScanOrder('arrived', [], 'C1')).toThrow(
      "cannot apply 'arrived' to consignment C1 before its 'dispatched' scan",
    );
    expect(() => assertScanOrder('dispatched', ['dispatched', 'arrived'], 'C1')).toThrow(
      "cannot apply 'dispatched' to consignment C1 after its 'arrived' scan: the goods are at their destination",
    );
    // A parcel may pass several hubs: dispatches repeat before its arrival, arrivals after a dispatch.
    for (const [event, before] of [
      ['dispatched', []],
      ['dispatched', ['dispatched']],
      ['arrived', ['dispatched']],
      ['arrived', ['dispatched', 'arrived']],
      ['delivered', ['dispatched', 'arrived']],
      // Released before arrival, delivered by a post that shares no arrival scan.
      ['delivered', []],
      ['exited', []],
    ] as const) {
      expect(() => assertScanOrder(event, before, 'C1')).not.toThrow();
    }
  });

  it('releases only under a declaration; every other decision may come first', () => {
    expect(() => assertDeclared('release', false, 'C1')).toThrow(
      "cannot apply 'release' to consignment C1 before its declaration is recorded: goods are released under a declaration",
    );
    expect(() => assertDeclared('release', true, 'C1')).not.toThrow();
    for (const event of ['hold', 'inspect', 'seize', 'refer', 'return_to_sender'] as const) {
      expect(() => assertDeclared(event, false, 'C1')).not.toThrow();
    }
  });

  it('treats seized, delivered and exited as final', () => {
    expect(statuses.filter(isFinal)).toEqual(['seized', 'delivered', 'exited']);
  });

  it('keeps a pre-arrival release through dispatch and arrival scans', () => {
    let s: ConsignmentStatus = 'created';
    for (const e of ['release', 'dispatched', 'arrived', 'delivered'] as const) s = nextStatus(s, e);
    expect(s).toBe('delivered');
  });

  it('locks submitted records once customs has released or closed the consignment', () => {
    expect(statuses.filter(recordsLocked)).toEqual([
      'released',
      'seized',
      'returned_to_sender',
      'delivered',
      'exited',
    ]);
  });
});
