import { FrameKind } from '../channel/layout.ts';
import { dataCreated, dataOffset, dataTimestamp, readControl, readData, writeControl, writeData } from '../channel/frames.ts';
import type { Codec } from '../channel/codec.ts';
import type { RingReader, RingWriter } from '../channel/ring.ts';
import { loadJob } from '../api/job.ts';
import type { LogicalNode } from '../api/graph.ts';
import { END, type SinkWriter, type SourceOutput, type SourceReader } from '../connectors/types.ts';
import { toPlainError, WeirError } from '../errors.ts';
import { assert, limits } from '../limits.ts';
import { nowMs } from '../util/clock.ts';
import { compileChain, type CompiledChain, type RecordPosition } from './chain.ts';
import { keyGroupOf, keyGroupTable } from './keys.ts';
import { kMiscDeadLetters, kMiscEpochs, kMiscParks, kMiscUpdatedAtMs, MetricsLayout } from './metrics.ts';
import { jobCodec, type ResolvedOptions } from './options.ts';
import { ownedPartitions, planJob, type Plan } from './plan.ts';
import { epochCompletedSlot, kAbort, kEpochRequested, kStop, kWorkersDone, SharedViews, type SharedBuffers, type SharedLayout } from './shared.ts';
import { openDeadLetterWriter, openSinkWriters } from './sinks.ts';

export interface WorkerTask {
  worker: number;
  jobUrl: string;
  options: ResolvedOptions;
  buffers: SharedBuffers;
  layout: SharedLayout;
}

export interface WorkerResult {
  worker: number;
  /** Each sink's result() by sink name. */
  results: Record<string, unknown>;
}

/** Entry point of a worker thread's one long-lived task: the task is the partition loop. */
export async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const views = new SharedViews(task.buffers, task.layout);
  let runtime: WorkerRuntime | undefined;
  try {
    const { definition, env } = await loadJob(task.jobUrl, task.options.params);
    const plan = planJob(env.graph, task.options.parallelism);
    runtime = new WorkerRuntime(task, plan, views, jobCodec(definition.settings));
    await runtime.open();
    await runtime.loop();
    return await runtime.finish();
  } catch (err) {
    const plain = toPlainError(err);
    plain.worker ??= task.worker;
    // Tell every other thread at once; they stop rather than wait for records that will not come.
    if (plain.code !== 'WEIR_ABORTED') views.raise(kAbort);
    await runtime?.closeQuietly();
    throw plain;
  }
}

interface SourceSlot {
  node: LogicalNode & { kind: 'source' };
  partition: number;
  reader: SourceReader<unknown>;
  output: SourceOutput<unknown>;
  ended: boolean;
}

/**
 * One worker's loop. The worker owns some source partitions and one chain instance of every
 * operator; it reads every exchange's ring from each worker (itself included) and writes one ring
 * per (exchange, target worker).
 *
 * Deadlock freedom: when a ring of exchange e is full, the worker does not just wait — it drains
 * its own input rings of exchanges ≥ e meanwhile (their processing can only write to exchanges
 * > e, by topological numbering, so the nesting is bounded by the number of exchanges). Two
 * workers blocked on each other's rings therefore keep emptying each other's rings.
 */
class WorkerRuntime {
  private readonly me: number;
  private readonly n: number;
  private readonly position: RecordPosition = { partition: -1, offset: -1 };
  private chain!: CompiledChain;
  private readonly out: RingWriter[][]; // [exchange][target]
  private readonly in: RingReader[][]; // [exchange][sender]
  private readonly codecs: Codec<unknown>[];
  private readonly exchangeNames: string[];
  private readonly sources: SourceSlot[] = [];
  private sinks = new Map<number, SinkWriter<unknown>>();
  private deadLetters!: SinkWriter<unknown>;
  private deadLetterSinkName = '';
  private readonly metricsLayout: MetricsLayout;
  private readonly blockedMs: Float64Array;
  private deadLetterCount = 0;
  private parks = 0;

  /** Per exchange and sender: has it sent end-of-stream; the newest epoch it has ended. */
  private readonly endedFrom: boolean[][];
  private readonly epochFrom: number[][];
  /** Per exchange: has this worker sent end-of-stream / the current epoch's end into it. */
  private readonly endSent: boolean[];
  private readonly epochSent: number[];

