// The fraud job's rules: what turns a model score into an alert. They come through a broadcast
// stream and can change while the job runs (a new version replaces the old one on every worker);
// until the first arrives, the defaults hold (version 0).
import { join } from 'node:path';
import { EmbeddedLog } from '../../src/connectors/index.ts';
import type { Transaction } from './transactions.ts';

export interface FraudRules {
  /** Later versions replace earlier ones; an older version that arrives late is ignored. */
  version: number;
  /** A transaction whose score is at least this is an alert. */
  scoreThreshold: number;
  /** Every transaction at one of these merchants is an alert, whatever its score. */
  blockedMerchants: string[];
}

export const defaultRules: FraudRules = { version: 0, scoreThreshold: 0.5, blockedMerchants: [] };

export type AlertReason = 'score' | 'blocked-merchant';

/** Why the transaction is an alert under the rules (empty: it is cleared). */
export function alertReasons(tx: Transaction, score: number, rules: FraudRules): AlertReason[] {
  const reasons: AlertReason[] = [];
  if (score >= rules.scoreThreshold) reasons.push('score');
  if (rules.blockedMerchants.includes(tx.merchant)) reasons.push('blocked-merchant');
  return reasons;
}

/** The value as rules, or an error saying what a rule set must be (a bad rule change fails the job, naming the operator and the record, rather than being ignored). */
export function checkRules(value: unknown): FraudRules {
  const r = value as Partial<FraudRules> | null;
  const ok =
    r !== null &&
    typeof r === 'object' &&
    Number.isSafeInteger(r.version) &&
    r.version! >= 0 &&
    typeof r.scoreThreshold === 'number' &&
    r.scoreThreshold >= 0 &&
    r.scoreThreshold <= 1 &&
    Array.isArray(r.blockedMerchants) &&
    r.blockedMerchants.every((m) => typeof m === 'string');
  if (!ok) throw new Error(`not a rule set { version: integer ≥ 0, scoreThreshold: 0 … 1, blockedMerchants: string[] }: ${JSON.stringify(value)}`);
  return r as FraudRules;
}

/** Publishes a rule change into the data directory's rules log (the job reads it from there, or tails it with followRules=true). */
export function publishRules(dataDir: string, rules: FraudRules): void {
  checkRules(rules);
  const log = EmbeddedLog.open(join(dataDir, 'rules'));
  try {
    log.appendJson(0, rules);
  } finally {
    log.close();
  }
}
