import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal.js';

/**
 * The id the gateway chooses for a new record whose client named none. With an Idempotency-Key it
 * is derived from the key and its sender: the retry of a request whose answer was lost (an outcome
 * the ledger could not confirm, a crash before the answer was kept) names the same record, which
 * the chaincode refuses to create twice, instead of a second one. Without a key, random.
 */
export function newRecordId(
  prefix: string,
  principal: Principal,
  idempotencyKey: string | undefined,
): string {
  if (idempotencyKey === undefined) return `${prefix}-${randomUUID()}`;
  const digest = createHash('sha256')
    .update(JSON.stringify([principal.mspId, principal.user, idempotencyKey]))
    .digest('hex');
  return `${prefix}-${digest.slice(0, 32)}`;
}
