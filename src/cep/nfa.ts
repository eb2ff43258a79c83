/**
 * Runs a compiled NFA over one key's events, in event-time order, as Flink's NFA does: every
 * partial match (a "run") tries the event along its state's transitions (following PROCEED moves),
 * IGNORE keeps it as it is, TAKE extends it; a run that reaches the final state is a match. The
 * start run is kept forever, so every event may start a match.
 *
 * Where Flink shares matched events between runs in a versioned buffer, a run here holds the ids
 * of its events (and each one's stage) and the events themselves are stored once per key, by id
 * (the operator's 'cep-events' map state): runs are short, and a list of ids costs less than the
 * bookkeeping.
 *
 * With a skip strategy other than noSkip, matches are held (`held`) until no partial match that
 * started earlier is left, and are then emitted in order of their first event, each pruning what
 * the strategy discards — Flink's processMatchesAccordingToSkipStrategy.
 */
import type { ConditionContext } from './pattern.ts';
import { holds, type CompiledNfa, type Transition } from './nfa-compiler.ts';

/** A partial match: its state and the events taken so far. Stored in keyed state as is. */
export interface Run {
  /** State id. */
  s: number;
  /**
   * Ids of the events taken, in order: the first `n` of `ev`. The arrays are shared between runs
   * that took the same first events: a run that takes an event appends it in place when its `n`
   * is the arrays' length (no run has appended past it yet), and copies its `n` first otherwise
   * (see extended()). An element before some run's `n` never changes. Copying on every take made
   * a run of n events cost O(n²): one key's run of 40 000 took 27.5 s.
   */
  ev: number[];
  /** The stage (index) each event was taken by: the first `n` of `st`. */
  st: number[];
  /** Events taken. */
  n: number;
  /** Event time of the first event (-1: the start run). */
  t0: number;
  /** Id of the first event (-1: the start run). */
  id0: number;
}

/** The runs of one key (its value state; the events they refer to are stored apart, by id). */
export interface NfaKeyState {
  runs: Run[];
  /** Completed matches held back by a skip strategy. */
  held: Run[];
  /** The next event id (ids grow in the order events are processed: event time, then arrival). */
  nextId: number;
  /** Ids of the events stored for the runs, so unreferenced ones can be removed. */
  stored: number[];
}

/** A stored event: [id, timestampMs, event]. */
export type StoredEvent<T> = [number, number, T];

/** Where the runner finds the events runs refer to. */
export interface EventLookup<T> {
  get(id: number): StoredEvent<T> | undefined;
}

/** A match or timed-out partial match handed to the user: events per stage, stages in pattern order. */
export type Match<T> = Record<string, T[]>;

export interface NfaOutput<T> {
  match(run: Run, events: EventLookup<T>): void;
  timedOut(run: Run, timeoutAtMs: number, events: EventLookup<T>): void;
}

export function newKeyState<T>(nfa: CompiledNfa<T>): NfaKeyState {
  return { runs: [startRun(nfa)], held: [], nextId: 0, stored: [] };
}

const startRun = <T>(nfa: CompiledNfa<T>): Run => ({ s: nfa.startState, ev: [], st: [], n: 0, t0: -1, id0: -1 });

/** `run`'s events and stages with event `id` taken by stage `stage` after them (see Run.ev). */
function extended(run: Run, id: number, stage: number): { ev: number[]; st: number[]; n: number } {
  let { ev, st } = run;
  if (ev.length !== run.n) {
    ev = ev.slice(0, run.n);
    st = st.slice(0, run.n);
  }
  ev.push(id);
  st.push(stage);
  return { ev, st, n: run.n + 1 };
}

/** Order of matches: first event, then the events in turn (Flink leaves ties to its priority queue; here they are fixed). */
export function compareRuns(a: Run, b: Run): number {
  const byStart = compareStarts(a, b);
  if (byStart !== 0) return byStart;
  const n = Math.min(a.n, b.n);
  for (let i = 0; i < n; i++) if (a.ev[i] !== b.ev[i]) return a.ev[i] - b.ev[i];
  return a.n - b.n;
}

