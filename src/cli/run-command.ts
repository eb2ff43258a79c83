import type { RestartStrategy } from '../api/job.ts';
import type { RunOptions } from '../runtime/options.ts';
import type { JobHandle } from '../runtime/job/run.ts';
import { limits } from '../limits.ts';
import { existingFile } from './args.ts';
import { UsageError, choiceFlag, commandHelp, keyValueFlag, numberFlag, pairsToRecord, parseCommand, switchFlag, textFlag, type FlagValues } from './flags.ts';
import { formatProgress, formatSummary } from './format.ts';
import { describeStart, drainResults, errorJson, restoredFromJson, saveCollected } from './outcome.ts';
import { watchSavepointRequests } from './savepoint-command.ts';

export const runCommandSpec = {
  name: 'run',
  summary: 'run a job module (TypeScript runs as it is)',
  positionals: [{ name: 'job.ts|job.js', check: existingFile('job file') }],
  flags: {
    mode: choiceFlag(['continuous', 'micro-batch'], "execution mode (default: the job's, else continuous)"),
    parallelism: numberFlag('N', "worker threads (default: the sources' partition count)", { integer: true, min: 1 }),
    interval: numberFlag('MS', 'micro-batch trigger interval (default 100)', { above: 0, unit: 'ms' }),
    'batch-records': numberFlag('N', 'records per partition per micro-batch at most', { integer: true, min: 1 }),
    'sink-flush-interval': numberFlag('MS', `continuous mode: flush the sinks at least this often while busy\n(default: the job's, else ${limits.sinkFlushIntervalMs})`, { min: 0, max: limits.sinkFlushIntervalMsMax, unit: 'ms' }),
    'state-backend': choiceFlag(['lmdb', 'heap'], 'where keyed state lives (default lmdb)'),
    param: keyValueFlag('job parameter; the job reads env.params'),
    'work-dir': textFlag('DIR', "where the run's files go (default: a new temp dir)"),
    'checkpoint-interval': numberFlag('MS', 'take a checkpoint this often (default 0: none)', { min: 0, unit: 'ms' }),
    'state-dir': textFlag('DIR', 'where checkpoints go and are resumed from (default: the work dir)'),
    from: textFlag('latest|none|ID|NAME|PATH', 'start from the latest checkpoint (default), empty, a checkpoint id,\na savepoint name, or a checkpoint/savepoint directory'),
    'allow-non-restored-state': switchFlag('resume from a checkpoint of another job name, or one holding state of\noperators (by uid) this job lacks: that state is dropped and listed'),
    'restart-attempts': numberFlag('N', 'restarts after a failure before the job fails (default 3 with\ncheckpoints, else 0)', { integer: true, min: 0 }),
    'restart-delay': numberFlag('MS', 'the delay before each restart (default 200)', { min: 0, unit: 'ms' }),
    'ring-capacity-bytes': numberFlag('N', 'bytes per exchange ring, a power of two (default 1048576); a record\ncrossing a keyBy is at most a quarter of it, less 40 bytes', { integer: true, min: 1 }),
    'on-error': choiceFlag(['fail', 'dead-letter'], 'what a record an operator fails on does: fail the job (default),\nor go to the dead letters while the job goes on'),
    http: numberFlag('PORT', 'serve /metrics (Prometheus), /healthz and /readyz on this port while the\njob runs (0: a free port, printed at start; default: no endpoint)', { integer: true, min: 0, max: 65_535 }),
    'http-host': textFlag('HOST', 'the address --http listens on (default 127.0.0.1: this machine only)'),
    duration: numberFlag('S', 'stop S seconds after every worker is ready (drains and flushes;\nfor unbounded jobs)', { above: 0, unit: 'seconds' }),
    json: switchFlag('print the result as JSON on stdout (also on failure)'),
    quiet: switchFlag('no progress lines'),
  },
  notes: `Ctrl-C (SIGINT) and SIGTERM stop the job the same way as --duration: sources stop, everything read drains through
every operator, sinks flush (with checkpoints: a final checkpoint commits the output), then weir
exits. While a checkpointing job runs, \`weir savepoint\` takes a savepoint of it.
Exit codes: 0 the job finished or was stopped; 1 it failed or could not start; 2 a usage error.`,
};

export const runUsage = commandHelp(runCommandSpec);

type RunFlags = FlagValues<typeof runCommandSpec.flags>;

