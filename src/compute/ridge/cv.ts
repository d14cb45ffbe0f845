/**
 * Cross-validated ridge from source units (dense neurons or CSR SAE latents) to targets (voxels or units).
 * fitRidgeCvGroups fits many ROIs over one shared decomposition per fold; fitRidgeCv is its one-group case.
 */
import { tensorBackend } from '../backend';
import { columnStats } from '../column-stats';
import { nanMean, nanMedian } from '../correlation';
import { nanSem } from '../stats/sem';
import { findLiveColumns } from '../dead-units';
import { foldCount } from '../folds';
import { gram, linalgInfo, type LinalgInfo } from '../linalg/index';
import { type CsrMatrix, type DenseMatrix, isCsr, takeCols, takeRows } from '../matrix';
import type { ProgressFn } from '../../progress';
import { type CvContext, type GroupState, now, runFold, zeroTimings } from './cv-fold';
import { chooseFoldEngine, type FoldEngine } from './device-fold';
import {
  type GlobalSource,
  PAPER_ALPHAS,
  PRESETS,
  type PresetSpec,
  type RidgePreset,
  type RidgeScore,
  foldColumnScale,
  globalSource,
  noiseCeilingError,
  resolveScore,
} from './presets';
import type { Precision } from './source';
import { type RidgeWeightsSummary, summariseFolds, type WeightsStat } from './weights';

export { predictFromBasis } from './cv-fold';

