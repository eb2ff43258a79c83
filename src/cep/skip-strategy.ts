/**
 * After-match skip strategies (Flink's AfterMatchSkipStrategy): which other matches and partial
 * matches are discarded once a match is emitted. Every strategy prunes by the *first* event of the
 * discarded (partial) matches, compared with a pruning event taken from the emitted match.
 */
import { WeirError } from '../errors.ts';

export type SkipKind = 'noSkip' | 'skipToNext' | 'skipPastLastEvent' | 'skipToFirst' | 'skipToLast';

/** An event of a match as the strategies see it: its id (ids grow in event-time order) and its stage. */
export interface MatchedEventRef {
  id: number;
  stage: string;
}

export class AfterMatchSkipStrategy {
  private constructor(
    readonly kind: SkipKind,
    /** The stage skipToFirst / skipToLast refer to. */
    readonly patternName: string | undefined,
    /** skipToFirst / skipToLast: throw when the match has no event of that stage (default: behave as noSkip for it). */
    readonly throwOnMiss: boolean,
  ) {}

  /** Every match is emitted; nothing is discarded. */
  static noSkip(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('noSkip', undefined, false);
  }

  /** Discards every other (partial) match that starts with the same event as the emitted one. */
  static skipToNext(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('skipToNext', undefined, false);
  }

  /** Discards every (partial) match that started at or before the emitted match's last event. */
  static skipPastLastEvent(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('skipPastLastEvent', undefined, false);
  }

  /** Discards every (partial) match that started before the first event of stage `name` in the emitted match. */
  static skipToFirst(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('skipToFirst', checkName(name), false);
  }

  /** Discards every (partial) match that started before the last event of stage `name` in the emitted match. */
  static skipToLast(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy('skipToLast', checkName(name), false);
  }

  /** skipToFirst / skipToLast: a match without an event of the named stage fails the job instead of pruning nothing. */
  throwExceptionOnMiss(): AfterMatchSkipStrategy {
    if (this.patternName === undefined) throw new WeirError('WEIR_JOB_DEFINITION', `CEP: throwExceptionOnMiss applies to skipToFirst and skipToLast only, not ${this.kind}`);
    return new AfterMatchSkipStrategy(this.kind, this.patternName, true);
  }

  /** Whether matches are held back until no earlier partial match is pending (every strategy but noSkip). */
  get isSkip(): boolean {
    return this.kind !== 'noSkip';
  }

  /**
   * The id compared with the first event of other (partial) matches, or undefined: prune nothing.
   * `events` is the emitted match in order.
   */
  pruningId(events: MatchedEventRef[]): number | undefined {
    switch (this.kind) {
      case 'noSkip':
        return undefined;
      case 'skipToNext':
        return events[0].id;
      case 'skipPastLastEvent':
        return events[events.length - 1].id;
      case 'skipToFirst':
      case 'skipToLast': {
        const mine = events.filter((e) => e.stage === this.patternName);
        if (mine.length === 0) {
          if (this.throwOnMiss) throw new WeirError('WEIR_USER_FUNCTION', `CEP ${this.kind}("${this.patternName}"): the match has no event of stage "${this.patternName}"`);
          return undefined;
        }
        return this.kind === 'skipToFirst' ? mine[0].id : mine[mine.length - 1].id;
      }
    }
  }

  /** Whether a (partial) match starting at event `startId` is discarded by pruning id `pruningId`. */
  prunes(startId: number, pruningId: number): boolean {
    // skipToNext and skipPastLastEvent discard the pruning event's own start too; the skipTo
    // strategies keep a match that starts at the event they skip to.
    return this.kind === 'skipToFirst' || this.kind === 'skipToLast' ? startId < pruningId : startId <= pruningId;
  }

  toString(): string {
    return this.patternName === undefined ? this.kind : `${this.kind}("${this.patternName}")`;
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new WeirError('WEIR_JOB_DEFINITION', 'CEP: skipToFirst/skipToLast need the name of a stage');
  return name;
}
