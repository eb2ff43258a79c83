import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { loadJob } from '../../api/job.ts';
import { fromPlainError, toPlainError, WeirError, type PlainError } from '../../errors.ts';
import { nowMs } from '../../util/clock.ts';
import { giveBackThreads, takeThreads } from './thread-pools.ts';
import { OutputChecksum } from '../instrumentation/checksum.ts';
import type { CoordinatorData, CoordinatorReport, WorkerResult, WorkerTask } from '../protocol.ts';
import { readMetrics, type MetricsReader } from './metrics-reader.ts';
import type { JobMetrics, RestartRecord } from '../metrics.ts';
import { JobLifecycle } from './job-lifecycle.ts';
import { MetricsLayout } from '../metrics.ts';
import { resolveOptions, type ResolvedOptions, type RunOptions } from '../options.ts';
import { defaultParallelism, planJob } from '../plan.ts';
import { allocateShared, epochCompletedSlot, kAbort, kEpochRequested, kStop, SharedViews } from '../protocol.ts';
import { Checkpointer, type CheckpointStats } from './checkpointer.ts';
import type { CheckpointStore, SkippedCheckpoint } from '../../checkpoint/checkpoint-store.ts';
import type { VerifiedCheckpoint } from '../../checkpoint/checkpoint-verify.ts';
import { offsetLogDir, replayPlan, type ReplayPlan } from '../../checkpoint/offset-log.ts';
import type { RestorePoint } from '../restore.ts';
import { matchCheckpointToJob, operatorUidsOf, type DroppedState } from './job-identity.ts';
import { restartable, restartDelayMs } from './restart.ts';
import { checkStateDiskSpace } from '../state-store.ts';
import type { Plan } from '../plan.ts';
import { closedWhenSettled, startJobEndpoint, type HttpAddress } from '../../http/endpoint.ts';
import { JobResults } from './results.ts';
import { describeGraph } from '../../http/job-view.ts';
import { StateQueries, type StateQueryRange, type StateQueryResult } from './state-query-client.ts';

export interface JobResult {
  /** Each sink's result by sink name; arrays (collect sinks) are concatenated over workers. */
  results: Record<string, unknown>;
  metrics: JobMetrics;
  workDir: string;
  /** From the start of the last attempt (every worker ready: thread start-up is not counted) to the end. */
  durationMs: number;
  /** From the run() call to the moment every worker of the first attempt was ready (job.ready): loading, thread start-up, restore. */
  startupMs: number;
  /** From that moment to the end, restarts included. */
  runMs: number;
  /** With measureLatency: the merged latency histograms and sink throughput over time. */
  latency?: CoordinatorReport;
  /** With outputChecksum: order-insensitive checksum of everything the sinks received. */
  outputChecksum?: string;
  /**
   * With checkpoints: the checkpoint or savepoint the run started from (id and dir undefined when
   * it started empty), every newer checkpoint skipped because it was damaged, with the reason, and
   * in micro-batch mode the epochs after it that the offset log held to replay. When it started
   * from a checkpoint: the name of the job that wrote it, and the state in it that no operator of
   * this job took over (only with allowNonRestoredState; see job-identity.ts).
   */
  restoredFrom?: RestoredFrom;
}

/** Where a checkpointing run started: see JobResult.restoredFrom. */
export interface RestoredFrom {
  /** Undefined when the run started empty. */
  id: number | undefined;
  dir: string | undefined;
  /** Set when the run started from a savepoint. */
  savepointName?: string;
  skipped: SkippedCheckpoint[];
  replayedEpochs?: number;
  /** The job that wrote the checkpoint (when it recorded its identity). */
  job?: string;
  /** With allowNonRestoredState: the state of the checkpoint that no operator of this job took. */
  dropped?: DroppedState[];
}

