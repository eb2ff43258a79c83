// A job to watch and query: generator events (param `rate`/s, default 2 000; unbounded unless
// `count`) with event time, one in `badEvery` (default 500) failing its map and going to the dead
// letters, keyed by key into a count with value and map state and into 1 s tumbling event-time
// windows; and keyed by value bucket (a number, 0…9) into a running total. Keys of the first are
// `k0`…`k19` (strings: a number is the wrong type for their state queries).
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';
import { generator, type GeneratedEvent } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';

const discard: SinkSpec<unknown> = { kind: 'discard', name: 'discard', open: () => ({ write() {}, flush() {}, close() {} }) };

interface Keyed {
  key: string;
  value: number;
  ts: number;
}

export default defineJob((env) => {
  const count = env.params.count === undefined ? undefined : env.numberParam('count', 0);
  const badEvery = env.numberParam('badEvery', 500);
  const events = env
    .source(generator({ partitions: 2, count, keys: 20, seed: 11, ratePerSec: env.numberParam('rate', 2_000) }), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(50).withTimestampAssigner((e) => e.ts),
    })
    .map(
      (e): Keyed => {
        if (badEvery > 0 && e.seq % badEvery === badEvery - 1) throw new Error(`bad event ${e.seq}`);
        return { key: `k${e.key}`, value: e.value, ts: e.ts };
      },
      { name: 'parse', onError: 'dead-letter' },
    );
  const byKey = events.keyBy((e) => e.key, { name: 'by-key' });
  byKey
    .process<{ key: string; n: number }>((e, ctx) => {
      const seen = ctx.valueState<number>('seen');
      const n = (seen.value() ?? 0) + 1;
      seen.update(n);
      // Counts per value bucket (0…9): map state to scan.
      const buckets = ctx.mapState<number, number>('buckets');
      const bucket = Math.floor(e.value / 100);
      buckets.put(bucket, (buckets.get(bucket) ?? 0) + 1);
      ctx.emit({ key: e.key, n });
    }, { name: 'count' })
    .sinkTo(discard);
  byKey
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate({ createAccumulator: () => 0, add: (_e: Keyed, acc: number) => acc + 1, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b }, undefined, { name: 'per-second' })
    .sinkTo({ ...discard, name: 'windows' });
  events
    .keyBy((e) => Math.floor(e.value / 100), { name: 'by-bucket' })
    .process<number>((e, ctx) => {
      const total = ctx.valueState<number>('total');
      total.update((total.value() ?? 0) + e.value);
    }, { name: 'bucket-totals' })
    .sinkTo({ ...discard, name: 'nothing' });
}, { name: 'observed' });
