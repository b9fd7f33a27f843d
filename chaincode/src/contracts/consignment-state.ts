import type { Context } from 'fabric-contract-api';

import { canSeeConsignment } from '../domain/consignment';
import { assertAllowed } from '../domain/roles';
import { ConsignmentId, parseWith } from '../domain/schemas';
import { compositeKey, KeyType, readJson, type Caller } from './context';
import type { ConsignmentRecord } from './records';

/** A consignment's public record, or a 404-class refusal naming it. */
export async function loadConsignment(ctx: Context, consignmentId: string): Promise<ConsignmentRecord> {
  const id = parseWith(ConsignmentId, 'consignmentId', consignmentId);
  const consignment = await readJson<ConsignmentRecord>(ctx, compositeKey(ctx, KeyType.consignment, [id]));
  if (!consignment) throw new Error(`consignment ${id} does not exist`);
  return consignment;
}

/** As loadConsignment, for callers who may see it: its participants, customs and auditors. */
export async function loadVisibleConsignment(
  ctx: Context,
  caller: Caller,
  consignmentId: string,
): Promise<ConsignmentRecord> {
  assertAllowed('readConsignment', caller);
  const consignment = await loadConsignment(ctx, consignmentId);
  if (!canSeeConsignment(caller, consignment)) {
    throw new Error(`consignment ${consignment.consignmentId} is not visible to ${caller.mspId}`);
  }
  return consignment;
}
