/**
 * Column statistics shared by the metrics: sub-matrix extraction (dense or CSR input), centring and
 * unit-norm scaling of columns, and Pearson cross-correlation matrices.
 */
import { isConstantColumn } from '../column-stats';
import { matmul } from '../linalg/matmul';
import { type DenseMatrix, type Matrix, isCsr } from '../matrix';

/**
 * Float64 dense copy of M[rows, cols] (M dense or CSR).
 * @param rows row indices to take, in order.
 * @param cols column indices to take, in order.
 */
export function denseSubmatrix(M: Matrix, rows: ArrayLike<number>, cols: ArrayLike<number>): DenseMatrix<Float64Array> {
  const nr = rows.length;
  const nc = cols.length;
  const out = new Float64Array(nr * nc);
  if (isCsr(M)) {
    // Column position of every source column (-1 when not taken).
    const pos = new Int32Array(M.cols).fill(-1);
    for (let c = 0; c < nc; c++) pos[cols[c]] = c;
    for (let r = 0; r < nr; r++) {
      const src = rows[r];
      for (let p = M.indptr[src]; p < M.indptr[src + 1]; p++) {
        const c = pos[M.indices[p]];
        if (c >= 0) out[r * nc + c] += M.values[p];
      }
    }
  } else {
    const d = M.data;
    for (let r = 0; r < nr; r++) {
      const base = rows[r] * M.cols;
      const o = r * nc;
      for (let c = 0; c < nc; c++) out[o + c] = d[base + cols[c]];
    }
  }
  return { rows: nr, cols: nc, data: out };
}

/**
 * Centre every column and scale it to unit Euclidean norm, in place; returns the matrix.
 * A column with zero variance (constant) becomes all zeros, so its correlation with anything is 0
 * (dead units are removed before the metrics, so this only concerns constant non-zero columns).
 */
export function standardiseColumnsInPlace(M: DenseMatrix<Float64Array>): DenseMatrix<Float64Array> {
  const { rows, cols, data } = M;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  const ss = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[o + c] - mean[c];
      data[o + c] = v;
      ss[c] += v * v;
    }
  }
  const inv = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    // A column whose spread is only rounding noise around its mean is constant.
    inv[c] = isConstantColumn(Math.sqrt(ss[c] / rows), mean[c]) ? 0 : 1 / Math.sqrt(ss[c]);
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) data[o + c] *= inv[c];
  }
  return M;
}

/** Centre every column in place (no scaling); returns the matrix. */
export function centreColumnsInPlace(M: DenseMatrix<Float64Array>): DenseMatrix<Float64Array> {
  const { rows, cols, data } = M;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] -= mean[c];
  return M;
}

/**
 * Products below this many multiply-adds run in float64; above it in float32 on the tensor backend
 * (or the native addon) to keep NSD-sized problems (thousands x thousands x thousands) fast.
 */
export const F64_PRODUCT_LIMIT = 2e9;

export type ProductPrecision = 'auto' | 'f32' | 'f64';

/** A^T B for column-standardised A (n x p) and B (n x q): the p x q Pearson matrix, as Float64Array. */
export function crossProduct(
  A: DenseMatrix<Float64Array>,
  B: DenseMatrix<Float64Array>,
  precision: ProductPrecision = 'auto',
): Float64Array {
  if (A.rows !== B.rows) throw new RangeError(`cross product needs equal row counts, got ${A.rows} and ${B.rows}`);
  const useF64 = precision === 'f64' || (precision === 'auto' && A.rows * A.cols * B.cols <= F64_PRODUCT_LIMIT);
  const C = matmul(A, B, { transA: true, precision: useF64 ? 'f64' : 'f32' });
  return C.data instanceof Float64Array ? C.data : Float64Array.from(C.data);
}

/** Dot product of column a of A and column b of B (same row count). */
export function columnDot(A: DenseMatrix<Float64Array>, a: number, B: DenseMatrix<Float64Array>, b: number): number {
  let s = 0;
  const pa = A.cols;
  const pb = B.cols;
  for (let r = 0; r < A.rows; r++) s += A.data[r * pa + a] * B.data[r * pb + b];
  return s;
}
