/**
 * Cross-validated ridge from source units (dense neurons or CSR SAE latents) to targets (voxels or units).
 * fitRidgeCvGroups fits many ROIs over one shared decomposition per fold; fitRidgeCv is its one-group case.
 */
import { activeBackend } from '../backend';
import { nanMean, nanMedian, nanSem, columnScores } from '../correlation';
import { findLiveColumns } from '../dead-units';
import { foldCount, foldIndices } from '../folds';
import { gram, linalgInfo, matmul, type LinalgInfo } from '../linalg/index';
import { type CsrMatrix, type DenseMatrix, isCsr, takeCols, takeRows } from '../matrix';
import { columnStats } from '../column-stats';
import {
  type RidgeBasis,
  type RidgeDecomposition,
  ridgeDecomposition,
  ridgeProjection,
  scaleColumnsInPlace,
} from './basis';
import { chooseFoldEngine, runDeviceFold, type FoldEngine } from './device-fold';
import { looPerTargetAlpha, looSharedAlpha, type SharedAlphaResult } from './loo';
import { groupSearchCost, looSharedAlphaGroups } from './loo-groups';
import {
  PAPER_ALPHAS,
  PRESETS,
  type RidgePreset,
  type RidgeScore,
  foldColumnScale,
  foldSources,
  foldTargets,
  globalSource,
  globalTargets,
  resolveScore,
} from './presets';
import type { Precision, Source } from './source';
import { type RidgeWeightsSummary, ridgeFoldUnitWeights, summariseFolds, type WeightsStat } from './weights';

export interface RidgeCvOptions {
  preset: RidgePreset;
  /** Fold score: the preset's default, or the other one where the preset allows it (presets.ts). */
  score?: RidgeScore;
  /** Alpha grid (default PAPER_ALPHAS, 10^-8..10^8). */
  alphas?: readonly number[];
  /** Fold index (0..K-1) per stimulus (row). */
  assignment: Int32Array;
  /** Pearson-scored presets: noise ceiling per target (percent, as in NSD), for r |r| / (NC/100). */
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
  /** Keep each fold's test predictions (test rows ascending x kept targets) in the result. */
  returnPredictions?: boolean;
  /**
   * Per group, per fold and kept source unit: the mean |beta| and the L2 norm of beta over the group's kept
   * targets (weights.ts). Costs
   * one more units x n_train x targets product per fold and group, so only when asked; runs the TypeScript fold.
   */
  unitWeights?: boolean;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
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
  /** Median over kept targets of targetScores (the ROI median for the encoding preset). */
  median: number;
  /** With noiseCeiling and a Pearson-scored preset: normalised = r |r| / (NC/100) for targets with NC >= minNoiseCeiling. */
  noiseCeiling?: { normalised: Float32Array; mean: number; median: number; kept: number; share: number };
  timings: RidgeCvTimings;
  /** engine: where the folds ran (reason: why not on the GPU). precision: of the TypeScript path's products. */
  info: { backend: string | null; linalg: LinalgInfo; precision: Precision; engine: FoldEngine; engineReason?: string };
}

const now = () => performance.now() / 1000;

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

function choosePrecision(opt: RidgeCvOptions['precision'], n: number, p: number, v: number): Precision {
  if (opt === 'f32' || opt === 'f64') return opt;
  return n * Math.max(p, Math.min(n, p)) * v >= 2 ** 28 ? 'f32' : 'f64';
}

/**
 * Yhat = T diag(s / (s2 + alpha_t)) B for each target t (targets grouped by their alpha index).
 * @param T n_test x q; @param B q x v; @param alphaIdx per target; returns n_test x v float32.
 */
