/**
 * The live windows of one key of a merging (session) assigner, as Flink's MergingWindowSet.
 *
 * Adding a window may merge it with windows already in the set, and those with each other (a
 * record that falls between two sessions bridges them). As in Flink, each window maps to a
 * *state id*: the id under which its contents are stored. When windows merge, the merged window
 * keeps the state id of one of them, so the common case — a record extending its session — updates
 * that one state entry in place instead of moving the contents to a new one on every record.
 *
 * Stored in keyed state as a flat array [start0, end0, stateId0, start1, end1, stateId1, …].
 */
import type { Window, WindowMerge } from './windows.ts';

/**
 * Called once per merge that involves windows already in the set: `merged` replaces
 * `mergedWindows` (the pre-existing windows only; the new window never had state). The merged
 * window's contents live under `stateId`, which is one of `mergedStateIds` (all of the merged
 * windows' state ids, that one included): the others are to be folded into it.
 */
export type MergeFunction<W extends Window> = (merged: W, mergedWindows: W[], stateId: string, mergedStateIds: string[]) => void;

interface Entry<W> {
  window: W;
  stateId: string;
}

export class MergingWindowSet<W extends Window> {
  private readonly entries: Entry<W>[];

  constructor(
    private readonly mergeWindows: (windows: W[]) => WindowMerge<W>[],
    private readonly newStateId: (window: W) => string,
    entries: Entry<W>[] = [],
  ) {
    this.entries = entries;
  }

  static fromFlat<W extends Window>(
    flat: ReadonlyArray<number | string> | undefined,
    windowOf: (start: number, end: number) => W,
    mergeWindows: (windows: W[]) => WindowMerge<W>[],
    newStateId: (window: W) => string,
  ): MergingWindowSet<W> {
    const entries: Entry<W>[] = [];
    if (flat) for (let i = 0; i + 2 < flat.length; i += 3) entries.push({ window: windowOf(flat[i] as number, flat[i + 1] as number), stateId: flat[i + 2] as string });
    return new MergingWindowSet(mergeWindows, newStateId, entries);
  }

  toFlat(): Array<number | string> {
    const flat: Array<number | string> = [];
    for (const e of this.entries) flat.push(e.window.start, e.window.end, e.stateId);
    return flat;
  }

  all(): W[] {
    return this.entries.map((e) => e.window);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Where the contents of a live window are stored. */
  stateIdOf(window: W): string | undefined {
    return this.find(window)?.stateId;
  }

  /**
   * Adds `newWindow` and performs the merges it causes. Returns the window the new record belongs
   * to: `newWindow` itself, or the merged window that swallowed it.
   */
  addWindow(newWindow: W, onMerge: MergeFunction<W>): W {
    if (this.entries.length === 0) {
      this.entries.push({ window: newWindow, stateId: this.newStateId(newWindow) });
      return newWindow;
    }
    const merges = this.mergeWindows([...this.all(), newWindow]);
    let result = newWindow;
    let newWindowMerged = false;
    for (const { merged, sources } of merges) {
      const existing = sources.filter((w) => w !== newWindow);
      if (existing.length < sources.length) {
        newWindowMerged = true;
        result = merged;
      }
      const mergedStateIds: string[] = [];
      for (const w of existing) {
        const e = this.take(w);
        if (e !== undefined) mergedStateIds.push(e.stateId);
      }
      const stateId = mergedStateIds[0];
      this.entries.push({ window: merged, stateId });
      // A new window inside one existing window merges into it without changing it: nothing to merge.
      if (!(existing.length === 1 && sameBounds(existing[0], merged))) onMerge(merged, existing, stateId, mergedStateIds);
    }
    if (!newWindowMerged) this.entries.push({ window: newWindow, stateId: this.newStateId(newWindow) });
    return result;
  }

  /** Drops a window (fired and cleaned up, or late). */
  retireWindow(window: W): boolean {
    return this.take(window) !== undefined;
  }

  private find(window: W): Entry<W> | undefined {
    return this.entries.find((e) => sameBounds(e.window, window));
  }

  private take(window: W): Entry<W> | undefined {
    const i = this.entries.findIndex((e) => sameBounds(e.window, window));
    if (i < 0) return undefined;
    return this.entries.splice(i, 1)[0];
  }
}

export function sameBounds(a: Window, b: Window): boolean {
  return a.start === b.start && a.end === b.end;
}