export interface RidgeCvOptions {
  preset: RidgePreset;
  /** Fold score: the preset's default, or the other one where the preset allows it (presets.ts). */
  score?: RidgeScore;
  /** Alpha grid (default PAPER_ALPHAS, 10^-8..10^8). */
  alphas?: readonly number[];
  /** Fold index (0..K-1) per stimulus (row). */
  assignment: Int32Array;
  /**
   * Noise ceiling per target (percent, as in NSD), for r |r| / (NC/100): applied where it describes the scores
   * (a Pearson r of targets without row LN: noiseCeilingError in presets.ts), ignored elsewhere.
   */
  noiseCeiling?: Float32Array;
  /** Keep only targets with NC >= this (percent) in the normalised summary. */
  minNoiseCeiling?: number;
  /** Encoding preset: 'loo' (default, scikit-learn RidgeCV) or 'gcv' per target. */
  criterion?: 'loo' | 'gcv';
  /** dtype of the large products: 'auto' (default: f32 from ~2.7e8 multiply-adds per product), 'f32', 'f64'. */
  precision?: Precision | 'auto';
  /** Force the primal or dual form (default: primal when units <= training stimuli). */
  form?: 'auto' | 'primal' | 'dual';
  /**
   * Where each fold runs: 'auto' (default: the GPU fold when the CUDA path is usable and the preset shares one
   * alpha, else TypeScript), 'ts', 'cuda', or 'host' (the GPU fold's orchestration on host BLAS).
   */
  engine?: 'auto' | FoldEngine;
  /**
   * Shared-alpha presets with several groups: 'auto' (default) evaluates the LOO criterion of all groups
   * together (loo-groups.ts) when that costs fewer multiply-adds than group by group; 'together' and
   * 'per-group' force one way (tests compare both). Same criterion either way; only float64 summation order differs.
   */
  groupSearch?: 'auto' | 'together' | 'per-group';
  /**
   * Device fold with several groups: bytes of the groups' B B' stack (fold.c; default 4 GiB). Past it the groups
   * are searched in chunks, each recomputing the alpha-only products; tests set it small to exercise chunks.
   */
  deviceStackBytes?: number;
  /** Keep each fold's test predictions (test rows ascending x kept targets) in the result. */
  returnPredictions?: boolean;
  /**
   * Per group, per fold and kept source unit: the mean |beta| and the L2 norm of beta over the group's kept
   * targets (weights.ts). Costs
   * one more units x n_train x targets product per fold and group, so only when asked; runs the TypeScript fold.
   */
  unitWeights?: boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface RidgeFoldResult {
  fold: number;
  nTrain: number;
  nTest: number;
  form: 'primal' | 'dual';
  /** Rank kept by the decomposition. */
  rank: number;
  /** Shared presets: the chosen alpha. Encoding: NaN. */
  alpha: number;
  /**
   * LOO mean squared error per alpha (grid order): shared presets, length = alphas; encoding (per-target
   * alphas), alphas x kept targets row-major (GCV values with criterion 'gcv').
   */
  looErrors?: Float64Array;
  /** Encoding: chosen alpha per ORIGINAL target (length = Y.cols), NaN for dropped targets. */
  alphaPerTarget?: Float64Array;
  /**
   * Score per ORIGINAL target (length = Y.cols): cosine ('paper') or Pearson r; NaN for targets dropped as dead
   * (and for a kept target whose prediction is identically 0).
   */
  scores: Float32Array;
  /** Mean of the finite scores. */
  meanScore: number;
  /**
   * The same mean for the constant prediction of each kept target by its training mean (in the preset's target
   * space) under the same score: the floor a mapping that ignores the stimuli reaches (correlation.ts
   * constantPredictionScores; 0 under Pearson r and for targets centred with training means).
   */
  baseline: number;
  /** With returnPredictions: Yhat for the test rows (ascending) x kept targets, in the preset's target space. */
  predictions?: DenseMatrix<Float32Array>;
}

export interface RidgeCvTimings {
  preprocess: number;
  gram: number;
  eigh: number;
  basis: number;
  alphaSearch: number;
  predict: number;
  total: number;
}

export interface RidgeCvResult {
  preset: RidgePreset;
  /** The fold score used (cosine or Pearson r per target over the test stimuli). */
  score: RidgeScore;
  alphas: number[];
  assignment: Int32Array;
  nFolds: number;
  /** Source units kept (ascending original indices) and the number dropped as dead. */
  source: { total: number; kept: Int32Array; dropped: number; sparse: boolean };
  /** Targets kept and dropped (dead in some fold's training or test part). */
  targets: { total: number; kept: Int32Array; dropped: number };
  folds: RidgeFoldResult[];
  /** Per original target: mean score over folds (NaN for dropped targets). */
  targetScores: Float32Array;
  /** With unitWeights: per kept source unit (source.kept order), mean |beta| and L2 norm over the kept targets, per fold and averaged. */
  unitWeights?: Record<WeightsStat, RidgeWeightsSummary>;
  /** Mean over folds of the fold mean score, and its SEM across folds. */
  mean: number;
  sem: number;
  /** Mean over folds of the fold baselines (RidgeFoldResult.baseline). */
  baseline: number;
  /** Median over kept targets of targetScores (the ROI median for the encoding preset). */
  median: number;
  /**
   * With noiseCeiling where it applies: normalised = r |r| / (NC/100) for targets with NC >= minNoiseCeiling;
   * mean = the mean of those per-target ratios (not a ratio of means).
   */
  noiseCeiling?: { normalised: Float32Array; mean: number; median: number; kept: number; share: number };
  timings: RidgeCvTimings;
  /** engine: where the folds ran (reason: why not on the GPU). precision: of the TypeScript path's products. */
  info: { backend: string | null; linalg: LinalgInfo; precision: Precision; engine: FoldEngine; engineReason?: string };
}

/** Columns `kept` of a CSR matrix, renumbered 0..kept.length-1. */
export function csrSelectColumns(m: CsrMatrix, kept: Int32Array): CsrMatrix {
  if (kept.length === m.cols) return m;
  const map = new Int32Array(m.cols).fill(-1);
  for (let j = 0; j < kept.length; j++) map[kept[j]] = j;
  const indptr = new Int32Array(m.rows + 1);
  let nnz = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) if (map[m.indices[q]] >= 0) nnz++;
    indptr[i + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let t = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) {
      const c = map[m.indices[q]];
      if (c >= 0) {
        indices[t] = c;
        values[t++] = m.values[q];
      }
    }
  }
  return { rows: m.rows, cols: kept.length, indptr, indices, values };
}

/** One target group (an ROI): columns of Y fitted together (row LN, shared alpha and scores are per group). */
export interface TargetGroup {
  name: string;
  /** Columns of Y (ascending or not; the group's targets in this order). */
  columns: Int32Array;
}

export interface RidgeCvGroupsResult {
  /** One result per group, in the order given; each equals fitRidgeCv on that group's columns alone. */
  groups: RidgeCvResult[];
  /**
   * Whole-call timings: gram/eigh/basis are the shared decompositions (once per fold and precision), the rest
   * sums the groups. Each group's own timings hold only its target work (gram/eigh/basis 0).
   */
  timings: RidgeCvTimings;
  /** Eigendecompositions computed (one per fold). */
  decompositions: number;
}

/**
 * Cross-validated ridge regression for one preset (science.md, ridge-loo.md).
 * @param X stimuli x source units: dense (float32/64) or CSR (kept sparse throughout).
 * @param Y stimuli x targets, float32.
 * Steps: drop dead source units and targets (dead-units.ts), the preset's whole-set transform, then per fold:
 * training-statistics transform, one decomposition, exact LOO alpha(s), prediction of the test fold, scores.
 */
