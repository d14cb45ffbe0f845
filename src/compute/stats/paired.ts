/**
 * Paired comparison of two representations (a = e.g. neurons, b = e.g. SAE latents) in one
 * (subject, layer, ROI) cell, from both representations' held-out predictions of every fold.
 *
 * Fold score of a representation: the mean over the ROI's targets of columnScores(yhat, y, kind) on the fold's
 * test stimuli (what fitRidgeCv reports per fold); cell score: the mean over folds. difference = b - a.
 * - foldCi: Student-t interval over the K per-fold differences (and the fold t-test p). The K training sets
 *   overlap, which this interval ignores (too narrow); foldCiCorrected is Nadeau & Bengio's corrected
 *   resampled t with n_test / n_train averaged over the folds (t-interval.ts).
 * - bootstrapCi: percentile interval of the difference over stimulus resamples (bootstrap.ts), both
 *   representations rescored on the same resample (bootstrap-scores.ts: columnScores' sums as one GEMM).
 * - p: sign-flip permutation test over stimuli (sign-flip.ts) of w_i = (c^b_i - c^a_i) / K, where c_i is
 *   stimulus i's share of its fold's score (rowContributions), so sum_i w_i = difference. H0: the two
 *   representations' per-stimulus contributions are exchangeable (the fold's normalising norms held fixed).
 */
import { columnScores, nanMean, rowContributions } from '../correlation';
import type { DenseMatrix } from '../matrix';
import { type Resample, bootstrapResamples, percentileInterval } from './bootstrap';
import { bootstrapDifferences } from './bootstrap-scores';
import { signFlipTest } from './sign-flip';
import { repeatedCorrectedT, type TSummary, tSummary } from './t-interval';

export type ScoreKind = 'cosine' | 'pearson';

/** One fold's test stimuli x the cell's targets, in the preset's target space: both predictions and the data. */
export interface HeldOutFold {
  a: DenseMatrix;
  b: DenseMatrix;
  y: DenseMatrix;
}

export interface PairedCellOptions {
  kind: ScoreKind;
  /** Bootstrap resamples (default 1000). */
  nResamples?: number;
  /** Random sign vectors of the permutation test (default 9999; exact enumeration when 2^n is no more). */
  nPermutations?: number;
  /** Seed of the bootstrap stream; the permutation stream uses seed ^ PERMUTATION_SEED_SALT (default 0). */
  seed?: number;
  level?: number;
  /** Explicit resamples (e.g. from a fixture) instead of those of {seed, nResamples}. */
  resamples?: Iterable<Resample>;
}

export interface PairedCell {
  a: number;
  b: number;
  /** b - a: the mean over folds of the per-fold differences. */
  difference: number;
  foldA: number[];
  foldB: number[];
  foldDifferences: number[];
  foldCi: TSummary;
  foldCiCorrected: TSummary;
  bootstrapCi: { lower: number; upper: number; level: number; se: number; nResamples: number; seed: number | null };
  /** The bootstrap's finite replicates in resample order (the stimulus level of hierarchical-bootstrap.ts). */
  bootstrapReplicates: Float64Array;
  /** Two-sided sign-flip permutation p over stimuli. */
  p: number;
  permutation: { exact: boolean; nPermutations: number; seed: number };
  nStimuli: number;
  nTargets: number;
}

/** Keeps the permutation stream apart from the bootstrap stream of the same seed. */
export const PERMUTATION_SEED_SALT = 0x5bd1e995;

function foldScore(pred: DenseMatrix, y: DenseMatrix, kind: ScoreKind): number {
  return nanMean(columnScores(pred, y, kind));
}

function checkFolds(folds: readonly HeldOutFold[]): void {
  if (folds.length === 0) throw new RangeError('pairedCell: no folds');
  const t = folds[0].y.cols;
  for (const [k, f] of folds.entries()) {
    for (const m of [f.a, f.b]) {
      if (m.rows !== f.y.rows || m.cols !== f.y.cols || f.y.cols !== t) {
        throw new RangeError(
          `pairedCell: fold ${k} shapes ${f.a.rows}x${f.a.cols}, ${f.b.rows}x${f.b.cols}, y ${f.y.rows}x${f.y.cols}`,
        );
      }
    }
  }
}

