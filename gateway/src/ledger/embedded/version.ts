/** A committed version: the height (block number, transaction number) that last wrote a key, as in Fabric. */
export interface Version {
  readonly blockNum: number;
  readonly txNum: number;
}

export const VERSION_BYTES = 12;

export function encodeVersioned(version: Version, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(VERSION_BYTES + value.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(version.blockNum));
  view.setUint32(8, version.txNum);
  out.set(value, VERSION_BYTES);
  return out;
}

export function decodeVersioned(bytes: Uint8Array): { version: Version; value: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: { blockNum: Number(view.getBigUint64(0)), txNum: view.getUint32(8) },
    value: bytes.subarray(VERSION_BYTES),
  };
}

export function sameVersion(a: Version | undefined, b: Version | undefined): boolean {
  if (!a || !b) return a === b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** Compares keys the way LevelDB (and so Fabric) orders them: by UTF-8 bytes, not UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
