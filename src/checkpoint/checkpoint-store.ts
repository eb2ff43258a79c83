/**
 * Completed checkpoints and savepoints of one job, in `<stateDir>/checkpoints/`:
 *
 *   chk-000000000042/            a checkpoint: its state snapshot files, and `_metadata` once complete
 *   savepoint-before-upgrade/    a savepoint: the same, kept until deleted explicitly
 *   chk-000000000039.deleting/   being removed (garbage after a crash; removed at open)
 *   worker-0.chk-41.merged.snapshot.merging   a merged snapshot waiting for its checkpoint (removed at open)
 *
 * The commit point of a checkpoint is the rename of its `_metadata` file into place. The order of
 * durable steps (durable-fs.ts) is what makes that safe:
 *   begin     mkdir chk-N, fsync the parent           → the directory exists, empty
 *   (writers) state files written and fsynced in it
 *   complete  fsync every referenced file and chk-N   → the data is on disk before anything names it
 *             _metadata.tmp, fsync, rename, fsync chk-N → the checkpoint exists, all or nothing
 *             then retention deletes older checkpoints → only once the newer one is durable
 * A crash anywhere before the rename leaves chk-N without `_metadata` (maybe with a stray
 * `_metadata.tmp`): never completed, ignored, removed at the next open. After the rename the
 * metadata and everything it names are on disk. Damage after the fact (a flipped byte, a truncated
 * or missing file) is caught by checksums: latestValid() then falls back to an older checkpoint
 * and says why. A removal renames to `.deleting` first, so a half-removed checkpoint is never read.
 *
 * Checksums are sha256 (node:crypto): native on every Node version weir supports (the repo's crc32
 * is native only from 20.15), fast next to the disk (~1–2 GB/s), and, unlike a 32-bit CRC, they
 * also catch a file swapped for another one of the same size.
 *
 * One job owns a directory at a time: open() removes what a crashed run left behind, which would
 * break a checkpoint another live process is writing. Use { readOnly: true } to look from outside.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { WeirError } from '../errors.ts';
import { assert, limits } from '../limits.ts';
import { describeCheckpoint, dirNameOf, mergingSuffix, metadataFileName, parseDirName, type DirName } from './checkpoint-layout.ts';
import { readMetadata, sizeOf, verifyDirectory, type VerifiedCheckpoint } from './checkpoint-verify.ts';
import { deletingSuffix, fsyncDirectory, fsyncFile, removeDirectoryCrashSafe, writeFileAtomic } from '../util/durable-fs.ts';
import { encodeMetadataFile } from './metadata-file.ts';
import { metadataFormatVersion, relativePathProblem, savepointNameProblem, validateMetadata, type CheckpointKind, type CheckpointMetadataDraft, type StateFileRef } from './metadata.ts';

export { metadataFileName } from './checkpoint-layout.ts';
export type { VerifiedCheckpoint } from './checkpoint-verify.ts';

export interface CheckpointStoreOptions {
  /** Completed checkpoints kept (default limits.checkpointsRetainedDefault); savepoints do not count. */
  retained?: number;
  /** Look without changing anything: no clean-up at open; begin/complete/delete are refused; the state dir must exist. */
  readOnly?: boolean;
}

export interface SkippedCheckpoint {
  id: number;
  dir: string;
  reason: string;
}

export interface LatestValid {
  /** Undefined when no checkpoint was ever completed here (a fresh start). */
  checkpoint?: VerifiedCheckpoint;
  /** Newer checkpoints that could not be used, newest first, each with why. */
  skipped: SkippedCheckpoint[];
}

export interface CheckpointListing {
  kind: CheckpointKind;
  /** From the directory name for a checkpoint, from the metadata for a savepoint (undefined when unreadable). */
  id?: number;
  savepointName?: string;
  dir: string;
  /** 'in-progress': begun and not completed (no metadata yet; if no job is writing it, it was abandoned and goes at the next open). */
  status: 'complete' | 'in-progress' | 'damaged';
  createdAtMs?: number;
  /** The job that wrote it (from the metadata). */
  jobName?: string;
  /** Why it cannot be used (status 'damaged'): its metadata, or a state file missing or of another size (checksums are not read by list()). */
  problem?: string;
}

