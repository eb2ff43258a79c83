// Job definitions windowAll, topK and topN refuse, each with WEIR_JOB_DEFINITION and a message
// that says what to do instead (job modules written to a temp dir and given to run()).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import { tempDirsPerTest } from '../helpers.ts';

const weir = new URL('../../src/index.ts', import.meta.url).href;

const cases: Array<[string, string, RegExp]> = [
  ['windowAll of processing-time windows', 'events.windowAll(TumblingProcessingTimeWindows.of(1000)).aggregate(count)', /need event-time windows/],
  ['windowAll of session windows', 'events.windowAll(EventTimeSessionWindows.withGap(1000)).aggregate(count)', /merging \(session\) windows/],
  ['windowAll aggregate without merge', 'events.windowAll(TumblingEventTimeWindows.of(1000)).aggregate({ ...count, merge: undefined })', /needs merge/],
  ['keyed topK with allowed lateness', 'events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).allowedLateness(500).topK(3, count)', /does not take allowedLateness/],
  ['keyed topK with a replaced trigger', 'events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).trigger(CountTrigger.of(5)).topK(3, count)', /keeps the assigner's own trigger/],
  ['topN of 0', 'events.keyBy((e) => e.key).topN(0, (e) => e.value)', /k must be an integer ≥ 1/],
];

describe('windowAll, topK and topN definitions', () => {
  const dir = tempDirsPerTest();
  for (const [what, body, message] of cases) {
    it(`${what} is refused`, async () => {
      const file = join(dir(), 'job.ts');
      writeFileSync(
        file,
        `import { defineJob, generator, collect, WatermarkStrategy, TumblingEventTimeWindows, TumblingProcessingTimeWindows, EventTimeSessionWindows, CountTrigger } from '${weir}';
const count = { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };
export default defineJob((env) => {
  const events = env.source(generator({ partitions: 1, count: 10 }), { watermarks: WatermarkStrategy.monotonousTimestamps() });
  ${body}.sinkTo(collect('out'));
});
`,
      );
      await expect(run(file, { workDir: dir() })).rejects.toMatchObject({ code: 'WEIR_JOB_DEFINITION', message: expect.stringMatching(message) });
    });
  }
});
