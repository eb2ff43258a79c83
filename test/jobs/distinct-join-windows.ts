// distinct per key and window, and the window handed to coGroup and join functions, on real
// worker threads: generated events whose watermark bound equals their disorder (nothing is late).
// test/time/distinct-join-windows.test.ts checks the results against brute force.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { coGroup, join } from '../../src/api/joins.ts';
import { collect, generator, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

export const windowMs = 1_000;
export const buckets = 3;
const common = { keys: 20, eventTimeStartMs: 1_700_000_000_000, outOfOrderFraction: 0.2, outOfOrderMaxMs: 150 };
export const leftOptions = (count: number): GeneratorOptions => ({ ...common, partitions: 2, count, seed: 51, eventTimeStepMs: 10 });
export const rightOptions = (count: number): GeneratorOptions => ({ ...common, partitions: 1, count, seed: 52, eventTimeStepMs: 7 });

export interface Bucketed {
  key: number;
  ts: number;
  bucket: number;
}

export const bucketOf = (e: GeneratedEvent) => Math.floor(e.value) % buckets;

export default defineJob((env) => {
  const count = env.numberParam('count', 6_000);
  const side = (name: string, opts: GeneratorOptions) =>
    env
      .source(generator(opts), { name, watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(150).withTimestampAssigner((e) => e.ts) })
      .map((e): Bucketed => ({ key: e.key, ts: e.ts, bucket: bucketOf(e) }), { name: `${name}-project` });
  const left = side('L', leftOptions(count));
  const right = side('R', rightOptions(count));

  // By a selector: one record per (key, window, bucket), whichever arrived first.
  left.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(windowMs)).distinct((e) => e.bucket, { name: 'distinct-by-bucket' }).sinkTo(collect('distinct-by'));
  // By the whole record, here with its window in it.
  left
    .map((e) => ({ key: e.key, window: Math.floor(e.ts / windowMs), bucket: e.bucket }), { name: 'to-window-bucket' })
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(windowMs))
    .distinct(undefined, { name: 'distinct-records' })
    .sinkTo(collect('distinct'));

  coGroup(left, right)
    .where((l) => l.key)
    .equalTo((r) => r.key)
    .window(TumblingEventTimeWindows.of(windowMs))
    .apply<string>((ls, rs, out, window) => out.collect(`${(ls[0] ?? rs[0]).key}/${window.start}/${window.end}/${ls.length}/${rs.length}`))
    .sinkTo(collect('cogroup'));

  join(left, right)
    .where((l) => l.key)
    .equalTo((r) => r.key)
    .window(TumblingEventTimeWindows.of(windowMs))
    .apply((l, r, window) => `${l.key}/${l.ts}/${r.ts}/${window.start}/${window.end}`)
    .sinkTo(collect('join'));
});
