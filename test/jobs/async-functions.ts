// User functions that are async or return a Promise; `what` picks which. Each must fail the job
// with WEIR_ASYNC_FUNCTION naming the operator (an `async function` already when the job is defined).
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import type { AggregateFunction } from '../../src/functions/contracts.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

type E = GeneratedEvent;
const later = <T>(v: T): Promise<T> => Promise.resolve(v);

const counting: AggregateFunction<E, number, number> = {
  createAccumulator: () => 0,
  add: (_v, acc) => later(acc + 1) as unknown as number,
  getResult: (acc) => acc,
};

export default defineJob((env) => {
  const what = env.params.what;
  const events = env.source(generator({ partitions: 2, count: 200, keys: 10, seed: 1, eventTimeStartMs: 1_700_000_000_000, eventTimeStepMs: 10 }), {
    name: 'events',
    watermarks: WatermarkStrategy.monotonousTimestamps<E>().withTimestampAssigner((e) => e.ts),
  });
  const out = collect('out');
  switch (what) {
    case 'map-async':
      events.map(async (e) => e, { name: 'enrich' }).sinkTo(out);
      break;
    case 'map-promise':
      events.map((e) => later(e), { name: 'enrich' }).sinkTo(out);
      break;
    case 'filter-promise':
      events.filter((e) => later(e.key > 3) as unknown as boolean, { name: 'keep' }).sinkTo(out);
      break;
    case 'flatMap-promise':
      events.flatMap((e, o) => later(o.collect(e)) as unknown as void, { name: 'split' }).sinkTo(out);
      break;
    case 'key-promise':
      events.keyBy((e) => later(e.key), { name: 'by-key' }).process((e, ctx) => ctx.emit(e), { name: 'pass' }).sinkTo(out);
      break;
    case 'combine-async':
      events.keyBy((e) => e.key, { name: 'by-key', combine: (async (a: E) => a) as unknown as (a: E, b: E) => E }).process((e, ctx) => ctx.emit(e), { name: 'pass' }).sinkTo(out);
      break;
    case 'combine-promise':
      events.keyBy((e) => e.key, { name: 'by-key', combine: (a, b) => later({ ...b, value: a.value + b.value }) as unknown as E }).process((e, ctx) => ctx.emit(e), { name: 'pass' }).sinkTo(out);
      break;
    case 'process-async':
      events
        .keyBy((e) => e.key, { name: 'by-key' })
        .process<E>(async (e, ctx) => {
          await later(0);
          ctx.emit(e);
        }, { name: 'lookup' })
        .sinkTo(out);
      break;
    case 'process-promise':
      events
        .keyBy((e) => e.key, { name: 'by-key' })
        .process<E>((e, ctx) => later(0).then(() => ctx.emit(e)) as unknown as void, { name: 'lookup' })
        .sinkTo(out);
      break;
    case 'on-timer-promise':
      events
        .keyBy((e) => e.key, { name: 'by-key' })
        .process<E>({
          processElement: (e, ctx) => ctx.timerService.registerEventTimeTimer(e.ts + 5),
          onTimer: (_t, ctx) => later(0).then(() => ctx.emit({ key: ctx.key as number, seq: 0, value: 0, ts: 0 })) as unknown as void,
        }, { name: 'timers' })
        .sinkTo(out);
      break;
    case 'reduce-promise':
      events.keyBy((e) => e.key, { name: 'by-key' }).reduce((a, b) => later({ ...b, value: a.value + b.value }) as unknown as E, { name: 'sum' }).sinkTo(out);
      break;
    case 'window-aggregate-promise':
      events.keyBy((e) => e.key, { name: 'by-key' }).window(TumblingEventTimeWindows.of(100)).aggregate(counting, undefined, { name: 'per-window' }).sinkTo(out);
      break;
    case 'window-process-promise':
      events
        .keyBy((e) => e.key, { name: 'by-key' })
        .window(TumblingEventTimeWindows.of(100))
        .process<number>((_k, _w, elements, o) => later(o.collect(elements.length)) as unknown as void, { name: 'per-window' })
        .sinkTo(out);
      break;
    default:
      throw new Error(`unknown case ${what}`);
  }
});
