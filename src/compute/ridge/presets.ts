/**
 * Ridge presets (science.md): how X and Y are transformed globally and per fold, how alpha is chosen and how a
 * fold is scored. The solvers (basis.ts, loo.ts) know nothing about presets.
 *
 * - 'paper':          LN of every row of X and Y over the whole set; no intercept; one alpha shared by all
 *                     targets by exact LOO; fold score per target = cosine(yhat_j, y_j) on the test fold.
 * - 'paper-centred':  as 'paper', then per fold the columns of X and Y are centred with the training means
 *                     (test rows with the same means; still no intercept); score = Pearson r. Its alpha search
 *                     scores leave-one-out fits that each centre WITHOUT the left-out row (loo.ts), unlike
 *                     scikit-learn's RidgeCV on the pre-centred columns, which interpolates and picks the smallest
 *                     alpha once units >= training stimuli - 1 (SAE latents).
 * - 'encoding':       per fold, z-score X and Y columns with training statistics (population sd; a constant
 *                     column keeps scale 1), intercept (leverage + 1/n), one alpha per target by LOO
 *                     (or GCV), score = Pearson r.
 * - 'centred-own-means': the authors' code before arXiv v1 (align-interp utils.py RidgeRegression at b589eb7):
 *                     no row LN; per fold the columns of X and Y are centred, the training part with the training
 *                     means and the test part with ITS OWN means; no intercept; one alpha shared by all targets by
 *                     exact LOO (RidgeCV(alphas=logspace(-8, 8, 17), fit_intercept=False)); fold score = mean over
 *                     targets of the per-target (over test stimuli) cosine, which on those centred parts is Pearson r.
 * - 'unit-norm-columns': the authors' latest code (utils.py after 96006be): as 'centred-own-means', and every column
 *                     (training part, and test part with its own statistics) scaled to unit Euclidean norm after
 *                     centring. The test X scaling changes the predictions (a different factor per unit), the
 *                     training Y scaling weights the targets in the shared-alpha LOO; the score is again Pearson r.
 * Score choice: 'paper' and 'paper-centred' accept either score (their test parts are not centred with their own
 * means, so cosine and Pearson differ); the other presets score by Pearson r only (for the own-means presets the
 * cosine IS the Pearson r).
 */
import { type CsrMatrix, type DenseMatrix, takeCols, takeCsrRows, takeRows } from '../matrix';
import { columnStats, inverseSdOrOne } from '../column-stats';
import { LN_EPS, applyColumnAffine, rowLayerNorm } from '../preprocess';
import type { Source } from './source';

export type RidgePreset = 'paper' | 'paper-centred' | 'encoding' | 'centred-own-means' | 'unit-norm-columns';
export type RidgeScore = 'cosine' | 'pearson';

/** The paper's grid: 10^-8 ... 10^8 (17 values). */
export const PAPER_ALPHAS: readonly number[] = Array.from({ length: 17 }, (_, i) => 10 ** (i - 8));

export interface PresetSpec {
  /** Pre-fold LN of the rows of X and Y. */
  rowLn: boolean;
  /** Per-fold column transform: centre, z-score (population sd) or centre then scale to unit Euclidean norm. */
  columns: 'none' | 'centre' | 'zscore' | 'unit-norm';
  /** Statistics the test part's columns are transformed with: the training part's, or its own. */
  testStats: 'train' | 'own';
  intercept: boolean;
  /**
   * Each leave-one-out fit of the alpha search centres without its left-out row (true: an intercept is fitted,
   * or, for 'paper-centred', the columns are centred over the fit's own rows as the fold's fit centres them over
   * its training part; the same fit, loo.ts), or reuses the fold's column transform as it is (false:
   * scikit-learn's RidgeCV(fit_intercept=False) on the transformed columns, kept by the presets that claim
   * scikit-learn parity without an intercept).
   */
  looCentresEachFit: boolean;
  alpha: 'shared' | 'per-target';
  /** The default score. */
  score: RidgeScore;
  /** Whether the other score may be asked for (it differs from the default on this preset's test parts). */
  scoreChoice: boolean;
}

