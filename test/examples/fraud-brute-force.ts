// The fraud job's decisions by definition, over the same generated transactions and the same model
// file: each card's transactions in event-time order, each transaction's features recomputed from
// the whole list of the card's earlier ones (sums over it, not running state), scored by the model.
// Shares with the job only the data generator, the distance formula, the model file and the rules.
import { distanceKm, noHistorySeconds } from '../../examples/fraud/features.ts';
import { loadModel } from '../../examples/fraud/model.ts';
import { allTransactions, holderProfile, liveStartMs, type FraudDataOptions, type Transaction, withoutLabel } from '../../examples/fraud/transactions.ts';

const round = (x: number) => Math.round(x * 1_000) / 1_000 + 0;

function featuresFromScratch(tx: Transaction, earlier: Transaction[], opts: FraudDataOptions): number[] {
  const profile = holderProfile(opts, Number(tx.card.slice('card-'.length)));
  const last = earlier.at(-1);
  let z = 0;
  if (earlier.length >= 3) {
    const mean = earlier.reduce((a, t) => a + t.amount, 0) / earlier.length;
    const sd = Math.sqrt(earlier.reduce((a, t) => a + (t.amount - mean) ** 2, 0) / (earlier.length - 1));
    z = sd === 0 ? (tx.amount === mean ? 0 : Math.sign(tx.amount - mean) * 50) : (tx.amount - mean) / sd;
  }
  return [
    tx.amount,
    round(tx.amount / profile.usualAmount),
    round(Math.max(-50, Math.min(50, z))),
    last === undefined ? noHistorySeconds : round(Math.min(noHistorySeconds, (tx.ts - last.ts) / 1_000)),
    earlier.filter((t) => tx.ts - t.ts < 60_000).length,
    last === undefined ? 0 : round(distanceKm(last.lat, last.lon, tx.lat, tx.lon)),
    round(distanceKm(profile.homeLat, profile.homeLon, tx.lat, tx.lon)),
  ];
}

/** Every live transaction with its features and score, by id. */
export function bruteForceScores(opts: FraudDataOptions, modelPath: string): Map<string, { tx: Transaction; features: number[]; score: number; fraud: boolean }> {
  const model = loadModel(modelPath);
  const byCard = new Map<string, Transaction[]>();
  const out = new Map<string, { tx: Transaction; features: number[]; score: number; fraud: boolean }>();
  for (const labelled of allTransactions(opts, liveStartMs)) {
    const tx = withoutLabel(labelled);
    const earlier = byCard.get(tx.card) ?? [];
    const features = featuresFromScratch(tx, earlier, opts);
    out.set(tx.id, { tx, features, score: model.score(features), fraud: labelled.fraud });
    byCard.set(tx.card, [...earlier, tx]);
  }
  return out;
}