function restartStrategyFromFlags(flags: RunFlags): RestartStrategy | undefined {
  if (flags['restart-attempts'] === undefined && flags['restart-delay'] === undefined) return undefined;
  return { kind: 'fixed-delay', attempts: flags['restart-attempts'] ?? 3, delayMs: flags['restart-delay'] ?? 200 };
}

function httpFromFlags(flags: RunFlags): RunOptions['http'] {
  if (flags['http-host'] !== undefined && flags.http === undefined) throw new UsageError('--http-host needs --http PORT');
  return flags.http === undefined ? undefined : { port: flags.http, host: flags['http-host'] };
}

/** The run() options the flags ask for; every flag was checked when it was parsed. */
export function runOptionsFromFlags(flags: RunFlags): RunOptions {
  return {
    mode: flags.mode,
    parallelism: flags.parallelism,
    microBatchIntervalMs: flags.interval,
    microBatchRecordsMax: flags['batch-records'],
    sinkFlushIntervalMs: flags['sink-flush-interval'],
    stateBackend: flags['state-backend'],
    params: pairsToRecord('--param', flags.param),
    workDir: flags['work-dir'],
    checkpointIntervalMs: flags['checkpoint-interval'],
    stateDir: flags['state-dir'],
    restoreFrom: flags.from,
    allowNonRestoredState: flags['allow-non-restored-state'],
    onError: flags['on-error'],
    ringCapacityBytes: flags['ring-capacity-bytes'],
    restartStrategy: restartStrategyFromFlags(flags),
    http: httpFromFlags(flags),
  };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { help, flags, positionals } = parseCommand(runCommandSpec, argv);
  if (help) {
    console.log(runUsage);
    return 0;
  }
  const [job] = positionals;
  let handle: JobHandle | undefined;
  try {
    // The engine loads only once the command line is known to be right (a usage error stays cheap).
    const { run } = await import('../runtime/job/run.ts');
    handle = await run(job, runOptionsFromFlags(flags));
    return await superviseRun(job, handle, flags);
  } catch (err) {
    // With --json the failure is a JSON document on stdout too; main() prints the one-line error.
    if (flags.json) console.log(JSON.stringify({ ...(handle ? { options: handle.options, restoredFrom: restoredFromJson(handle.restoredFrom) } : {}), error: errorJson(err) }, null, 2));
    throw err;
  }
}

/** Runs the started job to its end: progress, --duration, Ctrl-C, savepoint requests, then the summary or JSON. */
async function superviseRun(job: string, handle: JobHandle, flags: RunFlags): Promise<number> {
  const { mode, parallelism, workDir } = handle.options;
  const talk = !flags.quiet && !flags.json;
  if (talk) console.error(`weir: running ${job} — ${mode}, ${parallelism} worker(s), work dir ${workDir}\nweir: ${describeStart(handle.restoredFrom, handle.options)}`);
  // Printed even with --quiet: with --http 0 it is the only way to learn the port.
  if (handle.http && !flags.json) console.error(`weir: serving ${handle.http.url}/metrics, /healthz, /readyz, /state/… and the web UI at ${handle.http.url}/`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (talk) console.error('weir: stopping — draining and flushing sinks…');
    void handle.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // --duration counts from readiness: start-up (loading, threads, restore) can take long on a loaded machine.
  let timer: NodeJS.Timeout | undefined;
  const durationS = flags.duration;
  if (durationS !== undefined) handle.ready.then(() => (timer = stopping ? undefined : setTimeout(stop, durationS * 1000)), () => {});
  const progress = talk ? setInterval(() => console.error(formatProgress(handle.metrics())), 1000) : undefined;
  const streamed = drainResults(handle);
  streamed.catch(() => {}); // the job's error comes through handle.done
  const savepoints = handle.options.checkpointIntervalMs > 0 ? watchSavepointRequests(handle, flags.quiet ?? false) : undefined;

  try {
    const result = await handle.done;
    const collected = [...saveCollected(handle, result.results), ...(await streamed)];
    if (flags.json) {
      const { metrics, startupMs, runMs, durationMs } = result;
      console.log(JSON.stringify({ options: handle.options, restoredFrom: restoredFromJson(result.restoredFrom), startupMs, runMs, durationMs, metrics, collected }, null, 2));
    } else {
      console.error(formatSummary(result, { start: describeStart(result.restoredFrom, handle.options), collected }));
    }
    return 0;
  } finally {
    clearTimeout(timer);
    clearInterval(progress);
    savepoints?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