export const PRESETS: Record<RidgePreset, PresetSpec> = {
  paper: {
    rowLn: true,
    columns: 'none',
    testStats: 'train',
    intercept: false,
    looCentresEachFit: false,
    alpha: 'shared',
    score: 'cosine',
    scoreChoice: true,
  },
  'paper-centred': {
    rowLn: true,
    columns: 'centre',
    testStats: 'train',
    intercept: false,
    looCentresEachFit: true,
    alpha: 'shared',
    score: 'pearson',
    scoreChoice: true,
  },
  encoding: {
    rowLn: false,
    columns: 'zscore',
    testStats: 'train',
    intercept: true,
    looCentresEachFit: true,
    alpha: 'per-target',
    score: 'pearson',
    scoreChoice: false,
  },
  'centred-own-means': {
    rowLn: false,
    columns: 'centre',
    testStats: 'own',
    intercept: false,
    looCentresEachFit: false,
    alpha: 'shared',
    score: 'pearson',
    scoreChoice: false,
  },
  'unit-norm-columns': {
    rowLn: false,
    columns: 'unit-norm',
    testStats: 'own',
    intercept: false,
    looCentresEachFit: false,
    alpha: 'shared',
    score: 'pearson',
    scoreChoice: false,
  },
};

/** The preset names, in the order the API lists them. */
export const RIDGE_PRESETS = Object.keys(PRESETS) as [RidgePreset, ...RidgePreset[]];

/** Why `score` cannot be asked of `preset` (null when it can). */
export function presetScoreError(preset: RidgePreset, score: RidgeScore): string | null {
  const spec = PRESETS[preset];
  if (score === spec.score || spec.scoreChoice) return null;
  return spec.testStats === 'own'
    ? `preset ${preset} centres each test part with its own means, so its cosine is the Pearson r: use score "pearson"`
    : `preset ${preset} scores by ${spec.score} only`;
}

/**
 * Default minimum noise ceiling (percent) of the voxels kept in a normalised ROI aggregate. 10%: the NC of a voxel
 * with ncsnr ~0.2 averaged over NSD's 3 trials (100 x 0.04 / (0.04 + 1/3) = 10.7%); below it r|r| / (NC/100)
 * multiplies a voxel's r|r| by more than 10, so the few voxels with NC near 0 would dominate the mean of
 * per-voxel ratios. Brain-Score's NSD benchmarks cut harder (NC > 30% on their test set), which empties the
 * smaller higher-level ROIs; `noiseCeiling.minPercent` sets any other threshold (0: every NC > 0).
 */
export const DEFAULT_MIN_NOISE_CEILING = 10;

/**
 * Why a fit's scores cannot be normalised by NSD's ncsnr noise ceiling (null when they can). The ceiling (Allen et
 * al. 2022) is that of a voxel's own betas and of a correlation: it describes neither a cosine nor targets whose
 * rows are layer-normed across the ROI's voxels (each voxel then mixes in every other voxel of the ROI, so its
 * ceiling is not the voxel's). Per-column transforms (centring, z-scoring, unit norm) leave a Pearson r unchanged.
 */
export function noiseCeilingError(preset: RidgePreset, score?: RidgeScore): string | null {
  const spec = PRESETS[preset];
  if (spec.rowLn)
    return `preset ${preset} layer-normalises each stimulus's targets across the ROI's voxels, so its targets are not the betas the ncsnr noise ceiling (Allen et al. 2022) describes; use preset encoding, centred-own-means or unit-norm-columns`;
  const s = score ?? spec.score;
  if (s !== 'pearson') return `preset ${preset} scores by ${s}; the noise ceiling bounds a Pearson r, not a ${s}`;
  return null;
}

/** `{score}` when it is not the preset's default, else `{}`: what a run stores, so that equal requests hash equal. */
export function nonDefaultScore(preset: RidgePreset, score?: RidgeScore): { score?: RidgeScore } {
  return score && score !== PRESETS[preset].score ? { score } : {};
}

