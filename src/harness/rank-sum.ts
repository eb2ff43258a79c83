/**
 * The exact two-sided Mann–Whitney (Wilcoxon rank-sum) test for two small samples — benchmark
 * trials, a handful each. The p-value is the share of all ways to split the pooled values into
 * groups of the two sizes whose U is at least as far from its mean as the observed one (ties count
 * half). Exact enumeration is cheap for the sizes trials have; beyond exactSplitsMax
 * splits the normal approximation is used.
 */
export const significanceLevel = 0.05;
/** Above this many splits the normal approximation replaces enumeration (C(20,10) ≈ 185 000). */
const exactSplitsMax = 200_000;

export interface RankSumResult {
  u: number;
  pValue: number;
  /** Whether samples of these sizes can reach the significance level at all (2 / C(m+n, m) < α). */
  canReject: boolean;
}

export function rankSumTest(xs: number[], ys: number[]): RankSumResult {
  const m = xs.length;
  const n = ys.length;
  const splits = binomial(m + n, m);
  const canReject = m > 0 && n > 0 && 2 / splits < significanceLevel;
  const u = uStatistic(xs, ys);
  const mean = (m * n) / 2;
  if (m === 0 || n === 0) return { u, pValue: 1, canReject: false };
  if (splits > exactSplitsMax) {
    const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
    const z = (Math.abs(u - mean) - 0.5) / sd;
    return { u, pValue: Math.min(1, 2 * (1 - normalCdf(z))), canReject };
  }
  const pooled = [...xs, ...ys];
  const observed = Math.abs(u - mean);
  let extreme = 0;
  let total = 0;
  forEachSubset(pooled.length, m, (chosen) => {
    const a: number[] = [];
    const b: number[] = [];
    pooled.forEach((v, i) => (chosen[i] ? a : b).push(v));
    total++;
    if (Math.abs(uStatistic(a, b) - mean) >= observed - 1e-9) extreme++;
  });
  return { u, pValue: extreme / total, canReject };
}

/** U: over all pairs (x, y), 1 when x > y, ½ when equal. */
function uStatistic(xs: number[], ys: number[]): number {
  let u = 0;
  for (const x of xs) for (const y of ys) u += x > y ? 1 : x === y ? 0.5 : 0;
  return u;
}

function forEachSubset(size: number, k: number, visit: (chosen: boolean[]) => void): void {
  const chosen = new Array<boolean>(size).fill(false);
  const walk = (from: number, left: number) => {
    if (left === 0) return visit(chosen);
    for (let i = from; i <= size - left; i++) {
      chosen[i] = true;
      walk(i + 1, left - 1);
      chosen[i] = false;
    }
  };
  walk(0, k);
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Φ(z), Abramowitz and Stegun 7.1.26 (error < 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
