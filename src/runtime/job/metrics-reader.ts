import { nowMs } from '../../util/clock.ts';
import { kMiscDeadLetters, kMiscConnectionRetries, kMiscEpochs, kMiscEpochsOver, kMiscUpdatedAtMs, type JobMetrics, type MetricsLayout } from '../metrics.ts';
import { ownedPartitions, type Plan } from '../plan.ts';
import type { SharedViews } from '../protocol.ts';
import { readAlignmentMetrics } from '../worker/watermark-alignment.ts';
import { latencyBucketBoundsMs, latencyHistogram } from '../instrumentation/sink-latency.ts';

/** Operator rates are taken against a reading at least this old (the newest such), so that frequent readers (a UI, a scraper) see steady rates. */
const rateWindowMs = 1_000;
/** Readings older than this are dropped (the newest of them is kept as the base). */
const rateHistoryMs = 10_000;

interface CountsReading {
  atMs: number;
  recordsIn: number[];
  recordsOut: number[];
}

export interface MetricsReader {
  plan: Plan;
  views: SharedViews;
  layout: MetricsLayout;
  /** When the job started (the start gate), in epoch ms. */
  startedMs(): number;
  /** Micro-batch: the epoch id the run started from (its restored checkpoint's); epochs are counted from there. */
  firstEpoch: number;
  /** The previous reading, for rates. */
  previous: { atMs: number; sourceRecords: number[] } | undefined;
  /** Recent readings of the operators' counts, oldest first, for their rates. */
  history?: CountsReading[];
}

