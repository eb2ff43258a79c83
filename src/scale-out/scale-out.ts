/**
 * Scale-out over several processes (hosts): each runs `runScaledOut(job, options)` with the same
 * topic, group and shared state directory. A Kafka consumer group (group-member.ts) splits the
 * topic's partitions among the processes; each runs the job on its partitions only, and on every
 * change of the assignment stops (with a final checkpoint) and starts again on the new one — a
 * rebalance is a restart from the newest checkpoints, as in Kafka Streams. Design and limits:
 * docs/kafka.md, "Scale-out".
 *
 * What makes it correct is the same co-partitioning Kafka Streams requires: the job keys by the
 * Kafka record key, and keys find their key group with Kafka's partitioner over as many key
 * groups as the topic has partitions (keyGroupAssigner 'kafka'), so all state of Kafka partition
 * p is key group p and nothing else. State then moves with its partition.
 *
 * Shared state directory:
 *
 *   <stateDir>/assignments/
 *     a00000003-g7-1f2e3d/          one per (process, assignment): the job's state dir while it runs
 *       assignment.json             { seq, generationId, memberId, partitions, createdAtMs }
 *       checkpoints/chk-…/          its checkpoints (the first one seeded, below)
 *
 * `seq` is one more than any existing assignment's, taken after the group handed out the
 * assignment — which the coordinator does only once every previous owner has rejoined, i.e.
 * stopped with its final checkpoint — so a partition's newest owner has the highest seq among the
 * directories that held it. Starting on an assignment, the runner seeds the new directory's first
 * checkpoint: for each assigned partition p, the newest complete checkpoint of the directory with
 * the highest seq that held p gives p's source position and key group p of its state. The job then
 * resumes from that checkpoint as from any other.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadJob, sourcePartitionsParam } from '../api/job.ts';
import { CheckpointStore } from '../checkpoint/checkpoint-store.ts';
import type { VerifiedCheckpoint } from '../checkpoint/checkpoint-verify.ts';
import { dirNameOf, metadataFileName, parseDirName } from '../checkpoint/checkpoint-layout.ts';
import { decodeMetadataFile } from '../checkpoint/metadata-file.ts';
import type { SourcePosition } from '../checkpoint/metadata.ts';
import { restoreIntoStore } from '../snapshot/state-restore.ts';
import { stateBackends } from '../snapshot/backends.ts';
import { KafkaGroupMember, type GroupAssignment } from '../connectors/kafka/group-member.ts';
import type { KafkaConnectionOptions } from '../connectors/kafka/connection.ts';
import { kafkaPartitionCount } from '../connectors/kafka/source.ts';
import { WeirError } from '../errors.ts';
import type { RunOptions } from '../runtime/options.ts';
import { run, toJobUrl, type JobHandle, type JobResult } from '../runtime/job/run.ts';

export interface ScaleOutOptions extends Omit<RunOptions, 'stateDir' | 'restoreFrom' | 'keyGroups' | 'keyGroupAssigner'> {
  /** The consumer group the processes join to split the topic (Kafka connection options too). */
  kafka: KafkaConnectionOptions & {
    topic: string;
    groupId: string;
    /** Default 10 s: a process that stops heartbeating for this long loses its partitions. */
    sessionTimeoutMs?: number;
    /** Default 60 s: how long a rebalance waits for every member to stop and rejoin. */
    rebalanceTimeoutMs?: number;
    heartbeatIntervalMs?: number;
  };
  /** The name (or uid) of the job's Kafka source reading `kafka.topic`. */
  source: string;
  /** Shared by every process of the job (a network filesystem across hosts). */
  stateDir: string;
  /** Called with every assignment, before the job starts on it. */
  onAssignment?(assignment: GroupAssignment): void;
}

/** One run of the job on one assignment. */
export interface ScaledOutRun {
  assignment: GroupAssignment;
  /** The run's state directory (under <stateDir>/assignments/). */
  dir: string;
  /** For each assigned partition: the assignment directory its state and position came from (undefined: fresh). */
  restoredFrom: Record<number, string | undefined>;
  result: JobResult;
}

export interface ScaledOutJob {
  /** Settles when stop() has finished, or rejects when a run failed (after its restart strategy gave up). */
  readonly done: Promise<ScaledOutRun[]>;
  /** The current assignment (undefined while joining). */
  assignment(): GroupAssignment | undefined;
  /** The job running on the current assignment. */
  job(): JobHandle | undefined;
  /** Stops the job with a final checkpoint, commits its offsets and leaves the group. */
  stop(): Promise<ScaledOutRun[]>;
}

const assignmentsDirName = 'assignments';
const assignmentFileName = 'assignment.json';

interface AssignmentRecord {
  seq: number;
  generationId: number;
  memberId: string;
  partitions: number[];
  createdAtMs: number;
}

