/**
 * Computing an alignment run: one layer (as neurons or SAE latents) -> every requested ROI of one subject. Its
 * steps (load, ridge payload, save) are exported for study units (study-units.ts), which fit several
 * representations at once. Per ROI a cross-validated ridge (paper presets fit each ROI on its own: the row LN and
 * the shared alpha are per ROI, as in the paper's code); other metrics in alignment-metric-runs.ts. Everything is
 * written in one transaction at the end (run-results.ts).
 */
import { joinStimulusIds } from '../activations/align';
import { nanMean, nanMedian } from '../compute/correlation';
import { takeRows, type DenseMatrix } from '../compute/matrix';
import { DEFAULT_MIN_NOISE_CEILING } from '../compute/ridge/presets';
import type { Db, Prisma } from '../db/client';
import { runInComputeThread } from '../threads/compute-thread';
import type { RidgeRoiResult, RidgeRoisOutput, RidgeRoisPayload, SelectedSource } from '../threads/compute-tasks';
import { fitAlignmentMetric } from './alignment-metric-runs';
import { alignmentScoreFields, inputRois, type AlignmentInputs } from './alignments';
import { finiteOrNull } from './codecs';
import { resolveFolds } from './folds';
import { loadLayerMatrix, loadRoiTargets, noiseCeilingFor, representationMatrix } from './inputs';
import { markRunRunning, secondsSince } from './provenance';
import type { ResolvedRoi } from './rois';
import { threadOptions, type RunContext } from './run-context';
import { saveRunScores, saveRunVoxels, type RunScore } from './result-writer';
import { saveRunWeights } from './run-weights';

/** What every representation of one (subject, layer) is fitted on: the ROI targets, the layer and the folds, loaded once. */
export interface AlignmentData {
  rois: ResolvedRoi[];
  targets: Awaited<ReturnType<typeof loadRoiTargets>>;
  layer: Awaited<ReturnType<Db['layer']['findUniqueOrThrow']>>;
  common: { ids: Int32Array; betaRows: Int32Array; layerRows: Int32Array };
  assignment: Int32Array;
  /** Repeats 2..R of repeated K-fold (ResolvedFolds.repeatAssignments); empty with one repeat. */
  repeatAssignments: Int32Array[];
  k: number;
  seed: number | null;
  /** The layer's activations of the evaluated images (rows as common.ids). */
  X0: DenseMatrix<Float32Array>;
  Yall: DenseMatrix<Float32Array>;
  ncAll: Float32Array | undefined;
  /** Seconds loading betas and activations. */
  loadSeconds: number;
}

/** Load the betas of the ROIs, the layer, the images both have and the folds (shared by a unit's representations). */
export async function loadAlignmentData(inputs: AlignmentInputs, ctx: RunContext): Promise<AlignmentData> {
  const { prisma } = ctx;
  const t0 = performance.now();
  const rois = inputRois(inputs);
  ctx.progress({ stage: 'loading betas', done: 0, total: 1 });
  const targets = await loadRoiTargets(
    prisma,
    ctx.config,
    { datasetId: inputs.datasetId, subject: inputs.subject, rois },
    {
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({ stage: 'loading betas', done: p.done, total: p.total }),
    },
  );
  ctx.progress({ stage: 'loading activations', done: 0, total: 1 });
  const layer = await prisma.layer.findUniqueOrThrow({ where: { id: inputs.layerId } });
  const { ids: layerIds, X: layerX } = await loadLayerMatrix(layer, ctx.config);
  const { ids, wantedRows: betaRows, rows: layerRows } = joinStimulusIds(layerIds, targets.nsdIds);
  const shared = { ids, betaRows, layerRows };
  const what = "the subject's betas and the layer";
  const folds = resolveFolds(shared.ids, inputs.folds, what, layerIds, targets.subjectOrder);
  const common = {
    ids: Int32Array.from(folds.rows, (i) => shared.ids[i]),
    betaRows: Int32Array.from(folds.rows, (i) => shared.betaRows[i]),
    layerRows: Int32Array.from(folds.rows, (i) => shared.layerRows[i]),
  };
  const { assignment, repeatAssignments, k, seed } = folds;
  const X0 = takeRows(layerX, common.layerRows) as DenseMatrix<Float32Array>;
  const Yall = takeRows(targets.betas, common.betaRows);
  const reps = Uint8Array.from(common.betaRows, (r) => targets.repetitions[r]);
  const ncAll = noiseCeilingFor(targets.ncsnr, reps);
  const loadSeconds = secondsSince(t0);
  return { rois, targets, layer, common, assignment, repeatAssignments, k, seed, X0, Yall, ncAll, loadSeconds };
}

