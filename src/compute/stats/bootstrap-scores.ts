/**
 * Every representation's fold scores on every bootstrap resample at once, as products of matrices.
 *
 * A resample of a fold's m test rows is a vector of counts c (sum m): row i drawn c_i times. Every quantity
 * columnScores needs is a count-weighted sum over rows: for target j, sum_i c_i a_ij y_ij, sum_i c_i a_ij^2,
 * sum_i c_i y_ij^2 (and sum_i c_i a_ij, sum_i c_i y_ij for 'pearson'), likewise for every other representation.
 * With C the resamples x m count matrix and S the m x (stats x targets) matrix of per-row products, all of them
 * for all resamples are C S: one float64 GEMM (native dgemm when loaded) per block of targets, instead of
 * resamples x 2 passes over the rows. The target's own sums enter S once for all representations, so a study
 * unit's pairs share one GEMM. Then, per resample and target,
 *   cosine:  s = Say / sqrt(Saa Syy)
 *   pearson: s = (Say - Sa Sy / m) / sqrt((Saa - Sa^2 / m)(Syy - Sy^2 / m)),
 * the fold score is the mean of the finite s over targets (as nanMean(columnScores(...)) on the resampled rows),
 * and a zero (or, from rounding, relatively negligible) norm scores NaN as in columnScores. For 'pearson' each
 * column is first shifted by its mean over the fold (r is shift-invariant), so the moment form is well
 * conditioned.
 */
import { matmul } from '../linalg/index';
import type { DenseMatrix } from '../matrix';
import type { Resample } from './bootstrap';
import type { HeldOutFold, ScoreKind } from './paired';

/**
 * Columns of S per GEMM block (stats x targets): bounds S to ~2000 x 4096 x 8 B = 64 MiB at NSD fold size, and the
 * product to resamples x 4096 float64, however many representations share it.
 */
const BLOCK_COLUMNS = 4096;
/** A centred sum of squares below this fraction of the raw one is a zero norm (all drawn values equal). */
const NORM_REL_TOL = 1e-12;

/** Column means of a fold's rows (f64). */
function colMeans(M: DenseMatrix): Float64Array {
  const mu = new Float64Array(M.cols);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) mu[j] += M.data[i * M.cols + j];
  for (let j = 0; j < M.cols; j++) mu[j] /= M.rows || 1;
  return mu;
}

/**
 * Per prediction, per resample: [sum over targets of the finite scores, their count], for one fold's test rows.
 * The target's own sums (yy, and y for 'pearson') are formed once for all predictions, so P predictions cost
 * (2 or 3) P + (1 or 2) columns of the GEMM per target instead of (5 or 8) per pair of them.
 * @param counts resamples x m, row-major.
 */
