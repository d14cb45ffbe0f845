/**
 * Efficient leave-one-out errors of ridge for every alpha from one basis (ridge-loo.md).
 *
 * Inputs: U (n x q, orthonormal columns spanning the training design), s2 (q, float64), Y (n x v training
 * targets). With d_j = a / (s2_j + a), g_j = s2_j / (s2_j + a) and B = U'Y:
 *   residual  r = Y - U diag(g) B = R0 + U diag(d) B,   R0 = Y - U B (part of Y outside span U),
 *   leverage  h_i = sum_j U_ij^2 g_j (+ 1/n with an intercept on centred data),
 *   LOO error e_it = r_it / (1 - h_i).
 * 1 - h_i is computed as (1 - ||U_i||^2 - [1/n]) + sum_j U_ij^2 d_j (no cancellation in the alpha part) and
 * clamped below at LOO_DENOM_TOL: a sample with leverage ~1 at a tiny alpha gets a huge (finite) error
 * instead of 0/0.
 * Shared alpha: L(a) = sum_i ||r_i||^2 / (1 - h_i)^2 / (n v), the scikit-learn RidgeCV default; per target:
 * e_t(a) = sum_i r_it^2 / (1 - h_i)^2 / n (RidgeCV alpha_per_target=True), or GCV.
 * Ties: the first minimum in the given alpha order wins (scikit-learn's strict comparison).
 *
 * Leave-one-out fits that centre without the left-out row ('paper-centred', LooOptions.intercept).
 * The fold's fit centres the training columns of X and Y with the training means and fits no intercept; the
 * leave-one-out fit for row i does the same over the other n - 1 rows, with THEIR means xbar_-i, ybar_-i, and
 * predicts row i as ybar_-i + (x_i - xbar_-i)' W_-i. Ridge without intercept on columns centred by the fit's own
 * means is ridge with an unpenalised intercept (solving the intercept's normal equation is what centres), so these
 * are the leave-one-out fits of ridge with an intercept on the n training rows, a linear smoother whose hat matrix
 * is H + 11'/n (span U is orthogonal to 1, as X is centred) and whose residuals are those of the fit without
 * intercept (on centred Y its intercept is 0). The shortcut thus holds with
 *   e_it = r_it / (1 - h_i - 1/n),   r = Y - H Y as above.
 * The search's errors are those of the raw left-out values, like the test fold's, which the fold centres with its
 * training means. Why not the training means for every leave-one-out fit (scikit-learn's RidgeCV(fit_intercept=
 * False) on the centred columns): they make each left-out row minus the sum of the others; with units >= n - 1
 * the fit interpolates, r_i -> 0 while 1 - h_i -> 1/n, so L(a) -> 0 as a -> 0 and the smallest alpha wins
 * whatever the data. With the 1/n, a basis of rank n - 1 spans every centred vector (spansTargets): Y lies in
 * span U, 1 - ||U_i||^2 - 1/n = 0 exactly, and e_it = sum_j U_ij d_j B_jt / sum_j U_ij^2 d_j has a finite limit
 * (each row predicted by the minimum-norm interpolant of the others).
 */
import { gram, matmul } from '../linalg/index';
import { nativeLinalg } from '../backend';
import type { NativeAddon } from '../linalg/native';
import type { DenseMatrix, FloatArray } from '../matrix';
import { looSharedAlphaGroups } from './loo-groups';
import {
  basisLeverage,
  dtypeArray,
  finishSharedAlpha,
  LOO_DENOM_TOL,
  outsideSpan,
  type LooOptions,
  looDenominators,
  outsideSpanParts,
  type SharedAlphaResult,
  shrinkFactors,
  spansTargets,
  weightedRemainder,
} from './loo-parts';
import type { Precision } from './source';

/** Target columns per block in the direct (residual-forming) paths: bounds memory to n x block floats. */
const TARGET_BLOCK = 2048;

export interface PerTargetAlphaResult {
  /** e_t(a) as alphas x targets, row-major, float64. */
  errors: Float64Array;
  /** Chosen alpha index per target. */
  best: Int32Array;
  B: DenseMatrix;
}

function toF32(x: FloatArray): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x);
}
function toF64(x: FloatArray): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

/** U diag(f) (n x q) as dtype `precision`. */
function scaledColumns(U: DenseMatrix, f: Float64Array, precision: Precision): DenseMatrix {
  const { rows, cols, data } = U;
  const out = dtypeArray(precision, rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = data[o + j] * f[j];
  }
  return { rows, cols, data: out };
}

/** Columns [c0, c1) of a row-major matrix (copy). */
export function columnBlock(M: DenseMatrix, c0: number, c1: number): DenseMatrix {
  const w = c1 - c0;
  const Ctor = M.data.constructor as { new (n: number): FloatArray };
  const out = new Ctor(M.rows * w);
  for (let i = 0; i < M.rows; i++) out.set(M.data.subarray(i * M.cols + c0, i * M.cols + c1), i * w);
  return { rows: M.rows, cols: w, data: out };
}

