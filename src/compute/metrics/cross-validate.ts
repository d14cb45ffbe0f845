/**
 * Cross-validated model-to-model (or model-to-brain) metrics: semi-matching, soft-matching, RSA, linear CKA.
 *
 * For every metric: dead units of X and of Y are removed once for the whole fold scheme (science.md
 * "Dead units": a unit must be non-zero somewhere in every fold), then each fold k gives a score and the
 * result is the mean over folds with SEM = sd(fold scores, ddof = 1) / sqrt(K).
 *  - semi-matching, soft-matching: fitted on the training part (all other folds), scored on fold k.
 *  - RSA, CKA (biased or debiased): nothing is fitted, so the fold score is the metric on fold k's stimuli alone (the test
 *    fold); the training part is unused. This keeps every metric a mean over the same K held-out sets.
 */
import { findLiveColumns } from '../dead-units';
import { foldCount, foldIndices } from '../folds';
import type { Matrix } from '../matrix';
import { nanSem } from '../stats/sem';
import { denseSubmatrix, type ProductPrecision } from './columns';
import { foldPearsonMatrices } from './fold-pearson';
import { type FoldData, semiMatchingFold, semiMatchingScore, softMatchingFold, softMatchingScore } from './matching';
import { linearCka, rsaScore } from './similarity';

import { METRIC_NAMES, type MetricName, type WholeSetMetric } from './registry';

export { METRIC_NAMES, type MetricName };

/** A custom per-fold metric: training and test parts (dead units removed) -> fold score. */
export type FoldMetric = (fold: FoldData, foldIndex: number) => number;

export interface CrossValidatedScore {
  /** Score of every fold, in fold order 0..K-1. */
  foldScores: number[];
  /** Mean over folds. */
  mean: number;
  /** Standard error of the mean across folds: sd(ddof = 1) / sqrt(K). */
  sem: number;
  /** Source (X) columns used, ascending. */
  keptSource: Int32Array;
  /** Target (Y) columns used, ascending. */
  keptTarget: Int32Array;
  droppedSource: number;
  droppedTarget: number;
}

export interface CrossValidateOptions {
  /** Precision of the large products (default 'auto': float64 unless the product is very large). */
  precision?: ProductPrecision;
  /** Called after every fold with (folds done, K). */
  onFold?: (done: number, total: number) => void;
}

/** Mean and SEM (sd with ddof = 1, divided by sqrt(K)) of the fold scores. */
export function meanAndSem(scores: readonly number[]): { mean: number; sem: number } {
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  // A fold without a score (NaN) makes the summary NaN here, where ridge's fold means skip it.
  return { mean, sem: scores.every(Number.isFinite) ? nanSem(scores) : NaN };
}

/** The per-fold kernel of a named metric. */
export function foldMetric(metric: MetricName, precision?: ProductPrecision): FoldMetric {
  switch (metric) {
    case 'semi-matching':
      return (fold) => semiMatchingFold(fold, { precision }).score;
    case 'soft-matching':
      return (fold) => softMatchingFold(fold, { precision }).score;
    case 'rsa':
      return (fold) => rsaScore(fold.testX, fold.testY).score;
    case 'cka':
    case 'cka-debiased':
      return (fold) =>
        linearCka(fold.testX, fold.testY, {
          precision: precision === 'f32' ? 'f32' : 'f64',
          debiased: metric === 'cka-debiased',
        });
    default:
      throw new RangeError(`unknown metric "${metric as string}"; expected one of ${METRIC_NAMES.join(', ')}`);
  }
}

/**
 * Cross-validate a metric between X (stimuli x source units) and Y (stimuli x target units).
 * @param metric a metric name or a custom per-fold function.
 * @param X dense or CSR (e.g. SAE latents), rows aligned with Y and with `assignment`.
 * @param assignment fold index per stimulus (see folds.ts), K >= 2.
 * @throws when shapes disagree or when no unit survives dead-unit removal on either side.
 */
