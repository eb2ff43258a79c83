import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Codec } from '../../channel/codec.ts';
import { loadJob } from '../../api/job.ts';
import { isStateful } from '../../api/graph.ts';
import { connectionRetries } from '../../connectors/connection-retry.ts';
import { exchangeRecordBytesMax, limits } from '../../limits.ts';
import { compileChain, type CompiledChain, type RecordPosition } from './chain.ts';
import { keyGroupOf, keyGroupTable } from '../keys.ts';
import { MetricsLayout, writeWorkerMetrics } from '../metrics.ts';
import { jobCodec } from '../options.ts';
import { AsyncOperators } from './async-operators.ts';
import { operatorUid, planJob, type Plan } from '../plan.ts';
import { epochCompletedSlot, kAbort, kStop, kWorkersDone, kWorkersDrained, kWorkersReady, SharedViews, throwIfAborted, type WorkerResult, type WorkerTask } from '../protocol.ts';
import type { StateStore } from '../../state/store.ts';
import { stateBackends, type WorkerSnapshots } from '../../snapshot/backends.ts';
import { WorkerSources, type SourceGate } from './worker-sources.ts';
import { systemEnvironment, type WorkerEnvironment } from './environment.ts';
import { WorkerAlignment } from './watermark-alignment.ts';
import { sourceOutput } from './source-output.ts';
import { openWorkerStateStore } from '../state-store.ts';
import { OutputChecksum } from '../instrumentation/checksum.ts';
import { LatencyRecorder } from '../instrumentation/latency-recorder.ts';
import { Exchanges } from './exchanges.ts';
import { InBandControl, type RoundState } from './in-band-control.ts';
import { WorkerSinks } from './sinks.ts';
import { quietly, workerFailure } from './worker-errors.ts';
import { deadLetterRecord } from '../../connectors/sinks.ts';
import { WorkerCheckpoints } from './worker-checkpoints.ts';
import { WorkerWaiting } from './worker-waiting.ts';
import { EpochRanges } from './epoch-ranges.ts';
import { WorkerEpochs } from './worker-epochs.ts';
import { offsetLogDir } from '../../checkpoint/offset-log.ts';
import { restoredPosition, restoreWorkerState, sinkRecovery } from '../restore.ts';
import { nameThisThread } from '../../util/thread-name.ts';
import { keyGroupRangeOfWorker } from '../../checkpoint/key-groups.ts';
import { SinkLatency } from '../instrumentation/sink-latency.ts';
import { WorkerStateQueries } from './state-queries.ts';
import { loadLmdb } from '../../state/lmdb-module.ts';

/** Entry point of a worker thread's one long-lived task: the task is the partition loop. */
export async function runWorker(task: WorkerTask, environment?: WorkerEnvironment): Promise<WorkerResult> {
  nameThisThread(`worker ${task.worker}`);
  const views = new SharedViews(task.buffers, task.layout);
  let runtime: WorkerRuntime | undefined;
  try {
    const { definition, env } = await loadJob(task.jobUrl, task.options.params, true);
    const plan = planJob(env.graph, task.options.parallelism);
    runtime = new WorkerRuntime(task, plan, views, jobCodec(definition.settings), environment ?? systemEnvironment(views));
    await runtime.open();
    await runtime.loop();
    return await runtime.finish();
  } catch (err) {
    const plain = workerFailure(err, task.worker);
    // Tell every other thread at once; they stop rather than wait for records that will not come.
    if (plain.code !== 'WEIR_ABORTED') views.raise(kAbort);
    await runtime?.closeQuietly();
    throw plain;
  } finally {
    // The thread may serve later attempts (job/thread-pools.ts): nothing of this one stays open on
    // it. (The latency port is the coordinator's to close: it reads the last snapshot after this.)
    task.checkpointPort?.close();
    task.queryPort?.close();
  }
}

/**
 * One worker's loop. The worker owns some source partitions and one chain instance of every
 * operator; it reads every exchange's ring from each worker (itself included) and writes one ring
 * per (exchange, target worker) — see exchanges.ts, and in-band-control.ts for the control that
 * travels with the records (watermarks, epoch ends, end-of-stream, checkpoint barriers).
 */
