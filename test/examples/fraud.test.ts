// examples/fraud on real worker threads against a real Redis (redis-server on a loopback port):
// the job's decisions equal a brute-force recomputation of the same features scored by the same
// model file (the scores are equal), every transaction ends up in exactly one of the two outputs,
// in both modes; a rule change published while the job runs decides every later transaction of a
// card; and a failure with recovery from a checkpoint gives the same exactly-once outputs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCommittedLines } from '../../src/connectors/index.ts';
import { run } from '../../src/runtime/index.ts';
import type { Decision } from '../../examples/fraud/job.ts';
import { alertReasons, defaultRules, publishRules, type FraudRules } from '../../examples/fraud/rules.ts';
import { writeFraudData, type FraudDataOptions } from '../../examples/fraud/transactions.ts';
import { EmbeddedLog } from '../../src/connectors/index.ts';
import { expectWeirError, tempDirsPerTest } from '../helpers.ts';
import { expectDecisionsRight as decisionsRight, fraudFixture, fraudJobUrl as jobUrl, type FraudFixture } from './fraud-fixture.ts';

const opts: FraudDataOptions = { cards: 300, perCard: 50, partitions: 2, seed: 11 };
const newDir = tempDirsPerTest('weir-fraud-');

let fixture: FraudFixture;
let expected: FraudFixture['expected'];
beforeAll(async () => {
  fixture = await fraudFixture(opts);
  expected = fixture.expected;
});
afterAll(async () => fixture?.close());

const params = (extra: Record<string, string>) => fixture.params(extra);
const expectDecisionsRight = (alerts: Decision[], cleared: Decision[], rulesOf: (version: number) => FraudRules) => decisionsRight(fixture, alerts, cleared, rulesOf);

describe('the fraud detection example', () => {
  it('the data exercise the model: it catches most fraud, and the brute force scores both ways', () => {
    const scored = [...expected.values()];
    const fraud = scored.filter((s) => s.fraud);
    expect(fraud.length).toBeGreaterThan(200);
    expect(fraud.filter((s) => s.score >= defaultRules.scoreThreshold).length).toBeGreaterThan(fraud.length * 0.8);
    expect(scored.filter((s) => !s.fraud && s.score < defaultRules.scoreThreshold).length).toBeGreaterThan((scored.length - fraud.length) * 0.95);
  });

  for (const mode of ['continuous', 'micro-batch'] as const) {
    it(`${mode}: alerts and cleared transactions equal brute force (same features, same model, same scores), each transaction in exactly one`, async () => {
      const result = await (await run(jobUrl, { mode, workDir: newDir(), microBatchIntervalMs: 50, params: params({ output: 'collect' }) })).done;
      const alerts = result.results.alerts as Decision[];
      const cleared = result.results.cleared as Decision[];
      expect(alerts.length).toBeGreaterThan(200);
      expectDecisionsRight(alerts, cleared, () => defaultRules);
      expect(alerts.every((d) => d.rulesVersion === 0)).toBe(true);
    });
  }

  it('a rule change published while the job runs decides every later transaction of a card', async () => {
    const rulesDir = newDir();
    // A data directory of its own, for its rules log: the transactions and the model are shared.
    writeFraudData(rulesDir, opts);
    const changed: FraudRules = { version: 1, scoreThreshold: 0.3, blockedMerchants: ['m-0', 'm-1'] };
    const rulesOf = (v: number) => (v === 0 ? defaultRules : changed);
    const job = await run(jobUrl, { workDir: newDir(), params: params({ data: rulesDir, output: 'results', followRules: 'true' }) });
    const decisions: Decision[] = [];
    const byKind = { alerts: [] as Decision[], cleared: [] as Decision[] };
    // Both outputs are read; while the gate is closed nobody reads, so the job stops moving (a
    // results sink holds it back) with most transactions still unread.
    let open = true;
    let reopen: () => void = () => {};
    let gate = Promise.resolve();
    const read = async (name: 'alerts' | 'cleared') => {
      for await (const d of job.results<Decision>(name)) {
        decisions.push(d);
        byKind[name].push(d);
        if (decisions.length >= 2_000 && open) {
          open = false;
          gate = new Promise((resolve) => (reopen = resolve));
        }
        await gate;
      }
    };
    const readers = Promise.all([read('alerts'), read('cleared')]);
    await expect.poll(() => open, { timeout: 300_000 }).toBe(false);
    const beforeChange = decisions.slice();
    publishRules(rulesDir, changed);
    reopen();
    // The rules are tailed, so the job runs until stopped: stop it once every transaction is decided.
    await expect.poll(() => decisions.length, { timeout: 300_000 }).toBe(expected.size);
    await job.stop();
    await readers;

    expect(beforeChange.every((d) => d.rulesVersion === 0)).toBe(true);
    expectDecisionsRight(byKind.alerts, byKind.cleared, rulesOf);
    // From the change on, per card: no transaction decided by version 0 after one decided by version 1.
    const versionsByCard = new Map<string, Array<{ ts: number; v: number }>>();
    for (const d of decisions) versionsByCard.set(d.card, [...(versionsByCard.get(d.card) ?? []), { ts: d.ts, v: d.rulesVersion }]);
    for (const list of versionsByCard.values()) {
      const versions = list.sort((a, b) => a.ts - b.ts).map((x) => x.v);
      expect(versions).toEqual([...versions].sort());
    }
    // And the change changed outcomes: transactions the old rules cleared are alerts under the new ones.
    const underNew = decisions.filter((d) => d.rulesVersion === 1);
    expect(underNew.length).toBeGreaterThan(1_000);
    const newAlerts = underNew.filter((d) => d.reasons.length > 0 && alertReasons(d, d.score, defaultRules).length === 0);
    expect(newAlerts.some((d) => d.reasons.includes('blocked-merchant'))).toBe(true);
  });

  it('a failure: the job restarts from a checkpoint and the exactly-once outputs are those of a run without one', async () => {
    const workDir = newDir();
    const out = join(workDir, 'out');
    const failAt = [...expected.keys()][Math.floor(expected.size * 0.6)];
    const result = await (
      await run(jobUrl, {
        workDir,
        checkpointIntervalMs: 20,
        restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 10 },
        params: params({ output: 'exactly-once', out, failAt, markers: workDir }),
      })
    ).done;
    expect(existsSync(join(workDir, 'fault'))).toBe(true);
    expect(result.metrics.restarts).toHaveLength(1);
    const parse = (dir: string) => readCommittedLines(dir).map((l) => JSON.parse(l) as Decision);
    expectDecisionsRight(parse(join(out, 'alerts')), parse(join(out, 'cleared')), () => defaultRules);
  });

  it('a rule change that is not a rule set fails the job, naming the operator and the record', async () => {
    const dir = newDir();
    writeFraudData(dir, opts);
    const log = EmbeddedLog.open(join(dir, 'rules'));
    log.appendJson(0, { version: 2, scoreThreshold: 'high', blockedMerchants: [] });
    log.close();
    const err = await expectWeirError((await run(jobUrl, { workDir: newDir(), params: params({ data: dir, output: 'collect' }) })).done, 'WEIR_USER_FUNCTION');
    expect(err.message).toContain('score-and-decide');
    expect(err.message).toContain('not a rule set');
    expect(err.message).toContain('"scoreThreshold":"high"');
    expect(err.operator).toBe('score-and-decide');
    expect(err.partition).toBe(0);
    expect(err.offset).toBe(0);
  });
});
