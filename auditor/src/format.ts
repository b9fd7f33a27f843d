/** Small helpers for the human-readable reports. */

export const count = (n: number, noun: string, plural = `${noun}s`): string =>
  `${n.toLocaleString('en-GB')} ${n === 1 ? noun : plural}`;

/** Hashes and transaction ids are long; people compare their first characters. */
export const short = (hex: string, length = 12): string =>
  hex.length > length ? `${hex.slice(0, length)}…` : hex;

/** A range of indices for people: "0–99", "5", or "none". */
export const range = (from: number, to: number): string =>
  to < from ? 'none' : from === to ? String(from) : `${from}–${to}`;

/** The common name in a Fabric user id (x509::/C=…/CN=name::/…), else the whole id. */
export function commonName(userId: string): string {
  const subject = userId.split('::')[1] ?? userId;
  return /\/CN=([^/]+)/.exec(subject)?.[1] ?? /CN=([^,/]+)/.exec(subject)?.[1] ?? userId;
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    (
      indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')
    ).trimEnd(),
  );
}

/** A state key for people: a composite key as objectType/attribute/…, any other key quoted. */
export function stateKeyText(key: string): string {
  if (!key.startsWith('\u0000')) return JSON.stringify(key);
  return key.slice(1, -1).split('\u0000').join('/');
}
