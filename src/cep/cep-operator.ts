/**
 * The CEP operator: an ordinary keyed process function (as the window operator is) that runs a
 * compiled pattern per key in event-time order, as Flink's CepOperator does.
 *
 * - A record at or behind the watermark is late: it goes to the late-data side output.
 * - Other records wait in the key's buffer; the key is queued at its earliest buffered timestamp
 *   (cep-due-keys.ts: the operator's own queue, not an event-time timer per key) and taken out
 *   when the watermark passes it, as a timer would fire. Then every buffered record up to the
 *   watermark is fed to the NFA in timestamp order (arrival order within a timestamp), time
 *   advancing to each timestamp first (so runs older than `within` time out before a later event
 *   could extend them), and finally to the watermark itself.
 * - Exception: a record that starts no match (known when it arrives), on a key with nothing open,
 *   counts limits.cepQuietKeyDelayMs later than its time for the queue (dueMsOf): fed then or at
 *   its time, it changes nothing and emits nothing, so a quiet key is fed several at once.
 * - A new partial match registers a timer at its first event's time + `within`, so it times out
 *   when the watermark gets there even if the key sees no more records.
 *
 * Everything of a key — buffer, runs, held matches, the events runs refer to — is keyed state, so
 * it lives in LMDB (or the heap store) and in checkpoints like any keyed state; between the
 * store's flushes it is held in memory and changed in place (cep-held-keys.ts).
 */
import { WeirError } from '../errors.ts';
import type { KeyedContext, KeyedProcessFunction, OnTimerContext } from '../functions/contracts.ts';
import type { CompiledNfa } from './nfa-compiler.ts';
import { attachHeldState, heldStateHostOf, type AttachesHeldState } from '../state/held-state.ts';
import type { DueKey } from './cep-due-keys.ts';
import { limits } from '../limits.ts';
import { HeldKeys, type Buffered, type HeldKey } from './cep-held-keys.ts';
import { materialize, newKeyState, NfaRunner, type EventLookup, type Match, type NfaKeyState, type NfaOutput, type Run, type StoredEvent } from './nfa.ts';

/** What a pattern function can do with a match. */
export interface PatternContext<K, U> {
  readonly key: K;
  /** Event time of the match (its last event) or, for a timed-out partial match, the time it timed out. */
  readonly timestampMs: number;
  emit(value: U): void;
  /** Sends a record to side output `tag` (`stream.sideOutput(tag)`). */
  output<X>(tag: string, value: X): void;
}

/** Flink's PatternProcessFunction, with TimedOutPartialMatchHandler's method optional. */
export interface PatternProcessFunction<T, K, U> {
  processMatch(match: Match<T>, ctx: PatternContext<K, U>): void;
  /** A partial match that did not complete within the pattern's `within`; without this method they are dropped. */
  processTimedOutMatch?(match: Match<T>, ctx: PatternContext<K, U>): void;
}

/** Side output of records too late for the pattern (at or behind the watermark), unless `sideOutputLateData(tag)` names another. */
export const CEP_LATE_RECORDS_TAG = 'late-records';

