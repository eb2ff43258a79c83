import { parseArgs } from 'node:util';
import { WeirError } from '../errors.ts';
import type { RunOptions } from '../runtime/options.ts';
import { run } from '../runtime/run.ts';
import { optionalNumber, parseParams } from './args.ts';
import type { RestartStrategy } from '../api/job.ts';
import { watchSavepointRequests } from './savepoint-command.ts';

function restartStrategyFromFlags(attempts: string | undefined, delay: string | undefined): RestartStrategy | undefined {
  if (attempts === undefined && delay === undefined) return undefined;
  return { kind: 'fixed-delay', attempts: optionalNumber('--restart-attempts', attempts) ?? 3, delayMs: optionalNumber('--restart-delay', delay) ?? 200 };
}
import { formatProgress, formatSummary } from './format.ts';

export const runUsage = `weir run <job.ts|job.js> [options]     run a job module (TypeScript runs as it is)

  --mode continuous|micro-batch          execution mode (default: the job's, else continuous)
  --parallelism N                        worker threads (default: the sources' partition count)
  --interval MS                          micro-batch trigger interval (default 100)
  --batch-records N                      records per partition per micro-batch at most
  --state-backend lmdb|heap              where keyed state lives (default lmdb)
  --param key=value                      job parameter (repeatable); the job reads env.params
  --work-dir DIR                         where the run's files go (default: a new temp dir)
  --checkpoint-interval MS               take a checkpoint this often (default: none)
  --state-dir DIR                        where checkpoints go and are resumed from (default: the work dir)
  --from latest|none|ID|NAME|PATH        start from the latest checkpoint (default), empty, a checkpoint id,
                                         a savepoint name, or a checkpoint/savepoint directory
  --restart-attempts N                   restarts after a failure before the job fails (default 3 with
  --restart-delay MS                     checkpoints, else 0), and the delay before each (default 200)
  --ring-capacity-bytes N                bytes per exchange ring, a power of two (default 1048576); a record
                                         crossing a keyBy is at most a quarter of it, less 40 bytes
  --on-error fail|dead-letter            what a record an operator fails on does: fail the job (default),
                                         or go to the dead letters while the job goes on
  --duration S                           stop after S seconds (drains and flushes; unbounded jobs)
  --json                                 print the final result as JSON
  --quiet                                no progress lines

Ctrl-C stops the job the same way as --duration: sources stop, everything read drains through
every operator, sinks flush (with checkpoints: a final checkpoint commits the output), then weir
exits. While a checkpointing job runs, \`weir savepoint\` takes a savepoint of it.`;

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
      'checkpoint-interval': { type: 'string' },
      'state-dir': { type: 'string' },
      from: { type: 'string' },
      'restart-attempts': { type: 'string' },
      'restart-delay': { type: 'string' },
      'on-error': { type: 'string' },
      'ring-capacity-bytes': { type: 'string' },
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
    checkpointIntervalMs: optionalNumber('--checkpoint-interval', values['checkpoint-interval']),
    stateDir: values['state-dir'],
    restoreFrom: values.from,
    restartStrategy: restartStrategyFromFlags(values['restart-attempts'], values['restart-delay']),
    onError: values['on-error'] as RunOptions['onError'],
    ringCapacityBytes: optionalNumber('--ring-capacity-bytes', values['ring-capacity-bytes']),
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
  const savepoints = handle.options.checkpointIntervalMs > 0 ? watchSavepointRequests(handle, values.quiet ?? false) : undefined;

  try {
    const result = await handle.done;
    if (values.json) console.log(JSON.stringify({ options: handle.options, metrics: result.metrics, durationMs: result.durationMs }, null, 2));
    else console.error(formatSummary(result));
    return 0;
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    savepoints?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
