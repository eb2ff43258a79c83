// Allowed lateness and late data on real worker threads, made deterministic: one source partition
// (so the window operator's watermark is that partition's, not a minimum that depends on thread
// timing) whose records come in phases separated by a pause. The runtime recomputes and forwards
// the watermark while the source is paused, so every phase meets the watermark left by the phases
// before it, whatever the mode or the machine's speed.
//
// Watermarks: monotonous (watermark = largest timestamp − 1). Windows: tumbling 1 s, allowed
// lateness 1 s. Per key k ('a', 'b'):
//   phase 1  ts 1000, 1500, 2500      → watermark 2499: [1000, 2000) fires (count 2)
//   phase 2  ts 1200 (late, allowed)  → [1000, 2000) fires again at once (count 3)
//   phase 3  ts 5000                  → watermark 4999: [2000, 3000) fires; [1000, 2000) is cleaned up (2999)
//   phase 4  ts 1300, 2600 (too late) → side output; nothing fires
//   end                               → [5000, 6000) fires
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { END, type SourceSpec } from '../../src/connectors/types.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';

export interface Reading {
  key: string;
  ts: number;
  id: string;
}

const phase = (timestamps: number[], tag: string): Reading[] =>
  ['a', 'b'].flatMap((key) => timestamps.map((ts) => ({ key, ts, id: `${key}${ts}${tag}` })));

export const phases: Reading[][] = [phase([1000, 1500, 2500], ''), phase([1200], ''), phase([5000], ''), phase([1300, 2600], '')];

/** One partition; phase i+1 is available `pauseMs` after phase i was read. */
export function phasedSource<T>(batches: T[][], pauseMs: number, timestampOf: (value: T) => number): SourceSpec<T> {
  return {
    kind: 'phased',
    partitions: () => 1,
    open(_partition, ctx) {
      let next = 0;
      let offset = 0;
      let readyAtMs = 0;
      return {
        poll(_max, out) {
          if (next >= batches.length) return ctx.nowMs() >= readyAtMs ? END : 0;
          if (ctx.nowMs() < readyAtMs) return 0;
          const batch = batches[next++];
          for (const value of batch) out.emit(value, offset++, timestampOf(value), ctx.nowMs());
          readyAtMs = ctx.nowMs() + pauseMs;
          return batch.length;
        },
        idleMs: () => Math.max(0, readyAtMs - ctx.nowMs()),
        position: () => next,
        close() {},
      };
    },
  };
}

export default defineJob((env) => {
  const pauseMs = env.numberParam('pauseMs', 150);
  const windowed = env
    .source(phasedSource(phases, pauseMs, (r) => r.ts), {
      name: 'readings',
      watermarks: WatermarkStrategy.monotonousTimestamps<Reading>(),
    })
    .keyBy((r) => r.key, { name: 'by-key' })
    .window(TumblingEventTimeWindows.of(1_000))
    .allowedLateness(1_000);
  const tagged = env.params.tag === 'default' || env.params.tag === 'unread' ? windowed : windowed.sideOutputLateData('too-late');
  const counts = tagged.process<{ key: string; start: number; ids: string[] }>((key, window, elements, out) => out.collect({ key, start: window.start, ids: elements.map((e) => e.id).sort() }), {
    name: 'counts',
  });
  counts.sinkTo(collect('fired'));
  // tag=unread: nobody reads the default tag, so late records must reach the dead letters.
  if (env.params.tag === 'unread') env.deadLetterTo(collect('dead'));
  else counts.sideOutput<Reading>(env.params.tag === 'default' ? 'late-records' : 'too-late').sinkTo(collect('late'));
});
