/**
 * One decomposition per fold that serves every alpha and every target (ridge-loo.md).
 *
 * Both forms produce the same objects:
 *   U  (n_train x q): orthonormal basis of the column space of the training design X (left singular vectors),
 *   s2 (q): the matching squared singular values (eigenvalues of X'X or of XX'), float64,
 *   T  (n_test x q):  Xtest V, so that for any alpha  Yhat_test = T diag(s / (s2 + alpha)) U' Y_train.
 * primal (units <= training stimuli): X'X = V diag(s2) V',  U = X V diag(1/s),   T = Xtest V.
 * dual   (units >  training stimuli): XX' = U diag(s2) U',  T = (Xtest X') U diag(1/s).
 * Directions with s2 <= max(s2) * 1e-10 (or s2 <= 0) are dropped (rank-deficient designs). The floor sits above
 * float32 noise: after the paper's row LN, X 1 = 0 exactly in real numbers, but float32 rounding leaves that
 * direction at ~1e-15 * p * max(s2); scikit-learn (float64) sees it at ~1e-32 and gives it no weight either.
 */
import { matmul, symEig } from '../linalg/index';
import type { DenseMatrix } from '../matrix';
import {
  type Precision,
  type Source,
  sourceCols,
  sourceCross,
  sourceGramCols,
  sourceRows,
  sourceTimes,
} from './source';

/** Relative eigenvalue floor below which a direction is treated as null. */
export const EIG_REL_TOL = 1e-10;

export interface RidgeBasis {
  mode: 'primal' | 'dual';
  /** n_train x q, orthonormal columns (Float64Array for 'f64', Float32Array for 'f32'). */
  U: DenseMatrix;
  /** q squared singular values, descending. */
  s2: Float64Array;
  /** n_test x q: Xtest V (same dtype as U). */
  T: DenseMatrix;
  /**
   * ||U_i||^2 per training row in float64 from the float64 eigenvectors (dual form only; the primal U is a
   * product, its leverages are taken from U itself). A float32 U would put ~1e-7 noise into 1 - h_ii, which
   * at alpha 1e-8 is ~1e-10 in a full-rank dual.
   */
  leverage?: Float64Array;
  /** Seconds: Gram product, eigendecomposition, basis products (U and T). */
  seconds: { gram: number; eigh: number; basis: number };
}

const now = () => performance.now() / 1000;

/**
 * Eigenvalues above the floor, descending, and the indices of their eigenvector columns.
 * @param values ascending eigenvalues from symEig.
 */
function keptDirections(values: Float64Array): { s2: Float64Array; cols: Int32Array } {
  const m = values.length;
  const max = m > 0 ? values[m - 1] : 0;
  const floor = max * EIG_REL_TOL;
  const cols: number[] = [];
  for (let j = m - 1; j >= 0; j--) if (values[j] > floor && values[j] > 0) cols.push(j);
  const s2 = new Float64Array(cols.length);
  for (let k = 0; k < cols.length; k++) s2[k] = values[cols[k]];
  return { s2, cols: Int32Array.from(cols) };
}

/** Columns `cols` of a row-major float64 matrix, scaled by `scale[k]` (or 1), as dtype `precision`. */
function pickColumns(
  A: DenseMatrix<Float64Array>,
  cols: Int32Array,
  scale: Float64Array | null,
  precision: Precision,
): DenseMatrix {
  const q = cols.length;
  const out = precision === 'f64' ? new Float64Array(A.rows * q) : new Float32Array(A.rows * q);
  const a = A.data;
  for (let i = 0; i < A.rows; i++) {
    const o = i * A.cols;
    const r = i * q;
    for (let k = 0; k < q; k++) out[r + k] = a[o + cols[k]] * (scale ? scale[k] : 1);
  }
  return { rows: A.rows, cols: q, data: out };
}

/** Scale column k of M by f[k] in place. */
export function scaleColumnsInPlace(M: DenseMatrix, f: Float64Array): void {
  const { rows, cols, data } = M;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let k = 0; k < cols; k++) data[o + k] *= f[k];
  }
}