class WorkerRuntime {
  private readonly me: number;
  private readonly n: number;
  private readonly position: RecordPosition = { partition: -1, offset: -1 };
  private chain!: CompiledChain;
  private readonly exchanges: Exchanges;
  /** Set once open() has opened them. */
  private sources: WorkerSources | undefined;
  private store: StateStore | undefined;
  private readonly sinks: WorkerSinks;
  /** The worker's clock (environment.ts): every time the loop and its parts read comes from it. */
  private readonly nowMs: () => number;
  private readonly metricsLayout: MetricsLayout;
  /** With checkpoints of LMDB state: the thread writing snapshots (closed by whoever ends the worker). */
  private snapshots: WorkerSnapshots | undefined;
  private waiting!: WorkerWaiting;
  /** Watermark alignment: which owned partitions are too far ahead in event time to read (watermark-alignment.ts). */
  private alignment!: WorkerAlignment;

  /** The one owner of in-band control: watermarks, epoch ends, end-of-stream, barriers (in-band-control.ts). */
  private readonly control: InBandControl;
  /** What the control owner is told each round (forwardControl). */
  private readonly round: RoundState = { sourcesEnded: false, sourcesEpoch: 0, currentEpoch: 0, asyncIdle: true, nowMs: 0 };

  private readonly micro: boolean;
  /** Micro-batch only. */
  private readonly epochs: WorkerEpochs | undefined;
  /** False once this worker takes part in no further epoch (its input ended): its metrics say so. */
  private takesPartInEpochs = true;
  private sinkRecordsFlushed = 0;
  private lastFlushMs = 0;
  private lastMetricsMs = 0;
  /** Idle rounds spun since the last progress or park (rest()). */
  private idleRounds = 0;
  private latency: LatencyRecorder | undefined;
  private readonly sinkLatency = new SinkLatency();
  private readonly checksum: OutputChecksum | undefined;
  private readonly keyGroupWorker: Int32Array;
  /** With checkpoints (options.checkpointIntervalMs > 0). */
  private checkpoints: WorkerCheckpoints | undefined;
  private drained = false;
  /** State is flushed while the job runs (checkpoints, micro-batch epochs), not only at its end: idle write-backs pay (writeStateBack). */
  private readonly stateFlushesAhead: boolean;
  /** The chain's mapAsync operators, with the inputs that feed each (async-operators.ts); set by open(). */
  private async!: AsyncOperators;
  private queries: WorkerStateQueries | undefined;
  /** The thread's count of connection retries (a count per thread) when this task began: earlier tasks' are not this job's. */
  private readonly connectionRetriesBefore = connectionRetries();

  constructor(
    private readonly task: WorkerTask,
    private readonly plan: Plan,
    private readonly views: SharedViews,
    defaultCodec: Codec<unknown>,
    private readonly environment: WorkerEnvironment,
  ) {
    // Taken off the clock unbound (Clock says so): the system's is then the very function it was.
    this.nowMs = environment.clock.nowMs;
    this.sinks = new WorkerSinks(this.nowMs);
    this.me = task.worker;
    this.n = plan.parallelism;
    this.micro = task.options.mode === 'micro-batch';
    this.stateFlushesAhead = this.micro || task.options.checkpointIntervalMs > 0;
    const { options } = task;
    if (options.measureLatency) this.latency = new LatencyRecorder();
    if (options.outputChecksum) this.checksum = new OutputChecksum();
    const alignsBarriers = options.checkpointIntervalMs > 0 && !this.micro;
    this.control = new InBandControl(plan.exchanges.length, this.n, this.me, alignsBarriers);
    if (this.micro) this.epochs = new WorkerEpochs(this.me, views, this.control, options.microBatchRecordsMax, task.restore?.metadata.epoch ?? 0);
    this.exchanges = new Exchanges(plan, views, environment.parking, this.me, defaultCodec, this.position, this.control, this.latency);
    this.metricsLayout = new MetricsLayout(plan.graph.nodes.length, plan.exchanges.length, this.n, plan.sources.map((s) => s.spec.partitions()));
    this.keyGroupWorker = keyGroupTable(task.options.keyGroups, this.n);
  }

