import { describe, expect, it } from 'vitest';
import { CONSIGNMENT_ID_PATTERN } from '@customs-ledger/chaincode';
import { KeyedWrite, newRecordId } from '../../gateway/src/services/keyed-write.js';

const alice = { mspId: 'PlatformAMSP', user: 'alice' };
const write = (sender = alice, key = 'key-00000001', request = 'a'.repeat(64)) =>
  new KeyedWrite(sender, key, request);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('what the gateway derives from a write’s Idempotency-Key', () => {
  it('is the same for the same key, sender and request, so a retry names the same record and transactions', () => {
    expect(write().recordId('RT')).toBe(write().recordId('RT'));
    expect(write().recordId('RT')).toMatch(/^RT-[0-9a-f]{32}$/);
    const [first, retry] = [write(), write()];
    for (let submission = 0; submission < 3; submission++) {
      const [a, b] = [first.nextSubmission(), retry.nextSubmission()];
      expect(hex(a(0))).toBe(hex(b(0)));
      expect(hex(a(1))).toBe(hex(b(1)));
    }
  });

  it('differs by key, sender, organisation and request, as the keys are scoped', () => {
    const ids = [
      write(),
      write(alice, 'key-00000002'),
      write({ ...alice, user: 'bob' }),
      write({ ...alice, mspId: 'PlatformBMSP' }),
      write(alice, 'key-00000001', 'b'.repeat(64)),
      // No (user, key) pair is spelt as another: alice with x/key-1 is not alice/x with key-1.
      write(alice, 'x/key-00000001'),
      write({ ...alice, user: 'alice/x' }),
    ].map((w) => w.recordId('CN'));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives each submission of a request, and each proposal of a submission, a nonce of its own', () => {
    const w = write();
    const [first, second] = [w.nextSubmission(), w.nextSubmission()];
    const nonces = [first(0), first(1), second(0), second(1)].map(hex);
    expect(new Set(nonces).size).toBe(4);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{48}$/);
  });

  it('is random without a key, and a valid consignment id either way', () => {
    const [a, b] = [newRecordId('CN', undefined), newRecordId('CN', undefined)];
    expect(a).not.toBe(b);
    for (const id of [a, newRecordId('CN', write(alice, 'k'.repeat(128)))]) {
      expect(id).toMatch(CONSIGNMENT_ID_PATTERN);
    }
  });
});