/** Per-stimulus terms w_i (folds in order, test rows in order) whose sum is the cell difference. */
export function stimulusDifferences(folds: readonly HeldOutFold[], kind: ScoreKind): Float64Array {
  const n = folds.reduce((s, f) => s + f.y.rows, 0);
  const w = new Float64Array(n);
  let o = 0;
  for (const f of folds) {
    const ca = rowContributions(f.a, f.y, kind);
    const cb = rowContributions(f.b, f.y, kind);
    for (let i = 0; i < f.y.rows; i++) w[o + i] = (cb[i] - ca[i]) / folds.length;
    o += f.y.rows;
  }
  return w;
}

/** Mean over folds of n_test / n_train (1 / (K - 1) for equal folds). */
export function testTrainRatio(foldSizes: readonly number[]): number {
  const n = foldSizes.reduce((s, m) => s + m, 0);
  return foldSizes.reduce((s, m) => s + m / (n - m), 0) / foldSizes.length;
}

export function pairedCell(folds: readonly HeldOutFold[], options: PairedCellOptions): PairedCell {
  checkFolds(folds);
  const { kind } = options;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  const nResamples = options.nResamples ?? 1000;
  const foldA = folds.map((f) => foldScore(f.a, f.y, kind));
  const foldB = folds.map((f) => foldScore(f.b, f.y, kind));
  const foldDifferences = foldA.map((v, k) => foldB[k] - v);
  const sizes = folds.map((f) => f.y.rows);
  const resamples = options.resamples ?? bootstrapResamples(sizes, nResamples, seed);
  const boot = percentileInterval(bootstrapDifferences(folds, kind, resamples), level);
  const w = stimulusDifferences(folds, kind);
  // A non-finite term (a target with an undefined score on one side) leaves the test undefined.
  const perm = w.every(Number.isFinite)
    ? signFlipTest(w, { nPermutations: options.nPermutations, seed: (seed ^ PERMUTATION_SEED_SALT) >>> 0 })
    : { p: NaN, exact: false, nPermutations: 0, seed: (seed ^ PERMUTATION_SEED_SALT) >>> 0 };
  return {
    a: nanMean(foldA),
    b: nanMean(foldB),
    difference: nanMean(foldDifferences),
    foldA,
    foldB,
    foldDifferences,
    foldCi: tSummary(foldDifferences, level),
    foldCiCorrected: tSummary(foldDifferences, level, testTrainRatio(sizes)),
    bootstrapCi: {
      lower: boot.lower,
      upper: boot.upper,
      level,
      se: boot.se,
      nResamples: boot.replicates.length,
      seed: options.resamples ? null : seed,
    },
    bootstrapReplicates: boot.replicates.filter(Number.isFinite),
    p: perm.p,
    permutation: { exact: perm.exact, nPermutations: perm.nPermutations, seed: perm.seed },
    nStimuli: sizes.reduce((s, m) => s + m, 0),
    nTargets: folds[0].y.cols,
  };
}

/**
 * A paired cell over repeated K-fold: `first` is the first repeat's cell (its stimulus bootstrap interval and
 * sign-flip p stay conditional on that repeat's fitted models); the fold scores of the other repeats (foldA, foldB:
 * repeat-major, K per repeat) are appended, and a, b, difference and both fold t summaries are recomputed over all
 * K x R fold differences. The Nadeau-Bengio corrected summary keeps the first repeat's n_test / n_train (every
 * repeat splits the same images into the same fold sizes) and averages each repeat's own corrected variance, df
 * K - 1 (repeatedCorrectedT: the K R form with df K R - 1 was measured anti-conservative).
 */
export function pairedCellRepeats(first: PairedCell, foldA: readonly number[], foldB: readonly number[]): PairedCell {
  if (foldA.length !== foldB.length) throw new RangeError(`repeat fold lists of ${foldA.length} and ${foldB.length}`);
  const level = first.foldCi.level;
  const allA = [...first.foldA, ...foldA];
  const allB = [...first.foldB, ...foldB];
  const foldDifferences = allA.map((v, k) => allB[k] - v);
  return {
    ...first,
    a: nanMean(allA),
    b: nanMean(allB),
    difference: nanMean(foldDifferences),
    foldA: allA,
    foldB: allB,
    foldDifferences,
    foldCi: tSummary(foldDifferences, level),
    foldCiCorrected: repeatedCorrectedT(
      foldDifferences,
      allA.length / first.foldA.length,
      level,
      first.foldCiCorrected.correction,
    ),
  };
}
