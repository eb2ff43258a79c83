import { join } from 'node:path';
import type { SinkContext, SinkRecovery, SinkWriter } from '../connectors/types.ts';
import { fileSink } from '../connectors/sinks.ts';
import { operatorUid, type Plan } from './plan.ts';

/** Opens every sink of the plan for one worker (subtask). */
export async function openSinkWriters(
  plan: Plan,
  ctx: Omit<SinkContext, 'sinkUid' | 'recovery'>,
  recoveryOf: (sinkUid: string) => SinkRecovery | undefined,
): Promise<Map<number, SinkWriter<unknown>>> {
  const writers = new Map<number, SinkWriter<unknown>>();
  for (const node of plan.sinks) {
    const sinkUid = operatorUid(node);
    writers.set(node.id, await node.spec.open({ ...ctx, sinkUid, recovery: recoveryOf(sinkUid) }));
  }
  return writers;
}

/** The job's dead-letter sink, or by default a JSON-lines file per worker in the work dir. */
export async function openDeadLetterWriter(plan: Plan, ctx: Omit<SinkContext, 'sinkUid'>): Promise<{ name: string; writer: SinkWriter<unknown> }> {
  const spec = plan.graph.deadLetterSink ?? fileSink({ path: defaultDeadLetterPath(ctx.workDir), name: 'dead-letters' });
  return { name: spec.name, writer: await spec.open({ ...ctx, sinkUid: 'dead-letters' }) };
}

export function defaultDeadLetterPath(workDir: string): string {
  return join(workDir, 'dead-letters.jsonl');
}