  private readonly micro: boolean;
  private epoch = 0; // micro-batch: the epoch being processed (0 = none yet)
  private epochSourcesDone = true;
  private epochRecords = 0;
  private sinkRecordsFlushed = 0;
  private lastFlushMs = 0;
  private lastMetricsMs = 0;
  private readonly keyGroupWorker: Int32Array;

  constructor(
    private readonly task: WorkerTask,
    private readonly plan: Plan,
    private readonly views: SharedViews,
    defaultCodec: Codec<unknown>,
  ) {
    this.me = task.worker;
    this.n = plan.parallelism;
    this.micro = task.options.mode === 'micro-batch';
    const exchanges = plan.exchanges.length;
    this.out = range(exchanges).map((e) => range(this.n).map((t) => views.writer(e, this.me, t)));
    this.in = range(exchanges).map((e) => range(this.n).map((s) => views.reader(e, s, this.me)));
    this.codecs = plan.exchanges.map((id) => (plan.graph.nodes[id] as LogicalNode & { kind: 'keyBy' }).codec ?? defaultCodec);
    this.exchangeNames = plan.exchanges.map((id) => plan.graph.nodes[id].name);
    this.endedFrom = range(exchanges).map(() => range(this.n).map(() => false));
    this.epochFrom = range(exchanges).map(() => range(this.n).map(() => 0));
    this.endSent = range(exchanges).map(() => false);
    this.epochSent = range(exchanges).map(() => 0);
    this.metricsLayout = new MetricsLayout(plan.graph.nodes.length, exchanges, this.n);
    this.blockedMs = new Float64Array(exchanges * this.n);
    this.keyGroupWorker = keyGroupTable(task.options.keyGroups, this.n);
  }

  async open(): Promise<void> {
    const { options } = this.task;
    const ctx = { subtask: this.me, parallelism: this.n, workDir: options.workDir, nowMs };
    this.sinks = await openSinkWriters(this.plan, ctx);
    ({ name: this.deadLetterSinkName, writer: this.deadLetters } = await openDeadLetterWriter(this.plan, ctx));
    const keyGroups = options.keyGroups;
    this.chain = compileChain(this.plan, this.position, {
      subtask: this.me,
      send: (e, target, v, ts, cr) => this.send(e, target, v, ts, cr),
      workerOfKey: (key) => this.keyGroupWorker[keyGroupOf(key, keyGroups)],
      sinkWriter: (node) => this.sinks.get(node.id)!,
    });
    this.chain.open();
    for (const node of this.plan.sources) {
      for (const partition of ownedPartitions(node.spec.partitions(), this.n, this.me)) {
        const sourceCtx = { partition, parallelism: this.n, workDir: options.workDir, startMs: options.startMs, nowMs };
        const reader = await node.spec.open(partition, sourceCtx);
        this.sources.push({ node, partition, reader, output: this.sourceOutput(node, partition), ended: false });
      }
    }
  }

  private sourceOutput(node: LogicalNode & { kind: 'source' }, partition: number): SourceOutput<unknown> {
    const deliver = this.chain.outputOf[node.id];
    const position = this.position;
    return {
      emit(value, offset, timestampMs, createdMs) {
        position.partition = partition;
        position.offset = offset;
        deliver(value, timestampMs, createdMs);
      },
      deadLetter: (raw, reason, offset) => {
        this.deadLetterCount++;
        this.deadLetters.write({ source: node.name, partition, offset, reason, raw }, NaN, nowMs());
      },
    };
  }

  // ---------------------------------------------------------------- the loop

  async loop(): Promise<void> {
    let idleRounds = 0;
    while (!this.finished()) {
      this.checkAbort();
      let progress = this.drainInputs(0);
      progress = (await this.pollSources()) || progress;
      this.propagateSignals();
      this.publishAll();
      if (this.micro) await this.maybeCompleteEpoch();
      const now = nowMs();
      if (now - this.lastMetricsMs >= limits.metricsIntervalMs) this.publishMetrics(now);
      if (progress) {
        idleRounds = 0;
        if (!this.micro && now - this.lastFlushMs >= limits.sinkFlushIntervalMs && this.sinksDirty()) await this.flushSinks(now);
        continue;
      }
      // Idle: make output visible before waiting for more input.
      if (!this.micro && this.sinksDirty()) await this.flushSinks(now);
      // Spinning only pays when another thread is about to hand us something. When the sources
      // know when their next record is due, park until then: peers' records ring the doorbell.
      const dueMs = this.sourceDueMs();
      if (dueMs === undefined && ++idleRounds < limits.spinIterationsBeforePark) continue;
      idleRounds = 0;
      this.park(dueMs ?? limits.parkTimeoutMs);
    }
  }

