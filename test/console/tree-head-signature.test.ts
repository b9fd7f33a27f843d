import 'reflect-metadata';
import { createPrivateKey, randomBytes, sign, webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import { AuditLog, type TreeHead } from '../../gateway/src/audit/audit-log.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import type { ClientIdentity } from '../../gateway/src/ledger/port.js';
import { openGatewayStore, type GatewayStore } from '../../gateway/src/storage/gateway-store.js';
import { auditEntry } from '../support/audit-entry.js';
import { treeHeadMessage, verifyTreeHeadSignature } from '../../console/src/tree-head-signature.js';

/*
 * The console's check of a tree head's signature (WebCrypto, as the auditor's browser runs it),
 * against heads the gateway's audit log signs with a ledger identity of the embedded network.
 */

let dir: string;
let ledger: EmbeddedLedger;
let store: GatewayStore;
let signer: ClientIdentity;
let other: ClientIdentity;
let log: AuditLog;
/** Node's WebCrypto under the DOM's type, which @peculiar/x509 takes. */
const subtleCrypto = webcrypto as unknown as Crypto;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tree-head-signature-'));
  ({ ledger } = await openEmbeddedNetwork({
    dataDir: dir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  }));
  signer = await ledger.enrolUser('CustomsMSP', 'gateway-audit', { role: 'service' });
  other = await ledger.enrolUser('PlatformAMSP', 'someone-else', { role: 'operator' });
  store = await openGatewayStore(join(dir, 'store'));
  log = await AuditLog.open(store, signer, { sync: false });
});
afterAll(async () => {
  await store?.close();
  await ledger?.close();
  await rm(dir, { recursive: true, force: true });
});

async function headAfter(entries: number): Promise<TreeHead> {
  for (let i = 0; i < entries; i++) {
    await log.append(auditEntry(`req-${log.size()}`, { route: '/v1/audit/tree-head' }));
  }
  return log.treeHead();
}

describe("the console's tree head signature check", () => {
  it('writes the bytes the chaincode and the gateway sign', async () => {
    const head = await headAfter(1);
    expect(treeHeadMessage(head)).toBe(auditTreeHeadMessage(head).toString('utf8'));
  });

  it('verifies the heads the gateway signs (forty, so that some r and s carry DER’s leading zero)', async () => {
    for (let i = 0; i < 40; i++) {
      const head = await headAfter(1);
      expect(await verifyTreeHeadSignature(head, head.signerCertificate), `head ${head.treeSize}`).toBe(true);
    }
  });

  it('fails a head any of whose fields changed, another key’s certificate, and anything malformed', async () => {
    const head = await headAfter(2);
    const changed = [
      { ...head, logId: randomBytes(16).toString('hex') },
      { ...head, treeSize: head.treeSize + 1 },
      { ...head, rootHash: 'ab'.repeat(32) },
      { ...head, timestamp: new Date(Date.parse(head.timestamp) + 1).toISOString() },
    ];
    for (const forged of changed)
      expect(await verifyTreeHeadSignature(forged, head.signerCertificate)).toBe(false);
    expect(await verifyTreeHeadSignature(head, other.certificate)).toBe(false);
    const der = Buffer.from(head.signature, 'base64');
    der[der.length - 1]! ^= 1;
    expect(
      await verifyTreeHeadSignature({ ...head, signature: der.toString('base64') }, head.signerCertificate),
    ).toBe(false);
    for (const signature of ['', 'not base64!', Buffer.from('0201', 'hex').toString('base64')]) {
      expect(await verifyTreeHeadSignature({ ...head, signature }, head.signerCertificate)).toBe(false);
    }
    for (const certificate of ['', '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----']) {
      expect(await verifyTreeHeadSignature(head, certificate)).toBe(false);
    }
  });

  it('verifies a signer on P-384, and refuses a key on a curve it does not know', async () => {
    const signed = async (namedCurve: string) => {
      const algorithm = { name: 'ECDSA', namedCurve, hash: 'SHA-256' };
      const keys = await subtleCrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
      const certificate = await x509.X509CertificateGenerator.createSelfSigned(
        { name: 'CN=gateway-audit', keys, signingAlgorithm: algorithm },
        subtleCrypto,
      );
      const key = createPrivateKey({
        key: Buffer.from(await subtleCrypto.subtle.exportKey('pkcs8', keys.privateKey)),
        format: 'der',
        type: 'pkcs8',
      });
      const head = {
        logId: randomBytes(16).toString('hex'),
        treeSize: 7,
        rootHash: 'cd'.repeat(32),
        timestamp: new Date().toISOString(),
      };
      const signature = sign('sha256', auditTreeHeadMessage(head), key).toString('base64');
      return verifyTreeHeadSignature({ ...head, signature }, certificate.toString('pem'));
    };
    expect(await signed('P-384')).toBe(true);
    expect(await signed('P-521')).toBe(false);
  });
});
