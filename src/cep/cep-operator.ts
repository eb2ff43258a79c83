/**
 * The CEP operator: an ordinary keyed process function (as the window operator is) that runs a
 * compiled pattern per key in event-time order, as Flink's CepOperator does.
 *
 * - A record at or behind the watermark is late: it goes to the late-data side output.
 * - Other records wait in the key's buffer; an event-time timer at the earliest buffered timestamp
 *   fires when the watermark passes it. Then every buffered record up to the watermark is fed to
 *   the NFA in timestamp order (arrival order within a timestamp), time advancing to each
 *   timestamp first (so runs older than `within` time out before a later event could extend
 *   them), and finally to the watermark itself.
 * - A new partial match registers a timer at its first event's time + `within`, so it times out
 *   when the watermark gets there even if the key sees no more records.
 *
 * Everything of a key — buffer, runs, held matches, the events runs refer to — is keyed state, so
 * it lives in LMDB (or the heap store) and in checkpoints like any keyed state.
 */
import { WeirError } from '../errors.ts';
import type { KeyedContext, KeyedProcessFunction, OnTimerContext } from '../functions/contracts.ts';
import type { CompiledNfa } from './nfa-compiler.ts';
import { decodeKeyState, encodeKeyState, materialize, newKeyState, NfaRunner, type EventLookup, type Match, type NfaKeyState, type NfaOutput, type Run, type StoredEvent } from './nfa.ts';

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

/**
 * The key's state, in parts so that an update writes (and checks) only what changed: records
 * waiting for the watermark (a few seconds' worth per key: one small array, one read and one write
 * per record — map state measured slower), the runs (ids and numbers only), and the events runs
 * refer to (a map by id: each stored once, removed when no run needs it).
 */
const bufferState = 'cep-buffer';
const runsState = 'cep-runs';
const eventsState = 'cep-events';

export function cepOperator<T, K, U>(nfa: CompiledNfa<T>, fn: PatternProcessFunction<T, K, U>, lateDataTag: string): KeyedProcessFunction<T, K, U> {
  const runner = new NfaRunner(nfa);
  const windowMs = nfa.windowMs;

  class Emitter implements NfaOutput<T>, PatternContext<K, U> {
    timestampMs = NaN;
    constructor(private readonly ctx: KeyedContext<K, U>) {}
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
      this.timestampMs = events.get(run.ev[run.ev.length - 1])![1];
      fn.processMatch(materialize(run, nfa.stageNames, events), this);
    }
    timedOut(run: Run, timeoutAtMs: number, events: EventLookup<T>): void {
      if (fn.processTimedOutMatch === undefined) return;
      this.timestampMs = timeoutAtMs;
      fn.processTimedOutMatch(materialize(run, nfa.stageNames, events), this);
    }
  }

  return {
    processElement(value: T, ctx: KeyedContext<K, U>): void {
      const timestampMs = ctx.timestampMs;
      if (!Number.isFinite(timestampMs)) {
        throw new WeirError('WEIR_JOB_DEFINITION', `CEP: a record has no event timestamp (${timestampMs}); give its source timestamps (a watermark strategy with a timestamp assigner)`);
      }
      if (timestampMs <= ctx.timerService.currentWatermark()) {
        ctx.output(lateDataTag, value);
        return;
      }
      const buffer = ctx.valueState<Array<[number, T]>>(bufferState);
      const waiting = buffer.value();
      // One pending timer per key, at its earliest buffered timestamp (not one per record).
      if (waiting === undefined || timestampMs < earliest(waiting)) ctx.timerService.registerEventTimeTimer(timestampMs);
      buffer.update(waiting === undefined ? [[timestampMs, value]] : [...waiting, [timestampMs, value]]);
    },

    onTimer(_timestampMs: number, ctx: OnTimerContext<K, U>): void {
      const watermarkMs = ctx.timerService.currentWatermark();
      const buffer = ctx.valueState<Array<[number, T]>>(bufferState);
      const runs = ctx.valueState<number[]>(runsState);
      const stored = ctx.mapState<number, StoredEvent<T>>(eventsState);
      const buffered = buffer.value();
      const encoded = runs.value();
      if (encoded === undefined && buffered === undefined) return;
      const keyState = encoded === undefined ? newKeyState(nfa) : decodeKeyState(encoded);
      const emitter = new Emitter(ctx);
      // New events are read from here within this round; stored ones from the map state.
      const fresh = new Map<number, StoredEvent<T>>();
      const events: EventLookup<T> = { get: (id) => fresh.get(id) ?? stored.get(id) };

      if (buffered !== undefined) {
        const due: Array<[number, T]> = [];
        const waiting: Array<[number, T]> = [];
        for (const b of buffered) (b[0] <= watermarkMs ? due : waiting).push(b);
        if (due.length > 0) {
          if (waiting.length === 0) buffer.clear();
          else {
            buffer.update(waiting);
            ctx.timerService.registerEventTimeTimer(earliest(waiting));
          }
          // Stable: records of one timestamp keep their arrival order.
          due.sort((x, y) => x[0] - y[0]);
          let lastTimestampMs = Number.NaN;
          for (const [timestampMs, value] of due) {
            if (timestampMs !== lastTimestampMs) {
              runner.advanceTime(keyState, timestampMs, events, emitter);
              lastTimestampMs = timestampMs;
            }
            const id = keyState.nextId++;
            fresh.set(id, [id, timestampMs, value]);
            runner.process(keyState, value, timestampMs, id, events, emitter);
            // A run that started with this event times out at its time + within, records or not.
            if (windowMs > 0 && startedWith(keyState.runs, id)) ctx.timerService.registerEventTimeTimer(timestampMs + windowMs);
          }
        }
      }
      runner.advanceTime(keyState, watermarkMs, events, emitter);

      if (encoded === undefined && !runner.hasOpenMatches(keyState)) return; // nothing was open, nothing is: no state to write
      // Keep the events some run or held match still refers to; drop the others.
      const referenced = referencedIds(keyState);
      const kept: number[] = [];
      for (const id of keyState.stored) {
        if (referenced.has(id)) kept.push(id);
        else stored.remove(id);
      }
      for (const [id, event] of fresh) {
        if (!referenced.has(id)) continue;
        stored.put(id, event);
        kept.push(id);
      }
      keyState.stored = kept;
      if (!runner.hasOpenMatches(keyState)) {
        // Nothing open: the key's runs go (ids restart at 0 next time, which nothing refers to).
        runs.clear();
        return;
      }
      runs.update(encodeKeyState(keyState));
    },
  };
}

function earliest<T>(buffered: Array<[number, T]>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const b of buffered) if (b[0] < min) min = b[0];
  return min;
}

/** Whether some run's first event is `id` (a new partial match). */
function startedWith(runs: Run[], id: number): boolean {
  for (const r of runs) if (r.id0 === id) return true;
  return false;
}

function referencedIds(state: NfaKeyState): Set<number> {
  const ids = new Set<number>();
  for (const r of state.runs) for (const id of r.ev) ids.add(id);
  for (const r of state.held) for (const id of r.ev) ids.add(id);
  return ids;
}
