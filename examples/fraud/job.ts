// Fraud detection: card transactions → the holder's profile looked up in Redis (mapAsync) →
// features in keyed state per card (time since the card's last transaction, amount against the
// holder's usual amount and against the card's running mean and deviation, transactions in the
// last minute, distance from the last location and from home) → a random forest's score (trained
// by train.ts, loaded from its file, scored in memory) → rules that can change while the job runs
// (broadcast state: a score threshold, blocked merchants) → alerts to one output, cleared
// transactions to another. Every transaction goes to exactly one of the two.
//
//   node bin/run-ts.mjs examples/fraud/run.ts                     # Redis, data, training, this job: all in one
//   node bin/weir.mjs run examples/fraud/job.ts --param data=fraud-data --param redis=127.0.0.1:6379
//   node bin/weir.mjs run examples/fraud/job.ts --param source=kafka --param brokers=localhost:9092 --param output=kafka …
//
// Parameters:
//   data        the directory transactions.ts wrote: live/ (the transactions, an embedded log),
//               rules/ (the rule changes, an embedded log), model.json (train.ts) — required
//   model       the model file (default <data>/model.json)
//   redis       host:port of the profile store (default 127.0.0.1:6379)
//   source      'log' (default: <data>/live) or 'kafka' (topic `topic`, default 'transactions', with
//               `partitions` partitions, default 2; rules from topic `rulesTopic`, default 'fraud-rules')
//   followRules 'true': tail the rules (the job then runs until stopped); default: read what is
//               there and end with the transactions (log source only; Kafka always tails)
//   output      'files' (default: alerts.jsonl and cleared.jsonl in the work dir), 'collect'
//               (job.results('alerts'|'cleared'), for tests), 'results' (read while it runs),
//               'exactly-once' (transactionalFileSink in <out>/alerts and <out>/cleared), or
//               'kafka' (topics `alertsTopic`, default 'fraud-alerts', and `clearedTopic`, default
//               'transactions-cleared'; `guarantee` 'exactly-once' by default, or 'at-least-once')
//   failAt      a transaction id whose scoring fails once (the first time only, marker in `markers`): for recovery tests
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { defineJob, type AsyncMapFunction } from '../../src/api/index.ts';
import {
  collect,
  fileSink,
  kafkaSink,
  kafkaSource,
  logSource,
  resultsSink,
  transactionalFileSink,
  type SinkSpec,
  type SourceSpec,
} from '../../src/connectors/index.ts';
import { features, remember, type CardHistory } from './features.ts';
import { loadModel, type FraudModel } from './model.ts';
import { alertReasons, checkRules, defaultRules, type AlertReason, type FraudRules } from './rules.ts';
import { profileKey, type HolderProfile, type Transaction } from './transactions.ts';

/** What the job decided about a transaction: an alert (reasons not empty) or cleared. */
export interface Decision extends Transaction {
  /** The model's input, in featureNames' order (features.ts): what an analyst looks at first. */
  features: number[];
  /** The model's score, 0 … 1. */
  score: number;
  /** The version of the rules that decided. */
  rulesVersion: number;
  reasons: AlertReason[];
}

/**
 * The profile lookup, with one Redis client per worker: made when the worker opens the operator and
 * closed when its part of the job ends (also after a failure), so it never outlives the job — a
 * service may run the next job on the same threads.
 */
function profileLookup(address: string): AsyncMapFunction<Transaction, { tx: Transaction; profile: HolderProfile }> {
  let redis: Redis | undefined;
  return {
    open() {
      const [host, port] = address.split(':');
      // Auto-pipelining: the lookups issued in one turn of the event loop go to Redis as one write.
      redis = new Redis({ host, port: Number(port), maxRetriesPerRequest: 1, enableAutoPipelining: true });
    },
    map: (tx) => lookUpProfile(redis!, tx),
    close() {
      redis?.disconnect();
      redis = undefined;
    },
  };
}

// One model per worker thread, made at first use (the job module is loaded in every worker; the
// planning thread never calls this).

const models = new Map<string, FraudModel>();
function model(path: string): FraudModel {
  let m = models.get(path);
  if (m === undefined) models.set(path, (m = loadModel(path)));
  return m;
}

/** True for the first caller only, across threads and attempts (whoever creates the marker file): a failure injected once. */
function failsFirstTime(marker: string): boolean {
  try {
    closeSync(openSync(marker, 'wx'));
    return true;
  } catch {
    return false;
  }
}

async function lookUpProfile(store: Redis, tx: Transaction): Promise<{ tx: Transaction; profile: HolderProfile }> {
  const json = await store.get(profileKey(tx.card));
  if (json === null) throw new Error(`no profile for ${tx.card} in the profile store`);
  return { tx, profile: JSON.parse(json) as HolderProfile };
}