  async open(): Promise<void> {
    const { options } = this.task;
    const checkpointing = options.checkpointIntervalMs > 0;
    const hasKeyedState = this.plan.graph.nodes.some(isStateful);
    // Keyed state in LMDB, snapshots and restores use lmdb and msgpackr: loaded now, before the start gate, not at their first use.
    if (hasKeyedState && (options.stateBackend === 'lmdb' || checkpointing || this.task.restore !== undefined)) loadLmdb();
    // Its modules load while this worker opens its parts; awaited before the start gate below.
    const backend = stateBackends[options.stateBackend];
    const snapshots = checkpointing && hasKeyedState ? backend.workerSnapshots(this.views.doorbells.address(this.me)) : undefined;
    this.snapshots = snapshots;
    const ctx = { subtask: this.me, parallelism: this.n, workDir: options.workDir, nowMs: this.nowMs };
    await this.sinks.openAll(this.plan, ctx, (sinkUid) => sinkRecovery(this.task.restore, sinkUid));
    const keyGroups = options.keyGroups;
    // State is restored before the chain is built: keyed operators load their timers when created.
    if (this.task.restore && hasKeyedState) {
      this.store = openWorkerStateStore(this.plan, options, this.me);
      const restored = await restoreWorkerState(this.task.restore, this.store, this.me, this.n, keyGroups);
      // The next incremental checkpoint builds on the restored files: what the restore wrote is not a change.
      backend.afterRestore(this.store);
      if (restored) snapshots?.buildOn(restored);
    }
    this.chain = compileChain(this.plan, this.position, {
      subtask: this.me,
      send: (e, target, v, ts, cr) => this.exchanges.send(e, target, v, ts, cr),
      sendWatermark: (e, wm, idle) => this.control.setWatermark(e, wm, idle),
      workerOfKey: (key) => this.keyGroupWorker[keyGroupOf(key, keyGroups, options.keyGroupAssigner)],
      sinkWriter: (node) => this.sinks.writer(node),
      checkpointing,
      deadLetter: (operator, reason, value, stack, at) => this.deadLetter(operator, at?.partition ?? this.position.partition, at?.offset ?? this.position.offset, reason, value, stack),
      onError: options.onError,
      stateStore: () => (this.store ??= openWorkerStateStore(this.plan, options, this.me)),
      keyGroups,
      ownKeyGroup: keyGroupRangeOfWorker(this.me, keyGroups, this.n).from,
      keyGroupAssigner: options.keyGroupAssigner,
      nowMs: this.nowMs,
      latency: this.latency,
      checksum: this.checksum,
      sinkLatency: this.sinkLatency,
    });
    this.exchanges.connect(this.plan.exchanges.map((id) => this.chain.outputOf[id]));
    this.control.connect(this.plan.exchanges.map((id) => this.chain.watermarkOutputOf[id]));
    this.chain.open();
    // Requests that were in flight at the checkpoint are issued again (their results were never emitted).
    if (this.task.restore && this.store) for (const operator of this.chain.asyncOperators) operator.reissueRestored();
    if (this.task.restore && this.store) for (const states of this.chain.broadcastStates) states.restore();
    if (this.task.queryPort) this.queries = new WorkerStateQueries(this.task.queryPort, this.chain.keyed, this.views.control);
    await snapshots?.started;
    const startMs = this.awaitStart();
    this.latency?.measureFrom(startMs + options.warmupMs);
    const sources = await WorkerSources.open(this.plan, this.me, {
      ctx: (partition) => ({ partition, parallelism: this.n, workDir: options.workDir, startMs, nowMs: this.nowMs, recordBytesMax: exchangeRecordBytesMax(options.ringCapacityBytes) }),
      from: (node, partition) => restoredPosition(this.task.restore, node, partition),
      output: (node, partition, time, timeSlot) =>
        sourceOutput({
          deliver: this.chain.outputOf[node.id],
          position: this.position,
          latency: this.latency,
          time,
          timeSlot,
          partition,
          deadLetter: (raw, reason, offset) => this.deadLetter(node.name, partition, offset, reason, raw),
          counters: this.chain.counters[node.id],
          nowMs: this.nowMs,
        }),
      watermarkOutput: (node) => this.chain.watermarkOutputOf[node.id],
    }, this.nowMs());
    this.sources = sources;
    this.async = new AsyncOperators(this.chain.asyncOperators, this.plan.graph, sources.slots.map((s) => s.node.id), this.plan.exchanges, this.control.barriers?.sealed);
    this.alignment = new WorkerAlignment(
      this.plan,
      this.views,
      sources.slots.map((s) => ({ sourceIndex: this.plan.sources.indexOf(s.node), partition: s.partition, time: s.time, timeSlot: s.timeSlot })),
    );
    const rangedSources = sources.slots.map((s) => ({ operatorUid: operatorUid(s.node), partition: s.partition, reader: s.reader }));
    if (this.epochs && this.task.replay) this.epochs.ranges = new EpochRanges(offsetLogDir(options.stateDir), this.me, rangedSources, this.task.replay);
    this.waiting = new WorkerWaiting(this.me, this.views, this.environment, this.exchanges, () => sources.ioReaders(this.paused), {
      needsEventLoop: () => this.checkpoints?.needsEventLoop() ?? false,
      hasNews: () => (this.checkpoints?.hasReplies() ?? false) || this.async.hasNews() || (this.queries?.hasRequests() ?? false),
      asyncNews: () => this.async.whenNews(),
      exchangeHeld: this.async.exchangeFull,
    });
    if (checkpointing) {
      this.checkpoints = new WorkerCheckpoints(this.me, this.views, this.nowMs, this.task.checkpointPort!, {
        sources: rangedSources,
        epoch: () => this.epochs?.epoch ?? 0,
        // The dead-letter output too: a transactional one pre-commits and commits with the checkpoint.
        sinks: this.sinks.checkpointed(),
        store: () => this.store,
        beforeSnapshot: () => {
          for (const operator of this.chain.asyncOperators) operator.snapshotInFlight();
          for (const states of this.chain.broadcastStates) states.snapshot();
        },
        preCommitted: (id) => this.latency?.atPreCommit(id),
        committed: (id) => this.latency?.atCommit(id),
      }, this.control.barriers, snapshots);
    }
  }

