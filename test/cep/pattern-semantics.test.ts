// The pattern compiler against the examples of Flink CEP's documentation (contiguity, looping
// contiguity, skip strategies), and the API's refusals. Run through the real keyed operator.
import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, Pattern } from '../../src/cep/index.ts';
import { compileNfa } from '../../src/cep/nfa-compiler.ts';
import { matchLabels, type Ev } from './cep-helpers.ts';

const is = (letter: string) => (e: Ev) => e.t === letter;

describe('contiguity between stages ("a b" over a c b1 b2)', () => {
  const text = 'a c b1 b2';
  it('strict (next): no match', () => {
    expect(matchLabels(Pattern.begin<Ev>('a').where(is('a')).next('b').where(is('b')), text)).toEqual([]);
  });
  it('relaxed (followedBy): a b1', () => {
    expect(matchLabels(Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')), text)).toEqual(['a b1']);
  });
  it('non-deterministic relaxed (followedByAny): a b1, a b2', () => {
    expect(matchLabels(Pattern.begin<Ev>('a').where(is('a')).followedByAny('b').where(is('b')), text)).toEqual(['a b1', 'a b2']);
  });
});

describe('contiguity inside a loop (c a+ b over c d a1 a2 a3 d a4 b)', () => {
  const text = 'c d a1 a2 a3 d a4 b';
  const loop = () => Pattern.begin<Ev>('start').where(is('c')).followedBy('middle').where(is('a'));
  const end = (p: Pattern<Ev>) => p.followedBy('end').where(is('b'));
  it('relaxed (default)', () => {
    expect(matchLabels(end(loop().oneOrMore()), text).sort()).toEqual(['c a1 b', 'c a1 a2 b', 'c a1 a2 a3 b', 'c a1 a2 a3 a4 b'].sort());
  });
  it('consecutive', () => {
    expect(matchLabels(end(loop().oneOrMore().consecutive()), text).sort()).toEqual(['c a1 b', 'c a1 a2 b', 'c a1 a2 a3 b'].sort());
  });
  it('allowCombinations', () => {
    expect(matchLabels(end(loop().oneOrMore().allowCombinations()), text).sort()).toEqual(
      ['c a1 b', 'c a1 a2 b', 'c a1 a3 b', 'c a1 a4 b', 'c a1 a2 a3 b', 'c a1 a2 a4 b', 'c a1 a3 a4 b', 'c a1 a2 a3 a4 b'].sort(),
    );
  });
});

describe('after-match skip strategies (b+ greedy, then c, over b1 b2 b3 c)', () => {
  const text = 'b1 b2 b3 c';
  // Within: the loop's runs that skipped c stay open (and would hold back later matches) until they time out at the end.
  const pattern = (skip: AfterMatchSkipStrategy) => Pattern.begin<Ev>('b', skip).where(is('b')).oneOrMore().greedy().followedBy('c').where(is('c')).within(100);
  it.each([
    ['noSkip', AfterMatchSkipStrategy.noSkip(), ['b1 b2 b3 c', 'b2 b3 c', 'b3 c']],
    ['skipToNext', AfterMatchSkipStrategy.skipToNext(), ['b1 b2 b3 c', 'b2 b3 c', 'b3 c']],
    ['skipPastLastEvent', AfterMatchSkipStrategy.skipPastLastEvent(), ['b1 b2 b3 c']],
    ['skipToFirst(b)', AfterMatchSkipStrategy.skipToFirst('b'), ['b1 b2 b3 c', 'b2 b3 c', 'b3 c']],
    ['skipToLast(b)', AfterMatchSkipStrategy.skipToLast('b'), ['b1 b2 b3 c', 'b3 c']],
  ])('%s', (_name, skip, want) => {
    expect(matchLabels(pattern(skip), text)).toEqual(want);
  });

  it('without greedy, the loop also hands each shorter run on to c', () => {
    const p = Pattern.begin<Ev>('b').where(is('b')).oneOrMore().followedBy('c').where(is('c'));
    expect(matchLabels(p, text).sort()).toEqual(['b1 c', 'b1 b2 c', 'b1 b2 b3 c', 'b2 c', 'b2 b3 c', 'b3 c'].sort());
  });

  it('skipToNext over a b+ keeps only the first match of each start (a b1 b2 b3)', () => {
    const p = (skip: AfterMatchSkipStrategy) => Pattern.begin<Ev>('a', skip).where(is('a')).followedBy('b').where(is('b')).oneOrMore();
    expect(matchLabels(p(AfterMatchSkipStrategy.noSkip()), 'a b1 b2 b3')).toEqual(['a b1', 'a b1 b2', 'a b1 b2 b3']);
    expect(matchLabels(p(AfterMatchSkipStrategy.skipToNext()), 'a b1 b2 b3')).toEqual(['a b1']);
  });
});

describe('quantifiers and conditions', () => {
  it('times(2) and times(1, 2) with relaxed inner contiguity', () => {
    expect(matchLabels(Pattern.begin<Ev>('a').where(is('a')).times(2), 'a1 b a2 a3')).toEqual(['a1 a2', 'a2 a3']);
    expect(matchLabels(Pattern.begin<Ev>('a').where(is('a')).times(1, 2), 'a1 a2')).toEqual(['a1', 'a1 a2', 'a2']);
  });

  it('optional: the stage may match nothing', () => {
    const p = Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).optional().followedBy('c').where(is('c'));
    expect(matchLabels(p, 'a c1 b c2').sort()).toEqual(['a b c2', 'a c1'].sort());
  });

  it('until ends a loop at the first event that satisfies it', () => {
    const p = Pattern.begin<Ev>('a').where(is('a')).oneOrMore().until(is('x'));
    expect(matchLabels(p, 'a1 a2 x a3')).toEqual(['a1', 'a1 a2', 'a2', 'a3']);
  });

  it('or, and an iterative condition that reads the events matched before', () => {
    // A rising run: each event of the loop larger than the last one taken (v is the event's position).
    const p = Pattern.begin<Ev>('start')
      .where(is('s'))
      .or(is('t'))
      .followedBy('rise')
      .where((e, ctx) => e.t === 'r' && ctx.eventsFor('start').length === 1 && ctx.eventsFor('rise').every((r) => r.v < e.v))
      .times(2);
    expect(matchLabels(p, 't r1 r2')).toEqual(['t r1 r2']);
  });

  it('within: a match must finish before first + within (last − first < within)', () => {
    // Events are 1 ms apart: a then b 3 ms later.
    const p = (ms: number) => Pattern.begin<Ev>('a').where(is('a')).followedBy('b').where(is('b')).within(ms);
    expect(matchLabels(p(3), 'a x y b')).toEqual([]);
    expect(matchLabels(p(4), 'a x y b')).toEqual(['a b']);
  });
});

describe('pattern definition errors', () => {
  it('refuses duplicate names, quantifiers applied twice, until on a non-loop and unknown skip targets', () => {
    expect(() => compileNfa(Pattern.begin<Ev>('a').followedBy('a'))).toThrow(/used twice/);
    expect(() => Pattern.begin<Ev>('a').times(2).oneOrMore()).toThrow(/already applied/);
    expect(() => Pattern.begin<Ev>('a').until(is('x'))).toThrow(/looping stages/);
    expect(() => compileNfa(Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipToFirst('zz')))).toThrow(/names no stage/);
    expect(() => Pattern.begin<Ev>('a').where((async () => true) as never)).toThrow(/async/);
    expect(() => Pattern.begin<Ev>('a').oneOrMore().allowCombinations().greedy()).toThrow(/greedy/);
  });
});

