// End-to-end throughput of the stateless pipeline (examples/stateless.ts) on 1 and 2 workers.
// Run: npm run bench -- pipeline   (or node bin/run-ts.mjs native-bench/pipeline.ts [records])
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
    if (sink.recordsIn <= 0) throw new Error('nothing reached the sink');
    const seconds = result.durationMs / 1000;
    const eventsPerSec = opts.records / seconds;
    figures.push({ workers, records: opts.records, seconds, eventsPerSec, eventsPerSecPerCore: eventsPerSec / workers });
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const records = Number(process.argv[2] ?? 4_000_000);
  const figures = await pipelineBench({ records, workers: [1, 2] });
  console.log('| workers | records | seconds | events/s | events/s per core |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const f of figures) {
    console.log(`| ${f.workers} | ${f.records} | ${f.seconds.toFixed(2)} | ${Math.round(f.eventsPerSec).toLocaleString('en')} | ${Math.round(f.eventsPerSecPerCore).toLocaleString('en')} |`);
  }
}
