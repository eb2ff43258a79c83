import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EmbeddedLog,
  END,
  RecordBatch,
  fillLogFromGenerator,
  generatedEvent,
  logKeyHash,
  logSink,
  logSource,
  type GeneratedEvent,
} from '../../src/connectors/index.ts';
import type { SinkWriter, SourceReader } from '../../src/connectors/types.ts';
import { crc32, crc32Js } from '../../src/util/crc32.ts';
import { CollectingOutput, drain, sinkContext, sourceContext, tempDir } from './util.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => Buffer.from(s, 'utf8');

let tmp: { path: string; remove(): void };
let dir: string;
beforeEach(() => {
  tmp = tempDir();
  dir = path.join(tmp.path, 'log');
});
afterEach(() => tmp.remove());

function segment(p: number): string {
  return path.join(dir, `partition-${p}.seg`);
}

describe('crc32', () => {
  it('the table-driven fallback agrees with zlib', () => {
    expect(crc32Js(bytes('123456789'))).toBe(0xcbf43926); // the standard check value
    const data = new Uint8Array(10_000).map((_, i) => (i * 31 + 7) & 0xff);
    expect(crc32Js(data)).toBe(crc32(data));
    if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') expect(crc32Js(data)).toBe(zlib.crc32(data));
    expect(crc32Js(new Uint8Array(0))).toBe(0);
  });
});

