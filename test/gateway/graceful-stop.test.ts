import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * A graceful stop behind a load balancer: once stopping, /readyz answers 503 'stopping' while the
 * gateway goes on serving for STOP_DRAIN_SECONDS, each answer closing its connection, and only
 * then does its listener close.
 */

const RUN = randomBytes(3).toString('hex').toUpperCase();
let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('a graceful stop', () => {
  it('says it is stopping on /readyz and serves, closing connections, until the drain ends', async () => {
    t = await startTestGateway({ STOP_DRAIN_SECONDS: '2' });
    const { url } = t.gateway;
    const before = await fetch(`${url}/readyz`);
    expect(before.status).toBe(200);
    expect(before.headers.get('connection')).toBe('keep-alive');

    const stopped = t.gateway.close();
    const readiness = await fetch(`${url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toEqual({ status: 'stopping' });
    const created = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: `STOP-${RUN}`,
      orderNumber: `ORD-STOP-${RUN}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('connection')).toBe('close');

    await stopped;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
