/**
 * The live timers of one domain by (key group, key, timestamp), found without building a string
 * per look-up: by stored key (whose hash V8 keeps on the key string the record carries), then by
 * timestamp. Building `${keyGroup}:…:${key}${timestamp}` and hashing it on every register, fire
 * and delete was the largest part of a timer's cost (a CEP key registers and fires one per record).
 *
 * A key's timers: the one timer itself (most keys), or a map by timestamp. Two timers with the
 * same stored key and timestamp but different key groups (only keys whose stored forms collide,
 * such as 5n and "5n") are kept apart in `clashes`, by their full entry id.
 */
import { entryId } from './storable.ts';
import type { StoredKey } from './store.ts';

export interface IndexedTimer {
  readonly timestampMs: number;
  readonly keyGroup: number;
  readonly key: StoredKey;
}

export class TimerIndex<T extends IndexedTimer> {
  private readonly byKey = new Map<StoredKey, T | Map<number, T>>();
  private readonly clashes = new Map<string, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(keyGroup: number, key: StoredKey, timestampMs: number): T | undefined {
    const found = this.slot(key, timestampMs);
    if (found !== undefined && found.keyGroup === keyGroup) return found;
    return this.clashes.size === 0 ? undefined : this.clashes.get(entryId(keyGroup, key, String(timestampMs)));
  }

  /** `timer` must not be in the index (get() found nothing at its place). */
  add(timer: T): void {
    this.count++;
    const at = this.byKey.get(timer.key);
    if (at === undefined) {
      this.byKey.set(timer.key, timer);
      return;
    }
    let byTime: Map<number, T>;
    if (at instanceof Map) byTime = at;
    else {
      byTime = new Map([[at.timestampMs, at]]);
      this.byKey.set(timer.key, byTime);
    }
    if (byTime.has(timer.timestampMs)) this.clashes.set(idOf(timer), timer);
    else byTime.set(timer.timestampMs, timer);
  }

  /** Removes `timer` (that very object) when it is in the index. */
  remove(timer: T): void {
    const at = this.byKey.get(timer.key);
    if (at === timer) {
      this.byKey.delete(timer.key);
      this.count--;
    } else if (at instanceof Map && at.get(timer.timestampMs) === timer) {
      at.delete(timer.timestampMs);
      if (at.size === 0) this.byKey.delete(timer.key);
      this.count--;
    } else if (this.clashes.size > 0 && this.clashes.get(idOf(timer)) === timer) {
      this.clashes.delete(idOf(timer));
      this.count--;
    }
  }

  *values(): IterableIterator<T> {
    for (const at of this.byKey.values()) {
      if (at instanceof Map) yield* at.values();
      else yield at;
    }
    yield* this.clashes.values();
  }

  private slot(key: StoredKey, timestampMs: number): T | undefined {
    const at = this.byKey.get(key);
    if (at === undefined) return undefined;
    if (at instanceof Map) return at.get(timestampMs);
    return at.timestampMs === timestampMs ? at : undefined;
  }
}

const idOf = (timer: IndexedTimer) => entryId(timer.keyGroup, timer.key, String(timer.timestampMs));
