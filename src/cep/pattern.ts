/**
 * The pattern API of CEP (Flink's Pattern): a sequence of named stages, each with a condition, a
 * quantifier and its contiguity to the stage before. Like Flink's, it is a mutable builder:
 * `where`, `times`, `optional`, … change the stage at hand and return it; `next`, `followedBy`
 * and `followedByAny` start a new stage linked to it. `compileNfa` (nfa-compiler.ts) turns the
 * last stage (and through it the whole sequence) into states and transitions.
 */
import { WeirError } from '../errors.ts';
import { rejectAsyncFunction } from '../functions/sync.ts';
import { AfterMatchSkipStrategy } from './skip-strategy.ts';

/** What a condition can see besides the event: the events matched so far in the same partial match. */
export interface ConditionContext<T> {
  /** The events the partial match being extended has assigned to stage `name` so far (Flink's getEventsForPattern). */
  eventsFor(name: string): T[];
  /** Event time of the event being tested. */
  readonly timestampMs: number;
}

/** A condition on one event; the second argument makes it an iterative condition (Flink's IterativeCondition). */
export type Condition<T> = (event: T, ctx: ConditionContext<T>) => boolean;

/**
 * How a stage's events relate to the events before them (Flink's ConsumingStrategy):
 * 'strict' (next, consecutive), 'relaxed' (followedBy, the default inside a loop: non-matching
 * events in between are skipped) and 'any' (followedByAny, allowCombinations: matching events may
 * be skipped too).
 */
export type Contiguity = 'strict' | 'relaxed' | 'any';

/** One stage of a pattern sequence, as the compiler reads it. */
export interface StageSpec<T> {
  readonly name: string;
  /** Contiguity to the stage before (ignored for the first stage: every event may start a match). */
  readonly contiguity: Contiguity;
  /** Contiguity between the events of a looping or times stage. */
  inner: Contiguity;
  condition: Condition<T> | undefined;
  until: Condition<T> | undefined;
  /** 'single': one event; 'times': from..to events; 'looping': from or more. */
  kind: 'single' | 'times' | 'looping';
  from: number;
  to: number;
  optional: boolean;
  greedy: boolean;
}

export class Pattern<T> {
  /** Within: the smallest of every `within` on the sequence (as Flink), in ms of event time. */
  private windowMs: number | undefined;

  private constructor(
    /** The stage before this one, undefined for the first. */
    readonly previous: Pattern<T> | undefined,
    readonly stage: StageSpec<T>,
    readonly skipStrategy: AfterMatchSkipStrategy,
  ) {}

  /** The first stage of a pattern sequence; `skipStrategy` decides what happens after a match (default: noSkip). */
  static begin<T>(name: string, skipStrategy: AfterMatchSkipStrategy = AfterMatchSkipStrategy.noSkip()): Pattern<T> {
    return new Pattern<T>(undefined, newStage<T>(name, 'relaxed'), skipStrategy);
  }

  /** A new stage whose first event directly follows the previous stage's last event (strict contiguity). */
  next(name: string): Pattern<T> {
    return this.then(name, 'strict');
  }

  /** A new stage whose first event is the next event after the previous stage that satisfies its condition (relaxed contiguity). */
  followedBy(name: string): Pattern<T> {
    return this.then(name, 'relaxed');
  }

  /** A new stage whose first event is any later event that satisfies its condition (non-deterministic relaxed contiguity). */
  followedByAny(name: string): Pattern<T> {
    return this.then(name, 'any');
  }

  /** ANDs a condition to the stage's condition. */
  where(condition: Condition<T>): this {
    checkFunction(condition, this.stage.name, 'where');
    const before = this.stage.condition;
    this.stage.condition = before === undefined ? condition : (e, ctx) => before(e, ctx) && condition(e, ctx);
    return this;
  }

  /** ORs a condition with the stage's condition so far. */
  or(condition: Condition<T>): this {
    checkFunction(condition, this.stage.name, 'or');
    const before = this.stage.condition;
    this.stage.condition = before === undefined ? condition : (e, ctx) => before(e, ctx) || condition(e, ctx);
    return this;
  }

  /** Stop condition of a looping stage: an event satisfying it ends the loop and is not taken into it. */
  until(condition: Condition<T>): this {
    checkFunction(condition, this.stage.name, 'until');
    if (this.stage.kind !== 'looping') this.fail('until applies to looping stages (oneOrMore, timesOrMore) only');
    if (this.stage.until !== undefined) this.fail('until is already set');
    this.stage.until = condition;
    return this;
  }

