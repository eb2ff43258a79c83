import { expect, test } from 'vitest';
import { checkpointBench } from '../../native-bench/checkpoints.ts';

// bench:checkpoints, small: it must keep running (no timing asserted).
test('the checkpoint benchmark runs', async () => {
  const lines: string[] = [];
  await checkpointBench({ records: 30_000, keys: 2_000, rate: 10_000, seconds: 2, pairs: 1, log: (line) => lines.push(line) });
  expect(lines.map((l) => l.split(':')[0])).toEqual(['checkpoint benchmark', 'throughput', 'checkpoints', 'latency pair 1', 'latency at 10 K/s', 'recovery']);
});
