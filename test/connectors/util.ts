// Helpers for driving connectors directly (without the runtime) in tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { END, type SinkContext, type SourceContext, type SourceOutput, type SourceReader } from '../../src/connectors/types.ts';

export interface Emitted<T> {
  value: T;
  offset: number;
  timestampMs: number;
  createdMs: number;
}

export interface DeadLettered {
  raw: string;
  reason: string;
  offset: number;
}

/** A SourceOutput that keeps everything in arrays. */
export class CollectingOutput<T> implements SourceOutput<T> {
  readonly records: Array<Emitted<T>> = [];
  readonly deadLetters: DeadLettered[] = [];
  emit(value: T, offset: number, timestampMs: number, createdMs: number): void {
    this.records.push({ value, offset, timestampMs, createdMs });
  }
  deadLetter(raw: string, reason: string, offset: number): void {
    this.deadLetters.push({ raw, reason, offset });
  }
  get values(): T[] {
    return this.records.map((r) => r.value);
  }
}

export function sourceContext(partition: number, parallelism: number, over: Partial<SourceContext> = {}): SourceContext {
  return {
    partition,
    parallelism,
    workDir: tmpdir(),
    startMs: 0,
    nowMs: () => performance.timeOrigin + performance.now(),
    ...over,
  };
}

export function sinkContext(subtask: number, parallelism: number, workDir = tmpdir()): SinkContext {
  return { subtask, parallelism, workDir, nowMs: () => performance.timeOrigin + performance.now(), sinkUid: 'sink' };
}

/** Polls a synchronous reader until END (fails the test rather than spinning forever). */
export function drain<T>(reader: SourceReader<T>, out: SourceOutput<T>, max = 100, pollsMax = 1_000_000): number {
  let total = 0;
  for (let polls = 0; polls < pollsMax; polls++) {
    const n = reader.poll(max, out);
    if (typeof n !== 'number') throw new Error('expected a synchronous poll');
    if (n === END) return total;
    total += n;
  }
  throw new Error(`no END after ${pollsMax} polls`);
}

export function tempDir(prefix = 'weir-conn-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
