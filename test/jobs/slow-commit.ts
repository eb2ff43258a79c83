// A rate-limited stream into an exactly-once sink whose commit takes `commitMs`: its records are
// visible only once a commit has returned, so the harness must measure each of them at least that
// long after it reached the sink (and none when the sink is at-least-once: `guarantee` param).
import { defineJob } from '../../src/api/index.ts';
import type { SinkSpec } from '../../src/connectors/types.ts';
import { generator } from '../../src/connectors/index.ts';

const slowCommitSink = (commitMs: number, exactlyOnce: boolean): SinkSpec<unknown> => ({
  kind: 'slow-commit',
  name: 'slow-commit',
  guarantee: exactlyOnce ? 'exactly-once' : 'at-least-once',
  open() {
    let written = 0;
    const commit = () => {
      // The whole worker waits, as for a slow transaction coordinator.
      const until = performance.now() + commitMs;
      while (performance.now() < until);
    };
    return {
      write: () => void written++,
      flush() {},
      close() {},
      result: () => written,
      ...(exactlyOnce ? { preCommit: () => null, commit } : {}),
    };
  },
});

export default defineJob(
  (env) => {
    const rate = env.numberParam('rate', 2_000);
    env
      .source(generator({ partitions: 2, ratePerSec: rate, count: Math.round(rate * env.numberParam('seconds', 2)), seed: env.numberParam('seed', 1) }))
      .sinkTo(slowCommitSink(env.numberParam('commitMs', 300), env.params.guarantee !== 'at-least-once'));
  },
  { name: 'slow-commit', checkpointIntervalMs: 100 },
);