function foldResampleSums(
  preds: readonly DenseMatrix[],
  y: DenseMatrix,
  kind: ScoreKind,
  counts: Float64Array,
  R: number,
): Float64Array[] {
  const m = y.rows;
  const t = y.cols;
  const pearson = kind === 'pearson';
  const P = preds.length;
  const zero = new Float64Array(t);
  const mp = preds.map((a) => (pearson ? colMeans(a) : zero));
  const my = pearson ? colMeans(y) : zero;
  // Columns per target block: py, pp (, p) per prediction, then yy (, y).
  const perPred = pearson ? 3 : 2;
  const nStats = perPred * P + (pearson ? 2 : 1);
  const out = preds.map(() => new Float64Array(R * 2));
  const C: DenseMatrix<Float64Array> = { rows: R, cols: m, data: counts };
  const block = Math.max(1, Math.floor(BLOCK_COLUMNS / nStats));
  for (let j0 = 0; j0 < t; j0 += block) {
    const w = Math.min(block, t - j0);
    const width = nStats * w;
    const S = new Float64Array(m * width);
    const yCol = perPred * P * w;
    for (let i = 0; i < m; i++) {
      const o = i * t + j0;
      const s = i * width;
      for (let j = 0; j < w; j++) {
        const yv = y.data[o + j] - my[j0 + j];
        S[s + yCol + j] = yv * yv;
        if (pearson) S[s + yCol + w + j] = yv;
        for (let q = 0; q < P; q++) {
          const a = preds[q].data[o + j] - mp[q][j0 + j];
          const c = s + perPred * q * w + j;
          S[c] = a * yv;
          S[c + w] = a * a;
          if (pearson) S[c + 2 * w] = a;
        }
      }
    }
    const M = matmul(C, { rows: m, cols: width, data: S }, { precision: 'f64' }).data;
    for (let r = 0; r < R; r++) {
      const o = r * width;
      for (let j = 0; j < w; j++) {
        let yy = M[o + yCol + j];
        const rawY = yy;
        const sy = pearson ? M[o + yCol + w + j] : 0;
        if (pearson) yy -= (sy * sy) / m;
        if (!(yy > NORM_REL_TOL * rawY)) continue; // y has no norm: every score NaN
        for (let q = 0; q < P; q++) {
          const c = o + perPred * q * w + j;
          let ay = M[c];
          let aa = M[c + w];
          const rawA = aa;
          if (pearson) {
            const sa = M[c + 2 * w];
            ay -= (sa * sy) / m;
            aa -= (sa * sa) / m;
          }
          if (aa > NORM_REL_TOL * rawA) {
            out[q][r * 2] += ay / (Math.sqrt(aa) * Math.sqrt(yy));
            out[q][r * 2 + 1]++;
          }
        }
      }
    }
  }
  return out;
}

/** One fold's test rows: the predictions of every representation and the targets (same shape). */
export interface HeldOutPredictions {
  preds: readonly DenseMatrix[];
  y: DenseMatrix;
}

/**
 * Per representation, per resample (in the order given), per fold: the fold score (mean of the finite target
 * scores) on the resampled test rows, fold-major: scores[q][k * R + r].
 */
export function bootstrapFoldScores(
  folds: readonly HeldOutPredictions[],
  kind: ScoreKind,
  resamples: Iterable<Resample>,
): Float64Array[] {
  const list = [...resamples];
  const R = list.length;
  const K = folds.length;
  const P = K ? folds[0].preds.length : 0;
  const scores = Array.from({ length: P }, () => new Float64Array(K * R));
  for (const [k, f] of folds.entries()) {
    const m = f.y.rows;
    const counts = new Float64Array(R * m);
    list.forEach((rs, r) => {
      if (rs.length !== K) throw new RangeError(`resample has ${rs.length} folds, expected ${K}`);
      for (const i of rs[k]) counts[r * m + i]++;
    });
    const sums = foldResampleSums(f.preds, f.y, kind, counts, R);
    for (let q = 0; q < P; q++) for (let r = 0; r < R; r++) scores[q][k * R + r] = sums[q][r * 2] / sums[q][r * 2 + 1];
  }
  return scores;
}

/** Per-resample b - a: the mean over folds of the fold-score differences, from bootstrapFoldScores' output. */
export function resampleDifferences(a: Float64Array, b: Float64Array, K: number): Float64Array {
  const R = a.length / K;
  const diff = new Float64Array(R);
  for (let k = 0; k < K; k++) for (let r = 0; r < R; r++) diff[r] += b[k * R + r] - a[k * R + r];
  for (let r = 0; r < R; r++) diff[r] /= K;
  return diff;
}

/**
 * Per-resample differences: mean over folds of (fold score of b - fold score of a) on the resampled test rows,
 * for resamples in the order given.
 */
export function bootstrapDifferences(
  folds: readonly HeldOutFold[],
  kind: ScoreKind,
  resamples: Iterable<Resample>,
): Float64Array {
  const [a, b] = bootstrapFoldScores(
    folds.map((f) => ({ preds: [f.a, f.b], y: f.y })),
    kind,
    resamples,
  );
  return resampleDifferences(a, b, folds.length);
}
