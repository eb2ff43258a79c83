// CEP on real worker threads: two patterns over deterministic readings, for the tests in
// test/cep/cep-jobs.test.ts, which compute the same matches by brute force.
//
// Readings: record i of partition p is a pure function of (p, i) (`reading`). Every key lives in
// one partition, so a key's arrival order is its partition's order whatever the threads do; a key's
// readings are ~10 ms apart and 30 % of them are moved up to 40 ms back, so they arrive out of
// order, but never behind the watermark (bounded out-of-orderness of 40 ms): nothing is late.
//
// Parameters: count (per partition), rate (records/s per partition, 0: as fast as possible),
// out (a directory for the exactly-once file sink; without it, collect('out')), failAt + markers
// (the job fails once, at that offset of partition 0, by throwing in a map).
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { AfterMatchSkipStrategy, CEP, Pattern, type Match } from '../../src/cep/index.ts';
import { collect, transactionalFileSink } from '../../src/connectors/index.ts';
import { END, type SourceSpec } from '../../src/connectors/types.ts';
import { lowbias32 } from '../../src/util/random.ts';
import { failsFirstTime } from './fails-first-time.ts';

export interface Reading {
  key: string;
  t: string;
  v: number;
  ts: number;
  p: number;
  i: number;
}

export const partitions = 2;
export const keysPerPartition = 4;
export const disorderMs = 40;
const startMs = 1_700_000_000_000;

export function reading(p: number, i: number): Reading {
  const h = lowbias32(p * 1_000_003 + i * 7 + 11);
  const moved = h % 10 < 3;
  const ts = startMs + i * 3 - (moved ? 1 + ((h >>> 8) % disorderMs) : 0);
  return { key: `p${p}k${i % keysPerPartition}`, t: 'abc'[(h >>> 4) % 3], v: (h >>> 16) % 10, ts, p, i };
}

/** Partition p emits reading(p, 0..count−1), `rate` per second (0: at once), resuming at a position. */
export function readingSource(count: number, rate: number): SourceSpec<Reading> {
  return {
    kind: 'cep-readings',
    partitions: () => partitions,
    open(p, ctx, from) {
      let next = typeof from === 'number' ? from : 0;
      const dueAt = (i: number) => ctx.startMs + (i * 1000) / rate;
      return {
        poll(max, out) {
          if (next >= count) return END;
          let n = 0;
          while (n < max && next < count && (rate <= 0 || dueAt(next) <= ctx.nowMs())) {
            const r = reading(p, next);
            out.emit(r, next, r.ts, rate > 0 ? dueAt(next) : ctx.nowMs());
            next++;
            n++;
          }
          return n;
        },
        idleMs: () => (rate > 0 && next < count ? Math.max(0, dueAt(next) - ctx.nowMs()) : undefined),
        position: () => next,
        close() {},
      };
    },
  };
}

/** a, then b one or more times, then c, within 150 ms; skip past the last event. */
export function loopPattern(): Pattern<Reading> {
  return Pattern.begin<Reading>('a', AfterMatchSkipStrategy.skipPastLastEvent())
    .where((r) => r.t === 'a')
    .followedBy('b')
    .where((r) => r.t === 'b')
    .oneOrMore()
    .followedBy('c')
    .where((r) => r.t === 'c')
    .within(150);
}

/** a directly followed by one or two b (or large values), then any later c at least as large as the a, within 120 ms. */
export function strictPattern(): Pattern<Reading> {
  return Pattern.begin<Reading>('x')
    .where((r) => r.t === 'a')
    .next('y')
    .where((r) => r.t === 'b')
    .or((r) => r.v > 6)
    .times(1, 2)
    .followedByAny('z')
    .where((r, ctx) => r.t === 'c' && r.v >= ctx.eventsFor('x')[0].v)
    .within(120);
}

/** "i:stage …" in match order (event time, then arrival = offset). */
export function describeMatch(m: Match<Reading>): string {
  const pairs: Array<[Reading, string]> = [];
  for (const [stage, rs] of Object.entries(m)) for (const r of rs) pairs.push([r, stage]);
  return pairs
    .sort((a, b) => a[0].ts - b[0].ts || a[0].i - b[0].i)
    .map(([r, s]) => `${r.i}:${s}`)
    .join(' ');
}

export default defineJob((env) => {
  const count = env.numberParam('count', 3_000);
  const failAt = env.numberParam('failAt', -1);
  const readings = env
    .source(readingSource(count, env.numberParam('rate', 0)), { name: 'readings', watermarks: WatermarkStrategy.boundedOutOfOrderness<Reading>(disorderMs).withTimestampAssigner((r) => r.ts) })
    .map((r) => {
      if (r.p === 0 && r.i === failAt && failsFirstTime(join(env.params.markers, 'failed'))) throw new Error(`injected failure at ${r.i}`);
      return r;
    }, { name: 'inject' });
  const byKey = readings.keyBy((r) => r.key, { name: 'by-key' });
  const loop = CEP.pattern(byKey, loopPattern()).select(
    'loop-timed-out',
    (partial, at) => `loop timeout ${partial.a[0].key} ${describeMatch(partial)} @${at}`,
    (m) => `loop match ${m.a[0].key} ${describeMatch(m)}`,
    { name: 'loop', uid: 'loop' },
  );
  const strict = CEP.pattern(byKey, strictPattern())
    .sideOutputLateData('strict-late')
    .process<string>(
      {
        processMatch: (m, ctx) => ctx.emit(`strict match ${ctx.key} ${describeMatch(m)}`),
        processTimedOutMatch: (m, ctx) => ctx.output('strict-timed-out', `strict timeout ${ctx.key} ${describeMatch(m)} @${ctx.timestampMs}`),
      },
      { name: 'strict', uid: 'strict' },
    );
  const late = loop.sideOutput<Reading>('late-records').union(strict.sideOutput<Reading>('strict-late')).map((r) => `late ${r.key} ${r.i}`);
  const all = loop.union(loop.sideOutput<string>('loop-timed-out'), strict, strict.sideOutput<string>('strict-timed-out'), late);
  all.sinkTo(env.params.out ? transactionalFileSink<string>({ dir: env.params.out, format: (s) => s }) : collect<string>('out'));
}, { name: 'cep-patterns' });
