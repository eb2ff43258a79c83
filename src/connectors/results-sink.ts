/**
 * resultsSink(name): the job's records delivered to the process that runs it, as
 * `job.results(name)` (an async iterator, see runtime/job/results.ts). Bounded: each subtask keeps at
 * most one batch of its own and `batchesInFlight` batches waiting for the consumer; then it waits,
 * and with it the operators before it and their sources (backpressure), so a slow consumer slows
 * the job and memory never grows with the backlog.
 *
 * At-least-once, like the other non-transactional sinks: after a restart the records since the
 * restored checkpoint (without checkpoints: since the start) are delivered again.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import { creditSlots, kDiscard, kEndReceived, kPosted, kTaken, resultsChannelName, type ResultsMessage } from './results-channel.ts';
import type { SinkContext, SinkSpec, SinkWriter } from './types.ts';

export interface ResultsSinkOptions {
  /** Records per batch posted to the main thread (default limits.resultsBatchRecordsDefault). */
  batchRecords?: number;
  /** Batches per subtask waiting for the consumer before the subtask waits (default limits.resultsBatchesInFlightDefault). */
  batchesInFlight?: number;
}

/** How long one wait for credit lasts before the subtask looks again (the consumer may have left). */
const creditWaitSliceMs = 100;

export function resultsSink<T>(name: string, opts: ResultsSinkOptions = {}): SinkSpec<T> {
  if (typeof name !== 'string' || name === '') throw new WeirError('WEIR_CONFIG', 'resultsSink: a name is required');
  const batchRecords = opts.batchRecords ?? limits.resultsBatchRecordsDefault;
  const batchesInFlight = opts.batchesInFlight ?? limits.resultsBatchesInFlightDefault;
  if (!Number.isInteger(batchRecords) || batchRecords < 1) throw new WeirError('WEIR_CONFIG', `resultsSink "${name}": batchRecords must be an integer ≥ 1, not ${batchRecords}`);
  if (!Number.isInteger(batchesInFlight) || batchesInFlight < 1) throw new WeirError('WEIR_CONFIG', `resultsSink "${name}": batchesInFlight must be an integer ≥ 1, not ${batchesInFlight}`);
  return {
    kind: 'results',
    name,
    open: (ctx: SinkContext) => new ResultsSinkWriter<T>(name, resultsChannelName(ctx.workDir, name, ctx.subtask), batchRecords, batchesInFlight),
  };
}

class ResultsSinkWriter<T> implements SinkWriter<T> {
  private readonly channel: BroadcastChannel;
  private readonly credits = new Int32Array(new SharedArrayBuffer(creditSlots * Int32Array.BYTES_PER_ELEMENT));
  private readonly sharedCredits = this.credits.buffer as SharedArrayBuffer;
  private batch: T[] = [];
  private closed = false;

  constructor(
    private readonly name: string,
    channelName: string,
    private readonly batchRecords: number,
    private readonly batchesInFlight: number,
  ) {
    this.channel = new BroadcastChannel(channelName);
    this.post({ type: 'open', credits: this.sharedCredits });
  }

  write(value: T): void {
    this.batch.push(value);
    if (this.batch.length >= this.batchRecords) this.send();
  }

  flush(): void {
    if (this.batch.length > 0) this.send();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
      // Wait until the main thread has the end message, and so every batch before it (one
      // channel keeps its order): when the worker's task ends, job.done cannot overtake them.
      this.post({ type: 'end', credits: this.sharedCredits });
      while (Atomics.load(this.credits, kEndReceived) === 0) Atomics.wait(this.credits, kEndReceived, 0, creditWaitSliceMs);
    } finally {
      this.channel.close();
    }
  }

  /** Posts the batch once the consumer has taken enough of the earlier ones (waits here: backpressure). */
  private send(): void {
    const c = this.credits;
    for (;;) {
      if (Atomics.load(c, kDiscard) === 1) {
        this.batch = []; // the consumer left: nobody will read them
        return;
      }
      const taken = Atomics.load(c, kTaken);
      if (Atomics.load(c, kPosted) - taken < this.batchesInFlight) break;
      Atomics.wait(c, kTaken, taken, creditWaitSliceMs);
    }
    const records = this.batch;
    this.batch = [];
    try {
      this.post({ type: 'batch', credits: this.sharedCredits, records });
    } catch (err) {
      throw new WeirError('WEIR_SINK', `sink "${this.name}": a record cannot be sent to the main thread (${(err as Error).message}); results sinks take what structuredClone takes`, { operator: this.name, cause: err });
    }
    Atomics.add(c, kPosted, 1);
  }

  private post(message: ResultsMessage): void {
    this.channel.postMessage(message);
  }
}
