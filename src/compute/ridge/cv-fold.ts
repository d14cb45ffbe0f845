/**
 * One fold of fitRidgeCvGroups (cv.ts): the fold's designs, its one shared decomposition and the projections per
 * precision (FoldWork), the alpha search of several groups together, and each group's fit (on the device fold
 * or on the host from the shared basis), prediction and scores.
 */
import { columnStats } from '../column-stats';
import { columnScores, constantPredictionScores, nanMean } from '../correlation';
import { foldIndices } from '../folds';
import { matmul } from '../linalg/index';
import { type DenseMatrix, takeCols } from '../matrix';
import {
  type RidgeBasis,
  type RidgeDecomposition,
  ridgeDecomposition,
  ridgeProjection,
  scaleColumnsInPlace,
} from './basis';
import type { RidgeCvOptions, RidgeCvTimings, RidgeFoldResult, TargetGroup } from './cv';
import { type FoldEngine, runDeviceFold } from './device-fold';
import { looPerTargetAlpha, looSharedAlpha } from './loo';
import type { SharedAlphaResult } from './loo-parts';
import { groupSearchCost, looSharedAlphaGroups } from './loo-groups';
import {
  type GlobalSource,
  type PresetSpec,
  type RidgeScore,
  foldSources,
  foldTargets,
  globalTargets,
  groupFoldTargets,
} from './presets';
import type { Precision, Source } from './source';
import { ridgeFoldUnitWeights, type WeightsStat } from './weights';
import type { ProgressFn } from '../../progress';

export const now = () => performance.now() / 1000;

export const zeroTimings = (): RidgeCvTimings => ({
  preprocess: 0,
  gram: 0,
  eigh: 0,
  basis: 0,
  alphaSearch: 0,
  predict: 0,
  total: 0,
});

/** The per-group state kept across folds: live targets and fold results (the targets themselves are re-read per fold). */
export interface GroupState {
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

/** What every fold of one fitRidgeCvGroups call shares. */
export interface CvContext {
  Y: DenseMatrix<Float32Array>;
  options: RidgeCvOptions;
  spec: PresetSpec;
  score: RidgeScore;
  alphas: number[];
  /** The source after dead units and the preset's whole-set step; p units. */
  gX: GlobalSource;
  p: number;
  states: GroupState[];
  /** Whole-call timings (the shared decompositions; cv.ts adds the groups' own at the end). */
  timings: RidgeCvTimings;
  engine: FoldEngine;
  /** The fold's training Gram from the whole-set one where the preset allows it, else null (cv.ts). */
  gramOf: (test: Int32Array, train: Int32Array) => (form: 'primal' | 'dual') => DenseMatrix<Float64Array> | null;
  check: () => void;
  progress: ProgressFn;
  /** With one group: its whole-set targets, kept across folds. */
  oneGroupTargets: DenseMatrix | null;
  /** Eigendecompositions computed so far. */
  decompositions: number;
}

/** The dtype of the large products for n training stimuli, p units and v targets ('auto': f32 from 2^28). */
export function choosePrecision(opt: RidgeCvOptions['precision'], n: number, p: number, v: number): Precision {
  if (opt === 'f32' || opt === 'f64') return opt;
  return n * Math.max(p, Math.min(n, p)) * v >= 2 ** 28 ? 'f32' : 'f64';
}

/**
 * One fold's shared work, computed on first use: the designs per precision, the float64 decomposition (shared by
 * both precisions) and the projections U/T per precision. Each group's precision is what fitRidgeCv alone would
 * choose for its size.
 */
export class FoldWork {
  readonly train: Int32Array;
  readonly test: Int32Array;
  readonly precisionOf: Precision[];
  private readonly designs = new Map<Precision, { train: Source; test: Source }>();
  private readonly bases = new Map<Precision, RidgeBasis>();
  private decomposition: RidgeDecomposition | null = null;
  private readonly unprojected: Set<Precision>;

