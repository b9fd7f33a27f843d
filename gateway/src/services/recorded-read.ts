import { purposeAllowed, purposesForRole, type Purpose } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { HttpProblem } from '../http/problem.js';
import type { LedgerClient } from './ledger-client.js';

/** A chaincode call: the function's name and its arguments. */
export interface ChaincodeCall {
  readonly fn: string;
  readonly args: readonly string[];
}

/**
 * A purpose-bound read of personal data. The access record is committed first (`record`, a
 * transaction that refuses whatever the read would: not a member, erased: 410, so a refused read
 * records nothing), then `read` is evaluated with that record's transaction id as its last
 * argument, and the chaincode hands the data only to the user that record names. If the record
 * cannot be written, nothing is read.
 */
export async function recordedRead<T>(
  ledger: LedgerClient,
  principal: Principal,
  purpose: Purpose,
  record: ChaincodeCall,
  read: ChaincodeCall,
): Promise<{ value: T; accessTxId: string }> {
  assertPurpose(principal, purpose);
  const { txId: accessTxId } = await ledger.submit(principal, record.fn, record.args);
  const value = await ledger.evaluate<T>(principal, read.fn, [...read.args, accessTxId]);
  return { value, accessTxId };
}

/** Refuses a purpose the caller's role may not state (403), before anything is read or recorded. */
function assertPurpose(principal: Principal, purpose: Purpose): void {
  if (!purposeAllowed(purpose, principal.orgRole)) {
    throw new HttpProblem(
      403,
      `purpose '${purpose}' is not allowed for role ${principal.orgRole}; allowed: ${purposesForRole(principal.orgRole).join(', ') || 'none'}`,
    );
  }
}
