// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Throwaway X.509 material for tests of the Fabric adapter without a Fabric network: a CA, a TLS
 * server certificate for localhost/127.0.0.1 (as cryptogen issues with SANS), and a client user
 * with OU=client, the shape cryptogen gives.
 */
export interface TestPki {
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly userCertPem: string;
  readonly userKeyPem: string;
}

const EC: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export async function createTestPki(domain = 'org.example.com'): Promise<TestPki> {
  const crypto = webcrypto as unknown as Crypto;
  const now = Date.now();
  const caKeys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: [{ O: [domain] }, { CN: [`ca.${domain}`] }],
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
      keys: caKeys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    },
    crypto,
  );
  const leaf = async (
    name: x509.JsonName,
    extensions: x509.Extension[],
  ): Promise<{ cert: string; key: string }> => {
    const keys = await generateKeys();
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serial(),
        subject: name,
        issuer: ca.subjectName,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + DAY),
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: EC,
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...extensions],
      },
      crypto,
    );
    return { cert: cert.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
  };
  const server = await leaf(
    [{ O: [domain] }, { CN: [`peer0.${domain}`] }],
    [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  );
  const user = await leaf(
    [{ OU: ['client'] }, { CN: [`User1@${domain}`] }],
    [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  );
  return {
    caPem: ca.toString('pem'),
    serverCertPem: server.cert,
    serverKeyPem: server.key,
    userCertPem: user.cert,
    userKeyPem: user.key,
  };
}

/**
 * Writes a profile folder as the network scripts do: `network.json` plus `<MSPID>.json` with the
 * TLS CA and one user per role (paths relative to the folder).
 */
export async function writeTestProfiles(
  dir: string,
  pki: TestPki,
  options: { mspId: string; peerEndpoint: string; channel?: string; chaincode?: string; roles?: string[] },
): Promise<void> {
  const { mspId, peerEndpoint } = options;
  await mkdir(join(dir, 'crypto'), { recursive: true });
  await writeFile(join(dir, 'crypto', 'tlsca.pem'), pki.caPem);
  await writeFile(join(dir, 'crypto', 'user-cert.pem'), pki.userCertPem);
  await writeFile(join(dir, 'crypto', 'priv_sk'), pki.userKeyPem, { mode: 0o600 });
  const users = Object.fromEntries(
    (options.roles ?? ['client']).map((role) => [
      role,
      { certPath: 'crypto/user-cert.pem', keyPath: 'crypto/priv_sk' },
    ]),
  );
  await writeFile(
    join(dir, `${mspId}.json`),
    JSON.stringify({
      mspId,
      peerEndpoint,
      peerHostAlias: 'localhost',
      tlsRootCert: 'crypto/tlsca.pem',
      users,
    }),
  );
  await writeFile(
    join(dir, 'network.json'),
    JSON.stringify({
      channel: options.channel ?? 'customs',
      chaincode: options.chaincode ?? 'customs',
      organisations: [{ mspId, peerEndpoint }],
    }),
  );
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}