  private finished(): boolean {
    if (this.sources.some((s) => !s.ended)) return false;
    for (let e = 0; e < this.in.length; e++) {
      if (!this.endSent[e] || !this.allEnded(e)) return false;
    }
    return !this.micro || this.epochSourcesDone;
  }

  async finish(): Promise<WorkerResult> {
    this.chain.close();
    const results: Record<string, unknown> = {};
    for (const [id, writer] of this.sinks) {
      await writer.flush();
      await writer.close();
      results[this.plan.graph.nodes[id].name] = writer.result?.();
    }
    await this.deadLetters.flush();
    await this.deadLetters.close();
    results[this.deadLetterSinkName] = this.deadLetters.result?.();
    for (const s of this.sources) await s.reader.close();
    this.publishMetrics(nowMs());
    // A finished worker takes part in no further epoch: mark every epoch as completed by it.
    Atomics.store(this.views.control, epochCompletedSlot(this.me), 0x7fffffff);
    Atomics.add(this.views.control, kWorkersDone, 1);
    this.views.doorbells.ring(this.views.coordinatorId);
    return { worker: this.me, results };
  }

  async closeQuietly(): Promise<void> {
    for (const s of this.sources) await Promise.resolve().then(() => s.reader.close()).catch(() => {});
    for (const writer of this.sinks.values()) await Promise.resolve().then(() => writer.close()).catch(() => {});
    this.publishMetrics(nowMs());
  }

  private checkAbort(): void {
    if (this.views.flag(kAbort) !== 0) throw new WeirError('WEIR_ABORTED', `worker ${this.me} stopped: another part of the job failed`, { worker: this.me });
  }

  // ---------------------------------------------------------------- sources

  private sourceBudget(): number {
    if (!this.micro) return limits.sourceBatchRecordsMax;
    if (this.epochSourcesDone) return 0;
    return Math.min(limits.sourceBatchRecordsMax, this.task.options.microBatchRecordsMax - this.epochRecords);
  }

  private async pollSources(): Promise<boolean> {
    if (this.micro) this.maybeStartEpoch();
    const stopping = this.views.flag(kStop) !== 0;
    let progress = false;
    let allQuiet = true;
    for (const s of this.sources) {
      if (s.ended) continue;
      if (stopping) {
        s.ended = true; // stop(): read nothing more; what was read drains through
        progress = true;
        continue;
      }
      const budget = this.sourceBudget();
      if (budget <= 0) break;
      let got = s.reader.poll(budget, s.output);
      if (typeof got !== 'number') got = await got;
      if (got === END) {
        s.ended = true;
        progress = true;
      } else if (got > 0) {
        progress = true;
        allQuiet = false;
        this.epochRecords += got;
      }
    }
    if (this.micro && !this.epochSourcesDone && (allQuiet || this.epochRecords >= this.task.options.microBatchRecordsMax)) {
      // The batch is what was available at the trigger (or the record limit): its end is the epoch.
      this.epochSourcesDone = true;
      progress = true;
    }
    return progress;
  }

  /**
   * How long (ms) the sources expect to have nothing: a rate-limited generator knows exactly;
   * between micro-batches only the trigger matters. Undefined when nobody knows.
   */
  private sourceDueMs(): number | undefined {
    if (this.micro && this.epochSourcesDone && this.sources.some((s) => !s.ended)) return limits.parkTimeoutMs;
    let due: number | undefined;
    for (const s of this.sources) {
      if (s.ended) continue;
      const idle = s.reader.idleMs?.();
      if (idle === undefined) return undefined;
      due = Math.min(due ?? limits.parkTimeoutMs, Math.max(0, idle));
    }
    return due;
  }

  // ---------------------------------------------------------------- epochs (micro-batch)

  private maybeStartEpoch(): void {
    if (!this.epochSourcesDone || !this.epochComplete()) return;
    const requested = Atomics.load(this.views.control, kEpochRequested);
    if (requested > this.epoch) {
      this.epoch = requested;
      this.epochSourcesDone = this.sources.every((s) => s.ended);
      this.epochRecords = 0;
    }
  }

  /** This worker's part of the current epoch is done: sources, every exchange, every sink. */
  private epochComplete(): boolean {
    if (!this.epochSourcesDone) return false;
    for (let e = 0; e < this.in.length; e++) {
      if (this.epochSent[e] < this.epoch) return false;
      for (let s = 0; s < this.n; s++) if (!this.endedFrom[e][s] && this.epochFrom[e][s] < this.epoch) return false;
    }
    return true;
  }