export function fitRidgeCv(
  X: DenseMatrix | CsrMatrix,
  Y: DenseMatrix<Float32Array>,
  options: RidgeCvOptions,
): RidgeCvResult {
  const all = Int32Array.from({ length: Y.cols }, (_, j) => j);
  const r = fitRidgeCvGroups(X, Y, [{ name: 'all', columns: all }], options);
  return { ...r.groups[0], timings: r.timings };
}

/**
 * fitRidgeCv for several target groups over one source: everything that depends only on X (dead units, the
 * global transform, per fold the training/test designs, the Gram, its eigendecomposition and the U/T
 * projections) is computed once per fold and shared; everything that depends on the group (row LN of its
 * targets, alpha(s) by LOO, prediction, scores) is computed per group exactly as fitRidgeCv does alone, so
 * results (alphas and scores) are identical to one fitRidgeCv per group.
 * Memory: one fold at a time holds the designs, the float64 Gram and eigenvectors and U/T (per precision in
 * use); groups are streamed (one group's targets and LOO products at a time).
 * @param options.noiseCeiling per column of Y (each group takes its columns).
 */
export function fitRidgeCvGroups(
  X: DenseMatrix | CsrMatrix,
  Y: DenseMatrix<Float32Array>,
  groups: readonly TargetGroup[],
  options: RidgeCvOptions,
): RidgeCvGroupsResult {
  const t0 = now();
  const { spec, score, alphas } = checkedInputs(X, Y, options);
  const progress = options.onProgress ?? (() => {});
  const K = foldCount(options.assignment);
  const timings = zeroTimings();

  progress({ stage: 'preprocess', done: 0, total: 1 });
  const t = now();
  const liveX = findLiveColumns(X, options.assignment);
  const sparse = isCsr(X);
  const Xk = sparse ? csrSelectColumns(X, liveX.kept) : liveX.dropped ? takeCols(X as DenseMatrix, liveX.kept) : X;
  const gX = globalSource(Xk, spec);
  const p = Xk.cols;
  if (p === 0) throw new RangeError('ridge: no live source units left after dropping dead units');
  const states = liveGroupStates(Y, groups, options.assignment);
  timings.preprocess += now() - t;
  progress({ stage: 'preprocess', done: 1, total: 1 });

  // The device fold returns predictions only; the coefficients need the factorisation on the host.
  const chosen = options.unitWeights
    ? { engine: 'ts' as const, reason: 'ridge weights need the host fold' }
    : chooseFoldEngine(options.engine ?? 'auto', spec, options.criterion);
  const ctx: CvContext = {
    Y,
    options,
    spec,
    score,
    alphas,
    gX,
    p,
    states,
    timings,
    engine: chosen.engine,
    gramOf: trainingGramFromWhole(gX, spec, p),
    check: () => options.signal?.throwIfAborted(),
    progress,
    oneGroupTargets: null,
    decompositions: 0,
  };
  for (let f = 0; f < K; f++) runFold(ctx, f, K);
  progress({ stage: 'fold', done: K, total: K });

  const info = { backend: backendName(), linalg: linalgInfo(), engine: chosen.engine, engineReason: chosen.reason };
  const source = { total: X.cols, kept: liveX.kept, dropped: liveX.dropped, sparse };
  const results = states.map((st) => groupResult(st, { options, score, alphas, K, source, info }));
  for (const st of states)
    for (const key of ['preprocess', 'alphaSearch', 'predict'] as const) timings[key] += st.timings[key];
  timings.total = now() - t0;
  return { groups: results, timings, decompositions: ctx.decompositions };
}

/** The preset, score and alpha grid of a call, after checking the shapes agree; throws RangeError otherwise. */
function checkedInputs(
  X: DenseMatrix | CsrMatrix,
  Y: DenseMatrix<Float32Array>,
  options: RidgeCvOptions,
): { spec: PresetSpec; score: RidgeScore; alphas: number[] } {
  const spec = PRESETS[options.preset];
  if (!spec) throw new Error(`unknown ridge preset "${options.preset}"`);
  const score = resolveScore(options.preset, options.score);
  const alphas = [...(options.alphas ?? PAPER_ALPHAS)];
  if (alphas.length === 0 || alphas.some((a) => !(a > 0))) throw new RangeError('alphas must be positive');
  const { assignment } = options;
  if (X.rows !== Y.rows || assignment.length !== X.rows) {
    throw new RangeError(`X has ${X.rows} rows, Y ${Y.rows}, assignment ${assignment.length}`);
  }
  if (options.noiseCeiling && options.noiseCeiling.length !== Y.cols) {
    throw new RangeError(`noise ceiling has ${options.noiseCeiling.length} values for ${Y.cols} targets`);
  }
  return { spec, score, alphas };
}

