// When the latency recorder counts a record visible: at the next flush of an at-least-once sink, at
// the commit of the checkpoint whose transaction holds it in a two-phase sink (real histograms,
// no threads: the recorder is driven by hand as the worker drives it).
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../src/runtime/instrumentation/latency-recorder.ts';

const measuredCount = (recorder: LatencyRecorder) => hdr.decodeFromCompressedBase64(recorder.takeSnapshot().endToEnd).totalCount;

describe('latency recorder: when a record becomes visible', () => {
  it('an at-least-once sink at its flush; a two-phase sink at the commit of its pre-committed transaction', () => {
    const recorder = new LatencyRecorder();
    recorder.measureFrom(0);
    const createdMs = performance.now();
    recorder.atSink(createdMs);
    recorder.atSink(createdMs, true);
    recorder.atFlush();
    expect(measuredCount(recorder)).toBe(1); // the flush made only the at-least-once record visible

    recorder.atPreCommit(1); // the two-phase record is in checkpoint 1's transaction
    recorder.atSink(createdMs, true); // this one in checkpoint 2's
    recorder.atFlush();
    expect(measuredCount(recorder)).toBe(0);
    recorder.atCommit(1);
    expect(measuredCount(recorder)).toBe(1);
    recorder.atCommit(1); // a commit replayed for the same checkpoint changes nothing
    expect(measuredCount(recorder)).toBe(0);

    recorder.atPreCommit(2);
    recorder.atPreCommit(3); // nothing reached the sink since: no transaction to wait for
    recorder.atSink(createdMs, true);
    recorder.atPreCommit(4);
    recorder.atCommit(4); // commits up to 4: both transactions
    expect(measuredCount(recorder)).toBe(2);
  });
});
