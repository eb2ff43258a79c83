/** The notes under a report's tables: what the figures mean together, and what they cannot say. */
import { pointOf, representativeRun } from './bench-points.ts';
import type { BenchReport, BenchRun } from './report-types.ts';

export function benchNotes(report: Omit<BenchReport, 'notes'>): string[] {
  const out = [...microBatchModelNotes(report), outputComparison(report.runs)];
  for (const warning of report.environment.load?.warnings ?? []) out.push(`WARNING: the machine was busy: ${warning}. Repeat the bench on a quiet machine before drawing conclusions.`);
  return out;
}

/** How the output checksum is made, said wherever one is shown. */
export const checksumFormat =
  'An output checksum reads <16 hex digits>-<records>: the sum modulo 2^32, in each of two 32-bit lanes, of two independent hashes of each output record\'s JSON, then the number of records. It does not depend on the order of the records or on which worker wrote them: equal checksums mean the same records, each as often.';

/**
 * The micro-batch latency model: a record waits for the next trigger (half an interval on average,
 * arrivals being uniform) and then for its whole batch to be processed and committed (the epoch's
 * duration), since output becomes visible only at the epoch end. With the measured continuous
 * median as the processing cost of one record, the prediction for the median is
 * interval/2 + until-visible median + continuous median.
 *
 * That processing cost is meaningful only when the continuous run had no backlog: a continuous
 * median measured behind a queue is the queue, and a micro-batch run that fell behind measures its
 * backlog, not its trigger. So the model is printed only for rates where both points kept up and
 * the continuous records were read as they came due (source-stage median under 1 ms); otherwise a
 * note says why not.
 */
const continuousSourceBacklogMs = 1;

function microBatchModelNotes(report: Omit<BenchReport, 'notes'>): string[] {
  const out: string[] = [];
  const intervalMs = report.config.microBatchIntervalMs;
  for (const mbPoint of report.points.filter((p) => p.mode === 'micro-batch')) {
    const rate = mbPoint.offeredRatePerSec;
    const at = `micro-batch at ${rate.toLocaleString('en')} events/s`;
    const cPoint = pointOf(report as BenchReport, 'continuous', rate);
    if (!cPoint) {
      out.push(`${at}: the latency model is not shown: it needs the continuous run at the same rate, for the processing cost.`);
      continue;
    }
    const mb = representativeRun(report as BenchReport, mbPoint);
    const c = representativeRun(report as BenchReport, cPoint);
    const why = !cPoint.keptUp
      ? 'the continuous run did not keep up (its table says why), so its median is no measure of the processing cost alone'
      : c.latency.stages.source.p50Ms >= continuousSourceBacklogMs
        ? `the continuous records waited ${c.latency.stages.source.p50Ms.toFixed(1)} ms (median) at the source, so its median measures a backlog, not the processing cost`
        : !mbPoint.keptUp
          ? 'the micro-batch run did not keep up, so its median measures its backlog, not its trigger and commit'
          : undefined;
    if (why) {
      out.push(`${at}: the latency model is not shown: ${why}.`);
      continue;
    }
    const processingMs = c.latency.endToEnd.p50Ms;
    const visibleMs = mb.latency.stages['until-visible'].p50Ms;
    const predictedMs = intervalMs / 2 + visibleMs + processingMs;
    const measuredMs = mb.latency.endToEnd.p50Ms;
    const offPct = ((measuredMs - predictedMs) / predictedMs) * 100;
    out.push(
      `${at}: median ${measuredMs.toFixed(1)} ms; the model (interval/2 = ${(intervalMs / 2).toFixed(0)} ms + epoch commit wait ${visibleMs.toFixed(1)} ms + processing ${processingMs.toFixed(2)} ms) predicts ${predictedMs.toFixed(1)} ms: ${offPct >= 0 ? '+' : ''}${offPct.toFixed(0)} %. ` +
        `The source stage (waiting for the trigger) has median ${mb.latency.stages.source.p50Ms.toFixed(1)} ms` +
        (mb.latency.stages.source.p50Ms < intervalMs / 2 - 1
          ? ` — below interval/2 because a batch reads until its sources run dry, so records that come due while it is being read join it instead of waiting for the next trigger; their commit wait and source wait overlap, which the model counts twice.`
          : '.'),
    );
  }
  return out;
}

/** Compares the output of the modes (and trials) at each rate; never claims agreement for runs that were not compared. */
export function outputComparison(runs: BenchRun[]): string {
  const byRate = new Map<number, BenchRun[]>();
  for (const r of runs) byRate.set(r.offeredRatePerSec, [...(byRate.get(r.offeredRatePerSec) ?? []), r]);
  const compared = [...byRate.entries()].filter(([, rs]) => new Set(rs.map((r) => r.mode)).size > 1);
  const differing = [...byRate.entries()].filter(([, rs]) => new Set(rs.map((r) => r.outputChecksum)).size > 1).map(([rate]) => rate);
  if (differing.length > 0) {
    return `WARNING: the runs produced different output at ${differing.map((r) => r.toLocaleString('en')).join(', ')} events/s (checksums differ): the job is not deterministic, or a mode lost or duplicated records.`;
  }
  if (compared.length === 0) return 'Output not compared: only one mode ran at each rate.';
  const rates = compared.map(([rate]) => rate.toLocaleString('en')).join(', ');
  return `Both modes produced the same output (checksums equal at ${compared.length === byRate.size ? 'every rate' : `${rates} events/s, the rates where both ran`}).`;
}
