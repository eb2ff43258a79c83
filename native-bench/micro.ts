// Micro-benchmarks of weir's primitives with tinybench. Each task does `ops` operations per call
// (a single nanosecond-scale operation is below the timer's resolution), and figures are per
// operation. Run: node bin/run-ts.mjs native-bench/micro.ts  (also a section of `npm run bench`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import * as hdr from 'hdr-histogram-js';
import { open } from 'lmdb';
import { Bench } from 'tinybench';
import { flatbuffersCodec, jsonCodec, structCodec, type Codec } from '../src/channel/codec.ts';
import { Doorbells } from '../src/channel/doorbell.ts';
import { readData, writeData } from '../src/channel/frames.ts';
import { FrameKind } from '../src/channel/layout.ts';
import { objectCodec } from '../src/channel/object-codec.ts';
import { initRing, ringByteLength, RingReader, RingWriter } from '../src/channel/ring.ts';

export interface MicroFigure {
  name: string;
  opsPerSec: number;
  meanNs: number;
  samples: number;
}

interface Rec {
  key: number;
  seq: number;
  value: number;
  ts: number;
}
const record: Rec = { key: 42, seq: 1, value: 3.5, ts: 1.7e12 };

/** A flatbuffers table { key: uint; seq: double; value: double; ts: double } built and read by hand. */
function buildRec(b: flatbuffers.Builder, r: Rec): number {
  b.startObject(4);
  b.addFieldFloat64(1, r.seq, 0);
  b.addFieldFloat64(2, r.value, 0);
  b.addFieldFloat64(3, r.ts, 0);
  b.addFieldInt32(0, r.key, 0);
  return b.endObject();
}
function readRec(bb: flatbuffers.ByteBuffer): Rec {
  const root = bb.readInt32(bb.position()) + bb.position();
  const field = (slot: number, read: (at: number) => number) => {
    const o = bb.__offset(root, 4 + slot * 2);
    return o ? read(root + o) : 0;
  };
  return { key: field(0, (at) => bb.readUint32(at)), seq: field(1, (at) => bb.readFloat64(at)), value: field(2, (at) => bb.readFloat64(at)), ts: field(3, (at) => bb.readFloat64(at)) };
}

function ring(capacity = 1 << 20) {
  const sab = new SharedArrayBuffer(ringByteLength(capacity) + Doorbells.byteLength(2));
  initRing(sab, 0, capacity);
  const bells = new Doorbells(sab, ringByteLength(capacity), 2);
  return { w: new RingWriter(sab, 0, bells, 1, 0), r: new RingReader(sab, 0, bells, 1, 0) };
}

/**
 * A model of barrier alignment (Flink's aligned checkpoints) for an operator with two inputs:
 * after input 0 delivered barrier n, its records are held until input 1 delivers barrier n too;
 * input 1's records go straight through. The cost measured is the per-record bookkeeping.
 */
class TwoInputAligner {
  private blocked = [false, false];
  private held: number[] = [];
  processed = 0;
  onRecord(input: number, value: number): void {
    if (this.blocked[input]) this.held.push(value);
    else this.processed += value;
  }
  onBarrier(input: number): void {
    this.blocked[input] = true;
    if (this.blocked[0] && this.blocked[1]) {
      this.blocked = [false, false];
      for (const v of this.held) this.processed += v;
      this.held.length = 0;
    }
  }
}

