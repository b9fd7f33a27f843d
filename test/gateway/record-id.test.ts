import { describe, expect, it } from 'vitest';
import { CONSIGNMENT_ID_PATTERN } from '@customs-ledger/chaincode';
import type { Principal } from '../../gateway/src/auth/principal.js';
import { newRecordId } from '../../gateway/src/services/record-id.js';

const principal = (user: string, mspId = 'PlatformAMSP'): Principal => ({
  user,
  mspId,
  orgRole: 'platform',
  role: 'operator',
  authMethod: 'api-key',
});
const alice = principal('alice');

describe('ids the gateway chooses for new records', () => {
  it('are the same for the same Idempotency-Key from the same user, so a retry names the same record', () => {
    expect(newRecordId('RT', alice, 'key-00000001')).toBe(newRecordId('RT', alice, 'key-00000001'));
    expect(newRecordId('RT', alice, 'key-00000001')).toMatch(/^RT-[0-9a-f]{32}$/);
  });

  it('differ by key, by user and by organisation, as the keys are scoped', () => {
    const ids = [
      newRecordId('CN', alice, 'key-00000001'),
      newRecordId('CN', alice, 'key-00000002'),
      newRecordId('CN', principal('bob'), 'key-00000001'),
      newRecordId('CN', principal('alice', 'PlatformBMSP'), 'key-00000001'),
      // No (user, key) pair is spelt as another: alice with x/key-1 is not alice/x with key-1.
      newRecordId('CN', alice, 'x/key-00000001'),
      newRecordId('CN', principal('alice/x'), 'key-00000001'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('are random without a key, and valid consignment ids either way', () => {
    const [a, b] = [newRecordId('CN', alice, undefined), newRecordId('CN', alice, undefined)];
    expect(a).not.toBe(b);
    for (const id of [a, newRecordId('CN', alice, 'k'.repeat(128))])
      expect(id).toMatch(CONSIGNMENT_ID_PATTERN);
  });
});
