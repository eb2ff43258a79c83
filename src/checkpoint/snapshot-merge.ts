/**
 * Merging a worker's chain of snapshot files — a full snapshot and the deltas after it — into one
 * full snapshot of the same state, from the files alone. This is how an incremental chain is kept
 * short without reading the whole of LMDB again (RocksDB's compaction plays this part for Flink's
 * incremental checkpoints): a full snapshot from LMDB holds a read transaction for seconds, during
 * which LMDB cannot reuse the pages the worker frees, and it ran at full speed on one of two
 * cores; a merge touches neither LMDB nor the worker, and rests between its steps as long as it
 * likes (`pace`), so it can run in the background while checkpoints go on.
 *
 * The deltas are read first, into one map (the newest version of each key wins: a value, or a
 * delete); the full snapshot is then streamed a frame at a time, each entry replaced, dropped or
 * kept, and the keys the deltas added come last. Memory follows the keys the deltas changed, which
 * snapshot-chain.ts keeps to a fraction of the state. The merged file is written as any full
 * snapshot is (state-snapshot.ts describes the format) and restores to exactly the state the chain
 * restores to.
 */
import { WeirError } from '../errors.ts';
import { EntryMap } from '../state/entry-map.ts';
import { SnapshotFileWriter } from './snapshot-file.ts';
import { readSnapshotBatches, type SnapshotBatch } from './state-restore.ts';
import { abandonFile, entriesPerFrame, snapshotFormat, type DeletedKey, type EntryTuple, type SnapshotResult } from './state-snapshot.ts';

/** How a merge shares the machine: it calls rest() after each step, and stops when cancelled() says so. */
export interface MergePace {
  /** Called after each step with the milliseconds that step worked. */
  rest(workedMs: number): Promise<void>;
  cancelled(): boolean;
}

export class MergeCancelled extends Error {}

/**
 * Entries between two rests. Small, because a snapshot request that arrives during a step waits
 * for its end, and the worker waits for that request's read transaction (a frame of 8192 entries
 * in one step held it up to 15 ms).
 */
const entriesPerStep = 2048;

/**
 * Writes into `out` (which must not exist) the state that restoring `files` in order gives. `files`
 * starts with a full snapshot. On failure or cancellation `out` is removed and the promise rejects
 * (with MergeCancelled when cancelled).
 */
export async function mergeSnapshotChain(files: string[], out: string, pace: MergePace): Promise<SnapshotResult> {
  const base = files[0];
  let writer: SnapshotFileWriter | undefined;
  let readers: Array<AsyncIterator<SnapshotBatch>> = [];
  let stepStartMs = performance.now();
  const step = async () => {
    await pace.rest(performance.now() - stepStartMs);
    if (pace.cancelled()) throw new MergeCancelled(`the merge into ${out} was cancelled`);
    stepStartMs = performance.now();
  };
  const batchesOf = async function* (reader: AsyncIterator<SnapshotBatch>, first: IteratorResult<SnapshotBatch>) {
    for (let next = first; !next.done; next = await reader.next()) yield next.value;
  };
  try {
    // Every file is opened (and its first frames read) before anything else: the checkpoint
    // directories they are in may be retired while the merge runs, and an open file outlives its name.
    readers = files.map((file) => readSnapshotBatches(file)[Symbol.asyncIterator]());
    const firsts = await Promise.all(readers.map((reader) => reader.next()));
    // The newest change per key. EntryMap builds no string per look-up for plain keys: one string
    // key per entry, built and hashed, took a third of a merge's time.
    const newest = new EntryMap<EntryTuple | DeletedKey>();
    for (let d = 1; d < files.length; d++) {
      for await (const batch of batchesOf(readers[d], firsts[d])) {
        const changes = batch.entries ?? batch.deletes;
        for (let i = 0; i < changes.length; i++) {
          const [state, keyGroup, key, namespace] = changes[i];
          newest.set(state, keyGroup, key, namespace, changes[i]);
          if (i % entriesPerStep === entriesPerStep - 1) await step();
        }
        await step();
      }
    }

    writer = await SnapshotFileWriter.create(out);
    await writer.writeFrame({ t: 'header', format: snapshotFormat, backend: 'lmdb', createdAtMs: Date.now() });
    const states: Record<string, number> = {};
    let count = 0;
    const emit = async (entries: EntryTuple[]) => {
      for (const [state] of entries) states[state] = (states[state] ?? 0) + 1;
      count += entries.length;
      if (entries.length > 0) await writer!.writeFrame({ t: 'entries', entries });
    };
    for await (const batch of batchesOf(readers[0], firsts[0])) {
      if (!batch.entries) throw new WeirError('WEIR_STATE', `state snapshot ${base}: a full snapshot holds deletes; it cannot start a chain`);
      const kept: EntryTuple[] = [];
      for (let i = 0; i < batch.entries.length; i++) {
        const entry = batch.entries[i];
        const [state, keyGroup, key, namespace] = entry;
        const changed = newest.get(state, keyGroup, key, namespace);
        if (changed === undefined) kept.push(entry);
        else {
          newest.delete(state, keyGroup, key, namespace);
          if (changed.length === 5) kept.push(changed);
        }
        if (i % entriesPerStep === entriesPerStep - 1) await step();
      }
      await emit(kept);
      await step();
    }
    // What is left in the map was not in the base: the keys the deltas added (or added and deleted).
    let added: EntryTuple[] = [];
    for (const state of newest.states()) {
      for (const entry of newest.valuesOf(state)) {
        if (entry.length !== 5) continue;
        added.push(entry);
        if (added.length === entriesPerFrame) {
          await emit(added);
          added = [];
          await step();
        }
      }
    }
    await emit(added);
    await writer.writeFrame({ t: 'end', entries: count, states });
    const written = await writer.finish();
    writer = undefined;
    return { path: out, entries: count, states, ...written };
  } catch (err) {
    await abandonFile(writer, out);
    if (err instanceof MergeCancelled || err instanceof WeirError) throw err;
    throw new WeirError('WEIR_STATE', `cannot merge the snapshots ${files.join(', ')} into ${out}: ${(err as Error).message}`, { cause: err });
  } finally {
    // Closes the files of a merge that stopped early.
    await Promise.all(readers.map((reader) => reader.return?.()));
  }
}
