// The fraud example in one command: starts a Redis of its own on a loopback port, generates the
// data (transactions.ts) and loads the holders' profiles into Redis, trains the model (train.ts),
// runs the job (job.ts) on the live transactions, prints how its alerts compare with the truth, and
// stops Redis.
//
//   node bin/run-ts.mjs examples/fraud/run.ts                                    # data in fraud-data/, output in fraud-out/
//   node bin/run-ts.mjs examples/fraud/run.ts cards=5000 perCard=60 mode=micro-batch trees=30
//
// Arguments (key=value): dir (fraud-data), out (fraud-out, the job's work dir: alerts-<w>.jsonl and
// cleared-<w>.jsonl), cards, perCard, partitions, seed (transactions.ts), trees (20), legitimateMax
// (5000) (train.ts), mode (continuous).
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { run } from '../../src/runtime/index.ts';
import type { Decision } from './job.ts';
import { saveModel } from './model.ts';
import { startRedis } from './redis-server.ts';
import { evaluate, trainForest, trainingRows } from './train.ts';
import { allTransactions, fraudDataOptions, historyStartMs, holderProfile, keyValueArgs, loadProfiles, writeFraudData } from './transactions.ts';
import { defaultRules } from './rules.ts';

const args = keyValueArgs(process.argv.slice(2));
const dir = args.dir ?? 'fraud-data';
const workDir = args.out ?? 'fraud-out';
const opts = fraudDataOptions(args);

const redis = await startRedis();
try {
  console.log(`redis-server on ${redis.address}`);
  rmSync(dir, { recursive: true, force: true });
  const written = writeFraudData(dir, opts);
  const client = new Redis({ host: '127.0.0.1', port: redis.port });
  await loadProfiles(client, opts);
  await client.quit();
  console.log(`${dir}: ${written.history} history transactions, ${written.live} live ones; ${opts.cards} profiles in Redis`);

  const rows = trainingRows(allTransactions(opts, historyStartMs), (card) => holderProfile(opts, Number(card.slice('card-'.length))));
  const started = Date.now();
  const { forest, trained } = trainForest(rows, { trees: Number(args.trees ?? 20), trainShare: 1, legitimateMax: Number(args.legitimateMax ?? 5_000), seed: opts.seed });
  saveModel(join(dir, 'model.json'), forest, { transactions: trained.length, fraud: trained.filter((r) => r.fraud).length });
  console.log(`model: a random forest on ${trained.length} history transactions in ${((Date.now() - started) / 1000).toFixed(1)} s → ${join(dir, 'model.json')}`);

  rmSync(workDir, { recursive: true, force: true });
  const mode = args.mode === 'micro-batch' ? 'micro-batch' : 'continuous';
  const job = await run(new URL('./job.ts', import.meta.url), { mode, workDir, params: { data: dir, redis: redis.address } });
  const result = await job.done;
  const decisions = readdirSync(workDir)
    .filter((f) => /^(alerts|cleared)-\d+\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(join(workDir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Decision));
  const fraud = new Map(
    readFileSync(join(dir, 'live-labels.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; fraud: boolean })
      .map((l) => [l.id, l.fraud]),
  );
  const alerts = decisions.filter((d) => d.reasons.length > 0).length;
  const live = evaluate(decisions.map((d) => d.score), decisions.map((d) => fraud.get(d.id) === true), defaultRules.scoreThreshold);
  console.log(`job (${mode}): ${result.metrics.sources.reduce((a, s) => a + s.records, 0)} transactions → ${alerts} alerts, ${decisions.length - alerts} cleared (in ${workDir}/)`);
  console.log(`against the truth: precision ${live.precision.toFixed(3)}, recall ${live.recall.toFixed(3)} (${live.truePositives} caught, ${live.falsePositives} false alarms, ${live.falseNegatives} missed)`);
} finally {
  await redis.stop();
}
