import type { ControlFrame } from '../../channel/frames.ts';
import { assert } from '../../limits.ts';

const kData = 0;
const kControl = 1;
/** Entries a channel starts with room for; it doubles when full. */
const initialCapacity = 256;

/**
 * A worker's channel to itself on one exchange: the records its keyBy routes to its own worker and
 * the control frames it sends into the exchange, in the order sent — what the ring from one worker
 * to another carries, kept in the thread as a queue (exchanges.ts). With P workers a keyBy sends
 * 1/P of its records here; through a ring each paid an encode, a frame and a decode to stay where
 * it was. Records come in as copies (Codec.copy, or the trip through bytes), so a reader sees what
 * a ring would have given it.
 *
 * The queue has no room limit of its own: it counts the bytes its records would take in a ring
 * (`usedBytes`, frame header and metadata included), and the sender waits, as at a full ring,
 * while a record would take it past the ring's capacity or past localChannelRecordsMax records
 * (exchanges.ts): what waits in a thread is bounded as a ring bounds it, whatever the records'
 * size. It grows past that only by control frames, which never wait (they are few: one per round
 * at most of each kind).
 *
 * Entries in parallel arrays (no object per record), a ring buffer of a power-of-two capacity.
 * `take` makes the oldest entry current, as RingReader.next makes a frame current.
 */
export class LocalChannel {
  private kinds = new Uint8Array(initialCapacity);
  private values: unknown[] = new Array<unknown>(initialCapacity);
  private partitions = new Int32Array(initialCapacity);
  /** offset, timestampMs, createdMs, sentMs per entry. */
  private meta = new Float64Array(initialCapacity * 4);
  /** What each entry counts in usedBytes. */
  private sizes = new Int32Array(initialCapacity);
  private head = 0;
  private count = 0;
  private bytes = 0;

  /** The entry `take` made current: a record (isData) or a control frame (value). */
  isData = false;
  value: unknown = undefined;
  partition = 0;
  offset = 0;
  timestampMs = Number.NaN;
  createdMs = Number.NaN;
  sentMs = Number.NaN;

  get length(): number {
    return this.count;
  }

  /** The bytes the records held would take as frames of a ring. */
  get usedBytes(): number {
    return this.bytes;
  }

  /** A record whose frame would take `frameBytes` in a ring. */
  pushData(value: unknown, frameBytes: number, partition: number, offset: number, timestampMs: number, createdMs: number, sentMs: number): void {
    const at = this.slot();
    this.kinds[at] = kData;
    this.sizes[at] = frameBytes;
    this.bytes += frameBytes;
    this.values[at] = value;
    this.partitions[at] = partition;
    const m = at * 4;
    this.meta[m] = offset;
    this.meta[m + 1] = timestampMs;
    this.meta[m + 2] = createdMs;
    this.meta[m + 3] = sentMs;
  }

  pushControl(frame: ControlFrame): void {
    const at = this.slot();
    this.kinds[at] = kControl;
    this.sizes[at] = 0;
    this.values[at] = frame;
  }

  /** Makes the oldest entry current and removes it; false when there is none. */
  take(): boolean {
    if (this.count === 0) return false;
    const at = this.head;
    this.head = (at + 1) & (this.kinds.length - 1);
    this.count--;
    this.value = this.values[at];
    this.values[at] = undefined; // the queue keeps no record alive once taken
    this.isData = this.kinds[at] === kData;
    this.bytes -= this.sizes[at];
    if (this.isData) {
      const m = at * 4;
      this.partition = this.partitions[at];
      this.offset = this.meta[m];
      this.timestampMs = this.meta[m + 1];
      this.createdMs = this.meta[m + 2];
      this.sentMs = this.meta[m + 3];
    }
    return true;
  }

  /** The index of a new last entry (the arrays doubled first when full). */
  private slot(): number {
    if (this.count === this.kinds.length) this.grow();
    const at = (this.head + this.count) & (this.kinds.length - 1);
    this.count++;
    return at;
  }

  /** Doubles the arrays, the entries moved to start at 0 in order. */
  private grow(): void {
    const capacity = this.kinds.length;
    const kinds = new Uint8Array(capacity * 2);
    const values = new Array<unknown>(capacity * 2);
    const partitions = new Int32Array(capacity * 2);
    const meta = new Float64Array(capacity * 2 * 4);
    const sizes = new Int32Array(capacity * 2);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (capacity - 1);
      kinds[i] = this.kinds[from];
      sizes[i] = this.sizes[from];
      values[i] = this.values[from];
      partitions[i] = this.partitions[from];
      meta.set(this.meta.subarray(from * 4, from * 4 + 4), i * 4);
    }
    this.kinds = kinds;
    this.values = values;
    this.partitions = partitions;
    this.meta = meta;
    this.sizes = sizes;
    this.head = 0;
    assert((capacity * 2 & (capacity * 2 - 1)) === 0, 'a local channel keeps a power-of-two capacity');
  }
}
