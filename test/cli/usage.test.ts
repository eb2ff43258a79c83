import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHelp, keyValueFlag, numberFlag, parseCommand, switchFlag, UsageError } from '../../src/cli/flags.ts';
import { tempDir } from '../helpers.ts';
import { runCli } from './cli-process.ts';

const countsJob = fileURLToPath(new URL('../jobs/cli-counts.ts', import.meta.url));
const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const commands = ['run', 'bench', 'report compare', 'savepoint', 'checkpoints'];
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at |ERR_PARSE_ARGS|node:internal/);

describe('the command line is checked before anything starts', () => {
  let dir: ReturnType<typeof tempDir>;
  // TMPDIR inside the test's dir: a run that started would create its work dir (weir-*) there.
  const cli = (args: string[]) => runCli(args, { cwd: dir.path, env: { TMPDIR: join(dir.path, 'tmp') } });
  const startedNothing = () => expect(readdirSync(dir.path).filter((f) => f !== 'tmp')).toEqual([]);
  beforeEach(() => {
    dir = tempDir('weir-usage-');
  });
  afterEach(() => dir.remove());

  it('--duration abc fails at once with exit 2, even on an unbounded job', async () => {
    const out = await cli(['run', countsJob, '--duration', 'abc']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(`weir: --duration takes a number of seconds > 0, not "abc"\nrun 'weir run --help' for its usage\n`);
    startedNothing();
  });

  it('unknown flags, missing values and negative numbers are one-line usage errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', countsJob, '--bogus'], /^weir: unknown flag --bogus for weir run\n/],
      [['run', countsJob, '--duraton', '3'], /did you mean --duration\?/],
      [['run', countsJob, '--parallelism', '-2'], /^weir: --parallelism takes a whole number ≥ 1, not "-2"\n/],
      [['run', countsJob, '--parallelism'], /^weir: --parallelism needs a value \(N\)\n/],
      [['run', countsJob, '--restart-attempts', '1.5'], /whole number ≥ 0, not "1.5"/],
      [['run', countsJob, '--mode', 'batch'], /--mode takes continuous or micro-batch, not "batch"/],
      [['run', countsJob, '--param', 'novalue'], /--param takes key=value/],
      [['run', countsJob, '--json=yes'], /--json takes no value/],
      [['run', countsJob, '--duration', '1', '--duration', '2'], /--duration is given twice/],
      [['run', 'missing-job.ts'], /no job file missing-job.ts/],
      [['run'], /run needs a <job.ts\|job.js>/],
      [['bench', countsJob, '--rates', '-5k'], /--rates takes numbers > 0/],
      [['bench', countsJob, '--duration', '0'], /--duration takes a number of seconds > 0, not "0"/],
      [['bench', countsJob, '--modes', 'continuous,batch'], /--modes takes a comma-separated list/],
      [['bench', countsJob, '--kafka-topic', 't'], /--kafka-brokers and --kafka-topic go together/],
      [['bench', countsJob, '--replay', '--kafka-brokers', 'h:9092', '--kafka-topic', 't'], /--replay and --kafka-\* do not go together/],
      [['savepoint', 'state', 'sp', '--timeout', '-1'], /--timeout takes a number of seconds > 0, not "-1"/],
      [['savepoint', 'state'], /savepoint needs a <name>/],
      [['checkpoints', 'a', 'b'], /checkpoints takes <state-dir>; unexpected "b"/],
      [['report', 'compare', 'a.json', 'b.json'], /no report a.json/],
      [['report', 'diff'], /report has one subcommand, compare/],
      [['frobnicate'], /^weir: unknown command "frobnicate"\nrun 'weir --help' for the commands\n$/],
    ];
    for (const [args, message] of cases) {
      const out = await cli(args);
      expect({ args, code: out.code }).toEqual({ args, code: 2 });
      expect(out.stderr).toMatch(message);
      expect(out.stderr.trimEnd().split('\n')).toHaveLength(2);
      noStackTrace(out.stderr);
      startedNothing();
    }
  });

  it('--help on every command prints its help and exits 0', async () => {
    for (const command of commands) {
      const out = await cli([...command.split(' '), '--help']);
      expect({ command, code: out.code }).toEqual({ command, code: 0 });
      expect(out.stdout).toMatch(new RegExp(`^weir ${command} `));
      expect(out.stdout).toContain('-h, --help');
      expect(out.stdout).toMatch(/Exit codes: 0 .*; 1 .*; 2 a usage error/);
    }
    // --help wins over other mistakes on the same line
    const mixed = await cli(['run', '--duration', 'abc', '--help']);
    expect(mixed.code).toBe(0);
    expect(mixed.stdout).toMatch(/^weir run /);
  });

  it('weir --version prints the package version; the top-level help lists every command', async () => {
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: '' });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'bench', 'report', 'savepoint', 'checkpoints']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Commands:');
  });

  it('a valid command line still runs the job', async () => {
    const out = await cli(['run', countsJob, '--param', 'count=400', '--param', 'rate=0', '--json', '--work-dir', 'out']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as { metrics: { operators: Array<{ name: string; recordsIn: number }> } };
    expect(result.metrics.operators.find((o) => o.name === 'counts')?.recordsIn).toBe(400);
  });
});

describe('flag tables', () => {
  const spec = {
    name: 'demo',
    summary: 'a demo command',
    positionals: [{ name: 'file' }],
    flags: { size: numberFlag('N', 'how many', { integer: true, min: 1 }), verbose: switchFlag('talk more'), param: keyValueFlag('a parameter') },
  };

  it('parses --name value, --name=value, repeatable flags and flags after --', () => {
    expect(parseCommand(spec, ['f', '--size', '3', '--param', 'a=1', '--param=b=2', '--verbose'])).toEqual({
      help: false,
      flags: { size: 3, verbose: true, param: [['a', '1'], ['b', '2']] },
      positionals: ['f'],
    });
    expect(parseCommand(spec, ['--size=2', '--', '--odd-file-name']).positionals).toEqual(['--odd-file-name']);
  });

  it('rejects what is not a decimal number within bounds', () => {
    for (const bad of ['', ' 3', '0x10', 'Infinity', '1e999', '0', '2.5', 'NaN']) {
      expect(() => parseCommand(spec, ['f', `--size=${bad}`]), bad).toThrow(UsageError);
    }
  });

  it('a number flag with a maximum refuses what is above it', () => {
    const bounded = { ...spec, flags: { port: numberFlag('PORT', 'a port', { integer: true, min: 0, max: 65_535 }) } };
    expect(parseCommand(bounded, ['f', '--port', '65535']).flags.port).toBe(65_535);
    expect(() => parseCommand(bounded, ['f', '--port', '65536'])).toThrow(/--port takes a whole number ≥ 0 and ≤ 65535, not "65536"/);
  });

  it('generates the help from the table', () => {
    const help = commandHelp(spec);
    expect(help).toMatch(/^weir demo <file> \[options\]\s+a demo command\n/);
    expect(help).toMatch(/^  --size N\s+how many$/m);
    expect(help).toMatch(/^  --verbose\s+talk more$/m);
    expect(help).toMatch(/^  --param key=value\s+a parameter \(repeatable\)$/m);
  });
});
