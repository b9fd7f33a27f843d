import type { Context } from 'fabric-contract-api';

import { canSeeConsignment, unknownConsignment } from '../domain/consignment';
import { assertAllowed } from '../domain/roles';
import { ConsignmentId, parseWith } from '../domain/schemas';
import { compositeKey, KeyType, putJson, readJson, txTime, type Caller } from './context';
import type { ConsignmentRecord } from './records';

export function consignmentKey(ctx: Context, id: string): string {
  return compositeKey(ctx, KeyType.consignment, [id]);
}

/** Writes the consignment in its new status, by this transaction; nothing when the status is the same. */
export async function updateStatus(
  ctx: Context,
  consignment: ConsignmentRecord,
  status: ConsignmentRecord['status'],
): Promise<void> {
  if (status === consignment.status) return;
  const updated: ConsignmentRecord = {
    ...consignment,
    status,
    updatedAt: txTime(ctx),
    txId: ctx.stub.getTxID(),
  };
  await putJson(ctx, consignmentKey(ctx, consignment.consignmentId), updated);
}

/**
 * A consignment's public record, or a 404-class refusal naming it: the caller's refusal for a
 * consignment it takes no part in, which a caller that is not its participant must get too.
 */
export async function loadConsignment(
  ctx: Context,
  caller: Caller,
  consignmentId: string,
): Promise<ConsignmentRecord> {
  const id = parseWith(ConsignmentId, 'consignmentId', consignmentId);
  const consignment = await readJson<ConsignmentRecord>(ctx, consignmentKey(ctx, id));
  if (!consignment) throw unknownConsignment(id, caller);
  return consignment;
}

/** As loadConsignment, for callers who may see it: its participants, customs and auditors. */
export async function loadVisibleConsignment(
  ctx: Context,
  caller: Caller,
  consignmentId: string,
): Promise<ConsignmentRecord> {
  assertAllowed('readConsignment', caller);
  const consignment = await loadConsignment(ctx, caller, consignmentId);
  if (!canSeeConsignment(caller, consignment)) throw unknownConsignment(consignment.consignmentId, caller);
  return consignment;
}
