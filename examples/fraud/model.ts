// The fraud model: a random forest (ml-random-forest) trained by train.ts and saved as JSON with
// the feature names it was trained on; loaded once per worker and scored in memory (flat-forest.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import type { RandomForestClassifier } from 'ml-random-forest';
import { featureNames, type Features } from './features.ts';
import { flatForest, type SavedForest } from './flat-forest.ts';

export interface SavedModel {
  kind: 'random-forest';
  featureNames: readonly string[];
  trainedOn: { transactions: number; fraud: number };
  forest: ReturnType<RandomForestClassifier['toJSON']>;
}

export interface FraudModel {
  /** The share of trees that vote fraud, 0 … 1. */
  score(features: Features): number;
}

export function saveModel(path: string, forest: RandomForestClassifier, trainedOn: SavedModel['trainedOn']): void {
  const saved: SavedModel = { kind: 'random-forest', featureNames, trainedOn, forest: forest.toJSON() };
  writeFileSync(path, JSON.stringify(saved));
}

export function loadModel(path: string): FraudModel {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedModel;
  if (saved.kind !== 'random-forest' || JSON.stringify(saved.featureNames) !== JSON.stringify(featureNames)) {
    throw new Error(`fraud model ${path}: trained on features ${JSON.stringify(saved.featureNames)}, the job computes ${JSON.stringify(featureNames)}: train it again (train.ts)`);
  }
  // Scored by flat-forest.ts: the library's score exactly, without its per-call matrices.
  const forest = flatForest(saved.forest as unknown as SavedForest);
  return { score: (row) => forest.probability(row, 1) };
}
