import { join, resolve } from 'node:path';
import { existingFile } from './args.ts';
import { amountListFlag, choiceListFlag, commandHelp, keyValueFlag, numberFlag, pairsToRecord, parseCommand, switchFlag, textFlag, UsageError } from './flags.ts';
import { progressBar } from './progress.ts';
import { benchNexmarkCommand, benchNexmarkUsage } from './bench-nexmark-command.ts';

export const benchCommandSpec = {
  name: 'bench',
  summary: 'run a job in both modes over a sweep of offered loads',
  positionals: [{ name: 'job.ts', check: existingFile('job file') }],
  flags: {
    modes: choiceListFlag(['continuous', 'micro-batch'], 'modes to run (default both)'),
    rates: amountListFlag('20k,100k', 'offered loads, events/s (default 20k,100k)'),
    warmup: numberFlag('S', 'seconds not measured at the start of each run (default 1)', { min: 0, unit: 'seconds' }),
    duration: numberFlag('S', 'measured seconds per run (default 4)', { above: 0, unit: 'seconds' }),
    parallelism: numberFlag('N', "worker threads (default: the job's partitions)", { integer: true, min: 1 }),
    interval: numberFlag('MS', 'micro-batch trigger interval (default 100)', { above: 0, unit: 'ms' }),
    seed: numberFlag('N', 'generator seed (default 1)', { integer: true, min: 0 }),
    'checkpoint-interval': numberFlag('MS', "take a checkpoint this often in every run (default: the job's own setting); a two-phase sink's output is visible, and measured, at each commit", { above: 0, unit: 'ms' }),
    'p99-bound': numberFlag('MS', 'p99 bound for the max sustainable throughput (default 250)', { above: 0, unit: 'ms' }),
    repeat: numberFlag('N', 'trials per mode and rate, modes interleaved (default 1; 5 to compare reports)', { integer: true, min: 1 }),
    replay: switchFlag("replay the job's own sources (files, embedded log, Kafka) open-loop at each rate"),
    param: keyValueFlag('job parameter'),
    'kafka-brokers': textFlag('h:p,h:p', "take the load from Kafka: a producer writes the job's generator"),
    'kafka-topic': textFlag('T', 'events into topic T at the rate, the job reads them back'),
    out: textFlag('DIR', 'where report.json/.md/.html and hgrm/*.hgrm go (default weir-report)'),
    json: switchFlag('print the report JSON on stdout'),
  },
  notes: `The job must read the parameters rate (events/s), seconds and seed: examples/clicks.ts does. With
--replay, any job: its sources (a recorded JSON-lines file, an embedded log, a Kafka topic) are read
at each rate, open loop, each record stamped with its scheduled creation time (examples/orders.ts).
With --kafka-*, it must build its source with loadSource(env.params, generatorOptions), as clicks.ts does.
A run that measures no record (the job ignores rate or seconds) fails the command with exit code 1.
Exit codes: 0 the report was written; 1 a run failed or measured nothing; 2 a usage error.`,
};

export const benchUsage = `${commandHelp(benchCommandSpec)}

${benchNexmarkUsage}`;

export async function benchCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'nexmark') return benchNexmarkCommand(argv.slice(1));
  const { help, flags, positionals } = parseCommand(benchCommandSpec, argv);
  if (help) {
    console.log(benchUsage);
    return 0;
  }
  if (flags.replay && flags['kafka-brokers'] !== undefined) throw new UsageError('--replay and --kafka-* do not go together: a replay reads the topic the job itself reads');
  if ((flags['kafka-brokers'] === undefined) !== (flags['kafka-topic'] === undefined)) throw new UsageError('--kafka-brokers and --kafka-topic go together');
  const params = pairsToRecord('--param', flags.param);
  const kafka = flags['kafka-brokers'] ? { brokers: flags['kafka-brokers'].split(','), topic: flags['kafka-topic']! } : undefined;
  const bar = progressBar(process.stderr);
  // The harness and the engine load only once the command line is known to be right.
  const [{ runBench }, { writeReport }, { reportToMarkdown }] = await Promise.all([import('../harness/bench.ts'), import('../harness/report-io.ts'), import('../harness/report-markdown.ts')]);
  const report = await runBench({
    job: resolve(positionals[0]),
    modes: flags.modes ?? ['continuous', 'micro-batch'],
    ratesPerSec: flags.rates ?? [20_000, 100_000],
    warmupS: flags.warmup ?? 1,
    durationS: flags.duration ?? 4,
    parallelism: flags.parallelism,
    microBatchIntervalMs: flags.interval ?? 100,
    seed: flags.seed ?? 1,
    p99BoundMs: flags['p99-bound'] ?? 250,
    ...(flags['checkpoint-interval'] !== undefined ? { checkpointIntervalMs: flags['checkpoint-interval'] } : {}),
    params,
    repeat: flags.repeat ?? 1,
    replay: flags.replay ?? false,
    kafka,
    onProgress: (p) => bar.update(`run ${p.runIndex}/${p.runs} ${p.mode} @ ${p.ratePerSec.toLocaleString('en')}/s${(flags.repeat ?? 1) > 1 ? ` trial ${p.trial}` : ''}`, p.elapsedS / p.totalS),
  }).finally(() => bar.done());
  const files = writeReport(flags.out ?? 'weir-report', report);
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else console.error(`${reportToMarkdown(report)}\n\nweir: report written to ${files.json}, ${files.markdown}, ${files.html} and ${files.hgrm.length} HdrHistogram file(s) in ${join(flags.out ?? 'weir-report', 'hgrm')}`);
  return 0;
}
