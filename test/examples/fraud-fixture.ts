// What the fraud example's tests share: a real Redis holding the profiles, the generated data in a
// temp dir, a small model trained on its history and saved to a file, the brute force's decisions,
// and the check that a run's decisions are right.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { Decision } from '../../examples/fraud/job.ts';
import { saveModel } from '../../examples/fraud/model.ts';
import { startRedis, type RedisServer } from '../../examples/fraud/redis-server.ts';
import { alertReasons, type FraudRules } from '../../examples/fraud/rules.ts';
import { trainForest, trainingRows } from '../../examples/fraud/train.ts';
import { allTransactions, historyStartMs, holderProfile, loadProfiles, writeFraudData, type FraudDataOptions } from '../../examples/fraud/transactions.ts';
import { bruteForceScores } from './fraud-brute-force.ts';

export const fraudJobUrl = new URL('../../examples/fraud/job.ts', import.meta.url);

export interface FraudFixture {
  opts: FraudDataOptions;
  redis: RedisServer;
  dataDir: string;
  modelPath: string;
  expected: ReturnType<typeof bruteForceScores>;
  /** The job's parameters for this fixture, with `extra` over them. */
  params(extra: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function fraudFixture(opts: FraudDataOptions): Promise<FraudFixture> {
  const redis = await startRedis();
  const client = new Redis({ host: '127.0.0.1', port: redis.port });
  await loadProfiles(client, opts);
  await client.quit();
  const dataDir = mkdtempSync(join(tmpdir(), 'weir-fraud-data-'));
  writeFraudData(dataDir, opts);
  const rows = trainingRows(allTransactions(opts, historyStartMs), (card) => holderProfile(opts, Number(card.slice('card-'.length))));
  const { forest, trained } = trainForest(rows, { trees: 8, trainShare: 0.75, legitimateMax: 1_500, seed: 1 });
  const modelPath = join(dataDir, 'model.json');
  saveModel(modelPath, forest, { transactions: trained.length, fraud: trained.filter((r) => r.fraud).length });
  return {
    opts,
    redis,
    dataDir,
    modelPath,
    expected: bruteForceScores(opts, modelPath),
    params: (extra) => ({ data: dataDir, model: modelPath, redis: redis.address, ...extra }),
    async close() {
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Each transaction decided once, each decision equal to brute force (features, score) under the rules of the version it names. */
export function expectDecisionsRight(f: FraudFixture, alerts: Decision[], cleared: Decision[], rulesOf: (version: number) => FraudRules) {
  const all = [...alerts, ...cleared];
  const ids = all.map((d) => d.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort()).toEqual([...f.expected.keys()].sort());
  for (const d of all) {
    const want = f.expected.get(d.id)!;
    const { features, score, rulesVersion, reasons, ...tx } = d;
    expect(tx).toEqual(want.tx);
    expect(features).toEqual(want.features);
    expect(score).toBe(want.score);
    expect(reasons).toEqual(alertReasons(want.tx, want.score, rulesOf(rulesVersion)));
  }
  for (const d of alerts) expect(d.reasons.length).toBeGreaterThan(0);
  for (const d of cleared) expect(d.reasons).toEqual([]);
}