/** In place: A <- A + Bm (same shape). */
function addInPlace(A: DenseMatrix, Bm: DenseMatrix): void {
  const a = A.data;
  const b = Bm.data;
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

/**
 * Training residuals R = Y - U diag(g) U'Y for every alpha, by blocks of at most TARGET_BLOCK targets:
 * yields (alpha index k, first target c0, width w, R as n x w row-major). R = (part of Y outside span U)
 * + U diag(d) B with B = U'Y; the block of Y is only read once, for its outside-span part, which is left out
 * (exactly 0) when the basis spans the targets: its rounding (~1e-7 |Y| in float32) would otherwise swamp the
 * alpha part (~alpha / s2) at tiny alphas, where 1 - h_i is as small.
 */
function* residualBlocks(
  U: DenseMatrix,
  s2: Float64Array,
  Y: DenseMatrix,
  B: DenseMatrix,
  alphas: readonly number[],
  opts: LooOptions & { precision: Precision },
): Generator<{ k: number; c0: number; w: number; r: FloatArray }> {
  const { precision } = opts;
  const spans = spansTargets(U, !!opts.intercept);
  const v = Y.cols;
  for (let c0 = 0; c0 < v; c0 += TARGET_BLOCK) {
    const c1 = Math.min(v, c0 + TARGET_BLOCK);
    const Yb = c0 === 0 && c1 === v ? Y : columnBlock(Y, c0, c1);
    const Bb = c0 === 0 && c1 === v ? B : columnBlock(B, c0, c1);
    const R0 = spans ? null : outsideSpan(U, Yb, Bb, precision);
    for (let k = 0; k < alphas.length; k++) {
      opts.check?.();
      // U diag(d): n q work per (block, alpha), small next to the n q w product; not kept for all alphas.
      const R = matmul(scaledColumns(U, shrinkFactors(s2, alphas[k]).d, precision), Bb, { precision });
      if (R0) addInPlace(R, R0);
      yield { k, c0, w: c1 - c0, r: R.data };
    }
  }
}

/**
 * Shared alpha by exact LOO (scikit-learn RidgeCV, alpha_per_target=False).
 * B = U'Y (n q v) once, then one of two evaluations:
 * - 'weighted-gram' (when q <= 2v): with M = BB', C' = Y B' - U M (n x q), r0_i = ||Y_i||^2 - 2 U_i (YB')_i'
 *   + U_i M U_i' (ridge-loo.md) and w_i = 1 / (1 - h_i)^2, the criterion is
 *     n v L(a) = sum_i w_i r0_i + 2 sum_j d_j sum_i w_i U_ij C'_ij + sum_jk d_j d_k M_jk Omega_jk,
 *   Omega = U' diag(w) U: one symmetric rank-n update (n q^2 multiply-adds) per alpha instead of the general
 *   product (U diag(d)) M (2 n q^2 flops). A full-rank dual basis (q = n) has r0 = 0 and C = 0 exactly.
 * - 'direct' (q > 2v): residuals R = R0 + U diag(d) B formed block by block, n q v per alpha.
 * @param U n x q orthonormal columns; @param s2 q; @param Y n x v (float32 or float64).
 */
export function looSharedAlpha(
  U: DenseMatrix,
  s2: Float64Array,
  Y: DenseMatrix,
  alphas: readonly number[],
  options: LooOptions = {},
): SharedAlphaResult {
  const opts = { ...options, leverage: basisLeverage(U, options) };
  const precision = opts.precision ?? 'f64';
  const q = U.cols;
  const m = alphas.length;
  const path: 'weighted-gram' | 'direct' =
    opts.path && opts.path !== 'auto' ? opts.path : q <= 2 * Y.cols ? 'weighted-gram' : 'direct';
  // The native loop rounds the scaled rows to U's own dtype: used when that is the requested precision.
  const sameType =
    U.data instanceof Float32Array === (precision === 'f32') &&
    (U.data instanceof Float32Array || U.data instanceof Float64Array);
  const nat = path === 'weighted-gram' && sameType && opts.native !== false ? nativeLinalg() : null;
  if (nat && m * q * q * 8 > (opts.maxOmegaBytes ?? 2 ** 30)) {
    return looSharedAlphaGroups(U, s2, [Y], alphas, {
      intercept: opts.intercept,
      precision,
      check: opts.check,
      leverage: opts.leverage,
    })[0];
  }
  const B = matmul(U, Y, { transA: true, precision }); // q x v
  const problem: SharedAlphaProblem = { U, s2, Y, B, alphas, precision, opts };
  if (path === 'direct') return finishSharedAlpha(directErrors(problem), B, path);
  // The native alpha loop (native/src/loo.c) works per block of rows: den, W and the scaled copies of U never exist.
  const errors = nat ? weightedGramErrorsNative(problem, nat) : weightedGramErrorsTs(problem);
  return finishSharedAlpha(errors, B, path);
}

/** One shared-alpha LOO evaluation: the basis, the targets, B = U'Y and the options. */
interface SharedAlphaProblem {
  U: DenseMatrix;
  s2: Float64Array;
  Y: DenseMatrix;
  B: DenseMatrix;
  alphas: readonly number[];
  precision: Precision;
  opts: LooOptions;
}

/**
 * The alpha-independent parts of the weighted-gram criterion: M = BB' (q x q, float64), and r0 (n), C' (n x q)
 * outside the basis, which vanish for a basis that spans the targets (spansTargets: Y lies in span U).
 */
function weightedGramParts(pr: SharedAlphaProblem): { M: Float64Array; r0: Float64Array; ct: FloatArray | null } {
  const { U, Y, B, precision } = pr;
  const M = gram(B, { side: 'rows', precision }).data;
  if (spansTargets(U, !!pr.opts.intercept)) return { M, r0: new Float64Array(U.rows), ct: null };
  return { M, ...outsideSpanParts(U, Y, B, precision) };
}

/** The weighted-gram criterion per alpha with the native alpha loop (every alpha's Omega at once). */
function weightedGramErrorsNative(pr: SharedAlphaProblem, nat: NativeAddon): Float64Array {
  const { U, s2, alphas, opts } = pr;
  const n = U.rows;
  const q = U.cols;
  const m = alphas.length;
  const { M, r0, ct } = weightedGramParts(pr);
  const u = U.data as Float32Array | Float64Array;
  const omega = new Float64Array(m * q * q);
  const baseAll = new Float64Array(m);
  const crossAll = ct ? new Float64Array(m * q) : null;
  // C' in U's element type, as the native loop reads both with one type.
  const ctTyped = ct && (u instanceof Float32Array ? toF32(ct) : toF64(ct));
  const lev = opts.leverage ?? null;
  const r0Arg = ct ? r0 : null;
  const intercept = !!opts.intercept;
  const alphaArr = Float64Array.from(alphas);
  nat.looWeightedGram(u, n, q, lev, s2, alphaArr, r0Arg, ctTyped, intercept, LOO_DENOM_TOL, omega, baseAll, crossAll);
  const errors = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    opts.check?.();
    const Om = omega.subarray(k * q * q, (k + 1) * q * q);
    const cross = crossAll?.subarray(k * q, (k + 1) * q) ?? null;
    errors[k] = weightedGramError(shrinkFactors(s2, alphas[k]).d, M, Om, baseAll[k], cross) / (n * pr.Y.cols);
  }
  return errors;
}

