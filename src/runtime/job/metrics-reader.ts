import { nowMs } from '../../util/clock.ts';
import { kMiscDeadLetters, kMiscConnectionRetries, kMiscEpochs, kMiscEpochsOver, type JobMetrics, type MetricsLayout } from '../metrics.ts';
import { ownedPartitions, type Plan } from '../plan.ts';
import type { SharedViews } from '../protocol.ts';
import { readAlignmentMetrics } from '../worker/watermark-alignment.ts';

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
}

/** Reads the workers' shared counters and the rings' fill levels (no message to any thread). */
export function readMetrics(reader: MetricsReader): JobMetrics {
  const { plan, views, layout } = reader;
  const m = views.metrics;
  const n = plan.parallelism;
  const now = nowMs();
  const workers = Array.from({ length: n }, (_, w) => w);

  const operators = plan.graph.nodes.map((node) => {
    const perWorker = workers.map((w) => ({ recordsIn: m[layout.recordsIn(w, node.id)], recordsOut: m[layout.recordsOut(w, node.id)] }));
    return {
      name: node.name,
      kind: node.kind,
      recordsIn: perWorker.reduce((a, x) => a + x.recordsIn, 0),
      recordsOut: perWorker.reduce((a, x) => a + x.recordsOut, 0),
      deadLetters: workers.reduce((a, w) => a + m[layout.deadLetters(w, node.id)], 0),
      skipped: workers.reduce((a, w) => a + m[layout.skipped(w, node.id)], 0),
      perWorker,
    };
  });

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
  return { elapsedMs: now - reader.startedMs(), operators, channels, sources, deadLetters, epochsCompleted, connectionRetries, watermarkAlignment };
}
