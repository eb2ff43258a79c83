import type { JobResult } from '../runtime/run.ts';
import type { JobMetrics } from '../runtime/metrics.ts';
import { describeDropped } from '../runtime/job-identity.ts';

const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : n.toFixed(0));

export function formatProgress(m: JobMetrics): string {
  const total = m.sources.reduce((a, s) => a + s.recordsPerSec, 0);
  const fullest = m.channels.reduce((a, c) => Math.max(a, c.occupancy), 0);
  return `weir: ${(m.elapsedMs / 1000).toFixed(1)} s  ${rate(total)} records/s in  rings ≤ ${(fullest * 100).toFixed(0)} % full  dead letters ${m.deadLetters}`;
}

export function formatSummary(result: JobResult): string {
  const m = result.metrics;
  const lines = [`weir: done in ${(result.durationMs / 1000).toFixed(2)} s (work dir ${result.workDir})`];
  lines.push('  operator                          in            out');
  for (const op of m.operators) lines.push(`  ${op.name.padEnd(28)} ${String(op.recordsIn).padStart(12)}  ${String(op.recordsOut).padStart(12)}`);
  for (const s of m.sources) lines.push(`  source ${s.source} partition ${s.partition} (worker ${s.worker}): ${s.records} records`);
  const blocked = m.channels.reduce((a, c) => a + c.blockedMs, 0);
  lines.push(`  time blocked on full rings: ${blocked.toFixed(1)} ms; dead letters: ${m.deadLetters}`);
  const restored = result.restoredFrom;
  if (restored?.dropped?.length) {
    lines.push(`  resumed from checkpoint ${restored.id} of job "${restored.job}" (${restored.dir}), dropping the state of: ${describeDropped(restored.dropped)}`);
  }
  if (m.epochsCompleted > 0) lines.push(`  micro-batch epochs completed: ${m.epochsCompleted}`);
  return lines.join('\n');
}