/** The weighted-gram criterion per alpha in TypeScript: Omega = U' diag(w) U by one rank-n update per alpha. */
function weightedGramErrorsTs(pr: SharedAlphaProblem): Float64Array {
  const { U, s2, alphas, precision, opts } = pr;
  const n = U.rows;
  const q = U.cols;
  const m = alphas.length;
  const den = looDenominators(U, s2, alphas, !!opts.intercept, opts.leverage);
  const { M, r0, ct } = weightedGramParts(pr);
  const u = U.data;
  // Alpha-independent parts of the weighted sums, for all alphas at once (weightedRemainder).
  const W = new Float64Array(m * n);
  for (let i = 0; i < W.length; i++) W[i] = 1 / (den[i] * den[i]);
  const rem = ct ? weightedRemainder(U, W, m, r0, ct, precision) : null;
  const baseAll = rem?.base ?? new Float64Array(m);
  const crossAll = rem?.cross ?? null; // m x q
  const errors = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    opts.check?.();
    const { d } = shrinkFactors(s2, alphas[k]);
    const dk = den.subarray(k * n, (k + 1) * n);
    // Omega = (W^1/2 U)' (W^1/2 U): rows of U scaled by 1/den, then one symmetric rank-n update.
    const Us = dtypeArray(precision, n * q);
    for (let i = 0; i < n; i++) {
      const sw = 1 / dk[i];
      const o = i * q;
      for (let j = 0; j < q; j++) Us[o + j] = u[o + j] * sw;
    }
    const Om = gram({ rows: n, cols: q, data: Us }, { side: 'cols', precision }).data;
    const cross = crossAll?.subarray(k * q, (k + 1) * q) ?? null;
    errors[k] = weightedGramError(d, M, Om, baseAll[k], cross) / (n * pr.Y.cols);
  }
  return errors;
}

