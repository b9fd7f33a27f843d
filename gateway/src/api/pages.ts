import { decodeCursor, type Walk } from '@customs-ledger/chaincode';
import { HttpProblem } from '../http/problem.js';

/**
 * Refuses, as 400 at `/query/after`, a cursor that is not one of this walk's (altered, or made for
 * another list, subject or restriction): the chaincode would refuse it too, but as an error a client
 * could not point at its query.
 */
export function assertCursorOfWalk(walk: Walk, after: string | undefined): void {
  if (after === undefined) return;
  const cursor = decodeCursor(walk, after);
  if ('refused' in cursor) {
    throw new HttpProblem(400, cursor.refused, {
      errors: [{ pointer: '/query/after', message: cursor.refused }],
    });
  }
}
