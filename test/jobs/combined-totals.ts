// Running totals per key behind a keyBy with combine (runtime/worker/combiner.ts): each worker
// folds a key's records of a batch into one before the exchange. test/runtime/combine.test.ts
// checks the totals against brute force and against the same job without combine.
// Parameters: count; combine (default true); delayMs (combineDelayMs); keys ('generated', the
// default: 40 skewed keys; 'seq': key × 1 000 000 + seq, which nearly never repeats); rate (records/s, default
// unlimited); badValue (combine throws when the later record has this value); failAt (a record seq
// the map fails on once, markers dir) and out (a directory: exactly-once file sinks instead of
// collect).
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect, generator, transactionalFileSink, type GeneratedEvent } from '../../src/connectors/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { sourceOptions } from './pre-aggregated-windows.ts';
import { failsFirstTime } from './fails-first-time.ts';

/** Some records of one key: how many, the sum of their values, their newest timestamp. */
export interface Totals {
  key: number;
  n: number;
  sum: number;
  ts: number;
}

/** A record that reached the totals at or behind the watermark there. */
export interface Late {
  key: number;
  ts: number;
  watermarkMs: number;
}

/** A key per record, nearly: the same only for records of one key at one offset of both partitions. */
export const bySeq = (e: GeneratedEvent) => e.key * 1_000_000 + e.seq;

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const combine = env.params.combine !== 'false';
  const failAt = env.numberParam('failAt', -1);
  const badValue = env.numberParam('badValue', Number.NaN);
  const keyOf = env.params.keys === 'seq' ? bySeq : (e: GeneratedEvent) => e.key;
  const sink = <T>(name: string): SinkSpec<T> => (env.params.out ? transactionalFileSink<T>({ dir: join(env.params.out, name) }) : collect<T>(name));
  if (!env.params.out) env.deadLetterTo(collect('dlq'));

  const totals = env
    .source(generator(sourceOptions(count, env.numberParam('rate', 0))), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(300).withTimestampAssigner((e) => e.ts),
    })
    .map(
      (e): Totals => {
        if (e.seq === failAt && failsFirstTime(join(env.params.markers!, 'fault'))) throw new Error(`injected failure at seq ${failAt}`);
        return { key: keyOf(e), n: 1, sum: Math.floor(e.value), ts: e.ts };
      },
      { name: 'one' },
    )
    .keyBy((t) => t.key, {
      name: 'by-key',
      combine: combine
        ? (a, b) => {
            if (b.sum === badValue) throw new RangeError(`bad value ${b.sum}`);
            return { key: a.key, n: a.n + b.n, sum: a.sum + b.sum, ts: Math.max(a.ts, b.ts) };
          }
        : undefined,
      combineDelayMs: combine ? env.numberParam('delayMs', 100) : undefined,
    })
    .process<Totals>(
      (t, ctx) => {
        const watermarkMs = ctx.timerService.currentWatermark();
        if (ctx.timestampMs <= watermarkMs) ctx.output('late', { key: t.key, ts: ctx.timestampMs, watermarkMs });
        const state = ctx.valueState<Totals>('totals');
        const before = state.value() ?? { key: t.key, n: 0, sum: 0, ts: Number.NEGATIVE_INFINITY };
        const after = { key: t.key, n: before.n + t.n, sum: before.sum + t.sum, ts: Math.max(before.ts, ctx.timestampMs) };
        state.update(after);
        ctx.emit(after);
      },
      { name: 'totals' },
    );
  totals.sinkTo(sink<Totals>('totals'));
  totals.sideOutput<Late>('late').sinkTo(sink<Late>('late'));
});
