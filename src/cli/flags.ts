/**
 * The command line's flags, declared once per command: each declaration parses and checks its
 * value and carries its help line, so a command's help is generated from the same table that
 * validates it, and adding a validated flag is one line. Everything is checked before a command
 * starts anything; what is wrong is thrown as a UsageError (exit code 2).
 */
import { editDistance } from '../util/edit-distance.ts';

/** A command line weir cannot act on; main.ts prints its message and the command's help hint, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Flag<T> {
  /** Shown after the flag's name in the help (`--duration S`); absent for a switch, which takes no value. */
  readonly valueName?: string;
  /** The help text; a line break continues it on the next line, indented. */
  readonly help: string;
  /** May be given several times; the values are collected in order. */
  readonly repeatable?: boolean;
  /** The value of `--name raw`, or a UsageError saying what is wrong with `raw`. */
  parse(raw: string, name: string): T;
}

export type FlagTable = Record<string, Flag<unknown>>;

/** The parsed flags: a repeatable flag's values as an array (empty when absent), any other's value or undefined. */
export type FlagValues<F extends FlagTable> = {
  [K in keyof F]: F[K] extends Flag<infer T> ? (F[K] extends { repeatable: true } ? T[] : T | undefined) : never;
};

export interface Positional {
  name: string;
  optional?: boolean;
  /** Checks the value (a UsageError if it is wrong). */
  check?(value: string): void;
}

export interface CommandSpec<F extends FlagTable> {
  /** As typed after `weir`: 'run', 'report compare'. */
  name: string;
  /** What the command does, in one line. */
  summary: string;
  positionals: Positional[];
  flags: F;
  /** Paragraphs printed after the flags. */
  notes?: string;
}

// ---- flag kinds ------------------------------------------------------------------------------

/** `--json`: present or not. */
export function switchFlag(help: string): Flag<boolean> {
  return { help, parse: () => true };
}

/** Any non-empty text (a path, a name). */
export function textFlag(valueName: string, help: string): Flag<string> {
  return {
    valueName,
    help,
    parse(raw, name) {
      if (raw.trim() === '') throw new UsageError(`${name} needs a value (${valueName}), not an empty string`);
      return raw;
    },
  };
}

/** One of a few words. */
export function choiceFlag<C extends string>(choices: readonly C[], help: string): Flag<C> {
  return {
    valueName: choices.join('|'),
    help,
    parse(raw, name) {
      if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`${name} takes ${choiceList(choices)}, not "${raw}"`);
      return raw as C;
    },
  };
}

/** A comma-separated list of words from `choices`, each at most once. */
export function choiceListFlag<C extends string>(choices: readonly C[], help: string): Flag<C[]> {
  return {
    valueName: choices.join(','),
    help,
    parse(raw, name) {
      const items = raw.split(',').map((s) => s.trim());
      for (const item of items) {
        if (!(choices as readonly string[]).includes(item)) throw new UsageError(`${name} takes a comma-separated list of ${choiceList(choices)}, not "${item}"`);
      }
      if (new Set(items).size !== items.length) throw new UsageError(`${name} names a value twice: "${raw}"`);
      return items as C[];
    },
  };
}

export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** The value must be ≥ min. */
  min?: number;
  /** The value must be > above. */
  above?: number;
  /** The value must be ≤ max. */
  max?: number;
  /** What the number counts, for the error message: 'seconds', 'ms'. */
  unit?: string;
}

/** A decimal number (no hex, no blanks, no Infinity), within the rule's bounds. */
export function numberFlag(valueName: string, help: string, rule: NumberRule = {}): Flag<number> {
  return {
    valueName,
    help,
    parse(raw, name) {
      const value = parseDecimal(raw);
      const ok = value !== undefined && (!rule.integer || Number.isInteger(value)) && (rule.min === undefined || value >= rule.min) && (rule.above === undefined || value > rule.above) && (rule.max === undefined || value <= rule.max);
      if (!ok) throw new UsageError(`${name} takes ${describeNumber(rule)}, not "${raw}"`);
      return value;
    },
  };
}

