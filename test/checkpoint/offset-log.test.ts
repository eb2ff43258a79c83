// The micro-batch offset log on real files: what a resumed run replays, what it drops, damage.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneOffsetLog, replayPlan, writeEpochRanges, type EpochRange } from '../../src/checkpoint/offset-log.ts';
import { expectWeirError, tempDir } from '../helpers.ts';

let dir: { path: string; remove(): void };
beforeEach(() => {
  dir = tempDir('weir-offsets-');
});
afterEach(() => dir.remove());

const range = (partition: number, start: number, records: number): EpochRange => ({ operatorUid: 'events', partition, records, start, end: start + records });
const at = (...positions: number[]) => positions.map((position, partition) => ({ operatorUid: 'events', partition, position }));

/** Epochs 1..5, two workers with a partition each, 10 records an epoch; worker 1 did not log epoch 5. */
function logFiveEpochs(): void {
  for (let epoch = 1; epoch <= 5; epoch++) {
    writeEpochRanges(dir.path, epoch, 0, [range(0, (epoch - 1) * 10, 10)]);
    if (epoch < 5) writeEpochRanges(dir.path, epoch, 1, [range(1, (epoch - 1) * 10, 10)]);
  }
}

describe('offset log', () => {
  it('replays the epochs after the checkpoint, with every worker ranges, in order', async () => {
    logFiveEpochs();
    const plan = await replayPlan(dir.path, { epoch: 2, sourcePositions: at(20, 20) });
    expect(plan.map((p) => p.epoch)).toEqual([3, 4, 5]);
    expect(plan[0].ranges.sort((a, b) => a.partition - b.partition)).toEqual([range(0, 20, 10), range(1, 20, 10)]);
    expect(plan[2].ranges).toEqual([range(0, 40, 10)]);
    // A run that starts afresh replays from epoch 1, wherever its sources start (the workers check).
    expect((await replayPlan(dir.path, { sourcePositions: [] })).map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops where the log does not continue from the checkpoint, and removes what follows', async () => {
    logFiveEpochs();
    // Resumed from a checkpoint of another run: partition 1 was elsewhere at epoch 2.
    expect(await replayPlan(dir.path, { epoch: 2, sourcePositions: at(20, 25) })).toEqual([]);
    expect(readdirSync(dir.path).filter((f) => parseInt(f) > 2)).toEqual([]);
    expect(readdirSync(dir.path).filter((f) => parseInt(f) <= 2)).toHaveLength(4);
  });

  it('keeps nothing up to a pruned epoch, and names a damaged entry', async () => {
    logFiveEpochs();
    await pruneOffsetLog(dir.path, 3);
    expect(readdirSync(dir.path).map((f) => parseInt(f)).sort()).toEqual([4, 4, 5]);
    writeFileSync(join(dir.path, '4.worker-1.json'), '{"epoch":4,"ranges":[{"partition":"x"}]}');
    await expectWeirError(replayPlan(dir.path, { epoch: 3, sourcePositions: at(30, 30) }), 'WEIR_STATE', /4\.worker-1\.json is damaged/);
    expect(existsSync(join(dir.path, '4.worker-1.json'))).toBe(true);
  });

  it('a prune leaves temporary files alone (a live worker may be between write and rename); the start of an attempt removes them', async () => {
    logFiveEpochs();
    const live = join(dir.path, '6.worker-0.json.tmp');
    const old = join(dir.path, '2.worker-1.json.tmp');
    writeFileSync(live, '{}');
    writeFileSync(old, '{}');
    await pruneOffsetLog(dir.path, 3);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(old)).toBe(true);
    await replayPlan(dir.path, { epoch: 3, sourcePositions: at(30, 30) });
    expect(existsSync(live)).toBe(false);
    expect(existsSync(old)).toBe(false);
  });
});