describe('EmbeddedLog', () => {
  it('appends and reads back across partitions, with Kafka-style offsets', () => {
    const log = EmbeddedLog.create(dir, 3);
    expect(log.partitions).toBe(3);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'log.json'), 'utf8'))).toEqual({ format: 'weir-embedded-log', version: 1, partitions: 3 });
    expect(log.append(0, bytes('a0'))).toBe(0);
    expect(log.append(0, bytes('a1'))).toBe(1);
    expect(log.appendJson(1, { x: 1 })).toBe(0);
    expect(log.appendBatch(2, [bytes('c0'), bytes('c1'), bytes('c2')])).toBe(0);
    expect(log.appendBatch(2, [bytes('c3')])).toBe(3);
    expect([0, 1, 2].map((p) => log.endOffset(p))).toEqual([2, 1, 4]);
    expect(log.read(0, 0, 10).map((r) => [r.offset, text(r.payload)])).toEqual([
      [0, 'a0'],
      [1, 'a1'],
    ]);
    expect(JSON.parse(text(log.read(1, 0, 10)[0].payload))).toEqual({ x: 1 });
    expect(log.read(2, 1, 2).map((r) => [r.offset, text(r.payload)])).toEqual([
      [1, 'c1'],
      [2, 'c2'],
    ]);
    expect(log.read(2, 4, 10)).toEqual([]);
    expect(() => log.read(2, 5, 10)).toThrow(/offset 5 is beyond the end \(4\) of partition 2/);
    expect(() => log.append(3, bytes('x'))).toThrow(/no partition 3/);
    expect(() => log.append(0, new Uint8Array(0))).toThrow(/1\.\.\d+ bytes/);
    // On disk: [u32 length][u32 crc32][payload], little endian.
    const raw = fs.readFileSync(segment(0));
    expect(raw.length).toBe(2 * (8 + 2));
    expect(raw.readUInt32LE(0)).toBe(2);
    expect(raw.readUInt32LE(4)).toBe(crc32(bytes('a0')));
    expect(raw.subarray(8, 10).toString()).toBe('a0');
    log.close();
    expect(() => EmbeddedLog.create(dir, 3)).toThrow(/already exists/);
  });

  it('reopens with the same contents and replays from any offset (sparse index + skip)', () => {
    let log = EmbeddedLog.create(dir, 2);
    const batch = new RecordBatch();
    for (let i = 0; i < 1000; i++) batch.addString(`record ${i} ${'é'.repeat(i % 17)}`);
    log.appendRecordBatch(0, batch);
    for (let i = 0; i < 10; i++) log.appendJson(1, { i });
    log.close();

    log = EmbeddedLog.open(dir);
    expect(log.endOffset(0)).toBe(1000);
    expect(log.endOffset(1)).toBe(10);
    for (const from of [0, 1, 63, 64, 65, 130, 999, 1000]) {
      const got = log.read(0, from, 5);
      expect(got.map((r) => r.offset)).toEqual(Array.from({ length: Math.min(5, 1000 - from) }, (_, k) => from + k));
      got.forEach((r) => expect(text(r.payload)).toBe(`record ${r.offset} ${'é'.repeat(r.offset % 17)}`));
    }
    // The cursor reads everything with one reused buffer.
    const cursor = log.cursor(0, 500);
    let n = 0;
    while (cursor.next()) {
      expect(cursor.buffer.toString('utf8', cursor.payloadStart, cursor.payloadEnd)).toBe(`record ${cursor.recordOffset} ${'é'.repeat(cursor.recordOffset % 17)}`);
      n++;
    }
    expect(n).toBe(500);
    expect(cursor.offset).toBe(1000);
    // Appends continue at the end after a reopen.
    expect(log.appendJson(0, 'more')).toBe(1000);
    expect(log.repairs).toEqual([]);
    log.close();
  });

  it('handles records larger than the read buffers', () => {
    const log = EmbeddedLog.create(dir, 1);
    const big = Buffer.alloc(700_000, 'x');
    log.append(0, bytes('small'));
    log.append(0, big);
    log.append(0, bytes('after'));
    log.close();
    const again = EmbeddedLog.open(dir, { readOnly: true });
    const got = again.read(0, 0, 10);
    expect(got.map((r) => r.payload.length)).toEqual([5, 700_000, 5]);
    expect(Buffer.compare(Buffer.from(got[1].payload), big)).toBe(0);
    again.close();
  });

  describe('torn tail', () => {
    const cases: Array<[string, (fd: number) => void, RegExp]> = [
      ['header cut short', (fd) => fs.writeSync(fd, Buffer.from([5, 0, 0])), /header cut short/],
      [
        'payload cut short',
        (fd) => {
          const h = Buffer.alloc(8);
          h.writeUInt32LE(100, 0);
          fs.writeSync(fd, Buffer.concat([h, Buffer.alloc(20, 1)]));
        },
        /record cut short \(20 of 100/,
      ],
      [
        'crc mismatch in the last record',
        (fd) => {
          const h = Buffer.alloc(8);
          h.writeUInt32LE(4, 0);
          h.writeUInt32LE(12345, 4);
          fs.writeSync(fd, Buffer.concat([h, bytes('oops')]));
        },
        /crc mismatch in the last record/,
      ],
      ['zero-filled tail', (fd) => fs.writeSync(fd, Buffer.alloc(4096)), /zero-filled tail/],
    ];
    for (const [name, tear, reason] of cases) {
      it(`${name}: detected, truncated and reported; appends continue`, () => {
        const log = EmbeddedLog.create(dir, 2);
        for (let i = 0; i < 10; i++) log.appendJson(1, { i });
        log.close();
        const goodBytes = fs.statSync(segment(1)).size;
        const fd = fs.openSync(segment(1), 'a');
        tear(fd);
        fs.closeSync(fd);
        expect(fs.statSync(segment(1)).size).toBeGreaterThan(goodBytes);

        // A read-only open reads up to the tear and leaves the file alone.
        const reader = EmbeddedLog.open(dir, { readOnly: true });
        expect(reader.endOffset(1)).toBe(10);
        expect(reader.repairs).toEqual([expect.objectContaining({ partition: 1, offset: 10, truncated: false })]);
        expect(fs.statSync(segment(1)).size).toBeGreaterThan(goodBytes);
        reader.close();

        const seen: unknown[] = [];
        const writer = EmbeddedLog.open(dir, { onRepair: (r) => seen.push(r) });
        expect(writer.endOffset(1)).toBe(10);
        expect(writer.repairs).toHaveLength(1);
        expect(writer.repairs[0]).toMatchObject({ partition: 1, offset: 10, byteOffset: goodBytes, truncated: true });
        expect(writer.repairs[0].reason).toMatch(reason);
        expect(seen).toEqual(writer.repairs);
        expect(fs.statSync(segment(1)).size).toBe(goodBytes);
        expect(writer.appendJson(1, { i: 10 })).toBe(10);
        writer.close();

        const check = EmbeddedLog.open(dir);
        expect(check.check()).toEqual([
          { partition: 0, endOffset: 0, bytes: 0 },
          { partition: 1, endOffset: 11, bytes: expect.any(Number) },
        ]);
        expect(check.read(1, 0, 20).map((r) => JSON.parse(text(r.payload)).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(check.repairs).toEqual([]);
        check.close();
      });
    }
  });

  it('corruption in the middle is an error naming the partition and the offset', () => {
    const log = EmbeddedLog.create(dir, 2);
    for (let i = 0; i < 10; i++) log.appendJson(0, { value: `v${i}` });
    log.close();
    const data = fs.readFileSync(segment(0));
    const recordBytes = data.length / 10;
    data[5 * recordBytes + 8 + 3] ^= 0xff; // a payload byte of record 5
    fs.writeFileSync(segment(0), data);
    for (const readOnly of [false, true]) {
      const again = EmbeddedLog.open(dir, { readOnly });
      expect(() => again.endOffset(0)).toThrow(
        expect.objectContaining({ code: 'WEIR_SOURCE', partition: 0, offset: 5, message: expect.stringMatching(/partition 0 is corrupt at offset 5 \(byte \d+ of .*partition-0\.seg\): crc mismatch/) }),
      );
      expect(again.endOffset(1)).toBe(0); // other partitions are fine
      again.close();
    }
    expect(fs.readFileSync(segment(0)).length).toBe(data.length); // nothing was truncated
    // A garbage length in the middle is corruption too, not a torn tail.
    const bad = Buffer.from(data);
    bad[5 * recordBytes + 8 + 3] ^= 0xff;
    bad.writeUInt32LE(0xfffffff0, 2 * recordBytes);
    fs.writeFileSync(segment(0), bad);
    const again = EmbeddedLog.open(dir);
    expect(() => again.endOffset(0)).toThrow(/corrupt at offset 2 .*invalid record length/);
    again.close();
  });

  it('refuses what is not a log', () => {
    expect(() => EmbeddedLog.open(dir)).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG', message: expect.stringMatching(/no embedded log/) }));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'log.json'), JSON.stringify({ format: 'weir-embedded-log', version: 99, partitions: 1 }));
    expect(() => EmbeddedLog.open(dir)).toThrow(/version 99 is not supported/);
  });
});

describe('logSource', () => {
  it('bounded: reads everything up to the end offset at open, then END', () => {
    const opts = { partitions: 2, count: 1001, seed: 9 };
    fillLogFromGenerator(dir, opts).close();
    const spec = logSource<GeneratedEvent>({ dir });
    expect(spec.partitions()).toBe(2);
    for (let p = 0; p < 2; p++) {
      const reader = spec.open(p, sourceContext(p, 2)) as SourceReader<GeneratedEvent>;
      // Appended after the open: not part of this bounded read.
      const writer = EmbeddedLog.open(dir);
      writer.appendJson(p, { late: true });
      writer.close();
      const out = new CollectingOutput<GeneratedEvent>();
      expect(drain(reader, out, 64)).toBe(p === 0 ? 501 : 500);
      expect(reader.poll(64, out)).toBe(END);
      out.records.forEach((r, i) => {
        expect(r.offset).toBe(i);
        expect(r.value).toEqual(generatedEvent(opts, p, i));
        expect(r.timestampMs).toBeNaN();
      });
      expect(reader.position()).toBe(out.records.length);
      reader.close();
    }
  });

  it('resumes from a position', () => {
    fillLogFromGenerator(dir, { partitions: 1, count: 300 }).close();
    const spec = logSource<GeneratedEvent>({ dir, timestamp: (e) => e.ts });
    const first = spec.open(0, sourceContext(0, 1)) as SourceReader<GeneratedEvent>;
    const out = new CollectingOutput<GeneratedEvent>();
    first.poll(100, out);
    first.poll(30, out);
    const position = first.position();
    first.close();
    expect(position).toBe(130);
    const again = spec.open(0, sourceContext(0, 1), position) as SourceReader<GeneratedEvent>;
    const rest = new CollectingOutput<GeneratedEvent>();
    drain(again, rest);
    again.close();
    expect(rest.records.map((r) => r.offset)).toEqual(Array.from({ length: 170 }, (_, k) => 130 + k));
    expect(rest.records[0].timestampMs).toBe(rest.records[0].value.ts);
  });

  it('follow: sees appends made later by another log instance, idles a few ms when caught up, never ENDs', () => {
    const writer = EmbeddedLog.create(dir, 1);
    writer.appendJson(0, 1);
    const reader = logSource<number>({ dir, follow: true }).open(0, sourceContext(0, 1)) as SourceReader<number>;
    const out = new CollectingOutput<number>();
    expect(reader.poll(10, out)).toBe(1);
    expect(reader.poll(10, out)).toBe(0);
    expect(reader.idleMs!()).toBeGreaterThan(0);
    expect(reader.idleMs!()).toBeLessThanOrEqual(10);
    writer.appendBatch(0, [bytes('2'), bytes('3')]);
    expect(reader.poll(10, out)).toBe(2);
    // Half a record (a write in progress) is not read, and not an error; the rest arrives later.
    const batch = new RecordBatch();
    batch.addString('4');
    const fd = fs.openSync(segment(0), 'a');
    fs.writeSync(fd, batch.buffer, 0, 5);
    expect(reader.poll(10, out)).toBe(0);
    fs.writeSync(fd, batch.buffer, 5, batch.length - 5);
    fs.closeSync(fd);
    expect(reader.poll(10, out)).toBe(1);
    expect(out.values).toEqual([1, 2, 3, 4]);
    expect(reader.position()).toBe(4);
    reader.close();
    writer.close();
  });

  it('a payload that is not JSON goes to the dead letters with its offset', () => {
    const log = EmbeddedLog.create(dir, 1);
    log.appendJson(0, { ok: 1 });
    log.append(0, bytes('{not json'));
    log.appendJson(0, { ok: 2 });
    log.close();
    const reader = logSource({ dir }).open(0, sourceContext(0, 1)) as SourceReader<unknown>;
    const out = new CollectingOutput<unknown>();
    expect(reader.poll(10, out)).toBe(3); // dead letters count
    expect(out.values).toEqual([{ ok: 1 }, { ok: 2 }]);
    expect(out.records.map((r) => r.offset)).toEqual([0, 2]);
    expect(out.deadLetters).toEqual([{ raw: '{not json', offset: 1, reason: expect.stringMatching(/bad JSON in embedded log .* partition 0 at offset 1: /) }]);
    reader.close();
  });

  it("decode 'string' and 'bytes'", () => {
    const log = EmbeddedLog.create(dir, 1);
    log.append(0, bytes('héllo'));
    log.append(0, new Uint8Array([0, 1, 255]));
    log.close();
    const s = new CollectingOutput<string>();
    drain(logSource<string>({ dir, decode: 'string' }).open(0, sourceContext(0, 1)) as SourceReader<string>, s);
    expect(s.values[0]).toBe('héllo');
    const b = new CollectingOutput<Uint8Array>();
    drain(logSource<Uint8Array>({ dir, decode: 'bytes' }).open(0, sourceContext(0, 1)) as SourceReader<Uint8Array>, b);
    expect(b.values.map((v) => [...v])).toEqual([[...bytes('héllo')], [0, 1, 255]]);
  });
});

describe('logSink', () => {
  function openSink<T>(spec: ReturnType<typeof logSink<T>>, subtask: number, parallelism: number): SinkWriter<T> {
    return spec.open(sinkContext(subtask, parallelism, tmp.path)) as SinkWriter<T>;
  }

  it('subtask s of P owns partitions p ≡ s (mod P); without a key it goes round robin over them', () => {
    const spec = logSink<{ s: number; i: number }>({ dir, partitions: 4 });
    const writers = [openSink(spec, 0, 2), openSink(spec, 1, 2)];
    for (let i = 0; i < 10; i++) for (let s = 0; s < 2; s++) writers[s].write({ s, i }, NaN, NaN);
    const peek = EmbeddedLog.open(dir, { readOnly: true });
    expect(peek.endOffset(0)).toBe(0); // buffered until flush
    peek.close();
    writers.forEach((w) => w.flush());
    writers.forEach((w) => w.close());
    const log = EmbeddedLog.open(dir, { readOnly: true });
    expect(log.partitions).toBe(4);
    const byPartition = [0, 1, 2, 3].map((p) => log.read(p, 0, 100).map((r) => JSON.parse(text(r.payload)) as { s: number; i: number }));
    expect(byPartition[0].map((v) => [v.s, v.i])).toEqual([0, 2, 4, 6, 8].map((i) => [0, i]));
    expect(byPartition[2].map((v) => [v.s, v.i])).toEqual([1, 3, 5, 7, 9].map((i) => [0, i]));
    expect(byPartition[1].every((v) => v.s === 1)).toBe(true);
    expect(byPartition[3].every((v) => v.s === 1)).toBe(true);
    expect(byPartition[1].length + byPartition[3].length).toBe(10);
    log.close();
  });

  it('with a key: a key always lands in the same partition of the subtask (stable hash)', () => {
    const spec = logSink<{ user: string; n: number }>({ dir, partitions: 6, key: (v) => v.user });
    const w = openSink(spec, 1, 3); // owns 1 and 4
    const users = ['ann', 'bob', 'cy', 'dee', 'ed', 'flo'];
    for (let n = 0; n < 60; n++) w.write({ user: users[n % users.length], n }, NaN, NaN);
    w.close();
    const log = EmbeddedLog.open(dir);
    const where = new Map<string, number>();
    for (const p of [0, 2, 3, 5]) expect(log.endOffset(p)).toBe(0);
    for (const p of [1, 4]) {
      for (const r of log.read(p, 0, 100)) {
        const v = JSON.parse(text(r.payload)) as { user: string };
        expect(where.get(v.user) ?? p).toBe(p);
        where.set(v.user, p);
        expect(p).toBe(1 + 3 * (logKeyHash(v.user) % 2));
      }
    }
    expect(where.size).toBe(6);
    expect(logKeyHash('abc')).toBe(logKeyHash('abc'));
    expect(logKeyHash(5)).toBe(logKeyHash('5'));
    log.close();
  });

  it('refuses partition counts that would make two subtasks write one partition', () => {
    expect(() => openSink(logSink({ dir, partitions: 3 }), 0, 2)).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG', message: expect.stringMatching(/multiple of the parallelism/) }));
    EmbeddedLog.create(dir, 3).close();
    expect(() => openSink(logSink({ dir }), 0, 2)).toThrow(/has 3 partitions.*multiple of the parallelism 2/);
    expect(() => openSink(logSink({ dir, partitions: 6 }), 0, 2)).toThrow(/has 3 partitions; 6 were asked for/);
    openSink(logSink({ dir }), 0, 3).close(); // 3 subtasks, one partition each: fine
  });

  it('creates the log with one partition per subtask by default; what it writes a logSource reads', () => {
    const spec = logSink<number>({ dir, fsync: true });
    const writers = [0, 1, 2].map((s) => openSink(spec, s, 3));
    writers.forEach((w, s) => {
      for (let i = 0; i < 5; i++) w.write(s * 100 + i, NaN, NaN);
      w.flush();
    });
    writers.forEach((w) => w.close());
    const source = logSource<number>({ dir });
    expect(source.partitions()).toBe(3);
    const out = new CollectingOutput<number>();
    for (let p = 0; p < 3; p++) drain(source.open(p, sourceContext(p, 3)) as SourceReader<number>, out);
    expect(out.values).toEqual([0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 200, 201, 202, 203, 204]);
  });
});

describe('logSink in real threads', () => {
  it('subtasks in several threads create the log at once and write their own partitions without clobbering', async () => {
    const { startTsWorker } = await import('../../src/util/ts-worker.ts');
    const parallelism = 3;
    const count = 5000;
    const go = new SharedArrayBuffer(4);
    const workers = Array.from({ length: parallelism }, (_, subtask) =>
      startTsWorker(new URL('./log-sink-worker.ts', import.meta.url), { workerData: { dir, subtask, parallelism, partitions: 6, count, go } }),
    );
    const nextMessage = (w: (typeof workers)[number], expected: string) =>
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: unknown) => {
          if (m !== expected) return;
          w.off('message', onMessage);
          resolve();
        };
        w.on('message', onMessage);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited with ${code} before "${expected}"`)));
      });
    const done = workers.map((w) => nextMessage(w, 'done'));
    await Promise.all(workers.map((w) => nextMessage(w, 'ready'))); // all loaded and waiting: start together
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    await Promise.all(done);
    await Promise.all(workers.map((w) => w.terminate()));
    const log = EmbeddedLog.open(dir, { readOnly: true });
    expect(log.partitions).toBe(6);
    const seen = Array.from({ length: parallelism }, () => [] as number[]);
    for (let p = 0; p < 6; p++) {
      for (const r of log.read(p, 0, 10 * count)) {
        const v = JSON.parse(text(r.payload)) as { s: number; i: number };
        expect(p % parallelism).toBe(v.s); // only the owner wrote here
        seen[v.s].push(v.i);
      }
    }
    for (const values of seen) expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(log.repairs).toEqual([]);
    log.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['log.json', ...[0, 1, 2, 3, 4, 5].map((p) => `partition-${p}.seg`)]);
  });
});
