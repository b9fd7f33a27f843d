/**
 * Checks a tree head's signature in the browser with WebCrypto: the gateway's signed tree heads and
 * the ledger's anchors of them are ECDSA (SHA-256, DER) signatures over the canonical JSON of
 * {logId, rootHash, timestamp, treeSize}, by the key of the gateway's audit signer certificate.
 * WebCrypto takes neither certificates nor DER signatures, so the public key is read out of the
 * certificate and the signature turned into r ‖ s here; nothing else of the certificate is
 * trusted or checked (its issuer is the channel's to vouch for: `verify-audit-log` does that).
 */

export interface SignedHead {
  readonly logId: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly timestamp: string;
  /** Base64 DER ECDSA signature. */
  readonly signature: string;
}

/** The named curves an audit signer's key may be on, by the DER of their OID, with their size. */
const CURVES: readonly { readonly oid: string; readonly name: string; readonly bytes: number }[] = [
  { oid: '06082a8648ce3d030107', name: 'P-256', bytes: 32 },
  { oid: '06052b81040022', name: 'P-384', bytes: 48 },
];

/** One DER element: where it begins (its tag), its tag, where its content starts, where it ends. */
interface Element {
  readonly at: number;
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function element(der: Uint8Array, at: number): Element {
  if (at + 2 > der.length) throw new Error('DER element runs past its data');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) throw new Error('malformed DER length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  const end = start + length;
  if (end > der.length) throw new Error('DER element runs past its data');
  return { at, tag, start, end };
}

function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end; at = out.at(-1)!.end) out.push(element(der, at));
  return out;
}

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

function pemBytes(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The certificate's SubjectPublicKeyInfo (RFC 5280 §4.1) and the curve it names. */
function publicKeyOf(pem: string): { spki: Uint8Array<ArrayBuffer>; curve: (typeof CURVES)[number] } {
  const der = pemBytes(pem);
  const [tbs] = children(der, element(der, 0));
  if (!tbs) throw new Error('not a certificate');
  const fields = children(der, tbs);
  // version [0] is optional; then serial, signature algorithm, issuer, validity, subject, key.
  const key = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
  if (!key) throw new Error('certificate has no public key');
  const [algorithm] = children(der, key);
  const params = algorithm && children(der, algorithm)[1];
  const curve = params && CURVES.find((c) => c.oid === hex(der.subarray(params.at, params.end)));
  if (!curve) throw new Error('the certificate’s key is not on P-256 or P-384');
  return { spki: der.subarray(key.at, key.end), curve };
}

/** A DER ECDSA-Sig-Value (SEQUENCE of r and s) as WebCrypto's r ‖ s, each `bytes` long. */
function rawSignature(der: Uint8Array, bytes: number): Uint8Array<ArrayBuffer> {
  const ints = children(der, element(der, 0));
  if (ints.length !== 2 || ints.some((i) => i.tag !== 0x02)) throw new Error('not an ECDSA signature');
  const raw = new Uint8Array(bytes * 2);
  ints.forEach((int, i) => {
    let value = der.subarray(int.start, int.end);
    while (value.length > bytes && value[0] === 0) value = value.subarray(1);
    if (value.length > bytes) throw new Error('ECDSA signature value too long for the curve');
    raw.set(value, (i + 1) * bytes - value.length);
  });
  return raw;
}

/**
 * The bytes a tree head signature covers: RFC 8785 canonical JSON of four fields, which for these
 * values (hex, an ISO instant, an integer) is JSON.stringify with the keys in sorted order.
 */
export function treeHeadMessage(head: Omit<SignedHead, 'signature'>): string {
  return JSON.stringify({
    logId: head.logId,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    treeSize: head.treeSize,
  });
}

/** Whether `head.signature` verifies with the key of `certificatePem`; false for anything malformed. */
export async function verifyTreeHeadSignature(head: SignedHead, certificatePem: string): Promise<boolean> {
  try {
    const { spki, curve } = publicKeyOf(certificatePem);
    const key = await crypto.subtle.importKey(
      'spki',
      spki,
      { name: 'ECDSA', namedCurve: curve.name },
      false,
      ['verify'],
    );
    const signature = rawSignature(
      Uint8Array.from(atob(head.signature), (c) => c.charCodeAt(0)),
      curve.bytes,
    );
    return await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      signature,
      new TextEncoder().encode(treeHeadMessage(head)),
    );
  } catch {
    return false;
  }
}
