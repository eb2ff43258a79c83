import type { RestartStrategy } from '../../api/job.ts';
import type { ErrorCode } from '../../errors.ts';

/**
 * What a failure does to the run, by its code — the one table the restart decision reads.
 * `restart`: from the newest completed checkpoint, as the restart strategy allows (Flink restarts
 * on any failure; the strategy bounds a failure that repeats). `fail`: at once, whatever the
 * strategy: the failure is decided by the job itself, so every restart would end the same way.
 */
export const onFailure: Readonly<Record<ErrorCode, 'restart' | 'fail'>> = {
  WEIR_USER_FUNCTION: 'restart', // user code may depend on the world outside (a file, a service)
  WEIR_ASYNC_FUNCTION: 'fail', // every record would return a Promise again
  WEIR_ASYNC_TIMEOUT: 'restart', // an external service that did not answer may answer after the restore
  WEIR_RECORD_TOO_LARGE: 'restart',
  WEIR_WORKER_DIED: 'restart', // out of memory, a crashed native module: the checkpoint is a known-good point
  WEIR_ENCODE: 'restart',
  WEIR_DECODE: 'restart',
  WEIR_SOURCE: 'restart', // an outage that outlasted the connector's retries (retriable), or a fault
  WEIR_SINK: 'restart',
  WEIR_JOB_DEFINITION: 'fail', // the job module itself is wrong
  WEIR_CONFIG: 'fail', // the options are wrong
  WEIR_STATE: 'restart', // a full disk or map may have room again after the restore
  WEIR_CHECKPOINT: 'restart',
  // A state query's errors answer the query (job.queryState, /state/…); they never fail the job.
  WEIR_QUERY_NOT_FOUND: 'restart',
  WEIR_QUERY_BAD_REQUEST: 'restart',
  WEIR_QUERY_UNAVAILABLE: 'restart',
  WEIR_INTERNAL: 'restart', // a bug in weir; the restart resumes from a consistent cut and says so in metrics().restarts
  WEIR_ABORTED: 'restart', // only when nothing better is known: the real failure is reported instead when there is one
};

/** Whether a failed attempt may be restarted: by its code's row in onFailure (an unknown error restarts). */
export function restartable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || !(code in onFailure) || onFailure[code as ErrorCode] === 'restart';
}

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
