// The brute-force side of the CEP tests: one key's whole event sequence at once, matched start by
// start. For every event it follows the runs that begin with it to the end of the input on their
// own (no shared run list, no buffering, no state), then replays time in order to apply `within`
// and the skip strategy: a held match is emitted once no earlier-starting run is alive, and prunes
// the starts the strategy discards. Transitions are read from the compiled NFA (the compiler's
// semantics are checked separately against examples of Flink's documentation).
import type { CompiledNfa } from '../../src/cep/nfa-compiler.ts';

export interface BruteEvent<T> {
  ts: number;
  value: T;
}

/** A match or timed-out partial match: the indices (in event-time order) of its events and each one's stage. */
export interface BruteMatch {
  events: number[];
  stages: string[];
}

interface PathRun {
  state: number;
  events: number[];
  stages: number[];
}

interface StartOutcome {
  /** Complete matches with the index of the event that completed them. */
  completions: Array<{ at: number; run: PathRun }>;
  /** The runs alive after each event index (from the start on). */
  aliveAfter: Map<number, PathRun[]>;
}

function condHolds<T>(cond: ((e: T, ctx: { eventsFor(n: string): T[]; timestampMs: number }) => boolean) | null, nfa: CompiledNfa<T>, run: PathRun, all: BruteEvent<T>[], index: number): boolean {
  if (cond === null) return true;
  const ctx = {
    timestampMs: all[index].ts,
    eventsFor: (name: string) => run.events.filter((_e, i) => nfa.stageNames[run.stages[i]] === name).map((i) => all[i].value),
  };
  return Boolean(cond(all[index].value, ctx));
}

/** Every run that starts at event `start`, followed through the rest of the input. */
function followStart<T>(nfa: CompiledNfa<T>, all: BruteEvent<T>[], start: number): StartOutcome {
  const completions: StartOutcome['completions'] = [];
  const aliveAfter = new Map<number, PathRun[]>();
  let runs: PathRun[] = [{ state: nfa.startState, events: [], stages: [] }];
  for (let j = start; j < all.length && runs.length > 0; j++) {
    if (nfa.windowMs > 0 && j > start && all[j].ts - all[start].ts >= nfa.windowMs) break;
    const next: PathRun[] = [];
    for (const run of runs) {
      const fromStart = j === start;
      // Depth-first through PROCEED moves to the TAKE and IGNORE transitions that hold.
      const pending = [run.state];
      const edges: Array<{ action: string; source: number; target: number }> = [];
      while (pending.length > 0) {
        const s = pending.pop()!;
        for (const t of nfa.states[s].transitions) {
          if (!condHolds(t.condition, nfa, run, all, j)) continue;
          if (t.action === 'proceed') pending.push(t.target);
          else edges.push(t);
        }
      }
      for (const e of edges) {
        if (e.action === 'ignore') {
          if (!fromStart) next.push({ ...run, state: e.target });
          continue;
        }
        const taken = { state: e.target, events: [...run.events, j], stages: [...run.stages, nfa.states[e.source].stage] };
        next.push(taken);
        // The same event completes the match when a PROCEED path from the new state reaches the end.
        const toCheck = [e.target];
        let done = false;
        while (toCheck.length > 0 && !done) {
          for (const t of nfa.states[toCheck.pop()!].transitions) {
            if (t.action !== 'proceed' || !condHolds(t.condition, nfa, run, all, j)) continue;
            if (nfa.states[t.target].isFinal) {
              next.push({ ...taken, state: t.target });
              done = true;
              break;
            }
            toCheck.push(t.target);
          }
        }
      }
    }
    runs = [];
    for (const r of next) {
      if (nfa.states[r.state].isFinal) completions.push({ at: j, run: r });
      else runs.push(r);
    }
    aliveAfter.set(j, runs);
  }
  return { completions, aliveAfter };
}

const lexicographic = (a: number[], b: number[]) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
};

