/**
 * The sending side of a pre-aggregated exchange (time/pre-aggregation.ts): per pane and key, one
 * partial aggregate of the records this worker sends that way, sent as one record when it must.
 *
 * The results are those of sending every record as itself. What that takes: the window operator
 * must never find a partial late, since the records folded into it could not go to the late-data
 * output. So:
 *  - A record is folded in only if none of its windows can have fired downstream: its pane's first
 *    firing is after the last watermark this worker passed into the exchange. The exchange's
 *    watermark downstream is the minimum over its senders, so it is at most that one. Any other
 *    record (behind this worker's watermark, or without a timestamp) goes as itself.
 *  - Before a watermark is passed on, the partials of every pane whose first firing it reaches are
 *    sent: in ring order they arrive before it.
 *  - Before an epoch end, a barrier or an end of stream goes into the exchange, everything is sent
 *    (flushAll, called by the worker loop): a snapshot never misses a record held here, and an
 *    epoch's records stay in that epoch.
 *  - An idle sender is left out of the downstream minimum, which can then move past this worker's
 *    watermark for good. So everything is sent when this worker goes idle, and from then on its
 *    records go as themselves.
 * Keys other than strings and finite numbers also go as themselves (partials are found by key in
 * a Map, and must come back from the exchange, as JSON gives it back, as the same key).
 */
import type { JobGraph, LogicalNode } from '../../api/graph.ts';
import { notCopied, type Codec } from '../../channel/codec.ts';
import { objectCodec } from '../../channel/object-codec.ts';
import { limits } from '../../limits.ts';
import type { PreAggregation } from '../../time/pre-aggregation.ts';

/** The operator whose records keyBy `node` pre-aggregates: its only reader, when that allows it. */
export function preAggregatingReader(graph: JobGraph, node: LogicalNode): (LogicalNode & { kind: 'process' }) | undefined {
  if (node.kind !== 'keyBy') return undefined;
  const readers = graph.consumersOf(node.id);
  const reader = readers.length === 1 ? readers[0] : undefined;
  return reader?.kind === 'process' && reader.preAggregation !== undefined ? reader : undefined;
}

/** What crosses a pre-aggregated exchange: a partial aggregate of `n` records of key `k`… */
export interface PartialAggregate {
  k: string | number;
  a: unknown;
  n: number;
}

/** …or one record as itself. */
export interface WholeRecord {
  r: unknown;
}

export type PreAggregatedWire = PartialAggregate | WholeRecord;

export function isWholeRecord(wire: PreAggregatedWire): wire is WholeRecord {
  return (wire as WholeRecord).r !== undefined;
}

/** Sends one record into the exchange, to the worker of `key`, at the source position given. */
export type SendToKey = (key: unknown, wire: PreAggregatedWire, timestampMs: number, createdMs: number, partition: number, offset: number) => void;

interface HeldPartial {
  key: string | number;
  accumulator: unknown;
  records: number;
  /** The newest event time and creation time (NaN: none) among its records, and the last one's source position. */
  timestampMs: number;
  createdMs: number;
  partition: number;
  offset: number;
}

interface Pane {
  startMs: number;
  firstFiringMs: number;
  partials: Map<string | number, HeldPartial>;
}

export class PreAggregator {
  private readonly panes = new Map<number, Pane>();
  /** The pane of the last record: most records fall in the newest pane. */
  private lastPane: Pane | undefined;
  private partialCount = 0;
  /** The last watermark passed into the exchange. */
  private watermarkMs = Number.NEGATIVE_INFINITY;
  /** False once this worker has been idle on the exchange (see the file comment). */
  private folding = true;

  constructor(
    private readonly spec: PreAggregation,
    private readonly send: SendToKey,
  ) {}

  /** A record for the exchange. Throws what the aggregate's `add` throws, having kept nothing of the record. */
  add(key: unknown, value: unknown, timestampMs: number, createdMs: number, partition: number, offset: number): void {
    if (!this.folding || !(typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) || !Number.isFinite(timestampMs)) {
      return this.send(key, { r: value }, timestampMs, createdMs, partition, offset);
    }
    const pane = this.paneOf(timestampMs);
    if (pane === undefined) return this.send(key, { r: value }, timestampMs, createdMs, partition, offset);
    const partial = pane.partials.get(key);
    if (partial === undefined) {
      const accumulator = this.spec.add(undefined, value);
      pane.partials.set(key, { key, accumulator, records: 1, timestampMs, createdMs, partition, offset });
      if (++this.partialCount >= limits.preAggregationPartialsMax) this.flushAll();
      return;
    }
    partial.accumulator = this.spec.add(partial.accumulator, value);
    partial.records++;
    if (timestampMs > partial.timestampMs) partial.timestampMs = timestampMs;
    if (createdMs > partial.createdMs || Number.isNaN(partial.createdMs)) partial.createdMs = createdMs;
    partial.partition = partition;
    partial.offset = offset;
  }

