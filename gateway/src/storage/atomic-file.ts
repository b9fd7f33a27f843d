import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_SUFFIX = '.tmp';

/**
 * Writes a file so that readers, and the disk after a crash or a power loss, see either the old
 * content or the new content whole, never an empty or torn file: a fresh hidden temporary file in
 * the same directory (created with `mode`, flushed to disk), renamed over the target, and then the
 * directory flushed, without which the rename itself may be lost with the power.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await makeDirectory(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    // A refused write or flush (a full disk) names no file; the operator needs to know which.
    const refusal = error as NodeJS.ErrnoException;
    if (refusal.code !== undefined && refusal.path === undefined) refusal.path = path;
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Creates a directory and the missing ones above it (mode 0700), and flushes the entry of each it
 * created, so that after a power loss the files written into it are not lost with the directory.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  for (let created = dir; ; created = dirname(created)) {
    await syncDirectory(dirname(created));
    if (created === first) return;
  }
}

/** Flushes a directory's entries; some platforms cannot open a directory, where this is best effort. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported here; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Removes the temporary files a crash left in `dir` during writeFileAtomic. Only where no other
 * process may be writing there at the time: its temporary file would go from under it.
 */
export async function removeTempFiles(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.') && entry.endsWith(TEMP_SUFFIX)) await rm(join(dir, entry), { force: true });
  }
}