export function cepOperator<T, K, U>(nfa: CompiledNfa<T>, fn: PatternProcessFunction<T, K, U>, lateDataTag: string): KeyedProcessFunction<T, K, U> & AttachesHeldState {
  const runner = new NfaRunner(nfa);
  const windowMs = nfa.windowMs;
  const lookup = new RoundEvents<T>();
  let keys: HeldKeys<T> | undefined;
  /** The state of an idle key, handed to the runner; it becomes the key's own once a run starts. */
  let idle = newKeyState(nfa);

  const quietDelayMs = limits.cepQuietKeyDelayMs;
  /** Scratch array of the records a round feeds (emptied after each). */
  const dueRecords: Buffered<T>[] = [];
  /** The key being taken out of the queue (onTimer then needs no look-up when it is the key's held object). */
  let firing: DueKey | undefined;

  const notAttached = () => new WeirError('WEIR_JOB_DEFINITION', 'CEP: the pattern operator runs only as the keyed process function of a keyed stream');
  const heldKeys = (): HeldKeys<T> => {
    if (keys === undefined) throw notAttached();
    return keys;
  };

  class Emitter implements NfaOutput<T>, PatternContext<K, U> {
    timestampMs = NaN;
    ctx!: KeyedContext<K, U>;
    get key(): K {
      return this.ctx.key;
    }
    emit(value: U): void {
      this.ctx.emit(value, this.timestampMs);
    }
    output<X>(tag: string, value: X): void {
      this.ctx.output(tag, value);
    }
    match(run: Run, events: EventLookup<T>): void {
      this.timestampMs = events.get(run.ev[run.n - 1])![1];
      fn.processMatch(materialize(run, nfa.stageNames, events), this);
    }
    timedOut(run: Run, timeoutAtMs: number, events: EventLookup<T>): void {
      if (fn.processTimedOutMatch === undefined) return;
      this.timestampMs = timeoutAtMs;
      fn.processTimedOutMatch(materialize(run, nfa.stageNames, events), this);
    }
  }
  const emitter = new Emitter();

  return {
    // Called by the keyed operator once, before anything else (a new instance of the operator
    // meets the store as it is, e.g. restored): the held keys start empty and the queue is rebuilt.
    [attachHeldState](ctx: KeyedContext<unknown, unknown>): void {
      const host = heldStateHostOf(ctx);
      if (host === undefined) throw notAttached();
      const held = new HeldKeys<T>(host, ctx);
      keys = held;
      host.onWatermark((watermarkMs) => {
        // Keys due at the same time come out as timers would: by key group, then key.
        for (let k = held.due.takeDue(watermarkMs); k !== undefined; k = held.due.takeDue(watermarkMs)) {
          firing = k;
          try {
            host.fireEventTime(k.key, k.keyGroup, k.dueMs);
          } finally {
            firing = undefined;
          }
        }
      });
    },

    processElement(value: T, ctx: KeyedContext<K, U>): void {
      const timestampMs = ctx.timestampMs;
      if (!Number.isFinite(timestampMs)) {
        throw new WeirError('WEIR_JOB_DEFINITION', `CEP: a record has no event timestamp (${timestampMs}); give its source timestamps (a watermark strategy with a timestamp assigner)`);
      }
      if (timestampMs <= ctx.timerService.currentWatermark()) {
        ctx.output(lateDataTag, value);
        return;
      }
      const keys = heldKeys();
      keys.checkRecord(value);
      const held = keys.of(ctx.key);
      // Whether it could start a match is known now (the start conditions see the record and its
      // time only); a record that cannot, on a key with nothing open, need not be fed at its time.
      const starts = runner.takesFromStart(value, timestampMs);
      held.buffer.push(starts ? [timestampMs, value] : [timestampMs, value, 0]);
      keys.due.schedule(held, starts || held.runs !== undefined ? timestampMs : timestampMs + quietDelayMs);
      keys.changedNow(held);
    },

    onTimer(_timestampMs: number, ctx: OnTimerContext<K, U>): void {
      const keys = heldKeys();
      const held = (firing !== undefined ? keys.heldNow(firing) : undefined) ?? keys.of(ctx.key);
      if (held.runs === undefined && held.buffer.length === 0) {
        // A timer at first + within of a match that has since ended, a key queued again after it
        // was let go, or a timer of a checkpoint taken before keys were queued.
        keys.release(held);
        return;
      }
      try {
        feed(held, ctx, keys);
      } finally {
        // Queued again for what is left (after the round: whether the key has something open decides when).
        if (held.buffer.length > 0) keys.due.schedule(held, dueMsOf(held.buffer, held.runs === undefined, quietDelayMs));
      }
    },
  };

  /** Feeds the key's records up to the watermark to the NFA, then moves its time to the watermark. */
  function feed(held: HeldKey<T>, ctx: OnTimerContext<K, U>, keys: HeldKeys<T>): void {
    const watermarkMs = ctx.timerService.currentWatermark();
    emitter.ctx = ctx;
    lookup.stored = held.events;
    let state = held.runs;
    if (state === undefined) {
      state = idle;
      state.nextId = 0; // nothing refers to an earlier id
    }
    // Whether the runs changed this round (then unreferenced events go and the runs are kept).
    let touched = held.runs !== undefined;

    const due = dueRecords;
    if (takeDue(held.buffer, watermarkMs, due)) {
      keys.changedNow(held);
      try {
        // Stable: records of one timestamp keep their arrival order.
        if (due.length > 1) due.sort(byTimestamp);
        let lastTimestampMs = Number.NaN;
        for (let i = 0; i < due.length; i++) {
          const b = due[i];
          const timestampMs = b[0];
          const value = b[1];
          // Starts nothing, and nothing is open: feeding it would change nothing.
          if (b[2] === 0 && runner.isIdle(state)) continue;
          if (timestampMs !== lastTimestampMs) {
            if (!runner.isIdle(state)) runner.advanceTime(state, timestampMs, lookup, emitter);
            lastTimestampMs = timestampMs;
          }
          const id = state.nextId++;
          lookup.setPending(id, timestampMs, value);
          if (runner.process(state, value, timestampMs, id, lookup, emitter)) {
            touched = true;
            held.events.set(id, lookup.pendingEvent());
            if (state === idle) idle = newKeyState(nfa); // the key's own from now on
            // A run that started with this event times out at its time + within, records or not.
            if (windowMs > 0 && startedWith(state.runs, id)) ctx.timerService.registerEventTimeTimer(timestampMs + windowMs);
          }
          lookup.clearPending();
        }
      } finally {
        due.length = 0; // a scratch array: it must not keep records
      }
    }
    if (!touched) return; // nothing was open, nothing is
    runner.advanceTime(state, watermarkMs, lookup, emitter);
    keys.changedNow(held);
    if (!runner.hasOpenMatches(state)) {
      // Nothing open: the key's runs and events go (ids restart at 0 next time, which nothing refers to).
      held.runs = undefined;
      held.events.clear();
      return;
    }
    held.runs = state;
    // Keep the events some run or held match still refers to; drop the others.
    const referenced = referencedIds(state);
    for (const id of held.events.keys()) if (!referenced.has(id)) held.events.delete(id);
  }
}

