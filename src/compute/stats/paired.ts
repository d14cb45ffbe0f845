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
import { type BootstrapInterval, type Resample, bootstrapResamples, percentileInterval } from './bootstrap';
import { type HeldOutPredictions, bootstrapFoldScores, resampleDifferences } from './bootstrap-scores';
import { type SignFlipResult, signFlipTests } from './sign-flip';
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

function checkFolds(folds: readonly HeldOutPredictions[]): void {
  if (folds.length === 0) throw new RangeError('pairedCell: no folds');
  const t = folds[0].y.cols;
  for (const [k, f] of folds.entries()) {
    for (const m of f.preds) {
      if (m.rows !== f.y.rows || m.cols !== f.y.cols || f.y.cols !== t) {
        const shapes = f.preds.map((q) => `${q.rows}x${q.cols}`).join(', ');
        throw new RangeError(`pairedCell: fold ${k} shapes ${shapes}, y ${f.y.rows}x${f.y.cols}`);
      }
    }
  }
}

/** Per stimulus (folds in order, test rows in order): its share of representation q's fold score. */
function stimulusContributions(folds: readonly HeldOutPredictions[], kind: ScoreKind, q: number): Float64Array {
  const c = new Float64Array(folds.reduce((s, f) => s + f.y.rows, 0));
  let o = 0;
  for (const f of folds) {
    c.set(rowContributions(f.preds[q], f.y, kind), o);
    o += f.y.rows;
  }
  return c;
}

/** (c^b_i - c^a_i) / K: per-stimulus terms whose sum is the cell difference. */
function contributionDifferences(ca: Float64Array, cb: Float64Array, K: number): Float64Array {
  const w = new Float64Array(ca.length);
  for (let i = 0; i < w.length; i++) w[i] = (cb[i] - ca[i]) / K;
  return w;
}

/** Per-stimulus terms w_i (folds in order, test rows in order) whose sum is the cell difference. */
export function stimulusDifferences(folds: readonly HeldOutFold[], kind: ScoreKind): Float64Array {
  const held = folds.map((f) => ({ preds: [f.a, f.b], y: f.y }));
  const [ca, cb] = [0, 1].map((q) => stimulusContributions(held, kind, q));
  return contributionDifferences(ca, cb, folds.length);
}

/** Mean over folds of n_test / n_train (1 / (K - 1) for equal folds). */
export function testTrainRatio(foldSizes: readonly number[]): number {
  const n = foldSizes.reduce((s, m) => s + m, 0);
  return foldSizes.reduce((s, m) => s + m / (n - m), 0) / foldSizes.length;
}

export function pairedCell(folds: readonly HeldOutFold[], options: PairedCellOptions): PairedCell {
  return pairedCells(
    folds.map((f) => ({ preds: [f.a, f.b], y: f.y })),
    [[0, 1]],
    options,
  )[0];
}

/**
 * pairedCell of every pair [a, b] of representations (indices into each fold's preds) over the same folds and
 * targets. Every cell equals pairedCell of its two representations alone with the same options; what the pairs
 * share is computed once: the resamples and each representation's resampled fold scores (one GEMM per fold for
 * all of them), its per-stimulus contributions, and the sign vectors of the permutation test.
 */
export function pairedCells(
  folds: readonly HeldOutPredictions[],
  pairs: readonly (readonly [number, number])[],
  options: PairedCellOptions,
): PairedCell[] {
  checkFolds(folds);
  const { kind } = options;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  const permutationSeed = (seed ^ PERMUTATION_SEED_SALT) >>> 0;
  const used = [...new Set(pairs.flat())].sort((x, y) => x - y);
  const P = folds[0].preds.length;
  if (used.some((q) => !(Number.isInteger(q) && q >= 0 && q < P)))
    throw new RangeError(`pairedCells: pairs name representations outside 0..${P - 1}`);
  const at = (q: number) => used.indexOf(q);
  const heldUsed = folds.map((f) => ({ preds: used.map((q) => f.preds[q]), y: f.y }));
  const foldScores = used.map((q) => folds.map((f) => foldScore(f.preds[q], f.y, kind)));
  const sizes = folds.map((f) => f.y.rows);
  const resamples = options.resamples ?? bootstrapResamples(sizes, options.nResamples ?? 1000, seed);
  const boot = bootstrapFoldScores(heldUsed, kind, resamples);
  const contributions = used.map((q) => stimulusContributions(folds, kind, q));
  const ws = pairs.map(([a, b]) => contributionDifferences(contributions[at(a)], contributions[at(b)], folds.length));
  // A non-finite term (a target with an undefined score on one side) leaves that pair's test undefined.
  const testable = ws.filter((w) => w.every(Number.isFinite));
  const tests = signFlipTests(testable, { nPermutations: options.nPermutations, seed: permutationSeed });
  return pairs.map(([a, b], k) => {
    const test = tests[testable.indexOf(ws[k])] ?? { p: NaN, exact: false, nPermutations: 0, seed: permutationSeed };
    const interval = percentileInterval(resampleDifferences(boot[at(a)], boot[at(b)], folds.length), level);
    return cellOf(foldScores[at(a)], foldScores[at(b)], sizes, interval, test, {
      level,
      seed: options.resamples ? null : seed,
      nTargets: folds[0].y.cols,
    });
  });
}

/** The paired cell's record from its parts. */
function cellOf(
  foldA: number[],
  foldB: number[],
  sizes: number[],
  boot: BootstrapInterval,
  test: Pick<SignFlipResult, 'p' | 'exact' | 'nPermutations' | 'seed'>,
  o: { level: number; seed: number | null; nTargets: number },
): PairedCell {
  const foldDifferences = foldA.map((v, k) => foldB[k] - v);
  return {
    a: nanMean(foldA),
    b: nanMean(foldB),
    difference: nanMean(foldDifferences),
    foldA,
    foldB,
    foldDifferences,
    foldCi: tSummary(foldDifferences, o.level),
    foldCiCorrected: tSummary(foldDifferences, o.level, testTrainRatio(sizes)),
    bootstrapCi: {
      lower: boot.lower,
      upper: boot.upper,
      level: o.level,
      se: boot.se,
      nResamples: boot.replicates.length,
      seed: o.seed,
    },
    bootstrapReplicates: boot.replicates.filter(Number.isFinite),
    p: test.p,
    permutation: { exact: test.exact, nPermutations: test.nPermutations, seed: test.seed },
    nStimuli: sizes.reduce((s, m) => s + m, 0),
    nTargets: o.nTargets,
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