/** Reads the workers' shared counters and the rings' fill levels (no message to any thread). */
export function readMetrics(reader: MetricsReader): JobMetrics {
  const { plan, views, layout } = reader;
  const m = views.metrics;
  const n = plan.parallelism;
  const now = nowMs();
  const workers = Array.from({ length: n }, (_, w) => w);

  // A worker that has not published yet has no watermark (its slots still read 0).
  const published = workers.map((w) => m[layout.misc(w, kMiscUpdatedAtMs)] > 0);
  const counts = plan.graph.nodes.map((node) =>
    workers.map((w) => {
      const watermarkMs = m[layout.watermark(w, node.id)];
      return {
        recordsIn: m[layout.recordsIn(w, node.id)],
        recordsOut: m[layout.recordsOut(w, node.id)],
        ...(published[w] && Number.isFinite(watermarkMs) ? { watermarkMs } : {}),
      };
    }),
  );
  const recordsIn = counts.map((perWorker) => perWorker.reduce((a, x) => a + x.recordsIn, 0));
  const recordsOut = counts.map((perWorker) => perWorker.reduce((a, x) => a + x.recordsOut, 0));
  const base = rateBase(reader, { atMs: now, recordsIn, recordsOut });
  const perSec = (count: number, before: number | undefined) => (base && now > base.atMs ? ((count - (before ?? 0)) * 1000) / (now - base.atMs) : 0);
  const operators = plan.graph.nodes.map((node) => {
    const perWorker = counts[node.id];
    // The operator's watermark is its slowest worker's; none until every worker has one.
    const watermarks = perWorker.map((w) => w.watermarkMs);
    const watermarkMs = watermarks.every((wm) => wm !== undefined) ? Math.min(...(watermarks as number[])) : undefined;
    return {
      name: node.name,
      kind: node.kind,
      recordsIn: recordsIn[node.id],
      recordsOut: recordsOut[node.id],
      recordsInPerSec: perSec(recordsIn[node.id], base?.recordsIn[node.id]),
      recordsOutPerSec: perSec(recordsOut[node.id], base?.recordsOut[node.id]),
      ...(watermarkMs === undefined ? {} : { watermarkMs, watermarkLagMs: Date.now() - watermarkMs }),
      deadLetters: workers.reduce((a, w) => a + m[layout.deadLetters(w, node.id)], 0),
      skipped: workers.reduce((a, w) => a + m[layout.skipped(w, node.id)], 0),
      perWorker,
    };
  });

  const latencyBuckets = new Float64Array(latencyBucketBoundsMs.length);
  let latencySumMs = 0;
  for (const w of workers) {
    for (let b = 0; b < latencyBuckets.length; b++) latencyBuckets[b] += m[layout.latencyBucket(w, b)];
    latencySumMs += m[layout.latencySumMs(w)];
  }

  const channels: JobMetrics['channels'] = [];
  plan.exchanges.forEach((nodeId, e) => {
    for (const from of workers) {
      for (const to of workers) {
        const usedBytes = views.ringUsedBytes(e, from, to);
        channels.push({
          exchange: plan.graph.nodes[nodeId].name,
          from,
          to,
          usedBytes,
          occupancy: usedBytes / views.layout.ringCapacityBytes,
          blockedMs: m[layout.blockedMs(from, e, to)],
        });
      }
    }
  });

  // Source records per partition: the source node's output on the worker that owns the partition.
  // (Several partitions on one worker share that worker's counter; it is split evenly.)
  const sources: JobMetrics['sources'] = [];
  const records: number[] = [];
  const elapsedSincePreviousMs = reader.previous ? now - reader.previous.atMs : now - reader.startedMs();
  for (const [sourceIndex, node] of plan.sources.entries()) {
    const partitions = node.spec.partitions();
    for (const w of workers) {
      const owned = ownedPartitions(partitions, n, w);
      for (const partition of owned) {
        const count = m[layout.recordsOut(w, node.id)] / owned.length;
        const before = reader.previous?.sourceRecords[records.length] ?? 0;
        records.push(count);
        const lag = m[layout.lag(sourceIndex, partition)];
        sources.push({
          source: node.name,
          partition,
          worker: w,
          records: count,
          recordsPerSec: elapsedSincePreviousMs > 0 ? ((count - before) * 1000) / elapsedSincePreviousMs : 0,
          ...(Number.isNaN(lag) ? {} : { lag }),
        });
      }
    }
  }
  reader.previous = { atMs: now, sourceRecords: records };

  let deadLetters = 0;
  // An epoch is complete once every worker still taking part completed it; a worker whose input
  // ended takes part in no further epoch, so once all have ended the count is the largest.
  let epochsOfActive = Number.POSITIVE_INFINITY;
  let epochsOfAny = 0;
  let connectionRetries = 0;
  for (const w of workers) {
    deadLetters += m[layout.misc(w, kMiscDeadLetters)];
    connectionRetries += m[layout.misc(w, kMiscConnectionRetries)];
    const epochs = m[layout.misc(w, kMiscEpochs)];
    epochsOfAny = Math.max(epochsOfAny, epochs);
    if (m[layout.misc(w, kMiscEpochsOver)] === 0) epochsOfActive = Math.min(epochsOfActive, epochs);
  }
  const lastEpoch = Number.isFinite(epochsOfActive) ? epochsOfActive : epochsOfAny;
  const epochsCompleted = Math.max(0, lastEpoch - reader.firstEpoch);
  const watermarkAlignment = readAlignmentMetrics(plan, views);
  const latency = latencyHistogram(latencyBuckets, latencySumMs);
  return { elapsedMs: now - reader.startedMs(), operators, channels, sources, deadLetters, epochsCompleted, connectionRetries, watermarkAlignment, latency };
}

/**
 * The reading to take rates against: the newest at least rateWindowMs old (before there is one,
 * the oldest, or the start with zero counts). Keeps `current` in the history.
 */
function rateBase(reader: MetricsReader, current: CountsReading): CountsReading | undefined {
  const history = (reader.history ??= [{ atMs: reader.startedMs(), recordsIn: [], recordsOut: [] }]);
  let base: CountsReading | undefined;
  for (const reading of history) if (current.atMs - reading.atMs >= rateWindowMs) base = reading;
  base ??= history[0];
  history.push(current);
  // Older readings than the newest one past rateHistoryMs serve no rate.
  while (history.length > 2 && current.atMs - history[1].atMs >= rateHistoryMs) history.shift();
  // Readings a few ms apart add nothing: keep at most one per 100 ms.
  if (history.length > 2 && history[history.length - 1].atMs - history[history.length - 2].atMs < 100) history.splice(history.length - 2, 1);
  return base;
}
