// examples/fraud/flat-forest.ts scores exactly as ml-random-forest does: a forest trained on the
// example's own data, saved and loaded as JSON, scored both ways on the history's feature rows, on
// rows built to land on the split points, and on rows with missing (NaN) and extreme values.
import { describe, expect, it } from 'vitest';
import { RandomForestClassifier } from 'ml-random-forest';
import { flatForest, type SavedForest } from '../../examples/fraud/flat-forest.ts';
import { trainForest, trainingRows } from '../../examples/fraud/train.ts';
import { allTransactions, holderProfile, historyStartMs, type FraudDataOptions } from '../../examples/fraud/transactions.ts';
import { seededRandom } from '../../src/util/random.ts';

const opts: FraudDataOptions = { cards: 200, perCard: 40, partitions: 2, seed: 7 };

describe('the fraud model, flattened', () => {
  it('gives the library\'s score, bit for bit, for every row', () => {
    const rows = trainingRows(allTransactions(opts, historyStartMs), (card) => holderProfile(opts, Number(card.slice('card-'.length))));
    for (const trees of [1, 2, 7, 20]) {
      const { forest } = trainForest(rows, { trees, trainShare: 1, legitimateMax: 1_500, seed: trees });
      const saved = JSON.parse(JSON.stringify(forest.toJSON())) as SavedForest;
      const library = RandomForestClassifier.load(saved as never);
      const flat = flatForest(saved);
      const random = seededRandom(trees);
      const features = rows.map((r) => r.features);
      const probes: number[][] = [...features];
      // Exactly on, just below and just above split values (a split sends < left, ≥ right), and odd inputs.
      for (const row of features.slice(0, 300)) {
        probes.push(row.map((x) => (random() < 0.3 ? Math.round(x) : x)));
        probes.push(row.map((x) => (random() < 0.2 ? Number.NaN : x)));
        probes.push(row.map((x) => (random() < 0.2 ? (random() < 0.5 ? -1e12 : 1e12) : x)));
      }
      for (let i = 0; i < 500; i++) probes.push(features[0].map(() => (random() - 0.3) * 10 ** Math.floor(random() * 5)));
      const expected = library.predictProbability(probes, 1);
      const got = probes.map((row) => flat.probability(row, 1));
      expect(got).toEqual(expected);
      expect(probes.map((row) => flat.probability(row, 0))).toEqual(library.predictProbability(probes, 0));
      // Both classes occur, and so do scores strictly between 0 and 1.
      expect(new Set(got).size).toBeGreaterThan(trees === 1 ? 1 : 2);
    }
  });

  it('refuses a forest it cannot score', () => {
    expect(() => flatForest({ baseModel: { isClassifier: false, indexes: [], estimators: [] } })).toThrow(/not a classifier/);
    expect(() => flatForest({ baseModel: { isClassifier: true, indexes: [], estimators: [] } })).toThrow(/no trees/);
    expect(() => flatForest({ baseModel: { isClassifier: true, indexes: [[0]], estimators: [{ root: { splitColumn: 3, splitValue: 1, left: { distribution: [[1, 0]] }, right: { distribution: [[0, 1]] } } }] } })).toThrow(/split column 3/);
  });
});