/** The fold assignment a run's numbers came from (stored with the run; the first repeat's, with `repeats` when > 1). */
export const runFolds = (d: AlignmentData) => ({
  k: d.k,
  seed: d.seed,
  nsdIds: d.common.ids,
  assignment: d.assignment,
  ...(d.repeatAssignments.length ? { repeats: d.repeatAssignments.length + 1 } : {}),
});

/** The source matrix of one representation of the unit's layer (neurons, SAE latents or its untrained twin's). */
export function encodeRepresentation(inputs: AlignmentInputs, d: AlignmentData, ctx: RunContext) {
  return representationMatrix(ctx.prisma, ctx.config, inputs.saeId, d.X0, ctx.signal, {
    untrained: inputs.representation === 'random-sae',
  });
}

/**
 * A study unit's source of one representation: its matrix, or for a selection (inputs.saeSelection) every
 * candidate's latents with the inner-CV plan (inner folds, seed: the outer folds' seed).
 */
export async function encodeUnitSource(
  inputs: AlignmentInputs,
  d: AlignmentData,
  ctx: RunContext,
): Promise<Awaited<ReturnType<typeof encodeRepresentation>> | SelectedSource> {
  const sel = inputs.saeSelection;
  if (!sel) return encodeRepresentation(inputs, d, ctx);
  const candidates = [];
  for (const saeId of sel.candidates)
    candidates.push(await representationMatrix(ctx.prisma, ctx.config, saeId, d.X0, ctx.signal));
  const seed = 'seed' in inputs.folds ? inputs.folds.seed : 0;
  return { candidates, innerFolds: sel.innerFolds, seed };
}

/** What a run stores of a selection (provenance saeSelection): which SAE per outer fold, and the inner scores. */
export function selectionRecord(inputs: AlignmentInputs, fitted: RidgeRoisOutput) {
  const sel = inputs.saeSelection;
  const s = fitted.selection;
  if (!sel || !s) return {};
  return {
    saeSelection: {
      method: s.method,
      candidates: sel.candidates,
      innerFolds: s.innerFolds,
      innerSeed: s.seed,
      criterion: 'mean over ROIs of the inner-CV mean score',
      folds: s.chosen.map((c, f) => ({
        fold: f,
        saeId: sel.candidates[c],
        innerScores: Object.fromEntries(sel.candidates.map((id, j) => [id, finiteOrNull(s.innerScores[f][j])])),
      })),
      seconds: s.seconds,
      innerDecompositions: s.innerDecompositions,
    },
  };
}

/** The ridge inputs of every representation of a unit (the source matrix aside). */
export function ridgePayload(inputs: AlignmentInputs, d: AlignmentData): Omit<RidgeRoisPayload, 'X'> {
  return {
    Y: d.Yall,
    rois: d.targets.rois,
    preset: inputs.preset,
    score: inputs.score,
    alphas: inputs.alphas,
    assignment: d.assignment,
    repeatAssignments: d.repeatAssignments,
    noiseCeiling: d.ncAll,
    minNoiseCeiling: inputs.noiseCeiling?.minPercent ?? DEFAULT_MIN_NOISE_CEILING,
    unitWeights: inputs.ridgeWeights === true,
  };
}

/** A run's timings (seconds): loading (shared by a study unit's runs), its encoding (prepare) and its fit. */
export function runTimings(
  d: AlignmentData,
  fitted: RidgeRoisOutput,
  prepareSeconds: number,
): Record<string, number | boolean> {
  const { preprocess, gram, eigh, basis, alphaSearch, predict, total } = fitted.timings;
  return {
    load: d.loadSeconds,
    betasFromCache: d.targets.fromCache,
    decompositions: fitted.decompositions,
    prepare: prepareSeconds,
    preprocess,
    gram,
    eigh,
    basis,
    alphaSearch,
    predict,
    // The whole fit: what the stages above leave out (the targets of each fold and ROI) is fit - their sum.
    fit: total,
  };
}

