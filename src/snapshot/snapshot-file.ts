/**
 * The container of a state snapshot file: a magic number and a sequence of checksummed frames.
 *
 *   "WEIRSNAP" u32le(layout version = 1)
 *   frame*:    u32le(payload bytes) u32le(crc32 of payload) payload
 *
 * A payload is one msgpack value (msgpackr with its default options — the ones lmdb-js uses for
 * values — so a value comes back from a snapshot as it would from LMDB: Maps stay Maps, Dates
 * Dates, bigints bigints). The per-frame CRC lets a restore detect damage as it streams, without a
 * separate pass over the file; the checkpoint's sha256 of the whole file is checked before a
 * restore by CheckpointStore. What the frames mean is state-snapshot.ts's business.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Packr } from 'msgpackr';
import { msgpackr } from '../state/lmdb-module.ts';
import { WeirError } from '../errors.ts';
import { crc32 } from '../util/crc32.ts';

const magic = Buffer.from('WEIRSNAP', 'latin1');
const layoutVersion = 1;
const fileHeaderBytes = magic.length + 4;
const frameHeaderBytes = 8;
/** A larger length can only come from damage: refuse it before allocating. */
const framePayloadBytesMax = 256 * 1024 * 1024;
/** Frames are gathered into writes of about this size. */
const writeBufferBytes = 1 << 20;

export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/** Appends frames to a new file, computing its sha256 and size on the way; finish() fsyncs it. */
export class SnapshotFileWriter {
  private readonly packr = new (msgpackr().Packr)();
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {
    const header = Buffer.alloc(fileHeaderBytes);
    magic.copy(header, 0);
    header.writeUInt32LE(layoutVersion, magic.length);
    this.push(header);
  }

  /** Creates `path`; an existing file is an error (a snapshot is written once). */
  static async create(path: string): Promise<SnapshotFileWriter> {
    try {
      return new SnapshotFileWriter(path, await open(path, 'wx'));
    } catch (cause) {
      throw new WeirError('WEIR_STATE', `cannot create the state snapshot ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  /** Encodes `payload` now (later changes to it are not seen) and queues it. */
  async writeFrame(payload: unknown): Promise<void> {
    this.push(encodeFrame(this.packr, payload));
    if (this.pendingBytes >= writeBufferBytes) await this.drain();
  }

  /** Queues an already encoded frame (see encodeFrame). */
  async writeEncodedFrame(frame: Buffer): Promise<void> {
    this.push(frame);
    if (this.pendingBytes >= writeBufferBytes) await this.drain();
  }

  /** Writes what is queued, fsyncs and closes the file. */
  async finish(): Promise<WrittenFile> {
    try {
      await this.drain();
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    return { bytes: this.written, sha256: this.hash.digest('hex') };
  }

  /** Closes the file after a failure; the caller removes it (or its directory). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  private push(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.hash.update(data);
  }

  private async drain(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.handle.write(data, 0, data.length, null);
    } catch (cause) {
      throw new WeirError('WEIR_STATE', `cannot write the state snapshot ${this.path}: ${(cause as Error).message}`, { cause });
    }
    this.written += data.length;
  }
}

/** A frame's bytes (header and msgpack payload), for a caller that encodes at one moment and writes later. */
export function encodeFrame(packr: Packr, payload: unknown): Buffer {
  const body = packr.pack(payload);
  if (body.length > framePayloadBytesMax) {
    throw new WeirError('WEIR_STATE', `a state snapshot frame of ${body.length} bytes is larger than ${framePayloadBytesMax} (a single value that large?)`);
  }
  const frame = Buffer.allocUnsafe(frameHeaderBytes + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, frameHeaderBytes);
  return frame;
}

/**
 * The payloads of a snapshot file, in order. Throws WEIR_STATE naming the file and the byte
 * offset when the file is not a snapshot, a frame is damaged, or the file ends inside a frame.
 * (Whether the file ends where it should is for the reader of the frames to tell: state-snapshot.ts
 * writes an end frame.)
 */
export async function* readSnapshotFrames(path: string): AsyncGenerator<unknown> {
  // Copies byte-array values out of the read buffer, as lmdb-js does, so a value never pins a 1 MiB chunk.
  const unpackr = new (msgpackr().Unpackr)({ copyBuffers: true });
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new WeirError('WEIR_STATE', `cannot open the state snapshot ${path}: ${(cause as Error).message}`, { cause });
  }
  const damaged = (offset: number, what: string) => new WeirError('WEIR_STATE', `state snapshot ${path} is damaged at byte ${offset}: ${what}`);
  try {
    const reader = new ChunkReader(handle);
    const header = await reader.read(fileHeaderBytes);
    if (header.length < fileHeaderBytes || !header.subarray(0, magic.length).equals(magic)) {
      throw new WeirError('WEIR_STATE', `${path} is not a weir state snapshot (bad magic number)`);
    }
    const version = header.readUInt32LE(magic.length);
    if (version !== layoutVersion) throw new WeirError('WEIR_STATE', `state snapshot ${path} has layout version ${version}; this version of weir reads ${layoutVersion}`);
    for (;;) {
      const offset = reader.offset;
      const frameHeader = await reader.read(frameHeaderBytes);
      if (frameHeader.length === 0) return;
      if (frameHeader.length < frameHeaderBytes) throw damaged(offset, 'the file ends inside a frame header (truncated)');
      const length = frameHeader.readUInt32LE(0);
      if (length > framePayloadBytesMax) throw damaged(offset, `impossible frame length ${length}`);
      const body = await reader.read(length);
      if (body.length < length) throw damaged(offset, `the file ends inside a frame (${body.length} of ${length} bytes; truncated)`);
      if (crc32(body) !== frameHeader.readUInt32LE(4)) throw damaged(offset, 'frame checksum mismatch');
      let payload: unknown;
      try {
        payload = unpackr.unpack(body);
      } catch (cause) {
        throw damaged(offset, `undecodable frame: ${(cause as Error).message}`);
      }
      yield payload;
    }
  } finally {
    await handle.close();
  }
}

/** Reads a file front to back in large chunks, handing out byte ranges of any length. */
class ChunkReader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private eof = false;
  offset = 0;

  constructor(private readonly handle: FileHandle) {}

  /** The next `length` bytes, or fewer when the file ends first. */
  async read(length: number): Promise<Buffer> {
    while (this.buffer.length - this.start < length && !this.eof) {
      const chunk = Buffer.allocUnsafe(Math.max(writeBufferBytes, length));
      const { bytesRead } = await this.handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) this.eof = true;
      this.buffer = Buffer.concat([this.buffer.subarray(this.start), chunk.subarray(0, bytesRead)]);
      this.start = 0;
    }
    const end = Math.min(this.buffer.length, this.start + length);
    const out = this.buffer.subarray(this.start, end);
    this.start = end;
    this.offset += out.length;
    return out;
  }
}
