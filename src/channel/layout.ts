/**
 * Byte layout of a channel ring in a SharedArrayBuffer.
 *
 * A ring is a header of Int32 slots followed by a data region of `capacityBytes` (a power of two):
 *
 * ```
 * byteOffset ─► ┌──────────────────────────────┐  cache line 0: written by the producer only
 *               │ head (free-running bytes)    │
 *               ├──────────────────────────────┤  cache line 1: written by the consumer only
 *               │ tail (free-running bytes)    │
 *               ├──────────────────────────────┤  cache line 2: written once by initRing()
 *               │ magic, capacity, flags       │
 *   + kRingHeaderBytes ► ┌─────────────────────┐
 *               │ data region: frames …        │  capacityBytes, 8-byte aligned frames
 *               └──────────────────────────────┘
 * ```
 *
 * head and tail live on separate 64-byte cache lines so the producer's stores to head do not
 * invalidate the line the consumer stores tail into (and vice versa): no false sharing.
 *
 * A frame is an 8-byte header followed by its payload, padded to a multiple of 8 bytes:
 *
 * ```
 * word0 (Int32) = (kind << 24) | payloadBytes     kind: FrameKind, payloadBytes < 2^24
 * word1 (Int32) = aux                              Data: source partition; control: see frames.ts
 * payload …     (payloadBytes, then zero to 7 bytes of padding up to the next 8-byte boundary)
 * ```
 *
 * The same layout is written down as a flatbuffers schema in `frames.fbs` (the frame kinds, the
 * 32-byte RecordMeta prefix of a Data frame, the control frame bodies).
 */

/** Bytes per cache line assumed for padding (x86-64 and most arm64). */
export const kCacheLineBytes = 64;

// Int32 slot indices of the ring header (index into an Int32Array starting at the ring's byteOffset).
/** Producer's published position: free-running byte counter, wraps with `|0`. Atomics.store by the producer only. */
export const kHeadField = 0;
/** Consumer's released position: free-running byte counter, wraps with `|0`. Atomics.store by the consumer only. */
export const kTailField = kCacheLineBytes / 4; // 16 → byte 64
/** Constant written by initRing() so a writer/reader attached to garbage fails loudly. */
export const kMagicField = (2 * kCacheLineBytes) / 4; // 32 → byte 128
/** Bytes in the data region (power of two). Written once by initRing(). */
export const kCapacityField = kMagicField + 1;
/** Reserved for the runtime (e.g. a "closed" bit); initRing() sets it to 0. */
export const kFlagsField = kMagicField + 2;

/** Header bytes before the data region: three cache lines. A multiple of 8 (Float64Array views) and of 64. */
export const kRingHeaderBytes = 3 * kCacheLineBytes;
/** Int32 slots in the header. */
export const kRingHeaderSlots = kRingHeaderBytes / 4;

/** "WEIR" in ASCII, little-endian. */
export const kRingMagic = 0x52494557;

/** Bytes of a frame header: word0 = (kind << 24) | payloadBytes, word1 = aux. */
export const kFrameHeaderBytes = 8;
/** Every frame starts on a multiple of this many bytes (so Float64Array indexes reach payload fields). */
export const kFrameAlignBytes = 8;
/** payloadBytes is a 24-bit field in word0. */
export const kFramePayloadBytesMask = 0xffffff;
/** Shift of the kind byte in word0. */
export const kFrameKindShift = 24;

/** Frame kinds (word0 >>> 24). Mirrors `enum FrameKind` in frames.fbs. */
export const FrameKind = {
  /** Filler up to the end of the data region; readers skip it silently. */
  Pad: 0,
  /** A record: RecordMeta (32 bytes) + codec bytes; aux = source partition. */
  Data: 1,
  Watermark: 2,
  Barrier: 3,
  EndOfStream: 4,
  // 5 is unused (frames.fbs).
  EpochEnd: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Total bytes a frame with `payloadBytes` of payload takes in the data region (header + payload + padding). */
export function frameBytes(payloadBytes: number): number {
  return (payloadBytes + kFrameHeaderBytes + 7) & ~7;
}