/** One ROI's Score row of a ridge fit (its numbers; the run's fields from alignmentScoreFields). */
function ridgeScore(f: RidgeRoiResult, columns: Int32Array, ncAll: Float32Array | undefined) {
  return {
    target: f.name,
    value: f.mean,
    sem: finiteOrNull(f.sem),
    baseline: finiteOrNull(f.baseline),
    median: finiteOrNull(f.median),
    foldValues: f.foldMeans,
    nVoxels: f.nKept,
    alphas: f.foldAlphas.map((a, i) => (Number.isFinite(a) ? a : nanMedian(f.foldAlphaPerTarget[i]))),
    noiseCeiling: ncAll ? finiteOrNull(nanMean(Array.from(columns, (c) => ncAll[c]))) : null,
    normalised: f.normalised ? finiteOrNull(f.normalised.mean) : null,
    keptShare: f.normalised ? finiteOrNull(f.normalised.share) : null,
  };
}

/** Every voxel of every ROI with its fold-mean score, in ROI order. */
function voxelScores(d: AlignmentData, fits: RidgeRoiResult[]) {
  const { targets } = d;
  const voxelIdx: number[] = [];
  const voxelVal: number[] = [];
  const voxelRoi: number[] = [];
  fits.forEach((f, r) => {
    targets.rois[r].columns.forEach((c, j) => {
      voxelIdx.push(targets.voxelIndices[c]);
      voxelVal.push(f.targetScores[j]);
      voxelRoi.push(r);
    });
  });
  return {
    volumeShape: targets.volumeShape,
    voxelIndices: Int32Array.from(voxelIdx),
    values: Float32Array.from(voxelVal),
    roiCodes: Uint16Array.from(voxelRoi),
    roiNames: targets.rois.map((r) => r.name),
  };
}

/**
 * Write one ridge run's results (its scores per ROI, per-voxel scores, unit weights, provenance, folds) and mark
 * it succeeded, in the caller's transaction (a unit's runs and paired cells commit together).
 */
export async function saveAlignmentRun(
  tx: Prisma.TransactionClient,
  runId: string,
  inputs: AlignmentInputs,
  d: AlignmentData,
  fitted: RidgeRoisOutput,
  timings: Record<string, number | boolean>,
): Promise<void> {
  const scores: RunScore[] = fitted.rois.map((f, r) => ({
    ...ridgeScore(f, d.targets.rois[r].columns, d.ncAll),
    ...alignmentScoreFields(inputs, d.layer, d.rois[r].atlas),
  }));
  await saveRunWeights(tx, runId, fitted.rois);
  await saveRunVoxels(tx, runId, voxelScores(d, fitted.rois));
  const provenance = { ridgeEngine: fitted.engine, ...selectionRecord(inputs, fitted) };
  await saveRunScores(tx, runId, scores, { timings, folds: runFolds(d), provenance });
}

/** The alignment job of one run: load, encode, fit (ridge or another metric), save. A run already done is left as it is. */
export async function runAlignment(runId: string, ctx: RunContext): Promise<void> {
  const { prisma } = ctx;
  const runRow = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
  if (runRow.status === 'succeeded') return; // a duplicate delivery after success: nothing to do
  const inputs = runRow.inputs as unknown as AlignmentInputs;
  const t0 = performance.now();
  await markRunRunning(prisma, runRow.id);
  const d = await loadAlignmentData(inputs, ctx);
  const tLoad = performance.now();
  ctx.progress({ stage: 'encoding', done: 0, total: 1 });
  const X = await encodeRepresentation(inputs, d, ctx);
  const tPrep = performance.now();
  if (inputs.metric && inputs.metric !== 'ridge') {
    const { layer, rois, targets, Yall: Y, ncAll: noiseCeiling } = d;
    const data = { runId, inputs, layer, rois, targets, X, Y, noiseCeiling, folds: runFolds(d), t0 };
    return fitAlignmentMetric(data, ctx);
  }
  const fitted = await runInComputeThread('ridgeRois', { X, ...ridgePayload(inputs, d) }, threadOptions(ctx));
  const timings = runTimings(d, fitted, (tPrep - tLoad) / 1000);
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: d.targets.rois.length, total: d.targets.rois.length });
  timings.total = secondsSince(t0);
  await prisma.$transaction((tx) => saveAlignmentRun(tx, runRow.id, inputs, d, fitted, timings));
}
