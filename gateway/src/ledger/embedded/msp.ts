/**
 * X.509 material for the embedded ledger: one CA and one peer per organisation, plus enrolled users,
 * kept on disk so identities survive restarts, and the signing/verification rules a Fabric MSP applies.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory, removeTempFiles, writeFileAtomic } from '../../storage/atomic-file.js';
import type { ClientIdentity } from '../port.js';

/** The OID under which Fabric CA stores enrolment attributes (read by the shim's ClientIdentity). */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

export interface OrgSpec {
  readonly mspId: string;
  readonly domain: string;
}

/** An identity with its key, as stored: what `newClientIdentity` turns into a signer. */
export interface StoredIdentity {
  readonly mspId: string;
  /** PEM-encoded X.509 certificate. */
  readonly certificate: string;
  /** PKCS#8 PEM private key. */
  readonly privateKeyPem: string;
}

export interface EnrolOptions {
  /** Issue the certificate with OU=admin instead of OU=client (Fabric NodeOU classification). */
  readonly admin?: boolean;
}

const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 3650 * 24 * 3600 * 1000;
// Backdated like cryptogen, so a freshly issued certificate is valid on hosts whose clocks lag slightly.
const BACKDATE_MS = 5 * 60 * 1000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
// A user name is the certificate's CN (before "@<domain>"), as a JWT's `sub` may give it: printable.
const USER_NAME_PATTERN = /^[^\p{Cc}\s][^\p{Cc}]{0,127}$/u;

const subtleCrypto = webcrypto as unknown as Crypto;

interface OrgState {
  readonly spec: OrgSpec;
  readonly dir: string;
  readonly caCertificate: string;
  readonly caCert: x509.X509Certificate;
  readonly caSigningKey: CryptoKey;
  readonly peer: StoredIdentity;
  /** Issued users by `enrolmentKey`: one certificate per user, attributes and admin flag. */
  readonly users: Map<string, StoredUser>;
  /** In-flight enrolments, so concurrent calls for one enrolment issue a single certificate. */
  readonly pending: Map<string, Promise<StoredIdentity>>;
}

interface StoredUser {
  readonly userName: string;
  readonly identity: StoredIdentity;
}

export class MspStore {
  private readonly orgs = new Map<string, OrgState>();

  private constructor(readonly dir: string) {}

  /** Loads the MSP directory, creating the CA, peer and folders that are missing (never regenerating). */
  static async open(dir: string, orgs: readonly OrgSpec[]): Promise<MspStore> {
    const store = new MspStore(dir);
    await makeDirectory(dir);
    for (const spec of orgs) {
      assertName('mspId', spec.mspId);
      if (store.orgs.has(spec.mspId)) throw new Error(`MSP ${spec.mspId} is listed twice`);
      store.orgs.set(spec.mspId, await loadOrg(dir, spec));
    }
    return store;
  }

  get mspIds(): string[] {
    return [...this.orgs.keys()];
  }

  /**
   * Returns the certificate issued before for this user with these attributes (and admin flag), else
   * issues one. The attributes are what the chaincode trusts (the role), so a user whose role changes
   * gets a certificate for the new role; the earlier one stays valid for what it signed.
   */
  async enrolUser(
    mspId: string,
    userName: string,
    attrs: Readonly<Record<string, string>> = {},
    options: EnrolOptions = {},
  ): Promise<StoredIdentity> {
    const org = this.org(mspId);
    if (!USER_NAME_PATTERN.test(userName)) throw new Error(`Invalid userName ${JSON.stringify(userName)}`);
    const admin = options.admin === true;
    const key = enrolmentKey(userName, attrs, admin);
    const existing = org.users.get(key);
    if (existing) return existing.identity;
    const inFlight = org.pending.get(key);
    if (inFlight) return inFlight;
    const created = issueUser(org, key, userName, attrs, admin).finally(() => org.pending.delete(key));
    org.pending.set(key, created);
    return created;
  }