describe('a long run under one key', () => {
  // A run that takes an event extends its events in place when no other run has extended them:
  // copying them per event made a run of n events cost O(n²) (40 000 took 27.5 s as a job).
  it('a b+ c over 30 000 b: one match with every b, and the branches that skipped a b keep their own events', () => {
    const n = 30_000;
    const text = ['a', ...Array.from({ length: n }, (_, i) => `b${i}`), 'c'].join(' ');
    const greedy = Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where(is('a')).followedBy('b').where(is('b')).oneOrMore().greedy().followedBy('c').where(is('c'));
    const [match, ...rest] = matchLabels(greedy, text);
    expect(rest).toEqual([]);
    expect(match.split(' ').length).toBe(n + 2);
    expect(match.startsWith('a b0 b1 b2 ')).toBe(true);
    expect(match.endsWith(` b${n - 1} c`)).toBe(true);
    // followedByAny and allowCombinations: any two of the b's, so runs share their first events and part.
    const short = ['a', 'b0', 'x', 'b1', 'b2', 'c'].join(' ');
    const branching = Pattern.begin<Ev>('a').where(is('a')).followedByAny('b').where(is('b')).times(2).allowCombinations().followedBy('c').where(is('c'));
    expect(matchLabels(branching, short).sort()).toEqual(['a b0 b1 c', 'a b0 b2 c', 'a b1 b2 c']);
  });
});
