import { internalError, WeirError } from '../errors.ts';
import { assert, limits } from '../limits.ts';
import type { Doorbells } from './doorbell.ts';
import {
  FrameKind,
  kCapacityField,
  kFlagsField,
  kFrameHeaderBytes,
  kFramePayloadBytesMask,
  kHeadField,
  kMagicField,
  kRingHeaderBytes,
  kRingHeaderSlots,
  kRingMagic,
  kTailField,
} from './layout.ts';

/**
 * Single-producer/single-consumer ring of variable-length frames in a SharedArrayBuffer region.
 *
 * head (producer) and tail (consumer) are free-running byte counters kept in Int32 slots: they
 * wrap at 2^32 with `|0` arithmetic, and `(head - tail) | 0` is the number of bytes in the ring
 * (0 ≤ used ≤ capacity ≤ 2^28, so the difference never overflows an Int32). A byte counter maps to
 * the data region with `& (capacity - 1)`.
 *
 * Memory ordering. The producer writes frame headers and payloads with plain stores, then makes a
 * batch visible with ONE `Atomics.store(head)`. The consumer reads `Atomics.load(head)` and then
 * reads frames below that head with plain loads. This is safe under the ECMAScript memory model:
 * a sequentially consistent Atomics.store that is read by a sequentially consistent Atomics.load
 * in another agent "synchronizes-with" it, and the plain writes the producer made before its
 * store are "happens-before" the plain reads the consumer makes after its load (program order on
 * both sides + synchronizes-with). So every byte below the loaded head is the byte the producer
 * wrote (no torn or stale reads — those are only possible for data races, and there is none: the
 * producer does not touch [tail, head) and the consumer does not touch [head, tail + capacity)).
 * Symmetrically, the consumer's plain reads of a frame happen-before its `Atomics.store(tail)`, and
 * the producer only reuses those bytes after an `Atomics.load(tail)` that sees that store, so the
 * producer never overwrites bytes the consumer may still read. On x86 every Atomics.store is a
 * locked/fenced store and every Atomics.load a plain load; on arm64 they are stlr/ldar.
 *
 * Cost: per frame, the producer does plain arithmetic and two Int32 stores for the header; it reads
 * tail (Atomics.load) only when its cached copy says the ring is full, and writes head
 * (Atomics.store) once per publish() (a batch). The consumer reads head (Atomics.load) only when it
 * has consumed everything its cached copy allowed, and writes tail once per release().
 */

/** Bytes of header + data region for a ring of `capacityBytes`. */
export function ringByteLength(capacityBytes: number): number {
  assertCapacity(capacityBytes);
  return kRingHeaderBytes + capacityBytes;
}

/** Writes an empty ring header (head = tail = 0) at byteOffset. Do this once, before any writer/reader attaches. */
export function initRing(sab: SharedArrayBuffer, byteOffset: number, capacityBytes: number): void {
  assertCapacity(capacityBytes);
  assertRegion(sab, byteOffset, capacityBytes);
  const hdr = new Int32Array(sab, byteOffset, kRingHeaderSlots);
  Atomics.store(hdr, kHeadField, 0);
  Atomics.store(hdr, kTailField, 0);
  Atomics.store(hdr, kCapacityField, capacityBytes);
  Atomics.store(hdr, kFlagsField, 0);
  Atomics.store(hdr, kMagicField, kRingMagic);
}

function assertCapacity(capacityBytes: number): void {
  assert(
    Number.isInteger(capacityBytes) &&
      capacityBytes >= limits.ringCapacityBytesMin &&
      capacityBytes <= limits.ringCapacityBytesMax &&
      (capacityBytes & (capacityBytes - 1)) === 0,
    `ring capacity must be a power of two in [${limits.ringCapacityBytesMin}, ${limits.ringCapacityBytesMax}] bytes, got ${capacityBytes}`,
  );
}

function assertRegion(sab: SharedArrayBuffer, byteOffset: number, capacityBytes: number): void {
  assert(byteOffset % 8 === 0, `ring byteOffset must be a multiple of 8, got ${byteOffset}`);
  assert(
    byteOffset + kRingHeaderBytes + capacityBytes <= sab.byteLength,
    `ring at byteOffset ${byteOffset} with ${capacityBytes} bytes does not fit in a SharedArrayBuffer of ${sab.byteLength} bytes`,
  );
}

