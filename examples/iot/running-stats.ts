// A running mean and standard deviation (Welford's algorithm), kept in keyed state by the IoT
// example's anomaly detector. Written here for the example; not a library helper.
export interface RunningStats {
  n: number;
  mean: number;
  /** Sum of squared differences from the mean. */
  m2: number;
}

export const emptyStats = (): RunningStats => ({ n: 0, mean: 0, m2: 0 });

export function addSample(s: RunningStats, x: number): RunningStats {
  const n = s.n + 1;
  const delta = x - s.mean;
  const mean = s.mean + delta / n;
  return { n, mean, m2: s.m2 + delta * (x - mean) };
}

/** Population standard deviation (0 with fewer than two samples). */
export const deviation = (s: RunningStats) => (s.n < 2 ? 0 : Math.sqrt(s.m2 / s.n));
