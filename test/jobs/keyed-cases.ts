// Small keyed jobs for the runtime's edge cases, chosen by `--param case=…`:
//   processing-time  each key registers a processing-time timer 30 ms ahead once; onTimer emits it
//   timer-throws     onTimer throws for key 3
//   unread-tag       records go to a side output that nobody reads (→ dead letters)
//   union            two sources with watermarks, unioned: an operator's watermark is their minimum
//   same-name        an operator and the collect sink after it share the name 'counted'
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';

export default defineJob((env) => {
  const which = env.params.case;
  env.deadLetterTo(collect('dead'));
  const watermarks = WatermarkStrategy.monotonousTimestamps<GeneratedEvent>().withTimestampAssigner((e) => e.ts);
  const events = env.source(generator({ partitions: 2, count: 2_000, keys: 10, seed: 3, eventTimeStepMs: 1 }), { name: 'events', watermarks });
  const keyed = (which === 'union'
    ? events.union(env.source(generator({ partitions: 1, count: 500, keys: 10, seed: 4, eventTimeStepMs: 4 }), { name: 'others', watermarks }))
    : events
  ).keyBy((e) => e.key);

  if (which === 'processing-time') {
    keyed
      .process<{ key: number; firedLateMs: number }>({
        processElement(_e, ctx) {
          const armed = ctx.valueState<number>('armed');
          if (armed.value() !== undefined) return;
          const due = ctx.timerService.currentProcessingTime() + 30;
          armed.update(due);
          ctx.timerService.registerProcessingTimeTimer(due);
        },
        onTimer(t, ctx) {
          ctx.emit({ key: ctx.key as number, firedLateMs: ctx.timerService.currentProcessingTime() - t });
        },
      })
      .sinkTo(collect('fired'));
    // Keep the job alive long enough for the timers: a slow third source.
    env.source(generator({ partitions: 1, count: 20, ratePerSec: 100, seed: 1 }), { name: 'clock' }).sinkTo(collect('ticks'));
  } else if (which === 'timer-throws') {
    keyed
      .process({
        processElement(e, ctx) {
          ctx.timerService.registerEventTimeTimer(e.ts);
        },
        onTimer(_t, ctx) {
          if (ctx.key === 3) throw new Error('boom in onTimer');
        },
      }, { name: 'throws-on-timer' })
      .sinkTo(collect('out'));
  } else if (which === 'unread-tag') {
    keyed
      .process((e, ctx) => {
        if (e.seq < 5) ctx.output('nobody-reads-this', { seq: e.seq });
      }, { name: 'tagger' })
      .sinkTo(collect('out'));
  } else if (which === 'same-name') {
    keyed.process((e, ctx) => ctx.emit(e.seq), { name: 'counted' }).sinkTo(collect('counted'));
  } else if (which === 'union') {
    keyed
      .process<{ watermarkMs: number; timestampMs: number }>({
        processElement(e, ctx) {
          ctx.emit({ watermarkMs: ctx.timerService.currentWatermark(), timestampMs: ctx.timestampMs });
        },
      })
      .sinkTo(collect('seen'));
  }
});