/** Each group's live targets (dead targets are a per-column property: one scan over Y serves every group). */
function liveGroupStates(Y: DenseMatrix, groups: readonly TargetGroup[], assignment: Int32Array): GroupState[] {
  const liveAll = findLiveColumns(Y, assignment);
  const isLive = new Uint8Array(Y.cols);
  for (const c of liveAll.kept) isLive[c] = 1;
  return groups.map((group) => {
    const kept: number[] = [];
    group.columns.forEach((c, j) => {
      if (isLive[c]) kept.push(j);
    });
    if (kept.length === 0) {
      throw new RangeError(
        `ridge: no live targets left after dropping dead units${groups.length > 1 ? ` in ${group.name}` : ''}`,
      );
    }
    const k = Int32Array.from(kept);
    return {
      group,
      live: { kept: k, dropped: group.columns.length - k.length },
      yCols: Int32Array.from(k, (j) => group.columns[j]),
      folds: [],
      unitWeights: [],
      timings: zeroTimings(),
      precision: 'f64' as Precision,
    };
  });
}

/**
 * Dense primal without per-fold scaling: X'X over all stimuli once; each fold's training Gram is that minus the
 * test fold's (float64), halving the Gram work over K folds. Null where the preset's fold transform rules it out.
 */
function trainingGramFromWhole(gX: GlobalSource, spec: PresetSpec, p: number): CvContext['gramOf'] {
  let gramAll: DenseMatrix<Float64Array> | null = null;
  return (test, train) => (form) => {
    if (form !== 'primal' || gX.kind !== 'dense' || spec.columns === 'zscore') return null;
    gramAll ??= gram(gX.x, { side: 'cols' });
    const G = gram(takeRows(gX.x, test), { side: 'cols' });
    const g = G.data;
    const all = gramAll.data;
    for (let i = 0; i < g.length; i++) g[i] = all[i] - g[i];
    if (spec.columns === 'centre' || spec.columns === 'unit-norm') {
      // centred training columns: X'X - n mu mu' with mu the training means; unit norm: then diag(c) G diag(c)
      const st = columnStats(gX.x, train);
      const mu = st.mean;
      const c = foldColumnScale(spec, st, train.length);
      const nt = train.length;
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) {
          g[i * p + j] -= nt * mu[i] * mu[j];
          if (c) g[i * p + j] *= c[i] * c[j];
        }
      }
    }
    return G;
  };
}

/** One group's result over the folds: per-target means, the fold summary, the noise-ceiling normalisation. */
function groupResult(
  st: GroupState,
  call: {
    options: RidgeCvOptions;
    score: RidgeScore;
    alphas: number[];
    K: number;
    source: RidgeCvResult['source'];
    info: Omit<RidgeCvResult['info'], 'precision'>;
  },
): RidgeCvResult {
  const { options, score } = call;
  const nAll = st.group.columns.length;
  st.timings.total = st.timings.preprocess + st.timings.alphaSearch + st.timings.predict;
  const result: RidgeCvResult = {
    preset: options.preset,
    score,
    alphas: call.alphas,
    assignment: options.assignment,
    nFolds: call.K,
    source: call.source,
    targets: { total: nAll, kept: st.live.kept, dropped: st.live.dropped },
    folds: st.folds,
    ...foldSummary(st.folds, st.live.kept, nAll),
    baseline: nanMean(st.folds.map((fr) => fr.baseline)),
    timings: st.timings,
    info: { ...call.info, precision: st.precision },
    ...(options.unitWeights
      ? {
          unitWeights: {
            meanAbs: summariseFolds(st.unitWeights.map((w) => w.meanAbs)),
            l2: summariseFolds(st.unitWeights.map((w) => w.l2)),
          },
        }
      : {}),
  };
  return withNoiseCeiling(result, st.group.columns, options);
}

