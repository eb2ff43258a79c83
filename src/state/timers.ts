/**
 * Event-time and processing-time timers of one keyed operator (Flink's timer service).
 *
 * Every timer is an entry of the state store, so timers are part of the same snapshot as the
 * operator's state and survive a restart:
 *   state      `${operatorUid}/__timers/event-time` (or processing-time)
 *   keyGroup   the key's key group       key    storedKey(key)
 *   namespace  String(timestampMs)        value  the original key, handed back when it fires
 * and mirrored in memory: an index for idempotence and deletes (timer-index.ts), and a queue in
 * the order they fire, by (timestamp, key group, key), so timers with the same timestamp fire in
 * the same order on every run and after a restore (timer-queue.ts). Deletes are lazy: a deleted
 * timer stays in the queue until its time comes (or the queue is rebuilt because mostly stale),
 * and is skipped there.
 *
 * Changes reach the store when it is flushed (StateStore.onFlush), not one by one: most timers
 * live shorter than an epoch (a session's end timer moves with every record), and one registered
 * and fired between two flushes then costs the store nothing. A snapshot still holds exactly the
 * timers that were live at its flush.
 */
import type { TimeDomain } from '../functions/contracts.ts';
import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import { checkStorable, compareStoredKeys, describeKey } from './storable.ts';
import { TimerIndex } from './timer-index.ts';
import { TimerQueue } from './timer-queue.ts';
import { storedKey, type StateStore, type StoredKey } from './store.ts';

interface Timer {
  readonly timestampMs: number;
  readonly keyGroup: number;
  readonly key: StoredKey;
  readonly originalKey: unknown;
  /** Registered, and neither fired nor deleted since (then it is the one in the index). */
  live: boolean;
  /** The store holds its entry (it was loaded, or written at a flush). */
  inStore: boolean;
}

interface DomainTimers {
  readonly domain: TimeDomain;
  readonly stateId: string;
  readonly live: TimerIndex<Timer>;
  /** May hold deleted timers (not live any more). */
  readonly queue: TimerQueue<Timer>;
  /**
   * Timers whose store entry may be out of date: registered (not in the store yet) or removed
   * (in it) since the last flush. Flags on the timers rather than a map of changes by id: a timer
   * registered and fired between two flushes then costs one push.
   */
  changed: Timer[];
  /** `changed` is compacted when it grows past this. */
  changedLengthMax: number;
}

/** The queue is rebuilt from the live timers when stale ones outnumber them by this much. */
const staleTimersSlack = 1024;

export class Timers {
  private readonly domains: Record<TimeDomain, DomainTimers>;

  constructor(
    private readonly store: StateStore,
    private readonly operatorUid: string,
    private readonly operatorName: string = operatorUid,
  ) {
    this.domains = {
      'event-time': this.load('event-time'),
      'processing-time': this.load('processing-time'),
    };
    store.onFlush(() => {
      this.writeChanges(this.domains['event-time']);
      this.writeChanges(this.domains['processing-time']);
    });
  }

  /** Idempotent: a key has at most one timer per timestamp and domain. */
  register(domain: TimeDomain, keyGroup: number, key: unknown, timestampMs: number): void {
    this.checkTimestamp(domain, key, timestampMs);
    const timers = this.domains[domain];
    const stored = storedKey(key);
    if (timers.live.get(keyGroup, stored, timestampMs) !== undefined) return;
    const held = this.domains['event-time'].live.size + this.domains['processing-time'].live.size;
    if (held >= limits.timersMax) {
      throw new WeirError(
        'WEIR_STATE',
        `operator "${this.operatorName}": cannot register a ${domain} timer at ${timestampMs} for key ${describeKey(key)}: it already holds limits.timersMax = ${limits.timersMax} timers`,
        { operator: this.operatorName },
      );
    }
    // Checked now, as the store would at put time, so the error names the registration (a key
    // stored as it is, a string or a finite number, is storable).
    if (stored !== key) {
      try {
        checkStorable(timers.stateId, stored, key);
      } catch (cause) {
        throw this.error(`cannot register a ${domain} timer at ${timestampMs} for key ${describeKey(key)}`, cause);
      }
    }
    const timer: Timer = { timestampMs, keyGroup, key: stored, originalKey: key, live: true, inStore: false };
    timers.live.add(timer);
    timers.queue.push(timer);
    this.changed(timers, timer);
  }

  delete(domain: TimeDomain, keyGroup: number, key: unknown, timestampMs: number): void {
    const timers = this.domains[domain];
    const timer = timers.live.get(keyGroup, storedKey(key), timestampMs);
    if (timer === undefined) return;
    this.forget(timers, timer);
    if (timers.queue.staleCount(timers.live.size) > timers.live.size + staleTimersSlack) timers.queue.rebuild(timers.live.values());
  }

  /**
   * Fires, in order, every timer of `domain` due at `upToMs`, including those `fire` registers
   * on the way. A timer is removed before it fires, so `fire` may register it again.
   */
  advance(domain: TimeDomain, upToMs: number, fire: (timestampMs: number, keyGroup: number, key: unknown) => void): number {
    const timers = this.domains[domain];
    let fired = 0;
    for (let due = timers.queue.takeDue(upToMs); due !== undefined; due = timers.queue.takeDue(upToMs)) {
      for (const timer of due) {
        if (!timer.live) continue; // deleted by an earlier one's onTimer
        this.forget(timers, timer);
        fire(timer.timestampMs, timer.keyGroup, timer.originalKey);
        fired++;
      }
    }
    return fired;
  }