/** Reads and checks the header written by initRing(); returns the capacity. */
function attach(sab: SharedArrayBuffer, byteOffset: number): Int32Array {
  assert(byteOffset % 8 === 0, `ring byteOffset must be a multiple of 8, got ${byteOffset}`);
  const hdr = new Int32Array(sab, byteOffset, kRingHeaderSlots);
  assert(Atomics.load(hdr, kMagicField) === kRingMagic, `no ring at byteOffset ${byteOffset} (initRing() not called?)`);
  const capacityBytes = Atomics.load(hdr, kCapacityField);
  assertCapacity(capacityBytes);
  assertRegion(sab, byteOffset, capacityBytes);
  return hdr;
}

/**
 * Bytes in the ring at byteOffset right now (published and not released), read from the shared
 * header alone: for metrics on a thread that is neither the writer nor the reader.
 */
export function ringUsedBytes(sab: SharedArrayBuffer, byteOffset: number): number {
  const hdr = new Int32Array(sab, byteOffset, kRingHeaderSlots);
  return (Atomics.load(hdr, kHeadField) - Atomics.load(hdr, kTailField)) | 0;
}

/** Largest payload a frame may carry in a ring of this capacity. */
export function maxPayloadBytesFor(capacityBytes: number): number {
  // capacity / 4 − frame header; also bounded by the 24-bit payloadBytes field of word0 (matters
  // only for rings above 64 MiB). Both bounds are multiples of 8.
  return Math.min(capacityBytes / limits.frameFractionOfRingMax - kFrameHeaderBytes, (kFramePayloadBytesMask + 1) - kFrameHeaderBytes);
}

const kPad = FrameKind.Pad;

/**
 * What both ends of a ring share: views over its data region, its header, and the doorbells of
 * the two threads (readerId parks when the ring is empty, writerId when it is full).
 */
abstract class RingEnd {
  /** Views over the DATA region (payload offsets index into these; f64 index = offset / 8). */
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly capacityBytes: number;
  readonly readerId: number;
  readonly writerId: number;
  protected readonly hdr: Int32Array;
  protected readonly doorbells: Doorbells;
  protected readonly mask: number;

  constructor(sab: SharedArrayBuffer, byteOffset: number, doorbells: Doorbells, readerId: number, writerId: number) {
    this.hdr = attach(sab, byteOffset);
    const capacityBytes = this.hdr[kCapacityField]!;
    const dataOffset = byteOffset + kRingHeaderBytes;
    this.u8 = new Uint8Array(sab, dataOffset, capacityBytes);
    this.dv = new DataView(sab, dataOffset, capacityBytes);
    this.f64 = new Float64Array(sab, dataOffset, capacityBytes / 8);
    this.i32 = new Int32Array(sab, dataOffset, capacityBytes / 4);
    this.capacityBytes = capacityBytes;
    this.mask = capacityBytes - 1;
    this.doorbells = doorbells;
    assert(readerId >= 0 && readerId < doorbells.count && writerId >= 0 && writerId < doorbells.count, 'ring reader/writer ids must name doorbells');
    this.readerId = readerId;
    this.writerId = writerId;
  }
}

export class RingWriter extends RingEnd {
  readonly maxPayloadBytes: number;
  /** Local head: end of the last committed frame (free-running). */
  private head: number;
  /** Head as last published with Atomics.store. */
  private publishedHead: number;
  /** Tail as last read with Atomics.load; the real tail is ≥ this (the consumer only moves forward). */
  private cachedTail: number;
  /** Payload offset (in the data region) of the current reservation, −1 if none. */
  private resPos = -1;
  private resBytes = 0;
  private pending = 0;
  private blocked = 0;

  constructor(sab: SharedArrayBuffer, byteOffset: number, doorbells: Doorbells, readerId: number, writerId: number) {
    super(sab, byteOffset, doorbells, readerId, writerId);
    this.maxPayloadBytes = maxPayloadBytesFor(this.capacityBytes);
    this.head = this.publishedHead = Atomics.load(this.hdr, kHeadField);
    this.cachedTail = Atomics.load(this.hdr, kTailField);
  }