  private async maybeCompleteEpoch(): Promise<void> {
    const slot = epochCompletedSlot(this.me);
    if (this.epoch === 0 || Atomics.load(this.views.control, slot) >= this.epoch || !this.epochComplete()) return;
    // Epoch end: the batch's output becomes visible at once, then the coordinator may start the next.
    await this.flushSinks(nowMs());
    Atomics.store(this.views.control, slot, this.epoch);
    this.views.doorbells.ring(this.views.coordinatorId);
  }

  // ---------------------------------------------------------------- signals

  /**
   * End-of-stream and epoch ends go into exchange e once everything upstream of it is done: this
   * worker's sources, and every earlier exchange from every sender.
   */
  private propagateSignals(): void {
    let upstreamEnded = this.sources.every((s) => s.ended);
    let upstreamEpoch = this.micro && this.epochSourcesDone ? this.epoch : this.epoch - 1;
    for (let e = 0; e < this.out.length; e++) {
      if (this.micro && upstreamEpoch > this.epochSent[e] && this.epoch > 0) {
        if (this.broadcast(e, { kind: FrameKind.EpochEnd, epoch: upstreamEpoch })) this.epochSent[e] = upstreamEpoch;
      }
      if (upstreamEnded && !this.endSent[e] && (!this.micro || this.epochSent[e] >= this.epoch)) {
        if (this.broadcast(e, { kind: FrameKind.EndOfStream, partition: this.me })) this.endSent[e] = true;
      }
      upstreamEnded = upstreamEnded && this.allEnded(e);
      let epochFromAll = this.epochSent[e];
      for (let s = 0; s < this.n; s++) if (!this.endedFrom[e][s]) epochFromAll = Math.min(epochFromAll, this.epochFrom[e][s]);
      upstreamEpoch = Math.min(upstreamEpoch, epochFromAll);
    }
  }

  private allEnded(e: number): boolean {
    return this.endedFrom[e].every(Boolean);
  }

  /** A control frame to every target of exchange e; all or nothing (retried next round if a ring is full). */
  private broadcast(e: number, frame: Parameters<typeof writeControl>[1]): boolean {
    const writers = this.out[e];
    if (!writers.every((w) => w.hasRoom(kControlFrameBytesMax))) return false;
    for (const w of writers) {
      assert(writeControl(w, frame), 'room was checked before writing a control frame');
      w.publish();
    }
    return true;
  }

  // ---------------------------------------------------------------- exchanges

  private send(e: number, target: number, value: unknown, timestampMs: number, createdMs: number): void {
    const w = this.out[e][target];
    const { partition, offset } = this.position;
    if (!writeData(w, this.codecs[e], value, partition, offset, timestampMs, createdMs, this.exchangeNames[e])) {
      this.sendBlocked(e, target, value, timestampMs, createdMs);
    } else if (w.pendingFrames >= limits.sourceBatchRecordsMax) {
      w.publish();
    }
  }

  private sendBlocked(e: number, target: number, value: unknown, timestampMs: number, createdMs: number): void {
    const w = this.out[e][target];
    const started = performance.now();
    const { partition, offset } = this.position;
    w.publish();
    while (!writeData(w, this.codecs[e], value, partition, offset, timestampMs, createdMs, this.exchangeNames[e])) {
      this.waitForRoom(e, w);
    }
    this.position.partition = partition;
    this.position.offset = offset;
    this.blockedMs[e * this.n + target] += performance.now() - started;
  }

  /**
   * Waits until half of `w` is free (a frame is at most a quarter of a ring, so it then fits even
   * after a wrap; the hysteresis also keeps wake-ups rare), doing downstream work meanwhile.
   */
  private waitForRoom(e: number, w: RingWriter): void {
    const enough = () => w.usedBytes() <= w.capacityBytes / 2;
    let spins = 0;
    while (!enough()) {
      this.checkAbort();
      if (this.drainInputs(e)) {
        this.publishAll();
        spins = 0;
        continue;
      }
      this.publishAll();
      if (++spins < limits.spinIterationsBeforePark) continue;
      spins = 0;
      this.parks++;
      this.views.doorbells.park(this.me, () => enough() || this.hasInput(e) || this.views.flag(kAbort) !== 0, limits.parkTimeoutMs);
    }
  }

