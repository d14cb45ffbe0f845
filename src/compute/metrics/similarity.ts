/**
 * Representational similarity metrics that need no fitting, applied to one set of stimuli
 * (the cross-validated driver applies them to each test fold).
 */
import { gram, matmul } from '../linalg/matmul';
import type { DenseMatrix } from '../matrix';
import { centreColumnsInPlace, type ProductPrecision } from './columns';

/**
 * RSA as in the authors' code: drop dead stimuli (rows with zero variance across units, all-zero rows
 * included, in X or in Y: their Pearson correlation is undefined), RDM = 1 - Pearson correlation between
 * stimulus patterns (rows), score = Pearson r between the strict upper triangles of the two RDMs.
 * @returns score and the number of stimuli dropped as dead. NaN when fewer than 3 stimuli remain.
 */
export function rsaScore(
  X: DenseMatrix<Float64Array>,
  Y: DenseMatrix<Float64Array>,
): { score: number; deadStimuli: number } {
  if (X.rows !== Y.rows)
    throw new RangeError(`RSA needs the same stimuli in X and Y, got ${X.rows} and ${Y.rows} rows`);
  const zx = rowStandardised(X);
  const zy = rowStandardised(Y);
  const live: number[] = [];
  for (let r = 0; r < X.rows; r++) if (zx.ok[r] && zy.ok[r]) live.push(r);
  const n = live.length;
  const deadStimuli = X.rows - n;
  if (n < 3) return { score: NaN, deadStimuli };
  const rx = rowCorrelations(zx.z, X.cols, live);
  const ry = rowCorrelations(zy.z, Y.cols, live);
  // Pearson between the upper triangles (RDM = 1 - r; the constant 1 and the sign flip cancel).
  return { score: pearson(rx, ry), deadStimuli };
}

/** Rows centred and scaled to unit norm; ok[r] = 0 when row r has zero variance. */
function rowStandardised(M: DenseMatrix<Float64Array>): { z: Float64Array; ok: Uint8Array } {
  const { rows, cols, data } = M;
  const z = new Float64Array(rows * cols);
  const ok = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += data[o + c];
    mean /= cols;
    let ss = 0;
    for (let c = 0; c < cols; c++) {
      const v = data[o + c] - mean;
      z[o + c] = v;
      ss += v * v;
    }
    if (ss > 0) {
      ok[r] = 1;
      const inv = 1 / Math.sqrt(ss);
      for (let c = 0; c < cols; c++) z[o + c] *= inv;
    }
  }
  return { z, ok };
}

/** Strict upper triangle (row by row) of the correlation matrix between the given standardised rows. */
function rowCorrelations(z: Float64Array, cols: number, live: number[]): Float64Array {
  const n = live.length;
  const sub = new Float64Array(n * cols);
  for (let a = 0; a < n; a++) sub.set(z.subarray(live[a] * cols, (live[a] + 1) * cols), a * cols);
  const G = gram({ rows: n, cols, data: sub }, { side: 'rows', precision: 'f64' }).data;
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) out[k++] = G[a * n + b];
  return out;
}

/** Pearson correlation of two equal-length vectors (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) (ma += a[i]), (mb += b[i]);
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * Linear CKA (Kornblith et al. 2019), HSIC form on column-centred X and Y:
 *   CKA = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)
 * computed through unit-space products or, when cheaper, through the equivalent stimulus-space Gram
 * matrices <Kx, Ky>_F / (||Kx||_F ||Ky||_F) with K = Mc Mc^T (form 'auto': stimuli when n < p + q).
 * Precision: float64 products unless 'f32' is asked for. NaN when X or Y is constant.
 */
export function linearCka(
  X: DenseMatrix<Float64Array>,
  Y: DenseMatrix<Float64Array>,
  options: { precision?: ProductPrecision; form?: 'auto' | 'units' | 'stimuli'; debiased?: boolean } = {},
): number {
  if (X.rows !== Y.rows)
    throw new RangeError(`CKA needs the same stimuli in X and Y, got ${X.rows} and ${Y.rows} rows`);
  const xc = centreColumnsInPlace({ rows: X.rows, cols: X.cols, data: Float64Array.from(X.data) });
  const yc = centreColumnsInPlace({ rows: Y.rows, cols: Y.cols, data: Float64Array.from(Y.data) });
  const n = X.rows;
  const p = X.cols;
  const q = Y.cols;
  const prec = options.precision === 'f32' ? 'f32' : 'f64';
  const form = options.form ?? 'auto';
  let cross: number;
  let xx: number;
  let yy: number;
  if (form === 'stimuli' || (form === 'auto' && n < p + q)) {
    // Stimulus space: n x n Gram matrices.
    const kx = gram(xc, { side: 'rows', precision: prec }).data;
    const ky = gram(yc, { side: 'rows', precision: prec }).data;
    cross = dot(kx, ky);
    xx = dot(kx, kx);
    yy = dot(ky, ky);
  } else {
    const yx = matmul(yc, xc, { transA: true, precision: prec }).data;
    const gx = gram(xc, { side: 'cols', precision: prec }).data;
    const gy = gram(yc, { side: 'cols', precision: prec }).data;
    cross = dot(yx, yx);
    xx = dot(gx, gx);
    yy = dot(gy, gy);
  }
  if (options.debiased) {
    // Unbiased HSIC (Song et al. 2012) in feature space, as Kornblith et al.'s feature_space_linear_cka(debiased=True):
    // HSIC_u ~ ||Xc'Yc||^2 - n/(n-2) <r_x, r_y> + |Xc|^2 |Yc|^2 / ((n-1)(n-2)), r = squared row norms (the common
    // factor 1/(n(n-3)) cancels in the ratio). The biased estimate grows with the number of units when n is small.
    if (n < 4) return NaN;
    const rx = rowSquaredNorms(xc);
    const ry = rowSquaredNorms(yc);
    const sx = rx.reduce((a, b) => a + b, 0);
    const sy = ry.reduce((a, b) => a + b, 0);
    const unbiased = (xty: number, a: Float64Array, b: Float64Array, na: number, nb: number) =>
      xty - (n / (n - 2)) * dot(a, b) + (na * nb) / ((n - 1) * (n - 2));
    cross = unbiased(cross, rx, ry, sx, sy);
    xx = unbiased(xx, rx, rx, sx, sx);
    yy = unbiased(yy, ry, ry, sy, sy);
  }
  return xx > 0 && yy > 0 ? cross / Math.sqrt(xx * yy) : NaN;
}

function rowSquaredNorms(M: DenseMatrix<Float64Array>): Float64Array {
  const out = new Float64Array(M.rows);
  for (let r = 0; r < M.rows; r++) {
    let s = 0;
    for (let c = 0; c < M.cols; c++) s += M.data[r * M.cols + c] ** 2;
    out[r] = s;
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
