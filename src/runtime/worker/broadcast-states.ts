import type { BroadcastState, ReadOnlyBroadcastState } from '../../api/broadcast.ts';
import type { KeyGroupRange } from '../../checkpoint/key-groups.ts';
import { storedKey, type StateStore } from '../../state/store.ts';

/**
 * One broadcast process operator's broadcast state on one worker: maps by name, in memory (every
 * main-stream record reads them; they are small by design). Every worker holds the same, because
 * every worker gets every broadcast record and the function must update them the same way.
 *
 * In checkpoints a worker stores a copy under each key group it owns (only when the state changed
 * since its previous checkpoint), so that a job resumed with another parallelism finds a whole copy
 * in whatever key groups a worker then owns; copies from several old workers are the same state
 * and simply overwrite each other on restore.
 */
export class BroadcastStates {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  private readonly writableViews = new Map<string, BroadcastState<unknown, unknown>>();
  private dirty = false;
  private readonly stateId: string;

  constructor(
    operatorUid: string,
    private readonly stateStore: () => StateStore,
    private readonly ownKeyGroups: KeyGroupRange,
  ) {
    this.stateId = `${operatorUid}/__broadcast`;
  }

  /** The view processBroadcastElement gets. */
  readonly writable = (name: string): BroadcastState<unknown, unknown> => {
    let view = this.writableViews.get(name);
    if (view === undefined) {
      const map = this.mapOf(name);
      view = {
        ...readOnlyView(map),
        put: (key, value) => {
          map.set(key, value);
          this.dirty = true;
        },
        remove: (key) => {
          if (map.delete(key)) this.dirty = true;
        },
        clear: () => {
          if (map.size > 0) this.dirty = true;
          map.clear();
        },
      };
      this.writableViews.set(name, view);
    }
    return view;
  };

  /** The view processElement and onTimer get (a state nobody wrote reads as empty). */
  readonly readOnly = (name: string): ReadOnlyBroadcastState<unknown, unknown> => this.writable(name);

  /** At a checkpoint's cut: a copy in every key group this worker owns, when anything changed. */
  snapshot(): void {
    if (!this.dirty) return;
    const store = this.stateStore();
    for (const e of [...store.entries(this.stateId)]) store.delete(this.stateId, e.keyGroup, e.key, e.namespace);
    for (let group = this.ownKeyGroups.from; group <= this.ownKeyGroups.to; group++) {
      for (const [name, map] of this.maps) for (const [key, value] of map) store.put(this.stateId, group, storedKey(key), name, [key, value]);
    }
    this.dirty = false;
  }

  /** After a restore: the maps from the copies in the key groups this worker owns. */
  restore(): void {
    for (const e of this.stateStore().entries(this.stateId)) {
      const [key, value] = e.value as [unknown, unknown];
      this.mapOf(e.namespace).set(key, value);
      this.dirty = true; // rewritten under this worker's own key groups at the next checkpoint
    }
  }

  private mapOf(name: string): Map<unknown, unknown> {
    let map = this.maps.get(name);
    if (map === undefined) this.maps.set(name, (map = new Map()));
    return map;
  }
}

function readOnlyView(map: Map<unknown, unknown>): ReadOnlyBroadcastState<unknown, unknown> {
  return {
    get: (key) => map.get(key),
    contains: (key) => map.has(key),
    keys: () => [...map.keys()],
    entries: () => [...map.entries()],
    size: () => map.size,
  };
}
