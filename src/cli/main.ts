import { WeirError } from '../errors.ts';
import { benchCommand, benchUsage } from './bench-command.ts';
import { reportCommand, reportUsage } from './report-command.ts';
import { runCommand, runUsage } from './run-command.ts';
import { checkpointsCommand, savepointCommand, savepointUsage } from './savepoint-command.ts';

const usage = `weir — stream processing on worker threads

Usage:
  ${runUsage}

  ${benchUsage}

  ${reportUsage}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    console.log(usage);
    return command ? 0 : 2;
  }
  try {
    if (command === 'run') return await runCommand(rest);
    if (command === 'bench') return await benchCommand(rest);
    if (command === 'report') return await reportCommand(rest);
    if (command === 'savepoint') return await savepointCommand(rest);
    if (command === 'checkpoints') return await checkpointsCommand(rest);
    console.error(`weir: unknown command "${command}"\n\n${usage}`);
    return 2;
  } catch (err) {
    reportError(err);
    return 1;
  }
}

function reportError(err: unknown): void {
  if (err instanceof WeirError) {
    console.error(`weir: ${err.code}: ${err.message}`);
    if (process.env.WEIR_DEBUG && err.stack) console.error(err.stack);
  } else {
    console.error(err);
  }
}
