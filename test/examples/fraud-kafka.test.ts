// examples/fraud from Kafka to Kafka, on the run's real broker and a real Redis: the transactions
// are produced into a topic (card c's into partition c mod 2, in event-time order), a rule change
// into the rules topic, and the job — the same code after its source as with the embedded log —
// writes alerts and cleared transactions to two topics with exactly-once sinks. A read_committed
// consumer finds every transaction decided once, each decision equal to brute force.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/runtime/index.ts';
import type { Decision } from '../../examples/fraud/job.ts';
import { defaultRules, type FraudRules } from '../../examples/fraud/rules.ts';
import { liveStartMs, partitionTransactions, withoutLabel, type FraudDataOptions } from '../../examples/fraud/transactions.ts';
import { sharedKafka, uniqueTopic, type SharedKafka } from '../kafka/shared-broker.ts';
import { produce, readCommitted, recordsIn, runUntil } from '../kafka/util.ts';
import { tempDirsPerTest } from '../helpers.ts';
import { expectDecisionsRight, fraudFixture, fraudJobUrl, type FraudFixture } from './fraud-fixture.ts';

const opts: FraudDataOptions = { cards: 200, perCard: 30, partitions: 2, seed: 5 };
const newDir = tempDirsPerTest('weir-fraud-kafka-');

let kafka: SharedKafka;
let fixture: FraudFixture;
beforeAll(async () => {
  [kafka, fixture] = await Promise.all([sharedKafka(), fraudFixture(opts)]);
});
afterAll(async () => fixture?.close());

describe('examples/fraud from a Kafka topic to two Kafka topics, exactly-once', () => {
  it('every transaction is decided once, as brute force decides it, and the rules come from the rules topic', async () => {
    const topics = { transactions: uniqueTopic('transactions'), rules: uniqueTopic('fraud-rules'), alerts: uniqueTopic('fraud-alerts'), cleared: uniqueTopic('cleared') };
    await kafka.createTopic(topics.transactions, opts.partitions);
    await kafka.createTopic(topics.rules, 1);
    await kafka.createTopic(topics.alerts, 2);
    await kafka.createTopic(topics.cleared, 2);
    // A rule set in place before the first transaction: it blocks a merchant.
    const rules: FraudRules = { version: 1, scoreThreshold: defaultRules.scoreThreshold, blockedMerchants: ['m-0'] };
    await produce(kafka.bootstrap, topics.rules, [{ value: JSON.stringify(rules), partition: 0 }]);
    for (let p = 0; p < opts.partitions; p++) {
      await produce(kafka.bootstrap, topics.transactions, partitionTransactions(opts, p, liveStartMs).map((t) => ({ key: t.card, value: JSON.stringify(withoutLabel(t)), partition: p })));
    }
    const total = fixture.expected.size;
    const handle = await run(fraudJobUrl, {
      workDir: newDir(),
      checkpointIntervalMs: 200,
      params: fixture.params({
        source: 'kafka',
        output: 'kafka',
        brokers: kafka.bootstrap.join(','),
        topic: topics.transactions,
        rulesTopic: topics.rules,
        alertsTopic: topics.alerts,
        clearedTopic: topics.cleared,
      }),
    });
    // Kafka sources do not end: stop the job once every transaction is read (the stop drains them and commits the last transactions).
    await runUntil(handle, () => recordsIn(handle, 'profile-lookup') >= total);

    const alerts = await readCommitted<Decision>(kafka.bootstrap, topics.alerts, 2);
    const cleared = await readCommitted<Decision>(kafka.bootstrap, topics.cleared, 2);
    // The rule may reach a worker after its first transactions: each decision names the version that decided it.
    expectDecisionsRight(fixture, alerts, cleared, (v) => (v === 0 ? defaultRules : rules));
    expect(alerts.filter((d) => d.rulesVersion === 1 && d.reasons.includes('blocked-merchant')).length).toBeGreaterThan(0);
  });
});
