/**
 * The main thread's end of the job's results sinks (connectors/results-sink.ts): it listens on
 * every subtask's channel from before the threads start, queues what arrives — at most
 * `batchesInFlight` batches per subtask, since a subtask posts no more until the consumer takes
 * some — and hands the records out through job.results(name), giving credit back to the subtask
 * as each batch is taken.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { WeirError } from '../../errors.ts';
import { kDiscard, kEndReceived, kTaken, resultsChannelName, type ResultsMessage } from '../../connectors/results-channel.ts';

interface QueuedBatch {
  records: unknown[];
  credits: Int32Array;
}

class ResultsReceiver {
  private readonly channels: BroadcastChannel[] = [];
  /** Each subtask's credit buffer of its current attempt. */
  private readonly credits: Array<Int32Array | undefined>;
  private readonly queue: QueuedBatch[] = [];
  private wake: (() => void) | undefined;
  private subscribed = false;
  private discarding = false;
  private ended: { error?: unknown } | undefined;

  constructor(
    private readonly sink: string,
    workDir: string,
    parallelism: number,
  ) {
    this.credits = new Array<Int32Array | undefined>(parallelism);
    for (let subtask = 0; subtask < parallelism; subtask++) {
      const channel = new BroadcastChannel(resultsChannelName(workDir, sink, subtask));
      channel.onmessage = (event) => this.receive(subtask, (event as { data: ResultsMessage }).data);
      this.channels.push(channel);
    }
  }

  private receive(subtask: number, message: ResultsMessage): void {
    const credits = new Int32Array(message.credits);
    if (message.type === 'open') {
      this.credits[subtask] = credits;
      if (this.discarding) release(credits, kDiscard);
    } else if (message.type === 'batch') {
      if (this.discarding) release(credits, kTaken);
      else this.queue.push({ records: message.records, credits });
    } else {
      release(credits, kEndReceived);
    }
    this.wakeConsumer();
  }

  /** The job is over (every subtask's end was received before it, see results-sink.ts close()). */
  end(error?: unknown): void {
    this.ended = { error };
    for (const channel of this.channels) channel.close();
    this.wakeConsumer();
  }

  subscribe<T>(): AsyncIterableIterator<T> {
    if (this.subscribed) throw new WeirError('WEIR_CONFIG', `job.results("${this.sink}"): the results of a sink can be read once (one consumer)`);
    this.subscribed = true;
    const receiver = this;
    async function* records(): AsyncGenerator<T> {
      try {
        for (;;) {
          const batch = receiver.queue.shift();
          if (batch) {
            release(batch.credits, kTaken);
            yield* batch.records as T[];
            continue;
          }
          if (receiver.ended) {
            if (receiver.ended.error !== undefined) throw receiver.ended.error;
            return;
          }
          await new Promise<void>((resolve) => (receiver.wake = resolve));
        }
      } finally {
        // The consumer left early (break, return, a throw in its loop): the job must not wait for it.
        if (!receiver.ended) receiver.discard();
      }
    }
    return records();
  }

  private discard(): void {
    this.discarding = true;
    for (const batch of this.queue.splice(0)) release(batch.credits, kTaken);
    for (const credits of this.credits) if (credits) release(credits, kDiscard);
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Adds 1 to a credit slot (kTaken) or sets a flag, and wakes the subtask waiting on it. */
function release(credits: Int32Array, slot: number): void {
  if (slot === kTaken) Atomics.add(credits, kTaken, 1);
  else Atomics.store(credits, slot, 1);
  Atomics.notify(credits, slot);
  if (slot === kDiscard) Atomics.notify(credits, kTaken);
}

/** The receivers of a job's results sinks, by sink name. */
export class JobResults {
  private readonly receivers = new Map<string, ResultsReceiver>();

  constructor(sinks: ReadonlyArray<{ name: string; kind: string }>, workDir: string, parallelism: number) {
    for (const sink of sinks) if (sink.kind === 'results') this.receivers.set(sink.name, new ResultsReceiver(sink.name, workDir, parallelism));
  }

  get empty(): boolean {
    return this.receivers.size === 0;
  }

  subscribe<T>(name: string): AsyncIterableIterator<T> {
    const receiver = this.receivers.get(name);
    if (!receiver) {
      const known = [...this.receivers.keys()].map((n) => `"${n}"`).join(', ');
      throw new WeirError('WEIR_CONFIG', `job.results("${name}"): the job has no resultsSink of that name (${known ? `its results sinks: ${known}` : 'it has none'})`);
    }
    return receiver.subscribe<T>();
  }

  /** Once the job is over: the iterators end after what is queued (or throw the job's error). */
  end(error?: unknown): void {
    for (const receiver of this.receivers.values()) receiver.end(error);
  }
}
