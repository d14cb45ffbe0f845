/**
 * Plain array containers shared by the numerical core (compute/, sae/, nsd/, activations/).
 * Row-major ("C order"): element (i, j) of a dense matrix lives at data[i * cols + j].
 * Everything in compute/ takes and returns these (or tfjs tensors inside a function); nothing here
 * knows about HTTP or the database.
 */
export type FloatArray = Float32Array | Float64Array;

export interface DenseMatrix<T extends FloatArray = FloatArray> {
  rows: number;
  cols: number;
  data: T;
}

/** Compressed sparse rows: row i holds indices[indptr[i]..indptr[i+1]) with values alongside. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export type Matrix = DenseMatrix | CsrMatrix;

export function isCsr(m: Matrix): m is CsrMatrix {
  return (m as CsrMatrix).indptr !== undefined;
}

export function denseMatrix<T extends FloatArray>(rows: number, cols: number, data: T): DenseMatrix<T> {
  if (data.length !== rows * cols) {
    throw new RangeError(`dense matrix ${rows}x${cols} needs ${rows * cols} values, got ${data.length}`);
  }
  return { rows, cols, data };
}

export function zerosF32(rows: number, cols: number): DenseMatrix<Float32Array> {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

export function zerosF64(rows: number, cols: number): DenseMatrix<Float64Array> {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Rows `idx` of a dense matrix, copied (same element type). */
export function takeRows<T extends FloatArray>(m: DenseMatrix<T>, idx: ArrayLike<number>): DenseMatrix<T> {
  const Ctor = m.data.constructor as { new (n: number): T };
  const out = new Ctor(idx.length * m.cols);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * m.cols;
    out.set(m.data.subarray(src, src + m.cols), r * m.cols);
  }
  return { rows: idx.length, cols: m.cols, data: out };
}

/** Columns `idx` of a dense matrix, copied (same element type). */
export function takeCols<T extends FloatArray>(m: DenseMatrix<T>, idx: ArrayLike<number>): DenseMatrix<T> {
  const Ctor = m.data.constructor as { new (n: number): T };
  const c = idx.length;
  const out = new Ctor(m.rows * c);
  for (let r = 0; r < m.rows; r++) {
    const base = r * m.cols;
    const o = r * c;
    for (let j = 0; j < c; j++) out[o + j] = m.data[base + idx[j]];
  }
  return { rows: m.rows, cols: c, data: out };
}

/** Rows `idx` of a CSR matrix. */
export function takeCsrRows(m: CsrMatrix, idx: ArrayLike<number>): CsrMatrix {
  let nnz = 0;
  for (let r = 0; r < idx.length; r++) nnz += m.indptr[idx[r] + 1] - m.indptr[idx[r]];
  const indptr = new Int32Array(idx.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (let r = 0; r < idx.length; r++) {
    const a = m.indptr[idx[r]];
    const b = m.indptr[idx[r] + 1];
    indices.set(m.indices.subarray(a, b), p);
    values.set(m.values.subarray(a, b), p);
    p += b - a;
    indptr[r + 1] = p;
  }
  return { rows: idx.length, cols: m.cols, indptr, indices, values };
}

/** Dense float32 copy of a CSR matrix (for tests and small problems). */
export function csrToDense(m: CsrMatrix): DenseMatrix<Float32Array> {
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out[r * m.cols + m.indices[p]] += m.values[p];
  }
  return { rows: m.rows, cols: m.cols, data: out };
}
