import { readFileSync } from 'node:fs';
import { WeirError } from '../errors.ts';
import { benchCommand, benchUsage } from './bench-command.ts';
import { helpHint, UsageError } from './flags.ts';
import { userStack } from './outcome.ts';
import { reportCommand, reportUsage } from './report-command.ts';
import { runCommand, runUsage } from './run-command.ts';
import { checkpointsCommand, checkpointsUsage, savepointCommand, savepointUsage } from './savepoint-command.ts';

interface Command {
  run(argv: string[]): Promise<number>;
  usage: string;
  /** One line for the top-level help. */
  summary: string;
}

const commands: Record<string, Command> = {
  run: { run: runCommand, usage: runUsage, summary: 'run a job module (TypeScript runs as it is)' },
  bench: { run: benchCommand, usage: benchUsage, summary: 'run a job in both modes over a sweep of offered loads; write a report' },
  report: { run: reportCommand, usage: reportUsage, summary: 'report compare <a.json> <b.json>: compare two benchmark reports' },
  savepoint: { run: savepointCommand, usage: savepointUsage, summary: 'take a savepoint of the checkpointing job running on a state dir' },
  checkpoints: { run: checkpointsCommand, usage: checkpointsUsage, summary: "list a state dir's checkpoints and savepoints" },
};

const usage = `weir — stream processing on worker threads

Usage: weir <command> [arguments] [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(13)} ${c.summary}`)
  .join('\n')}

  weir <command> --help    a command's arguments and options
  weir --version           the version of weir

Exit codes: 0 success; 1 the job or command failed (the error is printed with its code); 2 a usage
error (the command line is wrong; nothing was started).`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage);
    return 2;
  }
  if (name === '-h' || name === '--help') {
    console.log(usage);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    console.log(version());
    return 0;
  }
  if (name === 'help') return help(rest[0]);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  try {
    if (!command) throw new UsageError(name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`);
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`weir: ${err.message}\n${command ? helpHint(name) : "run 'weir --help' for the commands"}`);
      return 2;
    }
    reportError(err);
    return 1;
  }
}

/** `weir help [command]`. */
function help(name: string | undefined): number {
  if (name === undefined) {
    console.log(usage);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`weir: unknown command "${name}"\nrun 'weir --help' for the commands`);
    return 2;
  }
  console.log(command.usage);
  return 0;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function reportError(err: unknown): void {
  if (err instanceof WeirError) {
    console.error(`weir: ${err.code}: ${err.message}`);
    if (process.env.WEIR_DEBUG && err.stack) console.error(err.stack);
    else for (const line of userStack(err)) console.error(`  ${line}`);
  } else {
    // Not one of weir's errors: a bug, or something the runtime let through. The message, and the
    // stack only when asked for (WEIR_DEBUG=1), so the user's terminal is not flooded.
    const e = err instanceof Error ? err : new Error(String(err));
    console.error(`weir: ${e.message}${process.env.WEIR_DEBUG ? '' : ' (WEIR_DEBUG=1 shows the stack)'}`);
    if (process.env.WEIR_DEBUG && e.stack) console.error(e.stack);
  }
}
