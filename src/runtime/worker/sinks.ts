import { join } from 'node:path';
import type { LogicalNode } from '../../api/graph.ts';
import type { SinkContext, SinkRecovery, SinkSpec, SinkWriter } from '../../connectors/types.ts';
import { fileSink, type DeadLetter } from '../../connectors/sinks.ts';
import { connectorError, quietly } from './worker-errors.ts';
import { operatorUid, type Plan } from '../plan.ts';
import { WeirError } from '../../errors.ts';
import { isAsyncFunction, isThenable, promiseReturned } from '../../functions/sync.ts';

/**
 * The sink uid of the dead-letter output: its pre-commit notes in checkpoints and a transactional
 * sink's file names go by it. No operator has it (an operator's uid from its name has no "/").
 */
export const deadLetterSinkUid = 'weir/dead-letters';

/** The id a job without checkpoints commits its two-phase sinks' output under, at its end (the first a checkpoint would have). */
const endOfRunCommitId = 1;

interface OpenSink {
  /** The sink's operator id; undefined for the dead-letter output. */
  id: number | undefined;
  sinkUid: string;
  /** The sink's own name (collect('x') → results.x). */
  name: string;
  writer: SinkWriter<unknown>;
  /** Flushed on a failure: what it accepted becomes visible. An exactly-once sink's uncommitted work must not. */
  atLeastOnce: boolean;
}

/**
 * One worker's sinks and its dead-letter output. They are opened one by one, and every clean-up
 * closes exactly those that opened, so a failure at any point of a worker's open() is reported as
 * itself (and not as a failing clean-up).
 */
export class WorkerSinks {
  private readonly opened: OpenSink[] = [];
  private readonly byId = new Map<number, SinkWriter<unknown>>();
  private deadLetters: OpenSink | undefined;
  deadLetterCount = 0;

  /** `nowMs`: the worker's clock (environment.ts), a dead letter's time. */
  constructor(private readonly nowMs: () => number) {}

  /** Opens every sink of the plan for one worker (subtask), then the dead-letter output. */
  async openAll(plan: Plan, ctx: Omit<SinkContext, 'sinkUid' | 'recovery'>, recoveryOf: (sinkUid: string) => SinkRecovery | undefined): Promise<void> {
    for (const node of plan.sinks) {
      const sinkUid = operatorUid(node);
      const writer = await openSink(node.spec, node.name, { ...ctx, sinkUid, recovery: recoveryOf(sinkUid) });
      this.add({ id: node.id, sinkUid, name: node.spec.name, writer, atLeastOnce: node.spec.guarantee !== 'exactly-once' });
      this.byId.set(node.id, writer);
    }
    // Appended to, never truncated: dead letters of earlier attempts and runs stay (at-least-once).
    const spec = plan.graph.deadLetterSink ?? fileSink({ path: defaultDeadLetterPath(ctx.workDir), name: 'dead-letters', append: true });
    const writer = await openSink(spec, spec.name, { ...ctx, sinkUid: deadLetterSinkUid, recovery: recoveryOf(deadLetterSinkUid) });
    this.deadLetters = this.add({ id: undefined, sinkUid: deadLetterSinkUid, name: spec.name, writer, atLeastOnce: spec.guarantee !== 'exactly-once' });
  }

  private add(sink: OpenSink): OpenSink {
    this.opened.push(sink);
    return sink;
  }

  /** The writer of the sink operator `node`. */
  writer(node: LogicalNode): SinkWriter<unknown> {
    return this.byId.get(node.id)!;
  }

  /** The ids of the sink operators. */
  ids(): IterableIterator<number> {
    return this.byId.keys();
  }

  /** The sinks' writers, the dead-letter output's included, as checkpoints see them. */
  checkpointed(): Array<{ sinkUid: string; writer: SinkWriter<unknown> }> {
    return this.opened.map(({ sinkUid, writer }) => ({ sinkUid, writer }));
  }

