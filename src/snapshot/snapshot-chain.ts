/**
 * A worker's chain of incremental snapshots, as its snapshot thread keeps it: a full snapshot, then
 * the deltas after it, each with where it is now (the directory of the last checkpoint that linked
 * it in), and the rules that say what the next snapshot may be. No file system here:
 * snapshot-thread.ts does the writing and linking.
 *
 * The generation changes whenever the chain is replaced rather than extended (a full snapshot, a
 * reset, a restored chain, a merged base), so work begun on one chain — a merge — can tell that
 * its chain is gone.
 */
import { assert, limits } from '../limits.ts';

/** One file of the chain. `keys`: entries of a full snapshot; entries and deletes of a delta. */
export interface ChainFile {
  name: string;
  bytes: number;
  sha256: string;
  absolutePath: string;
  keys: number;
}

export class SnapshotChain {
  private chainFiles: ChainFile[] = [];
  private chainGeneration = 0;

  get files(): readonly ChainFile[] {
    return this.chainFiles;
  }

  get generation(): number {
    return this.chainGeneration;
  }

  /** Entries of the full snapshot the chain starts with. */
  get fullEntries(): number {
    return this.chainFiles[0]?.keys ?? 0;
  }

  /** Keys the deltas wrote or deleted (a key changed in two deltas counts twice). */
  get deltaKeys(): number {
    let sum = 0;
    for (let i = 1; i < this.chainFiles.length; i++) sum += this.chainFiles[i].keys;
    return sum;
  }

  get deltas(): number {
    return Math.max(0, this.chainFiles.length - 1);
  }

  /** The chain is now these files: a full snapshot (and the deltas after it, for a restored chain), or none (the next snapshot is full). */
  replace(files: ChainFile[]): void {
    this.chainFiles = files;
    this.chainGeneration++;
  }

  /**
   * A delta of `keys` keys named `name` may go next: the chain exists and is not too long, and the
   * delta is not too large — one that changes more than the merge fraction of the state no longer
   * pays next to a full snapshot (the merge it brings on reads as much).
   */
  canTakeDelta(keys: number, name: string): boolean {
    if (this.chainFiles.length === 0 || this.deltas >= limits.snapshotDeltasMax) return false;
    // A chain restored from another state directory may hold a file of this very name (ids start anew there).
    if (this.chainFiles.some((f) => f.name === name)) return false;
    const full = this.fullEntries;
    return keys <= full * limits.snapshotDeltaKeysFractionBeforeMerge && this.deltaKeys + keys <= full * limits.snapshotDeltaKeysFractionMax;
  }

  /** The files the chain holds after a delta: `linked` (the chain, linked into the new directory) and the delta. */
  extend(linked: ChainFile[], delta: ChainFile): void {
    assert(linked.length === this.chainFiles.length && linked.every((f, i) => f.name === this.chainFiles[i].name), `delta ${delta.name} extends a chain other than this one`);
    this.chainFiles = [...linked, delta];
  }

  /** Time to merge the chain into a new full snapshot. */
  wantsMerge(): boolean {
    if (this.deltas === 0) return false;
    return this.deltas >= limits.snapshotDeltasBeforeMerge || this.deltaKeys > this.fullEntries * limits.snapshotDeltaKeysFractionBeforeMerge;
  }

  /**
   * `merged` holds the state of the chain's first `count` files, merged while the chain stayed the
   * same generation: it replaces them. False (nothing changed) when the chain was replaced meanwhile.
   */
  rebase(generation: number, count: number, merged: ChainFile): boolean {
    if (generation !== this.chainGeneration || count > this.chainFiles.length) return false;
    this.replace([merged, ...this.chainFiles.slice(count)]);
    return true;
  }
}
