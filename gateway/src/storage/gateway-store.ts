import { join } from 'node:path';
import { Level } from 'level';

/**
 * The gateway's own LevelDB: audit log, idempotency records, event index and checkpoints, each in
 * a sublevel of its own. String keys, binary values.
 */
export type GatewayStore = Level<string, Uint8Array>;

/** Where a gateway keeps its store in DATA_DIR. */
export const gatewayStorePath = (dataDir: string): string => join(dataDir, 'gateway', 'store');

/** Opens a gateway store at `location`, creating it unless `createIfMissing` is false. */
export async function openGatewayStore(
  location: string,
  { createIfMissing = true }: { createIfMissing?: boolean } = {},
): Promise<GatewayStore> {
  const db = new Level<string, Uint8Array>(location, {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
    createIfMissing,
  });
  await db.open();
  return db;
}
