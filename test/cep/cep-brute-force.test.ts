// The CEP operator (buffering until the watermark, runs kept in keyed state, within, skip
// strategies, timeouts) against brute force (brute-force.ts) on seeded random streams and random
// patterns: small alphabets, every contiguity, quantifier and skip strategy, several keys whose
// events interleave, disorder within what the watermark allows. Heap state for most seeds, LMDB
// (every value written back and read again) for every fourth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, Pattern } from '../../src/cep/index.ts';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import { limits } from '../../src/limits.ts';
import { seededRandom } from '../../src/util/random.ts';
import { bruteForceMatches } from './brute-force.ts';
import { cepHarness, type Emitted, type Ev } from './cep-helpers.ts';

type Rng = () => number;
const pick = <X>(rng: Rng, xs: readonly X[]): X => xs[Math.floor(rng() * xs.length)];

/** A random pattern of 1–3 stages over letters a, b, c, and a description of it for failure messages. */
function randomPattern(rng: Rng): { pattern: Pattern<Ev>; description: string } {
  const stageCount = 1 + Math.floor(rng() * 3);
  const names = Array.from({ length: stageCount }, (_, i) => `s${i}`);
  const skips = [
    AfterMatchSkipStrategy.noSkip(),
    AfterMatchSkipStrategy.skipToNext(),
    AfterMatchSkipStrategy.skipPastLastEvent(),
    AfterMatchSkipStrategy.skipToFirst(pick(rng, names)),
    AfterMatchSkipStrategy.skipToLast(pick(rng, names)),
  ];
  const skip = pick(rng, skips);
  const parts: string[] = [`skip=${skip}`];
  let pattern = Pattern.begin<Ev>(names[0], skip);
  for (let i = 0; i < stageCount; i++) {
    if (i > 0) {
      const how = pick(rng, ['next', 'followedBy', 'followedByAny'] as const);
      pattern = pattern[how](names[i]);
      parts.push(how);
    }
    const letter = pick(rng, ['a', 'b', 'c']);
    pattern.where((e) => e.t === letter);
    parts.push(`${names[i]}=${letter}`);
    const extra = rng();
    if (extra < 0.2) {
      const other = pick(rng, ['a', 'b', 'c']);
      pattern.or((e) => e.t === other);
      parts.push(`or ${other}`);
    } else if (extra < 0.4 && i > 0) {
      // Iterative: not smaller than every event the previous stage took.
      const previous = names[i - 1];
      pattern.where((e, ctx) => ctx.eventsFor(previous).every((p) => e.v >= p.v));
      parts.push(`v>=${previous}`);
    }
    const quantifier = pick(rng, ['single', 'single', 'times2', 'times13', 'times02', 'oneOrMore', 'timesOrMore2'] as const);
    parts.push(quantifier);
    if (quantifier === 'times2') pattern.times(2);
    if (quantifier === 'times13') pattern.times(1, 3);
    if (quantifier === 'times02') pattern.times(0, 2);
    if (quantifier === 'oneOrMore') pattern.oneOrMore();
    if (quantifier === 'timesOrMore2') pattern.timesOrMore(2);
    if (quantifier !== 'single') {
      const inner = pick(rng, ['relaxed', 'relaxed', 'consecutive', 'allowCombinations'] as const);
      if (inner === 'consecutive') pattern.consecutive();
      if (inner === 'allowCombinations') pattern.allowCombinations();
      parts.push(inner);
      if (inner !== 'allowCombinations' && rng() < 0.3) {
        pattern.greedy();
        parts.push('greedy');
      }
      if ((quantifier === 'oneOrMore' || quantifier === 'timesOrMore2') && rng() < 0.3) {
        const stop = pick(rng, ['a', 'b', 'c']);
        pattern.until((e) => e.t === stop);
        parts.push(`until ${stop}`);
      }
    }
    if (quantifier !== 'times02' && rng() < 0.25) {
      pattern.optional();
      parts.push('optional');
    }
  }
  if (rng() < 0.7) {
    const withinMs = 3 + Math.floor(rng() * 8);
    pattern.within(withinMs);
    parts.push(`within ${withinMs}`);
  }
  return { pattern, description: parts.join(' ') };
}

