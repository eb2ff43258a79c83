/**
 * File operations whose result survives a crash of the process or the machine at any point.
 *
 * POSIX makes a rename atomic but not durable: the new directory entry reaches the disk when the
 * directory is fsynced, and a file's data when the file is. So every step that another step
 * depends on is fsynced before that step starts — the order is what the crash-safety argument in
 * checkpoint-store.ts rests on.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of a temporary file that becomes `name` by a rename. */
export const tempSuffix = '.tmp';
/** Suffix a directory gets just before it is removed, so a half-removed one is never read. */
export const deletingSuffix = '.deleting';

/** fsync of a file's data and size. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * fsync of a directory, which makes the creations, renames and removals of entries in it durable.
 * Windows cannot open a directory for this (and its renames are durable on their own): skipped there.
 */
export async function fsyncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that after a crash it holds either its old content (or nothing)
 * or all of `data`, never a mix:
 *   1. write `path.tmp` and fsync it — the data is on disk before any name points at it;
 *   2. rename it over `path` — atomic: readers see the old file or the new one;
 *   3. fsync the directory — the rename itself is on disk before we report success.
 * A crash before 2 leaves a stray `path.tmp` (never read as `path`); after 2 but before 3 the
 * rename may be lost, which is the same as not having written.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = path + tempSuffix;
  const handle = await open(temp, 'w');
  try {
    await writeFile(handle, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await fsyncDirectory(dirname(path));
}

/** writeFileAtomic for a thread that must not turn its event loop while it writes (a worker between two batches). */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const temp = path + tempSuffix;
  const fd = openSync(temp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  if (process.platform === 'win32') return;
  const dir = openSync(dirname(path), constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Removes a directory tree so that a crash in the middle never leaves a partial tree under its
 * own name: it is first renamed to `<name>.deleting` (atomic; made durable by the parent's fsync)
 * and only then removed. A leftover `.deleting` directory is garbage, removed at the next open.
 */
export async function removeDirectoryCrashSafe(path: string): Promise<void> {
  const parent = dirname(path);
  let doomed = path;
  if (!basename(path).endsWith(deletingSuffix)) {
    doomed = join(parent, basename(path) + deletingSuffix);
    await rm(doomed, { recursive: true, force: true });
    await rename(path, doomed);
    await fsyncDirectory(parent);
  }
  await rm(doomed, { recursive: true, force: true });
  await fsyncDirectory(parent);
}

/** The lowercase hex sha256 and byte count of a file, read in chunks. */
export async function sha256OfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