  /** Counts this worker in at the start gate and waits for the coordinator's start time (see coordinator.ts). */
  private awaitStart(): number {
    const views = this.views;
    Atomics.add(views.control, kWorkersReady, 1);
    views.doorbells.ring(views.coordinatorId);
    for (;;) {
      throwIfAborted(views, this.me);
      const startMs = views.startedAtMs();
      if (!Number.isNaN(startMs)) return startMs;
      this.environment.parking.park(this.me, () => !Number.isNaN(views.startedAtMs()) || views.flag(kAbort) !== 0, limits.parkTimeoutMs);
    }
  }

  /** A record that cannot go on, with the reason: to the dead-letter output, counted. */
  private deadLetter(operator: string, partition: number, offset: number | string, reason: string, raw: unknown, stack?: string): void {
    this.sinks.deadLetter(deadLetterRecord(typeof raw === 'string' ? raw : safeJson(raw), reason, partition, offset, operator, stack));
  }

  // ---------------------------------------------------------------- the loop

  /**
   * The worker loop. A round is these steps, in this order — the order is part of the protocol:
   *  1. takeRequests: abort, state queries, checkpoint replies from the other threads; once the
   *     worker has drained, a round is only its part in the remaining checkpoints;
   *  2. injectCheckpoint: a requested checkpoint notes the sources' positions and pauses them
   *     (continuous mode) before anything more is read;
   *  3. takeInput: settled mapAsync results, then the exchanges' rings (records to the chain,
   *     control frames to in-band-control.ts), then the sources within their budget;
   *  4. advanceTime: the sources' watermarks, watermark alignment, processing-time timers;
   *  5. forwardControl: combined records whose batch is due (combiner.ts), then watermarks,
   *     epoch ends, end-of-stream, barriers — in-band-control.ts states their order, and before
   *     any of the last three what keyBys hold goes out — then the snapshot once a checkpoint
   *     has aligned;
   *  6. publish what this round wrote into the rings;
   *  7. completeEpochAndCommit: a micro-batch epoch whose part here is complete is made durable
   *     and visible; completed checkpoints are committed;
   *  8. housekeeping: state TTL cleanup and metrics, on their interval;
   *  9. rest: after progress a turn for the event loop and the periodic sink flush; when idle the
   *     sinks flush, state is written back, and the worker spins briefly, then parks.
   */
  async loop(): Promise<void> {
    while (!this.done()) {
      await this.takeRequests();
      if (this.drained) {
        await this.checkpointWhileDrained();
        continue;
      }
      this.injectCheckpoint();
      let progress = await this.takeInput();
      const now = this.nowMs();
      this.advanceTime(now);
      progress = (await this.forwardControl(now, progress)) || progress;
      this.exchanges.publishAll();
      await this.completeEpochAndCommit();
      this.housekeeping(now);
      await this.rest(progress, now);
    }
  }