export interface JobHandle {
  readonly options: ResolvedOptions;
  /** The job's sinks: each one's name (its key in JobResult.results) and kind ('collect', 'file', …). */
  readonly sinks: ReadonlyArray<{ name: string; kind: string }>;
  /** With checkpoints: where the run started (as JobResult.restoredFrom), known before it starts. */
  readonly restoredFrom: RestoredFrom | undefined;
  /**
   * Resolves when every worker has loaded the job, opened its parts and passed the start gate
   * (sources read from then on; after a restart, when an attempt first got there). Rejects with
   * the job's error when the job fails before that.
   */
  readonly ready: Promise<void>;
  /** Settles when the job completes (bounded sources) or fails (after the restart strategy gave up). */
  readonly done: Promise<JobResult>;
  /** Stops reading sources; what was read drains through every operator and sink (with checkpoints: and a final checkpoint commits it). */
  stop(): Promise<JobResult>;
  metrics(): JobMetrics;
  /** With RunOptions.http: where the endpoint listens (it closes once `done` settles). */
  readonly http?: HttpAddress;
  /**
   * The records a resultsSink(name) receives, as they come (one consumer per sink). Bounded: the
   * job waits while the consumer does. Ends when the job ends, throws its error when it fails;
   * leaving the loop early lets the job go on without it (what follows is dropped).
   */
  results<T = unknown>(name: string): AsyncIterableIterator<T>;
  /**
   * Reads keyed state while the job runs (Kafka Streams' interactive queries): state `state` of
   * keyed operator `operator` (its uid, or its name) for `key`, answered by the worker that owns
   * the key between two rounds of records. It sees every record that worker has processed so far,
   * checkpointed or not. Map state answers its entries in key order, `range` picks some; a window
   * operator's state 'windows' answers the key's windows. Fails with WEIR_QUERY_NOT_FOUND (no such
   * operator or state), WEIR_QUERY_BAD_REQUEST (a key of another type than the state's keys) or
   * WEIR_QUERY_UNAVAILABLE (the job is not running).
   */
  queryState(operator: string, state: string, key: unknown, range?: StateQueryRange): Promise<StateQueryResult>;
  /** Takes a checkpoint now and keeps a copy as savepoint `name` (until deleted); the job must checkpoint. */
  savepoint(name: string): Promise<VerifiedCheckpoint>;
}

/** After a failure, how long the other workers get to notice the abort flag before being terminated. */
const abortGraceMs = 2_000;
/** How often the main thread looks whether an attempt has passed its start gate (job.ready). */
const startGatePollMs = 5;

