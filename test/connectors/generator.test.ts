import { describe, expect, it } from 'vitest';
import { END, generatedEvent, generator, generatorEventFields, type GeneratedEvent, type GeneratorOptions } from '../../src/connectors/index.ts';
import type { SourceReader } from '../../src/connectors/types.ts';
import { CollectingOutput, drain, sleep, sourceContext } from './util.ts';

function readPartition(opts: GeneratorOptions, partition: number, from?: number, max = 97): Array<{ value: GeneratedEvent; offset: number; timestampMs: number }> {
  const spec = generator(opts);
  const reader = spec.open(partition, sourceContext(partition, spec.partitions()), from) as SourceReader<GeneratedEvent>;
  const out = new CollectingOutput<GeneratedEvent>();
  drain(reader, out, max);
  return out.records.map(({ value, offset, timestampMs }) => ({ value, offset, timestampMs })); // createdMs is the wall clock here
}

/** A clock the test moves by hand. */
function fakeClock(startMs: number) {
  const clock = { t: startMs, nowMs: () => clock.t };
  return clock;
}

describe('generator', () => {
  it('is deterministic: the same seed gives the same records, another seed other records', () => {
    const opts = { partitions: 3, count: 3000, seed: 42, keySkew: 0.8, outOfOrderFraction: 0.1 };
    for (let p = 0; p < 3; p++) {
      const a = readPartition(opts, p, undefined, 64);
      const b = readPartition(opts, p, undefined, 500); // batch size does not matter
      expect(a.length).toBe(1000);
      expect(b).toEqual(a);
      const c = readPartition({ ...opts, seed: 43 }, p);
      const sameValue = a.filter((r, i) => r.value.value === c[i].value.value).length;
      expect(sameValue).toBeLessThan(5);
    }
    // …and the partitions differ from one another.
    const p0 = readPartition(opts, 0);
    const p1 = readPartition(opts, 1);
    expect(p0.filter((r, i) => r.value.value === p1[i].value.value).length).toBeLessThan(5);
  });

  it('makes record i of partition p a pure function: generatedEvent(opts, p, i) and the reader agree', () => {
    const opts = { partitions: 2, count: 400, seed: 7, keys: 50, keySkew: 1.2 };
    const records = readPartition(opts, 1);
    for (const i of [0, 1, 63, 64, 199]) expect(records[i].value).toEqual(generatedEvent(opts, 1, i));
    // Indices above 2^32 work too (the high bits take part in the state).
    const far = generatedEvent(opts, 0, 2 ** 32 + 5);
    expect(far.seq).toBe(2 ** 32 + 5);
    expect(far).not.toEqual({ ...generatedEvent(opts, 0, 5), seq: 2 ** 32 + 5, ts: far.ts });
  });

  it('emits well-formed records: seq = offset, key range, value in [0, 1000), ts = start + i·step', () => {
    const opts = { partitions: 1, count: 2000, keys: 10, eventTimeStartMs: 5000, eventTimeStepMs: 3 };
    const records = readPartition(opts, 0);
    records.forEach((r, i) => {
      expect(r.offset).toBe(i);
      expect(r.value.seq).toBe(i);
      expect(r.timestampMs).toBe(r.value.ts);
      expect(r.value.ts).toBe(5000 + 3 * i);
      expect(Number.isInteger(r.value.key) && r.value.key >= 0 && r.value.key < 10).toBe(true);
      expect(r.value.value >= 0 && r.value.value < 1000).toBe(true);
    });
    expect(Object.keys(records[0].value).sort()).toEqual(Object.keys(generatorEventFields).sort());
  });

  it('replays from a position: the suffix is identical', () => {
    const opts = { partitions: 2, count: 2000, seed: 3, outOfOrderFraction: 0.3 };
    const spec = generator(opts);
    const reader = spec.open(1, sourceContext(1, 2)) as SourceReader<GeneratedEvent>;
    const out = new CollectingOutput<GeneratedEvent>();
    reader.poll(300, out);
    reader.poll(123, out);
    const position = reader.position();
    expect(position).toBe(423);
    const all = readPartition(opts, 1);
    const resumed = readPartition(opts, 1, JSON.parse(JSON.stringify(position)) as number);
    expect(resumed).toEqual(all.slice(423));
    expect(readPartition(opts, 1, 1000)).toEqual([]); // at the end: END straight away
    expect(() => generator(opts).open(0, sourceContext(0, 2), 'x')).toThrow(/cannot resume partition 0/);
  });

  it('splits count across partitions as evenly as possible, then returns END', () => {
    const opts = { partitions: 3, count: 1001 };
    const sizes = [0, 1, 2].map((p) => readPartition(opts, p).length);
    expect(sizes).toEqual([334, 334, 333]);
    expect(sizes.reduce((a, b) => a + b)).toBe(1001);
    expect(readPartition({ partitions: 4, count: 2 }, 3)).toEqual([]);
    const reader = generator({ partitions: 1, count: 5 }).open(0, sourceContext(0, 1)) as SourceReader<GeneratedEvent>;
    const out = new CollectingOutput<GeneratedEvent>();
    expect(reader.poll(10, out)).toBe(5);
    expect(reader.poll(10, out)).toBe(END);
    expect(reader.poll(10, out)).toBe(END);
  });

  it('unlimited rate: emits max per poll, stamped with the poll time', () => {
    const clock = fakeClock(123_456);
    const reader = generator({ partitions: 2 }).open(0, sourceContext(0, 2, { nowMs: clock.nowMs })) as SourceReader<GeneratedEvent>;
    const out = new CollectingOutput<GeneratedEvent>();
    expect(reader.poll(50, out)).toBe(50);
    expect(reader.idleMs!()).toBe(0);
    expect(new Set(out.records.map((r) => r.createdMs))).toEqual(new Set([123_456]));
  });

  it('rate limit (open loop): nothing before its schedule, createdMs = the scheduled time, idleMs = wait', () => {
    // 1000/s over 2 partitions = 500/s each: record i of a partition is due at start + 2i ms.
    const clock = fakeClock(10_000);
    const spec = generator({ partitions: 2, ratePerSec: 1000, count: 400 });
    const reader = spec.open(1, sourceContext(1, 2, { startMs: 10_000, nowMs: clock.nowMs })) as SourceReader<GeneratedEvent>;
    const out = new CollectingOutput<GeneratedEvent>();
    expect(reader.poll(100, out)).toBe(1); // record 0, due at 10 000
    expect(reader.poll(100, out)).toBe(0);
    expect(reader.idleMs!()).toBe(2);
    clock.t = 10_009; // records 1..4 are due (10 002 … 10 008)
    expect(reader.poll(100, out)).toBe(4);
    expect(reader.idleMs!()).toBeCloseTo(1, 9);
    expect(out.records.map((r) => r.createdMs)).toEqual([10_000, 10_002, 10_004, 10_006, 10_008]);
    // A consumer that stalls for a second gets the backlog at once, with the old schedule as createdMs:
    // its latency shows the stall (coordinated-omission correction).
    clock.t = 11_009;
    expect(reader.poll(100, out)).toBe(100);
    expect(out.records[104].createdMs).toBe(10_000 + 2 * 104);
    expect(reader.poll(1000, out)).toBe(95); // this partition's share of 400 is 200
    expect(reader.poll(1000, out)).toBe(END);
    expect(out.records.every((r, i) => r.createdMs === 10_000 + 2 * i && r.value.seq === i)).toBe(true);
  });

  it('rate limit with a real clock: emission follows the schedule and never precedes it', async () => {
    const spec = generator({ partitions: 1, ratePerSec: 2000 });
    const ctx = sourceContext(0, 1);
    ctx.startMs = ctx.nowMs();
    const reader = spec.open(0, ctx) as SourceReader<GeneratedEvent>;
    let emitted = 0;
    let early = 0;
    const out = {
      emit: (_v: GeneratedEvent, _o: number, _t: number, createdMs: number) => {
        emitted++;
        if (createdMs > ctx.nowMs()) early++;
      },
      deadLetter: () => {},
    };
    const untilMs = ctx.startMs + 100;
    while (ctx.nowMs() < untilMs) {
      if ((reader.poll(512, out) as number) === 0) await sleep(Math.max(1, reader.idleMs?.() ?? 1));
    }
    // Catch up (a busy machine may have held this thread back), bracketed by two clock readings:
    // everything due by the first was emitted, nothing due only after the second.
    const dueBy = (ms: number) => ((ms - ctx.startMs) / 1000) * 2000;
    const before = ctx.nowMs();
    while ((reader.poll(512, out) as number) > 0);
    const after = ctx.nowMs();
    expect(early).toBe(0);
    expect(emitted).toBeGreaterThanOrEqual(Math.floor(dueBy(before)));
    expect(emitted).toBeLessThanOrEqual(dueBy(after) + 1);
  });

  it('resuming keeps the job schedule, but re-anchors a schedule that lies in the future', () => {
    const spec = generator({ partitions: 1, ratePerSec: 100 }); // one record every 10 ms
    // Same job, after an outage: records 1000.. were due long ago and come as a backlog.
    let clock = fakeClock(20_000);
    let reader = spec.open(0, sourceContext(0, 1, { startMs: 0, nowMs: clock.nowMs }), 1000) as SourceReader<GeneratedEvent>;
    let out = new CollectingOutput<GeneratedEvent>();
    expect(reader.poll(5000, out)).toBe(1001); // 1000 … 2000
    expect(out.records[0].createdMs).toBe(10_000);
    // A later job resuming from the same position: record 1000 is due now, not in 10 s.
    clock = fakeClock(50_000);
    reader = spec.open(0, sourceContext(0, 1, { startMs: 50_000, nowMs: clock.nowMs }), 1000) as SourceReader<GeneratedEvent>;
    out = new CollectingOutput<GeneratedEvent>();
    expect(reader.poll(5000, out)).toBe(1);
    expect(out.records[0].value.seq).toBe(1000);
    expect(out.records[0].createdMs).toBe(50_000);
    expect(reader.idleMs!()).toBe(10);
  });

  it('key skew: the top key share grows with the Zipf exponent; 0 is roughly uniform', () => {
    const keys = 100;
    const n = 60_000;
    const topShare = (keySkew: number) => {
      const counts = new Array<number>(keys).fill(0);
      for (const r of readPartition({ partitions: 1, count: n, keys, keySkew }, 0, undefined, 512)) counts[r.value.key]++;
      return { top: Math.max(...counts) / n, min: Math.min(...counts) / n, hottest: counts.indexOf(Math.max(...counts)) };
    };
    const harmonic = (s: number) => Array.from({ length: keys }, (_, k) => 1 / (k + 1) ** s).reduce((a, b) => a + b);
    const uniform = topShare(0);
    expect(uniform.top).toBeLessThan(0.015); // 1 % expected, σ ≈ 0.04 %
    expect(uniform.min).toBeGreaterThan(0.006);
    const s1 = topShare(1);
    const s15 = topShare(1.5);
    expect(s1.hottest).toBe(0);
    expect(s1.top).toBeCloseTo(1 / harmonic(1), 1.5); // ≈ 0.193
    expect(s15.top).toBeCloseTo(1 / harmonic(1.5), 1.5); // ≈ 0.41
    expect(uniform.top).toBeLessThan(s1.top);
    expect(s1.top).toBeLessThan(s15.top);
  });

  it('out-of-order fraction is roughly honoured, delays within 1..outOfOrderMaxMs', () => {
    const n = 50_000;
    const records = readPartition({ partitions: 1, count: n, outOfOrderFraction: 0.2, outOfOrderMaxMs: 500, eventTimeStartMs: 0, eventTimeStepMs: 10 }, 0, undefined, 512);
    let moved = 0;
    records.forEach((r, i) => {
      const delay = i * 10 - r.value.ts;
      if (delay !== 0) {
        moved++;
        expect(delay >= 1 && delay <= 500).toBe(true);
      }
    });
    expect(moved / n).toBeGreaterThan(0.19);
    expect(moved / n).toBeLessThan(0.21);
    expect(readPartition({ partitions: 1, count: 1000, outOfOrderFraction: 0 }, 0).every((r, i) => r.value.ts === 1_700_000_000_000 + i)).toBe(true);
  });

  it('rejects bad options with WEIR_CONFIG', () => {
    for (const bad of [{ partitions: 0 }, { ratePerSec: -1 }, { keys: 0 }, { outOfOrderFraction: 1.5 }, { count: 1.5 }, { keySkew: 1, keys: 2 ** 30 }]) {
      expect(() => generator(bad)).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
    }
    expect(() => generator({ partitions: 2 }).open(2, sourceContext(2, 2))).toThrow(expect.objectContaining({ code: 'WEIR_CONFIG' }));
  });

  it('runs a large bounded count to its end (records per second printed; speed is a benchmark\'s to judge)', () => {
    const warmup = 200_000;
    const count = 2_000_000;
    const reader = generator({ partitions: 1, count: warmup + count }).open(0, sourceContext(0, 1)) as SourceReader<GeneratedEvent>;
    // Keep the last records so the events really are allocated (no escape analysis shortcut).
    const keep = new Array<GeneratedEvent>(1024);
    let k = 0;
    const out = {
      emit: (v: GeneratedEvent) => {
        keep[k++ & 1023] = v;
      },
      deadLetter: () => {},
    };
    while (k < warmup) reader.poll(512, out);
    k = 0;
    const t0 = performance.now();
    while (reader.poll(512, out) !== END);
    const elapsedMs = performance.now() - t0;
    const measured = k;
    const perSec = (measured / elapsedMs) * 1000;
    console.log(`generator: ${(perSec / 1e6).toFixed(1)} M records/s single-threaded (${((elapsedMs * 1e6) / measured).toFixed(0)} ns/record)`);
    expect(measured).toBeGreaterThan(count - 512);
  });
});
