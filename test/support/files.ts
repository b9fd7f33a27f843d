import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every `file: value` where one of the values appears in a file under `dir`, as UTF-8 text or in
 * base64 (at any of the three alignments), for proving that data is gone from a data directory.
 */
export async function filesContaining(dir: string, values: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    for (const value of values) {
      const text = Buffer.from(value);
      const base64 = [0, 1, 2].map((k) => Buffer.from(text.subarray(k).toString('base64').slice(0, -4)));
      if ([text, ...base64].some((form) => bytes.includes(form))) hits.push(`${path}: ${value}`);
    }
  }
  return hits;
}