/** A comma-separated list of numbers > 0; `k` and `M` suffixes allowed (100k, 1.5M). */
export function amountListFlag(valueName: string, help: string): Flag<number[]> {
  return {
    valueName,
    help,
    parse(raw, name) {
      return raw.split(',').map((item) => {
        const m = /^\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*$/.exec(item);
        const value = m ? Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : NaN;
        if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${name} takes numbers > 0 like 10000,50k,1M, not "${item}"`);
        return value;
      });
    },
  };
}

/** `--param key=value`, repeatable; a key given twice is an error. */
export function keyValueFlag(help: string): Flag<[string, string]> & { repeatable: true } {
  return {
    valueName: 'key=value',
    help,
    repeatable: true,
    parse(raw, name) {
      const eq = raw.indexOf('=');
      if (eq <= 0) throw new UsageError(`${name} takes key=value, not "${raw}"`);
      return [raw.slice(0, eq), raw.slice(eq + 1)];
    },
  };
}

/** Repeated `key=value` pairs into an object; a key given twice is an error. */
export function pairsToRecord(name: string, pairs: Array<[string, string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key in record) throw new UsageError(`${name} ${key}= is given twice`);
    record[key] = value;
  }
  return record;
}

// ---- parsing ---------------------------------------------------------------------------------

export interface ParsedCommand<F extends FlagTable> {
  /** `--help` or `-h` was given: print the help and do nothing else. */
  help: boolean;
  flags: FlagValues<F>;
  positionals: string[];
}

/**
 * Parses `argv` against the command's table. `--name value` and `--name=value` both work; a
 * value may start with `-` (`--seed -3` reaches the flag's own check) but not with `--`, which
 * means the value is missing. `--` ends the flags. `--help` anywhere wins over any error.
 */
export function parseCommand<F extends FlagTable>(spec: CommandSpec<F>, argv: string[]): ParsedCommand<F> {
  const end = argv.indexOf('--');
  const flagPart = end === -1 ? argv : argv.slice(0, end);
  if (flagPart.includes('--help') || flagPart.includes('-h')) return { help: true, flags: {} as FlagValues<F>, positionals: [] };

  const values: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(spec.flags)) if (flag.repeatable) values[key] = [];
  const positionals: string[] = [];
  for (let i = 0; i < flagPart.length; i++) {
    const arg = flagPart[i];
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown flag ${arg} for weir ${spec.name}`);
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq === -1 ? undefined : eq);
    const name = `--${key}`;
    const flag = Object.hasOwn(spec.flags, key) ? spec.flags[key] : undefined;
    if (!flag) throw new UsageError(`unknown flag ${name} for weir ${spec.name}${suggestion(key, Object.keys(spec.flags))}`);
    let raw: string | undefined;
    if (flag.valueName === undefined) {
      if (eq !== -1) throw new UsageError(`${name} takes no value`);
    } else if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else {
      raw = flagPart[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${name} needs a value (${flag.valueName})`);
      i++;
    }
    const value = raw === undefined ? flag.parse('', name) : flag.parse(raw, name);
    if (flag.repeatable) (values[key] as unknown[]).push(value);
    else if (key in values) throw new UsageError(`${name} is given twice`);
    else values[key] = value;
  }

  if (end !== -1) positionals.push(...argv.slice(end + 1));
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (positionals.length < required) {
    const missing = spec.positionals[positionals.length];
    throw new UsageError(`${spec.name} needs ${article(missing.name)} <${missing.name}>`);
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length).map((p) => `"${p}"`).join(' ');
    throw new UsageError(`${spec.name} takes ${spec.positionals.map((p) => `<${p.name}>`).join(' ') || 'no arguments'}; unexpected ${extra}`);
  }
  positionals.forEach((value, i) => spec.positionals[i].check?.(value));
  return { help: false, flags: values as FlagValues<F>, positionals };
}

// ---- help ------------------------------------------------------------------------------------

const helpColumn = 41;

/** The command's help, generated from its table. */
export function commandHelp(spec: CommandSpec<FlagTable>): string {
  const synopsis = `weir ${spec.name} ${spec.positionals.map((p) => (p.optional ? `[<${p.name}>]` : `<${p.name}>`)).join(' ')}${Object.keys(spec.flags).length > 0 ? ' [options]' : ''}`;
  const lines = [synopsis.length < helpColumn - 2 ? `${synopsis.padEnd(helpColumn)}${spec.summary}` : `${synopsis}\n${' '.repeat(helpColumn)}${spec.summary}`, ''];
  const entries: Array<[string, string]> = Object.entries(spec.flags).map(([key, flag]) => [`--${key}${flag.valueName ? ` ${flag.valueName}` : ''}`, flag.help + (flag.repeatable ? ' (repeatable)' : '')]);
  entries.push(['-h, --help', 'this help']);
  for (const [left, help] of entries) {
    const [first, ...rest] = help.split('\n');
    const head = `  ${left}`;
    lines.push(head.length < helpColumn ? `${head.padEnd(helpColumn)}${first}` : `${head}\n${' '.repeat(helpColumn)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(helpColumn)}${line}`);
  }
  if (spec.notes) lines.push('', spec.notes);
  return lines.join('\n');
}

/** The second line of a usage error. */
export function helpHint(command: string): string {
  return `run 'weir ${command} --help' for its usage`;
}

// ---- helpers ---------------------------------------------------------------------------------

function parseDecimal(raw: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function describeNumber(rule: NumberRule): string {
  const bounds = [rule.min !== undefined ? `≥ ${rule.min}` : '', rule.above !== undefined ? `> ${rule.above}` : '', rule.max !== undefined ? `≤ ${rule.max}` : ''].filter(Boolean).join(' and ');
  const kind = rule.integer ? 'a whole number' : 'a number';
  return `${kind}${rule.unit ? ` of ${rule.unit}` : ''}${bounds ? ` ${bounds}` : ''}`;
}

function choiceList(choices: readonly string[]): string {
  return choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** ", did you mean --x?" when one known flag is within two edits of the unknown one. */
function suggestion(unknown: string, known: string[]): string {
  const close = known.filter((k) => editDistance(k, unknown) <= 2);
  return close.length === 1 ? `; did you mean --${close[0]}?` : '';
}
