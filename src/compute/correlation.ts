/**
 * Column-wise similarity between predictions and targets, and the small summary statistics used to report
 * cross-validated scores. Sums in float64.
 */
import type { DenseMatrix } from './matrix';

/** Column sums behind columnScores: means (0 for 'cosine'), cross products and squared norms, in float64. */
interface ColumnMoments {
  ma: Float64Array;
  mb: Float64Array;
  sab: Float64Array;
  saa: Float64Array;
  sbb: Float64Array;
}

function columnMoments(A: DenseMatrix, B: DenseMatrix, kind: 'cosine' | 'pearson'): ColumnMoments {
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw new RangeError(`columnScores: shapes ${A.rows}x${A.cols} and ${B.rows}x${B.cols} differ`);
  }
  const { rows: n, cols } = A;
  const a = A.data;
  const b = B.data;
  const ma = new Float64Array(cols);
  const mb = new Float64Array(cols);
  if (kind === 'pearson' && n > 0) {
    for (let i = 0; i < n; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        ma[j] += a[o + j];
        mb[j] += b[o + j];
      }
    }
    for (let j = 0; j < cols; j++) {
      ma[j] /= n;
      mb[j] /= n;
    }
  }
  const sab = new Float64Array(cols);
  const saa = new Float64Array(cols);
  const sbb = new Float64Array(cols);
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const x = a[o + j] - ma[j];
      const y = b[o + j] - mb[j];
      sab[j] += x * y;
      saa[j] += x * x;
      sbb[j] += y * y;
    }
  }
  return { ma, mb, sab, saa, sbb };
}

/**
 * Per-column score between A and B (same shape, samples x columns):
 * - 'cosine': <a_j, b_j> / (||a_j|| ||b_j||) (columns scaled to unit norm, not centred);
 * - 'pearson': the same on columns centred by their own means (Pearson r).
 * A column where either side has zero norm (after centring for 'pearson') scores NaN.
 * (Bootstrap resamples score the same sums as one matrix product: stats/bootstrap-scores.ts.)
 * @returns Float32Array of length cols.
 */
export function columnScores(A: DenseMatrix, B: DenseMatrix, kind: 'cosine' | 'pearson'): Float32Array {
  const { sab, saa, sbb } = columnMoments(A, B, kind);
  const out = new Float32Array(A.cols);
  for (let j = 0; j < A.cols; j++) {
    const d = Math.sqrt(saa[j]) * Math.sqrt(sbb[j]);
    out[j] = d > 0 ? sab[j] / d : NaN;
  }
  return out;
}

/**
 * The score of a constant per-column prediction (the baseline of a mapping: each target predicted by its training
 * mean for every test sample), scored as columnScores scores a prediction, in closed form:
 * - 'cosine': cos(m_j 1, b_j) = sign(m_j) sum_i b_ij / (sqrt(n) ||b_j||); a zero mean is a zero prediction, which
 *   carries nothing: 0;
 * - 'pearson': a constant has no variance, so no correlation with anything: 0 (the limit of r for any prediction
 *   independent of the target, and the chance level of the score).
 * A test column with zero norm (after centring for 'pearson') scores NaN, as columnScores gives it.
 * @param mean per column of B (the prediction); @param B test samples x columns.
 */
export function constantPredictionScores(
  mean: ArrayLike<number>,
  B: DenseMatrix,
  kind: 'cosine' | 'pearson',
): Float32Array {
  const { rows: n, cols, data } = B;
  if (mean.length !== cols) throw new RangeError(`constantPredictionScores: ${mean.length} means for ${cols} columns`);
  const sum = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const b = data[o + j];
      sum[j] += b;
      sq[j] += b * b;
    }
  }
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    // one pass: a constant column's centred norm is rounding, hence the relative floor
    const norm2 = kind === 'pearson' ? sq[j] - (sum[j] * sum[j]) / n : sq[j];
    if (!(norm2 > (kind === 'pearson' ? 1e-12 * sq[j] : 0))) out[j] = NaN;
    else if (kind === 'pearson' || mean[j] === 0) out[j] = 0;
    else out[j] = (Math.sign(mean[j]) * sum[j]) / Math.sqrt(n * norm2);
  }
  return out;
}

/**
 * Each row's share of the mean column score: c_i = (1/m) sum_j (a_ij - ma_j)(b_ij - mb_j) / (||a_j|| ||b_j||)
 * over the m columns with a finite score, so that sum_i c_i = nanMean(columnScores(A, B, kind)) (up to rounding).
 * The norms (and means) are those of all rows, held fixed: the per-stimulus terms a sign-flip test permutes.
 */
export function rowContributions(A: DenseMatrix, B: DenseMatrix, kind: 'cosine' | 'pearson'): Float64Array {
  const { ma, mb, saa, sbb } = columnMoments(A, B, kind);
  const { rows, cols } = A;
  const inv = new Float64Array(cols);
  let m = 0;
  for (let j = 0; j < cols; j++) {
    const d = Math.sqrt(saa[j]) * Math.sqrt(sbb[j]);
    if (d > 0) {
      inv[j] = 1 / d;
      m++;
    }
  }
  const out = new Float64Array(rows);
  if (m === 0) return out.fill(NaN);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += (A.data[o + j] - ma[j]) * (B.data[o + j] - mb[j]) * inv[j];
    out[i] = s / m;
  }
  return out;
}

/** Mean of the finite values (NaN when there are none). */
export function nanMean(x: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) {
      s += x[i];
      n++;
    }
  }
  return n > 0 ? s / n : NaN;
}

/** Median of the finite values (NaN when there are none). */
export function nanMedian(x: ArrayLike<number>): number {
  const v: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) v.push(x[i]);
  if (v.length === 0) return NaN;
  v.sort((p, q) => p - q);
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}
