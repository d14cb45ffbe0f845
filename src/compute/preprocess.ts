/**
 * Row and column normalisations used before ridge regression and the other mapping metrics.
 * All functions take row-major DenseMatrix (samples x units), accumulate in float64 and return a new
 * Float32Array matrix unless stated otherwise; inputs are never modified.
 */
import { columnStats } from './column-stats';
import type { DenseMatrix, FloatArray } from './matrix';

/** Default epsilon added to the row standard deviation in the paper's LN. */
export const LN_EPS = 1e-5;

/**
 * Per-row statistics for layer norm (science.md, ridge "paper" preset step 1).
 * @returns mean[i] over the row's units and scale[i] = 1 / (sd[i] + eps), sd with the n-1 denominator
 *          (0 when the row has a single unit).
 */
export function rowLnStats(X: DenseMatrix, eps = LN_EPS): { mean: Float64Array; scale: Float64Array } {
  const { rows, cols, data } = X;
  const mean = new Float64Array(rows);
  const scale = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[o + j];
    const m = s / cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) {
      const d = data[o + j] - m;
      ss += d * d;
    }
    const sd = cols > 1 ? Math.sqrt(ss / (cols - 1)) : 0;
    mean[i] = m;
    scale[i] = 1 / (sd + eps);
  }
  return { mean, scale };
}

/**
 * Paper LN of every row: (x_i - mean_i) / (sd_i + eps), sd with the n-1 denominator.
 * @param X samples x units (f32 or f64). @returns float32 samples x units.
 */
export function rowLayerNorm(X: DenseMatrix, eps = LN_EPS): DenseMatrix<Float32Array> {
  const { mean, scale } = rowLnStats(X, eps);
  const { rows, cols, data } = X;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const m = mean[i];
    const s = scale[i];
    for (let j = 0; j < cols; j++) out[o + j] = (data[o + j] - m) * s;
  }
  return { rows, cols, data: out };
}

/**
 * (X[rowsIdx] - shift) * scale column-wise: the affine column transform with given statistics
 * (z-scoring with training statistics: shift = mean, scale = 1/sd; centring: scale omitted).
 * @param rowsIdx rows to take (all rows when omitted).
 * @param dtype 'f32' (default) or 'f64' output (float64 keeps training columns centred to 1e-16, which the
 *        intercept's leverage term relies on at tiny alphas).
 */
export function applyColumnAffine<D extends 'f32' | 'f64' = 'f32'>(
  X: DenseMatrix,
  shift: Float64Array | null,
  scale: Float64Array | null,
  rowsIdx?: ArrayLike<number>,
  dtype?: D,
): DenseMatrix<D extends 'f64' ? Float64Array : Float32Array> {
  const { cols, data } = X;
  const n = rowsIdx ? rowsIdx.length : X.rows;
  const out = dtype === 'f64' ? new Float64Array(n * cols) : new Float32Array(n * cols);
  for (let r = 0; r < n; r++) {
    const o = (rowsIdx ? rowsIdx[r] : r) * cols;
    const q = r * cols;
    for (let j = 0; j < cols; j++) {
      let v = data[o + j] - (shift ? shift[j] : 0);
      if (scale) v *= scale[j];
      out[q + j] = v;
    }
  }
  return { rows: n, cols, data: out } as DenseMatrix<D extends 'f64' ? Float64Array : Float32Array>;
}

/** Column z-score of the rows `rowsIdx` with statistics of the rows `statRows` (training statistics). */
export function zscoreColumns(
  X: DenseMatrix,
  statRows?: ArrayLike<number>,
  rowsIdx?: ArrayLike<number>,
): DenseMatrix<Float32Array> {
  const { mean, scale } = columnStats(X, statRows);
  return applyColumnAffine(X, mean, scale, rowsIdx);
}

/** Subtract column means (of `statRows`, all rows when omitted) from the rows `rowsIdx`. */
export function centreColumns(
  X: DenseMatrix,
  statRows?: ArrayLike<number>,
  rowsIdx?: ArrayLike<number>,
): DenseMatrix<Float32Array> {
  const { mean } = columnStats(X, statRows);
  return applyColumnAffine(X, mean, null, rowsIdx);
}

/** Column Euclidean norms, float64. */
export function columnNorms(X: DenseMatrix): Float64Array {
  const { rows, cols, data } = X;
  const ss = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) ss[j] += data[o + j] * data[o + j];
  }
  for (let j = 0; j < cols; j++) ss[j] = Math.sqrt(ss[j]);
  return ss;
}

/**
 * Scale every column to unit Euclidean norm (not centred). Zero columns stay zero.
 * @param centre subtract the column mean first (then the result's columns are z-scores / sqrt(n)).
 */
export function unitNormColumns(X: DenseMatrix, centre = false): DenseMatrix<Float32Array> {
  const shift = centre ? columnStats(X).mean : null;
  const c = applyColumnAffine(X, shift, null);
  const norms = columnNorms(c);
  const { rows, cols, data } = c;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) data[o + j] = norms[j] > 0 ? data[o + j] / norms[j] : 0;
  }
  return c;
}

/** Float64 copy of a typed array (no copy when it already is one and `copy` is false). */
export function asF64(a: FloatArray, copy = false): Float64Array {
  return a instanceof Float64Array && !copy ? a : Float64Array.from(a);
}