/** Per target the mean score over the folds where it exists, the fold means' mean and SEM, the targets' median. */
function foldSummary(
  folds: readonly RidgeFoldResult[],
  kept: Int32Array,
  nAll: number,
): Pick<RidgeCvResult, 'targetScores' | 'mean' | 'sem' | 'median'> {
  const targetScores = new Float32Array(nAll).fill(NaN);
  for (const c of kept) {
    // Mean over the folds where the score exists (a target constant on one test fold has no Pearson r there).
    let s = 0;
    let m = 0;
    for (const fr of folds) if (Number.isFinite(fr.scores[c])) (s += fr.scores[c]), m++;
    targetScores[c] = m ? s / m : NaN;
  }
  const foldMeans = folds.map((fr) => fr.meanScore);
  return { targetScores, mean: nanMean(foldMeans), sem: nanSem(foldMeans), median: nanMedian(targetScores) };
}

/** The noise-ceiling normalisation of a result, where it applies (a Pearson-scored fit with a ceiling). */
function withNoiseCeiling(result: RidgeCvResult, columns: Int32Array, options: RidgeCvOptions): RidgeCvResult {
  // Only a Pearson r of targets the ceiling describes (no row LN across voxels) is normalised (presets.ts).
  if (options.noiseCeiling && noiseCeilingError(options.preset, result.score) === null) {
    const nc = options.noiseCeiling;
    result.noiseCeiling = normaliseByNoiseCeiling(
      result.targetScores,
      Float32Array.from(columns, (c) => nc[c]),
      options.minNoiseCeiling,
    );
  }
  return result;
}

/**
 * One group's result whose fold f is fold f of fits[chosen[f]] (fits of different sources to the same group's
 * targets on the same folds, e.g. SAE candidates chosen per outer fold by select.ts): the fold results as they
 * were, per-target means, summary and noise ceiling recomputed over them. Source and unit weights: of chosen[0].
 */
export function composeFolds(
  fits: readonly RidgeCvResult[],
  chosen: readonly number[],
  columns: Int32Array,
  options: RidgeCvOptions,
): RidgeCvResult {
  const base = fits[chosen[0]];
  const folds = chosen.map((c, f) => fits[c].folds[f]);
  const timings = zeroTimings();
  for (const c of new Set(chosen))
    for (const k of Object.keys(timings) as (keyof RidgeCvTimings)[]) timings[k] += fits[c].timings[k];
  const { unitWeights: _u, noiseCeiling: _n, ...rest } = base;
  const result: RidgeCvResult = {
    ...rest,
    folds,
    ...foldSummary(folds, base.targets.kept, base.targets.total),
    timings,
  };
  return withNoiseCeiling(result, columns, options);
}

function backendName(): string | null {
  return tensorBackend()?.name ?? null;
}

/**
 * Noise-ceiling normalisation (science.md): normalised_t = r_t |r_t| / (NC_t / 100) (the explained-variance share
 * r^2 of the ceiling, with r's sign kept so that anti-correlated targets do not count as explained) for targets
 * with a finite r and NC_t >= minNc. Default minNc: none, i.e. every NC_t > 0 (a target with NC 0 has nothing to
 * explain). share = kept / targets with a finite r.
 */
export function normaliseByNoiseCeiling(
  r: Float32Array,
  nc: Float32Array,
  minNc?: number,
): { normalised: Float32Array; mean: number; median: number; kept: number; share: number } {
  if (nc.length !== r.length) throw new RangeError(`noise ceiling has ${nc.length} values for ${r.length} targets`);
  const out = new Float32Array(r.length).fill(NaN);
  let kept = 0;
  let finite = 0;
  for (let t = 0; t < r.length; t++) {
    if (!Number.isFinite(r[t])) continue;
    finite++;
    const ok = minNc !== undefined ? nc[t] >= minNc && nc[t] > 0 : nc[t] > 0;
    if (!ok) continue;
    out[t] = (r[t] * Math.abs(r[t])) / (nc[t] / 100);
    kept++;
  }
  return { normalised: out, mean: nanMean(out), median: nanMedian(out), kept, share: finite ? kept / finite : NaN };
}

/**
 * Summary over a subset of targets (an ROI inside a fit over all voxels): per-fold mean over the subset, their
 * mean and SEM across folds, and the mean and median over the subset of the per-target mean scores.
 */
export function roiSummary(
  result: RidgeCvResult,
  targets: ArrayLike<number>,
): { foldMeans: number[]; mean: number; sem: number; targetMean: number; targetMedian: number; n: number } {
  const foldMeans = result.folds.map((fr) => nanMean(Array.from(targets, (t) => fr.scores[t])));
  const per = Array.from(targets, (t) => result.targetScores[t]);
  return {
    foldMeans,
    mean: nanMean(foldMeans),
    sem: nanSem(foldMeans),
    targetMean: nanMean(per),
    targetMedian: nanMedian(per),
    n: per.filter(Number.isFinite).length,
  };
}
