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
    for (const args of [['CN-1'], ['CN-2'], ['CN-1']]) {
      const [a, b] = [
        first.submission('consignment:create', args),
        retry.submission('consignment:create', args),
      ];
      expect(hex(a(0))).toBe(hex(b(0)));
      expect(hex(a(1))).toBe(hex(b(1)));
    }
  });

  it('names a submission by what it submits, not by when: a retry whose steps went otherwise meets no other content', () => {
    const [first, retry] = [write(), write()];
    const a1 = first.submission('consignment:batch', ['[round 1]']);
    const b1 = first.submission('consignment:batch', ['[round 2]']);
    const b2 = retry.submission('consignment:batch', ['[round 2]']);
    const c2 = retry.submission('consignment:batch', ['[another round 2]']);
    expect(hex(b2(0))).toBe(hex(b1(0)));
    expect([hex(a1(0)), hex(b1(0))]).not.toContain(hex(c2(0)));
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
    // The same content twice in one request, and another content.
    const [first, second, other] = [
      w.submission('consignment:recordDecision', ['CN-1', '{"decision":"refer"}']),
      w.submission('consignment:recordDecision', ['CN-1', '{"decision":"refer"}']),
      w.submission('consignment:recordDecision', ['CN-2', '{"decision":"refer"}']),
    ];
    const nonces = [first(0), first(1), second(0), second(1), other(0)].map(hex);
    expect(new Set(nonces).size).toBe(5);
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
