/**
 * Ridge design matrices ("sources") and the products the solvers need, for dense units and for sparse SAE
 * latents kept sparse.
 *
 * A sparse source stands for the dense matrix  Xeff = S + u 1' + 1 w'  (S: CSR n x p with the row and column
 * scalings already folded into its values; u: per-row shift, n; w: per-column shift, p). Row LN, column
 * centring and column z-scoring of a sparse matrix all have this form, so no product below densifies S:
 * Gram matrices cost nnz-proportional sparse work plus O(n^2) or O(p^2) rank-one corrections.
 */
import { csrGram, csrMatmulCsrT, csrMatmulDense, gram, matmul } from '../linalg/index';
import type { CsrMatrix, DenseMatrix, FloatArray } from '../matrix';

export type Precision = 'f32' | 'f64';

export interface DenseSource {
  kind: 'dense';
  /** samples x units, already transformed. */
  x: DenseMatrix;
}

export interface SparseSource {
  kind: 'sparse';
  /** samples x units, scalings folded into the values. */
  s: CsrMatrix;
  /** Row shift u (length rows) or null for 0. */
  u: Float64Array | null;
  /** Column shift w (length cols) or null for 0. */
  w: Float64Array | null;
}

export type Source = DenseSource | SparseSource;

export function sourceRows(x: Source): number {
  return x.kind === 'dense' ? x.x.rows : x.s.rows;
}
export function sourceCols(x: Source): number {
  return x.kind === 'dense' ? x.x.cols : x.s.cols;
}

/** Row sums S 1 (float64, length rows). */
function csrRowSums(s: CsrMatrix): Float64Array {
  const out = new Float64Array(s.rows);
  for (let i = 0; i < s.rows; i++) {
    let t = 0;
    for (let q = s.indptr[i]; q < s.indptr[i + 1]; q++) t += s.values[q];
    out[i] = t;
  }
  return out;
}

/** S v (float64, length rows) for v of length cols. */
function csrTimesVec(s: CsrMatrix, v: Float64Array): Float64Array {
  const out = new Float64Array(s.rows);
  for (let i = 0; i < s.rows; i++) {
    let t = 0;
    for (let q = s.indptr[i]; q < s.indptr[i + 1]; q++) t += s.values[q] * v[s.indices[q]];
    out[i] = t;
  }
  return out;
}

/** S' v (float64, length cols) for v of length rows. */
function csrTransTimesVec(s: CsrMatrix, v: Float64Array | null): Float64Array {
  const out = new Float64Array(s.cols);
  for (let i = 0; i < s.rows; i++) {
    const vi = v ? v[i] : 1;
    for (let q = s.indptr[i]; q < s.indptr[i + 1]; q++) out[s.indices[q]] += s.values[q] * vi;
  }
  return out;
}

function sum(a: Float64Array | null): number {
  if (!a) return 0;
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i];
  return t;
}
function dot(a: Float64Array | null, b: Float64Array | null): number {
  if (!a || !b) return 0;
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i] * b[i];
  return t;
}

/**
 * X'X (units x units, Float64Array, symmetric). Dense: gram (float64 sums). Sparse: csrGram(S, 'cols') plus
 * the rank-one terms of the shifts:  S'S + a1' + 1a' + bw' + wb' + (u'u) 11' + (1'u)(1w' + w1') + n ww'
 * with a = S'u, b = S'1.
 */
export function sourceGramCols(x: Source): DenseMatrix<Float64Array> {
  if (x.kind === 'dense') return gram(x.x, { side: 'cols' });
  const { s, u, w } = x;
  const G = csrGram(s, 'cols');
  if (!u && !w) return G;
  const p = s.cols;
  const n = s.rows;
  const a = u ? csrTransTimesVec(s, u) : null;
  const b = w ? csrTransTimesVec(s, null) : null;
  const uu = dot(u, u);
  const su = sum(u);
  const g = G.data;
  for (let i = 0; i < p; i++) {
    const o = i * p;
    for (let j = 0; j < p; j++) {
      let t = uu;
      if (a) t += a[i] + a[j];
      if (w && b) t += b[i] * w[j] + w[i] * b[j] + su * (w[i] + w[j]) + n * w[i] * w[j];
      g[o + j] += t;
    }
  }
  return G;
}

