/**
 * A start that fails after the ledger and the gateway's store are open (here: the port is in use)
 * closes them again, so that the same process can start a gateway on that data directory once the
 * cause is gone, as a supervisor or an embedding program would.
 */
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway.js';

let dataDir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'failed-start-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('a start that fails on a port in use', () => {
  it('is refused, and leaves the data directory free for the next start in the same process', async () => {
    // Customs' gateway (the default): its automatic pipeline follows the ledger by the time the port is tried.
    await expect(startTestGateway({ PORT: String(busyPort) }, dataDir)).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    const gateway = await startTestGateway({}, dataDir);
    try {
      const me = await gateway.as('customs-officer').get('/v1/me');
      expect(me.status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
