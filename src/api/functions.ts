/** User-function contracts, in the vocabulary of Flink's DataStream API. */

export interface ValueState<S> {
  /** The value for the current key, or undefined. */
  value(): S | undefined;
  update(value: S): void;
  clear(): void;
}

export interface KeyedContext<K, U> {
  /** Key of the record being processed. */
  readonly key: K;
  /** Event time of the record (epoch ms), NaN when it has none. */
  readonly timestampMs: number;
  /** Sends a record downstream (keeps the input's timestamp). */
  emit(value: U): void;
  /** State scoped to the current key, declared by name. */
  valueState<S>(name: string): ValueState<S>;
}

export interface KeyedProcessFunction<T, K, U> {
  open?(info: { subtask: number; parallelism: number }): void;
  processElement(value: T, ctx: KeyedContext<K, U>): void;
  close?(): void;
}

export type KeyedProcessFn<T, K, U> = ((value: T, ctx: KeyedContext<K, U>) => void) | KeyedProcessFunction<T, K, U>;

export function toProcessFunction<T, K, U>(fn: KeyedProcessFn<T, K, U>): KeyedProcessFunction<T, K, U> {
  return typeof fn === 'function' ? { processElement: fn } : fn;
}
