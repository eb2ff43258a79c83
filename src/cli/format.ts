import type { JobResult } from '../runtime/job/run.ts';
import type { JobMetrics } from '../runtime/metrics.ts';
import { describeDropped } from '../runtime/job/job-identity.ts';
import type { CollectedOutput } from './outcome.ts';

const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : n.toFixed(0));

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** One progress line. Time runs from readiness on, across restarts; before that the line says it is starting. */
export function formatProgress(m: JobMetrics): string {
  if (m.state === 'starting') return `weir: starting… ${seconds(m.startupMs ?? m.elapsedMs)}`;
  const total = m.sources.reduce((a, s) => a + s.recordsPerSec, 0);
  const fullest = m.channels.reduce((a, c) => Math.max(a, c.occupancy), 0);
  const state = m.state === 'running' || m.state === undefined ? '' : `  (${m.state})`;
  return `weir: ${seconds(m.runMs ?? m.elapsedMs)}  ${rate(total)} records/s in  rings ≤ ${(fullest * 100).toFixed(0)} % full  dead letters ${m.deadLetters}${state}`;
}

export function formatSummary(result: JobResult, told: { start: string; collected: CollectedOutput[] }): string {
  const m = result.metrics;
  const lines = [`weir: ${m.state ?? 'finished'} — ran ${seconds(result.runMs)} after a start-up of ${seconds(result.startupMs)} (work dir ${result.workDir})`, `  ${told.start}`];
  for (const r of m.restarts ?? []) {
    const from = r.restoredFromId === undefined ? 'from where the run began' : `from checkpoint ${r.restoredFromId}`;
    lines.push(`  restarted after ${r.code}: ${r.cause} — ${from}${r.replayedEpochs ? `, replaying ${r.replayedEpochs} epoch(s)` : ''}`);
  }
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
  for (const c of told.collected) lines.push(`  collect sink "${c.sink}": ${c.records} record(s) saved to ${c.path}`);
  return lines.join('\n');
}