/**
 * The method a run's scores are filed under (the `preset` filter of /v1/scores): the preset, or "preset:score" when
 * the score is not the preset's default, so that cosine and Pearson values never mix in one table.
 */
export function scoreMethod(preset: RidgePreset, score?: RidgeScore): string {
  return score && score !== PRESETS[preset].score ? `${preset}:${score}` : preset;
}

/** The score a fit uses: the requested one (checked against the preset) or the preset's default. */
export function resolveScore(preset: RidgePreset, score?: RidgeScore): RidgeScore {
  if (score === undefined) return PRESETS[preset].score;
  const err = presetScoreError(preset, score);
  if (err) throw new RangeError(err);
  return score;
}

/** A source matrix after the preset's global (whole-set) step. */
export type GlobalSource = { kind: 'dense'; x: DenseMatrix } | { kind: 'sparse'; s: CsrMatrix; u: Float64Array | null };

/**
 * Per-column scale of the preset's fold transform from column statistics over n rows (null: centring only).
 * 'unit-norm': the centred column's norm is sd sqrt(n); a constant column (norm 0, where the authors' code would
 * divide by zero) keeps scale 1 and stays 0 after centring.
 */
export function foldColumnScale(
  spec: PresetSpec,
  st: { mean: Float64Array; sd: Float64Array },
  n: number,
): Float64Array | null {
  if (spec.columns !== 'zscore' && spec.columns !== 'unit-norm') return null;
  const root = spec.columns === 'unit-norm' ? Math.sqrt(n) : 1;
  const scale = new Float64Array(st.sd.length);
  for (let j = 0; j < scale.length; j++) scale[j] = inverseSdOrOne(st.sd[j], st.mean[j]) / root;
  return scale;
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
function csrColumnStats(
  s: CsrMatrix,
  u: Float64Array | null,
  idx: Int32Array,
): { mean: Float64Array; sd: Float64Array } {
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

/** Column statistics of a part and the number of rows they were taken over. */
type PartStats = { mean: Float64Array; sd: Float64Array; n: number };

/** The statistics each part is transformed with: the training part's for both, or (testStats 'own') each its own. */
function partStats(
  stats: (rows: Int32Array) => { mean: Float64Array; sd: Float64Array },
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
): [PartStats, PartStats] {
  const tr = { ...stats(train), n: train.length };
  return [tr, spec.testStats === 'own' ? { ...stats(test), n: test.length } : tr];
}

/**
 * Training and test designs of one fold: the preset's column transform with the training statistics, the test
 * part with the training statistics or (testStats 'own') with its own.
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
    const [stTrain, stTest] = partStats((rows) => columnStats(g.x, rows), spec, train, test);
    const part = (rows: Int32Array, st: PartStats): Source => ({
      kind: 'dense',
      x: applyColumnAffine(g.x, st.mean, foldColumnScale(spec, st, st.n), rows, dtype),
    });
    return { train: part(train, stTrain), test: part(test, stTest) };
  }
  if (spec.columns === 'none') {
    const part = (rows: Int32Array): Source => ({
      kind: 'sparse',
      s: takeCsrRows(g.s, rows),
      u: pick(g.u, rows),
      w: null,
    });
    return { train: part(train), test: part(test) };
  }
  // (S + u1' - 1 mean') diag(c): c folds into the values and w = -mean c; u is null when columns are scaled.
  const [stTrain, stTest] = partStats((rows) => csrColumnStats(g.s, g.u, rows), spec, train, test);
  const part = (rows: Int32Array, st: PartStats): Source => {
    const c = foldColumnScale(spec, st, st.n);
    if (c && g.u) throw new Error('foldSources: scaling columns after a row shift is not supported for sparse sources');
    const w = Float64Array.from(st.mean, (m, j) => -m * (c ? c[j] : 1));
    let s = takeCsrRows(g.s, rows);
    if (c) {
      const values = new Float32Array(s.values.length);
      for (let q = 0; q < values.length; q++) values[q] = s.values[q] * c[s.indices[q]];
      s = { ...s, values };
    }
    return { kind: 'sparse', s, u: pick(g.u, rows), w };
  };
  return { train: part(train, stTrain), test: part(test, stTest) };
}

/** Training and test targets of one fold (float32 or float64 as given), transformed as foldSources does X. */
export function foldTargets(
  Y: DenseMatrix,
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
  dtype: 'f32' | 'f64' = 'f32',
): { train: DenseMatrix; test: DenseMatrix } {
  if (spec.columns === 'none') return { train: takeRows(Y, train), test: takeRows(Y, test) };
  const [stTrain, stTest] = partStats((rows) => columnStats(Y, rows), spec, train, test);
  const part = (rows: Int32Array, st: PartStats) =>
    applyColumnAffine(Y, st.mean, foldColumnScale(spec, st, st.n), rows, dtype);
  return { train: part(train, stTrain), test: part(test, stTest) };
}

/**
 * foldTargets(globalTargets(Y[:, cols], spec), spec, train, test, dtype) in one pass over the rows it takes, for the
 * presets without a column transform (the paper's): each row's columns are gathered once into a scratch row, its
 * LN statistics taken there in the order rowLnStats takes them, and the result written straight into the part
 * (same arithmetic, so the same float32 values), instead of copying the group's columns, normalising every row
 * and copying the fold's rows again (4 passes over n x columns, per fold and representation). Other presets,
 * whose column statistics need the whole part first, take the copying path.
 */
export function groupFoldTargets(
  Y: DenseMatrix,
  cols: Int32Array | null,
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
  dtype: 'f32' | 'f64' = 'f32',
): { train: DenseMatrix; test: DenseMatrix } {
  if (!rowsSuffice(Y, spec))
    return foldTargets(globalTargets(cols ? takeCols(Y, cols) : Y, spec), spec, train, test, dtype);
  return { train: lnRows(Y, cols, train, spec.rowLn), test: lnRows(Y, cols, test, spec.rowLn) };
}

/** groupFoldTargets' test part alone (what the paired statistics score predictions against). */
export function groupTestTargets(
  Y: DenseMatrix,
  cols: Int32Array | null,
  spec: PresetSpec,
  train: Int32Array,
  test: Int32Array,
  dtype: 'f32' | 'f64' = 'f32',
): DenseMatrix {
  if (!rowsSuffice(Y, spec)) return groupFoldTargets(Y, cols, spec, train, test, dtype).test;
  return lnRows(Y, cols, test, spec.rowLn);
}

/** Whether a fold's targets are a function of their own rows alone, as float32 (no column transform, float32 Y). */
function rowsSuffice(Y: DenseMatrix, spec: PresetSpec): boolean {
  return spec.columns === 'none' && (spec.rowLn || Y.data instanceof Float32Array);
}

/** Rows `rows` of Y[:, cols] (all columns when cols is null), each row layer-normed when `ln` (rowLayerNorm). */
function lnRows(Y: DenseMatrix, cols: Int32Array | null, rows: Int32Array, ln: boolean): DenseMatrix<Float32Array> {
  const c = cols ? cols.length : Y.cols;
  const out = new Float32Array(rows.length * c);
  const row = new Float64Array(c);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * Y.cols;
    if (cols) for (let j = 0; j < c; j++) row[j] = Y.data[base + cols[j]];
    else for (let j = 0; j < c; j++) row[j] = Y.data[base + j];
    const o = r * c;
    if (!ln) {
      out.set(row, o);
      continue;
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += row[j];
    const m = sum / c;
    let ss = 0;
    for (let j = 0; j < c; j++) {
      const d = row[j] - m;
      ss += d * d;
    }
    const scale = 1 / ((c > 1 ? Math.sqrt(ss / (c - 1)) : 0) + LN_EPS);
    for (let j = 0; j < c; j++) out[o + j] = (row[j] - m) * scale;
  }
  return { rows: rows.length, cols: c, data: out };
}