/** Per key, events with timestamps 1 ms to 2 ms apart (ties possible), arriving up to `disorder` places out of order. */
function randomStream(rng: Rng, keys: string[], perKey: number): Ev[] {
  const events: Ev[] = [];
  let i = 0;
  for (const k of keys) {
    let ts = 1000;
    for (let n = 0; n < perKey; n++) {
      ts += Math.floor(rng() * 3); // 0, 1 or 2: ties too
      events.push({ k, t: pick(rng, ['a', 'b', 'c']), v: Math.floor(rng() * 4), ts, i: 0 });
    }
  }
  // Arrival: sort by a jittered time, so keys interleave and a key's events come out of order.
  const arrival = events.map((e) => ({ e, at: e.ts + rng() * 4 }));
  arrival.sort((a, b) => a.at - b.at);
  return arrival.map(({ e }) => ({ ...e, i: i++ }));
}

function expected(pattern: Pattern<Ev>, stream: Ev[]): Emitted[][] {
  const nfa = compileNfa(pattern);
  const matches: Emitted[] = [];
  const timeouts: Emitted[] = [];
  for (const key of [...new Set(stream.map((e) => e.k))].sort()) {
    const mine = stream.filter((e) => e.k === key).sort((a, b) => a.ts - b.ts || a.i - b.i);
    const { matches: m, timedOut } = bruteForceMatches(nfa, mine.map((e) => ({ ts: e.ts, value: e })));
    const text = (x: { events: number[]; stages: string[] }) => x.events.map((n, j) => `${mine[n].i}:${x.stages[j]}`).join(' ');
    matches.push(...m.map((x) => ({ kind: 'match' as const, key, events: text(x) })));
    timeouts.push(...timedOut.map((x) => ({ kind: 'timeout' as const, key, events: text(x) })));
  }
  return [matches, timeouts];
}

/** The operator's output, per key in emission order (keys concatenated in key order). */
function actual(pattern: Pattern<Ev>, stream: Ev[], backend: 'heap' | 'lmdb', rng: Rng, writeBack = false): Emitted[][] {
  const h = cepHarness(pattern, backend);
  // Without a skip strategy (which holds matches back, as Flink's do) a match comes out while the
  // watermark passes its time, never after: it would be late downstream.
  const holdsBack = compileNfa(pattern).skip.isSkip;
  const advance = (watermarkMs: number) => {
    const before = h.watermarkMs;
    const from = h.emitted.length;
    h.advanceWatermark(watermarkMs);
    if (!holdsBack) for (const e of h.emitted.slice(from)) expect(e.timestampMs, 'a match emitted after the watermark passed it').toBeGreaterThan(before);
  };
  for (let n = 0; n < stream.length; n++) {
    h.element(stream[n].k, stream[n], stream[n].ts);
    // What the operator holds in memory is put into keyed state now and then (as at a flush).
    if (writeBack && rng() < 0.3) h.stateEntries();
    // Now and then the watermark moves to just before the earliest event still to come: nothing is late.
    if (rng() < 0.3) {
      let min = Number.POSITIVE_INFINITY;
      for (let m = n + 1; m < stream.length; m++) min = Math.min(min, stream[m].ts);
      if (Number.isFinite(min)) advance(min - 1);
    }
  }
  advance(Number.POSITIVE_INFINITY);
  expect(h.sideOutput('late')).toEqual([]);
  const byKey = (xs: Emitted[]) => [...new Set(xs.map((x) => x.key))].sort().flatMap((k) => xs.filter((x) => x.key === k));
  return [byKey(h.values()), byKey(h.sideOutput<Emitted>('timed-out'))];
}

