import type { RestartStrategy } from '../api/job.ts';

/** Why `strategy` is not a valid restart strategy, or undefined when it is. */
export function restartStrategyProblem(strategy: RestartStrategy): string | undefined {
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const ms = (v: unknown) => typeof v === 'number' && v >= 0 && Number.isFinite(v);
  switch (strategy?.kind) {
    case 'none':
      return undefined;
    case 'fixed-delay':
      if (!count(strategy.attempts)) return `attempts must be an integer ≥ 0, not ${strategy.attempts}`;
      return ms(strategy.delayMs) ? undefined : `delayMs must be ≥ 0, not ${strategy.delayMs}`;
    case 'exponential-backoff':
      if (!count(strategy.attempts)) return `attempts must be an integer ≥ 0, not ${strategy.attempts}`;
      if (!ms(strategy.initialDelayMs) || !ms(strategy.maxDelayMs) || strategy.maxDelayMs < strategy.initialDelayMs) {
        return `need 0 ≤ initialDelayMs (${strategy.initialDelayMs}) ≤ maxDelayMs (${strategy.maxDelayMs})`;
      }
      return strategy.multiplier === undefined || strategy.multiplier >= 1 ? undefined : `multiplier must be ≥ 1, not ${strategy.multiplier}`;
    default:
      return `kind must be none, fixed-delay or exponential-backoff, not ${JSON.stringify((strategy as { kind?: unknown })?.kind)}`;
  }
}

/** The delay before restart number `attempt` (1-based), or undefined when the strategy allows no more. */
export function restartDelayMs(strategy: RestartStrategy, attempt: number): number | undefined {
  switch (strategy.kind) {
    case 'none':
      return undefined;
    case 'fixed-delay':
      return attempt <= strategy.attempts ? strategy.delayMs : undefined;
    case 'exponential-backoff': {
      if (attempt > strategy.attempts) return undefined;
      const delay = strategy.initialDelayMs * (strategy.multiplier ?? 2) ** (attempt - 1);
      return Math.min(delay, strategy.maxDelayMs);
    }
  }
}
