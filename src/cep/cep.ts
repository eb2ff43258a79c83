/**
 * Entry point of CEP (Flink's CEP.pattern): `CEP.pattern(keyedStream, pattern)` gives a
 * PatternStream, whose `process` or `select` adds the CEP operator — a keyed process function on
 * the keyed stream — and returns the stream of what it emits.
 */
import { WeirError } from '../errors.ts';
import type { DataStream, KeyedStream, OperatorOptions } from '../api/stream.ts';
import { rejectAsyncFunction, rejectAsyncMethods } from '../functions/sync.ts';
import { CEP_LATE_RECORDS_TAG, cepOperator, type PatternProcessFunction } from './cep-operator.ts';
import { compileNfa } from './nfa-compiler.ts';
import type { Match } from './nfa.ts';
import type { Pattern } from './pattern.ts';

export class PatternStream<T, K> {
  private lateDataTag = CEP_LATE_RECORDS_TAG;

  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly pattern: Pattern<T>,
  ) {}

  /** Records at or behind the watermark when they arrive go to side output `tag` (default 'late-records'). */
  sideOutputLateData(tag: string): this {
    if (typeof tag !== 'string' || tag === '') throw new WeirError('WEIR_JOB_DEFINITION', 'CEP: sideOutputLateData needs a non-empty tag');
    this.lateDataTag = tag;
    return this;
  }

  /** Calls `fn.processMatch(match, ctx)` per match and `fn.processTimedOutMatch` per timed-out partial match (Flink's PatternProcessFunction). */
  process<U>(fn: PatternProcessFunction<T, K, U>, options: OperatorOptions = {}): DataStream<U> {
    const name = options.name ?? 'cep';
    if (typeof fn?.processMatch !== 'function') throw new WeirError('WEIR_JOB_DEFINITION', `operator "${name}": a pattern process function needs processMatch(match, ctx)`);
    rejectAsyncMethods(fn, name, 'pattern process function');
    for (const method of ['processMatch', 'processTimedOutMatch']) rejectAsyncFunction((fn as unknown as Record<string, unknown>)[method], name, `pattern process function's ${method}`);
    const nfa = compileNfa(this.pattern);
    return this.input.process<U>(cepOperator<T, K, U>(nfa, fn, this.lateDataTag), { ...options, name });
  }

  /**
   * One record per match: `select((match) => …)`. With a tag and a timeout function first —
   * `select('timed-out', (partial, timeoutMs) => …, (match) => …)` — timed-out partial matches
   * become records of side output `tag` (Flink's select with an OutputTag and a PatternTimeoutFunction).
   */
  select<U>(selectFn: (match: Match<T>) => U, options?: OperatorOptions): DataStream<U>;
  select<U, X>(timedOutTag: string, timeoutFn: (partial: Match<T>, timeoutTimestampMs: number) => X, selectFn: (match: Match<T>) => U, options?: OperatorOptions): DataStream<U>;
  select<U, X>(...args: unknown[]): DataStream<U> {
    if (typeof args[0] === 'function') {
      const selectFn = args[0] as (match: Match<T>) => U;
      return this.process<U>({ processMatch: (m, ctx) => ctx.emit(selectFn(m)) }, (args[1] as OperatorOptions | undefined) ?? {});
    }
    const [tag, timeoutFn, selectFn, options] = args as [string, (p: Match<T>, t: number) => X, (m: Match<T>) => U, OperatorOptions | undefined];
    if (typeof tag !== 'string' || typeof timeoutFn !== 'function' || typeof selectFn !== 'function') {
      throw new WeirError('WEIR_JOB_DEFINITION', 'CEP: select takes (selectFn) or (timedOutTag, timeoutFn, selectFn)');
    }
    rejectAsyncFunction(timeoutFn, options?.name ?? 'cep', 'timeout function');
    return this.process<U>(
      {
        processMatch: (m, ctx) => ctx.emit(selectFn(m)),
        processTimedOutMatch: (m, ctx) => ctx.output(tag, timeoutFn(m, ctx.timestampMs)),
      },
      options ?? {},
    );
  }
}

export const CEP = {
  /** Detects `pattern` in `input`, per key, in event time. */
  pattern<T, K>(input: KeyedStream<T, K>, pattern: Pattern<T>): PatternStream<T, K> {
    return new PatternStream(input, pattern);
  },
};