export async function microBench(opts: { quick: boolean }): Promise<MicroFigure[]> {
  const bench = new Bench({ time: opts.quick ? 20 : 300, warmupTime: opts.quick ? 5 : 100 });
  const perCall = new Map<string, number>();
  const add = (name: string, ops: number, fn: () => void) => {
    perCall.set(name, ops);
    bench.add(name, fn);
  };

  // Ring, single thread: one frame per publish, and 512 frames per publish.
  {
    const { w, r } = ring();
    const one = () => {
      const p = w.reserve(8);
      w.i32[p >> 2] = 1;
      w.commit(FrameKind.Data, 0, 8);
      w.publish();
      r.next();
      r.release();
    };
    add('ring: 1 frame (publish + release each)', 1000, () => {
      for (let i = 0; i < 1000; i++) one();
    });
    add('ring: frame in batches of 512', 512, () => {
      for (let i = 0; i < 512; i++) {
        const p = w.reserve(8);
        w.i32[p >> 2] = i;
        w.commit(FrameKind.Data, 0, 8);
      }
      w.publish();
      while (r.next() >= 0);
      r.release();
    });
  }

  // Frame codecs: write + read one record through a ring frame.
  const codecs: Array<[string, Codec<Rec>]> = [
    ['json', jsonCodec as Codec<Rec>],
    ['struct', structCodec({ key: 'u32', seq: 'f64', value: 'f64', ts: 'f64' }) as Codec<Rec>],
    ['flatbuffers table', flatbuffersCodec<Rec>({ build: buildRec, read: readRec })],
  ];
  for (const [name, codec] of codecs) {
    const { w, r } = ring();
    add(`codec ${name}: encode + decode a record in a frame`, 256, () => {
      for (let i = 0; i < 256; i++) writeData(w, codec, record, 0, i, 0, 0, 'bench');
      w.publish();
      for (let p = r.next(); p >= 0; p = r.next()) readData(r, p, codec);
      r.release();
    });
  }
  // The default codec on the records Nexmark's exchanges carry, against JSON.
  const shaped: Array<[string, unknown]> = [
    ['a Nexmark bid', { auction: 1004, bidder: 1001, price: 74926, channel: 'channel-6531', url: 'https://www.nexmark.com/vbx/dyw/wiq/item.htm?query=1&channel_id=1234', dateTime: 1699999997783, extra: '' }],
    ["a Nexmark bid as the suite's files have it (an 80-char url, a 79-char extra)", { auction: 1004, bidder: 1001, price: 74926, channel: 'channel-6531', url: 'https://www.nexmark.com/vua/wlzp/zcqn/item.htm?query=1&channel_id=1047003136', dateTime: 1699999997783, extra: 'gayufvshgeygrrdrazjhgqfnkuxhbpbsdwedwcwitawjyezauhbhvahouyabfcydvcalkoryiagdjq' }],
    ["q15's statistics record (a day, a channel, six numbers)", { group: '2015-07-15', auction: 1004, bidder: 1001, price: 74926, channel: 'Google', dateTime: 1699999997783, bidderBands: 0, auctionBands: 2 }],
    ["a join's tagged record", { side: 1, value: { auction: 1004, bidder: 1001, price: 74926, dateTime: 1699999997783 } }],
    ["q19's combined record (an auction's ten best bids of a batch, ~1.9 KB)", { auction: 1004, top: Array.from({ length: 10 }, (_, i) => ({ auction: 1004, bidder: 1001 + i, price: 74926 - i, channel: 'channel-6531', url: 'https://www.nexmark.com/vua/wlzp/zcqn/item.htm?query=1&channel_id=1047003136', dateTime: 1699999997783 + i, extra: 'gayufvshgeygrrdrazjhgqfnkuxhbpbsdwedwcwitawjyezauhbhvahouyabfcydvcalkoryiagdjq' })) }],
  ];
  for (const [what, value] of shaped) {
    for (const [name, codec] of [['object', objectCodec()], ['json', jsonCodec]] as const) {
      const { w, r } = ring();
      add(`codec ${name}: encode + decode ${what} in a frame`, 256, () => {
        for (let i = 0; i < 256; i++) writeData(w, codec, value, 0, i, 0, 0, 'bench');
        w.publish();
        for (let p = r.next(); p >= 0; p = r.next()) readData(r, p, codec);
        r.release();
      });
    }
  }
  {
    const builder = new flatbuffers.Builder(1 << 16);
    add('flatbuffers: build one finished buffer per record', 256, () => {
      for (let i = 0; i < 256; i++) {
        builder.clear();
        builder.finish(buildRec(builder, record));
        builder.asUint8Array();
      }
    });
    add('flatbuffers: build 256 tables into one buffer', 256, () => {
      builder.clear();
      const offsets: number[] = [];
      for (let i = 0; i < 256; i++) offsets.push(buildRec(builder, record));
      builder.startVector(4, offsets.length, 4);
      for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]);
      builder.finish(builder.endVector());
      builder.asUint8Array();
    });
  }

  // LMDB state operations on a real environment in a temp dir.
  const dir = mkdtempSync(join(tmpdir(), 'weir-micro-lmdb-'));
  const db = open<{ n: number }, number>({ path: dir, compression: false });
  for (let k = 0; k < 10_000; k++) db.putSync(k, { n: k });
  let key = 0;
  add('lmdb: get (existing key)', 1000, () => {
    for (let i = 0; i < 1000; i++) db.get((key = (key + 7919) % 10_000));
  });
  add('lmdb: putSync, one transaction each', 10, () => {
    for (let i = 0; i < 10; i++) db.putSync((key = (key + 7919) % 10_000), { n: i });
  });
  add('lmdb: put inside transactionSync of 1000', 1000, () => {
    db.transactionSync(() => {
      for (let i = 0; i < 1000; i++) db.put((key = (key + 7919) % 10_000), { n: i });
    });
  });

  // Barrier alignment bookkeeping.
  {
    const aligner = new TwoInputAligner();
    add('barrier alignment: records around a barrier (2 inputs)', 1000, () => {
      for (let i = 0; i < 500; i++) aligner.onRecord(i & 1, i);
      aligner.onBarrier(0);
      for (let i = 0; i < 500; i++) aligner.onRecord(i & 1, i);
      aligner.onBarrier(1);
    });
  }

  // Histogram recording: JavaScript and WebAssembly implementations.
  await hdr.initWebAssembly();
  const histograms: Array<[string, hdr.Histogram]> = [
    ['js', hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 })],
    ['wasm', hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: true })],
  ];
  for (const [name, h] of histograms) {
    add(`hdr ${name}: recordValue`, 1000, () => {
      for (let i = 0; i < 1000; i++) h.recordValue(50 + (i & 1023));
    });
  }
  add('hdr js: encodeIntoCompressedBase64 (a run\'s histogram)', 1, () => {
    hdr.encodeIntoCompressedBase64(histograms[0][1]);
  });

  await bench.run();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [, h] of histograms) h.destroy();

  return bench.tasks.map((t) => {
    const ops = perCall.get(t.name)!;
    const result = t.result as unknown as { latency?: { mean: number; df: number }; error?: Error };
    if (!result.latency) throw new Error(`micro-benchmark "${t.name}" failed: ${result.error?.message ?? 'no result'}`);
    const meanNs = (result.latency.mean * 1e6) / ops;
    return { name: t.name, opsPerSec: 1e9 / meanNs, meanNs, samples: result.latency.df + 1 };
  });
}

export function formatMicro(figures: MicroFigure[]): string {
  const lines = ['| primitive | ns per op | ops/s |', '|---|---:|---:|'];
  for (const f of figures) lines.push(`| ${f.name} | ${f.meanNs < 10 ? f.meanNs.toFixed(2) : f.meanNs.toFixed(0)} | ${Math.round(f.opsPerSec).toLocaleString('en')} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  console.log(formatMicro(await microBench({ quick: process.argv.includes('--quick') })));
}
