// Random command lines for the CLI fuzz test: each command's valid base line, mutated by random
// flags and values. Every mutation knows whether it breaks the line, so each case carries what the
// CLI must do with it: print help (exit 0), refuse it as a usage error (exit 2) or run it.

export type Expected = 'help' | 'usage-error' | 'valid';

export interface FuzzCase {
  command: string;
  args: string[];
  expected: Expected;
  /** What was done to the base line, for the failure message. */
  mutations: string[];
}

interface FlagFuzz {
  /** Values the flag accepts (undefined: a switch). */
  good?: string[];
  /** Values it must refuse. */
  bad: string[];
}

interface CommandFuzz {
  /** The words after `weir`, and a valid line that runs briefly. */
  words: string[];
  base: string[];
  /** How many positionals the base line starts with (each one required; none optional). */
  positionals: number;
  /** The positionals name files that must exist (a made-up one is a usage error). */
  filesChecked: boolean;
  flags: Record<string, FlagFuzz>;
}

const switchFlag: FlagFuzz = { bad: ['=1', '=false'] };
const decimals = ['abc', '', '0x10', 'Infinity', '1e999', '1,5'];

export function commandTable(fixtures: { countsJob: string; benchJob: string }): Record<string, CommandFuzz> {
  return {
    run: {
      words: ['run'],
      base: [fixtures.countsJob, '--param', 'count=200', '--param', 'rate=0', '--quiet'],
      positionals: 1,
      filesChecked: true,
      flags: {
        mode: { good: ['continuous', 'micro-batch'], bad: ['batch', '', 'CONTINUOUS'] },
        parallelism: { good: ['1', '2'], bad: ['0', '1.5', ...decimals] },
        interval: { good: ['50', '20.5'], bad: ['0', ...decimals] },
        'batch-records': { good: ['100'], bad: ['0', '2.5', ...decimals] },
        'sink-flush-interval': { good: ['0', '5', '2.5'], bad: ['-1', '60001', ...decimals] },
        'state-backend': { good: ['heap', 'lmdb'], bad: ['rocksdb', ''] },
        param: { good: ['extra=1'], bad: ['novalue', '=x', ''] },
        'work-dir': { good: ['w'], bad: [''] },
        'checkpoint-interval': { good: ['0', '100'], bad: decimals },
        'state-dir': { good: ['state'], bad: [''] },
        from: { good: ['none', 'latest'], bad: [''] },
        'restart-attempts': { good: ['0', '2'], bad: ['0.5', ...decimals] },
        'restart-delay': { good: ['10'], bad: decimals },
        duration: { good: ['30'], bad: ['0', ...decimals] },
        json: switchFlag,
        quiet: switchFlag,
      },
    },
    bench: {
      words: ['bench'],
      base: [fixtures.benchJob, '--modes', 'continuous', '--rates', '2k', '--warmup', '0', '--duration', '0.3', '--out', 'report'],
      positionals: 1,
      filesChecked: true,
      flags: {
        modes: { bad: ['batch', 'continuous,continuous', ''] },
        rates: { bad: ['0', 'abc', '1x', ''] },
        warmup: { bad: decimals },
        duration: { bad: ['0', ...decimals] },
        parallelism: { good: ['1', '2'], bad: ['0', '1.5', ...decimals] },
        interval: { good: ['50'], bad: ['0', ...decimals] },
        seed: { good: ['2', '99'], bad: ['1.5', ...decimals] },
        'p99-bound': { good: ['100'], bad: ['0', ...decimals] },
        repeat: { good: ['1'], bad: ['0', '1.5', ...decimals] },
        replay: switchFlag,
        param: { good: ['extra=1'], bad: ['novalue', ''] },
        'kafka-brokers': { bad: [''] },
        'kafka-topic': { bad: [''] },
        out: { bad: [''] },
        json: switchFlag,
      },
    },
    'report compare': { words: ['report', 'compare'], base: ['a.json', 'b.json'], positionals: 2, filesChecked: true, flags: {} },
    savepoint: { words: ['savepoint'], base: ['state', 'sp1', '--timeout', '0.5'], positionals: 2, filesChecked: false, flags: { timeout: { bad: ['0', ...decimals] } } },
    checkpoints: { words: ['checkpoints'], base: ['empty-state'], positionals: 1, filesChecked: false, flags: {} },
  };
}