function sinks(params: Readonly<Record<string, string>>): { alerts: SinkSpec<Decision>; cleared: SinkSpec<Decision> } {
  const output = params.output ?? 'files';
  const each = (make: (name: 'alerts' | 'cleared') => SinkSpec<Decision>) => ({ alerts: make('alerts'), cleared: make('cleared') });
  if (output === 'files') return each((name) => fileSink<Decision>({ path: `${name}.jsonl`, name }));
  if (output === 'collect') return each((name) => collect<Decision>(name));
  if (output === 'results') return each((name) => resultsSink<Decision>(name));
  if (output === 'exactly-once') {
    if (params.out === undefined) throw new Error("fraud: output 'exactly-once' needs the param out (a directory)");
    return each((name) => transactionalFileSink<Decision>({ dir: join(params.out, name) }));
  }
  if (output === 'kafka') {
    if (params.brokers === undefined) throw new Error("fraud: output 'kafka' needs the param brokers (host:port,…)");
    const guarantee = params.guarantee === 'at-least-once' ? 'at-least-once' : 'exactly-once';
    const topics = { alerts: params.alertsTopic ?? 'fraud-alerts', cleared: params.clearedTopic ?? 'transactions-cleared' };
    return each((name) => kafkaSink<Decision>({ brokers: params.brokers.split(','), topic: topics[name], name, key: (d) => d.card, guarantee, createdHeader: true }));
  }
  throw new Error(`fraud: output must be 'files', 'collect', 'results', 'exactly-once' or 'kafka', not ${output}`);
}

function sources(params: Readonly<Record<string, string>>): { transactions: SourceSpec<Transaction>; rules: SourceSpec<FraudRules> } {
  const source = params.source ?? 'log';
  if (source === 'kafka') {
    if (params.brokers === undefined) throw new Error("fraud: source 'kafka' needs the param brokers (host:port,…)");
    const brokers = params.brokers.split(',');
    return {
      transactions: kafkaSource<Transaction>({ brokers, topic: params.topic ?? 'transactions', partitions: Number(params.partitions ?? 2) }),
      rules: kafkaSource<FraudRules>({ brokers, topic: params.rulesTopic ?? 'fraud-rules', partitions: 1 }),
    };
  }
  if (source !== 'log') throw new Error(`fraud: source must be 'log' or 'kafka', not ${source}`);
  if (params.data === undefined) throw new Error('fraud: the param data (the directory transactions.ts wrote) is required');
  return {
    transactions: logSource<Transaction>({ dir: join(params.data, 'live') }),
    rules: logSource<FraudRules>({ dir: join(params.data, 'rules'), follow: params.followRules === 'true' }),
  };
}

export default defineJob(
  (env) => {
    const params = env.params;
    const modelPath = params.model ?? join(params.data ?? '.', 'model.json');
    const redisAddress = params.redis ?? '127.0.0.1:6379';
    const failAt = params.failAt;
    const { transactions, rules } = sources(params);
    const out = sinks(params);

    const ruleChanges = env.source(rules, { name: 'rules' }).broadcast({ name: 'rules-to-every-worker' });

    const decisions = env
      .source(transactions, { name: 'transactions' })
      .mapAsync(profileLookup(redisAddress), {
        name: 'profile-lookup',
        capacity: 100,
        timeoutMs: 2_000,
        retry: { attempts: 3, backoffMs: 20 },
        // A card without a profile is a data error, not a reason to stop scoring the others.
        onError: 'dead-letter',
      })
      .keyBy(({ tx }) => tx.card, { name: 'by-card' })
      .connect(ruleChanges)
      .process<Decision>(
        {
          processBroadcastElement(value: FraudRules, ctx) {
            const next = checkRules(value);
            const rulesState = ctx.broadcastState<string, FraudRules>('rules');
            if (next.version > (rulesState.get('current') ?? defaultRules).version) rulesState.put('current', next);
          },
          processElement({ tx, profile }, ctx) {
            if (failAt !== undefined && tx.id === failAt && failsFirstTime(join(params.markers, 'fault'))) throw new Error(`injected failure at ${tx.id}`);
            const history = ctx.valueState<CardHistory>('card-history');
            const before = history.value();
            const row = features(tx, profile, before);
            const score = model(modelPath).score(row);
            history.update(remember(tx, before));
            const current = ctx.broadcastState<string, FraudRules>('rules').get('current') ?? defaultRules;
            const decision: Decision = { ...tx, features: row, score, rulesVersion: current.version, reasons: alertReasons(tx, score, current) };
            if (decision.reasons.length > 0) ctx.emit(decision);
            else ctx.output('cleared', decision);
          },
        },
        { name: 'score-and-decide', uid: 'score-and-decide' },
      );

    decisions.sinkTo(out.alerts);
    decisions.sideOutput<Decision>('cleared').sinkTo(out.cleared);
  },
  // Decisions are visible within ~5 ms under steady load (the default, 50 ms, held a busy worker's output back up to that long).
  { name: 'fraud-detection', sinkFlushIntervalMs: 5 },
);
