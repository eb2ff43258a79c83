// What checkpoints cost, on a keyed job with a running count per key in LMDB (1 M keys):
//   duration   of one checkpoint of 1 M keys (state snapshot written and fsynced, metadata written)
//   throughput unthrottled, a checkpoint every second against none (target ≥ 0.9×)
//   latency    p99 at a fixed rate with a checkpoint every second against none (target ≤ 2×), both
//              runs starting from the state the throughput run left (its last checkpoint: about
//              950 K of the 1 M keys), every record's latency measured; three pairs in turn, and
//              the median of their ratios. 16 s each: at 50 K keys/s a chain of deltas is merged
//              about every 10 s, so every run with checkpoints has one inside what it measures
//   recovery   from a user function's failure to the first output of the restarted job (target ≤ 2 s)
//
// Run: npm run bench:checkpoints            (node bin/run-ts.mjs native-bench/checkpoints.ts [records] [latency seconds])
//
// This module is also the job: every worker imports it and builds the graph from the default export.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../src/api/index.ts';
import { structCodec } from '../src/channel/codec.ts';
import { generator, generatorEventFields } from '../src/connectors/index.ts';
import { CheckpointStore } from '../src/checkpoint/index.ts';
import { discard } from './discard.ts';
import { summarize } from '../src/runtime/instrumentation/latency-merge.ts';
import { run, type RunOptions } from '../src/runtime/index.ts';

const keys = 1_000_000;


export default defineJob((env) => {
  const count = env.numberParam('count', 2_000_000);
  const rate = env.numberParam('rate', 0);
  const failAt = env.numberParam('failAt', -1);
  // Throughput runs emit a count per 1000 records (the state is what they measure); latency runs
  // emit one per record, so that every record's latency is measured, not one in a thousand.
  const emitEvery = env.numberParam('emitEvery', 1000);
  env
    // A run that starts from another run's checkpoint names its source anew, so that it reads from
    // the start (a source's position is restored by its name) while the counts are restored.
    .source(generator({ partitions: 1, count, keys: env.numberParam('keys', keys), seed: 3, ratePerSec: rate || undefined }), { name: env.params.source ?? 'events' })
    .map((e) => {
      if (e.seq === failAt && env.params.marker) {
        // Once: the first attempt records when it failed and throws; the restarted one goes on.
        try {
          closeSync(openSync(env.params.marker, 'wx'));
        } catch {
          return e;
        }
        writeFileSync(env.params.marker, String(performance.timeOrigin + performance.now()));
        throw new Error('injected failure');
      }
      return e;
    })
    .keyBy((e) => e.key, { codec: structCodec(generatorEventFields) })
    .process<number>((e, ctx) => {
      const n = ctx.valueState<number>('n');
      const next = (n.value() ?? 0) + 1;
      n.update(next);
      if (e.seq % emitEvery === 0) ctx.emit(next);
    }, { name: 'count' })
    .sinkTo(discard);
}, { name: 'checkpoint-bench', parallelism: 1 });

const job = new URL(import.meta.url);

async function timed(options: RunOptions, params: Record<string, string>, workDir = mkdtempSync(join(tmpdir(), 'weir-chk-bench-')), keep = false) {
  try {
    const result = await (await run(job, { ...options, workDir, params })).done;
    return { result, seconds: result.durationMs / 1000 };
  } finally {
    if (!keep) rmSync(workDir, { recursive: true, force: true });
  }
}