/**
 * The events a round of a key can look up: those its runs hold, and the one being processed,
 * whose stored form is made only when something asks for it (most events start nothing).
 */
class RoundEvents<T> implements EventLookup<T> {
  stored: Map<number, StoredEvent<T>> = new Map();
  private pendingId = -1;
  private pendingTimestampMs = 0;
  private pendingValue: T | undefined;
  private pending: StoredEvent<T> | undefined;

  get(id: number): StoredEvent<T> | undefined {
    return id === this.pendingId ? this.pendingEvent() : this.stored.get(id);
  }

  setPending(id: number, timestampMs: number, value: T): void {
    this.pendingId = id;
    this.pendingTimestampMs = timestampMs;
    this.pendingValue = value;
    this.pending = undefined;
  }

  pendingEvent(): StoredEvent<T> {
    return (this.pending ??= [this.pendingId, this.pendingTimestampMs, this.pendingValue as T]);
  }

  clearPending(): void {
    this.pendingId = -1;
    this.pendingValue = undefined;
    this.pending = undefined;
  }
}

/**
 * Moves the records at or behind the watermark from the buffer (in place, the others keep their
 * order) into `due`; false when there are none.
 */
function takeDue<T>(buffer: Buffered<T>[], watermarkMs: number, due: Buffered<T>[]): boolean {
  let kept = 0;
  for (let i = 0; i < buffer.length; i++) {
    const b = buffer[i];
    if (b[0] <= watermarkMs) due.push(b);
    else buffer[kept++] = b;
  }
  buffer.length = kept;
  return due.length > 0;
}

/**
 * When a key with these buffered records is due: at the earliest record's time — but a record
 * that starts no match, while nothing is open, only `quietDelayMs` after its time. Feeding such a
 * record to a key with nothing open changes nothing and emits nothing, whenever it is done, so a
 * key with nothing open is fed a few of them at once rather than each at its own time; a record
 * that could start a match, or any record once a match is open, is fed as soon as the watermark
 * passes it (what it leads to must be emitted before the watermark goes on).
 */
export function dueMsOf<T>(buffer: Buffered<T>[], nothingOpen: boolean, quietDelayMs: number): number {
  let dueMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < buffer.length; i++) {
    const b = buffer[i];
    const at = nothingOpen && b[2] === 0 ? b[0] + quietDelayMs : b[0];
    if (at < dueMs) dueMs = at;
  }
  return dueMs;
}

const byTimestamp = <T>(x: Buffered<T>, y: Buffered<T>) => x[0] - y[0];

/** Whether some run's first event is `id` (a new partial match). */
function startedWith(runs: Run[], id: number): boolean {
  for (const r of runs) if (r.id0 === id) return true;
  return false;
}

function referencedIds(state: NfaKeyState): Set<number> {
  const ids = new Set<number>();
  for (const r of state.runs) for (let i = 0; i < r.n; i++) ids.add(r.ev[i]);
  for (const r of state.held) for (let i = 0; i < r.n; i++) ids.add(r.ev[i]);
  return ids;
}
