import type { BroadcastState, ReadOnlyBroadcastState } from '../../api/broadcast.ts';
import { storedKey, type StateStore } from '../../state/store.ts';

/**
 * One broadcast process operator's broadcast state on one worker: maps by name, in memory (every
 * main-stream record reads them). Every worker holds the same, because every worker gets every
 * broadcast record and the function must update them the same way.
 *
 * In checkpoints a worker stores one copy, under the first key group it owns, and writes only
 * what changed since its previous checkpoint: a table of 100 000 entries costs a checkpoint the
 * entries put or removed since the last one. A job resumed with the same parallelism finds each
 * worker's copy in that worker's key groups. With another parallelism a worker may own none of
 * the old first key groups, so a restore then takes broadcast state from every key group
 * (restore.ts): the old workers' copies are the same state and simply overwrite each other, and
 * the next checkpoint writes the whole copy under this worker's own first key group.
 */
export class BroadcastStates {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  private readonly writableViews = new Map<string, BroadcastState<unknown, unknown>>();
  /** Keys put or removed since the last checkpoint, per map name (what the next one writes). */
  private readonly changed = new Map<string, Set<unknown>>();
  /** The next checkpoint rewrites the whole copy: after a restore, whose entries may lie in other workers' key groups. */
  private rewriteAll = false;
  private readonly stateId: string;

  constructor(
    operatorUid: string,
    private readonly stateStore: () => StateStore,
    private readonly ownKeyGroup: number,
  ) {
    this.stateId = broadcastStateId(operatorUid);
  }

  /** The view processBroadcastElement gets. */
  readonly writable = (name: string): BroadcastState<unknown, unknown> => {
    let view = this.writableViews.get(name);
    if (view === undefined) {
      const map = this.mapOf(name);
      const changed = this.changedOf(name);
      view = {
        ...readOnlyView(map),
        put: (key, value) => {
          map.set(key, value);
          changed.add(key);
        },
        remove: (key) => {
          if (map.delete(key)) changed.add(key);
        },
        clear: () => {
          for (const key of map.keys()) changed.add(key);
          map.clear();
        },
      };
      this.writableViews.set(name, view);
    }
    return view;
  };

  /** The view processElement and onTimer get (a state nobody wrote reads as empty). */
  readonly readOnly = (name: string): ReadOnlyBroadcastState<unknown, unknown> => this.writable(name);

  /** At a checkpoint's cut: what changed since the last one, into this worker's copy. */
  snapshot(): void {
    const store = this.stateStore();
    if (this.rewriteAll) {
      for (const e of [...store.entries(this.stateId)]) store.delete(this.stateId, e.keyGroup, e.key, e.namespace);
      for (const [name, map] of this.maps) for (const [key, value] of map) store.put(this.stateId, this.ownKeyGroup, storedKey(key), name, [key, value]);
      this.rewriteAll = false;
    } else {
      for (const [name, keys] of this.changed) {
        const map = this.mapOf(name);
        for (const key of keys) {
          if (map.has(key)) store.put(this.stateId, this.ownKeyGroup, storedKey(key), name, [key, map.get(key)]);
          else store.delete(this.stateId, this.ownKeyGroup, storedKey(key), name);
        }
      }
    }
    for (const keys of this.changed.values()) keys.clear();
  }

  /** After a restore: the maps from the copies the restore put in this worker's store. */
  restore(): void {
    for (const e of this.stateStore().entries(this.stateId)) {
      const [key, value] = e.value as [unknown, unknown];
      this.mapOf(e.namespace).set(key, value);
      this.rewriteAll = true;
    }
  }

  private mapOf(name: string): Map<unknown, unknown> {
    let map = this.maps.get(name);
    if (map === undefined) this.maps.set(name, (map = new Map()));
    return map;
  }

  private changedOf(name: string): Set<unknown> {
    let keys = this.changed.get(name);
    if (keys === undefined) this.changed.set(name, (keys = new Set()));
    return keys;
  }
}

/** The state id of an operator's broadcast state (restore.ts takes it from every key group when the parallelism changed). */
export const broadcastStateId = (operatorUid: string): string => `${operatorUid}/__broadcast`;
export const isBroadcastStateId = (stateId: string): boolean => stateId.endsWith('/__broadcast');

function readOnlyView(map: Map<unknown, unknown>): ReadOnlyBroadcastState<unknown, unknown> {
  return {
    get: (key) => map.get(key),
    contains: (key) => map.has(key),
    keys: () => [...map.keys()],
    entries: () => [...map.entries()],
    size: () => map.size,
  };
}
