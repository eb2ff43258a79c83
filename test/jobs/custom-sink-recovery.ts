// examples/custom-sink.ts's two-phase-commit sink under a failure: generator events (rate-limited,
// so checkpoints complete before it) fail the job once at seq `failAt` (marker in `markers`); the
// restarted attempt resumes from the last checkpoint. Output in param `out`.
import { join } from 'node:path';
import { defineJob } from '../../src/api/index.ts';
import { failsFirstTime } from './fails-first-time.ts';
import { generator } from '../../src/connectors/index.ts';
import { jsonFilePerCheckpoint } from '../../examples/custom-sink.ts';

export default defineJob(
  (env) => {
    const failAt = env.numberParam('failAt', -1);
    env
      .source(generator({ partitions: 2, count: env.numberParam('count', 6000), keys: 100, seed: 9, ratePerSec: env.numberParam('rate', 3000) }), { name: 'events' })
      .map((e) => {
        if (e.seq === failAt && failsFirstTime(join(env.params.markers, 'failed'))) throw new Error(`injected failure at ${e.seq}`);
        return { seq: e.seq, value: e.value };
      }, { name: 'inject' })
      .sinkTo(jsonFilePerCheckpoint(env.params.out));
  },
  { name: 'custom-sink-recovery', checkpointIntervalMs: 100 },
);