export function crossValidateMetric(
  metric: MetricName | FoldMetric,
  X: Matrix,
  Y: Matrix,
  assignment: Int32Array,
  options: CrossValidateOptions = {},
): CrossValidatedScore {
  // Semi- and soft-matching need only Pearson matrices: per-fold moments, every row read once.
  if (metric === 'semi-matching' || metric === 'soft-matching')
    return crossValidateMatching(X, Y, assignment, options.onFold)[metric];
  if (X.rows !== Y.rows) throw new RangeError(`X has ${X.rows} stimuli but Y has ${Y.rows}`);
  if (assignment.length !== X.rows) {
    throw new RangeError(`fold assignment has ${assignment.length} entries for ${X.rows} stimuli`);
  }
  const k = foldCount(assignment);
  if (k < 2) throw new RangeError(`cross-validation needs at least 2 folds, got ${k}`);
  const src = findLiveColumns(X, assignment);
  const tgt = findLiveColumns(Y, assignment);
  if (src.kept.length === 0) throw new RangeError(`no live source unit: all ${X.cols} are dead in some fold`);
  if (tgt.kept.length === 0) throw new RangeError(`no live target unit: all ${Y.cols} are dead in some fold`);
  const kernel = typeof metric === 'function' ? metric : foldMetric(metric, options.precision);
  const foldScores: number[] = [];
  for (let f = 0; f < k; f++) {
    const { train, test } = foldIndices(assignment, f);
    if (test.length === 0) throw new RangeError(`fold ${f} has no stimuli`);
    const fold: FoldData = {
      trainX: denseSubmatrix(X, train, src.kept),
      trainY: denseSubmatrix(Y, train, tgt.kept),
      testX: denseSubmatrix(X, test, src.kept),
      testY: denseSubmatrix(Y, test, tgt.kept),
    };
    foldScores.push(kernel(fold, f));
    options.onFold?.(f + 1, k);
  }
  return {
    foldScores,
    ...meanAndSem(foldScores),
    keptSource: src.kept,
    keptTarget: tgt.kept,
    droppedSource: src.dropped,
    droppedTarget: tgt.dropped,
  };
}

/**
 * RSA or (debiased) linear CKA once over ALL stimuli, no folds: the authors' brain RSA (align-interp utils.py
 * RSA at 96006be is called on the whole stimulus set). Units all-zero over the stimuli are dropped first (their
 * `torch.any(X != 0, dim=0)`); RSA then drops stimuli dead in X or Y. The cross-validated variant is
 * crossValidateMetric (one score per test fold).
 */
export function wholeSetMetric(
  metric: WholeSetMetric,
  X: Matrix,
  Y: Matrix,
): { score: number; keptSource: Int32Array; keptTarget: Int32Array } {
  if (X.rows !== Y.rows) throw new RangeError(`X has ${X.rows} stimuli but Y has ${Y.rows}`);
  const all = new Int32Array(X.rows); // one "fold": a unit only has to be non-zero somewhere
  const src = findLiveColumns(X, all);
  const tgt = findLiveColumns(Y, all);
  if (src.kept.length === 0) throw new RangeError(`no live source unit: all ${X.cols} are zero`);
  if (tgt.kept.length === 0) throw new RangeError(`no live target unit: all ${Y.cols} are zero`);
  const rows = Int32Array.from({ length: X.rows }, (_, i) => i);
  const A = denseSubmatrix(X, rows, src.kept);
  const B = denseSubmatrix(Y, rows, tgt.kept);
  const score = metric === 'rsa' ? rsaScore(A, B).score : linearCka(A, B, { debiased: metric === 'cka-debiased' });
  return { score, keptSource: src.kept, keptTarget: tgt.kept };
}

/**
 * Semi- and soft-matching together from one set of per-fold Pearson matrices (fold-pearson.ts: every row read
 * once); crossValidateMetric serves either name through this, and callers needing both (the toy experiment) save
 * the second pass.
 */
export function crossValidateMatching(
  X: Matrix,
  Y: Matrix,
  assignment: Int32Array,
  onFold?: (done: number, total: number) => void,
): Record<'semi-matching' | 'soft-matching', CrossValidatedScore> {
  if (X.rows !== Y.rows) throw new RangeError(`X has ${X.rows} stimuli but Y has ${Y.rows}`);
  if (assignment.length !== X.rows)
    throw new RangeError(`fold assignment has ${assignment.length} entries for ${X.rows} stimuli`);
  const k = foldCount(assignment);
  if (k < 2) throw new RangeError(`cross-validation needs at least 2 folds, got ${k}`);
  const counts = new Int32Array(k);
  for (let i = 0; i < assignment.length; i++) counts[assignment[i]]++;
  const empty = counts.indexOf(0);
  if (empty >= 0) throw new RangeError(`fold ${empty} has no stimuli`);
  const src = findLiveColumns(X, assignment);
  const tgt = findLiveColumns(Y, assignment);
  if (src.kept.length === 0) throw new RangeError(`no live source unit: all ${X.cols} are dead in some fold`);
  if (tgt.kept.length === 0) throw new RangeError(`no live target unit: all ${Y.cols} are dead in some fold`);
  const nx = src.kept.length;
  const ny = tgt.kept.length;
  const semi: number[] = [];
  const soft: number[] = [];
  foldPearsonMatrices(X, Y, assignment, k, src.kept, tgt.kept).forEach(({ train, test }, f) => {
    const corr = (i: number, j: number) => test[i * ny + j];
    semi.push(semiMatchingScore(train, corr, nx, ny).score);
    soft.push(softMatchingScore(train, corr, nx, ny).score); // overwrites train with the cost: keep it last
    onFold?.(f + 1, k);
  });
  const kept = { keptSource: src.kept, keptTarget: tgt.kept, droppedSource: src.dropped, droppedTarget: tgt.dropped };
  return {
    'semi-matching': { foldScores: semi, ...meanAndSem(semi), ...kept },
    'soft-matching': { foldScores: soft, ...meanAndSem(soft), ...kept },
  };
}
