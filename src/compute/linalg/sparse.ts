/**
 * Products with CSR matrices (SAE latents: k non-zeros per row). Native kernels (multi-threaded C) when the
 * resolved backend's csr implementation is 'native' (src/compute/backend.ts), else TypeScript loops with the same costs. CSR values are float32; sums are float64.
 */
import type { CsrMatrix, DenseMatrix, FloatArray } from '../matrix';
import { nativeLinalg } from '../backend';

function toF32(x: FloatArray): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

/**
 * C = A B (A m x k CSR, B k x n dense; C m x n) or, with transA, C = A' B (A m x k, B m x n; C k x n).
 * Float32 result; each output row is summed in float64. Cost nnz(A) * n.
 */
export function csrMatmulDense(
  A: CsrMatrix,
  B: DenseMatrix,
  opts: { transA?: boolean } = {},
): DenseMatrix<Float32Array> {
  const transA = !!opts.transA;
  const inner = transA ? A.rows : A.cols;
  const outRows = transA ? A.cols : A.rows;
  if (B.rows !== inner) {
    throw new RangeError(`csrMatmulDense: op(A) is ${outRows}x${inner} but B is ${B.rows}x${B.cols}`);
  }
  const n = B.cols;
  const c = new Float32Array(outRows * n);
  const nat = nativeLinalg();
  if (nat) {
    nat.csrMatmulDense(transA, A.rows, A.cols, A.indptr, A.indices, A.values, toF32(B.data), n, c);
    return { rows: outRows, cols: n, data: c };
  }
  const b = B.data;
  const { indptr, indices, values } = A;
  if (!transA) {
    const acc = new Float64Array(n);
    for (let i = 0; i < A.rows; i++) {
      acc.fill(0);
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const v = values[p];
        const o = indices[p] * n;
        for (let j = 0; j < n; j++) acc[j] += v * b[o + j];
      }
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] = acc[j];
    }
  } else {
    const acc = new Float64Array(outRows * n);
    for (let i = 0; i < A.rows; i++) {
      const bi = i * n;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const v = values[p];
        const o = indices[p] * n;
        for (let j = 0; j < n; j++) acc[o + j] += v * b[bi + j];
      }
    }
    for (let t = 0; t < acc.length; t++) c[t] = acc[t];
  }
  return { rows: outRows, cols: n, data: c };
}

/**
 * C = B A' for dense B (m x p) and CSR A (q x p): C is m x q, float32 (each entry summed in float64).
 * E.g. the dual-form cross kernel Ktest,train = Xtest Xtrain' with dense Xtest. Cost m * nnz(A).
 */
export function denseMatmulCsrT(B: DenseMatrix, A: CsrMatrix): DenseMatrix<Float32Array> {
  if (B.cols !== A.cols) throw new RangeError(`denseMatmulCsrT: B is ${B.rows}x${B.cols} but A is ${A.rows}x${A.cols}`);
  const m = B.rows;
  const p = B.cols;
  const q = A.rows;
  const c = new Float32Array(m * q);
  const nat = nativeLinalg();
  if (nat) {
    nat.denseMatmulCsrT(toF32(B.data), m, p, q, A.indptr, A.indices, A.values, c);
    return { rows: m, cols: q, data: c };
  }
  const b = B.data;
  const { indptr, indices, values } = A;
  for (let i = 0; i < m; i++) {
    const bi = i * p;
    const ci = i * q;
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let t = indptr[j]; t < indptr[j + 1]; t++) s += values[t] * b[bi + indices[t]];
      c[ci + j] = s;
    }
  }
  return { rows: m, cols: q, data: c };
}

/** CSC view (column pointers, row indices, values) of a CSR matrix; rows within a column ascend. */
function toCsc(A: CsrMatrix): { colptr: Int32Array; rowidx: Int32Array; vals: Float32Array } {
  const colptr = new Int32Array(A.cols + 1);
  const nnz = A.indptr[A.rows];
  for (let t = 0; t < nnz; t++) colptr[A.indices[t] + 1]++;
  for (let j = 0; j < A.cols; j++) colptr[j + 1] += colptr[j];
  const next = colptr.slice(0, A.cols);
  const rowidx = new Int32Array(nnz);
  const vals = new Float32Array(nnz);
  for (let i = 0; i < A.rows; i++) {
    for (let t = A.indptr[i]; t < A.indptr[i + 1]; t++) {
      const d = next[A.indices[t]]++;
      rowidx[d] = i;
      vals[d] = A.values[t];
    }
  }
  return { colptr, rowidx, vals };
}

/**
 * C = A B' for CSR A (m x p) and CSR B (q x p): dense m x q, float64 sums. Cost sum over the non-zeros (i, c)
 * of A of nnz(B[:, c]), at most m * nnz(B). E.g. Ktest,train = Xtest Xtrain' for sparse latents.
 */
export function csrMatmulCsrT(A: CsrMatrix, B: CsrMatrix): DenseMatrix<Float64Array> {
  if (A.cols !== B.cols) throw new RangeError(`csrMatmulCsrT: A is ${A.rows}x${A.cols} but B is ${B.rows}x${B.cols}`);
  return csrABt(A, B, false);
}

function csrABt(A: CsrMatrix, B: CsrMatrix, symmetric: boolean): DenseMatrix<Float64Array> {
  const m = A.rows;
  const q = B.rows;
  const c = new Float64Array(m * q);
  const nat = nativeLinalg();
  if (nat) {
    nat.csrMatmulCsrT(m, A.indptr, A.indices, A.values, q, B.indptr, B.indices, B.values, A.cols, c, symmetric);
    return { rows: m, cols: q, data: c };
  }
  const { colptr, rowidx, vals } = toCsc(B);
  for (let i = 0; i < m; i++) {
    const ci = i * q;
    for (let t = A.indptr[i]; t < A.indptr[i + 1]; t++) {
      const v = A.values[t];
      const col = A.indices[t];
      for (let s = colptr[col]; s < colptr[col + 1]; s++) {
        const j = rowidx[s];
        if (symmetric && j > i) break; // rows ascend within a column: lower triangle only
        c[ci + j] += v * vals[s];
      }
    }
  }
  if (symmetric) for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) c[j * q + i] = c[i * q + j];
  return { rows: m, cols: q, data: c };
}

/**
 * Gram matrix of a CSR matrix A (n x p), float64, symmetric:
 * side 'cols': A'A (p x p), cost n k^2 for k non-zeros per row;
 * side 'rows': AA' (n x n), cost sum over columns of nnz(column)^2 / 2 (at most n^2 k / 2).
 */
export function csrGram(A: CsrMatrix, side: 'cols' | 'rows'): DenseMatrix<Float64Array> {
  if (side === 'rows') return csrABt(A, A, true);
  const p = A.cols;
  const c = new Float64Array(p * p);
  const nat = nativeLinalg();
  if (nat) {
    nat.csrGramCols(A.rows, p, A.indptr, A.indices, A.values, c);
    return { rows: p, cols: p, data: c };
  }
  const { indptr, indices, values } = A;
  for (let i = 0; i < A.rows; i++) {
    const e = indptr[i + 1];
    for (let s = indptr[i]; s < e; s++) {
      const v = values[s];
      const o = indices[s] * p;
      for (let t = indptr[i]; t < e; t++) c[o + indices[t]] += v * values[t];
    }
  }
  return { rows: p, cols: p, data: c };
}
