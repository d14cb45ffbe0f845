/**
 * Ridge presets (science.md): how X and Y are transformed globally and per fold, how alpha is chosen and how a
 * fold is scored. The solvers (basis.ts, loo.ts) know nothing about presets.
 *
 * - 'paper':          LN of every row of X and Y over the whole set; no intercept; one alpha shared by all
 *                     targets by exact LOO; fold score per target = cosine(yhat_j, y_j) on the test fold.
 * - 'paper-centred':  as 'paper', then per fold the columns of X and Y are centred with the training means
 *                     (test rows with the same means; still no intercept); score = Pearson r.
 * - 'encoding':       per fold, z-score X and Y columns with training statistics (population sd; a constant
 *                     column keeps scale 1), intercept (leverage + 1/n), one alpha per target by LOO
 *                     (or GCV), score = Pearson r.
 */
import { type CsrMatrix, type DenseMatrix, takeCsrRows, takeRows } from '../matrix';
import { LN_EPS, applyColumnAffine, columnStats, rowLayerNorm } from '../preprocess';
import type { Source } from './source';

export type RidgePreset = 'paper' | 'paper-centred' | 'encoding';

/** The paper's grid: 10^-8 ... 10^8 (17 values). */
export const PAPER_ALPHAS: readonly number[] = Array.from({ length: 17 }, (_, i) => 10 ** (i - 8));

export interface PresetSpec {
  /** Pre-fold LN of the rows of X and Y. */
  rowLn: boolean;
  /** Per-fold column transform with training statistics. */
  columns: 'none' | 'centre' | 'zscore';
  intercept: boolean;
  alpha: 'shared' | 'per-target';
  score: 'cosine' | 'pearson';
}

export const PRESETS: Record<RidgePreset, PresetSpec> = {
  paper: { rowLn: true, columns: 'none', intercept: false, alpha: 'shared', score: 'cosine' },
  'paper-centred': { rowLn: true, columns: 'centre', intercept: false, alpha: 'shared', score: 'pearson' },
  encoding: { rowLn: false, columns: 'zscore', intercept: true, alpha: 'per-target', score: 'pearson' },
};

/** A source matrix after the preset's global (whole-set) step. */
export type GlobalSource =
  | { kind: 'dense'; x: DenseMatrix }
  | { kind: 'sparse'; s: CsrMatrix; u: Float64Array | null };

/** A population sd this small relative to the mean is treated as 0 (constant column: scale 1). */
const CONST_REL_TOL = 1e-10;

function safeScale(sd: number, mean: number): number {
  return sd > CONST_REL_TOL * Math.max(1, Math.abs(mean)) ? 1 / sd : 1;
}

/**
 * Paper LN of the rows of a CSR matrix without densifying it: returns S with values scaled by 1/(sd_i + eps)
 * and the row shift u_i = -mean_i / (sd_i + eps), i.e. LN(X) = S + u 1'.
 */
export function csrRowLayerNorm(X: CsrMatrix, eps = LN_EPS): { s: CsrMatrix; u: Float64Array } {
  const p = X.cols;
  const u = new Float64Array(X.rows);
  const values = new Float32Array(X.values.length);
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) s += X.values[q];
    const m = s / p;
    let ss = 0;
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) ss += (X.values[q] - m) * (X.values[q] - m);
    ss += (p - (X.indptr[i + 1] - X.indptr[i])) * m * m; // the implicit zeros
    const sd = p > 1 ? Math.sqrt(ss / (p - 1)) : 0;
    const scale = 1 / (sd + eps);
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) values[q] = X.values[q] * scale;
    u[i] = -m * scale;
  }
  return { s: { ...X, values }, u };
}

/** The preset's whole-set step for X. */
export function globalSource(X: DenseMatrix | CsrMatrix, spec: PresetSpec): GlobalSource {
  const sparse = (X as CsrMatrix).indptr !== undefined;
  if (sparse) {
    const S = X as CsrMatrix;
    if (!spec.rowLn) return { kind: 'sparse', s: S, u: null };
    const { s, u } = csrRowLayerNorm(S);
    return { kind: 'sparse', s, u };
  }
  const D = X as DenseMatrix;
  return { kind: 'dense', x: spec.rowLn ? rowLayerNorm(D) : D };
}

/** The preset's whole-set step for Y (float32). */
export function globalTargets(Y: DenseMatrix, spec: PresetSpec): DenseMatrix {
  return spec.rowLn ? rowLayerNorm(Y) : Y;
}

