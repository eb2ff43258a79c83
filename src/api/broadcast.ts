/**
 * Flink's broadcast state pattern: a low-volume stream (rules, thresholds, model versions) goes to
 * every worker, and a keyed function reads it beside the main stream.
 *
 * ```ts
 * const rules = env.source(ruleSource).broadcast();
 * transactions.keyBy((tx) => tx.holder).connect(rules).process({
 *   processBroadcastElement(rule, ctx) { ctx.broadcastState<string, Rule>('rules').put(rule.id, rule); },
 *   processElement(tx, ctx) {
 *     for (const [, rule] of ctx.broadcastState<string, Rule>('rules').entries()) if (rule.matches(tx)) ctx.emit(alert(tx, rule));
 *   },
 * });
 * ```
 */
import type { Codec } from '../channel/codec.ts';
import type { KeyedContext, OnTimerContext, OperatorInfo, ProcessContext } from '../functions/contracts.ts';

/** Broadcast state as the main input sees it: read-only (every worker must keep the same). */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  keys(): K[];
  entries(): Array<[K, V]>;
  size(): number;
}

/** Broadcast state as the broadcast input sees it: a map per name, the same on every worker. */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}

export interface ReadOnlyBroadcastContext<K, U> extends KeyedContext<K, U> {
  broadcastState<BK, BV>(name: string): ReadOnlyBroadcastState<BK, BV>;
}

export interface BroadcastContext<U> extends ProcessContext<U> {
  broadcastState<BK, BV>(name: string): BroadcastState<BK, BV>;
  /** This worker's index (every worker gets every broadcast element). */
  readonly subtask: number;
}

export interface ReadOnlyBroadcastTimerContext<K, U> extends OnTimerContext<K, U> {
  broadcastState<BK, BV>(name: string): ReadOnlyBroadcastState<BK, BV>;
}

/** What processElement of a BroadcastProcessFunction gets: no keyed state or timers, broadcast state read-only (its worker: `open`'s subtask). */
export interface ReadOnlyBroadcastProcessContext<U> extends ProcessContext<U> {
  broadcastState<BK, BV>(name: string): ReadOnlyBroadcastState<BK, BV>;
}

/**
 * Flink's BroadcastProcessFunction: a stream that is not keyed beside broadcast state. Its records
 * stay on the worker that read them (nothing crosses an exchange on the main side), so each worker
 * can look them up in a table that every worker holds: a broadcast join, as Spark broadcasts the
 * small side of a join. Fields of the function object are this worker's and this attempt's: the
 * job module is loaded again on every restart, so they start empty then (a cache may live there;
 * anything the output depends on must be derivable from the broadcast state and the record).
 */
export interface BroadcastProcessFunction<T, B, U> {
  open?(info: OperatorInfo): void;
  /** A main-stream record, on the worker that read it: broadcast state read-only. */
  processElement(value: T, ctx: ReadOnlyBroadcastProcessContext<U>): void;
  /** A broadcast record, on every worker: update broadcast state (the same way on every worker: it must stay identical). */
  processBroadcastElement(value: B, ctx: BroadcastContext<U>): void;
  close?(): void;
}

/** Flink's KeyedBroadcastProcessFunction. */
export interface KeyedBroadcastProcessFunction<T, K, B, U> {
  open?(info: OperatorInfo): void;
  /** A main-stream record: keyed state and timers as in a keyed process function, broadcast state read-only. */
  processElement(value: T, ctx: ReadOnlyBroadcastContext<K, U>): void;
  /** A broadcast record, on every worker: update broadcast state (the same way on every worker: it must stay identical). */
  processBroadcastElement(value: B, ctx: BroadcastContext<U>): void;
  onTimer?(timestampMs: number, ctx: ReadOnlyBroadcastTimerContext<K, U>): void;
  close?(): void;
}

export interface BroadcastOptions {
  name?: string;
  /** How records are encoded on their way to every worker (default: the job's codec). */
  codec?: Codec<unknown>;
}
