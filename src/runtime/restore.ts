import { join } from 'node:path';
import type { LogicalNode } from '../api/graph.ts';
import type { CheckpointMetadata } from '../checkpoint/metadata.ts';
import { keyGroupRangeOfWorker } from '../checkpoint/key-groups.ts';
import { restoreIntoStore } from '../checkpoint/state-restore.ts';
import type { SinkRecovery } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import type { StateStore } from '../state/store.ts';
import { operatorUid } from './plan.ts';

/** A verified checkpoint or savepoint a run resumes from (checked by CheckpointStore.resolve on the main thread). */
export interface RestorePoint {
  dir: string;
  metadata: CheckpointMetadata;
}

/**
 * Puts this worker's key groups of every snapshot into its (empty) store. Every file is read, not
 * only the worker's own, so a job can resume with another parallelism: the key groups a worker
 * owns may have been spread over several old workers.
 */
export async function restoreWorkerState(point: RestorePoint, store: StateStore, worker: number, parallelism: number, keyGroups: number): Promise<void> {
  const { metadata, dir } = point;
  if (metadata.keyGroups !== keyGroups) {
    throw new WeirError('WEIR_CONFIG', `the checkpoint at ${dir} has ${metadata.keyGroups} key groups and this run ${keyGroups}: the number of key groups cannot change (set keyGroups to ${metadata.keyGroups})`);
  }
  const files = metadata.stateFiles.map((f) => join(dir, f.path));
  if (files.length === 0) return;
  await restoreIntoStore(store, files, { keyGroups: keyGroupRangeOfWorker(worker, keyGroups, parallelism) });
}

/** Where partition `partition` of source `node` resumes: its position in the checkpoint, or undefined (from the start). */
export function restoredPosition(point: RestorePoint | undefined, node: LogicalNode, partition: number): unknown {
  if (!point) return undefined;
  const uid = operatorUid(node);
  return point.metadata.sourcePositions.find((p) => p.operatorUid === uid && p.partition === partition)?.position ?? undefined;
}

/** What the sink with this uid pre-committed at the checkpoint being resumed from. */
export function sinkRecovery(point: RestorePoint | undefined, sinkUid: string): SinkRecovery | undefined {
  if (!point) return undefined;
  const notes = point.metadata.sinkNotes.filter((n) => n.sinkUid === sinkUid).map(({ subtask, note }) => ({ subtask, note }));
  return { checkpointId: point.metadata.id, notes };
}
