// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityProvider, Signer } from '../../gateway/src/ledger/identities.js';
import { ExpiryWatchingIdentityProvider } from '../../gateway/src/ledger/identity-expiry.js';
import type { ClientIdentity } from '../../gateway/src/ledger/port.js';
import { ELEVEN_YEARS_MS, withClockAhead } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/*
 * The certificates the gateway signs with end, and the ledger then refuses their transactions:
 * /metrics shows the first end per organisation, and the log says so 30 days ahead.
 */

const DAY = 86_400_000;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A self-signed certificate ending `days` from now (the provider reads only its dates). */
async function certificateEnding(days: number): Promise<string> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(8).toString('hex'),
      name: [{ CN: [`ends-in-${days}-days`] }],
      notBefore: new Date(now - 400 * DAY),
      notAfter: new Date(now + days * DAY),
      keys,
      signingAlgorithm: EC,
    },
    crypto,
  );
  return cert.toString('pem');
}

function watched(certificates: Record<string, { mspId: string; certificate: string }>) {
  const lines: { level: number; msg: string; mspId: string; user: string; notAfter: string }[] = [];
  const logger = pino(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    }),
  );
  const inner: IdentityProvider = {
    identityFor: async (principal: Signer): Promise<ClientIdentity> => ({
      ...certificates[principal.user]!,
      sign: async () => new Uint8Array(),
    }),
  };
  return { provider: new ExpiryWatchingIdentityProvider(inner, logger), lines };
}

const signer = (user: string, mspId: string): Signer => ({ user, mspId, role: 'operator' });

describe('the identity expiry watch', () => {
  it('keeps the first end per organisation, and warns once for each certificate ending within 30 days or ended', async () => {
    const [inAYear, inTenDays, ended] = await Promise.all([
      certificateEnding(365),
      certificateEnding(10),
      certificateEnding(-2),
    ]);
    const { provider, lines } = watched({
      alice: { mspId: 'PlatformAMSP', certificate: inAYear },
      bob: { mspId: 'PlatformAMSP', certificate: inTenDays },
      carol: { mspId: 'PostMSP', certificate: ended },
    });
    expect(provider.earliestExpiries().size).toBe(0);

    await provider.identityFor(signer('alice', 'PlatformAMSP'));
    expect(lines).toEqual([]);
    const yearEnd = provider.earliestExpiries().get('PlatformAMSP')!;
    expect(yearEnd - Date.now()).toBeGreaterThan(364 * DAY);

    await provider.identityFor(signer('bob', 'PlatformAMSP'));
    await provider.identityFor(signer('bob', 'PlatformAMSP'));
    await provider.identityFor(signer('carol', 'PostMSP'));
    const platformEnd = provider.earliestExpiries().get('PlatformAMSP')!;
    expect(platformEnd).toBeLessThan(yearEnd);
    expect(platformEnd - Date.now()).toBeGreaterThan(9 * DAY);
    expect(platformEnd - Date.now()).toBeLessThanOrEqual(10 * DAY);
    expect(provider.earliestExpiries().get('PostMSP')).toBeLessThan(Date.now());

    // Once for bob's certificate however often it signs, once for carol's: a warning, then an error.
    expect(lines.map((l) => [l.level, l.user, l.mspId])).toEqual([
      [40, 'bob', 'PlatformAMSP'],
      [50, 'carol', 'PostMSP'],
    ]);
    expect(lines[0]!.msg).toMatch(
      /^the ledger identity of PlatformAMSP that signs for bob \(operator\) expires at \S+, in 10 days: renew/,
    );
    expect(lines[0]!.notAfter).toBe(new Date(platformEnd).toISOString());
    expect(lines[1]!.msg).toMatch(
      /^the ledger identity of PostMSP that signs for carol \(operator\) expired at \S+: the ledger refuses its transactions/,
    );
  });
});

describe('ledger_identity_expiry_timestamp_seconds on /metrics', () => {
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
  });

  const gauge = (text: string, mspId: string): number | undefined => {
    const value = new RegExp(
      `^ledger_identity_expiry_timestamp_seconds\\{msp_id="${mspId}"\\} (\\S+)$`,
      'm',
    ).exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  };

  it("shows the gateway's own organisation from the start, and another once it has signed for it, each at its CA's end", async () => {
    t = await startTestGateway();
    const before = await t.metrics();
    expect(before).toContain('# TYPE ledger_identity_expiry_timestamp_seconds gauge');
    // The gateway's audit signer, customs' service identity: the embedded CAs last ten years.
    const customs = gauge(before, 'CustomsMSP');
    expect(customs).toBeDefined();
    expect(customs! * 1000 - Date.now()).toBeGreaterThan(9.9 * 365 * DAY);
    expect(gauge(before, 'PlatformAMSP')).toBeUndefined();

    const created = await t.as('platforma-operator').post('/v1/consignments', {
      consignmentId: `EXP-${randomBytes(3).toString('hex').toUpperCase()}`,
      orderNumber: `ORD-EXP-${randomBytes(3).toString('hex')}`,
      originCountry: 'CN',
      destinationCountry: 'FR',
    });
    expect(created.status, created.text).toBe(201);
    const platform = gauge(await t.metrics(), 'PlatformAMSP');
    expect(platform).toBeDefined();
    expect(platform! * 1000 - Date.now()).toBeGreaterThan(9.9 * 365 * DAY);
  });

  it('answers 503 saying the identity expired once it has, and writes nothing', async () => {
    const consignmentId = `EXP-${randomBytes(3).toString('hex').toUpperCase()}`;
    const late = await withClockAhead(ELEVEN_YEARS_MS, () =>
      t.as('platforma-operator').post('/v1/consignments', {
        consignmentId,
        orderNumber: `ORD-${consignmentId}`,
        originCountry: 'CN',
        destinationCountry: 'FR',
      }),
    );
    expect(late.status, late.text).toBe(503);
    expect(late.headers.get('content-type')).toContain('application/problem+json');
    expect(late.body.detail).toMatch(
      /^the ledger refuses the identity this gateway signs with for the caller's organisation: access denied: creator PlatformAMSP identity expired \(its certificate's validity ended at \d{4}-.*\); the gateway's operator must renew its certificate$/,
    );
    expect((await t.as('platforma-operator').get(`/v1/consignments/${consignmentId}`)).status).toBe(404);
  });
});