  /**
   * Reserves a frame with ≥ minPayloadBytes contiguous payload bytes. Returns the payload's byte
   * offset (8-aligned) in u8, or −1 if there is no room now. A reservation that is not committed is
   * simply dropped by the next reserve(). If the frame does not fit before the end of the data
   * region, a Pad frame fills the rest first (readers skip it).
   *
   * When there is no room and frames are pending, they are published first: the consumer can only
   * make room by reading them, so waiting on a full ring with unpublished frames would deadlock.
   *
   * Throws WeirError('WEIR_RECORD_TOO_LARGE') when minPayloadBytes > maxPayloadBytes.
   */
  reserve(minPayloadBytes: number): number {
    if (!(minPayloadBytes <= this.maxPayloadBytes && minPayloadBytes >= 0)) this.tooLarge(minPayloadBytes);
    const cap = this.capacityBytes;
    const need = (minPayloadBytes + 15) & ~7; // header + payload rounded up to 8
    let head = this.head;
    let pos = head & this.mask;
    let toEnd = cap - pos;
    let free = cap - ((head - this.cachedTail) | 0);
    if (toEnd >= need) {
      if (free < need) {
        free = cap - ((head - this.refreshTail()) | 0);
        if (free < need) return this.full(minPayloadBytes);
      }
    } else {
      // Wrap: a Pad frame fills [pos, end), the frame starts at 0. Both must fit.
      if (free < toEnd + need) {
        free = cap - ((head - this.refreshTail()) | 0);
        if (free < toEnd + need) return this.full(minPayloadBytes);
      }
      const w = pos >> 2;
      this.i32[w] = (kPad << 24) | (toEnd - kFrameHeaderBytes);
      this.i32[w + 1] = 0;
      head = this.head = (head + toEnd) | 0;
      free -= toEnd;
      pos = 0;
      toEnd = cap;
    }
    let room = (toEnd < free ? toEnd : free) - kFrameHeaderBytes;
    if (room > this.maxPayloadBytes) room = this.maxPayloadBytes;
    this.resBytes = room;
    return (this.resPos = pos + kFrameHeaderBytes);
  }

  /** After a successful reserve: contiguous payload bytes usable at the returned offset (≥ minPayloadBytes; ≤ maxPayloadBytes). */
  get reservedBytes(): number {
    return this.resBytes;
  }

  /** Completes the reserved frame (writes its header). Not visible to the reader until publish(). */
  commit(kind: number, aux: number, payloadBytes: number): void {
    const p = this.resPos;
    if (p < 0 || !(payloadBytes >= 0 && payloadBytes <= this.resBytes) || (kind & ~0xff) !== 0) {
      throw internalError(`commit(kind ${kind}, ${payloadBytes} bytes) without a reservation of that size (reserved ${p < 0 ? 'none' : this.resBytes}) or with a kind outside 0…255`);
    }
    const w = (p - kFrameHeaderBytes) >> 2;
    this.i32[w] = (kind << 24) | payloadBytes;
    this.i32[w + 1] = aux;
    this.head = (this.head + ((payloadBytes + 15) & ~7)) | 0;
    this.resPos = -1;
    this.pending++;
  }

  /** Makes committed frames visible: Atomics.store(head), then doorbells.ring(readerId). Cheap when nothing is pending. */
  publish(): void {
    const head = this.head;
    if (head !== this.publishedHead) {
      // Release: every plain write of the frames below `head` happens-before a reader's
      // Atomics.load(head) that returns this value (see the comment at the top).
      Atomics.store(this.hdr, kHeadField, head);
      this.publishedHead = head;
      this.pending = 0;
      this.doorbells.ring(this.readerId);
    }
  }

  /**
   * Payload bytes the most recent reserve() that returned −1 asked for. A producer that got −1 (or
   * false from writeData/writeControl) can park with `ready = () => w.hasRoom(w.blockedBytes)`.
   */
  get blockedBytes(): number {
    return this.blocked;
  }

  /** Committed frames not yet published. */
  get pendingFrames(): number {
    return this.pending;
  }

  /** Would reserve(minPayloadBytes) succeed now? Reads tail atomically (usable as a Doorbells.park readiness check). */
  hasRoom(minPayloadBytes: number): boolean {
    if (minPayloadBytes > this.maxPayloadBytes) return false;
    const cap = this.capacityBytes;
    const need = (minPayloadBytes + 15) & ~7;
    const head = this.head;
    const toEnd = cap - (head & this.mask);
    const free = cap - ((head - this.refreshTail()) | 0);
    return toEnd >= need ? free >= need : free >= toEnd + need;
  }

  /** Bytes committed (published or not) and not yet released by the reader. */
  usedBytes(): number {
    return (this.head - Atomics.load(this.hdr, kTailField)) | 0;
  }

  private refreshTail(): number {
    // Acquire: the reader's reads of the bytes below this tail happen-before this load.
    return (this.cachedTail = Atomics.load(this.hdr, kTailField));
  }