/** By first event only; the start run (no event) last. */
function compareStarts(a: Run, b: Run): number {
  const x = a.id0 < 0 ? Number.POSITIVE_INFINITY : a.id0;
  const y = b.id0 < 0 ? Number.POSITIVE_INFINITY : b.id0;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** The events of a run, by stage, in pattern order of first appearance. */
export function materialize<T>(run: Run, stageNames: string[], events: EventLookup<T>): Match<T> {
  const out: Match<T> = {};
  for (let i = 0; i < run.n; i++) {
    const name = stageNames[run.st[i]];
    (out[name] ??= []).push(events.get(run.ev[i])![2]);
  }
  return out;
}

export class NfaRunner<T> {
  private readonly isStart: (run: Run) => boolean;
  /** What conditions see on the start run (no events yet): one object, its time set per event. */
  private readonly startContext = new StartRunContext<T>();
  /** The start run's edges for the event at hand (see process). */
  private readonly scratchEdges: Transition<T>[] = [];

  constructor(readonly nfa: CompiledNfa<T>) {
    this.isStart = (run) => run.s === nfa.startState;
  }

  /** Whether the key has nothing open: only the start run, no held match (the state of most keys most of the time). */
  isIdle(state: NfaKeyState): boolean {
    return state.held.length === 0 && state.runs.length === 1 && this.isStart(state.runs[0]);
  }

  /**
   * Feeds one event (already stored in `events` under `id`) to every run. Returns false when the
   * state is left as it was: the key was idle and the event starts no match, which is found
   * without allocating a run (and the event need not be kept).
   */
  process(state: NfaKeyState, event: T, timestampMs: number, id: number, events: EventLookup<T>, out: NfaOutput<T>): boolean {
    let startEdges: Transition<T>[] | undefined;
    if (this.isIdle(state)) {
      // The start run turns into itself plus one run per TAKE edge (its IGNOREs are dropped):
      // without a TAKE nothing changes, and nothing completes or is released. The edges are
      // gathered in a scratch array and copied only when there is a TAKE among them.
      if (!this.takesFromStart(event, timestampMs)) return false;
      startEdges = this.scratchEdges.slice();
    }
    const next: Run[] = [];
    const complete: Run[] = [];
    for (const run of state.runs) {
      for (const r of this.nextRuns(run, event, timestampMs, id, events, startEdges)) {
        if (this.nfa.states[r.s].isFinal) complete.push(r);
        else next.push(r);
      }
    }
    complete.sort(compareRuns);
    state.runs = next;
    if (!this.nfa.skip.isSkip) {
      for (const m of complete) out.match(m, events);
    } else {
      this.releaseHeld(state, complete, events, out);
    }
    return true;
  }

  /**
   * Time has reached `timestampMs`: runs older than the window time out (and may release held
   * matches). Time moves through each run's timeout in turn, as if the watermark had stopped at
   * every one, so what a skip strategy prunes does not depend on how far one watermark jumped (a
   * run that times out before a held match is released is reported; one that would time out
   * after it is pruned) — the same results in continuous and micro-batch mode.
   */
  advanceTime(state: NfaKeyState, timestampMs: number, events: EventLookup<T>, out: NfaOutput<T>): void {
    const windowMs = this.nfa.windowMs;
    if (windowMs > 0) {
      for (;;) {
        let nextTimeoutMs = Number.POSITIVE_INFINITY;
        for (const run of state.runs) if (!this.isStart(run) && run.t0 + windowMs < nextTimeoutMs) nextTimeoutMs = run.t0 + windowMs;
        if (nextTimeoutMs > timestampMs || nextTimeoutMs === Number.POSITIVE_INFINITY) break;
        this.timeOut(state, nextTimeoutMs, events, out);
      }
    }
    if (this.nfa.skip.isSkip && state.held.length > 0) this.releaseHeld(state, [], events, out);
  }

  /** Removes (and reports) the runs that time out at `timestampMs`, then releases what they held back. */
  private timeOut(state: NfaKeyState, timestampMs: number, events: EventLookup<T>, out: NfaOutput<T>): void {
    const windowMs = this.nfa.windowMs;
    const kept: Run[] = [];
    const timedOut: Run[] = [];
    for (const run of state.runs) {
      if (!this.isStart(run) && timestampMs - run.t0 >= windowMs) timedOut.push(run);
      else kept.push(run);
    }
    state.runs = kept;
    timedOut.sort(compareRuns);
    for (const run of timedOut) out.timedOut(run, run.t0 + windowMs, events);
    if (this.nfa.skip.isSkip && state.held.length > 0) this.releaseHeld(state, [], events, out);
  }

  /**
   * Whether `event` at `timestampMs` starts a match: a TAKE edge from the start state (what the
   * start run's conditions say depends on the event and its time only). When it does not, feeding
   * it to a key with nothing open changes nothing. Leaves the start edges in scratchEdges.
   */
  takesFromStart(event: T, timestampMs: number): boolean {
    this.startContext.timestampMs = timestampMs;
    const scratch = this.scratchEdges;
    scratch.length = 0;
    this.collectEdges(this.nfa.startState, event, this.startContext, scratch);
    for (let i = 0; i < scratch.length; i++) if (scratch[i].action === 'take') return true;
    return false;
  }

  /** Whether a run (other than the start run) or a held match is still open. */
  hasOpenMatches(state: NfaKeyState): boolean {
    return state.held.length > 0 || state.runs.some((r) => !this.isStart(r));
  }

  /** The runs `run` turns into on `event` (Flink's computeNextStates). */
  private nextRuns(run: Run, event: T, timestampMs: number, id: number, events: EventLookup<T>, startEdges: Transition<T>[] | undefined): Run[] {
    const fromStart = this.isStart(run);
    const ctx: ConditionContext<T> = fromStart ? this.startContext : new RunContext(run, timestampMs, this.nfa.stageNames, events);
    this.startContext.timestampMs = timestampMs;
    const edges = fromStart && startEdges !== undefined ? startEdges : this.outgoingEdges(run.s, event, ctx);
    const result: Run[] = [];
    for (const edge of edges) {
      if (edge.action === 'ignore') {
        if (!fromStart) result.push({ s: edge.target, ev: run.ev, st: run.st, n: run.n, t0: run.t0, id0: run.id0 });
        continue;
      }
      const taken: Run = {
        s: edge.target,
        ...extended(run, id, this.nfa.states[edge.source].stage),
        t0: fromStart ? timestampMs : run.t0,
        id0: fromStart ? id : run.id0,
      };
      result.push(taken);
      // A state that can PROCEED to the end on this very event completes the match now.
      const final = this.finalAfterProceed(edge.target, event, ctx);
      if (final !== undefined) result.push({ ...taken, s: final });
    }
    if (fromStart) result.push(run);
    return result;
  }

  /** The TAKE and IGNORE transitions reachable from `stateId` through PROCEED moves whose conditions hold. */
  private outgoingEdges(stateId: number, event: T, ctx: ConditionContext<T>): Transition<T>[] {
    const edges: Transition<T>[] = [];
    this.collectEdges(stateId, event, ctx, edges);
    return edges;
  }

  /** Appends the edges of outgoingEdges to `edges`, in the same order. */
  private collectEdges(stateId: number, event: T, ctx: ConditionContext<T>, edges: Transition<T>[]): void {
    const stack = [stateId];
    while (stack.length > 0) {
      const state = this.nfa.states[stack.pop()!];
      const transitions = state.transitions;
      for (let i = 0; i < transitions.length; i++) {
        const t = transitions[i];
        if (!holds(t.condition, event, ctx)) continue;
        if (t.action === 'proceed') stack.push(t.target);
        else edges.push(t);
      }
    }
  }

  private finalAfterProceed(stateId: number, event: T, ctx: ConditionContext<T>): number | undefined {
    const stack = [stateId];
    while (stack.length > 0) {
      const state = this.nfa.states[stack.pop()!];
      for (const t of state.transitions) {
        if (t.action !== 'proceed' || !holds(t.condition, event, ctx)) continue;
        if (this.nfa.states[t.target].isFinal) return t.target;
        stack.push(t.target);
      }
    }
    return undefined;
  }

  /** Emits held matches that no earlier partial match can precede any more, pruning as the skip strategy says. */
  private releaseHeld(state: NfaKeyState, complete: Run[], events: EventLookup<T>, out: NfaOutput<T>): void {
    if (complete.length > 0) {
      state.held.push(...complete);
      state.held.sort(compareRuns);
    }
    const skip = this.nfa.skip;
    while (state.held.length > 0) {
      const earliest = state.held[0];
      let earliestRun: Run | undefined;
      for (const r of state.runs) if (earliestRun === undefined || compareStarts(r, earliestRun) < 0) earliestRun = r;
      if (earliestRun !== undefined && compareStarts(earliest, earliestRun) > 0) break;
      state.held.shift();
      const pruningId = skip.pruningId(earliest.ev.slice(0, earliest.n).map((id, i) => ({ id, stage: this.nfa.stageNames[earliest.st[i]] })));
      if (pruningId !== undefined) {
        const survives = (r: Run) => r.id0 < 0 || !skip.prunes(r.id0, pruningId);
        state.runs = state.runs.filter(survives);
        state.held = state.held.filter(survives);
      }
      out.match(earliest, events);
    }
  }
}

/** What a condition sees on the start run: no events of any stage. */
class StartRunContext<T> implements ConditionContext<T> {
  timestampMs = Number.NaN;

  eventsFor(): T[] {
    return [];
  }
}

/** What a condition sees: the run's events by stage, computed only when asked for. */
class RunContext<T> implements ConditionContext<T> {
  private byStage: Match<T> | undefined;

  constructor(
    private readonly run: Run,
    readonly timestampMs: number,
    private readonly stageNames: string[],
    private readonly events: EventLookup<T>,
  ) {}

  eventsFor(name: string): T[] {
    this.byStage ??= materialize(this.run, this.stageNames, this.events);
    return this.byStage[name] ?? [];
  }
}

/**
 * The runs of a key as one flat array of numbers, for its value state: storing (and checking) a
 * flat array costs a fraction of what arrays of run objects cost on every update. Layout: nextId,
 * n, n stored ids, then runs and held matches, each list as its length followed by runs of
 * [s, t0, id0, k, k event ids, k stage indices].
 */
export function encodeKeyState(state: NfaKeyState): number[] {
  const out: number[] = [state.nextId, state.stored.length, ...state.stored];
  for (const list of [state.runs, state.held]) {
    out.push(list.length);
    for (const r of list) {
      out.push(r.s, r.t0, r.id0, r.n);
      for (let i = 0; i < r.n; i++) out.push(r.ev[i]);
      for (let i = 0; i < r.n; i++) out.push(r.st[i]);
    }
  }
  return out;
}

export function decodeKeyState(f: number[]): NfaKeyState {
  let at = 0;
  const nextId = f[at++];
  const storedCount = f[at++];
  const stored = f.slice(at, at + storedCount);
  at += storedCount;
  const lists: Run[][] = [];
  for (let l = 0; l < 2; l++) {
    const n = f[at++];
    const list: Run[] = [];
    for (let i = 0; i < n; i++) {
      const s = f[at++];
      const t0 = f[at++];
      const id0 = f[at++];
      const k = f[at++];
      const ev = f.slice(at, at + k);
      at += k;
      const st = f.slice(at, at + k);
      at += k;
      list.push({ s, ev, st, n: k, t0, id0 });
    }
    lists.push(list);
  }
  return { nextId, stored, runs: lists[0], held: lists[1] };
}
