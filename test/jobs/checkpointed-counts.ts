// A deterministic keyed job for checkpoint and recovery tests: generated events keyed by key,
// a running count per key in value state, emitted with every record, and a tumbling event-time
// window counting records per key, through two exchanges. Whatever the interleaving of partitions,
// the multiset of outputs is fixed by the seed, so a recovered run must produce exactly it.
//
// Parameters: count, rate (events/s per partition; 0 = as fast as possible), keys (default 50: every
// key changes between two checkpoints; thousands: few do, and LMDB checkpoints are deltas), out (a directory for
// the exactly-once file sink; without it, collect('out')), buckets ('1': the file sink writes each
// line into a bucket of its kind and key, `count/17`, `window/3`), faults ("throw@1200,exit@5000": the job
// fails once at each record seq, by throwing in a user function or by ending its worker thread),
// markers (a directory where each fault records that it happened, so a restart does not repeat it),
// alwaysFailAt (a seq at which it fails every time), failWhen (a file: once the test creates it, the
// job fails at one of the next 64 records, every time — a failure the test times, not the clock).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../src/api/index.ts';
import { TumblingEventTimeWindows } from '../../src/time/index.ts';
import { collect, generator, transactionalFileSink, type GeneratedEvent } from '../../src/connectors/index.ts';
import { failsFirstTime } from './fails-first-time.ts';

/** Fails once: the first thread to create the marker file fails, later attempts go on. */
function failOnce(marker: string, how: string): void {
  if (!failsFirstTime(marker)) return; // already failed once
  if (how === 'exit') process.exit(7);
  throw new Error(`injected failure (${how}, marker ${marker})`);
}

function parseFaults(spec: string | undefined): Map<number, { how: string; index: number }> {
  const faults = new Map<number, { how: string; index: number }>();
  for (const [index, item] of (spec ?? '').split(',').filter(Boolean).entries()) {
    const [how, seq] = item.split('@');
    faults.set(Number(seq), { how, index });
  }
  return faults;
}

export default defineJob((env) => {
  const count = env.numberParam('count', 20_000);
  const rate = env.numberParam('rate', 0);
  const faults = parseFaults(env.params.faults);
  const alwaysFailAt = env.numberParam('alwaysFailAt', -1);
  const failWhen = env.params.failWhen;
  const events = env.source(
    generator({ partitions: 2, count, keys: env.numberParam('keys', 50), seed: 5, ratePerSec: rate > 0 ? rate : undefined, eventTimeStartMs: 1_700_000_000_000, eventTimeStepMs: 1 }),
    { name: 'events', watermarks: WatermarkStrategy.monotonousTimestamps<GeneratedEvent>().withTimestampAssigner((e) => e.ts) },
  );
  const checked = events.map((e) => {
    const fault = faults.get(e.seq);
    if (fault) failOnce(join(env.params.markers, `fault-${fault.index}`), fault.how);
    if (e.seq === alwaysFailAt) throw new Error(`record ${e.seq} always fails`);
    if (failWhen !== undefined && e.seq % 64 === 0 && existsSync(failWhen)) throw new Error(`record ${e.seq} always fails once ${failWhen} exists`);
    return e;
  }, { name: 'inject' });
  const counts = checked.keyBy((e) => e.key, { name: 'by-key' }).process<string>((e, ctx) => {
    const seen = ctx.valueState<number>('seen');
    const n = (seen.value() ?? 0) + 1;
    seen.update(n);
    ctx.emit(`count ${e.key} ${n}`);
  }, { name: 'running-count' });
  const windows = checked
    .keyBy((e) => e.key % 7, { name: 'by-bucket' })
    .window(TumblingEventTimeWindows.of(250))
    .aggregate<number, number, string>(
      { createAccumulator: () => 0, add: (_e: GeneratedEvent, acc: number) => acc + 1, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b },
      (key, window, counts, out) => {
        for (const c of counts) out.collect(`window ${String(key)} ${window.start} ${c}`);
      },
      { name: 'window-count' },
    );
  const bucket = env.params.buckets === '1' ? (line: string) => line.split(' ', 2).join('/') : undefined;
  const out = env.params.out ? transactionalFileSink<string>({ dir: env.params.out, format: (s) => s, bucket }) : collect<string>('out');
  counts.union(windows).sinkTo(out);
}, { name: 'checkpointed-counts' });
