// Triggers on real worker threads: global windows with a purging count trigger (batches of n
// records per key), and tumbling windows with a custom trigger that fires early every `every`
// records (per-window trigger state) and once more at the window's end (a trigger timer).
// No record is late: the watermark's bound equals the generator's disorder.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { CountTrigger, GlobalWindows, PurgingTrigger, TumblingEventTimeWindows, type Trigger, type Window } from '../../src/time/index.ts';

export const sourceOptions = (count: number): GeneratorOptions => ({
  partitions: 2,
  count,
  keys: 15,
  seed: 5,
  eventTimeStartMs: 1_700_000_000_000,
  eventTimeStepMs: 10,
  outOfOrderFraction: 0.1,
  outOfOrderMaxMs: 200,
});
export const batchSize = 7;
export const earlyEvery = 5;
export const windowMs = 1_000;

/** Fires every `every` records of a window, and at the window's end with everything. */
export function earlyFiringTrigger<T>(every: number): Trigger<T, Window> {
  return {
    onElement(_element, _ts, window, ctx) {
      ctx.registerEventTimeTimer(window.maxTimestamp());
      const seen = ctx.state<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      return n % every === 0 ? 'FIRE' : 'CONTINUE';
    },
    onEventTime: (timeMs, window) => (timeMs === window.maxTimestamp() ? 'FIRE' : 'CONTINUE'),
    clear(window, ctx) {
      ctx.deleteEventTimeTimer(window.maxTimestamp());
      ctx.state('seen').clear();
    },
  };
}

export default defineJob((env) => {
  const count = env.numberParam('count', 10_000);
  const keyed = env
    .source(generator(sourceOptions(count)), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(200).withTimestampAssigner((e) => e.ts),
    })
    .keyBy((e) => e.key, { name: 'by-key' });

  keyed.window(GlobalWindows.create<GeneratedEvent>())
    .trigger(PurgingTrigger.of(CountTrigger.of(batchSize)))
    .process<{ key: number; seqs: number[] }>((key, _window, elements, out) => out.collect({ key, seqs: elements.map((e) => e.seq) }), { name: 'count-batches' })
    .sinkTo(collect('batches'));

  keyed.window(TumblingEventTimeWindows.of(windowMs))
    .trigger(earlyFiringTrigger(earlyEvery))
    .aggregate(
      { createAccumulator: () => 0, add: (_e: GeneratedEvent, n: number) => n + 1, getResult: (n: number) => n },
      (key, window, [n], out) => out.collect({ key, start: window.start, count: n }),
      { name: 'early-firing' },
    )
    .sinkTo(collect('early'));
});