/** Runs a job module (path or URL) on worker threads of this process. */
export async function run(job: string | URL, options: RunOptions = {}): Promise<JobHandle> {
  const calledMs = nowMs();
  const jobUrl = toJobUrl(job);
  const { definition, env } = await loadJob(jobUrl, options.params ?? {});
  const workDir = prepareWorkDir(options.workDir);
  const submittedMs = nowMs();
  const resolved = resolveOptions(definition.settings, options, defaultParallelism(env.graph), workDir);
  const plan = planJob(env.graph, resolved.parallelism);
  checkStateDiskSpace(plan, resolved);
  const store = resolved.checkpointIntervalMs > 0 ? await Checkpointer.open(resolved) : undefined;
  const initial = store ? await initialRestorePoint(store, resolved.restoreFrom) : undefined;
  // Another job's checkpoint is refused before anything starts, unless allowNonRestoredState.
  const identity = initial?.point && matchCheckpointToJob(initial.point.dir, initial.point.metadata, resolved.jobName, plan, resolved.allowNonRestoredState);
  let restore = initial?.point && identity && identity.dropped.length > 0 ? { ...initial.point, dropped: identity.dropped } : initial?.point;
  const replay = await epochsToReplay(resolved, store, restore);
  const restoredFrom: RestoredFrom | undefined = initial && {
    id: initial.point?.metadata.id,
    dir: initial.point?.dir,
    ...(initial.point?.metadata.savepointName ? { savepointName: initial.point.metadata.savepointName } : {}),
    skipped: initial.skipped,
    ...(replay ? { replayedEpochs: replay.length } : {}),
    ...(identity ? { job: identity.checkpointJob, dropped: identity.dropped } : {}),
  };
  // The endpoint listens before any thread starts (a port in use fails run() with nothing to undo)
  // and after every other check that can fail run().
  let metricsNow: (() => JobMetrics) | undefined;
  const lifecycle = new JobLifecycle(calledMs);
  const queries = new StateQueries(plan, resolved, () => lifecycle.state);
  const endpointInfo = { jobName: resolved.jobName, mode: resolved.mode, parallelism: resolved.parallelism, graph: describeGraph(plan) };
  const endpoint = options.http ? await startJobEndpoint(options.http, () => metricsNow?.(), endpointInfo, (...args) => queries.query(...args)) : undefined;
  // Listening before any thread starts: a results sink announces itself as it opens (the dead-letter output may be one too).
  const resultSinks = [...plan.sinks.map((node) => node.spec), ...(plan.graph.deadLetterSink ? [plan.graph.deadLetterSink] : [])];
  const results = new JobResults(resultSinks, resolved.workDir, resolved.parallelism);

  const restarts: RestartRecord[] = [];
  let stopping = false;
  // Only the current attempt's start gate counts: a failed attempt's never opens.
  const watchReady = (current: Attempt) =>
    void current.ready.then((startedMs) => {
      if (current === attempt) lifecycle.attemptReady(startedMs);
    });

  const firstEpoch = restore?.metadata.epoch ?? 0;
  let attempt = startAttempt(jobUrl, resolved, plan, store, restore, replay, submittedMs, firstEpoch, queries.openAttempt());
  queries.attachViews(attempt.reader.views);
  watchReady(attempt);
  // Dead letters are counted over the run: those of failed attempts stay in the dead-letter output.
  let earlierDeadLetters = 0;
  const withRecovery = (result: JobResult): JobResult => {
    lifecycle.finished();
    const { startupMs, runMs } = lifecycle.timing();
    const deadLetters = earlierDeadLetters + result.metrics.deadLetters;
    return { ...result, restoredFrom, startupMs, runMs, metrics: { ...result.metrics, deadLetters, state: lifecycle.state, startupMs, runMs, restarts: [...restarts] } };
  };
  const done = (async () => {
    for (let restart = 1; ; restart++) {
      try {
        return withRecovery(await attempt.done);
      } catch (err) {
        const delayMs = stopping || !restartable(err) ? undefined : restartDelayMs(resolved.restartStrategy, restart);
        if (delayMs === undefined) {
          lifecycle.failed(err);
          throw err;
        }
        lifecycle.restarting();
        const failedDeadLetters = readMetrics(attempt.reader).deadLetters;
        restarts.push({ atMs: Date.now(), code: (err as WeirError).code ?? 'WEIR_ABORTED', cause: (err as Error).message, retriable: (err as WeirError).retriable === true });
        await sleep(delayMs);
        // From the newest checkpoint this run completed; before the first one, from where it began.
        if (store && attempt.checkpointer && attempt.checkpointer.stats.completed > 0) restore = (await store.latestValid()).checkpoint ?? restore;
        // The failed attempt's threads are gone; a merge one of them left unfinished is of no use.
        await store?.removeWaitingMerges();
        const replay = await epochsToReplay(resolved, store, restore);
        Object.assign(restarts[restarts.length - 1], { restoredFromId: restore?.metadata.id, ...(replay ? { replayedEpochs: replay.length } : {}) });
        attempt = startAttempt(jobUrl, resolved, plan, store, restore, replay, nowMs(), firstEpoch, queries.openAttempt());
        queries.attachViews(attempt.reader.views);
        earlierDeadLetters += failedDeadLetters; // together with the switch: metrics() never counts an attempt twice
        watchReady(attempt);
        if (stopping) attempt.stop();
      }
    }
  })();
  done.catch(() => {}); // the caller gets the rejection through `done`; never an unhandled one
  done.then(() => results.end(), (err: unknown) => results.end(err));
  done.finally(() => queries.closeAttempt('the job ended')).catch(() => {});
  const ended = endpoint ? closedWhenSettled(done, endpoint) : done;
  // Worker threads and the coordinator do not keep the process alive (piscina unrefs them): this
  // does, so a script that only awaits `done` is not ended by Node while the job still runs.
  const keepAlive = setInterval(() => {}, 1 << 30);
  done.finally(() => clearInterval(keepAlive)).catch(() => {});

  const metrics = (): JobMetrics => {
    const current = readMetrics(attempt.reader);
    // A copy of the checkpoint figures: a reading must not change under its reader as checkpoints complete.
    return { ...current, deadLetters: earlierDeadLetters + current.deadLetters, state: lifecycle.state, ...lifecycle.timing(), checkpoints: checkpointStatsNow(attempt.checkpointer), restarts: [...restarts] };
  };
  metricsNow = metrics;

  return {
    options: resolved,
    sinks: plan.sinks.map((node) => ({ name: node.spec.name, kind: node.spec.kind })),
    restoredFrom,
    ready: lifecycle.ready,
    done: ended,
    ...(endpoint ? { http: endpoint.address } : {}),
    stop() {
      stopping = true;
      lifecycle.stopping();
      attempt.stop();
      return ended;
    },
    metrics,
    results: <T>(name: string) => results.subscribe<T>(name),
    queryState: (operator, state, key, range) => queries.query(operator, state, key, range),
    savepoint(name: string) {
      if (!attempt.checkpointer) return Promise.reject(new WeirError('WEIR_CONFIG', 'savepoint: the job does not checkpoint (set checkpointIntervalMs)'));
      return attempt.checkpointer.savepoint(name);
    },
  };
}

