/**
 * The parts of the leave-one-out criterion that the one-target-set search (loo.ts) and the all-groups search
 * (loo-groups.ts) share: shrink factors, LOO denominators, the remainder outside a rank-deficient basis and the
 * first-minimum choice. See loo.ts for the maths.
 */
import { matmul } from '../linalg/index';
import type { DenseMatrix, FloatArray } from '../matrix';
import type { Precision } from './source';

export function dtypeArray(precision: Precision, n: number): FloatArray {
  return precision === 'f64' ? new Float64Array(n) : new Float32Array(n);
}

/** R0 = Y - U B for one target block. */
export function outsideSpan(U: DenseMatrix, Yb: DenseMatrix, Bb: DenseMatrix, precision: Precision): DenseMatrix {
  const UB = matmul(U, Bb, { precision });
  const r = UB.data;
  const y = Yb.data;
  for (let i = 0; i < r.length; i++) r[i] = y[i] - r[i];
  return UB;
}

/** Lower clamp of 1 - h_ii. */
export const LOO_DENOM_TOL = 1e-12;

export interface LooOptions {
  /**
   * The training data were centred and every leave-one-out fit centres without its row (an intercept is fitted,
   * or the fit centres its own rows: the same fit, loo.ts): adds 1/n to every leverage.
   */
  intercept?: boolean;
  /** dtype of the large products ('f64' default). Leverages and error sums are always float64. */
  precision?: Precision;
  /** Called between alphas (abort checks). */
  check?: () => void;
  /** ||U_i||^2 in float64 when U itself is float32 (RidgeBasis.leverage). */
  leverage?: Float64Array;
  /** Shared alpha: force an evaluation path (default 'auto': the cheaper one). */
  path?: 'auto' | 'weighted-gram' | 'direct';
  /** Shared alpha, weighted-gram path: false keeps the alpha loop in TypeScript (tests compare both). */
  native?: boolean;
  /**
   * Shared alpha, weighted-gram path: the native loop returns every alpha's Omega at once (alphas x q^2
   * float64, 8.8 GB at q = 8,000); above this many bytes (default 1 GiB) the evaluation runs blocked instead
   * (looSharedAlphaGroups with one group, which never holds Omega whole).
   */
  maxOmegaBytes?: number;
}

export interface SharedAlphaResult {
  /** L(a) per alpha (mean squared LOO error over samples and targets), float64. */
  errors: Float64Array;
  /** Index of the chosen alpha (first minimum). */
  best: number;
  /** U'Y (q x v), reused for prediction. */
  B: DenseMatrix;
  /** Which evaluation was used: 'weighted-gram' (n q^2 per alpha) or 'direct' (n q v per alpha). */
  path: 'weighted-gram' | 'direct';
}

/**
 * Whether the basis spans every vector its (centred) targets can be: all n directions, or with centred data
 * (intercept) the n - 1 directions orthogonal to 1. Then the targets lie in span U and 1 - ||U_i||^2 - [1/n] = 0
 * in exact arithmetic, which rounding would otherwise leave at ~1e-16 (float64) or ~1e-7 (float32 U), against
 * an alpha part of ~alpha / s2 in 1 - h_i.
 */
export function spansTargets(U: DenseMatrix, intercept: boolean): boolean {
  return U.cols === U.rows || (intercept && U.cols === U.rows - 1);
}

/**
 * ||U_i||^2 for the leave-one-out denominators: given (RidgeBasis.leverage) or from U, except for a centred
 * basis of rank n - 1 (spansTargets), whose exact value is 1 - 1/n for every row.
 */
export function basisLeverage(U: DenseMatrix, opts: LooOptions): Float64Array | undefined {
  if (!(opts.intercept && U.cols === U.rows - 1)) return opts.leverage;
  return new Float64Array(U.rows).fill(1 - 1 / U.rows);
}

/** d_j and g_j for one alpha. */
export function shrinkFactors(s2: Float64Array, a: number): { d: Float64Array; g: Float64Array } {
  const q = s2.length;
  const d = new Float64Array(q);
  const g = new Float64Array(q);
  for (let j = 0; j < q; j++) {
    d[j] = a / (s2[j] + a);
    g[j] = s2[j] / (s2[j] + a);
  }
  return { d, g };
}

