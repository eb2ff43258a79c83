import { join } from 'node:path';
import type { LogicalNode } from '../api/graph.ts';
import type { CheckpointMetadata } from '../checkpoint/metadata.ts';
import { keyGroupRangeOfWorker } from '../checkpoint/key-groups.ts';
import type { RestoredFiles } from '../snapshot/restored-files.ts';
import { restoreIntoStore, type RestoreResult } from '../snapshot/state-restore.ts';
import type { SinkRecovery } from '../connectors/types.ts';
import { WeirError } from '../errors.ts';
import type { StateStore } from '../state/store.ts';
import type { DroppedState } from './job/job-identity.ts';
import { operatorUid } from './plan.ts';
import { isBroadcastStateId } from './worker/broadcast-states.ts';

/** A verified checkpoint or savepoint a run resumes from (checked by CheckpointStore.resolve on the main thread). */
export interface RestorePoint {
  dir: string;
  metadata: CheckpointMetadata;
  /** With allowNonRestoredState: the checkpoint's state no operator of this job takes over (job-identity.ts), left out. */
  dropped?: DroppedState[];
}

/**
 * Puts this worker's key groups of every snapshot into its (empty) store. Every file is read, not
 * only the worker's own, so a job can resume with another parallelism: the key groups a worker
 * owns may have been spread over several old workers.
 *
 * Returns this worker's own files when they hold exactly the state restored — its files had no
 * entry of another worker, the others none of its — so that its next incremental checkpoint can
 * build on them instead of starting with a full snapshot.
 */
export async function restoreWorkerState(point: RestorePoint, store: StateStore, worker: number, parallelism: number, keyGroups: number): Promise<RestoredFiles | undefined> {
  const { metadata, dir } = point;
  if (metadata.keyGroups !== keyGroups) {
    throw new WeirError('WEIR_CONFIG', `the checkpoint at ${dir} has ${metadata.keyGroups} key groups and this run ${keyGroups}: the number of key groups cannot change (set keyGroups to ${metadata.keyGroups})`);
  }
  if (metadata.stateFiles.length === 0) return undefined;
  const mine = keyGroupRangeOfWorker(worker, keyGroups, parallelism);
  // State ids are `${operatorUid}/${name}`: a dropped operator's entries are left out, and count as
  // filtered out, so no incremental chain builds on files that hold them.
  const droppedOperators = new Set(point.dropped?.filter((d) => d.kind === 'stateful operator').map((d) => d.uid));
  const states = droppedOperators.size === 0 ? undefined : (state: string) => !droppedOperators.has(state.slice(0, state.indexOf('/')));
  const own = metadata.stateFiles.filter((f) => metadata.parallelism === parallelism && f.worker === worker);
  const others = metadata.stateFiles.filter((f) => !own.includes(f));
  // One file at a time: the chain that continues from them counts each file's keys (snapshot-chain.ts
  // decides from them when to merge, and when the next snapshot must be full).
  const fromOwn: RestoreResult[] = [];
  for (const f of own) fromOwn.push(await restoreIntoStore(store, join(dir, f.path), { keyGroups: mine, states }));
  // With another parallelism this worker may own none of the key groups the old workers kept
  // their copies of broadcast state in (broadcast-states.ts): it takes them from every key group.
  const anyKeyGroup = own.length === 0 ? isBroadcastStateId : undefined;
  const fromOthers = await restoreIntoStore(store, others.map((f) => join(dir, f.path)), { keyGroups: mine, states, anyKeyGroup });
  if (own.length === 0 || fromOwn.some((r) => r.filteredOut > 0) || fromOthers.restored > 0 || fromOthers.deleted > 0) return undefined;
  return { files: own.map((f, i) => ({ absolutePath: join(dir, f.path), name: f.path, bytes: f.bytes, sha256: f.sha256, keys: fromOwn[i].restored + fromOwn[i].deleted })) };
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
