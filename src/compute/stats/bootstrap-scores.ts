/**
 * Both representations' fold scores on every bootstrap resample at once, as products of matrices.
 *
 * A resample of a fold's m test rows is a vector of counts c (sum m): row i drawn c_i times. Every quantity
 * columnScores needs is a count-weighted sum over rows: for target j, sum_i c_i a_ij y_ij, sum_i c_i a_ij^2,
 * sum_i c_i y_ij^2 (and sum_i c_i a_ij, sum_i c_i y_ij for 'pearson'), likewise for b. With C the
 * resamples x m count matrix and S the m x (stats x targets) matrix of per-row products, all of them for all
 * resamples are C S: one float64 GEMM (native dgemm when loaded) per block of targets, instead of
 * resamples x 2 passes over the rows. Then, per resample and target,
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

/** Targets per GEMM block: bounds S (m x 8 x block float64) to ~2000 x 8 x 512 x 8 B = 64 MiB at NSD fold size. */
const TARGET_BLOCK = 512;
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
 * Per resample: [sum over targets of finite a scores, their count, same for b], for one fold.
 * @param counts resamples x m, row-major.
 */
function foldResampleScores(f: HeldOutFold, kind: ScoreKind, counts: Float64Array, R: number): Float64Array {
  const m = f.y.rows;
  const t = f.y.cols;
  const pearson = kind === 'pearson';
  const zero = new Float64Array(t);
  const [ma, mb, my] = pearson ? [colMeans(f.a), colMeans(f.b), colMeans(f.y)] : [zero, zero, zero];
  const nStats = pearson ? 8 : 5; // ay, by, aa, bb, yy (, a, b, y)
  const out = new Float64Array(R * 4);
  const C: DenseMatrix<Float64Array> = { rows: R, cols: m, data: counts };
  for (let j0 = 0; j0 < t; j0 += TARGET_BLOCK) {
    const w = Math.min(TARGET_BLOCK, t - j0);
    const width = nStats * w;
    const S = new Float64Array(m * width);
    for (let i = 0; i < m; i++) {
      const o = i * t + j0;
      const s = i * width;
      for (let j = 0; j < w; j++) {
        const a = f.a.data[o + j] - ma[j0 + j];
        const b = f.b.data[o + j] - mb[j0 + j];
        const y = f.y.data[o + j] - my[j0 + j];
        S[s + j] = a * y;
        S[s + w + j] = b * y;
        S[s + 2 * w + j] = a * a;
        S[s + 3 * w + j] = b * b;
        S[s + 4 * w + j] = y * y;
        if (pearson) {
          S[s + 5 * w + j] = a;
          S[s + 6 * w + j] = b;
          S[s + 7 * w + j] = y;
        }
      }
    }
    const M = matmul(C, { rows: m, cols: width, data: S }, { precision: 'f64' }).data;
    for (let r = 0; r < R; r++) {
      const o = r * width;
      for (let j = 0; j < w; j++) {
        let ay = M[o + j];
        let by = M[o + w + j];
        let aa = M[o + 2 * w + j];
        let bb = M[o + 3 * w + j];
        let yy = M[o + 4 * w + j];
        const rawA = aa;
        const rawB = bb;
        const rawY = yy;
        if (pearson) {
          const sa = M[o + 5 * w + j];
          const sb = M[o + 6 * w + j];
          const sy = M[o + 7 * w + j];
          ay -= (sa * sy) / m;
          by -= (sb * sy) / m;
          aa -= (sa * sa) / m;
          bb -= (sb * sb) / m;
          yy -= (sy * sy) / m;
        }
        if (!(yy > NORM_REL_TOL * rawY)) continue; // y has no norm: both scores NaN
        if (aa > NORM_REL_TOL * rawA) {
          out[r * 4] += ay / (Math.sqrt(aa) * Math.sqrt(yy));
          out[r * 4 + 1]++;
        }
        if (bb > NORM_REL_TOL * rawB) {
          out[r * 4 + 2] += by / (Math.sqrt(bb) * Math.sqrt(yy));
          out[r * 4 + 3]++;
        }
      }
    }
  }
  return out;
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
  const list = [...resamples];
  const R = list.length;
  const diff = new Float64Array(R);
  for (const [k, f] of folds.entries()) {
    const m = f.y.rows;
    const counts = new Float64Array(R * m);
    list.forEach((rs, r) => {
      if (rs.length !== folds.length) throw new RangeError(`resample has ${rs.length} folds, expected ${folds.length}`);
      for (const i of rs[k]) counts[r * m + i]++;
    });
    const s = foldResampleScores(f, kind, counts, R);
    for (let r = 0; r < R; r++) diff[r] += s[r * 4 + 2] / s[r * 4 + 3] - s[r * 4] / s[r * 4 + 1];
  }
  for (let r = 0; r < R; r++) diff[r] /= folds.length;
  return diff;
}
