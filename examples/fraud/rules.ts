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

/** Publishes a rule change into the data directory's rules log (the job reads it from there, or tails it with followRules=true). */
export function publishRules(dataDir: string, rules: FraudRules): void {
  const log = EmbeddedLog.open(join(dataDir, 'rules'));
  try {
    log.appendJson(0, rules);
  } finally {
    log.close();
  }
}