/** The criterion per alpha from the residuals themselves, formed block by block (n q v per alpha). */
function directErrors(pr: SharedAlphaProblem): Float64Array {
  const { U, s2, Y, B, alphas, precision, opts } = pr;
  const n = U.rows;
  const m = alphas.length;
  const den = looDenominators(U, s2, alphas, !!opts.intercept, opts.leverage);
  const rr = new Float64Array(m * n); // ||r_i||^2 per alpha
  for (const { k, w, r } of residualBlocks(U, s2, Y, B, alphas, { ...opts, precision })) {
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let c = 0; c < w; c++) t += r[i * w + c] * r[i * w + c];
      rr[k * n + i] += t;
    }
  }
  const errors = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let e = 0;
    for (let i = 0; i < n; i++) e += rr[k * n + i] / (den[k * n + i] * den[k * n + i]);
    errors[k] = e / (n * Y.cols);
  }
  return errors;
}

/** n v L(a) = base + 2 d . cross + sum_jl d_j d_l M_jl Omega_jl (clamped at 0), as looSharedAlpha documents. */
function weightedGramError(
  d: Float64Array,
  M: Float64Array,
  Om: Float64Array,
  base: number,
  cross: ArrayLike<number> | null,
): number {
  const q = d.length;
  let quad = 0;
  for (let j = 0; j < q; j++) {
    const o = j * q;
    let t = 0;
    for (let l = 0; l < q; l++) t += d[l] * M[o + l] * Om[o + l];
    quad += d[j] * t;
  }
  let cr = 0;
  if (cross) for (let j = 0; j < q; j++) cr += d[j] * cross[j];
  return Math.max(0, base + 2 * cr + quad);
}

/**
 * One alpha per target (scikit-learn RidgeCV alpha_per_target=True): per alpha the residuals are formed
 * block by block (n q v per alpha) and e_t(a) = sum_i r_it^2 / (1 - h_i)^2 / n.
 * criterion 'gcv' instead uses e_t(a) = (||R0_t||^2 + sum_j d_j^2 B_jt^2) / n / (1 - tr(H)/n)^2, which costs
 * q v per alpha (no residual matrices).
 */
export function looPerTargetAlpha(
  U: DenseMatrix,
  s2: Float64Array,
  Y: DenseMatrix,
  alphas: readonly number[],
  options: LooOptions & { criterion?: 'loo' | 'gcv' } = {},
): PerTargetAlphaResult {
  const opts = { ...options, leverage: basisLeverage(U, options) };
  const precision = opts.precision ?? 'f64';
  const n = U.rows;
  const q = U.cols;
  const v = Y.cols;
  const m = alphas.length;
  const B = matmul(U, Y, { transA: true, precision }); // q x v
  const errors = new Float64Array(m * v);
  if (opts.criterion === 'gcv') {
    const b = B.data;
    const y = Y.data;
    const outside = new Float64Array(v);
    for (let i = 0; i < n; i++) for (let t = 0; t < v; t++) outside[t] += y[i * v + t] * y[i * v + t];
    for (let j = 0; j < q; j++) for (let t = 0; t < v; t++) outside[t] -= b[j * v + t] * b[j * v + t];
    for (let k = 0; k < m; k++) {
      const { d, g } = shrinkFactors(s2, alphas[k]);
      let tr = opts.intercept ? 1 : 0;
      for (let j = 0; j < q; j++) tr += g[j];
      const den = Math.max(1 - tr / n, LOO_DENOM_TOL);
      const row = errors.subarray(k * v, (k + 1) * v);
      for (let t = 0; t < v; t++) row[t] = Math.max(0, outside[t]);
      for (let j = 0; j < q; j++) {
        const dd = d[j] * d[j];
        for (let t = 0; t < v; t++) row[t] += dd * b[j * v + t] * b[j * v + t];
      }
      for (let t = 0; t < v; t++) row[t] /= n * den * den;
    }
  } else {
    const den = looDenominators(U, s2, alphas, !!opts.intercept, opts.leverage);
    for (const { k, c0, w, r } of residualBlocks(U, s2, Y, B, alphas, { ...opts, precision })) {
      const row = errors.subarray(k * v + c0, k * v + c0 + w);
      const acc = new Float64Array(w);
      for (let i = 0; i < n; i++) {
        const dd = den[k * n + i];
        const wi = 1 / (dd * dd);
        const o = i * w;
        for (let c = 0; c < w; c++) acc[c] += r[o + c] * r[o + c] * wi;
      }
      for (let c = 0; c < w; c++) row[c] = acc[c] / n;
    }
  }
  const best = new Int32Array(v).fill(-1);
  for (let t = 0; t < v; t++) {
    for (let k = 0; k < m; k++) {
      const e = errors[k * v + t];
      if (!Number.isNaN(e) && (best[t] < 0 || e < errors[best[t] * v + t])) best[t] = k;
    }
    if (best[t] < 0) best[t] = 0;
  }
  return { errors, best, B };
}
