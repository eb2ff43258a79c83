/**
 * The reader of one Kafka partition, inside the worker thread that owns it.
 *
 * A fetch loop runs on the worker's event loop: it long-polls the partition's leader (no consumer
 * group membership: see kafkajs-internals.ts) and appends what arrives to a bounded buffer. poll()
 * hands out what is buffered at that moment and never waits; whenReady() tells the runtime when
 * to come back. When the buffer holds limits.kafkaSourceBufferRecordsMax records or
 * limits.kafkaSourceBufferBytesMax bytes the loop stops fetching ("paused") until poll() has
 * drained it to half: a slow pipeline slows the fetching, and memory stays bounded (the buffer
 * plus one fetch) however far behind the job is.
 *
 * Positions are Kafka offsets: position() is the offset of the next record poll() will emit (the
 * first buffered one, or the next to fetch), so open(p, ctx, position) resumes exactly there.
 * Broker failures that Kafka calls retriable (a broker down, a leader moving, a timeout) stall the
 * partition: the loop refreshes metadata and retries with back-off, for up to the source's
 * retryTimeoutMs (connection-retry.ts: counted in the job's metrics, and logged), and resumes at
 * the same offset — nothing is skipped; past that it fails with WEIR_SOURCE. Anything else (offset out of range, no access)
 * fails the job with WEIR_SOURCE at the next poll().
 */
import { WeirError } from '../../errors.ts';
import { limits } from '../../limits.ts';
import type { SourceOutput, SourceReader } from '../types.ts';
import { isTransientKafkaError as isTransient, kafkaError, kafkaOutage } from './connection.ts';
import type { Outage } from '../connection-retry.ts';
import type { Decoder } from './format.ts';
import { coordinatorType, type Broker, type Cluster, type FetchedMessage, type FetchedPartition } from './kafkajs-internals.ts';

/** Header a weir Kafka sink may write with the record's creation time (epoch ms), read back by the source for end-to-end latency. */
export const createdHeader = 'weir-created-ms';

/** What a Kafka source record becomes with `envelope: true`. */
export interface KafkaRecord<T> {
  key: string | null;
  value: T;
  partition: number;
  offset: number;
  timestampMs: number;
  headers: Record<string, string>;
}

export interface ReaderSettings<T> {
  topic: string;
  partition: number;
  groupId: string | undefined;
  isolationLevel: 0 | 1;
  decode: Decoder<T>;
  /** Schema formats: fetches what decoding a fetched record set needs (writer schemas) before it is buffered. */
  prepareDecode?: (values: ReadonlyArray<Buffer | null>) => Promise<void>;
  /** How a raw value is shown in a dead letter: text formats as UTF-8, binary ones as base64. */
  rawText: (value: Buffer) => string;
  envelope: boolean;
  createdMs: ((value: T) => number) | undefined;
  /** Buffer bounds (limits.kafkaSourceBuffer*Max unless a test makes them small). */
  bufferRecordsMax: number;
  bufferBytesMax: number;
  /** Retries while the broker cannot be reached (the source's retryTimeoutMs). */
  outage: Outage;
}

export class KafkaPartitionReader<T> implements SourceReader<T> {
  /** Fetched record sets waiting for poll(): chunks of messages, consumed from `head` of the first chunk. */
  private readonly chunks: FetchedMessage[][] = [];
  private head = 0;
  private bufferedRecords = 0;
  private bufferedBytes = 0;
  /** The offset the next fetch asks for. */
  private fetchOffset: number;
  private highWatermark = -1;
  private failure: WeirError | undefined;
  private closed = false;
  private broker: Broker | undefined;
  private pausedNow = false;
  private pauses = 0;
  private peakRecords = 0;
  private peakBytes = 0;
  private wakeReady: (() => void) | undefined;
  private readyPromise: Promise<void> | undefined;
  private wakeRoom: (() => void) | undefined;
  private readonly loopDone: Promise<void>;
  private readonly where: string;

  constructor(
    private readonly cluster: Cluster,
    private readonly s: ReaderSettings<T>,
    startOffset: number,
  ) {
    this.fetchOffset = startOffset;
    this.where = `Kafka topic ${s.topic} partition ${s.partition}`;
    this.loopDone = this.fetchLoop();
  }

  // ------------------------------------------------------------------ the runtime's side