/** Why the state files a checkpoint names are not all there with their recorded sizes (cheap: no checksums), or undefined. */
async function stateFilesProblem(dir: string, files: StateFileRef[]): Promise<string | undefined> {
  for (const file of files) {
    const size = relativePathProblem(file.path) ? undefined : await sizeOf(join(dir, file.path));
    if (size === undefined) return `state file ${file.path} (worker ${file.worker}) is missing`;
    if (size !== file.bytes) return `state file ${file.path} (worker ${file.worker}) has ${size} bytes, the metadata says ${file.bytes}`;
  }
  return undefined;
}

export class CheckpointStore {
  readonly dir: string;
  readonly retained: number;
  readonly readOnly: boolean;
  /** Directory names removed by open(): abandoned checkpoints and half-removed ones. */
  readonly removedAtOpen: string[] = [];
  /** Directories begun by this instance and not completed yet. */
  private readonly inProgress = new Map<string, DirName>();
  /** Mutations run one after another, so retention never races a completion. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, opts: CheckpointStoreOptions) {
    this.dir = dir;
    this.retained = opts.retained ?? limits.checkpointsRetainedDefault;
    this.readOnly = opts.readOnly ?? false;
    if (!Number.isInteger(this.retained) || this.retained < 1) {
      throw new WeirError('WEIR_CONFIG', `checkpoints: retained must be an integer ≥ 1, not ${opts.retained}`);
    }
  }

  /** Opens `<stateDir>/checkpoints/` (created when missing) and removes what a crashed run left behind. */
  static async open(stateDir: string, opts: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    const store = new CheckpointStore(join(resolvePath(stateDir), 'checkpoints'), opts);
    if (store.readOnly) {
      if ((await sizeOf(resolvePath(stateDir), true)) === undefined) throw new WeirError('WEIR_CONFIG', `no state dir at ${resolvePath(stateDir)}`);
      return store;
    }
    await mkdir(store.dir, { recursive: true });
    await store.removeLeftovers();
    return store;
  }

  /** Starts checkpoint `id` (larger than every earlier one): returns the directory its state files go into. */
  begin(id: number): Promise<string> {
    return this.serialized(async () => {
      this.checkWritable('begin a checkpoint');
      // The checkpointer picks ids after every one here: a smaller one is a bug, not a setting.
      assert(Number.isSafeInteger(id) && id >= 0, `checkpoint id must be an integer ≥ 0, not ${id}`);
      const highest = await this.highestId();
      assert(highest === undefined || id > highest, `checkpoint id ${id} is not larger than the latest one here (${highest}): ids must grow`);
      return this.createDir({ kind: 'checkpoint', id });
    });
  }

  /** Starts savepoint `name`: returns the directory its state files go into. */
  beginSavepoint(name: string): Promise<string> {
    return this.serialized(async () => {
      this.checkWritable('begin a savepoint');
      const problem = savepointNameProblem(name);
      if (problem) throw new WeirError('WEIR_CONFIG', problem);
      return this.createDir({ kind: 'savepoint', name });
    });
  }

  /** The id to give the next checkpoint or savepoint: one more than any seen here. */
  async nextId(): Promise<number> {
    return ((await this.highestId()) ?? -1) + 1;
  }

