import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';
import type { AsyncSettings } from './graph.ts';
import type { OperatorInfo } from '../functions/contracts.ts';

/** How a failed or timed-out request is tried again (Flink's AsyncRetryStrategy with exponential delay). */
export interface AsyncRetry {
  /** Attempts in all, the first included (1: no retry). */
  attempts: number;
  /** Wait before the second attempt (default 100 ms); each later wait is multiplied by backoffMultiplier (default 2), up to backoffMsMax (default 10 s). */
  backoffMs?: number;
  backoffMultiplier?: number;
  backoffMsMax?: number;
}

/**
 * Options of `stream.mapAsync` (Flink's AsyncDataStream.orderedWait / unorderedWait). A request
 * whose every attempt failed or timed out is the record's failure: the operator's onError says
 * whether it fails the job or goes to the dead letters.
 */
export interface MapAsyncOptions {
  name?: string;
  uid?: string;
  onError?: 'fail' | 'dead-letter';
  /** Requests in flight per worker at most (default 100). When they are, the worker stops taking input. */
  capacity?: number;
  /** Per attempt, ms (default 10 000; Infinity: none). A late result of a timed-out attempt is ignored. */
  timeoutMs?: number;
  /** Results in input order (default true); false: as they complete, but never across a watermark. */
  ordered?: boolean;
  retry?: AsyncRetry;
}

/**
 * A mapAsync function with a life cycle (Flink's RichAsyncFunction): `open` runs on each worker
 * before its first record, `close` when the worker's part of the job ends — normally or after a
 * failure — so a client made in `open` (a connection pool, a socket) is closed with the job and
 * does not outlive it. Both are synchronous; `map` returns the result or a Promise of it.
 */
export interface AsyncMapFunction<T, U> {
  open?(info: OperatorInfo): void;
  map(value: T): Promise<U> | U;
  close?(): void;
}

/** What `mapAsync` takes: a function, or an object with a life cycle. */
export type AsyncMapFn<T, U> = ((value: T) => Promise<U> | U) | AsyncMapFunction<T, U>;

/** The settings of a mapAsync operator, checked, defaults applied. */
export function asyncSettings(options: MapAsyncOptions, operator: string): AsyncSettings {
  const bad = (what: string) => new WeirError('WEIR_JOB_DEFINITION', `mapAsync "${operator}": ${what}`, { operator });
  const capacity = options.capacity ?? limits.asyncCapacityDefault;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > limits.asyncCapacityMax) throw bad(`capacity must be an integer from 1 to ${limits.asyncCapacityMax}, not ${String(options.capacity)}`);
  const timeoutMs = options.timeoutMs ?? limits.asyncTimeoutMsDefault;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw bad(`timeoutMs must be a positive number of ms (or Infinity), not ${String(options.timeoutMs)}`);
  if (options.ordered !== undefined && typeof options.ordered !== 'boolean') throw bad(`ordered must be true or false, not ${String(options.ordered)}`);
  const retry = options.retry ?? { attempts: 1 };
  const attempts = retry.attempts;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > limits.asyncAttemptsMax) throw bad(`retry.attempts must be an integer from 1 to ${limits.asyncAttemptsMax}, not ${String(attempts)}`);
  const backoffMs = retry.backoffMs ?? limits.asyncBackoffMsDefault;
  const backoffMultiplier = retry.backoffMultiplier ?? limits.asyncBackoffMultiplierDefault;
  const backoffMsMax = retry.backoffMsMax ?? limits.asyncBackoffMsMaxDefault;
  for (const [name, v] of [['backoffMs', backoffMs], ['backoffMsMax', backoffMsMax]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`retry.${name} must be a number of ms ≥ 0, not ${String(v)}`);
  }
  if (typeof backoffMultiplier !== 'number' || !Number.isFinite(backoffMultiplier) || backoffMultiplier < 1) throw bad(`retry.backoffMultiplier must be a number ≥ 1, not ${String(backoffMultiplier)}`);
  return { capacity, timeoutMs, ordered: options.ordered ?? true, attempts, backoffMs, backoffMultiplier, backoffMsMax };
}

/** The wait before attempt `attempt` + 1 (attempt ≥ 1). */
export function backoffMs(settings: AsyncSettings, attempt: number): number {
  return Math.min(settings.backoffMsMax, settings.backoffMs * settings.backoffMultiplier ** (attempt - 1));
}