  private async takeRequests(): Promise<void> {
    throwIfAborted(this.views, this.me);
    this.queries?.answer();
    this.checkpoints?.poll();
    if (this.checkpoints?.needsEventLoop()) await nextTurn();
  }

  private injectCheckpoint(): void {
    if (this.checkpoints?.alignment) this.checkpoints.maybeInject();
  }

  /** True when anything was taken. While a mapAsync is full, nothing that feeds it is read. */
  private async takeInput(): Promise<boolean> {
    let progress = this.async.drain();
    progress = this.exchanges.drain(0, this.async.exchangeFull) || progress;
    return (await this.pollSources()) || progress;
  }

  private advanceTime(now: number): void {
    this.sources!.advance(now);
    this.alignment.update(this.epochs?.ranges?.replaying ?? false);
    // Between injecting a checkpoint and its snapshot no processing-time timer fires: what one
    // emitted could follow a barrier already in an exchange (processed after the snapshot) while
    // the state it changed (its timer gone, a buffer emptied) is in the snapshot — a restore from
    // it would lose the records. They fire after the snapshot, a few milliseconds late at most.
    if (this.control.barriers?.sourcesPaused) return;
    for (const operator of this.chain.keyed) operator.onProcessingTime(now);
  }

  /** True when a snapshot was taken. `tookInput`: this round took records (combiners send their batches after a round without). */
  private async forwardControl(now: number, tookInput: boolean): Promise<boolean> {
    // One object, refilled each round: an idle worker spins through many rounds before it parks.
    const round = this.round;
    round.sourcesEnded = this.sources!.allEnded();
    round.sourcesEpoch = this.epochs?.sourcesEpoch() ?? 0;
    round.currentEpoch = this.epochs?.epoch ?? 0;
    round.asyncIdle = this.async.idle();
    round.nowMs = now;
    this.chain.endRound(tookInput, now);
    if (this.control.maySignal(round)) this.chain.flushHeld();
    this.control.forward(round, this.exchanges.broadcast);
    return this.checkpoints?.alignment ? await this.checkpoints.maybeSnapshotAligned() : false;
  }

  private async completeEpochAndCommit(): Promise<void> {
    if (this.async.idle()) await this.epochs?.maybeComplete(this.endEpoch);
    await this.checkpoints?.commitCompleted();
  }

  private housekeeping(now: number): void {
    if (now - this.lastMetricsMs < limits.metricsIntervalMs) return;
    for (const operator of this.chain.keyed) operator.cleanupExpired(limits.ttlCleanupEntriesPerStep);
    this.publishMetrics(now);
  }

  private async rest(progress: boolean, now: number): Promise<void> {
    if (progress) {
      this.idleRounds = 0;
      // Requests in flight settle on this thread's event loop: give it a turn every round.
      if (this.async.inFlight()) await nextTurn();
      else await this.waiting.yieldWhileBusy(now);
      if (!this.micro && now - this.lastFlushMs >= this.task.options.sinkFlushIntervalMs && this.sinksDirty()) await this.flushSinks(now);
      return;
    }
    // Idle: make output visible before waiting for more input.
    if (!this.micro && this.sinksDirty()) await this.flushSinks(now);
    // Spare time writes state back ahead of the next flush (a checkpoint's or an epoch's would stall otherwise).
    if (this.writeStateBack()) return;
    // Spinning only pays when another thread is about to hand us something. When the sources
    // know when their next record is due, park until then: peers' records ring the doorbell.
    // A full mapAsync reads no source: only its results (or the flags) can end the wait.
    const dueMs = this.sources!.anyBlocked(this.async.sourceRoom) ? limits.parkTimeoutMs : this.sourceDueMs();
    if (dueMs === undefined && !this.async.inFlight() && ++this.idleRounds < limits.spinIterationsBeforePark) return;
    this.idleRounds = 0;
    await this.waiting.park(Math.min(dueMs ?? limits.parkTimeoutMs, this.timerDueMs(now)));
  }

