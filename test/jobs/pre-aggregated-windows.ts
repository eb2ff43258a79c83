// Window aggregates whose keyBy pre-aggregates (each worker folds a key's records per pane before
// the exchange): a tumbling aggregate with its late records, and a sliding reduce, each behind its
// own keyBy, over skewed keys. test/time/pre-aggregation.test.ts checks them against brute force
// and against the same job with pre-aggregation off.
// Parameters: count; preAggregate (default true); watermarkMs (bound of the watermarks, default
// 300 = the generator's disorder: nothing late); rate (records/s, default unlimited); failAt (a
// record seq the map fails on once, markers dir) and out (a directory: exactly-once file sinks
// instead of collect); badValue (the tumbling aggregate throws on a record with this value).
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../src/time/index.ts';
import type { AggregateFunction, Collector } from '../../src/functions/contracts.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import type { Timed, WindowResult } from '../time/brute-force.ts';
import { failsFirstTime } from './fails-first-time.ts';

export const sourceOptions = (count: number, ratePerSec = 0): GeneratorOptions => ({
  partitions: 2,
  count,
  ratePerSec,
  keys: 40,
  keySkew: 1.1,
  seed: 33,
  eventTimeStartMs: 1_700_000_000_000,
  eventTimeStepMs: 2,
  outOfOrderFraction: 0.2,
  outOfOrderMaxMs: 300,
});
export const tumblingMs = 1_000;
export const sliding = { sizeMs: 2_000, slideMs: 500 };

export interface TimedSeq extends Timed {
  seq: number;
}

/** A sliding window's record with the highest value (the lowest seq among equals). */
export interface SlidingMax {
  key: number;
  start: number;
  max: number;
  seq: number;
}

type Stats = { count: number; max: number; sum: number };

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const preAggregate = env.params.preAggregate !== 'false';
  const failAt = env.numberParam('failAt', -1);
  const badValue = env.numberParam('badValue', Number.NaN);
  const sink = <T>(name: string): SinkSpec<T> => (env.params.out ? transactionalFileSink<T>({ dir: join(env.params.out, name) }) : collect<T>(name));
  if (!env.params.out) env.deadLetterTo(collect('dlq'));

  const stats: AggregateFunction<TimedSeq, Stats, Stats> = {
    createAccumulator: () => ({ count: 0, max: -Infinity, sum: 0 }),
    add: (v, acc) => {
      if (v.value === badValue) throw new RangeError(`bad value ${v.value}`);
      return { count: acc.count + 1, max: Math.max(acc.max, v.value), sum: acc.sum + v.value };
    },
    getResult: (acc) => acc,
    merge: (a, b) => ({ count: a.count + b.count, max: Math.max(a.max, b.max), sum: a.sum + b.sum }),
  };

  const events = env
    .source(generator(sourceOptions(count, env.numberParam('rate', 0))), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(env.numberParam('watermarkMs', 300)).withTimestampAssigner((e) => e.ts),
    })
    .map(
      (e): TimedSeq => {
        if (e.seq === failAt && failsFirstTime(join(env.params.markers!, 'fault'))) throw new Error(`injected failure at seq ${failAt}`);
        return { key: e.key, ts: e.ts, value: Math.floor(e.value), seq: e.seq };
      },
      { name: 'project' },
    );

  const tumbling = events
    .keyBy((e) => e.key, { name: 'tumbling-by-key' })
    .window(TumblingEventTimeWindows.of(tumblingMs))
    .preAggregate(preAggregate)
    .aggregate(stats, (key, window, [s], out) => out.collect({ key, start: window.start, end: window.end, count: s.count, max: s.max, sum: s.sum }), { name: 'tumbling-window' });
  tumbling.sinkTo(sink<WindowResult>('tumbling'));
  tumbling.sideOutput<TimedSeq>('late-records').sinkTo(sink<TimedSeq>('late'));

  events
    .keyBy((e) => e.key, { name: 'sliding-by-key' })
    .window(SlidingEventTimeWindows.of(sliding.sizeMs, sliding.slideMs))
    .preAggregate(preAggregate)
    .reduce(
      (a, b) => (a.value > b.value || (a.value === b.value && a.seq < b.seq) ? a : b),
      (key, window, [m], out: Collector<SlidingMax>) => out.collect({ key, start: window.start, max: m.value, seq: m.seq }),
      { name: 'sliding-max' },
    )
    .sinkTo(sink<SlidingMax>('sliding-max'));
});