  getUser(
    mspId: string,
    userName: string,
    attrs: Readonly<Record<string, string>> = {},
    options: EnrolOptions = {},
  ): StoredIdentity | undefined {
    return this.orgs.get(mspId)?.users.get(enrolmentKey(userName, attrs, options.admin === true))?.identity;
  }

  peerIdentity(mspId: string): StoredIdentity {
    return this.org(mspId).peer;
  }

  caCertificate(mspId: string): string {
    return this.org(mspId).caCertificate;
  }

  listUsers(mspId: string): string[] {
    return [...new Set([...this.org(mspId).users.values()].map((u) => u.userName))].sort();
  }

  private org(mspId: string): OrgState {
    const org = this.orgs.get(mspId);
    if (!org) throw new Error(`Unknown MSP ${mspId}`);
    return org;
  }
}

async function loadOrg(root: string, spec: OrgSpec): Promise<OrgState> {
  const dir = join(root, spec.mspId);
  const caDir = join(dir, 'ca');
  const peerDir = join(dir, 'peer');
  const usersDir = join(dir, 'users');
  for (const d of [dir, caDir, peerDir, usersDir]) await makeDirectory(d);

  let ca = await readIdentity(caDir, spec.mspId);
  if (!ca) {
    // A new CA would orphan every certificate issued by the old one; refuse rather than silently re-key.
    if ((await readIdentity(peerDir, spec.mspId)) || (await listIdentityDirs(usersDir)).length > 0) {
      throw new Error(`MSP directory ${dir} has issued certificates but no CA certificate and key`);
    }
    ca = await createCa(caDir, spec);
  }
  const caNode = parseCertificate(ca.certificate).x509;
  if (!caNode.ca || !caNode.subject.split('\n').includes(`CN=ca.${spec.domain}`)) {
    throw new Error(`CA certificate in ${caDir} is not the CA of ${spec.domain}`);
  }
  const caCert = new x509.X509Certificate(ca.certificate);
  const caSigningKey = await importSigningKey(ca.privateKeyPem);
  const base = { spec, dir, caCertificate: ca.certificate, caCert, caSigningKey };

  let peer = await readIdentity(peerDir, spec.mspId);
  if (peer) assertIssued(peer, ca.certificate, peerDir);
  else {
    const name: x509.JsonName = [
      { C: ['US'] },
      { O: [spec.domain] },
      { OU: ['peer'] },
      { CN: [`peer0.${spec.domain}`] },
    ];
    peer = await issueLeaf(base, peerDir, name, {});
  }

  const users = new Map<string, StoredUser>();
  for (const dirName of await listIdentityDirs(usersDir)) {
    const userDir = join(usersDir, dirName);
    const identity = await readIdentity(userDir, spec.mspId);
    // A user without a certificate is an enrolment that crashed half-way: enrolUser will redo it.
    if (!identity) continue;
    assertIssued(identity, ca.certificate, userDir);
    // Keyed by what the certificate says, so stores whose user folders were named by user name load too.
    const { userName, attrs, admin } = enrolmentOf(identity.certificate, spec.domain, userDir);
    users.set(enrolmentKey(userName, attrs, admin), { userName, identity });
  }
  return { ...base, peer, users, pending: new Map() };
}

async function createCa(caDir: string, spec: OrgSpec): Promise<StoredIdentity> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: newSerialNumber(),
      // DER order C, O, CN: the RFC 4514 string of this name is "CN=ca.<domain>, O=<domain>, C=US".
      name: [{ C: ['US'] }, { O: [spec.domain] }, { CN: [`ca.${spec.domain}`] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + TEN_YEARS_MS),
      keys,
      signingAlgorithm: EC_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, subtleCrypto),
      ],
    },
    subtleCrypto,
  );
  return writeIdentity(caDir, spec.mspId, cert.toString('pem'), await exportPkcs8(keys.privateKey));
}

type IssuerBase = Pick<OrgState, 'spec' | 'caCert' | 'caSigningKey'>;