export function predictFromBasis(
  T: DenseMatrix,
  s2: Float64Array,
  B: DenseMatrix,
  alphas: readonly number[],
  alphaIdx: Int32Array,
  precision: Precision,
): DenseMatrix<Float32Array> {
  const q = s2.length;
  const v = B.cols;
  const out = new Float32Array(T.rows * v);
  const groups = new Map<number, number[]>();
  for (let t = 0; t < v; t++) {
    const g = groups.get(alphaIdx[t]);
    if (g) g.push(t);
    else groups.set(alphaIdx[t], [t]);
  }
  for (const [k, targets] of groups) {
    const f = new Float64Array(q);
    for (let j = 0; j < q; j++) f[j] = Math.sqrt(s2[j]) / (s2[j] + alphas[k]);
    const Tf: DenseMatrix = { rows: T.rows, cols: q, data: T.data.slice() };
    scaleColumnsInPlace(Tf, f);
    const Bg = targets.length === v ? B : takeCols(B, targets);
    const Yg = matmul(Tf, Bg, { precision });
    if (targets.length === v) out.set(Yg.data);
    else {
      const w = targets.length;
      for (let i = 0; i < T.rows; i++) for (let c = 0; c < w; c++) out[i * v + targets[c]] = Yg.data[i * w + c];
    }
  }
  return { rows: T.rows, cols: v, data: out };
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

/** The per-group state kept across folds: live targets and fold results (the targets themselves are re-read per fold). */
interface GroupState {
  group: TargetGroup;
  live: { kept: Int32Array; dropped: number };
  /** Columns of Y of the live targets. */
  yCols: Int32Array;
  folds: RidgeFoldResult[];
  /** With unitWeights: per fold, one per-unit array per statistic. */
  unitWeights: Record<WeightsStat, Float64Array>[];
  timings: RidgeCvTimings;
  precision: Precision;
}

const zeroTimings = (): RidgeCvTimings => ({
  preprocess: 0,
  gram: 0,
  eigh: 0,
  basis: 0,
  alphaSearch: 0,
  predict: 0,
  total: 0,
});

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
  const spec = PRESETS[options.preset];
  if (!spec) throw new Error(`unknown ridge preset "${options.preset}"`);
  const score = resolveScore(options.preset, options.score);
  const alphas = [...(options.alphas ?? PAPER_ALPHAS)];
  if (alphas.length === 0 || alphas.some((a) => !(a > 0))) throw new RangeError('alphas must be positive');
  const { assignment, signal } = options;
  if (X.rows !== Y.rows || assignment.length !== X.rows) {
    throw new RangeError(`X has ${X.rows} rows, Y ${Y.rows}, assignment ${assignment.length}`);
  }
  if (options.noiseCeiling && options.noiseCeiling.length !== Y.cols) {
    throw new RangeError(`noise ceiling has ${options.noiseCeiling.length} values for ${Y.cols} targets`);
  }
  const check = () => signal?.throwIfAborted();
  const progress = options.onProgress ?? (() => {});
  const K = foldCount(assignment);
  const timings = zeroTimings();

  progress({ stage: 'preprocess', done: 0, total: 1 });
  let t = now();
  const liveX = findLiveColumns(X, assignment);
  const sparse = isCsr(X);
  const Xk = sparse ? csrSelectColumns(X, liveX.kept) : liveX.dropped ? takeCols(X as DenseMatrix, liveX.kept) : X;
  const gX = globalSource(Xk, spec);
  const p = Xk.cols;
  if (p === 0) throw new RangeError('ridge: no live source units left after dropping dead units');
  // Dead targets are a per-column property: one scan over Y serves every group.
  const liveAll = findLiveColumns(Y, assignment);
  const isLive = new Uint8Array(Y.cols);
  for (const c of liveAll.kept) isLive[c] = 1;
  const states: GroupState[] = groups.map((group) => {
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
  timings.preprocess += now() - t;
  progress({ stage: 'preprocess', done: 1, total: 1 });

  // Dense primal without per-fold scaling: X'X over all stimuli once; each fold's training Gram is that minus
  // the test fold's (float64), halving the Gram work over K folds.
  let gramAll: DenseMatrix<Float64Array> | null = null;
  const gramOf = (test: Int32Array, train: Int32Array) => (form: 'primal' | 'dual') => {
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
  const G = states.length;
  let oneGroupTargets: DenseMatrix | null = null;
  let decompositions = 0;
  // The device fold returns predictions only; the coefficients need the factorisation on the host.
  const chosen = options.unitWeights
    ? { engine: 'ts' as const, reason: 'ridge weights need the host fold' }
    : chooseFoldEngine(options.engine ?? 'auto', spec, options.criterion);
  const { engine, reason: engineReason } = chosen;
  for (let f = 0; f < K; f++) {
    check();
    progress({ stage: 'fold', done: f, total: K });
    const { train, test } = foldIndices(assignment, f);
    // The design's dtype and the projections follow each group's precision (as fitRidgeCv alone would
    // choose for that group's size); the decomposition itself is float64 and shared by both.
    const designs = new Map<Precision, { train: Source; test: Source }>();
    const bases = new Map<Precision, RidgeBasis>();
    let decomposition: RidgeDecomposition | null = null;
    // Each group's dtype (as fitRidgeCv alone would choose for its size), fixed for the fold.
    const precisionOf = states.map((st) => choosePrecision(options.precision, train.length, p, st.yCols.length));
    const unprojected = new Set(precisionOf);
    const designFor = (precision: Precision): { train: Source; test: Source } => {
      let src = designs.get(precision);
      if (!src) {
        t = now();
        src = foldSources(gX, spec, train, test, precision);
        designs.set(precision, src);
        timings.preprocess += now() - t;
      }
      return src;
    };
    const basisFor = (precision: Precision): RidgeBasis => {
      const have = bases.get(precision);
      if (have) return have;
      const src = designFor(precision);
      if (!decomposition) {
        decomposition = ridgeDecomposition(src.train, { form: options.form, gram: gramOf(test, train) });
        timings.gram += decomposition.seconds.gram;
        timings.eigh += decomposition.seconds.eigh;
        decompositions++;
      }
      const basis = ridgeProjection(decomposition, src.train, src.test, precision);
      timings.basis += basis.seconds.basis;
      bases.set(precision, basis);
      // The float64 eigenvectors (n^2 x 8 B in the dual: 0.5 GB at NSD size) only serve the projections.
      unprojected.delete(precision);
      if (unprojected.size === 0) decomposition = null;
      return basis;
    };
    const targetsOf = (st: GroupState, precision: Precision) => {
      const t1 = now();
      // The whole-set step of the targets does not depend on the fold: with one group it is kept across folds
      // (with many, groups are streamed and it is redone per fold to bound memory).
      let gY: DenseMatrix | null = G === 1 ? oneGroupTargets : null;
      if (!gY) {
        gY = globalTargets(st.yCols.length === Y.cols ? Y : takeCols(Y, st.yCols), spec);
        if (G === 1) oneGroupTargets = gY;
      }
      const tgt = foldTargets(gY, spec, train, test, precision);
      st.timings.preprocess += now() - t1;
      return tgt;
    };
    // Shared-alpha presets, several groups: the alpha-dependent work that depends only on X (Omega per alpha,
    // loo-groups.ts) is done once for all groups of one precision when that costs less than group by group.
    // Those groups' targets are then held together for the fold (the other groups stay streamed).
    const searched = new Map<number, { test: DenseMatrix; loo: SharedAlphaResult }>();
    if (engine === 'ts' && spec.alpha === 'shared' && G > 1 && options.groupSearch !== 'per-group') {
      const byPrecision = new Map<Precision, number[]>();
      precisionOf.forEach((pr, g) => byPrecision.set(pr, [...(byPrecision.get(pr) ?? []), g]));
      for (const [precision, members] of byPrecision) {
        if (members.length < 2) continue;
        const basis = basisFor(precision);
        const cost = groupSearchCost(
          train.length,
          basis.s2.length,
          alphas.length,
          members.map((g) => states[g].yCols.length),
        );
        if (options.groupSearch !== 'together' && cost.together >= cost.perGroup) continue;
        check();
        progress({ stage: `fold ${f + 1}/${K}: alpha search (${members.length} groups)`, done: f * G, total: K * G });
        // Each group's targets are built when the search reads them; only the test part is kept.
        const tests: DenseMatrix[] = [];
        let prep = 0;
        const get = (i: number) => {
          const t1 = now();
          const tgt = targetsOf(states[members[i]], precision);
          prep += now() - t1;
          tests.push(tgt.test);
          return tgt.train;
        };
        t = now();
        const found = looSharedAlphaGroups(basis.U, basis.s2, { count: members.length, get }, alphas, {
          intercept: spec.intercept,
          precision,
          check,
          leverage: basis.leverage,
        });
        // One search served them all: each group is charged an equal share of its time.
        const share = (now() - t - prep) / members.length;
        members.forEach((g, i) => {
          states[g].timings.alphaSearch += share;
          searched.set(g, { test: tests[i], loo: found[i] });
        });
      }
    }
    for (let g = 0; g < G; g++) {
      check();
      const st = states[g];
      if (G > 1) progress({ stage: `fold ${f + 1}/${K}: ${st.group.name}`, done: f * G + g, total: K * G });
      const v = st.yCols.length;
      const nAll = st.group.columns.length;
      const precision = precisionOf[g];
      st.precision = precision;
      const pre = searched.get(g);
      searched.delete(g); // release the group's test targets once it is done
      // A group searched together has no training targets left; only the shared-alpha branch below runs for it.
      const tgt = pre ? { train: null, test: pre.test } : targetsOf(st, precision);
      const trainTargets = (): DenseMatrix => {
        if (!tgt.train) throw new Error(`ridge: ${st.group.name} has no training targets here`);
        return tgt.train;
      };

      let alpha = NaN;
      let alphaPerTarget: Float64Array | undefined;
      let looErrors: Float64Array | undefined;
      let Yhat: DenseMatrix<Float32Array>;
      let rank: number;
      let form: 'primal' | 'dual';
      if (engine !== 'ts') {
        // Gram -> eigh -> alpha search -> prediction in one device call per group: the device fuses the
        // decomposition with the search, so groups do not share it there.
        const src = designFor(precision);
        const r = runDeviceFold(engine, src.train, src.test, trainTargets(), alphas, options.form);
        timings.preprocess += r.seconds.upload;
        timings.gram += r.seconds.gram;
        timings.eigh += r.seconds.eigh;
        timings.basis += r.seconds.basis;
        st.timings.alphaSearch += r.seconds.alphaSearch;
        st.timings.predict += r.seconds.predict;
        decompositions++;
        t = now();
        alpha = alphas[r.best];
        looErrors = r.errors;
        rank = r.rank;
        form = r.form;
        Yhat = { rows: test.length, cols: v, data: r.yhat };
      } else {
        const basis = basisFor(precision);
        check();
        t = now();
        let alphaIdx: Int32Array;
        let B: DenseMatrix;
        const looOpts = { intercept: spec.intercept, precision, check, leverage: basis.leverage };
        if (spec.alpha === 'shared') {
          const r = pre?.loo ?? looSharedAlpha(basis.U, basis.s2, trainTargets(), alphas, looOpts);
          alphaIdx = new Int32Array(v).fill(r.best);
          B = r.B;
          looErrors = r.errors;
          alpha = alphas[r.best];
        } else {
          const r = looPerTargetAlpha(basis.U, basis.s2, trainTargets(), alphas, {
            ...looOpts,
            criterion: options.criterion,
          });
          alphaIdx = r.best;
          B = r.B;
          looErrors = r.errors;
          alphaPerTarget = new Float64Array(nAll).fill(NaN);
          for (let c = 0; c < v; c++) alphaPerTarget[st.live.kept[c]] = alphas[alphaIdx[c]];
        }
        st.timings.alphaSearch += now() - t;
        check();
        t = now();
        Yhat = predictFromBasis(basis.T, basis.s2, B, alphas, alphaIdx, precision) as DenseMatrix<Float32Array>;
        if (options.unitWeights)
          st.unitWeights.push(ridgeFoldUnitWeights(designFor(precision).train, basis.U, basis.s2, B, alphas, alphaIdx));
        rank = basis.s2.length;
        form = basis.mode;
      }
      const kScores = columnScores(Yhat, tgt.test, score);
      const scores = new Float32Array(nAll).fill(NaN);
      for (let c = 0; c < v; c++) scores[st.live.kept[c]] = kScores[c];
      st.timings.predict += now() - t;
      st.folds.push({
        fold: f,
        nTrain: train.length,
        nTest: test.length,
        form,
        rank,
        alpha,
        looErrors,
        alphaPerTarget,
        scores,
        meanScore: nanMean(kScores),
        predictions: options.returnPredictions ? Yhat : undefined,
      });
    }
  }
  progress({ stage: 'fold', done: K, total: K });

  const info = { backend: backendName(), linalg: linalgInfo(), engine, engineReason };
  const results = states.map((st): RidgeCvResult => {
    const nAll = st.group.columns.length;
    const targetScores = new Float32Array(nAll).fill(NaN);
    for (const c of st.live.kept) {
      // Mean over the folds where the score exists (a target constant on one test fold has no Pearson r there).
      let s = 0;
      let m = 0;
      for (const fr of st.folds) if (Number.isFinite(fr.scores[c])) (s += fr.scores[c]), m++;
      targetScores[c] = m ? s / m : NaN;
    }
    const foldMeans = st.folds.map((fr) => fr.meanScore);
    const result: RidgeCvResult = {
      preset: options.preset,
      score,
      alphas,
      assignment,
      nFolds: K,
      source: { total: X.cols, kept: liveX.kept, dropped: liveX.dropped, sparse },
      targets: { total: nAll, kept: st.live.kept, dropped: st.live.dropped },
      folds: st.folds,
      targetScores,
      mean: nanMean(foldMeans),
      sem: nanSem(foldMeans),
      median: nanMedian(targetScores),
      timings: st.timings,
      info: { ...info, precision: st.precision },
      ...(options.unitWeights
        ? {
            unitWeights: {
              meanAbs: summariseFolds(st.unitWeights.map((w) => w.meanAbs)),
              l2: summariseFolds(st.unitWeights.map((w) => w.l2)),
            },
          }
        : {}),
    };
    // Only a Pearson r compares with the noise ceiling (a correlation ceiling); cosine presets are not normalised.
    if (options.noiseCeiling && score === 'pearson') {
      const nc = options.noiseCeiling;
      result.noiseCeiling = normaliseByNoiseCeiling(
        targetScores,
        Float32Array.from(st.group.columns, (c) => nc[c]),
        options.minNoiseCeiling,
      );
    }
    for (const key of ['preprocess', 'alphaSearch', 'predict'] as const) timings[key] += st.timings[key];
    st.timings.total = st.timings.preprocess + st.timings.alphaSearch + st.timings.predict;
    return result;
  });
  timings.total = now() - t0;
  return { groups: results, timings, decompositions };
}

function backendName(): string | null {
  try {
    return activeBackend().name;
  } catch {
    return null;
  }
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