/**
 * A B' (A.rows x B.rows, Float64Array) for two sources over the same units (each with its own shifts: a test part
 * transformed with its own statistics has its own w). Pass the same object twice for XX'.
 * Sparse: S_A S_B' + cA uB' + uA cB' + eA 1' + 1 eB' + p uA uB' + (1'wB) uA 1' + (1'wA) 1 uB' + (wA'wB) 11'
 * with c = S 1, eA = S_A wB, eB = S_B wA.
 */
export function sourceCross(A: Source, B: Source, precision: Precision = 'f64'): DenseMatrix<Float64Array> {
  if (A.kind === 'dense' && B.kind === 'dense') {
    if (A === B) return gram(A.x, { side: 'rows', precision });
    const k = matmul(A.x, B.x, { transB: true, precision: 'f64' });
    return k as DenseMatrix<Float64Array>;
  }
  if (A.kind !== 'sparse' || B.kind !== 'sparse') throw new Error('sourceCross: mixed dense and sparse sources');
  const G = A === B ? csrGram(A.s, 'rows') : csrMatmulCsrT(A.s, B.s);
  const { w: wA, u: uA } = A;
  const { w: wB, u: uB } = B;
  if (!uA && !uB && !wA && !wB) return G;
  const p = A.s.cols;
  const cA = uB ? csrRowSums(A.s) : null;
  const cB = uA ? csrRowSums(B.s) : null;
  const eA = wB ? csrTimesVec(A.s, wB) : null;
  const eB = wA ? (A === B ? eA : csrTimesVec(B.s, wA)) : null;
  const swA = sum(wA);
  const swB = sum(wB);
  const ww = dot(wA, wB);
  const m = A.s.rows;
  const q = B.s.rows;
  const g = G.data;
  for (let i = 0; i < m; i++) {
    const o = i * q;
    const ua = uA ? uA[i] : 0;
    const ca = cA ? cA[i] : 0;
    const ea = eA ? eA[i] : 0;
    for (let j = 0; j < q; j++) {
      const ub = uB ? uB[j] : 0;
      let t = ca * ub + ww + ea + (eB ? eB[j] : 0);
      if (uA) t += ua * ((cB ? cB[j] : 0) + p * ub + swB);
      t += swA * ub;
      g[o + j] += t;
    }
  }
  return G;
}

/**
 * X V (rows x q) for V (units x q). Dense: matmul at `precision`. Sparse: csrMatmulDense (float32) plus
 * u (1'V) + 1 (w'V). Returns Float32Array for 'f32', Float64Array for 'f64' (sparse: converted).
 */
export function sourceTimes(x: Source, V: DenseMatrix, precision: Precision): DenseMatrix {
  if (x.kind === 'dense') return matmul(x.x, V, { precision });
  const { s, u, w } = x;
  const base = csrMatmulDense(s, V);
  const q = V.cols;
  const out: FloatArray = precision === 'f64' ? Float64Array.from(base.data) : base.data;
  if (u || w) {
    const colSum = new Float64Array(q); // 1'V
    const wV = new Float64Array(q); // w'V
    const vd = V.data;
    for (let r = 0; r < V.rows; r++) {
      const o = r * q;
      const wr = w ? w[r] : 0;
      for (let j = 0; j < q; j++) {
        colSum[j] += vd[o + j];
        wV[j] += wr * vd[o + j];
      }
    }
    for (let i = 0; i < s.rows; i++) {
      const ui = u ? u[i] : 0;
      const o = i * q;
      for (let j = 0; j < q; j++) out[o + j] += ui * colSum[j] + (w ? wV[j] : 0);
    }
  }
  return { rows: s.rows, cols: q, data: out };
}