/** The checkpointer's figures as of now (its history array is replaced, never changed, when one completes). */
function checkpointStatsNow(checkpointer: Checkpointer | undefined): CheckpointStats | undefined {
  return checkpointer && { ...checkpointer.stats };
}

/** Micro-batch with checkpoints: the epochs of the offset log an attempt replays (see offset-log.ts). */
function epochsToReplay(resolved: ResolvedOptions, store: CheckpointStore | undefined, restore: RestorePoint | undefined): Promise<ReplayPlan | undefined> {
  if (!store || resolved.mode !== 'micro-batch') return Promise.resolve(undefined);
  return replayPlan(offsetLogDir(resolved.stateDir), restore?.metadata ?? { sourcePositions: [] });
}

/** Errors a restart cannot cure: the job or its options are wrong. */
/** Where a checkpointing run starts (RunOptions.restoreFrom), and the newer checkpoints skipped as damaged. */
async function initialRestorePoint(store: CheckpointStore, from: ResolvedOptions['restoreFrom']): Promise<{ point: RestorePoint | undefined; skipped: SkippedCheckpoint[] }> {
  if (from === 'none') return { point: undefined, skipped: [] };
  if (from === 'latest') {
    const { checkpoint, skipped } = await store.latestValid();
    return { point: checkpoint, skipped };
  }
  return { point: await store.resolve(from), skipped: [] };
}

interface Attempt {
  done: Promise<JobResult>;
  /** Resolves with the start time (epoch ms) when every worker has passed the start gate; never, if the attempt ends first. */
  ready: Promise<number>;
  reader: MetricsReader;
  checkpointer: Checkpointer | undefined;
  stop(): void;
}

