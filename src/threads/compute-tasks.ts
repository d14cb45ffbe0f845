/**
 * The tasks a compute thread can run: plain functions from typed arrays to plain objects (structured
 * clone carries them between threads).
 */
import { nanMean, nanMedian } from '../compute/correlation';
import type { CsrMatrix, DenseMatrix } from '../compute/matrix';
import { csrToDense, isCsr, takeCols } from '../compute/matrix';
import {
  METRIC_CONSTANT_BASELINE,
  crossValidateMetric,
  wholeSetMetric,
  type MetricName,
} from '../compute/metrics/index';
import { isWholeSetMetric, type ComparisonMetric, type WholeSetMetric } from '../compute/metrics/registry';
import {
  fitRidgeCv,
  fitRidgeCvGroups,
  type RidgeCvGroupsResult,
  type RidgeCvResult,
  type RidgeCvTimings,
  type RidgePreset,
  type RidgeScore,
} from '../compute/ridge/index';
import { fitSelected, type InnerCvSelection, type InnerCvSpec } from '../compute/ridge/select';
import { nanSem, pairedCellRepeats, pairedGroupCellsOfPairs, type PairedCell } from '../compute/stats/index';
import type { ProgressFn } from '../progress';
import { deserialiseSae, serialiseSae } from '../sae/io';
import { runToySuperposition, type ToySuperpositionResult } from '../toy/experiment';
import { evaluateSae, type SaeMetrics } from '../sae/metrics';
import type { ResolvedSaeTrainSettings, SaeTrainSettingsInput } from '../sae/settings';
import { trainTopKSae, type SaeCurvePoint, type SaeTrainResult } from '../sae/train';

export interface RidgeRoisPayload {
  X: DenseMatrix | CsrMatrix;
  /** Stimuli x all voxels of the ROIs. */
  Y: DenseMatrix<Float32Array>;
  rois: { name: string; columns: Int32Array }[];
  preset: RidgePreset;
  score?: RidgeScore;
  alphas: number[];
  assignment: Int32Array;
  /**
   * Repeats 2..R of repeated K-fold (each fitted like `assignment`, with its own decompositions); every ROI's
   * results then cover all K x R folds (mergeRepeats).
   */
  repeatAssignments?: Int32Array[];
  /** Noise ceiling (percent) per column of Y. */
  noiseCeiling?: Float32Array;
  minNoiseCeiling?: number;
  /** Per ROI: mean |beta| per source unit over the ROI's voxels, per fold (fitRidgeCvGroups unitWeights). */
  unitWeights?: boolean;
}

export interface RidgeRoiResult {
  name: string;
  mean: number;
  sem: number;
  /** The score of each voxel's training-mean prediction, as mean is (RidgeCvResult.baseline). */
  baseline: number;
  median: number;
  foldMeans: number[];
  /** Chosen alpha per fold (NaN for per-target presets). */
  foldAlphas: number[];
  /** Per-target alphas per fold (encoding preset), else empty. */
  foldAlphaPerTarget: Float64Array[];
  nKept: number;
  /** Per voxel of the ROI: mean score over folds (NaN when dropped). */
  targetScores: Float32Array;
  normalised: { mean: number; share: number } | null;
  /** With unitWeights: original source unit indices and, per fold, mean |beta| and L2 norm per unit (float32). */
  unitWeights?: { units: Int32Array; perFold: Float32Array[]; perFoldL2: Float32Array[] };
}

export interface RidgeRoisOutput {
  rois: RidgeRoiResult[];
  /** Seconds over all ROIs: preprocess, gram, eigh, basis (the decompositions), alphaSearch, predict, total. */
  timings: Record<string, number>;
  /** Eigendecompositions computed (one per fold when shared; folds x ROIs per ROI). */
  decompositions: number;
  /** Where the folds ran ('cuda', 'ts' or 'host') and why not on the GPU. */
  engine: { name: string; reason?: string } | null;
  /** A source chosen among candidates per outer fold (select.ts): the choices and inner scores. */
  selection?: InnerCvSelection;
}

/** The fit options of a ridge payload (ridgeRois and ridgeRoisPaired read the same fields). */
function ridgeOptions(p: Omit<RidgeRoisPayload, 'X'>) {
  return {
    preset: p.preset,
    score: p.score,
    alphas: p.alphas,
    assignment: p.assignment,
    noiseCeiling: p.noiseCeiling,
    minNoiseCeiling: p.minNoiseCeiling,
    unitWeights: p.unitWeights,
  };
}