async function issueLeaf(
  issuer: IssuerBase,
  dir: string,
  name: x509.JsonName,
  attrs: Readonly<Record<string, string>>,
): Promise<StoredIdentity> {
  const keys = await generateKeys();
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, subtleCrypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.caCert.publicKey, false, subtleCrypto),
  ];
  if (Object.keys(attrs).length > 0) {
    extensions.push(new x509.Extension(FABRIC_ATTRS_OID, false, encodeAttrs(attrs)));
  }
  const notAfter = Math.min(now + TEN_YEARS_MS, issuer.caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: newSerialNumber(),
      subject: name,
      // The issuer's own encoded name, so it matches the CA subject byte for byte.
      issuer: issuer.caCert.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(notAfter),
      publicKey: keys.publicKey,
      signingKey: issuer.caSigningKey,
      signingAlgorithm: EC_ALGORITHM,
      extensions,
    },
    subtleCrypto,
  );
  return writeIdentity(dir, issuer.spec.mspId, cert.toString('pem'), await exportPkcs8(keys.privateKey));
}

async function issueUser(
  org: OrgState,
  key: string,
  userName: string,
  attrs: Readonly<Record<string, string>>,
  admin: boolean,
): Promise<StoredIdentity> {
  // Named by a digest of the enrolment: any printable user name, one folder per role it signs with.
  const dir = join(org.dir, 'users', `u-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`);
  await makeDirectory(dir);
  const name: x509.JsonName = [
    { OU: [admin ? 'admin' : 'client'] },
    { CN: [`${userName}@${org.spec.domain}`] },
  ];
  const identity = await issueLeaf(org, dir, name, attrs);
  org.users.set(key, { userName, identity });
  return identity;
}

function enrolmentKey(userName: string, attrs: Readonly<Record<string, string>>, admin: boolean): string {
  return JSON.stringify([userName, new TextDecoder().decode(encodeAttrs(attrs)), admin]);
}

/** The user name, attributes and admin flag an issued user certificate carries. */
function enrolmentOf(
  certificate: string,
  domain: string,
  dir: string,
): { userName: string; attrs: Record<string, string>; admin: boolean } {
  const cert = new x509.X509Certificate(certificate);
  const cn = cert.subjectName.getField('CN')[0] ?? '';
  const suffix = `@${domain}`;
  if (!cn.endsWith(suffix))
    throw new Error(`${dir}: certificate CN ${JSON.stringify(cn)} is not a user of ${domain}`);
  const extension = cert.getExtension(FABRIC_ATTRS_OID);
  const attrs = extension
    ? (JSON.parse(new TextDecoder().decode(extension.value)) as { attrs: Record<string, string> }).attrs
    : {};
  return {
    userName: cn.slice(0, -suffix.length),
    attrs,
    admin: cert.subjectName.getField('OU').includes('admin'),
  };
}

/** Fabric CA's encoding: the extension value is the raw UTF-8 JSON, not wrapped in another ASN.1 type. */
function encodeAttrs(attrs: Readonly<Record<string, string>>): Uint8Array<ArrayBuffer> {
  // Sorted keys, as Go's encoding/json writes a map, so equal attributes give equal certificates.
  const sorted = Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return new TextEncoder().encode(JSON.stringify({ attrs: sorted }));
}

function newSerialNumber(): string {
  const bytes = randomBytes(16);
  // Positive and without a leading zero byte, so the DER INTEGER is minimal as RFC 5280 requires.
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await subtleCrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportPkcs8(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtleCrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return subtleCrypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, false, ['sign']);
}

async function readIdentity(dir: string, mspId: string): Promise<StoredIdentity | undefined> {
  await removeTempFiles(dir);
  const certificate = await readOptional(join(dir, 'cert.pem'));
  const privateKeyPem = await readOptional(join(dir, 'key.pem'));
  // The key is renamed into place before the certificate, so a certificate alone means tampering.
  if (certificate === undefined) return undefined;
  if (privateKeyPem === undefined) throw new Error(`${dir} has a certificate but no private key`);
  const certKey = parseCertificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
  const ownKey = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  if (!certKey.equals(ownKey)) throw new Error(`${dir}: private key does not match the certificate`);
  return { mspId, certificate, privateKeyPem };
}