/** 1 - h_i per alpha (alphas x n, float64), clamped at LOO_DENOM_TOL. */
export function looDenominators(
  U: DenseMatrix,
  s2: Float64Array,
  alphas: readonly number[],
  intercept: boolean,
  leverage?: Float64Array,
): Float64Array {
  const { rows: n, cols: q, data: u } = U;
  const m = alphas.length;
  const base = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let lev = 0;
    if (leverage) lev = leverage[i];
    else for (let j = 0; j < q; j++) lev += u[i * q + j] * u[i * q + j];
    base[i] = Math.max(0, 1 - lev - (intercept ? 1 / n : 0));
  }
  // sum_j U_ij^2 d_j(alpha_k) for all alphas at once: (U o U) D' with D' (q x m), one float64 product.
  const U2 = new Float64Array(n * q);
  for (let i = 0; i < u.length; i++) U2[i] = u[i] * u[i];
  const Dt = new Float64Array(q * m);
  for (let k = 0; k < m; k++) {
    const { d } = shrinkFactors(s2, alphas[k]);
    for (let j = 0; j < q; j++) Dt[j * m + k] = d[j];
  }
  const S = matmul({ rows: n, cols: q, data: U2 }, { rows: q, cols: m, data: Dt }, { precision: 'f64' }).data;
  const out = new Float64Array(m * n);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) out[k * n + i] = Math.max(base[i] + S[i * m + k], LOO_DENOM_TOL);
  }
  return out;
}

/**
 * The parts of the weighted-gram criterion outside a basis that is not full rank (looSharedAlpha), from the
 * remainder R0 = Y - U B itself (B = U'Y): r0_i = ||R0_i||^2 (n) and C' = R0 B' = Y B' - U M (n x q).
 * Forming R0 costs n q v more than expanding ||Y_i||^2 - 2 U_i (YB')_i' + U_i M U_i', but that expansion
 * cancels to ~0 when Y lies (nearly) in span U, and in float32 leaves noise that w_i ~ 1/(1-h_i)^2 multiplies.
 */
export function outsideSpanParts(
  U: DenseMatrix,
  Y: DenseMatrix,
  B: DenseMatrix,
  precision: Precision,
): { r0: Float64Array; ct: FloatArray } {
  const n = U.rows;
  const v = Y.cols;
  const R0 = outsideSpan(U, Y, B, precision);
  const r = R0.data;
  const r0 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let c = 0; c < v; c++) t += r[i * v + c] * r[i * v + c];
    r0[i] = t;
  }
  return { r0, ct: matmul(R0, B, { transB: true, precision }).data };
}

/**
 * The alpha-dependent sums of the remainder parts for every alpha in two products:
 * base_k = sum_i w_ki r0_i and cross_kj = sum_i w_ki U_ij C'_ij, with w (alphas x n), w_ki = 1/(1 - h_ki)^2.
 */
export function weightedRemainder(
  U: DenseMatrix,
  w: Float64Array,
  m: number,
  r0: Float64Array,
  ct: FloatArray,
  precision: Precision,
): { base: Float64Array; cross: Float64Array } {
  const n = U.rows;
  const q = U.cols;
  const u = U.data;
  const base = new Float64Array(m);
  for (let k = 0; k < m; k++) for (let i = 0; i < n; i++) base[k] += w[k * n + i] * r0[i];
  const E = dtypeArray(precision, n * q);
  for (let i = 0; i < E.length; i++) E[i] = u[i] * ct[i];
  const cross = matmul({ rows: m, cols: n, data: w }, { rows: n, cols: q, data: E }, { precision: 'f64' })
    .data as Float64Array;
  return { base, cross };
}

/** The first minimum over alphas (scikit-learn's strict comparison), NaN errors skipped. */
export function finishSharedAlpha(
  errors: Float64Array,
  B: DenseMatrix,
  path: 'weighted-gram' | 'direct',
): SharedAlphaResult {
  let best = -1;
  for (let k = 0; k < errors.length; k++) {
    if (!Number.isNaN(errors[k]) && (best < 0 || errors[k] < errors[best])) best = k;
  }
  return { errors, best: Math.max(best, 0), B, path };
}