/**
 * Cross-validated ridge to every ROI (paper presets LN rows and share alphas per ROI, as in the paper's code).
 * Shared (default): one decomposition per fold serves all ROIs (fitRidgeCvGroups); perRoi: one fitRidgeCv per
 * ROI (the reference path, kept for the benchmark). Both give the same alphas and scores.
 */
export async function ridgeRois(
  p: RidgeRoisPayload & { perRoi?: boolean },
  progress: ProgressFn,
): Promise<RidgeRoisOutput> {
  const opts = ridgeOptions(p);
  let fits: RidgeCvResult[];
  let timings: RidgeCvTimings;
  let decompositions = 0;
  if (p.perRoi) {
    fits = [];
    timings = { preprocess: 0, gram: 0, eigh: 0, basis: 0, alphaSearch: 0, predict: 0, total: 0 };
    for (let r = 0; r < p.rois.length; r++) {
      const roi = p.rois[r];
      progress({ stage: `fitting ${roi.name}`, done: r, total: p.rois.length });
      const Y = takeCols(p.Y, roi.columns) as DenseMatrix<Float32Array>;
      const nc = p.noiseCeiling ? Float32Array.from(roi.columns, (c) => p.noiseCeiling![c]) : undefined;
      const res = fitRidgeCv(p.X, Y, { ...opts, noiseCeiling: nc });
      for (const k of Object.keys(timings) as (keyof RidgeCvTimings)[]) timings[k] += res.timings[k];
      decompositions += res.nFolds;
      fits.push(res);
    }
  } else {
    const assignments = [p.assignment, ...(p.repeatAssignments ?? [])];
    const repeats = assignments.map((assignment, r) => {
      const which = assignments.length > 1 ? ` (repeat ${r + 1}/${assignments.length})` : '';
      return fitRidgeCvGroups(p.X, p.Y, p.rois, {
        ...opts,
        assignment,
        onProgress: (x) =>
          progress({
            stage: `${x.stage === 'fold' || x.stage === 'preprocess' ? 'fitting: ' : 'fitting '}${x.stage}${which}`,
            done: x.done,
            total: x.total,
          }),
      });
    });
    progress({ stage: 'fitted', done: p.rois.length, total: p.rois.length });
    return groupedOutput(repeats, p.rois);
  }
  progress({ stage: 'fitted', done: p.rois.length, total: p.rois.length });
  return { rois: roiResults(fits, p.rois), timings: { ...timings }, decompositions, engine: engineOf(fits) };
}

/** What ridgeRois returns from one fitRidgeCvGroups per repeat of K-fold (the repeats merged per ROI). */
function groupedOutput(repeats: readonly RidgeCvGroupsResult[], rois: RidgeRoisPayload['rois']): RidgeRoisOutput {
  const timings: Record<string, number> = {};
  for (const r of repeats)
    for (const [k, v] of Object.entries(r.timings)) timings[k] = (timings[k] ?? 0) + (v as number);
  return {
    rois: mergeRepeats(repeats.map((r) => roiResults(r.groups, rois))),
    timings,
    decompositions: repeats.reduce((s, r) => s + r.decompositions, 0),
    engine: engineOf(repeats[0].groups),
  };
}

/**
 * One result per ROI over every repeat of K-fold (repeat-major): fold means and alphas concatenated (K x R), mean
 * and sem over all of them, per-voxel scores the mean over repeats (median recomputed from those), the normalised
 * mean and kept share the mean over repeats; kept targets and unit weights those of the first repeat.
 */
export function mergeRepeats(repeats: readonly RidgeRoiResult[][]): RidgeRoiResult[] {
  if (repeats.length === 1) return repeats[0];
  return repeats[0].map((first, g) => {
    const all = repeats.map((r) => r[g]);
    const foldMeans = all.flatMap((r) => r.foldMeans);
    const targetScores = new Float32Array(first.targetScores.length);
    for (let j = 0; j < targetScores.length; j++) targetScores[j] = nanMean(all.map((r) => r.targetScores[j]));
    const normalised = first.normalised
      ? {
          mean: nanMean(all.map((r) => r.normalised?.mean ?? NaN)),
          share: nanMean(all.map((r) => r.normalised?.share ?? NaN)),
        }
      : null;
    return {
      ...first,
      mean: nanMean(foldMeans),
      sem: nanSem(foldMeans),
      median: nanMedian(targetScores),
      foldMeans,
      foldAlphas: all.flatMap((r) => r.foldAlphas),
      foldAlphaPerTarget: all.flatMap((r) => r.foldAlphaPerTarget),
      targetScores,
      normalised,
    };
  });
}

