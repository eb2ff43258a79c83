// A custom exactly-once sink: each subtask's records of each checkpoint become one JSON file in a
// directory, visible only once that checkpoint is complete. It shows the SinkSpec / SinkWriter
// contract with the two-phase-commit hooks (as Flink's TwoPhaseCommitSinkFunction):
//   write()      records since the last pre-commit are kept (here: in memory)
//   preCommit(n) the barrier of checkpoint n reached this subtask: write them durably but hidden
//                (a pending file) and return a note naming it; the note is stored in checkpoint n
//   commit(n)    checkpoint n is complete: make what was pre-committed up to n visible (rename)
//   open()       after a failure, ctx.recovery holds the notes of the restored checkpoint: commit
//                this subtask's (the crash may have come between checkpoint and commit) and
//                delete pending work of later, never-completed checkpoints (it is replayed)
// Run: node bin/weir.mjs run examples/custom-sink.ts --param out=<dir> --param count=10000
// (the job checkpoints every 200 ms: the sink is exactly-once only with checkpoints).
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { defineJob } from '../src/api/index.ts';
import { generator, type JsonValue, type SinkContext, type SinkSpec, type SinkWriter } from '../src/connectors/index.ts';

/** Visible: `part-<subtask>-<checkpoint>.json`; pending (hidden): `.pending-<subtask>-<checkpoint>.json`. */
const visibleName = (subtask: number, checkpointId: number) => `part-${subtask}-${checkpointId}.json`;
const pendingName = (subtask: number, checkpointId: number) => `.pending-${subtask}-${checkpointId}.json`;

interface PendingNote {
  subtask: number;
  checkpointIds: number[];
}

export function jsonFilePerCheckpoint<T>(dir: string): SinkSpec<T> {
  return {
    kind: 'json-file-per-checkpoint',
    name: `json-files:${dir}`,
    guarantee: 'exactly-once',
    open: (ctx: SinkContext) => new JsonFileWriter<T>(isAbsolute(dir) ? dir : join(ctx.workDir, dir), ctx),
  };
}

class JsonFileWriter<T> implements SinkWriter<T> {
  private records: T[] = [];
  /** Checkpoints pre-committed and not yet committed, oldest first. */
  private pending: number[] = [];

  constructor(
    private readonly dir: string,
    private readonly ctx: SinkContext,
  ) {
    mkdirSync(dir, { recursive: true });
    const mine = new Set<string>();
    // Recovery: the restored checkpoint completed, so what it pre-committed must become visible.
    // Notes of every subtask of the earlier run are there; this subtask commits those it is
    // responsible for (also after a change of parallelism). Committing is idempotent.
    for (const { note } of (ctx.recovery?.notes ?? []).filter((n) => n.subtask % ctx.parallelism === ctx.subtask)) {
      const { subtask, checkpointIds } = note as unknown as PendingNote;
      for (const id of checkpointIds) {
        this.publish(subtask, id);
        mine.add(pendingName(subtask, id));
      }
    }
    // Anything else pending of this subtask belongs to a checkpoint that never completed.
    for (const file of readdirSync(dir)) if (file.startsWith(`.pending-${ctx.subtask}-`) && !mine.has(file)) rmSync(join(dir, file));
  }

  write(value: T): void {
    this.records.push(value);
  }

  /** Nothing becomes visible at a flush: only commit() publishes. */
  flush(): void {}

  preCommit(checkpointId: number): JsonValue {
    const fd = openSync(join(this.dir, pendingName(this.ctx.subtask, checkpointId)), 'w');
    try {
      writeSync(fd, JSON.stringify(this.records));
      fsyncSync(fd); // durable before the checkpoint may complete
    } finally {
      closeSync(fd);
    }
    this.records = [];
    this.pending.push(checkpointId);
    const note: PendingNote = { subtask: this.ctx.subtask, checkpointIds: [...this.pending] };
    return note as unknown as JsonValue;
  }

  commit(checkpointId: number): void {
    while (this.pending.length > 0 && this.pending[0] <= checkpointId) this.publish(this.ctx.subtask, this.pending.shift()!);
  }

  /** Records since the last pre-commit belong to no completed checkpoint: dropped (a recovery replays them). */
  close(): void {
    this.records = [];
  }

  private publish(subtask: number, checkpointId: number): void {
    const pending = join(this.dir, pendingName(subtask, checkpointId));
    if (existsSync(pending)) renameSync(pending, join(this.dir, visibleName(subtask, checkpointId)));
  }
}

export default defineJob(
  (env) => {
    env
      .source(generator({ partitions: 2, count: env.numberParam('count', 10_000), keys: 100, seed: 9 }), { name: 'events' })
      .map((e) => ({ key: e.key, seq: e.seq }), { name: 'project' })
      .sinkTo(jsonFilePerCheckpoint(env.params.out ?? 'json-out'));
  },
  { name: 'custom-sink', checkpointIntervalMs: 200 },
);