  private full(minPayloadBytes: number): number {
    this.resPos = -1;
    this.blocked = minPayloadBytes;
    if (this.head !== this.publishedHead) this.publish();
    return -1;
  }

  private tooLarge(minPayloadBytes: number): never {
    if (!(minPayloadBytes >= 0)) throw internalError(`reserve(${minPayloadBytes}): payload size must be ≥ 0`);
    throw new WeirError(
      'WEIR_RECORD_TOO_LARGE',
      `a frame of ${minPayloadBytes} payload bytes does not fit in a ring of ${this.capacityBytes} bytes (at most ${this.maxPayloadBytes} payload bytes per frame, 1/${limits.frameFractionOfRingMax} of the ring)`,
    );
  }
}

export class RingReader extends RingEnd {

  /** Set by next(): the current frame's kind, aux word and payload size. */
  kind = 0;
  aux = 0;
  payloadBytes = 0;

  /** Read position: start of the next frame to read (free-running). */
  private pos: number;
  /** Head as last read with Atomics.load. */
  private cachedHead: number;
  /** Tail as last stored with Atomics.store. */
  private releasedTail: number;

  constructor(sab: SharedArrayBuffer, byteOffset: number, doorbells: Doorbells, readerId: number, writerId: number) {
    super(sab, byteOffset, doorbells, readerId, writerId);
    this.pos = this.releasedTail = Atomics.load(this.hdr, kTailField);
    this.cachedHead = Atomics.load(this.hdr, kHeadField);
  }

  /**
   * Moves to the next published frame; returns its payload byte offset, or −1 if none. Sets
   * kind/aux/payloadBytes. Pad frames are skipped. Reads the published head with Atomics.load only
   * when its cached head is exhausted.
   */
  next(): number {
    let pos = this.pos;
    for (;;) {
      if (pos === this.cachedHead) {
        // Acquire: the writer's plain writes below this head happen-before our plain reads.
        const head = Atomics.load(this.hdr, kHeadField);
        if (head === pos) {
          this.pos = pos;
          return -1;
        }
        this.cachedHead = head;
      }
      const at = pos & this.mask;
      const w = at >> 2;
      const word0 = this.i32[w]!;
      const len = word0 & kFramePayloadBytesMask;
      if (at + kFrameHeaderBytes + len > this.capacityBytes) this.corrupt(at, word0);
      pos = (pos + ((len + 15) & ~7)) | 0;
      const kind = word0 >>> 24;
      if (kind !== kPad) {
        this.pos = pos;
        this.kind = kind;
        this.aux = this.i32[w + 1]!;
        this.payloadBytes = len;
        return at + kFrameHeaderBytes;
      }
    }
  }

  /**
   * Returns all frames read so far to the writer: Atomics.store(tail), then doorbells.ring(writerId).
   * Data of frames read before release() stays valid until release(). Cheap when nothing was read.
   */
  release(): void {
    const pos = this.pos;
    if (pos !== this.releasedTail) {
      // Release: our plain reads of the frames below `pos` happen-before the writer's
      // Atomics.load(tail) that returns this value, so it cannot overwrite them under us.
      Atomics.store(this.hdr, kTailField, pos);
      this.releasedTail = pos;
      this.doorbells.ring(this.writerId);
    }
  }

  /** A published, unread (non-Pad) frame exists. Reads head atomically when needed (usable as a Doorbells.park readiness check). */
  hasData(): boolean {
    let pos = this.pos;
    for (;;) {
      if (pos === this.cachedHead) {
        const head = Atomics.load(this.hdr, kHeadField);
        if (head === pos) return false;
        this.cachedHead = head;
      }
      const at = pos & this.mask;
      const word0 = this.i32[at >> 2]!;
      if (word0 >>> 24 !== kPad) return true;
      // Skip the Pad frame now so a Pad-only ring does not look non-empty.
      const len = word0 & kFramePayloadBytesMask;
      if (at + kFrameHeaderBytes + len > this.capacityBytes) this.corrupt(at, word0);
      pos = this.pos = (pos + ((len + 15) & ~7)) | 0;
    }
  }

  /** Bytes published by the writer and not yet released by this reader (for occupancy metrics). */
  usedBytes(): number {
    return (Atomics.load(this.hdr, kHeadField) - this.releasedTail) | 0;
  }

  private corrupt(at: number, word0: number): never {
    throw new WeirError(
      'WEIR_DECODE',
      `corrupt ring: frame at data offset ${at} (word0 0x${(word0 >>> 0).toString(16)}) runs past the end of the ${this.capacityBytes}-byte data region`,
    );
  }
}
