// Allowed lateness and late data through windowAll, made deterministic as in window-lateness.ts
// (one source partition whose records come in phases separated by a pause; monotonous
// watermarks). Tumbling 1 s, allowed lateness 1 s, records of keys 'a' and 'b' in the same
// non-keyed windows:
//   phase 1  ts 1000, 1500, 2500 (each key) → [1000, 2000) fires with 4 records
//   phase 2  ts 1200 (each key, late, allowed) → [1000, 2000) fires again, with 5, then 6
//   phase 3  ts 5000 → [2000, 3000) fires (2); [1000, 2000) is cleaned up
//   phase 4  ts 1300, 2600 (too late) → side output 'too-late' (4 records)
//   end      → [5000, 6000) fires (2)
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { collect } from '../../src/connectors/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';
import { phasedSource, phases, type Reading } from './window-lateness.ts';

const ids = {
  createAccumulator: (): string[] => [],
  add: (r: Reading, acc: string[]) => [...acc, r.id],
  getResult: (acc: string[]) => [...acc].sort(),
  merge: (a: string[], b: string[]) => [...a, ...b],
};

export default defineJob((env) => {
  const fired = env
    .source(phasedSource(phases, env.numberParam('pauseMs', 150), (r) => r.ts), { name: 'readings', watermarks: WatermarkStrategy.monotonousTimestamps<Reading>() })
    .windowAll(TumblingEventTimeWindows.of(1_000))
    .allowedLateness(1_000)
    .sideOutputLateData('too-late')
    .aggregate(ids, (window, [all], out) => out.collect({ start: window.start, ids: all }), { name: 'all-ids' });
  fired.sinkTo(collect('fired'));
  fired.sideOutput<Reading>('too-late').sinkTo(collect('late'));
});
