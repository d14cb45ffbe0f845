/**
 * The paper's matching metrics for one fold (science.md "Semi-matching", "Soft-matching").
 * Inputs are the fold's training and test parts of X (stimuli x source units) and Y (stimuli x target
 * units) with dead units already removed. Each part is standardised with its own statistics (centre,
 * unit norm per column), so A^T B is a Pearson matrix.
 */
import { emdUniform, type TransportPlan } from '../ot/network-simplex';
import type { DenseMatrix } from '../matrix';
import { columnDot, crossProduct, type ProductPrecision, standardiseColumnsInPlace } from './columns';

export interface FoldData {
  trainX: DenseMatrix<Float64Array>;
  trainY: DenseMatrix<Float64Array>;
  testX: DenseMatrix<Float64Array>;
  testY: DenseMatrix<Float64Array>;
}

export interface MatchingOptions {
  /** Precision of the training Pearson matrix product (default 'auto': float64 unless very large). */
  precision?: ProductPrecision;
}

/** Copies standardised in place (the fold data is left untouched). */
function standardised(M: DenseMatrix<Float64Array>): DenseMatrix<Float64Array> {
  return standardiseColumnsInPlace({ rows: M.rows, cols: M.cols, data: Float64Array.from(M.data) });
}

/** Training Pearson matrix C (n_x x n_y, row-major) and the standardised test parts. */
function prepare(fold: FoldData, precision: ProductPrecision | undefined) {
  const C = crossProduct(standardised(fold.trainX), standardised(fold.trainY), precision);
  return { C, testX: standardised(fold.testX), testY: standardised(fold.testY) };
}

/**
 * Semi-matching fold score: m(j) = argmax_i C_train[i, j] (first index on ties, like numpy.argmax; source
 * units may repeat), score = mean over targets j of the test-fold correlation corr(x_m(j), y_j).
 */
export function semiMatchingFold(fold: FoldData, options: MatchingOptions = {}): { score: number; match: Int32Array } {
  const { C, testX, testY } = prepare(fold, options.precision);
  return semiMatchingScore(C, (i, j) => columnDot(testX, i, testY, j), fold.trainX.cols, fold.trainY.cols);
}

/** Semi-matching from the training Pearson matrix C (nx x ny) and the test correlation of a pair. */
export function semiMatchingScore(
  C: Float64Array,
  testCorr: (i: number, j: number) => number,
  nx: number,
  ny: number,
): { score: number; match: Int32Array } {
  const match = new Int32Array(ny);
  for (let j = 0; j < ny; j++) {
    let best = -Infinity;
    let arg = 0;
    for (let i = 0; i < nx; i++) {
      const v = C[i * ny + j];
      if (v > best) (best = v), (arg = i);
    }
    match[j] = arg;
  }
  let total = 0;
  for (let j = 0; j < ny; j++) total += testCorr(match[j], j);
  return { score: total / ny, match };
}

/**
 * Soft-matching fold score: P* = exact optimal transport plan (network simplex, like POT's ot.emd) for
 * cost 1 - C_train between uniform marginals 1/n_x and 1/n_y; score = sum_ij P*_ij C_test[i, j].
 * Only the plan's support (at most n_x + n_y - 1 cells) of C_test is evaluated.
 */
export function softMatchingFold(
  fold: FoldData,
  options: MatchingOptions = {},
): { score: number; plan: TransportPlan } {
  const { C, testX, testY } = prepare(fold, options.precision);
  return softMatchingScore(C, (i, j) => columnDot(testX, i, testY, j), fold.trainX.cols, fold.trainY.cols);
}

/** Soft-matching from the training Pearson matrix C (nx x ny; overwritten with the cost 1 - C). */
export function softMatchingScore(
  C: Float64Array,
  testCorr: (i: number, j: number) => number,
  nx: number,
  ny: number,
): { score: number; plan: TransportPlan } {
  const cost = C;
  for (let k = 0; k < cost.length; k++) cost[k] = 1 - cost[k];
  const plan = emdUniform(cost, nx, ny);
  let score = 0;
  for (let k = 0; k < plan.mass.length; k++) score += plan.mass[k] * testCorr(plan.rows[k], plan.cols[k]);
  return { score, plan };
}
