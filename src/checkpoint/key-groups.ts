/**
 * Which key groups a restore keeps. When a job restarts with a different parallelism, worker w
 * owns a different contiguous range of key groups (src/runtime/keys.ts, Flink's
 * KeyGroupRangeAssignment) and restores it from every old snapshot that holds part of it.
 */
import { WeirError } from '../errors.ts';
import { assert } from '../limits.ts';

/** Key groups `from` … `to`, both included. */
export interface KeyGroupRange {
  from: number;
  to: number;
}

export type KeyGroupFilter = KeyGroupRange | ((keyGroup: number) => boolean);

/**
 * The key groups worker `worker` owns: exactly those g with workerOfKeyGroup(g) = worker, i.e.
 * ⌊g·parallelism / keyGroups⌋ = worker, so g runs from ⌈w·K/p⌉ to ⌈(w+1)·K/p⌉ − 1.
 */
export function keyGroupRangeOfWorker(worker: number, keyGroups: number, parallelism: number): KeyGroupRange {
  if (!Number.isInteger(parallelism) || parallelism < 1 || !Number.isInteger(keyGroups) || keyGroups < parallelism) {
    throw new WeirError('WEIR_CONFIG', `key groups: need 1 ≤ parallelism (${parallelism}) ≤ keyGroups (${keyGroups})`);
  }
  assert(Number.isInteger(worker) && worker >= 0 && worker < parallelism, `key groups: worker ${worker} is not in 0 … ${parallelism - 1}`);
  const ceilDiv = (a: number, b: number) => Math.floor((a + b - 1) / b);
  return { from: ceilDiv(worker * keyGroups, parallelism), to: ceilDiv((worker + 1) * keyGroups, parallelism) - 1 };
}

/** A filter as a predicate; undefined keeps every key group. */
export function keyGroupPredicate(filter: KeyGroupFilter | undefined): (keyGroup: number) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === 'function') return filter;
  const { from, to } = filter;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
    throw new WeirError('WEIR_CONFIG', `key group range ${from} … ${to} is not a range of key groups`);
  }
  return (keyGroup) => keyGroup >= from && keyGroup <= to;
}
