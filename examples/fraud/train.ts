// Trains the fraud model on the generated history (transactions.ts): each transaction's features
// (features.ts) computed card by card in event-time order, as the job computes them, labelled with
// whether it was fraud. The first part of the history in event time trains a random forest
// (ml-random-forest); the last quarter is held out, and the precision and recall there at the
// job's default threshold are printed. The model is written as JSON.
//
//   node bin/run-ts.mjs examples/fraud/train.ts fraud-data          # reads fraud-data/history.jsonl, writes fraud-data/model.json
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RandomForestClassifier } from 'ml-random-forest';
import { features, remember, type CardHistory, type Features } from './features.ts';
import { saveModel } from './model.ts';
import { defaultRules } from './rules.ts';
import { fraudDataOptions, holderProfile, keyValueArgs, type LabelledTransaction } from './transactions.ts';

export interface TrainingRow {
  features: Features;
  fraud: boolean;
}

/** The history's features, card by card in event-time order (the history must be in event-time order). */
export function trainingRows(history: LabelledTransaction[], profileOf: (card: string) => ReturnType<typeof holderProfile>): TrainingRow[] {
  const cards = new Map<string, CardHistory>();
  return history.map((tx) => {
    const before = cards.get(tx.card);
    const row = { features: features(tx, profileOf(tx.card), before), fraud: tx.fraud };
    cards.set(tx.card, remember(tx, before));
    return row;
  });
}

export interface Evaluation {
  threshold: number;
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

export function evaluate(scores: number[], labels: boolean[], threshold: number): Evaluation {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    if (s >= threshold && labels[i]) tp++;
    else if (s >= threshold) fp++;
    else if (labels[i]) fn++;
  });
  return { threshold, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), truePositives: tp, falsePositives: fp, falseNegatives: fn };
}

export interface TrainOptions {
  trees: number;
  /** Share of the rows (the earliest) that train; the rest are held out. */
  trainShare: number;
  /** Legitimate rows that train at most (every fraud row trains): a forest's training time grows faster than its rows. */
  legitimateMax: number;
  seed: number;
}

export function trainForest(rows: TrainingRow[], opts: TrainOptions): { forest: RandomForestClassifier; heldOut: TrainingRow[]; trained: TrainingRow[] } {
  const cut = Math.floor(rows.length * opts.trainShare);
  // Every fraud row of the training part, and an evenly spread sample of the legitimate ones.
  const training = rows.slice(0, cut);
  const legitimate = training.filter((r) => !r.fraud).length;
  const every = Math.max(1, Math.ceil(legitimate / opts.legitimateMax));
  let seen = 0;
  const trained = training.filter((r) => r.fraud || seen++ % every === 0);
  const forest = new RandomForestClassifier({
    nEstimators: opts.trees,
    maxFeatures: 0.6,
    replacement: true,
    useSampleBagging: true,
    noOOB: true,
    seed: opts.seed,
    treeOptions: { maxDepth: 10, minNumSamples: 5 },
  });
  forest.train(trained.map((r) => r.features), trained.map((r) => (r.fraud ? 1 : 0)));
  return { forest, heldOut: rows.slice(cut), trained };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (dir === undefined || dir.includes('=')) {
    console.error('usage: train.ts <dir> [trees=25] [legitimateMax=8000] [cards=… seed=… as given to transactions.ts]');
    process.exit(2);
  }
  const args = keyValueArgs(process.argv.slice(3));
  const dataOpts = fraudDataOptions(args);
  const history = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LabelledTransaction);
  // The profiles are the generator's (the same as in the store): holder c of card-c.
  const rows = trainingRows(history, (card) => holderProfile(dataOpts, Number(card.slice('card-'.length))));
  const started = Date.now();
  const { forest, heldOut, trained } = trainForest(rows, { trees: Number(args.trees ?? 25), trainShare: 0.75, legitimateMax: Number(args.legitimateMax ?? 8_000), seed: dataOpts.seed });
  const fraud = trained.filter((r) => r.fraud).length;
  saveModel(join(dir, 'model.json'), forest, { transactions: trained.length, fraud });
  const scores = forest.predictProbability(heldOut.map((r) => r.features), 1);
  const held = evaluate(scores, heldOut.map((r) => r.fraud), defaultRules.scoreThreshold);
  console.log(`trained on ${trained.length} transactions (${fraud} fraud) in ${((Date.now() - started) / 1000).toFixed(1)} s → ${join(dir, 'model.json')}`);
  console.log(
    `held out ${heldOut.length} (${heldOut.filter((r) => r.fraud).length} fraud), score ≥ ${held.threshold}: precision ${held.precision.toFixed(3)}, recall ${held.recall.toFixed(3)} ` +
      `(${held.truePositives} caught, ${held.falsePositives} false alarms, ${held.falseNegatives} missed)`,
  );
}
