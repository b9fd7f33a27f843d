import canonicalize from 'canonicalize';

/**
 * RFC 8785 (JCS) serialisation. Every value the chaincode stores, hashes, emits or returns goes
 * through here, so that all endorsers produce byte-identical write sets and responses.
 */
export function canonicalJson(value: unknown): string {
  const json = canonicalize(value);
  if (json === undefined) throw new Error('value cannot be represented as JSON');
  return json;
}

/** Canonical JSON as UTF-8; a Buffer because the Node shim expects one on its wire paths. */
export function toBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly: a malformed byte sequence is an error, not a replacement character. */
export function bytesToString(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Parses JSON bytes; an empty value is Fabric's "absent", which callers must handle before. */
export function fromBytes(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new Error('cannot parse an empty value as JSON');
  return JSON.parse(bytesToString(bytes)) as unknown;
}

/** JSON bytes parsed, or undefined for any that are not: a value another writer may have put there. */
export function fromBytesOrUndefined(bytes: Uint8Array): unknown {
  try {
    return fromBytes(bytes);
  } catch {
    return undefined;
  }
}
