// Window throughput on one worker, with each state backend:
//   tumbling   count and max per key per 10 s event-time window (Nexmark q5/q7's shape)
//   session    count per key per session, gap 2 s (Nexmark q11's shape; nearly every record merges)
// Generator input at unlimited rate, out of order within the watermark's bound (no late records),
// keyed with a struct codec. The figure is records / job duration (one worker = one core).
//
// Run: npm run bench:windows            (node bin/run-ts.mjs native-bench/windows.ts [records])
//
// This module is also the job the benchmark runs: every worker imports it and builds the graph
// from the default export; only the main thread of `node … windows.ts` runs the benchmark below.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { defineJob, WatermarkStrategy, type StateBackendKind } from '../src/api/index.ts';
import { structCodec } from '../src/channel/codec.ts';
import { generator, generatorEventFields, type GeneratedEvent } from '../src/connectors/index.ts';
import { discard } from './discard.ts';
import { run } from '../src/runtime/index.ts';
import { EventTimeSessionWindows, TumblingEventTimeWindows } from '../src/time/index.ts';

export type WindowBenchKind = 'tumbling' | 'session';

export interface WindowFigures {
  kind: WindowBenchKind;
  stateBackend: StateBackendKind;
  records: number;
  results: number;
  seconds: number;
  eventsPerSecPerCore: number;
}


const eventCodec = structCodec(generatorEventFields);
const outOfOrderMaxMs = 500;

export default defineJob((env) => {
  const count = env.numberParam('count', 1_000_000);
  const keyed = env
    .source(generator({ partitions: 1, count, keys: env.numberParam('keys', 1_000), seed: 7, eventTimeStepMs: 1, outOfOrderFraction: 0.1, outOfOrderMaxMs }), {
      name: 'events',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<GeneratedEvent>(outOfOrderMaxMs).withTimestampAssigner((e) => e.ts),
    })
    .keyBy((e) => e.key, { codec: eventCodec as never, name: 'by-key' });
  if (env.params.kind === 'session') {
    keyed.window(EventTimeSessionWindows.withGap(2_000))
      .aggregate({ createAccumulator: () => 0, add: (_e: GeneratedEvent, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b }, undefined, { name: 'session-count' })
      .sinkTo(discard);
  } else {
    keyed.window(TumblingEventTimeWindows.of(10_000))
      .aggregate(
        {
          createAccumulator: () => [0, Number.NEGATIVE_INFINITY] as [number, number],
          add: (e: GeneratedEvent, acc: [number, number]) => {
            acc[0]++;
            if (e.value > acc[1]) acc[1] = e.value;
            return acc;
          },
          getResult: (acc: [number, number]) => ({ count: acc[0], max: acc[1] }),
        },
        undefined,
        { name: 'count-max' },
      )
      .sinkTo(discard);
  }
});

const job = new URL(import.meta.url);

export async function windowBench(opts: { records: number; kinds?: WindowBenchKind[]; backends?: StateBackendKind[] }): Promise<WindowFigures[]> {
  const figures: WindowFigures[] = [];
  for (const kind of opts.kinds ?? (['tumbling', 'session'] as const)) {
    for (const stateBackend of opts.backends ?? (['lmdb', 'heap'] as const)) {
      const result = await (await run(job, { parallelism: 1, stateBackend, params: { count: String(opts.records), kind } })).done;
      const source = result.metrics.operators.find((o) => o.kind === 'source')!;
      if (source.recordsOut !== opts.records) throw new Error(`expected ${opts.records} records, the source emitted ${source.recordsOut}`);
      const results = (result.results.results as number[]).reduce((a, b) => a + b, 0);
      if (!(results > 0)) throw new Error(`${kind} on ${stateBackend}: no window fired`);
      const seconds = result.durationMs / 1000;
      figures.push({ kind, stateBackend, records: opts.records, results, seconds, eventsPerSecPerCore: opts.records / seconds });
    }
  }
  return figures;
}

export function formatWindowFigures(figures: WindowFigures[]): string {
  const lines = ['| window | state | records | results | seconds | events/s per core | lmdb / heap |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const f of figures) {
    const heap = figures.find((g) => g.kind === f.kind && g.stateBackend === 'heap');
    const ratio = f.stateBackend === 'lmdb' && heap ? (f.eventsPerSecPerCore / heap.eventsPerSecPerCore).toFixed(2) : '';
    lines.push(
      `| ${f.kind} | ${f.stateBackend} | ${f.records.toLocaleString('en')} | ${f.results.toLocaleString('en')} | ${f.seconds.toFixed(2)} | ${Math.round(f.eventsPerSecPerCore).toLocaleString('en')} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

// No top-level await: run() imports this module again as the job, which must not wait for itself.
if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? 2_000_000);
  windowBench({ records }).then(
    (figures) => console.log(formatWindowFigures(figures)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