function pick(a: Float64Array | null, idx: Int32Array): Float64Array | null {
  if (!a) return null;
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]];
  return out;
}

/** Column means and (population) sd of S + u 1' over the rows `idx`, without densifying. */
function csrColumnStats(s: CsrMatrix, u: Float64Array | null, idx: Int32Array): { mean: Float64Array; sd: Float64Array } {
  const p = s.cols;
  const n = idx.length;
  let su = 0;
  let suu = 0;
  const sx = new Float64Array(p);
  const sxx = new Float64Array(p); // sum of (x + u)^2 - u^2 over stored entries
  for (const i of idx) {
    const ui = u ? u[i] : 0;
    su += ui;
    suu += ui * ui;
    for (let q = s.indptr[i]; q < s.indptr[i + 1]; q++) {
      const x = s.values[q];
      sx[s.indices[q]] += x;
      sxx[s.indices[q]] += x * x + 2 * x * ui;
    }
  }
  const mean = new Float64Array(p);
  const sd = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    mean[j] = (sx[j] + su) / n;
    const ex2 = (sxx[j] + suu) / n;
    sd[j] = Math.sqrt(Math.max(0, ex2 - mean[j] * mean[j]));
  }
  return { mean, sd };
}

/**
 * Training and test designs of one fold, transformed with the training statistics.
 * @param dtype of transformed dense designs ('f64' keeps centred training columns exactly centred).
 */
export function foldSources(
  g: GlobalSource,
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
  dtype: 'f32' | 'f64' = 'f32',
): { train: Source; test: Source } {
  if (g.kind === 'dense') {
    if (spec.columns === 'none') {
      return { train: { kind: 'dense', x: takeRows(g.x, train) }, test: { kind: 'dense', x: takeRows(g.x, test) } };
    }
    const st = columnStats(g.x, train);
    let scale: Float64Array | null = null;
    if (spec.columns === 'zscore') {
      scale = new Float64Array(st.sd.length);
      for (let j = 0; j < scale.length; j++) scale[j] = safeScale(st.sd[j], st.mean[j]);
    }
    return {
      train: { kind: 'dense', x: applyColumnAffine(g.x, st.mean, scale, train, dtype) },
      test: { kind: 'dense', x: applyColumnAffine(g.x, st.mean, scale, test, dtype) },
    };
  }
  let s = g.s;
  let w: Float64Array | null = null;
  if (spec.columns !== 'none') {
    const st = csrColumnStats(g.s, g.u, train);
    w = new Float64Array(st.mean.length);
    if (spec.columns === 'zscore') {
      // (S + u1' - 1 mean') diag(c): fold c into the values; u is null for the encoding preset.
      const c = new Float64Array(st.sd.length);
      for (let j = 0; j < c.length; j++) {
        c[j] = safeScale(st.sd[j], st.mean[j]);
        w[j] = -st.mean[j] * c[j];
      }
      const values = new Float32Array(s.values.length);
      for (let q = 0; q < values.length; q++) values[q] = s.values[q] * c[s.indices[q]];
      s = { ...s, values };
      if (g.u) throw new Error('foldSources: z-scoring after a row shift is not supported for sparse sources');
    } else {
      for (let j = 0; j < w.length; j++) w[j] = -st.mean[j];
    }
  }
  return {
    train: { kind: 'sparse', s: takeCsrRows(s, train), u: pick(g.u, train), w },
    test: { kind: 'sparse', s: takeCsrRows(s, test), u: pick(g.u, test), w },
  };
}

/** Training and test targets of one fold (float32 or float64 as given), transformed with training statistics. */
export function foldTargets(
  Y: DenseMatrix,
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
  dtype: 'f32' | 'f64' = 'f32',
): { train: DenseMatrix; test: DenseMatrix } {
  if (spec.columns === 'none') return { train: takeRows(Y, train), test: takeRows(Y, test) };
  const st = columnStats(Y, train);
  let scale: Float64Array | null = null;
  if (spec.columns === 'zscore') {
    scale = new Float64Array(st.sd.length);
    for (let j = 0; j < scale.length; j++) scale[j] = safeScale(st.sd[j], st.mean[j]);
  }
  return {
    train: applyColumnAffine(Y, st.mean, scale, train, dtype),
    test: applyColumnAffine(Y, st.mean, scale, test, dtype),
  };
}