/** The precision-independent part of a basis: the Gram's eigendecomposition and the kept directions. */
export interface RidgeDecomposition {
  mode: 'primal' | 'dual';
  /** Eigenvectors (float64): p x m (primal) or n_train x m (dual). */
  vectors: DenseMatrix<Float64Array>;
  s2: Float64Array;
  /** Columns of `vectors` kept, matching s2. */
  cols: Int32Array;
  seconds: { gram: number; eigh: number };
}

/**
 * Gram of the training design for the chosen form and its eigendecomposition: everything of a basis that
 * depends only on X (shared by every target group and both precisions).
 * @param opts.form 'auto' (default): primal when p <= n_train, else dual.
 */
export function ridgeDecomposition(
  train: Source,
  opts: {
    form?: 'auto' | 'primal' | 'dual';
    /** Precomputed Gram of the training design for the chosen form (X'X primal, XX' dual), float64. */
    gram?: (form: 'primal' | 'dual') => DenseMatrix<Float64Array> | null;
  } = {},
): RidgeDecomposition {
  const n = sourceRows(train);
  const p = sourceCols(train);
  const form = opts.form && opts.form !== 'auto' ? opts.form : p <= n ? 'primal' : 'dual';
  let t = now();
  const G = opts.gram?.(form) ?? (form === 'primal' ? sourceGramCols(train) : sourceCross(train, train));
  const tGram = now() - t;
  t = now();
  const eig = symEig(G);
  const tEig = now() - t;
  const { s2, cols } = keptDirections(eig.values);
  return { mode: form, vectors: eig.vectors, s2, cols, seconds: { gram: tGram, eigh: tEig } };
}

/**
 * U, T (and dual leverages) of a decomposition at one precision (see the file comment).
 * @param train training design (n_train x p), already transformed for the preset.
 * @param test test design (n_test x p), transformed with the same (training) statistics.
 */
export function ridgeProjection(d: RidgeDecomposition, train: Source, test: Source, precision: Precision): RidgeBasis {
  const t = now();
  const { s2, cols } = d;
  const q = s2.length;
  const n = sourceRows(train);
  const invS = new Float64Array(q);
  for (let k = 0; k < q; k++) invS[k] = 1 / Math.sqrt(s2[k]);
  let U: DenseMatrix;
  let T: DenseMatrix;
  let leverage: Float64Array | undefined;
  if (d.mode === 'primal') {
    const V = pickColumns(d.vectors, cols, null, precision); // p x q
    U = sourceTimes(train, V, precision);
    scaleColumnsInPlace(U, invS);
    T = sourceTimes(test, V, precision);
  } else {
    U = pickColumns(d.vectors, cols, null, precision); // n x q
    leverage = new Float64Array(n);
    const ev = d.vectors.data;
    const m = d.vectors.cols;
    for (let i = 0; i < n; i++) {
      let l = 0;
      for (let k = 0; k < q; k++) l += ev[i * m + cols[k]] * ev[i * m + cols[k]];
      leverage[i] = l;
    }
    const Kt = sourceCross(test, train); // n_test x n, float64
    const KtP = precision === 'f64' ? Kt : { rows: Kt.rows, cols: Kt.cols, data: Float32Array.from(Kt.data) };
    T = matmul(KtP, U, { precision });
    scaleColumnsInPlace(T, invS);
  }
  return { mode: d.mode, U, s2, T, leverage, seconds: { ...d.seconds, basis: now() - t } };
}

/**
 * Decompose the training design once and project the test design (see the file comment).
 * @param opts.precision dtype of U and T and of the products that form them ('f64' default).
 */
export function ridgeBasis(
  train: Source,
  test: Source,
  opts: {
    form?: 'auto' | 'primal' | 'dual';
    precision?: Precision;
    gram?: (form: 'primal' | 'dual') => DenseMatrix<Float64Array> | null;
  } = {},
): RidgeBasis {
  return ridgeProjection(ridgeDecomposition(train, opts), train, test, opts.precision ?? 'f64');
}