  constructor(
    private readonly ctx: CvContext,
    readonly fold: number,
  ) {
    ({ train: this.train, test: this.test } = foldIndices(ctx.options.assignment, fold));
    this.precisionOf = ctx.states.map((st) =>
      choosePrecision(ctx.options.precision, this.train.length, ctx.p, st.yCols.length),
    );
    this.unprojected = new Set(this.precisionOf);
  }

  design(precision: Precision): { train: Source; test: Source } {
    let src = this.designs.get(precision);
    if (!src) {
      const t = now();
      src = foldSources(this.ctx.gX, this.ctx.spec, this.train, this.test, precision);
      this.designs.set(precision, src);
      this.ctx.timings.preprocess += now() - t;
    }
    return src;
  }

  basis(precision: Precision): RidgeBasis {
    const have = this.bases.get(precision);
    if (have) return have;
    const { ctx } = this;
    const src = this.design(precision);
    if (!this.decomposition) {
      const gram = ctx.gramOf(this.test, this.train);
      this.decomposition = ridgeDecomposition(src.train, { form: ctx.options.form, gram });
      ctx.timings.gram += this.decomposition.seconds.gram;
      ctx.timings.eigh += this.decomposition.seconds.eigh;
      ctx.decompositions++;
    }
    const basis = ridgeProjection(this.decomposition, src.train, src.test, precision);
    ctx.timings.basis += basis.seconds.basis;
    this.bases.set(precision, basis);
    // The float64 eigenvectors (n^2 x 8 B in the dual: 0.5 GB at NSD size) only serve the projections.
    this.unprojected.delete(precision);
    if (this.unprojected.size === 0) this.decomposition = null;
    return basis;
  }