  poll(max: number, out: SourceOutput<T>): number {
    if (this.failure) throw this.failure;
    let n = 0;
    const s = this.s;
    while (n < max && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const m = chunk[this.head++];
      if (this.head === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.bufferedRecords--;
      const bytes = m.value === null ? 0 : m.value.length;
      this.bufferedBytes -= bytes;
      n++;
      const offset = Number(m.offset);
      let value: T;
      if (m.value === null) {
        value = null as T; // a tombstone: a delete for its key
      } else {
        try {
          value = s.decode(m.value);
        } catch (err) {
          out.deadLetter(s.rawText(m.value), `cannot decode the record of ${this.where} at offset ${offset}: ${(err as Error).message}`, offset);
          continue;
        }
      }
      const timestampMs = Number(m.timestamp);
      let createdMs = NaN;
      const header = m.headers[createdHeader];
      if (header !== undefined) createdMs = Number(String(header));
      else if (s.createdMs !== undefined && value !== null) createdMs = s.createdMs(value);
      if (s.envelope) {
        const record: KafkaRecord<T> = {
          key: m.key === null ? null : m.key.toString('utf8'),
          value,
          partition: s.partition,
          offset,
          timestampMs,
          headers: headersAsText(m.headers),
        };
        out.emit(record as T, offset, timestampMs, createdMs);
      } else {
        out.emit(value, offset, timestampMs, createdMs);
      }
    }
    if (this.wakeRoom !== undefined && this.hasRoom(2)) {
      const wake = this.wakeRoom;
      this.wakeRoom = undefined;
      wake();
    }
    return n;
  }

  /** Records are pushed by the fetch loop: the runtime waits on whenReady() instead of a timer. */
  idleMs(): number | undefined {
    return this.chunks.length > 0 || this.failure ? 0 : limits.parkTimeoutMs;
  }

  whenReady(): Promise<void> {
    if (this.chunks.length > 0 || this.failure || this.closed) return Promise.resolve();
    this.readyPromise ??= new Promise<void>((resolve) => (this.wakeReady = resolve));
    return this.readyPromise;
  }

  position(): number {
    return this.chunks.length > 0 ? Number(this.chunks[0][this.head].offset) : this.fetchOffset;
  }

  /** High watermark (as of the last fetch) minus position(): records in the partition not yet emitted. */
  lag(): number {
    return this.highWatermark < 0 ? 0 : Math.max(0, this.highWatermark - this.position());
  }

  /** Commits `position` (a position() of this reader) as the consumer group's offset, so lag tooling sees progress. */
  async commitPosition(position: unknown): Promise<void> {
    const { groupId, topic, partition } = this.s;
    if (groupId === undefined) return;
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
      throw new WeirError('WEIR_SOURCE', `${this.where}: cannot commit position ${JSON.stringify(position)}`, { partition });
    }
    try {
      const coordinator = await this.cluster.findGroupCoordinator({ groupId, coordinatorType: coordinatorType.group });
      // Generation −1 and no member id: a commit outside group membership (a "simple" consumer, as
      // the Java client's commitSync after assign()). Kafka refuses it while the group has live members.
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics: [{ topic, partitions: [{ partition, offset: String(position) }] }] });
    } catch (err) {
      throw kafkaError('WEIR_SOURCE', `${this.where}: cannot commit offset ${position} for group ${groupId}`, err, partition);
    }
  }

  /** For tests and metrics: whether fetching is stopped because the buffer is full, how often it was, what is buffered and the most ever buffered. */
  backpressure(): { paused: boolean; pauses: number; bufferedRecords: number; bufferedBytes: number; peakRecords: number; peakBytes: number } {
    return {
      paused: this.pausedNow,
      pauses: this.pauses,
      bufferedRecords: this.bufferedRecords,
      bufferedBytes: this.bufferedBytes,
      peakRecords: this.peakRecords,
      peakBytes: this.peakBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeRoom?.();
    this.wakeReady?.();
    await this.cluster.disconnect().catch(() => {});
    await this.loopDone;
  }

  // ------------------------------------------------------------------ the network side

  /** Room for a fetch: below the bounds, or (divisor 2) below half of them — where a paused partition resumes. */
  private hasRoom(divisor: number): boolean {
    return this.bufferedRecords < this.s.bufferRecordsMax / divisor && this.bufferedBytes < this.s.bufferBytesMax / divisor;
  }

  private async fetchLoop(): Promise<void> {
    while (!this.closed) {
      if (!this.hasRoom(1)) {
        this.pausedNow = true;
        this.pauses++;
        await new Promise<void>((resolve) => (this.wakeRoom = resolve));
        this.pausedNow = false;
        continue;
      }
      try {
        const broker = (this.broker ??= await this.leader());
        const response = await broker.fetch({
          isolationLevel: this.s.isolationLevel,
          maxWaitTime: limits.kafkaFetchWaitMs,
          minBytes: 1,
          maxBytes: limits.kafkaFetchBytesMax,
          topics: [{ topic: this.s.topic, partitions: [{ partition: this.s.partition, fetchOffset: String(this.fetchOffset), maxBytes: limits.kafkaFetchBytesMax }] }],
        });
        if (this.closed) break;
        const data = response.responses[0]?.partitions.find((p) => p.partition === this.s.partition);
        if (data !== undefined) {
          // poll() decodes synchronously: a registry that cannot be reached is retried here as an
          // outage, at the same fetch offset, before any record of the set is buffered.
          if (this.s.prepareDecode !== undefined && data.messages.length > 0) await this.s.prepareDecode(data.messages.map((m) => m.value));
          if (this.closed) break;
          this.take(data);
        }
        this.s.outage.recovered();
      } catch (err) {
        if (this.closed) break;
        if (!isTransient(err)) {
          const e = err as { type?: string };
          const hint = e?.type === 'OFFSET_OUT_OF_RANGE' ? ` (offset ${this.fetchOffset} is no longer or not yet in the partition: deleted by retention, or a position from another topic)` : '';
          this.fail(kafkaError('WEIR_SOURCE', `${this.where}: fetch at offset ${this.fetchOffset} failed${hint}`, err, this.s.partition));
          return;
        }
        // A broker down or a leader moved: find the leader again after a pause, and fetch the same offset.
        this.broker = undefined;
        const failure = await this.s.outage.retryAfter(err, (e) => kafkaError('WEIR_SOURCE', `${this.where}: fetch at offset ${this.fetchOffset} failed`, e, this.s.partition));
        if (failure) {
          this.fail(failure);
          return;
        }
        await this.cluster.refreshMetadata().catch(() => {});
      }
    }
  }

  private async leader(): Promise<Broker> {
    const leaders = this.cluster.findLeaderForPartitions(this.s.topic, [this.s.partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) {
      await this.cluster.refreshMetadata();
      throw Object.assign(new Error(`no leader known for ${this.where}`), { retriable: true });
    }
    return this.cluster.findBroker({ nodeId });
  }

  /** Appends a fetch response: records from the fetch offset on, without control records and aborted transactions. */
  private take(data: FetchedPartition): void {
    this.highWatermark = Number(data.highWatermark);
    const from = this.fetchOffset;
    let last = -1;
    const kept: FetchedMessage[] = [];
    const aborted = abortedFilter(data.abortedTransactions);
    let bytes = 0;
    for (const m of data.messages) {
      const offset = Number(m.offset);
      // A fetch returns whole record batches, which may start before the offset asked for.
      if (offset < from) continue;
      last = offset;
      const inAborted = aborted(m, offset); // sees control records too: they end a transaction
      if (m.isControlRecord || inAborted) continue;
      kept.push(m);
      if (m.value !== null) bytes += m.value.length;
    }
    if (last >= 0) this.fetchOffset = last + 1;
    if (kept.length === 0) return;
    this.chunks.push(kept);
    this.bufferedRecords += kept.length;
    this.bufferedBytes += bytes;
    this.peakRecords = Math.max(this.peakRecords, this.bufferedRecords);
    this.peakBytes = Math.max(this.peakBytes, this.bufferedBytes);
    this.signalReady();
  }

  private fail(err: WeirError): void {
    this.failure = err;
    this.signalReady();
  }

  private signalReady(): void {
    const wake = this.wakeReady;
    this.wakeReady = undefined;
    this.readyPromise = undefined;
    wake?.();
  }
}

/**
 * read_committed: records of transactions the broker lists as aborted are dropped (Kafka's
 * client-side filtering; the same rule as kafkajs's consumer). A transaction's records start at
 * its firstOffset and end at the producer's abort marker (a control record).
 */
function abortedFilter(list: FetchedPartition['abortedTransactions']): (m: FetchedMessage, offset: number) => boolean {
  if (!list || list.length === 0) return () => false;
  const pending = [...list].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  const open = new Set<string>();
  return (m, offset) => {
    while (pending.length > 0 && offset >= Number(pending[0].firstOffset)) open.add(pending.shift()!.producerId);
    const producer = m.batchContext.producerId;
    if (m.isControlRecord) {
      open.delete(producer);
      return true;
    }
    return m.batchContext.inTransaction && open.has(producer);
  };
}

function headersAsText(headers: FetchedMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  return out;
}