  /** The earliest timer's timestamp, +Infinity when there is none. */
  nextTimestamp(domain: TimeDomain): number {
    return this.domains[domain].queue.nextTimestamp();
  }

  size(domain: TimeDomain): number {
    return this.domains[domain].live.size;
  }

  /** Removes a live timer from the index and from the store's view (the queue drops it lazily). */
  private forget(timers: DomainTimers, timer: Timer): void {
    timers.live.remove(timer);
    timer.live = false;
    // Registered since the last flush and never stored: it is in `changed` already, and there is nothing to undo.
    if (timer.inStore) this.changed(timers, timer);
  }

  /**
   * Notes a timer whose entry may need writing. Without flushes (a continuous job without
   * checkpoints) the list would only grow: past twice what is live or still needed, it keeps
   * only the timers that still need writing.
   */
  private changed(timers: DomainTimers, timer: Timer): void {
    const changed = timers.changed;
    changed.push(timer);
    if (changed.length > timers.changedLengthMax) {
      timers.changed = changed.filter((t) => t.live !== t.inStore);
      this.resetChangedLengthMax(timers);
    }
  }

  /** The next compaction only after as many pushes again: each push costs O(1), however many timers still need writing. */
  private resetChangedLengthMax(timers: DomainTimers): void {
    timers.changedLengthMax = 2 * Math.max(timers.changed.length, timers.live.size) + staleTimersSlack;
  }

  /** Puts the changes since the last flush into the store; each one is dropped once written, so a failed flush can be retried. */
  private writeChanges(timers: DomainTimers): void {
    const changed = timers.changed;
    let done = 0;
    try {
      for (; done < changed.length; done++) {
        const timer = changed[done];
        if (timer.live) {
          if (!timer.inStore) this.writeTimer(timers, timer, true);
        } else if (timer.inStore) {
          // Removed. A timer registered again since (same key and time) takes its entry instead.
          const now = timers.live.get(timer.keyGroup, timer.key, timer.timestampMs);
          if (now === undefined) this.writeTimer(timers, timer, false);
          else if (!now.inStore) this.writeTimer(timers, now, true);
          timer.inStore = false;
        }
      }
    } finally {
      changed.splice(0, done);
      this.resetChangedLengthMax(timers);
    }
  }

  private writeTimer(timers: DomainTimers, timer: Timer, put: boolean): void {
    try {
      if (put) this.store.put(timers.stateId, timer.keyGroup, timer.key, String(timer.timestampMs), timer.originalKey);
      else this.store.delete(timers.stateId, timer.keyGroup, timer.key, String(timer.timestampMs));
    } catch (cause) {
      throw this.error(`cannot ${put ? 'write' : 'remove'} the ${timers.domain} timer at ${timer.timestampMs} for key ${describeKey(timer.originalKey)}`, cause);
    }
    timer.inStore = put;
  }

  private load(domain: TimeDomain): DomainTimers {
    const stateId = `${this.operatorUid}/__timers/${domain}`;
    const live = new TimerIndex<Timer>();
    try {
      for (const entry of this.store.entries(stateId)) {
        const timestampMs = Number(entry.namespace);
        if (live.get(entry.keyGroup, entry.key, timestampMs) !== undefined) continue;
        live.add({ timestampMs, keyGroup: entry.keyGroup, key: entry.key, originalKey: entry.value, live: true, inStore: true });
      }
    } catch (cause) {
      throw this.error(`cannot load the ${domain} timers`, cause);
    }
    const queue = new TimerQueue<Timer>();
    queue.rebuild(live.values());
    return { domain, stateId, live, queue, changed: [], changedLengthMax: 2 * live.size + staleTimersSlack };
  }

  private checkTimestamp(domain: TimeDomain, key: unknown, timestampMs: number): void {
    if (typeof timestampMs !== 'number' || Number.isNaN(timestampMs)) {
      throw new WeirError('WEIR_STATE', `operator "${this.operatorName}": a ${domain} timer for key ${describeKey(key)} needs a numeric timestamp, got ${String(timestampMs)}`, {
        operator: this.operatorName,
      });
    }
  }

  private error(what: string, cause: unknown): WeirError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new WeirError('WEIR_STATE', `operator "${this.operatorName}": ${what}: ${message}`, { operator: this.operatorName, cause });
  }
}

/**
 * The order timers fire in: by time, then key group, then stored key — the same on every run and
 * after a restore. CEP's queue of due keys (cep/cep-due-keys.ts) takes keys in this order too.
 */
export function firesBefore(aMs: number, aKeyGroup: number, aKey: StoredKey, bMs: number, bKeyGroup: number, bKey: StoredKey): boolean {
  if (aMs !== bMs) return aMs < bMs;
  if (aKeyGroup !== bKeyGroup) return aKeyGroup < bKeyGroup;
  return compareStoredKeys(aKey, bKey) < 0;
}
