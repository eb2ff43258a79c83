// Shared by the CEP tests: the event type, a driver that runs the CEP operator through the real
// keyed operator (test/keyed-harness.ts: heap, or LMDB with a tiny write-back cache so that every
// value round-trips through it) and canonical forms of matches to compare with brute force.
import { cepOperator, type PatternProcessFunction } from '../../src/cep/cep-operator.ts';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import type { Match } from '../../src/cep/nfa.ts';
import { Pattern } from '../../src/cep/pattern.ts';
import { KeyedOperatorHarness, type HarnessBackend } from '../keyed-harness.ts';

export interface Ev {
  k: string;
  /** Letter: what conditions test. */
  t: string;
  v: number;
  ts: number;
  /** Unique id (arrival order). */
  i: number;
}

export type Emitted = { kind: 'match' | 'timeout'; key: string; events: string };

/** A match as "i:stage i:stage …" in the order the events were matched (event time, then arrival). */
export function canonical(match: Match<Ev>): string {
  const pairs: Array<[Ev, string]> = [];
  for (const [stage, events] of Object.entries(match)) for (const e of events) pairs.push([e, stage]);
  return pairs
    .sort((a, b) => a[0].ts - b[0].ts || a[0].i - b[0].i)
    .map(([e, s]) => `${e.i}:${s}`)
    .join(' ');
}

export const recordingFunction: PatternProcessFunction<Ev, string, Emitted> = {
  processMatch: (m, ctx) => ctx.emit({ kind: 'match', key: ctx.key, events: canonical(m) }),
  processTimedOutMatch: (m, ctx) => ctx.output('timed-out', { kind: 'timeout', key: ctx.key, events: canonical(m) }),
};

/** A harness running `pattern` with the recording function. */
export function cepHarness(pattern: Pattern<Ev>, backend: HarnessBackend = 'heap') {
  return new KeyedOperatorHarness<Ev, string, Emitted>(cepOperator(compileNfa(pattern), recordingFunction, 'late'), { backend });
}

/** Letters to events of one key, 1 ms apart from ts 1000. */
export function letters(key: string, text: string): Ev[] {
  return text.split(' ').map((t, n) => ({ k: key, t: t[0], v: n, ts: 1000 + n, i: n, label: t }) as Ev & { label: string });
}

/** Runs `pattern` over events (in order, one key) and returns the matches as label lists. */
export function matchLabels(pattern: Pattern<Ev>, text: string): string[] {
  const events = letters('k', text) as Array<Ev & { label: string }>;
  const h = cepHarness(pattern);
  for (const e of events) h.element('k', e, e.ts);
  h.end();
  return h.values().map((m) => m.events.split(' ').map((p) => events[Number(p.split(':')[0])].label).join(' '));
}

/** 'a' followed (relaxed) by 'b' within 10 ms of event time: the held-state and restore tests' pattern. */
export const aThenB = (): Pattern<Ev> =>
  Pattern.begin<Ev>('a')
    .where((e) => e.t === 'a')
    .followedBy('b')
    .where((e) => e.t === 'b')
    .within(10);