function assertIssued(identity: StoredIdentity, caPem: string, dir: string): void {
  if (isIssuedBy(identity.certificate, caPem)) return;
  const ended = Math.min(
    ...[identity.certificate, caPem].map((pem) => certificateExpiry(pem)?.getTime() ?? 0),
  );
  if (wasIssuedBy(identity.certificate, caPem) && Date.now() > ended) {
    throw new Error(
      `${dir}/cert.pem, or the ${identity.mspId} CA's, expired at ${new Date(ended).toISOString()}: ` +
        "the embedded ledger's certificates are valid for ten years from the data directory's first start, and nothing renews them",
    );
  }
  throw new Error(`${dir}/cert.pem is not a valid certificate issued by the ${identity.mspId} CA`);
}

async function writeIdentity(
  dir: string,
  mspId: string,
  certificate: string,
  privateKeyPem: string,
): Promise<StoredIdentity> {
  // Key first: a present cert.pem is what marks the identity as complete.
  await writeFileAtomic(join(dir, 'key.pem'), privateKeyPem, 0o600);
  await writeFileAtomic(join(dir, 'cert.pem'), certificate, 0o644);
  return { mspId, certificate, privateKeyPem };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function listIdentityDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && NAME_PATTERN.test(e.name)).map((e) => e.name);
}

