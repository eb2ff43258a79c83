// The fraud job's latency, from a transaction's scheduled arrival to its decision being visible in
// the output (at-least-once files, flushed every ≤ 5 ms), with `weir bench --replay`: starts a
// Redis of its own, generates the data and loads the profiles, trains a model, then benchmarks
// the job on its own recorded transactions replayed open-loop, and stops Redis. Not a test.
//
//   node bin/run-ts.mjs examples/fraud/bench.ts                         # 10 000 transactions/s, continuous
//   node bin/run-ts.mjs examples/fraud/bench.ts rates=5000,10000 modes=continuous,micro-batch duration=20
//   node bin/run-ts.mjs examples/fraud/bench.ts output=exactly-once checkpointMs=100
//
// output=exactly-once writes the decisions with transactionalFileSink (<dir>/decisions-<run>/…),
// committed at checkpoints every checkpointMs (default 100): a decision is visible, and measured,
// when the checkpoint that holds it commits.
//
// A replay shares its offered rate evenly among every partition of every source, the rules log's
// partition included (it has nothing to replay): the rates asked for here are transactions per
// second, and the offered rates passed to `weir bench` are scaled up to give them (the report
// counts each partition's schedule by the records it had, so the empty one does not skew it).
import { spawn } from 'node:child_process';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { saveModel } from './model.ts';
import { startRedis } from './redis-server.ts';
import { trainForest, trainingRows } from './train.ts';
import { allTransactions, fraudDataOptions, historyStartMs, holderProfile, keyValueArgs, loadProfiles, writeFraudData } from './transactions.ts';

const args = keyValueArgs(process.argv.slice(2));
const dir = args.dir ?? 'fraud-bench-data';
// Enough live transactions for warm-up and measured time at the highest rate, without a second pass.
const opts = fraudDataOptions({ cards: '5000', perCard: '40', ...args });
const rates = (args.rates ?? '10000').split(',').map(Number);
const rulesPartitions = 1;
const offered = rates.map((r) => Math.round((r * (opts.partitions + rulesPartitions)) / opts.partitions));

if (args.output !== undefined && args.output !== 'exactly-once') throw new Error(`output must be exactly-once (or absent: at-least-once files), not ${args.output}`);

/** The bench's arguments for the job's output: at-least-once files (the job's default), or exactly-once. */
function outputArgs(): string[] {
  if (args.output !== 'exactly-once') return [];
  return ['--param', 'output=exactly-once', '--param', `out=${resolvePath(dir, `decisions-${Date.now()}`)}`, '--checkpoint-interval', args.checkpointMs ?? '100'];
}

const redis = await startRedis();
try {
  writeFraudData(dir, opts);
  const client = new Redis({ host: '127.0.0.1', port: redis.port });
  await loadProfiles(client, opts);
  await client.quit();
  const rows = trainingRows(allTransactions(opts, historyStartMs), (card) => holderProfile(opts, Number(card.slice('card-'.length))));
  const { forest, trained } = trainForest(rows, { trees: Number(args.trees ?? 20), trainShare: 1, legitimateMax: Number(args.legitimateMax ?? 3_000), seed: opts.seed });
  saveModel(join(dir, 'model.json'), forest, { transactions: trained.length, fraud: trained.filter((r) => r.fraud).length });
  console.log(`transactions/s ${rates.join(', ')} → offered ${offered.join(', ')} over ${opts.partitions} transaction partitions and the rules partition`);
  const weir = fileURLToPath(new URL('../../bin/weir.mjs', import.meta.url));
  const job = fileURLToPath(new URL('./job.ts', import.meta.url));
  const bench = spawn(
    process.execPath,
    [weir, 'bench', job, '--replay', '--modes', args.modes ?? 'continuous', '--rates', offered.join(','), '--warmup', args.warmup ?? '2', '--duration', args.duration ?? '10', '--out', args.out ?? 'fraud-report', '--param', `data=${dir}`, '--param', `redis=${redis.address}`, ...outputArgs()],
    { stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((resolve) => bench.once('exit', resolve));
  if (code !== 0) process.exitCode = code ?? 1;
} finally {
  await redis.stop();
}
