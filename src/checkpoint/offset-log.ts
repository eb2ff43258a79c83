/**
 * The micro-batch offset log, Spark Structured Streaming's `offsets/`: for every epoch, the range
 * each source partition read — where it started, how many records it emitted, where it ended.
 * A run resumed from a checkpoint replays the epochs after it that the log holds exactly as they
 * were cut, so an epoch whose output was already made visible (an at-least-once sink flushes at
 * every epoch's end) comes out the same the second time, batch for batch.
 *
 *   <stateDir>/offsets/<epoch>.worker-<w>.json   { epoch, worker, ranges: [{ operatorUid, partition, records, start, end }] }
 *
 * Spark's driver plans a batch's offsets before running it. In weir a worker's sources find the
 * end of a batch while it streams through the chain (what was available at the trigger, or the
 * record limit), so a worker writes its entry (atomically, fsynced) the moment its sources have
 * read the batch, before it signals the epoch's end downstream — and so before any worker can
 * commit anything of that epoch. An epoch no entry was written for has nothing committed and is
 * cut afresh. Entries are kept back to the oldest retained checkpoint's epoch.
 *
 * A worker writes an entry as `<name>.tmp` and renames it into place. Only replayPlan, which runs
 * before an attempt's workers exist, removes temporary files (those a dead writer left): pruning
 * runs while workers write, and a temporary file then may be a live writer's, between its write
 * and its rename.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '../util/json-value.ts';
import { WeirError } from '../errors.ts';
import { tempSuffix, writeFileAtomicSync } from '../util/durable-fs.ts';
import type { SourcePosition } from './metadata.ts';

/** What one source partition read in one epoch. */
export interface EpochRange {
  operatorUid: string;
  partition: number;
  /** Records emitted (dead letters included), as poll() counted them. */
  records: number;
  start: JsonValue;
  end: JsonValue;
}

/** The epochs a resumed run replays, in order, with every worker's ranges. */
export type ReplayPlan = Array<{ epoch: number; ranges: EpochRange[] }>;

const entryName = /^(\d+)\.worker-(\d+)\.json$/;

export function offsetLogDir(stateDir: string): string {
  return join(stateDir, 'offsets');
}

/** Writes one worker's ranges of `epoch`, durably (synchronous: the worker writes nothing else meanwhile). */
export function writeEpochRanges(dir: string, epoch: number, worker: number, ranges: EpochRange[]): void {
  writeFileAtomicSync(join(dir, `${epoch}.worker-${worker}.json`), JSON.stringify({ epoch, worker, ranges }));
}

/**
 * The epochs after the checkpoint `from` that the log can replay: consecutive from the one after
 * it, each range starting where the same source partition's previous range (or the checkpoint)
 * left it. The first epoch that does not continue so ends the plan, and the log's entries from
 * there on are removed: they were written by a run that went another way (one resumed from an
 * older checkpoint, say) and would only mislead a later replay.
 */
export async function replayPlan(dir: string, from: { epoch?: number; sourcePositions: SourcePosition[] }): Promise<ReplayPlan> {
  await mkdir(dir, { recursive: true });
  const entries = readEntries(dir);
  const after = from.epoch ?? 0;
  const at = new Map(from.sourcePositions.map((p) => [sourceKey(p), JSON.stringify(p.position)]));
  const plan: ReplayPlan = [];
  for (let epoch = after + 1; entries.has(epoch); epoch++) {
    const ranges = entries.get(epoch)!;
    if (!ranges.every((r) => (at.get(sourceKey(r)) ?? JSON.stringify(r.start)) === JSON.stringify(r.start))) break;
    for (const r of ranges) at.set(sourceKey(r), JSON.stringify(r.end));
    plan.push({ epoch, ranges });
  }
  const replayedThrough = after + plan.length;
  // No worker of this state dir runs now: every temporary file is a dead writer's.
  await removeEntries(dir, (epoch) => epoch > replayedThrough, { temporaries: true });
  return plan;
}

/**
 * Removes the entries of epochs up to `epoch` (no checkpoint that is kept resumes before it).
 * Called while workers write later epochs' entries: their temporary files are left alone.
 */
export function pruneOffsetLog(dir: string, epoch: number): Promise<void> {
  return removeEntries(dir, (e) => e <= epoch, { temporaries: false });
}

function sourceKey(p: { operatorUid: string; partition: number }): string {
  return JSON.stringify([p.operatorUid, p.partition]);
}

/** Every entry, by epoch; a damaged one fails with an error naming it (a torn one cannot exist: entries are renamed into place). */
function readEntries(dir: string): Map<number, EpochRange[]> {
  const entries = new Map<number, EpochRange[]>();
  for (const name of readdirSync(dir)) {
    const m = entryName.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const epoch = Number(m[1]);
    let parsed: { epoch?: unknown; ranges?: unknown };
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw damaged(path, (cause as Error).message);
    }
    if (parsed?.epoch !== epoch || !Array.isArray(parsed.ranges) || !parsed.ranges.every(isRange)) throw damaged(path, 'not an epoch entry');
    entries.set(epoch, [...(entries.get(epoch) ?? []), ...(parsed.ranges as EpochRange[])]);
  }
  return entries;
}

function isRange(r: unknown): boolean {
  const range = r as EpochRange;
  return typeof range?.operatorUid === 'string' && Number.isInteger(range.partition) && Number.isInteger(range.records) && range.records >= 0 && 'start' in range && 'end' in range;
}

function damaged(path: string, why: string): WeirError {
  return new WeirError('WEIR_STATE', `the offset log entry ${path} is damaged (${why}); remove it, and the entries of later epochs, to let the job cut those batches afresh`);
}

async function removeEntries(dir: string, doomed: (epoch: number) => boolean, { temporaries }: { temporaries: boolean }): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.map((name) => {
      const m = entryName.exec(name);
      // With no writer alive, a temporary file is an entry whose writer died before renaming it.
      return (m && doomed(Number(m[1]))) || (temporaries && name.endsWith(tempSuffix)) ? rm(join(dir, name), { force: true }) : undefined;
    }),
  );
}