/** What a run stores per ROI, from that ROI's fit. */
function roiResults(fits: readonly RidgeCvResult[], rois: RidgeRoisPayload['rois']): RidgeRoiResult[] {
  return fits.map((res, r) => ({
    name: rois[r].name,
    mean: res.mean,
    sem: res.sem,
    baseline: res.baseline,
    median: res.median,
    foldMeans: res.folds.map((f) => f.meanScore),
    foldAlphas: res.folds.map((f) => f.alpha),
    foldAlphaPerTarget: res.folds.map((f) => f.alphaPerTarget ?? new Float64Array(0)),
    nKept: res.targets.kept.length,
    targetScores: res.targetScores,
    normalised: res.noiseCeiling ? { mean: res.noiseCeiling.mean, share: res.noiseCeiling.share } : null,
    ...(res.unitWeights
      ? {
          unitWeights: {
            units: res.source.kept,
            perFold: res.unitWeights.meanAbs.perFold.map((f) => Float32Array.from(f)),
            perFoldL2: res.unitWeights.l2.perFold.map((f) => Float32Array.from(f)),
          },
        }
      : {}),
  }));
}

function engineOf(fits: readonly RidgeCvResult[]): RidgeRoisOutput['engine'] {
  const info = fits[0]?.info;
  return info ? { name: info.engine, reason: info.engineReason } : null;
}

/** Candidates of one representation, one chosen per outer fold by inner CV on its training part (select.ts). */
export interface SelectedSource extends InnerCvSpec {
  candidates: (DenseMatrix | CsrMatrix)[];
}

export interface RidgeRoisPairedPayload extends Omit<RidgeRoisPayload, 'X'> {
  /** One source per representation of the layer (e.g. neurons, SAE latents, candidate SAEs), same rows as Y. */
  Xs: (DenseMatrix | CsrMatrix | SelectedSource)[];
  /** Pairs [a, b] of indices into Xs: one paired cell (b - a) per ROI for each. */
  pairs: [number, number][];
  stats: { nResamples: number; nPermutations: number; seed: number };
}

export interface RidgeRoisPairedOutput {
  /** Per representation, as ridgeRois returns it for that source alone. */
  fits: RidgeRoisOutput[];
  /**
   * Per pair (in order), per ROI (in order): the paired cell (its fold lists over every repeat, its stimulus-level
   * statistics from the first repeat's models); seed = stats.seed + ROI position.
   */
  cells: PairedCell[][];
  /** Seconds of the paired statistics (bootstrap and permutation test of every cell). */
  statsSeconds: number;
}

/**
 * A study's (subject, layer) unit: every representation fitted to every ROI over one decomposition per fold
 * (as ridgeRois), on the same folds, with held-out predictions kept in this thread only until the paired cells
 * (stimulus bootstrap interval, sign-flip permutation p) of each pair are computed; they never leave it.
 * Memory: representations x stimuli x sum of ROI voxels float32 of predictions at the peak.
 */