  /** The group's fold targets after the preset's transforms. */
  targets(st: GroupState, precision: Precision): { train: DenseMatrix; test: DenseMatrix } {
    const { ctx } = this;
    const t = now();
    const cols = st.yCols.length === ctx.Y.cols ? null : st.yCols;
    // The whole-set step of the targets does not depend on the fold: with one group it is kept across folds;
    // many groups are streamed (memory), each fold's rows built from Y in one pass (groupFoldTargets).
    let tgt: { train: DenseMatrix; test: DenseMatrix };
    if (ctx.states.length === 1) {
      ctx.oneGroupTargets ??= globalTargets(cols ? takeCols(ctx.Y, cols) : ctx.Y, ctx.spec);
      tgt = foldTargets(ctx.oneGroupTargets, ctx.spec, this.train, this.test, precision);
    } else {
      tgt = groupFoldTargets(ctx.Y, cols, ctx.spec, this.train, this.test, precision);
    }
    st.timings.preprocess += now() - t;
    return tgt;
  }
}

/**
 * A group whose alpha was searched together with others: its test targets, training means and either the LOO
 * result (host search, then the group's own prediction) or its whole fit (one device call for all groups).
 */
type Searched = Map<number, { test: DenseMatrix; trainMean: Float64Array; loo?: SharedAlphaResult; fit?: GroupFit }>;

/**
 * The training mean of each target in the preset's target space: the constant prediction the baseline scores.
 * Presets that transform columns centre them with the training means (or their own), so it is 0 there by
 * construction (computed, it would be rounding of either sign).
 */
function trainingMeans(spec: PresetSpec, train: DenseMatrix): Float64Array {
  return spec.columns === 'none' ? columnStats(train).mean : new Float64Array(train.cols);
}

/**
 * Shared-alpha presets, several groups: the alpha-dependent work that depends only on X (Omega per alpha,
 * loo-groups.ts) is done once for all groups of one precision when that costs less than group by group.
 * Those groups' targets are then held together for the fold (the other groups stay streamed).
 */
export function searchGroupsTogether(ctx: CvContext, work: FoldWork, K: number): Searched {
  const searched: Searched = new Map();
  const G = ctx.states.length;
  if (ctx.engine !== 'ts' || ctx.spec.alpha !== 'shared' || G < 2 || ctx.options.groupSearch === 'per-group') {
    return searched;
  }
  const byPrecision = new Map<Precision, number[]>();
  work.precisionOf.forEach((pr, g) => {
    byPrecision.set(pr, [...(byPrecision.get(pr) ?? []), g]);
  });
  for (const [precision, members] of byPrecision) {
    if (members.length < 2) continue;
    const basis = work.basis(precision);
    const sizes = members.map((g) => ctx.states[g].yCols.length);
    const cost = groupSearchCost(work.train.length, basis.s2.length, ctx.alphas.length, sizes);
    if (ctx.options.groupSearch !== 'together' && cost.together >= cost.perGroup) continue;
    ctx.check();
    const f = work.fold;
    ctx.progress({ stage: `fold ${f + 1}/${K}: alpha search (${members.length} groups)`, done: f * G, total: K * G });
    // Each group's targets are built when the search reads them; only the test part is kept.
    const tests: DenseMatrix[] = [];
    const means: Float64Array[] = [];
    let prep = 0;
    const get = (i: number) => {
      const t1 = now();
      const tgt = work.targets(ctx.states[members[i]], precision);
      means.push(trainingMeans(ctx.spec, tgt.train));
      prep += now() - t1;
      tests.push(tgt.test);
      return tgt.train;
    };
    const t = now();
    const found = looSharedAlphaGroups(basis.U, basis.s2, { count: members.length, get }, ctx.alphas, {
      intercept: ctx.spec.looCentresEachFit,
      precision,
      check: ctx.check,
      leverage: basis.leverage,
    });
    // One search served them all: each group is charged an equal share of its time.
    const share = (now() - t - prep) / members.length;
    members.forEach((g, i) => {
      ctx.states[g].timings.alphaSearch += share;
      searched.set(g, { test: tests[i], trainMean: means[i], loo: found[i] });
    });
  }
  return searched;
}

/** The precision the device call reads its inputs in: float64 when any group would use it (the device computes in float64). */
function sharedPrecision(precisions: readonly Precision[]): Precision {
  return precisions.includes('f64') ? 'f64' : 'f32';
}

/** Each group's training targets side by side (n x sum of widths, row-major), and the groups' end offsets. */
function concatColumns(parts: readonly DenseMatrix[], precision: Precision): { Y: DenseMatrix; ends: Int32Array } {
  const n = parts[0].rows;
  const ends = new Int32Array(parts.length);
  let v = 0;
  parts.forEach((P, g) => {
    v += P.cols;
    ends[g] = v;
  });
  const data = precision === 'f64' ? new Float64Array(n * v) : new Float32Array(n * v);
  parts.forEach((P, g) => {
    const off = g ? ends[g - 1] : 0;
    for (let i = 0; i < n; i++) data.set(P.data.subarray(i * P.cols, (i + 1) * P.cols), i * v + off);
  });
  return { Y: { rows: n, cols: v, data }, ends };
}

/** Columns [c0, c1) of a row-major float32 matrix, copied. */
function columnBlock(M: DenseMatrix<Float32Array>, c0: number, c1: number): DenseMatrix<Float32Array> {
  const w = c1 - c0;
  const out = new Float32Array(M.rows * w);
  for (let i = 0; i < M.rows; i++) out.set(M.data.subarray(i * M.cols + c0, i * M.cols + c1), i * w);
  return { rows: M.rows, cols: w, data: out };
}

/**
 * Shared-alpha presets, several groups, on the device fold: one call per fold forms the decomposition once and
 * searches every group's alpha from it (fold.c), instead of one call (and decomposition) per group. The groups'
 * training targets are held together for that call (n x all targets: the device needs them anyway).
 */
export function fitGroupsOnDevice(ctx: CvContext, work: FoldWork, K: number): Searched {
  const searched: Searched = new Map();
  const G = ctx.states.length;
  if (ctx.engine === 'ts' || ctx.spec.alpha !== 'shared' || G < 2 || ctx.options.groupSearch === 'per-group') {
    return searched;
  }
  ctx.check();
  const f = work.fold;
  ctx.progress({ stage: `fold ${f + 1}/${K}: device fold (${G} groups)`, done: f * G, total: K * G });
  const precision = sharedPrecision(work.precisionOf);
  const tgts = ctx.states.map((st) => work.targets(st, precision));
  const { Y, ends } = concatColumns(
    tgts.map((t) => t.train),
    precision,
  );
  const src = work.design(precision);
  const groups = { ends, stackBytes: ctx.options.deviceStackBytes };
  const r = runDeviceFold(ctx.engine as 'cuda' | 'host', src.train, src.test, Y, ctx.alphas, ctx.options.form, groups);
  addDeviceTimings(ctx, r.seconds);
  ctx.decompositions++;
  const Yhat = { rows: work.test.length, cols: Y.cols, data: r.yhat };
  const m = ctx.alphas.length;
  ctx.states.forEach((st, g) => {
    // One call served them all: each group is charged an equal share of its search and prediction time.
    st.timings.alphaSearch += r.seconds.alphaSearch / G;
    st.timings.predict += r.seconds.predict / G;
    const fit: GroupFit = {
      alpha: ctx.alphas[r.best[g]],
      looErrors: r.errors.slice(g * m, (g + 1) * m),
      rank: r.rank,
      form: r.form,
      Yhat: columnBlock(Yhat, g ? ends[g - 1] : 0, ends[g]),
    };
    st.precision = precision;
    searched.set(g, { test: tgts[g].test, trainMean: trainingMeans(ctx.spec, tgts[g].train), fit });
  });
  return searched;
}

/** The shared stages of a device call, charged to the whole call. */
function addDeviceTimings(ctx: CvContext, seconds: { upload: number; gram: number; eigh: number; basis: number }) {
  ctx.timings.preprocess += seconds.upload;
  ctx.timings.gram += seconds.gram;
  ctx.timings.eigh += seconds.eigh;
  ctx.timings.basis += seconds.basis;
}

/** What one group's fit in one fold yields before scoring. */
interface GroupFit {
  alpha: number;
  alphaPerTarget?: Float64Array;
  looErrors?: Float64Array;
  Yhat: DenseMatrix<Float32Array>;
  rank: number;
  form: 'primal' | 'dual';
}

/** Gram -> eigh -> alpha search -> prediction in one device call for one group (per-target presets never come here). */
function fitOnDevice(
  ctx: CvContext,
  work: FoldWork,
  st: GroupState,
  precision: Precision,
  Ytrain: DenseMatrix,
): GroupFit {
  const src = work.design(precision);
  const engine = ctx.engine as 'cuda' | 'host';
  const r = runDeviceFold(engine, src.train, src.test, Ytrain, ctx.alphas, ctx.options.form);
  addDeviceTimings(ctx, r.seconds);
  st.timings.alphaSearch += r.seconds.alphaSearch;
  st.timings.predict += r.seconds.predict;
  ctx.decompositions++;
  const Yhat = { rows: work.test.length, cols: st.yCols.length, data: r.yhat };
  return { alpha: ctx.alphas[r.best[0]], looErrors: r.errors, rank: r.rank, form: r.form, Yhat };
}

/** Alpha(s) by exact LOO from the fold's shared basis (or the together search's result), then the prediction. */
function fitOnHost(
  ctx: CvContext,
  work: FoldWork,
  st: GroupState,
  precision: Precision,
  trainTargets: () => DenseMatrix,
  pre: SharedAlphaResult | undefined,
): GroupFit {
  const { alphas, spec } = ctx;
  const v = st.yCols.length;
  const basis = work.basis(precision);
  ctx.check();
  let t = now();
  const looOpts = { intercept: spec.looCentresEachFit, precision, check: ctx.check, leverage: basis.leverage };
  let alphaIdx: Int32Array;
  let B: DenseMatrix;
  const fit: Omit<GroupFit, 'Yhat'> = { alpha: NaN, rank: basis.s2.length, form: basis.mode };
  if (spec.alpha === 'shared') {
    const r = pre ?? looSharedAlpha(basis.U, basis.s2, trainTargets(), alphas, looOpts);
    alphaIdx = new Int32Array(v).fill(r.best);
    B = r.B;
    fit.looErrors = r.errors;
    fit.alpha = alphas[r.best];
  } else {
    const r = looPerTargetAlpha(basis.U, basis.s2, trainTargets(), alphas, {
      ...looOpts,
      criterion: ctx.options.criterion,
    });
    alphaIdx = r.best;
    B = r.B;
    fit.looErrors = r.errors;
    fit.alphaPerTarget = new Float64Array(st.group.columns.length).fill(NaN);
    for (let c = 0; c < v; c++) fit.alphaPerTarget[st.live.kept[c]] = alphas[alphaIdx[c]];
  }
  st.timings.alphaSearch += now() - t;
  ctx.check();
  t = now();
  const Yhat = predictFromBasis(basis.T, basis.s2, B, alphas, alphaIdx, precision);
  if (ctx.options.unitWeights) {
    st.unitWeights.push(ridgeFoldUnitWeights(work.design(precision).train, basis.U, basis.s2, B, alphas, alphaIdx));
  }
  st.timings.predict += now() - t;
  return { ...fit, Yhat };
}

/** Group g's fit in this fold, scored on its test targets, appended to its fold results. */
export function fitGroupInFold(ctx: CvContext, work: FoldWork, g: number, searched: Searched): void {
  const st = ctx.states[g];
  const pre = searched.get(g);
  const precision = pre?.fit ? st.precision : work.precisionOf[g];
  st.precision = precision;
  searched.delete(g); // release the group's test targets once it is done
  // A group searched together has no training targets left; only the shared-alpha fit runs for it.
  const tgt = pre ? { train: null, test: pre.test } : work.targets(st, precision);
  const trainTargets = (): DenseMatrix => {
    if (!tgt.train) throw new Error(`ridge: ${st.group.name} has no training targets here`);
    return tgt.train;
  };
  const fit =
    pre?.fit ??
    (ctx.engine !== 'ts'
      ? fitOnDevice(ctx, work, st, precision, trainTargets())
      : fitOnHost(ctx, work, st, precision, trainTargets, pre?.loo));
  const t = now();
  const kScores = columnScores(fit.Yhat, tgt.test, ctx.score);
  const scores = new Float32Array(st.group.columns.length).fill(NaN);
  for (let c = 0; c < kScores.length; c++) scores[st.live.kept[c]] = kScores[c];
  const trainMean = pre ? pre.trainMean : trainingMeans(ctx.spec, trainTargets());
  const baseline = nanMean(constantPredictionScores(trainMean, tgt.test, ctx.score));
  st.timings.predict += now() - t;
  st.folds.push({
    fold: work.fold,
    nTrain: work.train.length,
    nTest: work.test.length,
    form: fit.form,
    rank: fit.rank,
    alpha: fit.alpha,
    looErrors: fit.looErrors,
    alphaPerTarget: fit.alphaPerTarget,
    scores,
    meanScore: nanMean(kScores),
    baseline,
    predictions: ctx.options.returnPredictions ? fit.Yhat : undefined,
  });
}

/** Fold f of K for every group: the shared work once, the groups streamed one at a time. */
export function runFold(ctx: CvContext, f: number, K: number): void {
  ctx.check();
  ctx.progress({ stage: 'fold', done: f, total: K });
  const work = new FoldWork(ctx, f);
  const searched = ctx.engine !== 'ts' ? fitGroupsOnDevice(ctx, work, K) : searchGroupsTogether(ctx, work, K);
  const G = ctx.states.length;
  for (let g = 0; g < G; g++) {
    ctx.check();
    if (G > 1)
      ctx.progress({ stage: `fold ${f + 1}/${K}: ${ctx.states[g].group.name}`, done: f * G + g, total: K * G });
    fitGroupInFold(ctx, work, g, searched);
  }
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
