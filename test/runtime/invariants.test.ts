import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ErrorCode, PlainError } from '../../src/errors.ts';
import { WeirError } from '../../src/errors.ts';
import { FrameKind } from '../../src/channel/layout.ts';
import { BarrierAlignment } from '../../src/runtime/worker/barriers.ts';
import { StreamSignals } from '../../src/runtime/worker/signals.ts';
import { InBandControl } from '../../src/runtime/worker/in-band-control.ts';
import { onFailure, restartable } from '../../src/runtime/job/restart.ts';
import { run } from '../../src/runtime/index.ts';
import { startTsWorker } from '../../src/util/ts-worker.ts';
import { expectWeirError, jobUrl } from '../helpers.ts';

const internal = (fn: () => unknown, invariant: RegExp) => {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(WeirError);
  expect((thrown as WeirError).code).toBe('WEIR_INTERNAL');
  expect((thrown as WeirError).message).toMatch(/^bug in weir \(main thread\): invariant failed: /);
  expect((thrown as WeirError).message).toMatch(invariant);
};

describe('invariants of the in-band control state machines fail as bugs, naming the thread', () => {
  it('stream signals: a sender ends an exchange once, its epoch ends come in order', () => {
    const signals = new StreamSignals(2, 2, 0);
    signals.receivedEpochEnd(0, 1, 1);
    internal(() => signals.receivedEpochEnd(0, 1, 1), /exchange 0: epoch 1 ended by sender 1 after epoch 1/);
    signals.receivedEnd(1, 0);
    internal(() => signals.receivedEnd(1, 0), /exchange 1: sender 0 ended it twice/);
  });

  it('barrier alignment: one checkpoint at a time, barriers in order, none after end-of-stream, no completion before alignment', () => {
    const signals = new StreamSignals(1, 2, 0);
    const alignment = new BarrierAlignment(1, 2, signals);
    alignment.inject(1, 0);
    internal(() => alignment.inject(2, 0), /checkpoint 2 injected while 1 is still aligning/);
    internal(() => alignment.complete(0), /checkpoint 1 completed before it aligned/);
    expect(alignment.sealed[0]).toBe(0);
    alignment.propagate(0, (_e, frame) => frame.kind === FrameKind.Barrier);
    // Barrier 1 is in exchange 0: until the snapshot no record may enter it (exchanges.ts throws).
    expect(alignment.sealed[0]).toBe(1);
    alignment.received(0, 0, 1);
    internal(() => alignment.received(0, 0, 1), /barrier 1 from sender 0 after its barrier 1/);
    signals.receivedEnd(0, 1);
    internal(() => alignment.received(0, 1, 1), /barrier 1 from sender 1 after its end-of-stream/);
    expect(alignment.aligned()).toBe(true);
    alignment.complete(5);
    expect(alignment.sealed[0]).toBe(0);
    internal(() => alignment.inject(1, 0), /checkpoint 1 injected after 1 completed/);
  });

  it('in-band control: nothing is read from a held ring, no watermark after end-of-stream, no barrier without alignment, the chain\'s watermark never goes back', () => {
    const control = new InBandControl(1, 2, 0, true);
    control.connect([() => {}]);
    control.barriers!.inject(1, 0);
    control.received(0, 1, { kind: FrameKind.Barrier, checkpointId: 1, timestampMs: 0 });
    internal(() => control.received(0, 1, { kind: FrameKind.Watermark, timestampMs: 5, idle: false }), /exchange 0: a frame read from sender 1's held ring/);
    control.received(0, 0, { kind: FrameKind.EndOfStream, partition: 0 });
    internal(() => control.received(0, 0, { kind: FrameKind.Watermark, timestampMs: 5, idle: false }), /exchange 0: a watermark from sender 0 after its end-of-stream/);
    const unaligned = new InBandControl(1, 1, 0, false);
    unaligned.connect([() => {}]);
    internal(() => unaligned.received(0, 0, { kind: FrameKind.Barrier, checkpointId: 1, timestampMs: 0 }), /exchange 0: a barrier from sender 0 in a job that aligns none/);
    unaligned.setWatermark(0, 10, false);
    internal(() => unaligned.setWatermark(0, 9, false), /exchange 0: watermark 9 after 10/);
  });

  it("an invariant that fails in another thread names that thread when it crosses to the main thread", async () => {
    const thread = startTsWorker(new URL('./fixtures/assert-in-thread.ts', import.meta.url));
    const [plain] = (await once(thread, 'message')) as [PlainError];
    await thread.terminate();
    expect(plain.code).toBe('WEIR_INTERNAL');
    expect(plain.message).toBe('bug in weir (worker 7): invariant failed: arithmetic holds');
  });
});

describe('restarts are decided by one table keyed by error code', () => {
  it('has a row for every code; only failures the job itself decides fail at once', () => {
    const failAtOnce = Object.entries(onFailure).filter(([, what]) => what === 'fail').map(([code]) => code).sort();
    expect(failAtOnce).toEqual(['WEIR_ASYNC_FUNCTION', 'WEIR_CONFIG', 'WEIR_JOB_DEFINITION']);
    for (const code of Object.keys(onFailure) as ErrorCode[]) expect(restartable({ code })).toBe(onFailure[code] === 'restart');
    expect(restartable(new Error('not one of ours'))).toBe(true);
  });

  it('a job whose function returns a Promise fails at once under a restart strategy: no restart could help', async () => {
    const handle = await run(jobUrl('async-functions'), { params: { what: 'map-promise' }, parallelism: 2, restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 0 } });
    await expectWeirError(handle.done, 'WEIR_ASYNC_FUNCTION', /enrich/);
    expect(handle.metrics().restarts ?? []).toEqual([]);
  });
});
