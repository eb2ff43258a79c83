// Records that leave a keyed operator only from processing-time timers, then cross a second keyBy
// to an exactly-once file sink: generated events → keyBy(key) → each key buffers its records and
// emits them from a timer 2 ms later (and from an event-time timer at +∞ when the input ends: a
// pending processing-time timer does not fire then) → keyBy(line) → a map that fails once at seq
// failAt (markers dir) → transactionalFileSink in `out`. Run with checkpoints and restarts: every
// record once.
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { generator, transactionalFileSink, type GeneratedEvent } from '../../src/connectors/index.ts';
import { failsFirstTime } from './fails-first-time.ts';

export const generated = (count: number) => ({ partitions: 2, count, keys: 100, seed: 5, ratePerSec: 10_000 });

export default defineJob((env) => {
  const failAt = env.numberParam('failAt', -1);
  env
    .source(generator(generated(env.numberParam('count', 4_000))), { name: 'events', watermarks: WatermarkStrategy.monotonousTimestamps<GeneratedEvent>().withTimestampAssigner((e) => e.ts) })
    .keyBy((e) => e.key, { name: 'by-key' })
    .process<string>(
      {
        processElement(e, ctx) {
          const buffered = ctx.listState<string>('buffered');
          if (buffered.get().length === 0) ctx.timerService.registerProcessingTimeTimer(ctx.timerService.currentProcessingTime() + 2);
          ctx.timerService.registerEventTimeTimer(Number.POSITIVE_INFINITY); // the end of the input empties the buffer
          buffered.add(`${e.key} ${e.seq} ${e.value}`);
        },
        onTimer(_t, ctx) {
          const buffered = ctx.listState<string>('buffered');
          for (const line of buffered.get()) ctx.emit(line);
          buffered.clear();
        },
      },
      { name: 'buffer-until-timer' },
    )
    .keyBy((line) => line, { name: 'by-line' })
    .process<string>((line, ctx) => {
      if (Number(line.split(' ')[1]) === failAt && failsFirstTime(join(env.params.markers, 'fault'))) throw new Error(`injected failure at seq ${failAt}`);
      ctx.emit(line);
    }, { name: 'inject' })
    .sinkTo(transactionalFileSink<string>({ dir: env.params.out, format: (s) => s }));
});