  /** A record that cannot go on, to the dead-letter output, counted. */
  deadLetter(record: DeadLetter): void {
    this.deadLetterCount++;
    const { writer, name } = this.deadLetters!;
    expectWritten(writer.write(record, NaN, this.nowMs()), name, record.partition, record.offset);
  }

  async flush(): Promise<void> {
    for (const { name, writer } of this.opened) {
      try {
        await writer.flush();
      } catch (err) {
        throw connectorError(err, 'WEIR_SINK', `sink "${name}" could not flush`, name);
      }
    }
  }

  /**
   * The run is over: closes every writer and returns their results by sink name (sinks sharing a
   * name are concatenated). `commitAtEnd` (a job without checkpoints): a two-phase-commit writer
   * commits what it holds first, as one last transaction. With checkpoints the final checkpoint
   * has committed it; without, nothing else ever would, and closing would discard the whole run's
   * output of an exactly-once sink.
   */
  async closeAfterRun(commitAtEnd: boolean): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    // One at a time off the list: if a close fails, closeAfterFailure still closes the others.
    for (let sink = this.opened.shift(); sink !== undefined; sink = this.opened.shift()) {
      const { name, writer } = sink;
      try {
        if (commitAtEnd && writer.preCommit !== undefined && writer.commit !== undefined) {
          await writer.preCommit(endOfRunCommitId);
          await writer.commit(endOfRunCommitId);
        }
        await writer.close();
      } catch (err) {
        throw connectorError(err, 'WEIR_SINK', `sink "${name}" could not close`, name);
      }
      const result = writer.result?.();
      const previous = results[name];
      results[name] = Array.isArray(previous) && Array.isArray(result) ? previous.concat(result) : (result ?? previous);
    }
    return results;
  }

  /**
   * After a failure: what the at-least-once sinks and dead-letter output accepted is flushed —
   * records are never dropped because another part failed — and every writer is closed. An
   * exactly-once writer is only closed, which discards its uncommitted work (a recovery replays it).
   */
  async closeAfterFailure(): Promise<void> {
    for (const { writer, atLeastOnce } of this.opened.splice(0)) {
      if (atLeastOnce) await quietly(() => writer.flush());
      await quietly(() => writer.close());
    }
  }
}

/** Opens a sink's writer for this subtask; one whose write is async is refused before it takes a record. */
async function openSink(spec: SinkSpec<unknown>, operator: string, ctx: SinkContext): Promise<SinkWriter<unknown>> {
  let writer: SinkWriter<unknown>;
  try {
    writer = await spec.open(ctx);
  } catch (err) {
    throw connectorError(err, 'WEIR_SINK', `sink "${operator}" could not open`, operator);
  }
  if (isAsyncFunction(writer.write)) throw asyncWriteError(operator, undefined, undefined);
  return writer;
}

export function defaultDeadLetterPath(workDir: string): string {
  return join(workDir, 'dead-letters.jsonl');
}

/** What a writer's write returned, for the record at (partition, offset): nothing, or the job fails (asyncWriteError). */
export function expectWritten(returned: unknown, sink: string, partition: number, offset: number | string): void {
  if (returned === undefined || !isThenable(returned)) return;
  promiseReturned(returned, 'sink write'); // its rejection handled: the job's error is this one
  throw asyncWriteError(sink, partition, offset);
}

/**
 * A sink writer whose write is async (or returned a Promise): weir calls write once per record and
 * does not await it, so a write that failed later would be lost. Sinks do their I/O in flush,
 * which is awaited (at each flush interval, epoch end, checkpoint and close).
 */
export function asyncWriteError(sink: string, partition: number | undefined, offset: number | string | undefined): WeirError {
  const what = partition === undefined ? 'is an async function' : `returned a Promise for the record from source partition ${partition} at offset ${offset}`;
  return new WeirError(
    'WEIR_ASYNC_FUNCTION',
    `sink "${sink}": its writer's write ${what}. weir calls write synchronously for each record and does not await it, so a failed write would be lost: keep the records in write and send them in flush, which weir awaits`,
    { operator: sink, partition, offset },
  );
}