function assertName(what: string, value: string): void {
  // These names become directory names: no separators, no "..", nothing hidden.
  if (!NAME_PATTERN.test(value)) throw new Error(`Invalid ${what} ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------------
// Signing and verification

const CURVE_ORDERS: Readonly<Record<string, bigint>> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  secp384r1:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

function curveOrder(key: KeyObject): bigint | undefined {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === undefined ? undefined : CURVE_ORDERS[curve];
}

/** A signer for the identity; the parsed key is kept, so signing does not re-read the PEM. */
export function newClientIdentity(identity: StoredIdentity): ClientIdentity {
  const key = createPrivateKey(identity.privateKeyPem);
  const order = curveOrder(key);
  if (order === undefined)
    throw new Error(`Identity of ${identity.mspId} does not have an ECDSA P-256/P-384 key`);
  const { mspId, certificate } = identity;
  return Object.freeze({
    mspId,
    certificate,
    async sign(message: Uint8Array): Promise<Uint8Array> {
      return toLowS(cryptoSign('sha256', message, key), order);
    },
  });
}

interface CertificateEntry {
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  readonly order: bigint | undefined;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Signature checks against issuer PEMs: dates are still checked on every call. */
  readonly signedBy: Map<string, boolean>;
}

const CACHE_LIMIT = 4096;
const certificateCache = new Map<string, CertificateEntry>();

function parseCertificate(pem: string): CertificateEntry {
  let entry = certificateCache.get(pem);
  if (entry) return entry;
  const cert = new X509Certificate(pem);
  entry = {
    x509: cert,
    publicKey: cert.publicKey,
    order: curveOrder(cert.publicKey),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    signedBy: new Map(),
  };
  // Oldest-first eviction keeps the cache bounded when many distinct certificates pass through.
  if (certificateCache.size >= CACHE_LIMIT) {
    const oldest = certificateCache.keys().next();
    if (!oldest.done) certificateCache.delete(oldest.value);
  }
  certificateCache.set(pem, entry);
  return entry;
}

function tryParseCertificate(pem: string): CertificateEntry | undefined {
  try {
    return parseCertificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * Verifies an ECDSA-SHA256 signature as a Fabric MSP does: DER-encoded and low-S only
 * (Fabric's bccsp rejects high-S signatures even though they are mathematically valid).
 */
export function verifySignature(certificatePem: string, message: Uint8Array, signature: Uint8Array): boolean {
  const cert = tryParseCertificate(certificatePem);
  if (!cert || cert.order === undefined) return false;
  const rs = parseDerSignature(signature);
  if (!rs || rs.r <= 0n || rs.s <= 0n || rs.r >= cert.order || rs.s > cert.order >> 1n) return false;
  try {
    return cryptoVerify('sha256', message, cert.publicKey, signature);
  } catch {
    return false;
  }
}

/** True when the certificate was signed by the CA, names it as issuer, and both are currently valid. */
export function isIssuedBy(certificatePem: string, caCertificatePem: string, at: Date = new Date()): boolean {
  const cert = tryParseCertificate(certificatePem);
  const ca = tryParseCertificate(caCertificatePem);
  if (!cert || !ca || !ca.x509.ca) return false;
  const now = at.getTime();
  for (const c of [cert, ca]) {
    if (!(now >= c.notBefore && now <= c.notAfter)) return false;
  }
  let signed = cert.signedBy.get(caCertificatePem);
  if (signed === undefined) {
    signed = cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.publicKey);
    cert.signedBy.set(caCertificatePem, signed);
  }
  return signed;
}

/**
 * Membership as Fabric's MSP checks an identity in a transaction it validates: issued by the CA,
 * with both certificates' dates taken as of the certificate's own start (mspimplvalidate.go,
 * getValidityOptsForCert, FAB-3678), so that expiry never changes a block's validation. A peer
 * that joins years later validates the same blocks as the peers that committed them, and an
 * auditor gets today's verdict in ten years. Expiry is refused where Fabric refuses it, when a
 * transaction is made (certificateExpiry).
 */
export function wasIssuedBy(certificatePem: string, caCertificatePem: string): boolean {
  const cert = tryParseCertificate(certificatePem);
  return cert !== undefined && isIssuedBy(certificatePem, caCertificatePem, new Date(cert.notBefore + 1000));
}

// ---------------------------------------------------------------------------------------------------
// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }

function readLength(der: Uint8Array, offset: number): { length: number; next: number } | undefined {
  const first = der[offset];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, next: offset + 1 };
  if (first !== 0x81) return undefined; // ECDSA signatures on supported curves never exceed 255 bytes.
  const length = der[offset + 1];
  if (length === undefined || length < 0x80) return undefined;
  return { length, next: offset + 2 };
}

function readInteger(der: Uint8Array, offset: number): { value: bigint; next: number } | undefined {
  if (der[offset] !== 0x02) return undefined;
  const len = readLength(der, offset + 1);
  if (!len || len.length === 0 || len.next + len.length > der.length) return undefined;
  const bytes = der.subarray(len.next, len.next + len.length);
  // Negative or non-minimal integers are not DER.
  if (bytes[0]! & 0x80) return undefined;
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) return undefined;
  return { value: BigInt('0x' + Buffer.from(bytes).toString('hex')), next: len.next + len.length };
}

function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der[0] !== 0x30) return undefined;
  const seq = readLength(der, 1);
  if (!seq || seq.next + seq.length !== der.length) return undefined;
  const r = readInteger(der, seq.next);
  if (!r) return undefined;
  const s = readInteger(der, r.next);
  if (!s || s.next !== der.length) return undefined;
  return { r: r.value, s: s.value };
}

function encodeInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

function encodeDerSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([encodeInteger(r), encodeInteger(s)]);
  const header = body.length < 0x80 ? Buffer.of(0x30, body.length) : Buffer.of(0x30, 0x81, body.length);
  return new Uint8Array(Buffer.concat([header, body]));
}

/** Rewrites s as order - s when s is in the upper half, the canonical form Fabric requires. */
export function toLowS(signature: Uint8Array, order: bigint = CURVE_ORDERS.prime256v1!): Uint8Array {
  const rs = parseDerSignature(signature);
  if (!rs) throw new Error('Not a DER-encoded ECDSA signature');
  if (rs.s <= order >> 1n) return new Uint8Array(signature);
  return encodeDerSignature(rs.r, order - rs.s);
}

/**
 * When the certificate's validity ends (its notAfter), or undefined when it cannot be read. What
 * Fabric's orderer refuses a transaction's creator for once passed (ExpirationRejectRule: the
 * creator's notAfter only, not its start, nor its CA's dates).
 */
export function certificateExpiry(certificatePem: string): Date | undefined {
  const cert = tryParseCertificate(certificatePem);
  return cert && new Date(cert.notAfter);
}