  /** The watermark (or idleness) about to be passed into the exchange: first what must precede it. */
  onWatermark(watermarkMs: number, idle: boolean): void {
    if (idle) {
      this.flushAll();
      this.folding = false;
      return;
    }
    if (watermarkMs > this.watermarkMs) this.watermarkMs = watermarkMs;
    for (const pane of this.panes.values()) if (pane.firstFiringMs <= this.watermarkMs) this.flushPane(pane);
  }

  /** Sends every partial (before an epoch end, a barrier, an end of stream). */
  flushAll(): void {
    for (const pane of this.panes.values()) this.flushPane(pane);
  }

  /** The pane a record at `timestampMs` is folded into; undefined when one of its windows may have fired downstream. */
  private paneOf(timestampMs: number): Pane | undefined {
    const startMs = this.spec.paneOf(timestampMs);
    const last = this.lastPane;
    if (last !== undefined && last.startMs === startMs) return last;
    let pane = this.panes.get(startMs);
    if (pane === undefined) {
      const firstFiringMs = this.spec.firstFiringMs(startMs);
      if (firstFiringMs <= this.watermarkMs) return undefined;
      pane = { startMs, firstFiringMs, partials: new Map() };
      this.panes.set(startMs, pane);
    }
    this.lastPane = pane;
    return pane;
  }

  private flushPane(pane: Pane): void {
    // Taken out first: sending may wait for room and process other input meanwhile (never this
    // exchange's: it only reads exchanges downstream of this one).
    this.panes.delete(pane.startMs);
    if (this.lastPane === pane) this.lastPane = undefined;
    this.partialCount -= pane.partials.size;
    for (const p of pane.partials.values()) this.send(p.key, { k: p.key, a: p.accumulator, n: p.records }, p.timestampMs, p.createdMs, p.partition, p.offset);
  }
}

const wrapWhole = (r: unknown): WholeRecord | typeof notCopied => (r === notCopied ? notCopied : { r });

const kWhole = 0;
const kPartial = 1;

/**
 * The exchange's codec for the wire: a tag byte, then a whole record in the exchange's own codec
 * (the job's or the keyBy's) or a partial in objectCodec (accumulators are plain data, as state
 * is: a count or a sum and the key go in binary, anything else as the JSON it was sent as before).
 */
export function preAggregatedCodec(records: Codec<unknown>): Codec<PreAggregatedWire> {
  const partials = objectCodec();
  const tagged = (tag: number, codec: Codec<unknown>, value: unknown, u8: Uint8Array, dv: DataView, offset: number, maxBytes: number, recordBytesMax: number | undefined): number => {
    const written = codec.encode(value, u8, dv, offset + 1, Math.max(0, maxBytes - 1), recordBytesMax === undefined ? undefined : recordBytesMax - 1);
    if (written < 0) return written - 1;
    if (written + 1 > maxBytes) return -(written + 1);
    u8[offset] = tag;
    return written + 1;
  };
  return {
    name: `pre-aggregated(${records.name})`,
    encode: (wire, u8, dv, offset, maxBytes, recordBytesMax) =>
      isWholeRecord(wire) ? tagged(kWhole, records, wire.r, u8, dv, offset, maxBytes, recordBytesMax) : tagged(kPartial, partials, wire, u8, dv, offset, maxBytes, recordBytesMax),
    decode: (u8, dv, offset, length) => (u8[offset] === kWhole ? { r: records.decode(u8, dv, offset + 1, length - 1) } : (partials.decode(u8, dv, offset + 1, length - 1) as PartialAggregate)),
    copy: (wire, recordBytesMax, size) => {
      let copy: PreAggregatedWire | typeof notCopied;
      if (!isWholeRecord(wire)) copy = partials.copy!(wire, recordBytesMax - 1, size) as PartialAggregate | typeof notCopied;
      else if (records.copy === undefined) return notCopied;
      else copy = wrapWhole(records.copy(wire.r, recordBytesMax - 1, size));
      size.bytes++; // the tag
      return copy;
    },
  };
}
