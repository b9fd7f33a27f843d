import { randomBytes } from 'node:crypto';

/**
 * A salt seed for a private payload's commitment. Drawn here, not in the chaincode, which must
 * stay deterministic: every endorser derives the same salts from the seed it is given.
 */
export function newSaltSeed(): Uint8Array {
  return Buffer.from(randomBytes(32).toString('hex'), 'utf8');
}

/** The transient map of a private payload: the payload and its salt seed, never written to a block. */
export function privateTransient(payload: unknown): Record<string, Uint8Array> {
  return { payload: Buffer.from(JSON.stringify(payload), 'utf8'), saltSeed: newSaltSeed() };
}
