/**
 * Column-wise similarity between predictions and targets, and the small summary statistics used to report
 * cross-validated scores. Sums in float64.
 */
import type { DenseMatrix } from './matrix';

/**
 * Per-column score between A and B (same shape, samples x columns):
 * - 'cosine': <a_j, b_j> / (||a_j|| ||b_j||) (columns scaled to unit norm, not centred);
 * - 'pearson': the same on columns centred by their own means (Pearson r).
 * A column where either side has zero norm (after centring for 'pearson') scores NaN.
 * @returns Float32Array of length cols.
 */
export function columnScores(A: DenseMatrix, B: DenseMatrix, kind: 'cosine' | 'pearson'): Float32Array {
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw new RangeError(`columnScores: shapes ${A.rows}x${A.cols} and ${B.rows}x${B.cols} differ`);
  }
  const { rows, cols } = A;
  const a = A.data;
  const b = B.data;
  const ma = new Float64Array(cols);
  const mb = new Float64Array(cols);
  if (kind === 'pearson' && rows > 0) {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        ma[j] += a[o + j];
        mb[j] += b[o + j];
      }
    }
    for (let j = 0; j < cols; j++) {
      ma[j] /= rows;
      mb[j] /= rows;
    }
  }
  const sab = new Float64Array(cols);
  const saa = new Float64Array(cols);
  const sbb = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const x = a[o + j] - ma[j];
      const y = b[o + j] - mb[j];
      sab[j] += x * y;
      saa[j] += x * x;
      sbb[j] += y * y;
    }
  }
  const out = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    const d = Math.sqrt(saa[j]) * Math.sqrt(sbb[j]);
    out[j] = d > 0 ? sab[j] / d : NaN;
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

/** Standard error of the mean of the finite values: sd (n-1 denominator) / sqrt(n); NaN when n < 2. */
export function nanSem(x: ArrayLike<number>): number {
  const m = nanMean(x);
  let ss = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) {
      ss += (x[i] - m) * (x[i] - m);
      n++;
    }
  }
  return n > 1 ? Math.sqrt(ss / (n - 1)) / Math.sqrt(n) : NaN;
}