/** One attempt at running the job: fresh shared memory, coordinator and workers; state from `restore`. */
function startAttempt(
  jobUrl: string,
  resolved: ResolvedOptions,
  plan: Plan,
  store: CheckpointStore | undefined,
  restore: RestorePoint | undefined,
  replay: ReplayPlan | undefined,
  submittedMs: number,
  /** Micro-batch: the epoch the run (not this attempt) started from, for its metrics. */
  firstEpoch: number,
  /** Each worker's end of its state-query channel (state-queries.ts). */
  queryPorts: MessagePort[],
): Attempt {
  const metricsLayout = new MetricsLayout(plan.graph.nodes.length, plan.exchanges.length, resolved.parallelism, plan.sources.map((s) => s.spec.partitions()));
  const layout = {
    parallelism: resolved.parallelism,
    exchanges: plan.exchanges.length,
    ringCapacityBytes: resolved.ringCapacityBytes,
    metricsSlots: metricsLayout.totalSlots,
    partitions: plan.sources.reduce((a, s) => a + s.spec.partitions(), 0),
  };
  const buffers = allocateShared(layout);
  const views = new SharedViews(buffers, layout);
  // Micro-batch epochs go on from the restored checkpoint's, as Spark's batch ids do: the offset
  // log's entries are numbered so. Set before any thread starts.
  const restoredEpoch = restore?.metadata.epoch ?? 0;
  Atomics.store(views.control, kEpochRequested, restoredEpoch);
  for (let w = 0; w < resolved.parallelism; w++) Atomics.store(views.control, epochCompletedSlot(w), restoredEpoch);
  // Until every worker is ready (the start gate, see coordinator.ts) time counts from submission.
  const startedMs = () => {
    const started = views.startedAtMs();
    return Number.isNaN(started) ? submittedMs : started;
  };
  const reader: MetricsReader = { plan, views, layout: metricsLayout, startedMs, firstEpoch, previous: undefined };

  // Under the harness each worker gets a port to the coordinator for its latency histograms;
  // with checkpoints, one to the main thread's checkpointer.
  const workers = Array.from({ length: resolved.parallelism }, (_, w) => w);
  const latencyChannels = resolved.measureLatency ? workers.map(() => new MessageChannel()) : [];
  const checkpointChannels = store ? workers.map(() => new MessageChannel()) : [];
  const checkpointer = store ? new Checkpointer(store, resolved, views, checkpointChannels.map((c) => c.port1), restore?.metadata.id, restore?.metadata.epoch, operatorUidsOf(plan)) : undefined;
  const sinkRecordSlots = plan.sinks.flatMap((sink) => workers.map((w) => metricsLayout.recordsIn(w, sink.id)));
  const coordinatorData: CoordinatorData = { buffers, layout, options: resolved, sinkRecordSlots, latencyPorts: latencyChannels.map((c) => c.port1) };
  // One pool of parallelism + 1 threads: the coordinator's task and one per worker (thread-pools.ts).
  const threads = resolved.parallelism + 1;
  const pool = takeThreads(threads, resolved.reuseThreads);
  const coordinatorTask = pool.run({ coordinator: coordinatorData }, { transferList: latencyChannels.map((c) => c.port1) }) as Promise<CoordinatorReport | undefined>;
  const tasks = workers.map((worker) => {
    const latencyPort = latencyChannels[worker]?.port2;
    const checkpointPort = checkpointChannels[worker]?.port2;
    const queryPort = queryPorts[worker];
    const task: WorkerTask = { worker, jobUrl, options: resolved, buffers, layout, latencyPort, checkpointPort, restore, replay, queryPort };
    return pool.run(task, { transferList: [latencyPort, checkpointPort, queryPort].filter((p) => p !== undefined) }) as Promise<WorkerResult>;
  });
  // The first checkpoint's directory is prepared while the workers start; a failure there fails the run.
  const checkpointing = checkpointer ? checkpointer.start().then(() => checkpointer.failed) : new Promise<never>(() => {});
  const done = supervise(tasks, views, coordinatorTask, checkpointing, (reusable) => giveBackThreads(pool, threads, reusable && resolved.reuseThreads))
    .finally(() => checkpointer?.close())
    .then(({ outcomes, report }) => {
      const results = mergeResults(outcomes.map((o) => o.results));
      const durationMs = nowMs() - startedMs();
      const outputChecksum = resolved.outputChecksum ? OutputChecksum.combine(outcomes.map((o) => o.checksum!)) : undefined;
      const metrics = { ...readMetrics(reader), checkpoints: checkpointStatsNow(checkpointer) };
      // startupMs and runMs span attempts: run() fills them in (withRecovery).
      return { results, metrics, workDir: resolved.workDir, durationMs, startupMs: 0, runMs: 0, latency: report, outputChecksum };
    });
  done.catch(() => {});
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { done, ready: startGatePassed(views, () => settled), reader, checkpointer, stop: () => views.raise(kStop) };
}

/**
 * Waits for every worker. The first failure raises the abort flag (every thread throws out of its
 * loop at once), the others get a grace period, then all threads are torn down. The job's error is
 * the first real failure, not the "aborted" errors it caused. The threads go back for reuse when
 * every task, the coordinator's too, ended by itself, within the grace period (thread-pools.ts).
 */
