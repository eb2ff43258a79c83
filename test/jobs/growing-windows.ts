// One busy key in one hour-long tumbling window, its records gathered whole: by an aggregate whose
// accumulator is an array of every record (param gather=aggregate; preAggregate=off turns the
// window's pre-aggregation off), by distinct (gather=distinct) or by a full-window function
// (gather=process). Each window emits how many records it holds.
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, type GeneratedEvent } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

export default defineJob((env) => {
  const count = env.numberParam('count', 10_000);
  const pad = 'x'.repeat(env.numberParam('padBytes', 100));
  const windowed = env
    .source(generator({ partitions: 2, count, keys: 1, seed: 9, eventTimeStartMs: 1_700_000_000_000, eventTimeStepMs: 1 }), {
      name: 'events',
      watermarks: WatermarkStrategy.monotonousTimestamps<GeneratedEvent>().withTimestampAssigner((e) => e.ts),
    })
    .map((e) => ({ key: e.key, seq: e.seq, pad }), { name: 'padded' })
    .keyBy((r) => r.key, { name: 'by-key' })
    .window(TumblingEventTimeWindows.of(3_600_000));
  const gather = env.params.gather ?? 'aggregate';
  const sizes =
    gather === 'distinct'
      ? windowed.distinct((r) => r.seq, { name: 'gathered' }).map(() => 1, { name: 'one' })
      : gather === 'process'
        ? windowed.process<number>((_key, _window, records, out) => out.collect(records.length), { name: 'gathered' })
        : (env.params.preAggregate === 'off' ? windowed.preAggregate(false) : windowed).aggregate(
            {
              createAccumulator: () => [] as unknown[],
              add: (r, acc) => [...acc, r],
              merge: (a, b) => [...a, ...b],
              getResult: (acc) => acc.length,
            },
            undefined,
            { name: 'gathered' },
          );
  sizes.sinkTo(collect<number>('sizes'));
}, { name: 'growing-windows' });