  /**
   * Makes a begun checkpoint or savepoint complete by writing its metadata atomically (see the top
   * of this file for the order of steps), then deletes checkpoints beyond the retained count.
   * Every state file the metadata names must be in its directory with the size it gives.
   */
  complete(draft: CheckpointMetadataDraft): Promise<VerifiedCheckpoint> {
    return this.serialized(async () => {
      this.checkWritable('complete a checkpoint');
      const checked = validateMetadata({ ...draft, formatVersion: metadataFormatVersion });
      if (!checked.ok) throw new WeirError('WEIR_CONFIG', `checkpoint ${draft.id}: ${checked.reason}`);
      const metadata = checked.value;
      const name = dirNameOf(metadata.kind === 'savepoint' ? { kind: 'savepoint', name: metadata.savepointName! } : { kind: 'checkpoint', id: metadata.id });
      const begun = this.inProgress.get(name);
      if (!begun) throw new WeirError('WEIR_CONFIG', `${describeCheckpoint(metadata)} was not begun by this store (or is already complete)`);
      const dir = join(this.dir, name);
      const stateFiles = metadata.stateFiles.map((f) => ({ ...f, absolutePath: join(dir, f.path) }));
      for (const file of stateFiles) {
        const size = await sizeOf(file.absolutePath);
        if (size !== file.bytes) {
          throw new WeirError('WEIR_STATE', `${describeCheckpoint(metadata)}: state file ${file.path} ${size === undefined ? 'does not exist' : `has ${size} bytes, the metadata says ${file.bytes}`}`);
        }
        await fsyncFile(file.absolutePath);
      }
      // The state files' directory entries (possibly in subdirectories) must be durable before
      // the metadata that names them can be.
      for (const subdir of new Set(stateFiles.map((f) => dirname(f.absolutePath)))) await fsyncDirectory(subdir);
      await writeFileAtomic(join(dir, metadataFileName), encodeMetadataFile(metadata));
      this.inProgress.delete(name);
      if (metadata.kind === 'checkpoint') await this.applyRetention();
      return { metadata, dir, stateFiles };
    });
  }

  /** Gives up a begun checkpoint or savepoint (declined, failed): its directory is removed. */
  abort(idOrSavepointName: number | string): Promise<void> {
    return this.serialized(async () => {
      this.checkWritable('abort a checkpoint');
      const name = dirNameOf(typeof idOrSavepointName === 'number' ? { kind: 'checkpoint', id: idOrSavepointName } : { kind: 'savepoint', name: idOrSavepointName });
      if (!this.inProgress.delete(name)) throw new WeirError('WEIR_CONFIG', `${name} is not in progress in this store`);
      await removeDirectoryCrashSafe(join(this.dir, name));
    });
  }

  /**
   * The newest checkpoint (not savepoint) whose metadata and every state file check out. Newer
   * ones that do not are skipped, each with its reason. Throws WEIR_STATE when checkpoints were
   * completed here but none can be used: starting empty would silently lose state.
   */
  async latestValid(): Promise<LatestValid> {
    const skipped: SkippedCheckpoint[] = [];
    const candidates = (await this.scan()).filter((e): e is { name: string; parsed: { kind: 'checkpoint'; id: number } } => e.parsed.kind === 'checkpoint');
    candidates.sort((a, b) => b.parsed.id - a.parsed.id);
    let completedSeen = 0;
    for (const { name, parsed } of candidates) {
      if (this.inProgress.has(name)) continue;
      const dir = join(this.dir, name);
      const verified = await verifyDirectory(dir, parsed);
      if (verified.ok) return { checkpoint: verified.value, skipped };
      if (verified.neverCompleted) {
        // Begun and never completed: not a checkpoint at all (only seen here in read-only mode,
        // or when another process writes to the directory).
        skipped.push({ id: parsed.id, dir, reason: verified.reason });
        continue;
      }
      completedSeen++;
      skipped.push({ id: parsed.id, dir, reason: verified.reason });
    }
    if (completedSeen > 0) {
      const reasons = skipped.map((s) => `  checkpoint ${s.id}: ${s.reason}`).join('\n');
      throw new WeirError('WEIR_STATE', `no usable checkpoint in ${this.dir}: every completed one is damaged (restore from a savepoint, or remove the directory to start empty):\n${reasons}`);
    }
    return { checkpoint: undefined, skipped };
  }

