import { nowMs } from '../../util/clock.ts';
import type { JobState } from '../metrics.ts';

/**
 * A run's state as its handle reports it — `metrics().state`, `job.ready`, `startupMs` and
 * `runMs` — moved on as attempts pass their start gate, fail, restart and end. The attempts know
 * nothing of it: run() tells it what happened.
 */
export class JobLifecycle {
  state: JobState = 'starting';
  /** Resolves when an attempt first passes its start gate; rejects when the run fails before. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private failReady!: (err: unknown) => void;
  private firstReadyMs: number | undefined;
  private endedMs: number | undefined;

  constructor(private readonly calledMs: number) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {}); // the caller may await only `done`
  }

  /** The current attempt passed its start gate at `startedMs` (every worker ready). */
  attemptReady(startedMs: number): void {
    this.firstReadyMs ??= startedMs;
    if (this.state === 'starting' || this.state === 'restarting') this.state = 'running';
    this.markReady();
  }

  restarting(): void {
    this.state = 'restarting';
  }

  stopping(): void {
    if (this.state !== 'finished' && this.state !== 'failed') this.state = 'stopping';
  }

  finished(): void {
    this.endedMs = nowMs();
    this.state = 'finished';
  }

  failed(err: unknown): void {
    this.endedMs = nowMs();
    this.state = 'failed';
    this.failReady(err);
  }

  /** Start-up: from run() to the first readiness (so far, while starting). Run: from then to the end, restarts included. */
  timing(): { startupMs: number; runMs: number } {
    const now = this.endedMs ?? nowMs();
    return { startupMs: (this.firstReadyMs ?? now) - this.calledMs, runMs: this.firstReadyMs === undefined ? 0 : now - this.firstReadyMs };
  }
}