  /** Processes what is waiting in the input rings of exchanges ≥ fromExchange. */
  private drainInputs(fromExchange: number): boolean {
    let progress = false;
    for (let e = fromExchange; e < this.in.length; e++) {
      const deliver = this.chain.outputOf[this.plan.exchanges[e]];
      const codec = this.codecs[e];
      for (let s = 0; s < this.n; s++) {
        const r = this.in[e][s];
        let frames = 0;
        for (let p = r.next(); p >= 0; p = frames < limits.sourceBatchRecordsMax ? r.next() : -1) {
          frames++;
          if (r.kind === FrameKind.Data) {
            this.position.partition = r.aux;
            this.position.offset = dataOffset(r, p);
            let value: unknown;
            try {
              value = readData(r, p, codec);
            } catch (cause) {
              throw new WeirError('WEIR_DECODE', `exchange "${this.exchangeNames[e]}" could not decode a record from worker ${s} (source partition ${r.aux}, offset ${this.position.offset}) with codec ${codec.name}: ${(cause as Error).message}`, {
                operator: this.exchangeNames[e],
                partition: r.aux,
                offset: this.position.offset,
                cause,
              });
            }
            deliver(value, dataTimestamp(r, p), dataCreated(r, p));
          } else if (r.kind === FrameKind.EndOfStream) {
            this.endedFrom[e][s] = true;
          } else if (r.kind === FrameKind.EpochEnd) {
            const frame = readControl(r, p);
            if (frame.kind === FrameKind.EpochEnd) this.epochFrom[e][s] = frame.epoch;
          }
          // Watermarks, barriers and latency markers are not produced yet: they arrive with event time and checkpoints.
        }
        if (frames > 0) {
          r.release();
          progress = true;
        }
      }
    }
    return progress;
  }

  private hasInput(fromExchange: number): boolean {
    for (let e = fromExchange; e < this.in.length; e++) for (const r of this.in[e]) if (r.hasData()) return true;
    return false;
  }

  private publishAll(): void {
    for (const writers of this.out) for (const w of writers) if (w.pendingFrames > 0) w.publish();
  }

  // ---------------------------------------------------------------- waiting, sinks, metrics

  private park(timeoutMs: number): void {
    if (timeoutMs <= 0) return;
    const control = this.views.control;
    const stop = Atomics.load(control, kStop);
    const epoch = Atomics.load(control, kEpochRequested);
    this.parks++;
    this.views.doorbells.park(
      this.me,
      () => this.hasInput(0) || Atomics.load(control, kStop) !== stop || Atomics.load(control, kEpochRequested) !== epoch || Atomics.load(control, kAbort) !== 0,
      timeoutMs,
    );
  }

  private sinkRecords(): number {
    let total = this.deadLetterCount;
    for (const id of this.sinks.keys()) total += this.chain.counters[id].recordsIn;
    return total;
  }

  private sinksDirty(): boolean {
    return this.sinkRecords() !== this.sinkRecordsFlushed;
  }

  private async flushSinks(now: number): Promise<void> {
    const written = this.sinkRecords();
    for (const writer of this.sinks.values()) await writer.flush();
    await this.deadLetters.flush();
    this.sinkRecordsFlushed = written;
    this.lastFlushMs = now;
  }

  private publishMetrics(now: number): void {
    const m = this.views.metrics;
    const layout = this.metricsLayout;
    const counters = this.chain.counters;
    for (let id = 0; id < counters.length; id++) {
      m[layout.recordsIn(this.me, id)] = counters[id].recordsIn;
      m[layout.recordsOut(this.me, id)] = counters[id].recordsOut;
    }
    for (let e = 0; e < this.out.length; e++) {
      for (let t = 0; t < this.n; t++) m[layout.blockedMs(this.me, e, t)] = this.blockedMs[e * this.n + t];
    }
    m[layout.misc(this.me, kMiscDeadLetters)] = this.deadLetterCount;
    m[layout.misc(this.me, kMiscParks)] = this.parks;
    m[layout.misc(this.me, kMiscEpochs)] = this.micro ? Atomics.load(this.views.control, epochCompletedSlot(this.me)) : 0;
    m[layout.misc(this.me, kMiscUpdatedAtMs)] = now;
    this.lastMetricsMs = now;
  }
}

/** Room a control frame needs at most (flatbuffers body of a few scalars, frame header, padding). */
const kControlFrameBytesMax = 128;

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
