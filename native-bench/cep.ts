// CEP throughput on one worker: the IoT rule "a temperature spike followed by a vibration rise
// within 30 s" (examples/iot/monitoring.ts) over the IoT generator's readings of 10 000 sensors,
// out of order within the watermark's bound, at unlimited rate, per state backend; beside it the
// same pipeline with a trivial keyed process function instead of CEP (what the rest costs).
// The figure is records / job duration (one worker = one core).
//
// Run: npm run bench:cep            (node bin/run-ts.mjs native-bench/cep.ts [records] [sensors] [kinds] [backends])
//      e.g. native-bench/cep.ts 1000000 10000 cep,keyed-baseline lmdb
//
// Beside events/s per core (wall clock), the CPU seconds of the whole process during the job (all
// threads, start-up of the job's workers included): on a machine shared with other work they
// move much less than the wall clock does.
//
// This module is also the job the benchmark runs: every worker imports it and builds the graph
// from the default export; only the main thread of `node … cep.ts` runs the benchmark below.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { defineJob, WatermarkStrategy, type StateBackendKind } from '../src/api/index.ts';
import { CEP } from '../src/cep/index.ts';
import { run } from '../src/runtime/index.ts';
import { spikeThenVibration } from '../examples/iot/monitoring.ts';
import { sensorSource, watermarkBoundMs, type SensorReading } from '../examples/iot/readings.ts';
import { discard } from './discard.ts';

export type CepBenchKind = 'cep' | 'keyed-baseline';

export interface CepFigures {
  kind: CepBenchKind;
  stateBackend: StateBackendKind;
  records: number;
  sensors: number;
  matches: number;
  seconds: number;
  eventsPerSecPerCore: number;
  cpuSeconds: number;
}

export default defineJob((env) => {
  const bySensor = env
    .source(sensorSource({ partitions: 1, sensors: env.numberParam('sensors', 10_000), count: env.numberParam('count', 1_000_000), ratePerSec: 0, seed: 2026 }), {
      name: 'readings',
      watermarks: WatermarkStrategy.boundedOutOfOrderness<SensorReading>(watermarkBoundMs).withTimestampAssigner((r) => r.ts),
    })
    .keyBy((r) => r.sensor, { name: 'by-sensor' });
  if (env.params.kind === 'keyed-baseline') {
    bySensor
      .process<number>((r, ctx) => {
        if (r.temperature >= 45) ctx.emit(r.ts);
      }, { name: 'spikes' })
      .sinkTo(discard);
  } else {
    CEP.pattern(bySensor, spikeThenVibration())
      .select((m) => m.spike[0].ts, { name: 'spike-then-vibration' })
      .sinkTo(discard);
  }
});

const job = new URL(import.meta.url);

export async function cepBench(opts: { records: number; sensors: number; kinds?: CepBenchKind[]; backends?: StateBackendKind[] }): Promise<CepFigures[]> {
  const figures: CepFigures[] = [];
  for (const kind of opts.kinds ?? (['cep', 'keyed-baseline'] as const)) {
    for (const stateBackend of opts.backends ?? (['lmdb', 'heap'] as const)) {
      const cpuBefore = process.cpuUsage();
      const result = await (await run(job, { parallelism: 1, stateBackend, params: { count: String(opts.records), sensors: String(opts.sensors), kind } })).done;
      const source = result.metrics.operators.find((o) => o.kind === 'source')!;
      if (source.recordsOut !== opts.records) throw new Error(`expected ${opts.records} records, the source emitted ${source.recordsOut}`);
      const matches = (result.results.results as number[]).reduce((a, b) => a + b, 0);
      if (!(matches > 0)) throw new Error(`${kind} on ${stateBackend}: nothing matched`);
      const seconds = result.durationMs / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      figures.push({ kind, stateBackend, records: opts.records, sensors: opts.sensors, matches, seconds, eventsPerSecPerCore: opts.records / seconds, cpuSeconds });
    }
  }
  return figures;
}

export function formatCepFigures(figures: CepFigures[]): string {
  const lines = ['| job | state | records | sensors | outputs | seconds | events/s per core | CPU seconds |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const f of figures) {
    lines.push(`| ${f.kind} | ${f.stateBackend} | ${f.records.toLocaleString('en')} | ${f.sensors.toLocaleString('en')} | ${f.matches.toLocaleString('en')} | ${f.seconds.toFixed(2)} | ${Math.round(f.eventsPerSecPerCore).toLocaleString('en')} | ${f.cpuSeconds.toFixed(2)} |`);
  }
  return lines.join('\n');
}

// No top-level await: run() imports this module again as the job, which must not wait for itself.
if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? 2_000_000);
  const sensors = Number(process.argv[3] ?? 10_000);
  const kinds = process.argv[4]?.split(',') as CepBenchKind[] | undefined;
  const backends = process.argv[5]?.split(',') as StateBackendKind[] | undefined;
  cepBench({ records, sensors, kinds, backends }).then(
    (figures) => console.log(formatCepFigures(figures)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