export async function ridgeRoisPaired(p: RidgeRoisPairedPayload, progress: ProgressFn): Promise<RidgeRoisPairedOutput> {
  const opts = ridgeOptions(p);
  const R = p.Xs.length;
  const assignments = [p.assignment, ...(p.repeatAssignments ?? [])];
  const repeatNote = (r: number) => (assignments.length > 1 ? ` (repeat ${r + 1}/${assignments.length})` : '');
  const paired = new Set(p.pairs.flat());
  // An inner-CV source (candidates) is chosen per outer fold of each repeat; the first repeat's choice is stored.
  const fitAll = (assignment: Int32Array, r: number, predictions: boolean) =>
    p.Xs.map((X, i): RidgeCvGroupsResult & { selection?: InnerCvSelection } => {
      const o = {
        ...opts,
        assignment,
        returnPredictions: predictions && paired.has(i),
        onProgress: (x: { stage: string; done: number; total: number }) =>
          progress({ stage: `fitting ${i + 1}/${R}: ${x.stage}${repeatNote(r)}`, done: x.done, total: x.total }),
      };
      return 'candidates' in X ? fitSelected(X.candidates, p.Y, p.rois, o, X) : fitRidgeCvGroups(X, p.Y, p.rois, o);
    });
  const all = fitAll(p.assignment, 0, true);
  const t0 = performance.now();
  // Only the paired fits kept predictions; this drops each group's from them once its cells are computed.
  const cells = pairedGroupCellsOfPairs(
    p.Y,
    all.map((r) => r.groups),
    p.pairs,
    p.rois,
    {
      ...p.stats,
      onGroup: (g) => progress({ stage: `paired statistics ${g + 1}/${p.rois.length}`, done: g, total: p.rois.length }),
    },
  );
  const statsSeconds = (performance.now() - t0) / 1000;
  // Further repeats: fold scores only (the conditional statistics stay those of the first repeat's models).
  const more = assignments.slice(1).map((assignment, r) => fitAll(assignment, r + 1, false));
  const foldScores = (i: number, g: number) => more.flatMap((m) => m[i].groups[g].folds.map((f) => f.meanScore));
  const repeatedCells = p.pairs.map(([i, j], k) =>
    cells[k].map((c, g) => (more.length ? pairedCellRepeats(c, foldScores(i, g), foldScores(j, g)) : c)),
  );
  progress({ stage: 'fitted', done: p.rois.length, total: p.rois.length });
  const fits = all.map((r, i) => ({
    ...groupedOutput([r, ...more.map((m) => m[i])], p.rois),
    ...(r.selection ? { selection: r.selection } : {}),
  }));
  return { fits, cells: repeatedCells, statsSeconds };
}

export interface TrainSaePayload {
  X: DenseMatrix<Float32Array>;
  settings: SaeTrainSettingsInput;
}

export interface TrainSaeOutput {
  /** The trained SAE in this project's safetensors format (saveable as is). */
  weights: Uint8Array;
  settings: ResolvedSaeTrainSettings;
  curves: SaeCurvePoint[];
  metrics: SaeTrainResult['metrics'];
}

/** Train a TopK SAE; progress per epoch (and every 50 steps). */
export async function trainSae(p: TrainSaePayload, progress: ProgressFn): Promise<TrainSaeOutput> {
  const res = await trainTopKSae(p.X, p.settings, {
    onProgress: (e) => {
      if (e.kind === 'epoch' || e.step % 50 === 0)
        progress({ stage: `training epoch ${e.epoch}/${e.epochs}`, done: e.step, total: e.totalSteps });
    },
  });
  return { weights: serialiseSae(res.sae), settings: res.settings, curves: res.curves, metrics: res.metrics };
}

export interface EvaluateSaePayload {
  weights: Uint8Array;
  X: DenseMatrix<Float32Array>;
}

/** Metrics of an SAE on a layer's activations (imported SAEs). */
export async function evaluateSaeOn(p: EvaluateSaePayload): Promise<SaeMetrics> {
  return evaluateSae(deserialiseSae(p.weights), p.X);
}

export interface CompareLayersPayload {
  X: DenseMatrix | CsrMatrix;
  Y: DenseMatrix | CsrMatrix;
  metric: ComparisonMetric;
  assignment: Int32Array;
  /** Ridge only (default paper). */
  preset?: RidgePreset;
  alphas?: number[];
  /** false: rsa / cka once over all rows (no fold scores, sem NaN). */
  cv?: boolean;
}

export interface CompareLayersResult {
  foldScores: number[];
  mean: number;
  sem: number;
  /**
   * The score of a constant per-target prediction (each target unit's training mean), as mean is: ridge computes
   * it per fold; the matching metrics, RSA and CKA centre what they compare (Pearson r, centred Gram), where a
   * constant scores 0 (METRIC_CONSTANT_BASELINE).
   */
  baseline: number;
  /** Ridge: chosen alpha per fold. */
  alphas: number[];
  keptSource: number;
  keptTarget: number;
}