  /** Exactly `n` events, or from `from` to `to` events (`times(0, n)` is `times(1, n).optional()`). */
  times(from: number, to: number = from): this {
    this.checkNoQuantifier();
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < 1 || to < from) this.fail(`times(${from}, ${to}): give whole numbers with 0 <= from <= to and to >= 1`);
    if (from === 0) {
      this.stage.optional = true;
      from = 1;
    }
    Object.assign(this.stage, { kind: 'times', from, to });
    return this;
  }

  /** One or more events (a loop). */
  oneOrMore(): this {
    return this.timesOrMore(1);
  }

  /** `n` or more events (a loop). */
  timesOrMore(n: number): this {
    this.checkNoQuantifier();
    if (!Number.isInteger(n) || n < 1) this.fail(`timesOrMore(${n}): give a whole number >= 1`);
    Object.assign(this.stage, { kind: 'looping', from: n, to: n });
    return this;
  }

  /** The stage may match no event at all. */
  optional(): this {
    if (this.stage.optional) this.fail('optional is already applied');
    this.stage.optional = true;
    return this;
  }

  /** A looping or times stage takes as many events as it can: the next stage may not take an event this one could. */
  greedy(): this {
    if (this.stage.inner === 'any') this.fail('greedy does not apply with allowCombinations');
    if (this.stage.greedy) this.fail('greedy is already applied');
    this.stage.greedy = true;
    return this;
  }

  /** Strict contiguity between the events of a looping or times stage (default: relaxed). */
  consecutive(): this {
    this.checkRepeating('consecutive');
    this.stage.inner = 'strict';
    return this;
  }

  /** Non-deterministic relaxed contiguity between the events of a looping or times stage. */
  allowCombinations(): this {
    this.checkRepeating('allowCombinations');
    if (this.stage.greedy) this.fail('allowCombinations does not apply to a greedy stage');
    this.stage.inner = 'any';
    return this;
  }

  /** A match must complete within `ms` of event time of its first event (last − first < ms). */
  within(ms: number): this {
    if (!(ms > 0) || !Number.isFinite(ms)) this.fail(`within(${ms}): give a positive number of milliseconds`);
    this.windowMs = ms;
    return this;
  }

  /** The stages from the first to this one. */
  stages(): StageSpec<T>[] {
    const out: StageSpec<T>[] = [];
    for (let p: Pattern<T> | undefined = this; p !== undefined; p = p.previous) out.unshift(p.stage);
    return out;
  }

  /** The window of the whole sequence: the smallest `within` of any stage, undefined when none. */
  windowTimeMs(): number | undefined {
    let min: number | undefined;
    for (let p: Pattern<T> | undefined = this; p !== undefined; p = p.previous) {
      if (p.windowMs !== undefined && (min === undefined || p.windowMs < min)) min = p.windowMs;
    }
    return min;
  }

  private then(name: string, contiguity: Contiguity): Pattern<T> {
    return new Pattern<T>(this, newStage<T>(name, contiguity), this.skipStrategy);
  }

  private checkNoQuantifier(): void {
    if (this.stage.kind !== 'single') this.fail(`a quantifier is already applied (${this.stage.kind})`);
  }

  private checkRepeating(option: string): void {
    if (this.stage.kind === 'single') this.fail(`${option} applies to looping or times stages only`);
  }

  private fail(message: string): never {
    throw new WeirError('WEIR_JOB_DEFINITION', `CEP pattern stage "${this.stage.name}": ${message}`);
  }
}

function newStage<T>(name: string, contiguity: Contiguity): StageSpec<T> {
  if (typeof name !== 'string' || name === '') throw new WeirError('WEIR_JOB_DEFINITION', 'CEP pattern: every stage needs a non-empty name');
  return { name, contiguity, inner: 'relaxed', condition: undefined, until: undefined, kind: 'single', from: 1, to: 1, optional: false, greedy: false };
}

function checkFunction(fn: unknown, stage: string, method: string): void {
  if (typeof fn !== 'function') throw new WeirError('WEIR_JOB_DEFINITION', `CEP pattern stage "${stage}": ${method} takes a function (event, ctx) => boolean`);
  rejectAsyncFunction(fn, `CEP pattern stage "${stage}"`, `${method} condition`);
}
