// Two partitions: partition 0 has 2 000 records (event time 0 … 19 990 ms, 10 ms apart), then stays
// open and silent; partition 1 never has a record. Counts per key per 1 s event-time bucket fire
// from event-time timers. Without idleness the silent partition holds the watermark at −∞ and
// nothing fires until the job stops; with `--param idlenessMs=200` it stops holding it back.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { fileSink } from '../../src/connectors/index.ts';
import { listSource } from './list-source.ts';

interface Event {
  key: string;
  ts: number;
}

export const events: Event[] = Array.from({ length: 2_000 }, (_, i) => ({ key: `k${i % 3}`, ts: i * 10 }));

export default defineJob((env) => {
  const idlenessMs = env.numberParam('idlenessMs', 0);
  let strategy = WatermarkStrategy.boundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.ts);
  if (idlenessMs > 0) strategy = strategy.withIdleness(idlenessMs);
  env
    .source(listSource([events, []], { bounded: false }), { name: 'events', watermarks: strategy })
    .keyBy((e) => e.key)
    .process<{ key: string; bucket: number; count: number }>(
      {
        processElement(e, ctx) {
          const bucket = Math.floor(e.ts / 1000);
          const counts = ctx.mapState<number, number>('counts');
          counts.put(bucket, (counts.get(bucket) ?? 0) + 1);
          ctx.timerService.registerEventTimeTimer(bucket * 1000 + 999);
        },
        onTimer(t, ctx) {
          const bucket = Math.floor(t / 1000);
          ctx.emit({ key: ctx.key as string, bucket, count: ctx.mapState<number, number>('counts').get(bucket)! });
        },
      },
      { name: 'count-per-second' },
    )
    .sinkTo(fileSink({ path: 'buckets.jsonl', name: 'buckets' }));
});
