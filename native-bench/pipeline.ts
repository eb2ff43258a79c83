// End-to-end throughput of the stateless pipeline (examples/stateless.ts) on 1 and 2 workers.
// Run: npm run bench:pipeline  (node bin/run-ts.mjs native-bench/pipeline.ts [records] [runs])
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/runtime/index.ts';

export interface PipelineFigures {
  workers: number;
  records: number;
  seconds: number;
  eventsPerSec: number;
  eventsPerSecPerCore: number;
}

const job = new URL('../examples/stateless.ts', import.meta.url);

export async function pipelineBench(opts: { records: number; workers: number[] }): Promise<PipelineFigures[]> {
  const figures: PipelineFigures[] = [];
  for (const workers of opts.workers) {
    const handle = await run(job, { parallelism: workers, params: { count: String(opts.records), partitions: String(workers) } });
    const result = await handle.done;
    const source = result.metrics.operators.find((o) => o.kind === 'source')!;
    const sink = result.metrics.operators.find((o) => o.kind === 'sink')!;
    if (source.recordsOut !== opts.records) throw new Error(`expected ${opts.records} records, the source emitted ${source.recordsOut}`);
    const filter = result.metrics.operators.find((o) => o.kind === 'filter')!;
    const discarded = (result.results.discard as number[]).reduce((a, b) => a + b, 0);
    // Every record the filter kept crossed the exchange and reached the sink: the figure is real work.
    if (sink.recordsIn !== filter.recordsOut || discarded !== filter.recordsOut || filter.recordsOut < opts.records * 0.8) {
      throw new Error(`records lost: filter kept ${filter.recordsOut}, sink saw ${sink.recordsIn}, discard counted ${discarded}`);
    }
    const seconds = result.durationMs / 1000;
    const eventsPerSec = opts.records / seconds;
    figures.push({ workers, records: opts.records, seconds, eventsPerSec, eventsPerSecPerCore: eventsPerSec / workers });
  }
  return figures;
}

export function formatPipelineFigures(figures: PipelineFigures[]): string {
  const lines = ['| workers | records | seconds | events/s | events/s per core |', '|---:|---:|---:|---:|---:|'];
  for (const f of figures) {
    lines.push(`| ${f.workers} | ${f.records.toLocaleString('en')} | ${f.seconds.toFixed(2)} | ${Math.round(f.eventsPerSec).toLocaleString('en')} | ${Math.round(f.eventsPerSecPerCore).toLocaleString('en')} |`);
  }
  return lines.join('\n');
}

/** Median (by events/s) of `runs` runs for each worker count. */
export async function pipelineBenchMedian(opts: { records: number; workers: number[]; runs: number }): Promise<PipelineFigures[]> {
  const medians: PipelineFigures[] = [];
  for (const workers of opts.workers) {
    const runs: PipelineFigures[] = [];
    for (let i = 0; i < opts.runs; i++) runs.push(...(await pipelineBench({ records: opts.records, workers: [workers] })));
    runs.sort((a, b) => a.eventsPerSec - b.eventsPerSec);
    medians.push(runs[Math.floor(runs.length / 2)]);
  }
  return medians;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? 10_000_000);
  const runs = Number(process.argv[3] ?? 3);
  console.log(formatPipelineFigures(await pipelineBenchMedian({ records, workers: [1, 2], runs })));
}
