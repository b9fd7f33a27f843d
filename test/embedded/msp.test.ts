import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import {
  FABRIC_ATTRS_OID,
  MspStore,
  isIssuedBy,
  newClientIdentity,
  toLowS,
  verifySignature,
  wasIssuedBy,
} from '../../gateway/src/ledger/embedded/msp.js';
import { ELEVEN_YEARS_MS, withClockAhead } from '../support/clock.js';

interface FidmCertificate {
  extensions: { oid: string; value: Buffer }[];
  subject: { attributes: { shortName: string; value: string }[] };
}
const { Certificate } = createRequire(import.meta.url)('@fidm/x509') as {
  Certificate: { fromPEM(pem: Buffer): FidmCertificate };
};

const ORGS = [
  { mspId: 'Org1MSP', domain: 'org1.example.com' },
  { mspId: 'Org2MSP', domain: 'org2.example.com' },
];
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The s component of a DER ECDSA signature (short-form lengths only, as P-256 signatures have). */
function sOf(der: Uint8Array): bigint {
  const rLen = der[3]!;
  const sLen = der[5 + rLen]!;
  return BigInt('0x' + Buffer.from(der.subarray(6 + rLen, 6 + rLen + sLen)).toString('hex'));
}

function withS(der: Uint8Array, s: bigint): Uint8Array {
  const rLen = der[3]!;
  const r = Buffer.from(der.subarray(4, 4 + rLen));
  let sHex = s.toString(16);
  if (sHex.length % 2) sHex = '0' + sHex;
  let sBytes = Buffer.from(sHex, 'hex');
  if (sBytes[0]! & 0x80) sBytes = Buffer.concat([Buffer.of(0), sBytes]);
  const body = Buffer.concat([Buffer.of(2, r.length), r, Buffer.of(2, sBytes.length), sBytes]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

describe('MspStore', () => {
  let dir: string;
  let store: MspStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-test-'));
    store = await MspStore.open(dir, ORGS);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The folder under <msp>/users that holds this certificate (they are named by a digest). */
  async function userDir(mspId: string, certificate: string): Promise<string> {
    const users = join(dir, mspId, 'users');
    for (const name of await readdir(users)) {
      const held = await readFile(join(users, name, 'cert.pem'), 'utf8').catch(() => undefined);
      if (held === certificate) return join(users, name);
    }
    throw new Error(`no folder of ${mspId} holds that certificate`);
  }

  it('lays out CA and peer material per organisation, keys private', async () => {
    for (const { mspId } of ORGS) {
      for (const sub of ['ca', 'peer']) {
        const files = (await readdir(join(dir, mspId, sub))).sort();
        expect(files).toEqual(['cert.pem', 'key.pem']);
        expect((await stat(join(dir, mspId, sub, 'key.pem'))).mode & 0o777).toBe(0o600);
      }
    }
    expect(store.mspIds).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('issues a self-signed CA with the organisation name', () => {
    const ca = new X509Certificate(store.caCertificate('Org1MSP'));
    expect(ca.ca).toBe(true);
    expect(ca.subject.split('\n')).toEqual(['C=US', 'O=org1.example.com', 'CN=ca.org1.example.com']);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);
  });

  it('chains the peer to its own CA and not to another organisation', () => {
    const peer = store.peerIdentity('Org1MSP');
    expect(new X509Certificate(peer.certificate).subject.split('\n')).toEqual([
      'C=US',
      'O=org1.example.com',
      'OU=peer',
      'CN=peer0.org1.example.com',
    ]);
    expect(isIssuedBy(peer.certificate, store.caCertificate('Org1MSP'))).toBe(true);
    expect(isIssuedBy(peer.certificate, store.caCertificate('Org2MSP'))).toBe(false);
    expect(isIssuedBy(store.peerIdentity('Org2MSP').certificate, store.caCertificate('Org1MSP'))).toBe(false);
    // A leaf is not a CA, so it cannot issue anything.
    expect(isIssuedBy(peer.certificate, peer.certificate)).toBe(false);
  });

  it('rejects certificates outside their validity period', () => {
    const peer = store.peerIdentity('Org1MSP');
    const ca = store.caCertificate('Org1MSP');
    expect(isIssuedBy(peer.certificate, ca, new Date(Date.now() + ELEVEN_YEARS_MS))).toBe(false);
    expect(isIssuedBy(peer.certificate, ca, new Date(Date.now() - 3600 * 1000))).toBe(false);
  });

  it('refuses to open once its certificates have expired, saying so and why', async () => {
    await withClockAhead(ELEVEN_YEARS_MS, () =>
      expect(MspStore.open(dir, ORGS)).rejects.toThrow(
        /\/peer\/cert\.pem, or the Org1MSP CA's, expired at \d{4}-.*: the embedded ledger's certificates are valid for ten years from the data directory's first start, and nothing renews them$/,
      ),
    );
  });

  it('takes membership in validation whatever the date, as Fabric does (wasIssuedBy), and only from its CA', async () => {
    const peer = store.peerIdentity('Org1MSP').certificate;
    await withClockAhead(ELEVEN_YEARS_MS, () => {
      expect(isIssuedBy(peer, store.caCertificate('Org1MSP'))).toBe(false);
      expect(wasIssuedBy(peer, store.caCertificate('Org1MSP'))).toBe(true);
      expect(wasIssuedBy(peer, store.caCertificate('Org2MSP'))).toBe(false);
      expect(wasIssuedBy(peer, peer)).toBe(false);
      expect(wasIssuedBy('not a certificate', store.caCertificate('Org1MSP'))).toBe(false);
    });
  });

  it('enrols users with the Fabric CA attribute extension, readable by @fidm/x509', async () => {
    const alice = await store.enrolUser('Org1MSP', 'alice', { role: 'platform', 'hf.EnrollmentID': 'alice' });
    expect(alice.mspId).toBe('Org1MSP');
    expect(isIssuedBy(alice.certificate, store.caCertificate('Org1MSP'))).toBe(true);
    expect(isIssuedBy(alice.certificate, store.caCertificate('Org2MSP'))).toBe(false);

    const cert = Certificate.fromPEM(Buffer.from(alice.certificate));
    const ext = cert.extensions.find((e) => e.oid === FABRIC_ATTRS_OID);
    expect(ext).toBeDefined();
    expect(JSON.parse(ext!.value.toString())).toEqual({
      attrs: { 'hf.EnrollmentID': 'alice', role: 'platform' },
    });
    expect(cert.subject.attributes.map((a) => `${a.shortName}=${a.value}`)).toEqual([
      'OU=client',
      'CN=alice@org1.example.com',
    ]);
    const nodeExt = new X509Certificate(alice.certificate);
    expect(nodeExt.ca).toBe(false);

    const aliceDir = await userDir('Org1MSP', alice.certificate);
    expect((await readdir(aliceDir)).sort()).toEqual(['cert.pem', 'key.pem']);
    expect((await stat(join(aliceDir, 'key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('omits the attribute extension without attributes and marks admins with OU=admin', async () => {
    const admin = await store.enrolUser('Org2MSP', 'admin', {}, { admin: true });
    const cert = Certificate.fromPEM(Buffer.from(admin.certificate));
    expect(cert.extensions.find((e) => e.oid === FABRIC_ATTRS_OID)).toBeUndefined();
    expect(new X509Certificate(admin.certificate).subject.split('\n')).toEqual([
      'OU=admin',
      'CN=admin@org2.example.com',
    ]);
  });

  it('returns the existing user instead of re-enrolling, also for concurrent calls', async () => {
    const first = await store.enrolUser('Org1MSP', 'alice', { role: 'other' });
    expect(first).toEqual(store.getUser('Org1MSP', 'alice', { role: 'other' }));
    expect(await store.enrolUser('Org1MSP', 'alice', { role: 'other' })).toEqual(first);
    const [a, b] = await Promise.all([
      store.enrolUser('Org1MSP', 'bob', { role: 'x' }),
      store.enrolUser('Org1MSP', 'bob', { role: 'x' }),
    ]);
    expect(a.certificate).toBe(b.certificate);
    expect(store.listUsers('Org1MSP')).toEqual(['alice', 'bob']);
    expect(store.getUser('Org1MSP', 'nobody')).toBeUndefined();
    expect(store.getUser('NoSuchMSP', 'alice')).toBeUndefined();
  });

  it('issues a certificate per role a user signs with, and keeps each', async () => {
    const asOfficer = await store.enrolUser('Org1MSP', 'erin', { role: 'officer' });
    const asService = await store.enrolUser('Org1MSP', 'erin', { role: 'service' });
    expect(asService.certificate).not.toBe(asOfficer.certificate);
    const attrsOf = (pem: string): unknown => {
      const ext = Certificate.fromPEM(Buffer.from(pem)).extensions.find((e) => e.oid === FABRIC_ATTRS_OID);
      return JSON.parse(ext!.value.toString());
    };
    expect(attrsOf(asService.certificate)).toEqual({ attrs: { role: 'service' } });
    expect(await store.enrolUser('Org1MSP', 'erin', { role: 'officer' })).toEqual(asOfficer);
    const again = await MspStore.open(dir, ORGS);
    expect(await again.enrolUser('Org1MSP', 'erin', { role: 'officer' })).toEqual(asOfficer);
    expect(await again.enrolUser('Org1MSP', 'erin', { role: 'service' })).toEqual(asService);
  });

  it('keeps any printable user name inside its folder; refuses control characters and unknown organisations', async () => {
    const evil = await store.enrolUser('Org1MSP', '../evil', {});
    expect(new X509Certificate(evil.certificate).subject).toContain('CN=../evil@org1.example.com');
    expect(await userDir('Org1MSP', evil.certificate)).toMatch(/\/Org1MSP\/users\/u-[0-9a-f]{32}$/);
    expect(await readdir(join(dir, 'Org1MSP'))).not.toContain('evil');
    await expect(store.enrolUser('Org1MSP', '', {})).rejects.toThrow(/Invalid userName/);
    await expect(store.enrolUser('Org1MSP', 'a\nb', {})).rejects.toThrow(/Invalid userName/);
    await expect(store.enrolUser('Org1MSP', ' leading space', {})).rejects.toThrow(/Invalid userName/);
    await expect(store.enrolUser('NoSuchMSP', 'carol', {})).rejects.toThrow(/Unknown MSP/);
    expect(() => store.peerIdentity('NoSuchMSP')).toThrow(/Unknown MSP/);
  });

  it('loads the same material on a second open instead of regenerating it', async () => {
    const keyPath = join(dir, 'Org1MSP', 'ca', 'key.pem');
    const before = (await stat(keyPath)).mtimeMs;
    const again = await MspStore.open(dir, ORGS);
    for (const { mspId } of ORGS) {
      expect(again.caCertificate(mspId)).toBe(store.caCertificate(mspId));
      expect(again.peerIdentity(mspId)).toEqual(store.peerIdentity(mspId));
    }
    expect(again.getUser('Org1MSP', 'alice', { role: 'other' })).toEqual(
      store.getUser('Org1MSP', 'alice', { role: 'other' }),
    );
    expect(again.listUsers('Org1MSP')).toEqual(['../evil', 'alice', 'bob', 'erin']);
    expect(again.listUsers('Org2MSP')).toEqual(['admin']);
    expect((await stat(keyPath)).mtimeMs).toBe(before);
  });

  it('recovers from an enrolment interrupted before the certificate was written', async () => {
    const dave = await store.enrolUser('Org2MSP', 'dave', {});
    const daveDir = await userDir('Org2MSP', dave.certificate);
    await unlink(join(daveDir, 'cert.pem'));
    await writeFile(join(daveDir, '.key.pem.1.abc.tmp'), 'half a key');
    const again = await MspStore.open(dir, ORGS);
    expect(again.getUser('Org2MSP', 'dave')).toBeUndefined();
    expect(await readdir(daveDir)).toEqual(['key.pem']);
    const redone = await again.enrolUser('Org2MSP', 'dave', {});
    expect(redone.certificate).not.toBe(dave.certificate);
    expect(isIssuedBy(redone.certificate, again.caCertificate('Org2MSP'))).toBe(true);
  });

  it('loads users from folders named by user name, as stores made before role-keyed enrolment have them', async () => {
    const frank = await store.enrolUser('Org2MSP', 'frank', { role: 'operator' });
    await rename(await userDir('Org2MSP', frank.certificate), join(dir, 'Org2MSP', 'users', 'frank'));
    const again = await MspStore.open(dir, ORGS);
    expect(await again.enrolUser('Org2MSP', 'frank', { role: 'operator' })).toEqual(frank);
  });

  it('refuses to replace a missing CA once certificates were issued', async () => {
    const other = await mkdtemp(join(tmpdir(), 'msp-test-'));
    try {
      await MspStore.open(other, [ORGS[0]!]);
      await unlink(join(other, 'Org1MSP', 'ca', 'cert.pem'));
      await expect(MspStore.open(other, [ORGS[0]!])).rejects.toThrow(/no CA certificate/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('signing', () => {
  let dir: string;
  let store: MspStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-sign-'));
    store = await MspStore.open(dir, ORGS);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies signatures and rejects a flipped byte in the message or the signature', async () => {
    const user = await store.enrolUser('Org1MSP', 'signer', {});
    const identity = newClientIdentity(user);
    expect(identity.mspId).toBe('Org1MSP');
    expect(identity.certificate).toBe(user.certificate);

    const message = new TextEncoder().encode('a proposal');
    const signature = await identity.sign(message);
    expect(verifySignature(user.certificate, message, signature)).toBe(true);

    const tampered = Uint8Array.from(message);
    tampered[0]! ^= 0x01;
    expect(verifySignature(user.certificate, tampered, signature)).toBe(false);

    const badSignature = Uint8Array.from(signature);
    badSignature[badSignature.length - 1]! ^= 0x01;
    expect(verifySignature(user.certificate, message, badSignature)).toBe(false);

    const peer = store.peerIdentity('Org1MSP');
    expect(verifySignature(peer.certificate, message, signature)).toBe(false);
    expect(verifySignature('not a certificate', message, signature)).toBe(false);
    expect(verifySignature(user.certificate, message, new Uint8Array([0x30, 0x00]))).toBe(false);
  });

  it('produces only low-S signatures, and rejects the high-S twin Fabric would refuse', async () => {
    const user = await store.enrolUser('Org1MSP', 'lows', {});
    const identity = newClientIdentity(user);
    const half = P256_ORDER >> 1n;
    let checkedHighTwin = false;
    for (let i = 0; i < 64; i++) {
      const message = new TextEncoder().encode(`message ${i}`);
      const signature = await identity.sign(message);
      const s = sOf(signature);
      expect(s <= half).toBe(true);
      if (!checkedHighTwin) {
        const high = withS(signature, P256_ORDER - s);
        // Mathematically valid, so plain ECDSA accepts it; the MSP rule does not.
        expect(cryptoVerify('sha256', message, new X509Certificate(user.certificate).publicKey, high)).toBe(
          true,
        );
        expect(verifySignature(user.certificate, message, high)).toBe(false);
        expect(sOf(toLowS(high))).toBe(s);
        checkedHighTwin = true;
      }
    }
  });
});
