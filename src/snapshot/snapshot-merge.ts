/**
 * Merging a worker's chain of snapshot files — a full snapshot and the deltas after it — into one
 * full snapshot of the same state, from the files alone. This is how an incremental chain is kept
 * short without reading the whole of LMDB again (RocksDB's compaction plays this part for Flink's
 * incremental checkpoints): a full snapshot from LMDB holds a read transaction for seconds, during
 * which LMDB cannot reuse the pages the worker frees, and it ran at full speed on one of two
 * cores; a merge touches neither LMDB nor the worker, and rests between its steps as long as it
 * likes (`pace`), so it can run in the background while checkpoints go on.
 *
 * The deltas are read first, into one index (the newest version of each key wins: a value, or a
 * delete); the full snapshot is then streamed a frame at a time, each entry replaced, dropped or
 * kept, and the keys the deltas added come last. Memory follows the keys the deltas changed, which
 * snapshot-chain.ts keeps to a fraction of the state. The merged file is written as any full
 * snapshot is (state-snapshot.ts describes the format) and restores to exactly the state the chain
 * restores to.
 */
import { WeirError } from '../errors.ts';
import { ByteKeyIndex } from '../util/byte-key-index.ts';
import { PairBlockBuilder, PairCursor, StateCounts, TupleEncoder, type PairBlock } from './pair-block.ts';
import { SnapshotFileWriter } from './snapshot-file.ts';
import { readSnapshotParts, type SnapshotPart } from './state-restore.ts';
import { abandonFile, entriesPerFrame, snapshotFormat, type SnapshotResult } from './state-snapshot.ts';

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

/** Where the newest change of a key is: a pair in one of the deltas' blocks, or a delete. */
const deleted = -1;

/**
 * Writes into `out` (which must not exist) the state that restoring `files` in order gives. `files`
 * starts with a full snapshot. On failure or cancellation `out` is removed and the promise rejects
 * (with MergeCancelled when cancelled).
 *
 * Keys and values are compared and copied as the bytes the files hold (pair-block.ts): nothing is
 * decoded but the state id of each run of keys. Tuples, in files written before snapshots held
 * pairs, are encoded as pairs on the way in.
 */
export async function mergeSnapshotChain(files: string[], out: string, pace: MergePace): Promise<SnapshotResult> {
  const base = files[0];
  let writer: SnapshotFileWriter | undefined;
  let readers: Array<AsyncIterator<SnapshotPart>> = [];
  let stepStartMs = performance.now();
  const step = async () => {
    await pace.rest(performance.now() - stepStartMs);
    if (pace.cancelled()) throw new MergeCancelled(`the merge into ${out} was cancelled`);
    stepStartMs = performance.now();
  };
  const encoder = new TupleEncoder();
  const blocksOf = async function* (reader: AsyncIterator<SnapshotPart>, first: IteratorResult<SnapshotPart>) {
    for (let next = first; !next.done; next = await reader.next()) {
      const part = next.value;
      if (part.pairs) yield { pairs: part.pairs };
      else if (part.deleted) yield { deleted: part.deleted };
      else if (part.entries) yield { pairs: encoder.pairs(part.entries) };
      else yield { deleted: encoder.deletedKeys(part.deletes!) };
    }
  };
  try {
    // Every file is opened (and its first frames read) before anything else: the checkpoint
    // directories they are in may be retired while the merge runs, and an open file outlives its name.
    readers = files.map((file) => readSnapshotParts(file)[Symbol.asyncIterator]());
    const firsts = await Promise.all(readers.map((reader) => reader.next()));

    // The newest change per key: the key's id in `changed`, and per id the block of its newest
    // value (or `deleted`) and where in that block the value lies.
    const changed = new ByteKeyIndex(1 << 16);
    const deltaBlocks: Uint8Array[] = [];
    const blockOf: number[] = [];
    const valueStart: number[] = [];
    const valueEnd: number[] = [];
    for (let d = 1; d < files.length; d++) {
      for await (const part of blocksOf(readers[d], firsts[d])) {
        const block = (part.pairs ?? part.deleted) as PairBlock;
        const blockNo = part.pairs ? deltaBlocks.push(block.bytes) - 1 : deleted;
        const cursor = new PairCursor(block.bytes, part.pairs !== undefined);
        for (let i = 1; cursor.next(); i++) {
          const id = changed.add(cursor.key, 0, cursor.keyBytes);
          blockOf[id] = blockNo;
          valueStart[id] = cursor.valueStart;
          valueEnd[id] = cursor.valueEnd;
          if (i % entriesPerStep === 0) await step();
        }
        await step();
      }
    }

    writer = await SnapshotFileWriter.create(out);
    await writer.writeFrame({ t: 'header', format: snapshotFormat, backend: 'lmdb', createdAtMs: Date.now() });
    const states = new StateCounts();
    const merged = new PairBlockBuilder();
    let count = 0;
    /** Adds a pair to the frame being built; true when that frame is full. */
    const add = (key: Uint8Array, keyStart: number, keyEnd: number, value: Uint8Array, start: number, end: number) => {
      states.add(key, keyStart, keyEnd);
      merged.addPair(key, keyStart, keyEnd, value, start, end);
      return merged.count === entriesPerFrame;
    };
    const emit = async () => {
      const { bytes, count: n } = merged.take();
      count += n;
      if (n > 0) await writer!.writeFrame({ t: 'pairs', count: n, bytes });
    };
    // Each changed key the base holds is written where the base has it; the rest are added after.
    const met = new Uint8Array(changed.size);
    for await (const part of blocksOf(readers[0], firsts[0])) {
      if (!part.pairs) throw new WeirError('WEIR_STATE', `state snapshot ${base}: a full snapshot holds deletes; it cannot start a chain`);
      const bytes = part.pairs.bytes;
      const cursor = new PairCursor(bytes, true);
      for (let i = 1; cursor.next(); i++) {
        const { key, keyBytes } = cursor;
        const id = changed.find(key, 0, keyBytes);
        let full = false;
        if (id === -1) full = add(key, 0, keyBytes, bytes, cursor.valueStart, cursor.valueEnd);
        else {
          met[id] = 1;
          if (blockOf[id] !== deleted) full = add(key, 0, keyBytes, deltaBlocks[blockOf[id]], valueStart[id], valueEnd[id]);
        }
        if (full) await emit();
        if (i % entriesPerStep === 0) await step();
      }
      await step();
    }
    // The keys the deltas added (or added and deleted).
    for (let id = 0; id < changed.size; id++) {
      if (met[id] === 1 || blockOf[id] === deleted) continue;
      const key = changed.key(id);
      if (add(key, 0, key.length, deltaBlocks[blockOf[id]], valueStart[id], valueEnd[id])) await emit();
      if (id % entriesPerStep === entriesPerStep - 1) await step();
    }
    await emit();
    await writer.writeFrame({ t: 'end', entries: count, states: states.counts });
    const written = await writer.finish();
    writer = undefined;
    return { path: out, entries: count, states: states.counts, ...written };
  } catch (err) {
    await abandonFile(writer, out);
    if (err instanceof MergeCancelled || err instanceof WeirError) throw err;
    throw new WeirError('WEIR_STATE', `cannot merge the snapshots ${files.join(', ')} into ${out}: ${(err as Error).message}`, { cause: err });
  } finally {
    // Closes the files of a merge that stopped early.
    await Promise.all(readers.map((reader) => reader.return?.()));
  }
}
