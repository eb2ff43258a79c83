/**
 * Does a checkpoint belong to the job that is about to resume from it? A state dir is shared by
 * name only, so a second job pointed at the first one's state dir would otherwise resume from its
 * checkpoint: keyed state carried on, its own sources started from the beginning, every record
 * counted twice. So before a run restores anything, the job's identity — its name, its sources and
 * its stateful operators by uid — is compared with what the checkpoint recorded
 * (CheckpointMetadata.operators), and a mismatch is refused, as Flink refuses state it cannot map
 * unless told `--allowNonRestoredState`.
 *
 * What counts as a mismatch:
 *  - another job name;
 *  - state in the checkpoint that this job has no operator for: a source's positions or a stateful
 *    operator's keyed state (restoring would silently drop it).
 * Operators new in this job are not a mismatch: they start empty, as in Flink. Nor is a sink the
 * job no longer has (a sink's uid names its output, so pointing the job at another output
 * directory changes it): the old sink's notes, transactions committed when their checkpoint
 * completed, are left alone and reported as dropped.
 * Checkpoints written before the operator list was recorded name their sources (by position) only:
 * their stateful operators are not compared.
 *
 * With allowNonRestoredState the run goes on: the unmatched state is left out of the restore and
 * reported (JobResult.restoredFrom.dropped).
 */
import { deadLetterSinkUid } from '../worker/sinks.ts';
import type { CheckpointMetadata, OperatorUids } from '../../checkpoint/metadata.ts';
import { WeirError } from '../../errors.ts';
import { operatorUid, type Plan } from '../plan.ts';
import { isStateful } from '../../api/graph.ts';

/** State in a checkpoint that no operator of the resuming job takes over. */
export interface DroppedState {
  kind: 'source' | 'stateful operator' | 'sink';
  uid: string;
}

export interface IdentityMatch {
  /** The name of the job that wrote the checkpoint. */
  checkpointJob: string;
  /** Unmatched state, left out of the restore (empty when everything matched). */
  dropped: DroppedState[];
}

/** The uids a checkpoint of this plan records. */
export function operatorUidsOf(plan: Plan): OperatorUids {
  return {
    sources: plan.sources.map((node) => operatorUid(node)),
    stateful: plan.graph.nodes.filter(isStateful).map((node) => operatorUid(node)),
  };
}

/**
 * Compares a checkpoint with the job about to resume from it. Throws WEIR_CONFIG naming both jobs
 * and every difference, unless `allowNonRestoredState`; then returns what is dropped.
 */
export function matchCheckpointToJob(dir: string, metadata: CheckpointMetadata, jobName: string, plan: Plan, allowNonRestoredState: boolean): IdentityMatch {
  const job = operatorUidsOf(plan);
  // The dead-letter output is a sink of every job (its own uid, which no operator can have).
  const sinks = new Set([...plan.sinks.map((node) => operatorUid(node)), deadLetterSinkUid]);
  const recordedSources = new Set([...(metadata.operators?.sources ?? []), ...metadata.sourcePositions.map((p) => p.operatorUid)]);
  const dropped: DroppedState[] = [
    ...[...recordedSources].filter((uid) => !job.sources.includes(uid)).map((uid) => ({ kind: 'source' as const, uid })),
    ...(metadata.operators?.stateful ?? []).filter((uid) => !job.stateful.includes(uid)).map((uid) => ({ kind: 'stateful operator' as const, uid })),
    ...[...new Set(metadata.sinkNotes.map((n) => n.sinkUid))].filter((uid) => !sinks.has(uid)).map((uid) => ({ kind: 'sink' as const, uid })),
  ];
  const nameDiffers = metadata.jobName !== jobName;
  const unmatched = dropped.filter((d) => d.kind !== 'sink');
  if ((nameDiffers || unmatched.length > 0) && !allowNonRestoredState) {
    const differences = [
      ...(nameDiffers ? [`it was written by job "${metadata.jobName}", this is job "${jobName}"`] : []),
      ...(unmatched.length > 0 ? [`it holds state of operators this job does not have: ${describeDropped(unmatched)}`] : []),
    ];
    const recorded = metadata.operators ? '' : ' (it predates the recording of stateful operators: only the name and the sources were compared)';
    throw new WeirError(
      'WEIR_CONFIG',
      `job "${jobName}" cannot resume from the ${metadata.kind} at ${dir} of job "${metadata.jobName}"${recorded}: ${differences.join('; ')}. ` +
        'Give this job its own state dir (--state-dir), start it empty (--from none), or, to resume anyway and drop the state no operator takes over, ' +
        'pass --allow-non-restored-state (run option allowNonRestoredState: true)',
    );
  }
  return { checkpointJob: metadata.jobName, dropped };
}

export function describeDropped(dropped: DroppedState[]): string {
  return dropped.map((d) => `${d.kind} "${d.uid}"`).join(', ');
}