/** Matches (in emission order) and timed-out partial matches of one key's events, sorted by (ts, arrival). */
export function bruteForceMatches<T>(nfa: CompiledNfa<T>, all: BruteEvent<T>[]): { matches: BruteMatch[]; timedOut: BruteMatch[] } {
  const outcomes = all.map((_e, s) => followStart(nfa, all, s));
  const toMatch = (run: PathRun): BruteMatch => ({ events: run.events, stages: run.stages.map((i) => nfa.stageNames[i]) });
  const windowMs = nfa.windowMs;
  const skip = nfa.skip;
  const matches: BruteMatch[] = [];
  const timedOut: BruteMatch[] = [];
  const pruned = new Set<number>();
  const dead = new Set<number>(); // starts whose runs have all ended or timed out
  let held: Array<{ start: number; run: PathRun }> = [];
  let processed = -1;

  const aliveStarts = () => {
    const alive: number[] = [];
    for (let s = 0; s <= processed; s++) if (!pruned.has(s) && !dead.has(s) && (outcomes[s].aliveAfter.get(processed)?.length ?? 0) > 0) alive.push(s);
    return alive;
  };
  const release = () => {
    held.sort((a, b) => a.start - b.start || lexicographic(a.run.events, b.run.events));
    while (held.length > 0) {
      const alive = aliveStarts();
      if (alive.length > 0 && held[0].start > alive[0]) return;
      const m = held.shift()!;
      matches.push(toMatch(m.run));
      const pid = skip.pruningId(m.run.events.map((id, i) => ({ id, stage: nfa.stageNames[m.run.stages[i]] })));
      if (pid === undefined) continue;
      for (let s = 0; s <= processed; s++) if (skip.prunes(s, pid)) pruned.add(s);
      held = held.filter((h) => !pruned.has(h.start));
    }
  };
  // Time moves through every timeout instant in turn (the operator's rule), releasing after each.
  const timeOut = (timestampMs: number) => {
    const out: Array<{ start: number; run: PathRun }> = [];
    for (let s = 0; s <= processed; s++) {
      if (pruned.has(s) || dead.has(s) || timestampMs - all[s].ts < windowMs) continue;
      dead.add(s);
      for (const run of outcomes[s].aliveAfter.get(processed) ?? []) out.push({ start: s, run });
    }
    out.sort((a, b) => a.start - b.start || lexicographic(a.run.events, b.run.events));
    timedOut.push(...out.map((o) => toMatch(o.run)));
    if (skip.isSkip) release();
  };
  const advanceTime = (timestampMs: number) => {
    if (windowMs <= 0) return;
    const instants = new Set<number>();
    for (let s = 0; s <= processed; s++) {
      if (!pruned.has(s) && !dead.has(s) && all[s].ts + windowMs <= timestampMs && (outcomes[s].aliveAfter.get(processed)?.length ?? 0) > 0) instants.add(all[s].ts + windowMs);
    }
    for (const t of [...instants].sort((a, b) => a - b)) timeOut(t);
  };

  for (let j = 0; j < all.length; j++) {
    if (j === 0 || all[j].ts !== all[j - 1].ts) {
      advanceTime(all[j].ts);
      if (skip.isSkip) release();
    }
    processed = j;
    const completed = [];
    for (let s = 0; s <= j; s++) {
      if (pruned.has(s) || dead.has(s)) continue;
      for (const c of outcomes[s].completions) if (c.at === j) completed.push({ start: s, run: c.run });
    }
    completed.sort((a, b) => a.start - b.start || lexicographic(a.run.events, b.run.events));
    if (skip.isSkip) {
      held.push(...completed);
      release();
    } else {
      matches.push(...completed.map((c) => toMatch(c.run)));
    }
  }
  advanceTime(Number.POSITIVE_INFINITY);
  if (skip.isSkip) release();
  return { matches, timedOut };
}