  /**
   * Writes up to limits.stateIdleWriteBackEntries dirty state entries back to LMDB once there are
   * limits.stateIdleWriteBackEntriesMin; true when it wrote any. Only when a flush is coming — a
   * checkpoint's, or a micro-batch epoch's end — that it takes work off. Continuous without
   * checkpoints, state is flushed only at the end (and by eviction, which writes back itself):
   * writing back ahead of that wrote every change of a steadily updated key once more (the fraud
   * example at 10 K transactions/s: one LMDB write per transaction, 8–9 % of its workers' time).
   */
  private writeStateBack(): boolean {
    if (!this.stateFlushesAhead) return false;
    return (this.store?.writeBackIdle?.(limits.stateIdleWriteBackEntries, limits.stateIdleWriteBackEntriesMin) ?? 0) > 0;
  }

  /** Ms until the next processing-time timer of any keyed operator (+Infinity when none). */
  private timerDueMs(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const operator of this.chain.keyed) next = Math.min(next, operator.nextProcessingTimeMs());
    return Math.max(0, next - now);
  }

  private finished(): boolean {
    return this.sources!.allEnded() && this.control.allExchangesEnded() && (!this.epochs || this.epochs.sourcesDone) && this.async.idle();
  }

  /**
   * Without checkpoints a worker is done once its input is. With them it stays to take part in
   * checkpoints until the final one — triggered once every worker has drained — is committed, so
   * the output of bounded input becomes visible exactly once, at that checkpoint.
   */
  private done(): boolean {
    if (!this.finished()) return false;
    if (!this.checkpoints) return true;
    if (!this.drained) {
      this.drained = true;
      // It takes part in no further epoch (its end-of-stream counts for every later one).
      this.takesPartInEpochs = false;
      Atomics.store(this.views.control, epochCompletedSlot(this.me), 0x7fffffff);
      Atomics.add(this.views.control, kWorkersDrained, 1);
      this.views.doorbells.ring(this.views.coordinatorId);
    }
    return this.checkpoints.finalCommitted();
  }

  private async checkpointWhileDrained(): Promise<void> {
    await this.flushSinksIfDirty();
    await this.checkpoints!.whileDrained();
    await this.checkpoints!.commitCompleted();
    if (this.checkpoints!.finalCommitted()) return;
    // Nothing comes in any more: wait for the next checkpoint's trigger or completion (or abort).
    await this.waiting.park(limits.parkTimeoutMs);
  }

  async finish(): Promise<WorkerResult> {
    await this.checkpoints?.close();
    this.chain.close();
    await this.flushSinks(this.nowMs());
    // The final checkpoint, if any, is taken: what the store still holds in memory is not needed.
    this.store?.discard();
    this.store = undefined;
    // By the sink's own name (collect('x') → results.x), even when its operator had to be renamed
    // because another operator has that name.
    const results = await this.sinks.closeAfterRun(this.checkpoints === undefined);
    await this.sources?.close();
    this.takesPartInEpochs = false;
    this.publishMetrics(this.nowMs());
    // The latency snapshot goes out once, at the end: nothing needs it during the run, and the
    // loop being measured then does no encoding at all. It is sent before the worker counts itself
    // done, so the coordinator, seeing every worker done, finds every snapshot already queued.
    if (this.latency) this.task.latencyPort?.postMessage(this.latency.takeSnapshot());
    // A finished worker takes part in no further epoch: mark every epoch as completed by it.
    Atomics.store(this.views.control, epochCompletedSlot(this.me), 0x7fffffff);
    Atomics.add(this.views.control, kWorkersDone, 1);
    this.views.doorbells.ring(this.views.coordinatorId);
    return { worker: this.me, results, checksum: this.checksum?.lanes() };
  }

  /**
   * After a failure, at whatever point of open() or the loop it came: closes what was opened (no
   * step may throw: the job's error is the one that counts), after flushing what the at-least-once
   * sinks and the dead-letter output accepted (sinks.ts).
   */
  async closeQuietly(): Promise<void> {
    // The snapshot being written finishes first (its acknowledgement may still complete a
    // checkpoint), within a second: the output's flush then still fits in the supervisor's grace
    // period (run.ts).
    await quietly(() => this.snapshots?.close(1_000));
    await this.sinks.closeAfterFailure();
    for (const s of this.sources?.slots ?? []) await quietly(() => s.reader.close());
    await quietly(() => this.store?.discard());
    if (this.chain) for (const operator of this.chain.asyncOperators) await quietly(() => operator.close());
    // Before the chain is compiled there are no operator counters to publish.
    if (this.chain) await quietly(() => this.publishMetrics(this.nowMs()));
  }

  // ---------------------------------------------------------------- sources

  private sourceBudget(): number {
    if (this.control.barriers?.sourcesPaused) return 0; // between a checkpoint's injection and its snapshot
    return this.epochs ? this.epochs.budget() : limits.sourceBatchRecordsMax;
  }

  private async pollSources(): Promise<boolean> {
    const sources = this.sources!;
    this.epochs?.maybeStart(sources.allEnded);
    const stopping = this.views.flag(kStop) !== 0;
    const { progress, quiet } = await sources.poll(this.sourceGate, stopping, this.nowMs());
    // A source that feeds a full mapAsync is not read, and a micro-batch's reading does not end while one is.
    const allQuiet = quiet && !sources.anyBlocked(this.async.sourceRoom);
    return (this.epochs?.maybeEndReading(allQuiet, stopping, sources.ended) ?? false) || progress;
  }

  private readonly paused = (i: number): boolean => this.alignment.paused(i);

  /** How much each source partition may read this round (worker-sources.ts). */
  private readonly sourceGate: SourceGate = {
    budget: () => this.sourceBudget(),
    allowed: (i, budget) => Math.min(this.epochs ? this.epochs.allowed(i, budget) : budget, this.async.sourceRoom(i)),
    paused: this.paused,
    read: (i, records) => this.epochs?.read(i, records),
  };

  /**
   * How long (ms) the sources expect to have nothing; between micro-batches only the trigger
   * matters. Undefined when nobody knows.
   */
  private sourceDueMs(): number | undefined {
    if (this.epochs?.sourcesDone && !this.sources!.allEnded()) return limits.parkTimeoutMs;
    return this.sources!.dueMs(this.paused, this.alignment.recheckMs);
  }

  // ---------------------------------------------------------------- epochs (micro-batch: worker-epochs.ts)

  /** Epoch end: the batch's state is made durable and its output visible, then the coordinator may start the next. */
  private readonly endEpoch = async (epoch: number): Promise<void> => {
    await this.checkpoints?.atEpochEnd(epoch);
    this.store?.flush();
    await this.flushSinks(this.nowMs());
  };

  // ---------------------------------------------------------------- waiting, sinks, metrics

  private sinkRecords(): number {
    let total = this.sinks.deadLetterCount;
    for (const id of this.sinks.ids()) total += this.chain.counters[id].recordsIn;
    return total;
  }

  private sinksDirty(): boolean {
    return this.sinkRecords() !== this.sinkRecordsFlushed;
  }

  private async flushSinksIfDirty(): Promise<void> {
    if (this.sinksDirty()) await this.flushSinks(this.nowMs());
  }

  private async flushSinks(now: number): Promise<void> {
    const written = this.sinkRecords();
    await this.sinks.flush();
    this.latency?.atFlush();
    this.sinkRecordsFlushed = written;
    this.lastFlushMs = now;
  }

  private publishMetrics(now: number): void {
    writeWorkerMetrics(this.views.metrics, this.metricsLayout, this.me, now, {
      operators: this.chain.counters,
      blockedMs: this.exchanges.blockedMs,
      deadLetters: this.sinks.deadLetterCount,
      parks: (this.waiting?.parks ?? 0) + this.exchanges.parks,
      lastEpochCompleted: this.epochs?.lastCompleted ?? 0,
      epochsOver: !this.takesPartInEpochs,
      connectionRetries: connectionRetries() - this.connectionRetriesBefore,
      watermarks: this.chain.watermarks,
      latency: this.sinkLatency,
    });
    // Each partition's lag, from the worker that owns it (NaN: its source cannot tell).
    for (const s of this.sources?.slots ?? []) this.views.metrics[this.metricsLayout.lag(this.plan.sources.indexOf(s.node), s.partition)] = s.reader.lag?.() ?? NaN;
    this.lastMetricsMs = now;
  }

}

/** JSON for a dead letter's raw field; values JSON cannot hold are described instead. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