/** One metric between two representations (model-to-model), cross-validated over the same folds. */
export async function compareLayers(p: CompareLayersPayload, progress: ProgressFn): Promise<CompareLayersResult> {
  progress({ stage: p.metric, done: 0, total: 1 });
  if (p.metric === 'ridge') {
    // Ridge predicts dense targets; sparse latents as targets are densified (targets are not factorised).
    const Y = isCsr(p.Y) ? csrToDense(p.Y) : (p.Y as DenseMatrix<Float32Array>);
    const res = fitRidgeCv(p.X, Y as DenseMatrix<Float32Array>, {
      preset: p.preset ?? 'paper',
      alphas: p.alphas,
      assignment: p.assignment,
    });
    return {
      foldScores: res.folds.map((f) => f.meanScore),
      mean: res.mean,
      sem: res.sem,
      baseline: res.baseline,
      alphas: res.folds.map((f) => f.alpha),
      keptSource: res.source.kept.length,
      keptTarget: res.targets.kept.length,
    };
  }
  if (p.cv === false) {
    if (!isWholeSetMetric(p.metric))
      throw new RangeError(`${p.metric} is fitted on training folds: it has no whole-set form`);
    const res = wholeSetMetric(p.metric, p.X, p.Y);
    return {
      foldScores: [],
      mean: res.score,
      sem: NaN,
      baseline: METRIC_CONSTANT_BASELINE,
      alphas: [],
      keptSource: res.keptSource.length,
      keptTarget: res.keptTarget.length,
    };
  }
  const res = crossValidateMetric(p.metric, p.X, p.Y, p.assignment, {
    onFold: (done, total) => progress({ stage: p.metric, done, total }),
  });
  return {
    foldScores: res.foldScores,
    mean: res.mean,
    sem: res.sem,
    baseline: METRIC_CONSTANT_BASELINE,
    alphas: [],
    keptSource: res.keptSource.length,
    keptTarget: res.keptTarget.length,
  };
}

export interface MetricRoisPayload {
  X: DenseMatrix | CsrMatrix;
  /** Stimuli x all voxels of the ROIs. */
  Y: DenseMatrix<Float32Array>;
  rois: { name: string; columns: Int32Array }[];
  metric: MetricName;
  assignment: Int32Array;
  /** false: rsa / cka once over all rows. */
  cv: boolean;
}

export interface MetricRoiResult {
  name: string;
  /** Per test fold (empty for cv: false). */
  foldScores: number[];
  mean: number;
  sem: number;
  /** A constant per-voxel prediction's score: 0 (METRIC_CONSTANT_BASELINE). */
  baseline: number;
  /** Voxels kept (live). */
  nKept: number;
}

/** A layer against every ROI's voxels with a metric other than ridge (brain RSA, semi- / soft-matching, CKA). */
export async function metricRois(p: MetricRoisPayload, progress: ProgressFn): Promise<MetricRoiResult[]> {
  return p.rois.map((roi, r) => {
    progress({ stage: `${p.metric} ${roi.name}`, done: r, total: p.rois.length });
    const Y = takeCols(p.Y, roi.columns) as DenseMatrix<Float32Array>;
    if (!p.cv) {
      const res = wholeSetMetric(p.metric as WholeSetMetric, p.X, Y);
      return {
        name: roi.name,
        foldScores: [],
        mean: res.score,
        sem: NaN,
        baseline: METRIC_CONSTANT_BASELINE,
        nKept: res.keptTarget.length,
      };
    }
    const res = crossValidateMetric(p.metric, p.X, Y, p.assignment);
    return {
      name: roi.name,
      foldScores: res.foldScores,
      mean: res.mean,
      sem: res.sem,
      baseline: METRIC_CONSTANT_BASELINE,
      nKept: res.keptTarget.length,
    };
  });
}

export type ToyPayload = Parameters<typeof runToySuperposition>[0];

/** The toy model of superposition experiment (science.md), progress per hidden size and stage. */
export async function toySuperposition(p: ToyPayload, progress: ProgressFn): Promise<ToySuperpositionResult> {
  return runToySuperposition(p, (e) => progress({ stage: `N=${e.nHidden}: ${e.stage}`, done: e.done, total: e.total }));
}

export const computeTasks = {
  ridgeRois,
  ridgeRoisPaired,
  metricRois,
  trainSae,
  evaluateSaeOn,
  compareLayers,
  toySuperposition,
};
export type ComputeTasks = typeof computeTasks;
export type ComputeTaskName = keyof ComputeTasks;