describe('CEP against brute force on random streams and patterns', () => {
  for (let chunk = 0; chunk < 6; chunk++) {
    it(`seeds ${chunk * 50}–${chunk * 50 + 49}`, () => {
      let nonEmpty = 0;
      for (let seed = chunk * 50; seed < chunk * 50 + 50; seed++) {
        const rng = seededRandom(seed + 1);
        const { pattern, description } = randomPattern(rng);
        const stream = randomStream(rng, ['k1', 'k2', 'k3'], 9 + Math.floor(rng() * 5));
        const want = expected(pattern, stream);
        const got = actual(pattern, stream, seed % 4 === 0 ? 'lmdb' : 'heap', rng);
        expect(got, `seed ${seed}: ${description}`).toEqual(want);
        if (want[0].length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(15); // the random patterns do match, most of the time
    });
  }
});

describe('CEP against brute force, every key read back from keyed state whenever another key comes', () => {
  // One key held at a time: each key's buffer, runs and events go into keyed state (heap, or LMDB
  // through a 16-entry write-back cache) and come back from it, and keys move between having
  // nothing open (records fed to the start run alone) and open runs many times.
  const mutableLimits = limits as { cepHeldKeysMax: number };
  const heldKeysMax = limits.cepHeldKeysMax;
  beforeAll(() => void (mutableLimits.cepHeldKeysMax = 1));
  afterAll(() => void (mutableLimits.cepHeldKeysMax = heldKeysMax));

  for (let chunk = 0; chunk < 2; chunk++) {
    it(`seeds ${1000 + chunk * 50}–${1000 + chunk * 50 + 49}`, () => {
      let nonEmpty = 0;
      for (let seed = 1000 + chunk * 50; seed < 1000 + chunk * 50 + 50; seed++) {
        const rng = seededRandom(seed + 1);
        const { pattern, description } = randomPattern(rng);
        const stream = randomStream(rng, ['k1', 'k2', 'k3'], 9 + Math.floor(rng() * 5));
        const want = expected(pattern, stream);
        const got = actual(pattern, stream, seed % 2 === 0 ? 'lmdb' : 'heap', rng, true);
        expect(got, `seed ${seed}: ${description}`).toEqual(want);
        if (want[0].length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(15);
    });
  }
});

describe('CEP against brute force, records that start nothing fed a few milliseconds late to keys with nothing open', () => {
  // limits.cepQuietKeyDelayMs is 5 s, longer than these streams: such records are then all fed
  // at the end. Here it is as short as the gaps between events, so keys go quiet and open runs
  // again while such records wait, and the watermark passes some of them before they are fed.
  const mutableLimits = limits as { cepQuietKeyDelayMs: number };
  const quietDelayMs = limits.cepQuietKeyDelayMs;
  afterAll(() => void (mutableLimits.cepQuietKeyDelayMs = quietDelayMs));

  for (let chunk = 0; chunk < 2; chunk++) {
    it(`seeds ${2000 + chunk * 50}–${2000 + chunk * 50 + 49}`, () => {
      let nonEmpty = 0;
      for (let seed = 2000 + chunk * 50; seed < 2000 + chunk * 50 + 50; seed++) {
        mutableLimits.cepQuietKeyDelayMs = seed % 6; // 0: fed at their time
        const rng = seededRandom(seed + 1);
        const { pattern, description } = randomPattern(rng);
        const stream = randomStream(rng, ['k1', 'k2', 'k3'], 9 + Math.floor(rng() * 5));
        const want = expected(pattern, stream);
        const got = actual(pattern, stream, seed % 4 === 0 ? 'lmdb' : 'heap', rng, seed % 3 === 0);
        expect(got, `seed ${seed} (delay ${seed % 6} ms): ${description}`).toEqual(want);
        if (want[0].length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(15);
    });
  }
});
