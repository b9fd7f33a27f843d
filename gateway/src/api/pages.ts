import { decodeCursor, encodeCursor, type Walk } from '@customs-ledger/chaincode';
import { HttpProblem } from '../http/problem.js';

/**
 * Refuses, as 400 at `/query/after`, a cursor that is not one of this walk's (altered, or made for
 * another list, subject or restriction): the chaincode would refuse it too, but as an error a client
 * could not point at its query. Only a cursor as the list returned it is one: base64url leaves the
 * last character's low bits unread, so others decode alike (a character added, say), and the
 * chaincode takes them.
 */
export function assertCursorOfWalk(walk: Walk, after: string | undefined): void {
  if (after === undefined) return;
  const cursor = decodeCursor(walk, after);
  const refused =
    'refused' in cursor
      ? cursor.refused
      : encodeCursor(walk, cursor) === after
        ? undefined
        : `the ${walk.list} cursor is not one this ${walk.list} returned`;
  if (refused !== undefined) {
    throw new HttpProblem(400, refused, { errors: [{ pointer: '/query/after', message: refused }] });
  }
}
