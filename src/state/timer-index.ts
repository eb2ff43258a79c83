/**
 * The live timers of one domain by (key group, key, timestamp), found without building a string
 * per look-up: by stored key (whose hash V8 keeps on the key string the record carries), then by
 * timestamp. Building `${keyGroup}:…:${key}${timestamp}` and hashing it on every register, fire
 * and delete was the largest part of a timer's cost (a CEP key registers and fires one per record).
 *
 * A key's timers: the one timer itself (most keys), a few in an array, or more in a map by
 * timestamp (a Map per key of a window operator with sliding windows — five timers an auction in
 * q5 — cost more to make and drop than a short scan). Two timers with the same stored key and
 * timestamp but different key groups (only keys whose stored forms collide, such as 5n and "5n")
 * are kept apart in `clashes`, by their full entry id.
 */
import { entryId } from './storable.ts';
import type { StoredKey } from './store.ts';

export interface IndexedTimer {
  readonly timestampMs: number;
  readonly keyGroup: number;
  readonly key: StoredKey;
}

/** A key's timers are kept in an array up to this many, in a map by timestamp past it. */
const arrayTimersMax = 8;

export class TimerIndex<T extends IndexedTimer> {
  private readonly byKey = new Map<StoredKey, T | T[] | Map<number, T>>();
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
    if (at instanceof Map) {
      if (at.has(timer.timestampMs)) this.clashes.set(idOf(timer), timer);
      else at.set(timer.timestampMs, timer);
    } else if (Array.isArray(at)) {
      if (at.some((t) => t.timestampMs === timer.timestampMs)) this.clashes.set(idOf(timer), timer);
      else if (at.length < arrayTimersMax) at.push(timer);
      else this.byKey.set(timer.key, new Map([...at, timer].map((t) => [t.timestampMs, t])));
    } else if (at.timestampMs === timer.timestampMs) {
      this.clashes.set(idOf(timer), timer);
    } else {
      this.byKey.set(timer.key, [at, timer]);
    }
  }

  /** Removes `timer` (that very object) when it is in the index. */
  remove(timer: T): void {
    const at = this.byKey.get(timer.key);
    if (at === timer) {
      this.byKey.delete(timer.key);
      this.count--;
    } else if (Array.isArray(at) && at.includes(timer)) {
      // Order within a key's array does not matter: the last one takes the removed one's place.
      const last = at.pop()!;
      if (last !== timer) at[at.indexOf(timer)] = last;
      if (at.length === 0) this.byKey.delete(timer.key);
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
      else if (Array.isArray(at)) yield* at;
      else yield at;
    }
    yield* this.clashes.values();
  }

  private slot(key: StoredKey, timestampMs: number): T | undefined {
    const at = this.byKey.get(key);
    if (at === undefined) return undefined;
    if (at instanceof Map) return at.get(timestampMs);
    if (Array.isArray(at)) {
      for (const timer of at) if (timer.timestampMs === timestampMs) return timer;
      return undefined;
    }
    return at.timestampMs === timestampMs ? at : undefined;
  }
}

const idOf = (timer: IndexedTimer) => entryId(timer.keyGroup, timer.key, String(timer.timestampMs));
