import { z } from 'zod';
import { decodeBlock, type Block } from '../../../gateway/src/ledger/embedded/block.js';

/**
 * What the auditor's checks read of a stored block, by the Block type. The ledger trusts the blocks
 * it wrote; the auditor reads a directory anyone may have changed, and its metadata (outside the
 * hashes) even with the chain intact: a block of another shape is a finding to name, not a fault
 * of the checks.
 */
const version = z.tuple([z.number(), z.number()]).nullable();
const read = z.object({ key: z.string(), version });
const transaction = z.object({
  txId: z.string(),
  timestamp: z.string(),
  creator: z.object({ mspId: z.string(), certificate: z.string() }),
  args: z.array(z.string()),
  signature: z.string(),
  response: z.object({ status: z.number(), message: z.string(), payload: z.string() }),
  rwset: z.object({
    reads: z.array(read),
    rangeQueries: z.array(
      z.object({ startKey: z.string(), endKey: z.string(), exhausted: z.boolean(), reads: z.array(read) }),
    ),
    writes: z.array(z.object({ key: z.string(), value: z.string().nullable() })),
    metadataWrites: z.array(z.object({ key: z.string(), validationParameter: z.string() })),
    collections: z.array(
      z.object({
        collection: z.string(),
        hashedReads: z.array(z.object({ keyHash: z.string(), version })),
        hashedWrites: z.array(
          z.object({ keyHash: z.string(), valueHash: z.string().nullable(), isPurge: z.boolean() }),
        ),
        metadataWrites: z.array(z.object({ keyHash: z.string(), validationParameter: z.string() })),
      }),
    ),
  }),
  endorsements: z.array(z.object({ mspId: z.string(), certificate: z.string(), signature: z.string() })),
});
const storedBlock = z.object({
  header: z.object({ number: z.number(), previousHash: z.string(), dataHash: z.string() }),
  data: z.record(z.string(), z.unknown()),
  metadata: z.object({ validationCodes: z.array(z.number()) }),
});
const configData = z.object({ type: z.literal('config'), channel: z.string(), config: z.unknown() });
const transactionData = z.object({ transactions: z.array(transaction) });

/** The first issue `schema` finds with `value`, as '<path>: <message>'. */
function problemOf(schema: z.ZodType, value: unknown, path: readonly PropertyKey[] = []): string | undefined {
  const checked = schema.safeParse(value);
  if (checked.success) return undefined;
  const [issue] = checked.error.issues;
  return `${[...path, ...issue!.path].join('.') || 'the block'}: ${issue!.message}`;
}

/** A stored block that is not JSON, or not of the Block type's shape. */
export class MalformedBlockError extends Error {
  override readonly name = 'MalformedBlockError';
}

/**
 * The stored block, checked to be of the Block type's shape (its bytes as stored: the check
 * returns nothing of its own, so no field is dropped or changed). Throws MalformedBlockError
 * naming the first field that is not.
 */
export function readStoredBlock(bytes: Uint8Array): Block {
  let block: Block;
  try {
    block = decodeBlock(bytes);
  } catch {
    throw new MalformedBlockError('its bytes are not JSON');
  }
  const problem =
    problemOf(storedBlock, block) ??
    problemOf(
      (block.data as { type?: unknown }).type === 'config' ? configData : transactionData,
      block.data,
      ['data'],
    );
  if (problem !== undefined) throw new MalformedBlockError(problem);
  return block;
}

/** The stored block if it is of the Block type's shape; undefined if not (for checks that name other things). */
export function tryReadStoredBlock(bytes: Uint8Array): Block | undefined {
  try {
    return readStoredBlock(bytes);
  } catch (error) {
    if (error instanceof MalformedBlockError) return undefined;
    throw error;
  }
}