/** Joins the group and runs `job` on the partitions it assigns, following every rebalance (see the module comment). */
export async function runScaledOut(job: string | URL, options: ScaleOutOptions): Promise<ScaledOutJob> {
  const { kafka, source, onAssignment, ...runOptions } = options;
  if (typeof source !== 'string' || source === '') throw new WeirError('WEIR_CONFIG', 'runScaledOut: source (the name of the job\'s Kafka source) is required');
  if (!(runOptions.checkpointIntervalMs! > 0)) throw new WeirError('WEIR_CONFIG', 'runScaledOut: checkpointIntervalMs is required (state moves between processes through checkpoints)');
  const stateDir = resolve(options.stateDir);
  const { env } = await loadJob(toJobUrl(job), runOptions.params ?? {});
  if (!env.graph.nodes.some((n) => n.kind === 'source' && (n.uid ?? n.name) === source)) {
    throw new WeirError('WEIR_CONFIG', `runScaledOut: the job has no source named "${source}"`);
  }
  for (const node of env.graph.nodes) {
    // Their transactional ids are per subtask, the same in every process, and their pending
    // transactions are not handed over with a partition: docs/kafka.md, "Scale-out".
    if (node.kind === 'sink' && node.spec.guarantee === 'exactly-once') {
      throw new WeirError('WEIR_CONFIG', `runScaledOut: sink "${node.name}" is exactly-once; scale-out supports at-least-once and upsert sinks only`);
    }
  }
  const partitions = await kafkaPartitionCount(kafka, kafka.topic);
  const member = new KafkaGroupMember({ ...kafka, partitions });
  let current: { assignment: GroupAssignment; handle: JobHandle | undefined } | undefined;
  let stopRequested: () => void = () => {};
  const stopping = new Promise<void>((r) => (stopRequested = r));
  let stopped = false;
  const runs: ScaledOutRun[] = [];

  const loop = async (): Promise<ScaledOutRun[]> => {
    try {
      while (!stopped) {
        const assignment = await member.join();
        if (stopped) break;
        current = { assignment, handle: undefined };
        onAssignment?.(assignment);
        const { dir, restoredFrom } = await prepareAssignment(stateDir, assignment, partitions, source);
        const params = { ...runOptions.params, [sourcePartitionsParam]: JSON.stringify({ [source]: assignment.partitions }) };
        const handle = await run(job, { ...runOptions, params, stateDir: dir, restoreFrom: 'latest', keyGroups: partitions, keyGroupAssigner: 'kafka' });
        current.handle = handle;
        const committer = offsetCommitter(member, dir, source, assignment.partitions);
        // The job only ends by failing (Kafka is unbounded) or by a stop from here.
        const failed = handle.done.then(() => 'ended' as const, (err: unknown) => ({ err }));
        const outcome = await Promise.race([member.heartbeatUntilRebalance(Promise.race([stopping, failed]), committer), failed]);
        if (typeof outcome === 'object') throw outcome.err;
        const result = await handle.stop();
        await committer(); // the final checkpoint's offsets; refused while the group rebalances (the next owner commits them)
        runs.push({ assignment, dir, restoredFrom, result });
        current = undefined;
      }
      return runs;
    } finally {
      await member.leave();
    }
  };
  const done = loop();
  done.catch(() => {});
  return {
    done,
    assignment: () => current?.assignment,
    job: () => current?.handle,
    stop() {
      stopped = true;
      stopRequested();
      return done;
    },
  };
}

/**
 * Creates this run's assignment directory and, when any assigned partition was held before,
 * seeds its first checkpoint with each partition's newest state and position.
 */