  /** Every checkpoint and savepoint here, oldest first; the metadata is checked, and that its state files are there with their sizes. */
  async list(): Promise<CheckpointListing[]> {
    const listings: CheckpointListing[] = [];
    for (const { name, parsed } of await this.scan()) {
      const dir = join(this.dir, name);
      const base = parsed.kind === 'checkpoint' ? { kind: parsed.kind, id: parsed.id, dir } : { kind: parsed.kind, savepointName: parsed.name, dir };
      if (this.inProgress.has(name)) {
        listings.push({ ...base, status: 'in-progress' });
        continue;
      }
      const read = await readMetadata(dir, parsed);
      if (!read.ok) {
        listings.push({ ...base, status: read.neverCompleted ? 'in-progress' : 'damaged', ...(read.neverCompleted ? {} : { problem: read.reason }) });
        continue;
      }
      const { id, createdAtMs, jobName } = read.value;
      const problem = await stateFilesProblem(dir, read.value.stateFiles);
      listings.push({ ...base, id, status: problem ? 'damaged' : 'complete', createdAtMs, jobName, ...(problem ? { problem } : {}) });
    }
    return listings.sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity) || a.dir.localeCompare(b.dir));
  }

  /** Deletes a checkpoint (by id) or a savepoint (by name); crash-safe. */
  delete(idOrSavepointName: number | string): Promise<void> {
    return this.serialized(async () => {
      this.checkWritable('delete a checkpoint');
      const name = this.dirNameFor(idOrSavepointName);
      if (this.inProgress.has(name)) throw new WeirError('WEIR_CONFIG', `${name} is in progress: abort it instead`);
      if ((await sizeOf(join(this.dir, name), true)) === undefined) {
        throw new WeirError('WEIR_CONFIG', `no checkpoint or savepoint ${JSON.stringify(idOrSavepointName)} in ${this.dir}`);
      }
      await removeDirectoryCrashSafe(join(this.dir, name));
    });
  }

  /**
   * The checkpoint or savepoint to start a job from, fully checked: 'latest' (latestValid), a
   * checkpoint id, a savepoint name of this store, or the path of a checkpoint directory or its
   * `_metadata` file (possibly another job's). Throws WEIR_CONFIG when nothing is found and
   * WEIR_STATE, with the reason, when what is found cannot be used.
   */
  async resolve(what: number | string): Promise<VerifiedCheckpoint> {
    if (what === 'latest') {
      const { checkpoint } = await this.latestValid();
      if (!checkpoint) throw new WeirError('WEIR_CONFIG', `no completed checkpoint in ${this.dir}`);
      return checkpoint;
    }
    const dir = await this.locate(what);
    if (this.inProgress.has(basename(dir)) && dirname(dir) === this.dir) throw new WeirError('WEIR_CONFIG', `${dir} is still in progress`);
    const verified = await verifyDirectory(dir, parseDirName(basename(dir)));
    if (!verified.ok) throw new WeirError('WEIR_STATE', `cannot use the checkpoint at ${dir}: ${verified.reason}`);
    return verified.value;
  }

  /** The directory `what` names: a checkpoint id or savepoint name of this store first, else a path. */
  private async locate(what: number | string): Promise<string> {
    const isId = typeof what === 'number' || /^\d+$/.test(what);
    if (isId || savepointNameProblem(what) === undefined || parseDirName(String(what))) {
      const own = join(this.dir, this.dirNameFor(what));
      if ((await sizeOf(own, true)) !== undefined) return own;
      if (isId) throw new WeirError('WEIR_CONFIG', `no checkpoint ${what} in ${this.dir}`);
    }
    let dir = resolvePath(String(what));
    if (basename(dir) === metadataFileName) dir = dirname(dir);
    if ((await sizeOf(dir, true)) === undefined) {
      throw new WeirError('WEIR_CONFIG', `no savepoint named ${JSON.stringify(what)} in ${this.dir}, and no checkpoint directory at ${dir}`);
    }
    return dir;
  }

  private async createDir(parsed: DirName): Promise<string> {
    const name = dirNameOf(parsed);
    const dir = join(this.dir, name);
    try {
      await mkdir(dir);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new WeirError('WEIR_CONFIG', `${parsed.kind === 'savepoint' ? `savepoint "${parsed.name}"` : `checkpoint ${parsed.id}`} already exists in ${this.dir}`);
      }
      throw new WeirError('WEIR_STATE', `cannot create ${dir}: ${(cause as Error).message}`, { cause });
    }
    await fsyncDirectory(this.dir);
    this.inProgress.set(name, parsed);
    return dir;
  }

  /** Keeps the newest `retained` completed checkpoints; called only right after one completed. */
  private async applyRetention(): Promise<void> {
    const completed: Array<{ name: string; id: number }> = [];
    for (const { name, parsed } of await this.scan()) {
      if (parsed.kind !== 'checkpoint' || this.inProgress.has(name)) continue;
      if ((await sizeOf(join(this.dir, name, metadataFileName))) !== undefined) completed.push({ name, id: parsed.id });
    }
    completed.sort((a, b) => b.id - a.id);
    for (const old of completed.slice(this.retained)) await removeDirectoryCrashSafe(join(this.dir, old.name));
  }

  /**
   * Removes the merged snapshots no checkpoint had linked in yet (`*.merging`, snapshot-thread.ts);
   * returns their names. Only while no snapshot thread runs: at open, and between a failed attempt
   * and the next (a worker that died mid-merge left its file behind).
   */
  async removeWaitingMerges(): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(mergingSuffix)) continue;
      await rm(join(this.dir, entry.name), { force: true });
      removed.push(entry.name);
    }
    return removed;
  }

  /**
   * Removes half-removed directories, checkpoints or savepoints that were begun and never
   * completed (no `_metadata`: the crash came before the commit point), and merged snapshots that
   * no checkpoint had linked in yet (snapshot-thread.ts). A directory whose
   * metadata exists but is damaged is kept: it is reported by latestValid() and list().
   */
  private async removeLeftovers(): Promise<void> {
    this.removedAtOpen.push(...(await this.removeWaitingMerges()));
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      const path = join(this.dir, entry.name);
      if (!entry.isDirectory()) continue;
      if (entry.name.endsWith(deletingSuffix) && parseDirName(entry.name.slice(0, -deletingSuffix.length))) {
        await removeDirectoryCrashSafe(path);
        this.removedAtOpen.push(entry.name);
      } else if (parseDirName(entry.name) && (await sizeOf(join(path, metadataFileName))) === undefined) {
        await removeDirectoryCrashSafe(path);
        this.removedAtOpen.push(entry.name);
      }
    }
  }

  private async scan(): Promise<Array<{ name: string; parsed: DirName }>> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new WeirError('WEIR_STATE', `cannot read ${this.dir}: ${(cause as Error).message}`, { cause });
    }
    const found: Array<{ name: string; parsed: DirName }> = [];
    for (const entry of entries) {
      const parsed = entry.isDirectory() ? parseDirName(entry.name) : undefined;
      if (parsed) found.push({ name: entry.name, parsed });
    }
    return found;
  }

  /** The largest id of any checkpoint directory, and of any savepoint whose metadata is readable. */
  private async highestId(): Promise<number | undefined> {
    let highest: number | undefined;
    for (const { name, parsed } of await this.scan()) {
      let id: number | undefined;
      if (parsed.kind === 'checkpoint') id = parsed.id;
      else if (!this.inProgress.has(name)) {
        const read = await readMetadata(join(this.dir, name), parsed);
        if (read.ok) id = read.value.id;
      }
      if (id !== undefined && (highest === undefined || id > highest)) highest = id;
    }
    return highest;
  }

  private dirNameFor(idOrSavepointName: number | string): string {
    if (typeof idOrSavepointName === 'number' || /^\d+$/.test(idOrSavepointName)) {
      const id = Number(idOrSavepointName);
      if (!Number.isSafeInteger(id)) throw new WeirError('WEIR_CONFIG', `checkpoint id ${idOrSavepointName} is not an integer`);
      return dirNameOf({ kind: 'checkpoint', id });
    }
    if (parseDirName(idOrSavepointName)) return idOrSavepointName;
    const problem = savepointNameProblem(idOrSavepointName);
    if (problem) throw new WeirError('WEIR_CONFIG', problem);
    return dirNameOf({ kind: 'savepoint', name: idOrSavepointName });
  }

  private checkWritable(what: string): void {
    if (this.readOnly) throw new WeirError('WEIR_CONFIG', `cannot ${what}: the checkpoint store at ${this.dir} was opened read-only`);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