async function supervise(
  tasks: Promise<WorkerResult>[],
  views: SharedViews,
  coordinatorTask: Promise<CoordinatorReport | undefined>,
  checkpointing: Promise<never>,
  endThreads: (reusable: boolean) => Promise<void>,
): Promise<{ outcomes: WorkerResult[]; report: CoordinatorReport | undefined }> {
  let firstError: PlainError | undefined;
  const fail = (plain: PlainError) => {
    if (!firstError || (firstError.code === 'WEIR_ABORTED' && plain.code !== 'WEIR_ABORTED')) firstError = plain;
    views.raise(kAbort);
  };
  // A checkpoint that cannot be taken or completed fails the run like a failing worker.
  checkpointing.catch((err: unknown) => fail(toPlainError(err)));
  const watched = tasks.map((task, worker) =>
    task.catch((err: unknown) => {
      fail(normaliseWorkerError(err, worker));
      return undefined;
    }),
  );
  const coordinator = coordinatorTask.then(
    (report) => ({ report }),
    (err: unknown) => {
      fail({ ...toPlainError(err), code: 'WEIR_WORKER_DIED', message: `the coordinator thread failed: ${(err as Error)?.message ?? String(err)}` });
      return undefined;
    },
  );
  let settled = false;
  const all = Promise.all([...watched, coordinator]).finally(() => {
    settled = true;
  });
  const ended = await Promise.race([all, abortedAndGraceElapsed(views, () => settled)]);
  const outcomes = ended?.slice(0, tasks.length) as Array<WorkerResult | undefined> | undefined;
  const coordinated = ended?.[tasks.length] as { report: CoordinatorReport | undefined } | undefined;
  const normal = !firstError && outcomes !== undefined && outcomes.every((o) => o !== undefined) && coordinated !== undefined;
  // Every task ended by itself — normally, or after closing what it had opened once it failed or
  // saw the abort flag — when `ended` is there: the threads are clean. After the grace period some
  // are still inside their task and are torn down with the pool (as Flink's TaskManager is killed
  // when a task does not finish cancelling in time).
  await endThreads(ended !== undefined);
  if (firstError) throw fromPlainError(firstError);
  if (!normal) throw new WeirError('WEIR_ABORTED', 'the job was aborted');
  return { outcomes: outcomes as WorkerResult[], report: coordinated!.report };
}

/**
 * Resolves with the start time once the coordinator has opened the start gate (every worker ready).
 * The coordinator's flag wakes the threads' doorbells, not this thread, which has none: it is
 * polled, briefly. Never resolves once the attempt has settled without passing the gate.
 */
async function startGatePassed(views: SharedViews, settled: () => boolean): Promise<number> {
  for (;;) {
    const startedMs = views.startedAtMs();
    if (!Number.isNaN(startedMs)) return startedMs;
    if (settled()) return new Promise<number>(() => {});
    await sleep(startGatePollMs);
  }
}

/** Resolves (with undefined) once the abort flag has been up for the grace period; never once the job has settled. */
async function abortedAndGraceElapsed(views: SharedViews, settled: () => boolean): Promise<undefined> {
  while (views.flag(kAbort) === 0) {
    if (settled()) return new Promise(() => {});
    await sleep(20);
  }
  await sleep(abortGraceMs);
  return undefined;
}

function normaliseWorkerError(err: unknown, worker: number): PlainError {
  if (err && typeof err === 'object' && typeof (err as PlainError).code === 'string' && (err as PlainError).code.startsWith('WEIR_')) {
    return { ...(err as PlainError), worker: (err as PlainError).worker ?? worker };
  }
  // Not thrown by our loop: the thread itself died (process.exit in user code, out of memory, …).
  const message = err instanceof Error ? err.message : String(err);
  return { ...toPlainError(err), code: 'WEIR_WORKER_DIED', message: `worker ${worker} died: ${message}`, worker };
}

function mergeResults(perWorker: Array<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const results of perWorker) {
    for (const [name, value] of Object.entries(results)) {
      if (value === undefined) continue;
      const previous = merged[name];
      if (Array.isArray(value)) merged[name] = Array.isArray(previous) ? previous.concat(value) : value;
      else merged[name] = previous === undefined ? value : [previous, value].flat();
    }
  }
  return merged;
}

export function toJobUrl(job: string | URL): string {
  if (job instanceof URL) return job.href;
  if (/^[a-z]+:\/\//i.test(job)) return job;
  return pathToFileURL(isAbsolute(job) ? job : resolve(job)).href;
}

function prepareWorkDir(workDir: string | undefined): string {
  if (workDir === undefined) return mkdtempSync(join(tmpdir(), 'weir-'));
  mkdirSync(workDir, { recursive: true });
  return resolve(workDir);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
