import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WeirError } from '../errors.ts';
import { runBench } from '../harness/bench.ts';
import type { BenchMode } from '../harness/report-types.ts';
import { reportToMarkdown } from '../harness/report-markdown.ts';
import { writeReport } from '../harness/report-io.ts';
import { numberList, optionalNumber, parseParams } from './args.ts';
import { progressBar } from './progress.ts';

export const benchUsage = `weir bench <job.ts> [options]          run a job in both modes over a sweep of offered loads

  --modes continuous,micro-batch         modes to run (default both)
  --rates 20k,100k                       offered loads, events/s (default 20k,100k)
  --warmup S                             seconds not measured at the start of each run (default 1)
  --duration S                           measured seconds per run (default 4)
  --parallelism N                        worker threads (default: the job's partitions)
  --interval MS                          micro-batch trigger interval (default 100)
  --seed N                               generator seed (default 1)
  --p99-bound MS                         p99 bound for the max sustainable throughput (default 250)
  --param key=value                      job parameter (repeatable)
  --kafka-brokers h:p,h:p                take the load from Kafka: a producer writes the job's generator
  --kafka-topic T                        events into topic T at the rate, the job reads them back
  --out DIR                              where report.json/.md/.html go (default weir-report)
  --json                                 print the report JSON on stdout

The job must read the parameters rate (events/s), seconds and seed: examples/clicks.ts does. With
--kafka-*, it must build its source with loadSource(env.params, generatorOptions), as clicks.ts does.`;

export async function benchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      modes: { type: 'string' },
      rates: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      parallelism: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
      'p99-bound': { type: 'string' },
      param: { type: 'string', multiple: true },
      out: { type: 'string' },
      'kafka-brokers': { type: 'string' },
      'kafka-topic': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(benchUsage);
    return 0;
  }
  const job = positionals[0];
  if (!job) throw new WeirError('WEIR_CONFIG', 'weir bench: name a job module, e.g. weir bench examples/clicks.ts');
  const modes = (values.modes ?? 'continuous,micro-batch').split(',') as BenchMode[];
  for (const mode of modes) if (mode !== 'continuous' && mode !== 'micro-batch') throw new WeirError('WEIR_CONFIG', `--modes: unknown mode "${mode}"`);

  if ((values['kafka-brokers'] === undefined) !== (values['kafka-topic'] === undefined)) {
    throw new WeirError('WEIR_CONFIG', 'weir bench: --kafka-brokers and --kafka-topic go together');
  }
  const kafka = values['kafka-brokers'] ? { brokers: values['kafka-brokers'].split(','), topic: values['kafka-topic']! } : undefined;
  const bar = progressBar(process.stderr);
  const report = await runBench({
    job: resolve(job),
    modes,
    ratesPerSec: numberList('--rates', values.rates ?? '20k,100k'),
    warmupS: optionalNumber('--warmup', values.warmup) ?? 1,
    durationS: optionalNumber('--duration', values.duration) ?? 4,
    parallelism: optionalNumber('--parallelism', values.parallelism),
    microBatchIntervalMs: optionalNumber('--interval', values.interval) ?? 100,
    seed: optionalNumber('--seed', values.seed) ?? 1,
    p99BoundMs: optionalNumber('--p99-bound', values['p99-bound']) ?? 250,
    params: parseParams(values.param ?? []),
    kafka,
    onProgress: (p) => bar.update(`run ${p.runIndex}/${p.runs} ${p.mode} @ ${p.ratePerSec.toLocaleString('en')}/s`, p.elapsedS / p.totalS),
  });
  bar.done();
  const files = writeReport(values.out ?? 'weir-report', report);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.error(`${reportToMarkdown(report)}\n\nweir: report written to ${files.json}, ${files.markdown}, ${files.html}`);
  return 0;
}
