// A saved ml-random-forest classifier, compiled into flat arrays and scored without the library:
// the same score as RandomForestClassifier.load(saved).predictProbability([row], label)[0], bit for
// bit (test/examples/fraud-model.test.ts compares them), at a fraction of the cost. The library
// builds a matrix, a column-selection view per tree and a transposed view per call, and walks
// tree-node objects; per transaction that was about 8 % of the fraud job's worker time at 10 K/s.

/** The parts of ml-random-forest's toJSON() (RFClassifier's baseModel) that scoring reads. */
export interface SavedForest {
  baseModel: {
    isClassifier: boolean;
    /** [tree] → the feature columns that tree sees, in its own column order. */
    indexes: number[][];
    estimators: Array<{ root: SavedTreeNode }>;
  };
}

/** ml-cart's node JSON: a leaf has a distribution (one row of class weights); an inner node splits. */
interface SavedTreeNode {
  distribution?: number[][];
  splitColumn?: number;
  splitValue?: number;
  left?: SavedTreeNode;
  right?: SavedTreeNode;
}

export interface FlatForest {
  /** The share of trees that vote `label`, rounded as ml-random-forest rounds it. */
  probability(row: readonly number[], label: number): number;
}

export function flatForest(saved: SavedForest): FlatForest {
  const model = saved.baseModel;
  if (!model.isClassifier) throw new Error('flatForest: not a classifier');
  if (model.indexes.length !== model.estimators.length) throw new Error('flatForest: one feature index list per tree expected');
  // All trees' nodes in four arrays. Inner node i: feature[i] (a column of the full row, mapped
  // through the tree's own column list), threshold[i], children left[i] and right[i]. A leaf has
  // feature[i] = -1 and its vote (the class ml-cart predicts) in left[i].
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const roots: number[] = [];
  const add = (node: SavedTreeNode, columns: number[]): number => {
    const i = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(0);
    right.push(0);
    if (node.distribution !== undefined) {
      // ml-cart predicts the first class of largest weight (Matrix.maxRowIndex: strictly greater wins).
      const weights = node.distribution[0];
      let best = 0;
      for (let c = 1; c < weights.length; c++) if (weights[c] > weights[best]) best = c;
      left[i] = best;
      return i;
    }
    if (node.left === undefined || node.right === undefined || node.splitColumn === undefined || node.splitValue === undefined) throw new Error('flatForest: an inner node without a split or both children');
    const column = columns[node.splitColumn];
    if (!Number.isInteger(column) || column < 0) throw new Error(`flatForest: split column ${node.splitColumn} outside the tree's ${columns.length} columns`);
    feature[i] = column;
    threshold[i] = node.splitValue;
    left[i] = add(node.left, columns);
    right[i] = add(node.right, columns);
    return i;
  };
  model.estimators.forEach((tree, t) => roots.push(add(tree.root, model.indexes[t])));
  const f = Int32Array.from(feature);
  const th = Float64Array.from(threshold);
  const l = Int32Array.from(left);
  const r = Int32Array.from(right);
  const trees = roots.length;
  if (trees === 0) throw new Error('flatForest: no trees');

  const vote = (root: number, row: readonly number[]): number => {
    let i = root;
    // ml-cart: row[column] < splitValue goes left, anything else (NaN included) right.
    while (f[i] >= 0) i = row[f[i]] < th[i] ? l[i] : r[i];
    return l[i];
  };

  return {
    probability(row, label) {
      // ml-random-forest's predictProbability sums with reduce() and no initial value: the first
      // tree's vote enters as the class number itself, each later one matching `label` as
      // 10^6 / trees. Reproduced, in the same order, so the scores are the library's exactly.
      const roundFactor = 10 ** 6;
      let p = vote(roots[0], row);
      for (let t = 1; t < trees; t++) if (vote(roots[t], row) === label) p += roundFactor / trees;
      return Math.round(p) / roundFactor;
    },
  };
}