async function recovery(records: number, keyCount: number): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'weir-chk-bench-'));
  const marker = join(workDir, 'failed-at');
  try {
    const handle = await run(job, {
      workDir,
      checkpointIntervalMs: 1000,
      restartStrategy: { kind: 'fixed-delay', attempts: 1, delayMs: 0 },
      params: { count: String(records), keys: String(keyCount), failAt: String(Math.floor(records * 0.6)), marker, rate: '200000' },
    });
    // The first output of the new attempt: its sink's counter (shared memory is new per attempt).
    let firstOutputMs = NaN;
    while (Number.isNaN(firstOutputMs)) {
      const m = handle.metrics();
      if ((m.restarts?.length ?? 0) > 0 && (m.operators.find((o) => o.kind === 'sink')?.recordsIn ?? 0) > 0) firstOutputMs = performance.timeOrigin + performance.now();
      else await new Promise((r) => setTimeout(r, 2));
    }
    await handle.done;
    return firstOutputMs - Number(readFileSync(marker, 'utf8'));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export interface CheckpointBenchOptions {
  records: number;
  keys: number;
  /** The fixed rate of the latency runs (events/s) and their length (s, the first one not measured). */
  rate: number;
  seconds: number;
  /** Latency runs without and with checkpoints, taken in turn; the median ratio is the figure. */
  pairs: number;
  log(line: string): void;
}

export async function checkpointBench(o: CheckpointBenchOptions): Promise<void> {
  const params = { count: String(o.records), keys: String(o.keys) };
  o.log(`checkpoint benchmark: ${o.records} records over ${o.keys} keys, 1 worker, LMDB`);

  const none = await timed({}, params);
  const stateDir = mkdtempSync(join(tmpdir(), 'weir-chk-bench-'));
  try {
    const every = await timed({ checkpointIntervalMs: 1000 }, params, stateDir, true);
    const stats = every.result.metrics.checkpoints!;
    const throughputNone = o.records / none.seconds;
    const throughputEvery = o.records / every.seconds;
    o.log(`throughput: none ${(throughputNone / 1e3).toFixed(0)} K/s, every 1 s ${(throughputEvery / 1e3).toFixed(0)} K/s, ratio ${(throughputEvery / throughputNone).toFixed(2)} (target ≥ 0.9)`);
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    o.log(
      `checkpoints: ${stats.completed} (${stats.incremental} incremental, ${stats.merged} on a merged base), mean ${(stats.totalDurationMs / stats.completed).toFixed(0)} ms; last full one ${stats.lastFullDurationMs.toFixed(0)} ms; ` +
        `the last wrote ${mib(stats.lastBytes)} of ${mib(stats.lastStateBytes)} of state in ${stats.lastDurationMs.toFixed(0)} ms, alignment ${stats.lastAlignmentMs.toFixed(2)} ms`,
    );

    // Both latency runs start from the throughput run's last checkpoint; "without" checkpoints
    // means an interval longer than the run (restoring needs checkpointing on): the only one is
    // the final checkpoint, after every measured record.
    const from = (await (await CheckpointStore.open(stateDir)).latestValid()).checkpoint!.dir;
    const latency = async (checkpointIntervalMs: number) => {
      const { result } = await timed(
        // The source named anew leaves the throughput run's source position behind: dropped on purpose.
        { checkpointIntervalMs, restoreFrom: from, allowNonRestoredState: true, measureLatency: true, warmupMs: 1000 },
        { ...params, source: 'load', count: String(o.rate * o.seconds), rate: String(o.rate), emitEvery: '1' },
      );
      return { latency: summarize(result.latency!.latency.endToEnd), checkpoints: result.metrics.checkpoints! };
    };
    // Pairs, without then with, and the median of their ratios: on a shared machine the baseline
    // drifts (p99 without checkpoints, same code and state: 7 to 52 ms within an hour here), so a
    // single pair can say more about the drift than about checkpoints.
    const ratios: number[] = [];
    for (let pair = 1; pair <= o.pairs; pair++) {
      const quiet = (await latency(3_600_000)).latency;
      const { latency: busy, checkpoints: c } = await latency(1000);
      ratios.push(busy.p99Ms / quiet.p99Ms);
      o.log(
        `latency pair ${pair}: p99 ${quiet.p99Ms.toFixed(2)} ms without checkpoints, ${busy.p99Ms.toFixed(2)} ms with one every second, ratio ${(busy.p99Ms / quiet.p99Ms).toFixed(2)}; ` +
          `p99.9 ${quiet.p999Ms.toFixed(2)} / ${busy.p999Ms.toFixed(2)} ms, max ${quiet.maxMs.toFixed(1)} / ${busy.maxMs.toFixed(1)} ms; ` +
          `${c.completed} checkpoints (${c.incremental} incremental, ${c.merged} on a merged base), mean ${(c.totalDurationMs / c.completed).toFixed(0)} ms, the last wrote ${mib(c.lastBytes)} of ${mib(c.lastStateBytes)}`,
      );
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    o.log(`latency at ${o.rate / 1e3} K/s: p99 with / without checkpoints, median of ${o.pairs} pair${o.pairs === 1 ? '' : 's'} ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (target ≤ 2); each ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }

  const recoveryMs = await recovery(Math.min(o.records, 2_000_000), o.keys);
  o.log(`recovery: ${recoveryMs.toFixed(0)} ms from the failure to the restarted job's first output (target ≤ 2000)`);
}

// Not a top-level await: run() imports this module again to build the job, which would wait forever
// for this module's own evaluation to finish.
if (isMainThread && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1] ?? '')) {
  checkpointBench({ records: Number(process.argv[2] ?? 3_000_000), keys, rate: 50_000, seconds: Number(process.argv[3] ?? 16), pairs: 3, log: (line) => console.log(line) }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