type Mutation = 'valid flag' | 'bad value' | 'unknown flag' | 'missing value' | 'negative number' | 'help' | 'duplicate flag' | 'extra positional' | 'dropped positional';
const mutations: Mutation[] = ['valid flag', 'bad value', 'unknown flag', 'missing value', 'negative number', 'help', 'duplicate flag', 'extra positional', 'dropped positional'];

export function fuzzCases(random: () => number, count: number, table: Record<string, CommandFuzz>): FuzzCase[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const names = Object.keys(table);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const command = names[i % names.length];
    const spec = table[command];
    // The base line is its positionals, then its flags; mutations add flags at the end, drop or add
    // positionals, and put a few tokens anywhere (even between a flag and its value: still wrong).
    const positionals = spec.base.slice(0, spec.positionals);
    const args = spec.base.slice(spec.positionals);
    const anywhere: string[] = [];
    const used = new Set(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2)));
    const done: string[] = [];
    let help = false;
    let broken = false;
    const valueFlags = Object.entries(spec.flags).filter(([, f]) => f.good !== undefined || !f.bad[0]?.startsWith('='));
    const numberFlags = valueFlags.filter(([, f]) => f.bad.includes('abc'));
    for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
      const kind = pick(mutations);
      const append = (...items: string[]) => args.push(...items);
      if (kind === 'valid flag') {
        const choices = Object.entries(spec.flags).filter(([name, f]) => !used.has(name) && (f.good !== undefined || f === switchFlag));
        if (choices.length === 0) continue;
        const [name, flag] = pick(choices);
        used.add(name);
        if (flag === switchFlag) append(`--${name}`);
        else append(`--${name}`, pick(flag.good!));
        done.push(`valid --${name}`);
      } else if (kind === 'bad value') {
        const entries = Object.entries(spec.flags);
        if (entries.length === 0) continue;
        const [name, flag] = pick(entries);
        const bad = pick(flag.bad);
        append(bad.startsWith('=') ? `--${name}${bad}` : `--${name}=${bad}`);
        done.push(`bad --${name}${bad.startsWith('=') ? bad : `=${bad}`}`);
        broken = true;
      } else if (kind === 'unknown flag') {
        const flag = pick(['--bogus', '--x', '-q', '-1', '--Duration', `--f${Math.floor(random() * 1000)}`, '---']);
        anywhere.push(flag);
        done.push(`unknown ${flag}`);
        broken = true;
      } else if (kind === 'missing value') {
        if (valueFlags.length === 0) continue;
        const [name] = pick(valueFlags);
        if (random() < 0.5) append(`--${name}`);
        else append(`--${name}`, '--quiet');
        done.push(`missing value --${name}`);
        broken = true;
      } else if (kind === 'negative number') {
        if (numberFlags.length === 0) continue;
        const [name] = pick(numberFlags);
        append(`--${name}`, pick(['-1', '-5', '-0.5', '-1e3']));
        done.push(`negative --${name}`);
        broken = true;
      } else if (kind === 'help') {
        anywhere.push(pick(['--help', '-h']));
        done.push('help');
        help = true;
      } else if (kind === 'duplicate flag') {
        const once = [...used].filter((name) => name !== 'param' && spec.flags[name] !== undefined);
        if (once.length === 0) continue;
        const name = pick(once);
        const flag = spec.flags[name];
        if (flag === switchFlag) append(`--${name}`);
        else append(`--${name}`, flag.good?.[0] ?? '1');
        done.push(`duplicate --${name}`);
        broken = true;
      } else if (kind === 'extra positional') {
        positionals.push('extra-arg');
        done.push('extra positional');
      } else if (kind === 'dropped positional') {
        if (positionals.length === 0) continue;
        positionals.shift();
        done.push('dropped positional');
      }
    }
    // Too few or too many positionals is wrong; as many, one made up, is wrong where files are checked.
    const original = spec.base.slice(0, spec.positionals);
    if (positionals.length !== original.length || (spec.filesChecked && positionals.some((p, k) => p !== original[k]))) broken = true;
    const line = [...positionals, ...args];
    for (const token of anywhere) line.splice(Math.floor(random() * (line.length + 1)), 0, token);
    const expected: Expected = help ? 'help' : broken ? 'usage-error' : 'valid';
    cases.push({ command, args: [...spec.words, ...line], expected, mutations: done });
  }
  return cases;
}
