import { parseArgs } from 'node:util';
import { WeirError } from '../errors.ts';
import type { RunOptions } from '../runtime/options.ts';
import { run } from '../runtime/run.ts';
import { optionalNumber, parseParams } from './args.ts';
import { formatProgress, formatSummary } from './format.ts';

export const runUsage = `weir run <job.ts|job.js> [options]     run a job module (TypeScript runs as it is)

  --mode continuous|micro-batch          execution mode (default: the job's, else continuous)
  --parallelism N                        worker threads (default: the sources' partition count)
  --interval MS                          micro-batch trigger interval (default 100)
  --batch-records N                      records per partition per micro-batch at most
  --state-backend lmdb|heap              where keyed state lives (default lmdb)
  --param key=value                      job parameter (repeatable); the job reads env.params
  --work-dir DIR                         where the run's files go (default: a new temp dir)
  --duration S                           stop after S seconds (drains and flushes; unbounded jobs)
  --json                                 print the final result as JSON
  --quiet                                no progress lines

Ctrl-C stops the job the same way as --duration: sources stop, everything read drains through
every operator, sinks flush, then weir exits.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      parallelism: { type: 'string' },
      interval: { type: 'string' },
      'batch-records': { type: 'string' },
      'state-backend': { type: 'string' },
      param: { type: 'string', multiple: true },
      'work-dir': { type: 'string' },
      duration: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(runUsage);
    return 0;
  }
  const job = positionals[0];
  if (!job) throw new WeirError('WEIR_CONFIG', 'weir run: name a job module, e.g. weir run examples/clicks.ts');

  const options: RunOptions = {
    mode: values.mode as RunOptions['mode'],
    parallelism: optionalNumber('--parallelism', values.parallelism),
    microBatchIntervalMs: optionalNumber('--interval', values.interval),
    microBatchRecordsMax: optionalNumber('--batch-records', values['batch-records']),
    stateBackend: values['state-backend'] as RunOptions['stateBackend'],
    params: parseParams(values.param ?? []),
    workDir: values['work-dir'],
  };
  const handle = await run(job, options);
  const { mode, parallelism, workDir } = handle.options;
  if (!values.quiet && !values.json) console.error(`weir: running ${job} — ${mode}, ${parallelism} worker(s), work dir ${workDir}`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!values.quiet) console.error('weir: stopping — draining and flushing sinks…');
    void handle.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const durationS = optionalNumber('--duration', values.duration);
  const timer = durationS === undefined ? undefined : setTimeout(stop, durationS * 1000);
  const progress = values.quiet || values.json ? undefined : setInterval(() => console.error(formatProgress(handle.metrics())), 1000);

  try {
    const result = await handle.done;
    if (values.json) console.log(JSON.stringify({ options: handle.options, metrics: result.metrics, durationMs: result.durationMs }, null, 2));
    else console.error(formatSummary(result));
    return 0;
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