async function prepareAssignment(
  stateDir: string,
  assignment: GroupAssignment,
  partitions: number,
  source: string,
): Promise<{ dir: string; restoredFrom: Record<number, string | undefined> }> {
  const root = join(stateDir, assignmentsDirName);
  await mkdir(root, { recursive: true });
  const earlier = listAssignments(root).sort((a, b) => b.record.seq - a.record.seq);
  const seq = (earlier[0]?.record.seq ?? 0) + 1;
  const dir = join(root, `a${String(seq).padStart(8, '0')}-g${assignment.generationId}-${randomBytes(3).toString('hex')}`);
  await mkdir(dir);
  const record: AssignmentRecord = { seq, generationId: assignment.generationId, memberId: assignment.memberId, partitions: assignment.partitions, createdAtMs: Date.now() };
  await writeFile(join(dir, `${assignmentFileName}.tmp`), JSON.stringify(record));
  await rename(join(dir, `${assignmentFileName}.tmp`), join(dir, assignmentFileName));

  // For each partition, the newest checkpoint of the newest directory that held it.
  const latest = new Map<string, VerifiedCheckpoint | undefined>();
  const restoredFrom: Record<number, string | undefined> = {};
  const from = new Map<string, { checkpoint: VerifiedCheckpoint; partitions: number[] }>();
  for (const p of assignment.partitions) {
    restoredFrom[p] = undefined;
    for (const candidate of earlier) {
      if (!candidate.record.partitions.includes(p)) continue;
      if (!latest.has(candidate.dir)) latest.set(candidate.dir, await latestCheckpoint(candidate.dir));
      const checkpoint = latest.get(candidate.dir);
      if (!checkpoint) continue; // it never completed one: look further back
      restoredFrom[p] = candidate.dir;
      const entry = from.get(candidate.dir) ?? { checkpoint, partitions: [] };
      entry.partitions.push(p);
      from.set(candidate.dir, entry);
      break;
    }
  }
  if (from.size === 0) return { dir, restoredFrom };

  // Key group p = Kafka partition p: keep exactly the assigned partitions' groups of each source.
  const heap = stateBackends.heap;
  const state = heap.open({ path: '' });
  const sourcePositions: SourcePosition[] = [];
  for (const { checkpoint, partitions: held } of from.values()) {
    const { metadata } = checkpoint;
    if (metadata.keyGroups !== partitions) {
      throw new WeirError('WEIR_CONFIG', `runScaledOut: the checkpoint at ${checkpoint.dir} has ${metadata.keyGroups} key groups, the topic ${partitions} partitions (did the partition count change?)`);
    }
    const keep = new Set(held);
    await restoreIntoStore(state, metadata.stateFiles.map((f) => join(checkpoint.dir, f.path)), { keyGroups: (g) => keep.has(g) });
    for (const p of held) {
      const at = metadata.sourcePositions.find((s) => s.operatorUid === source && s.partition === p);
      if (at) sourcePositions.push(at);
    }
  }
  const store = await CheckpointStore.open(dir);
  const checkpointDir = await store.begin(1);
  const path = 'worker-0.snapshot';
  const written = await heap.snapshot(state, join(checkpointDir, path));
  const [first] = from.values();
  await store.complete({
    id: 1,
    kind: 'checkpoint',
    createdAtMs: Date.now(),
    jobName: first.checkpoint.metadata.jobName,
    parallelism: 1,
    keyGroups: partitions,
    sourcePositions,
    stateFiles: [{ worker: 0, path, bytes: written.bytes, sha256: written.sha256 }],
    // Sinks' pending transactions are not carried over: see docs/kafka.md (exactly-once sinks are not supported in scale-out).
    sinkNotes: [],
    ...(first.checkpoint.metadata.operators ? { operators: first.checkpoint.metadata.operators } : {}),
  });
  return { dir, restoredFrom };
}

function listAssignments(root: string): Array<{ dir: string; record: AssignmentRecord }> {
  const out: Array<{ dir: string; record: AssignmentRecord }> = [];
  for (const name of readdirSync(root)) {
    const file = join(root, name, assignmentFileName);
    if (!existsSync(file)) continue; // being created
    out.push({ dir: join(root, name), record: JSON.parse(readFileSync(file, 'utf8')) as AssignmentRecord });
  }
  return out;
}

async function latestCheckpoint(dir: string): Promise<VerifiedCheckpoint | undefined> {
  const store = await CheckpointStore.open(dir, { readOnly: true });
  return (await store.latestValid()).checkpoint;
}

/**
 * Commits, as this member, the source positions of the newest checkpoint completed in `dir` that
 * has not been committed yet: the group's offsets follow the checkpoints, for lag tooling.
 */
function offsetCommitter(member: KafkaGroupMember, dir: string, source: string, partitions: number[]): () => Promise<void> {
  let committedId = 0;
  return async () => {
    const newest = newestCheckpointId(dir);
    if (newest <= committedId) return;
    let decoded;
    try {
      decoded = decodeMetadataFile(readFileSync(join(dir, 'checkpoints', dirNameOf({ kind: 'checkpoint', id: newest }), metadataFileName)));
    } catch {
      return; // removed by retention meanwhile: a newer one exists, next time
    }
    if (!decoded.ok) return;
    const offsets = new Map<number, number>();
    for (const p of decoded.value.sourcePositions) {
      if (p.operatorUid === source && partitions.includes(p.partition) && typeof p.position === 'number') offsets.set(p.partition, p.position);
    }
    if (await member.commitOffsets(offsets)) committedId = newest;
  };
}

function newestCheckpointId(dir: string): number {
  let newest = 0;
  const checkpoints = join(dir, 'checkpoints');
  if (!existsSync(checkpoints)) return 0;
  for (const name of readdirSync(checkpoints)) {
    const parsed = parseDirName(name);
    if (parsed?.kind === 'checkpoint' && existsSync(join(checkpoints, name, metadataFileName))) newest = Math.max(newest, parsed.id);
  }
  return newest;
}
