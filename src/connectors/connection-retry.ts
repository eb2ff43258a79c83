/**
 * Retrying a connector's connection to an outside system (a Kafka broker) while it is down.
 *
 * A broker that is down is not the job's fault and usually comes back: failing at once would
 * spend the restart budget in seconds (three restarts of 200 ms) and fail a job whose checkpoints
 * and state are fine. So connectors retry what failed — connecting at open, a fetch, a send —
 * with back-off, for up to their retryTimeoutMs (Kafka: limits.kafkaRetryTimeoutMsDefault),
 * without failing the attempt. Each retry is counted (JobMetrics.connectionRetries: the worker
 * publishes this thread's count) and logged, at most every limits.connectionRetryLogIntervalMs
 * per connector; past the timeout the connector fails with its error, marked retriable.
 */
import { WeirError } from '../errors.ts';
import { limits } from '../limits.ts';

let retries = 0;

/** Connection retries made on this thread so far (the worker's metrics). */
export function connectionRetries(): number {
  return retries;
}

/** Tracks one outage of one connector: its back-off, its deadline, its log lines. */
export class Outage {
  private startedMs: number | undefined;
  private backoffMs: number;
  private lastLogMs = 0;
  private retriesNow = 0;

  constructor(
    /** Names the connector and what it does ("kafkaSource(orders): fetch partition 3"). */
    private readonly what: string,
    private readonly retryTimeoutMs: number,
    private readonly backoffMsMin: number,
    private readonly backoffMsMax: number,
  ) {
    this.backoffMs = backoffMsMin;
  }

  /**
   * After a retriable failure: waits the back-off and returns, or, once the outage has lasted
   * retryTimeoutMs, returns the failure to throw (`toError(err)` marked retriable).
   */
  async retryAfter(err: unknown, toError: (err: unknown) => WeirError): Promise<WeirError | undefined> {
    const now = Date.now();
    this.startedMs ??= now;
    const elapsedMs = now - this.startedMs;
    if (elapsedMs >= this.retryTimeoutMs) {
      const failure = toError(err);
      return new WeirError(failure.code, `${failure.message} (still failing after ${(elapsedMs / 1000).toFixed(1)} s of retries: retryTimeoutMs ${this.retryTimeoutMs})`, {
        operator: failure.operator,
        partition: failure.partition,
        retriable: true,
        cause: err,
      });
    }
    retries++;
    this.retriesNow++;
    if (this.retriesNow === 1 || now - this.lastLogMs >= limits.connectionRetryLogIntervalMs) {
      this.lastLogMs = now;
      const leftS = ((this.retryTimeoutMs - elapsedMs) / 1000).toFixed(0);
      console.error(`weir: ${this.what}: ${(err as Error)?.message ?? String(err)}; retry ${this.retriesNow} in ${this.backoffMs} ms (gives up in ${leftS} s)`);
    }
    await new Promise((r) => setTimeout(r, this.backoffMs));
    this.backoffMs = Math.min(this.backoffMs * 2, this.backoffMsMax);
    return undefined;
  }

  /** After a success: the outage, if there was one, is over. */
  recovered(): void {
    if (this.startedMs === undefined) return;
    console.error(`weir: ${this.what}: reconnected after ${this.retriesNow} retries in ${((Date.now() - this.startedMs) / 1000).toFixed(1)} s`);
    this.startedMs = undefined;
    this.backoffMs = this.backoffMsMin;
    this.retriesNow = 0;
  }
}

/** Runs `attempt` until it succeeds; a failure `retriable(err)` accepts is retried (see Outage). */
export async function withRetries<T>(outage: Outage, attempt: () => Promise<T>, retriable: (err: unknown) => boolean, toError: (err: unknown) => WeirError): Promise<T> {
  for (;;) {
    try {
      const value = await attempt();
      outage.recovered();
      return value;
    } catch (err) {
      if (!retriable(err)) throw err;
      const failure = await outage.retryAfter(err, toError);
      if (failure) throw failure;
    }
  }
}
