/**
 * Alignment job: one layer (as neurons or SAE latents) -> every requested ROI of one subject. Its steps (load,
 * ridge payload, save) are exported for study units (study-unit.ts), which fit several representations at once.
 * Per ROI a cross-validated ridge (paper presets fit each ROI on its own: the row LN and the shared
 * alpha are per ROI, as in the paper's code). Everything is written in one transaction at the end, so
 * a killed or retried job leaves either no scores or exactly one set.
 */
import type { LayerPreprocessing } from '../../activations/preprocessing';
import { nanMean, nanMedian } from '../../compute/correlation';
import { takeRows, type CsrMatrix, type DenseMatrix } from '../../compute/matrix';
import { scoreMethod, type RidgePreset, type RidgeScore } from '../../compute/ridge/index';
import { notifyResultsChanged } from '../../db/notify';
import { requestHash } from '../../services/request-hash';
import { resolveFolds, type FoldsSpec } from '../../services/folds';
import { markRunRunning, markRunSucceeded, secondsSince } from '../../services/provenance';
import { atlasRois, type ResolvedRoi } from '../../services/rois';
import { runInComputeThread } from '../../threads/compute-thread';
import type { RidgeRoisOutput, RidgeRoisPayload } from '../../threads/compute-tasks';
import type { Db, Prisma } from '../../db/client';
import { loadLayerMatrix, loadRoiTargets, noiseCeilingFor, representationMatrix } from '../../services/inputs';
import type { JobContext, JobHandler } from '../../queue/types';
import { runStatusHooks } from './run-hooks';
import { saveRunWeights } from '../../services/run-weights';
import type { RepresentationKind } from '../../services/representations';
import { storedMethod, type ComparisonMetric } from '../../threads/compute-tasks';
import { runAlignmentMetric } from './alignment-metric';

export interface AlignmentInputs {
  datasetId: string;
  subject: string;
  /** The atlas of the ROIs ("a+b" for a study cell over several atlases). */
  atlas: string;
  /** Target groups (runs stored before ROI groups existed hold plain names of `atlas`). */
  rois: (ResolvedRoi | string)[];
  layerId: string;
  /** The layer's preprocessing (applied where its activations are read), when it has one. */
  preprocessing?: LayerPreprocessing;
  /** 'random-sae': the untrained twin of SAE saeId. */
  representation: RepresentationKind;
  saeId: string | null;
  preset: RidgePreset;
  /** Fold score when not the preset's default. */
  score?: RidgeScore;
  alphas: number[];
  folds: FoldsSpec;
  noiseCeiling?: { minPercent: number };
  /** Brain metric other than ridge (absent = ridge; then preset and alphas apply). */
  metric?: ComparisonMetric;
  /** rsa / cka: false = once over all evaluated stimuli (absent = per test fold). */
  cv?: false;
  /** Keep per ROI the mean |beta| per source unit (GET /v1/runs/{id}/weights); absent = false. */
  ridgeWeights?: true;
  /** A study's cell: the study it belongs to (its runs are its own). */
  studyId?: string;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

function inputRois(inputs: AlignmentInputs): ResolvedRoi[] {
  return inputs.rois.map((r) => (typeof r === 'string' ? atlasRois(inputs.atlas, [r])[0] : r));
}

/** The images both the betas and the activations have (ascending nsdId) and their rows in each. */
function commonImages(
  betaIds: Int32Array,
  layerIds: Int32Array,
): { ids: Int32Array; betaRows: Int32Array; layerRows: Int32Array } {
  const layerRow = new Map<number, number>();
  layerIds.forEach((id, r) => layerRow.set(id, r));
  const ids: number[] = [];
  const betaRows: number[] = [];
  const layerRows: number[] = [];
  betaIds.forEach((id, r) => {
    const lr = layerRow.get(id);
    if (lr !== undefined) {
      ids.push(id);
      betaRows.push(r);
      layerRows.push(lr);
    }
  });
  return { ids: Int32Array.from(ids), betaRows: Int32Array.from(betaRows), layerRows: Int32Array.from(layerRows) };
}

/** What every representation of one (subject, layer) is fitted on: the ROI targets, the layer and the folds, loaded once. */
export interface AlignmentData {
  rois: ResolvedRoi[];
  targets: Awaited<ReturnType<typeof loadRoiTargets>>;
  layer: Awaited<ReturnType<Db['layer']['findUniqueOrThrow']>>;
  common: { ids: Int32Array; betaRows: Int32Array; layerRows: Int32Array };
  assignment: Int32Array;
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
export async function loadAlignmentData(inputs: AlignmentInputs, ctx: JobContext): Promise<AlignmentData> {
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
  const shared = commonImages(targets.nsdIds, layerIds);
  const folds = resolveFolds(shared.ids, inputs.folds, "the subject's betas and the layer", layerIds);
  const common = {
    ids: Int32Array.from(folds.rows, (i) => shared.ids[i]),
    betaRows: Int32Array.from(folds.rows, (i) => shared.betaRows[i]),
    layerRows: Int32Array.from(folds.rows, (i) => shared.layerRows[i]),
  };
  const { assignment, k, seed } = folds;
  const X0 = takeRows(layerX, common.layerRows) as DenseMatrix<Float32Array>;
  const Yall = takeRows(targets.betas, common.betaRows);
  const reps = Uint8Array.from(common.betaRows, (r) => targets.repetitions[r]);
  const ncAll = noiseCeilingFor(targets.ncsnr, reps);
  return { rois, targets, layer, common, assignment, k, seed, X0, Yall, ncAll, loadSeconds: secondsSince(t0) };
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
    noiseCeiling: d.ncAll,
    minNoiseCeiling: inputs.noiseCeiling?.minPercent,
    unitWeights: inputs.ridgeWeights === true,
  };
}

/** A run's timings (seconds): loading (shared by a study unit's runs), its encoding (prepare) and its fit. */
export function runTimings(
  d: AlignmentData,
  fitted: RidgeRoisOutput,
  prepareSeconds: number,
): Record<string, number | boolean> {
  const { gram, eigh, basis, alphaSearch, predict } = fitted.timings;
  return {
    load: d.loadSeconds,
    betasFromCache: d.targets.fromCache,
    decompositions: fitted.decompositions,
    prepare: prepareSeconds,
    gram,
    eigh,
    basis,
    alphaSearch,
    predict,
  };
}

/**
 * Write one run's results (its scores per ROI, per-voxel scores, provenance, folds) and mark it succeeded, in
 * the caller's transaction (a unit's runs and paired cells commit together).
 */
export async function saveAlignmentRun(
  tx: Prisma.TransactionClient,
  runId: string,
  inputs: AlignmentInputs,
  d: AlignmentData,
  fitted: RidgeRoisOutput,
  timings: Record<string, number | boolean>,
): Promise<void> {
  const { targets, rois, layer, ncAll, common, assignment, k, seed } = d;
  const fits = fitted.rois;
  const voxelIdx: number[] = [];
  const voxelVal: number[] = [];
  const voxelRoi: number[] = [];
  const scores = fits.map((f, r) => {
    const cols = targets.rois[r].columns;
    cols.forEach((c, j) => {
      voxelIdx.push(targets.voxelIndices[c]);
      voxelVal.push(f.targetScores[j]);
      voxelRoi.push(r);
    });
    return {
      target: f.name,
      value: f.mean,
      sem: finiteOrNull(f.sem),
      median: finiteOrNull(f.median),
      foldValues: f.foldMeans,
      nVoxels: f.nKept,
      alphas: f.foldAlphas.map((a, i) => (Number.isFinite(a) ? a : nanMedian(f.foldAlphaPerTarget[i]))),
      noiseCeiling: ncAll ? finiteOrNull(nanMean(Array.from(cols, (c) => ncAll[c]))) : null,
      normalised: f.normalised ? finiteOrNull(f.normalised.mean) : null,
      keptShare: f.normalised ? finiteOrNull(f.normalised.share) : null,
    };
  });
  const toBytes = (a: Float32Array | Int32Array | Uint16Array) => {
    const out = new Uint8Array(new ArrayBuffer(a.byteLength));
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return out;
  };
  await tx.score.deleteMany({ where: { runId } });
  await notifyResultsChanged(tx);
  await tx.score.createMany({
    data: scores.map((s, r) => ({
      ...s,
      ...scoreRowOf(runId, inputs, layer, rois[r].atlas),
    })),
  });
  const voxels = {
    volumeShape: targets.volumeShape,
    voxelIndices: toBytes(Int32Array.from(voxelIdx)),
    values: toBytes(Float32Array.from(voxelVal)),
    roiCodes: toBytes(Uint16Array.from(voxelRoi)),
    roiNames: targets.rois.map((r) => r.name),
  };
  await saveRunWeights(tx, runId, fits);
  await tx.runVoxels.upsert({ where: { runId }, create: { runId, ...voxels }, update: voxels });
  await markRunSucceeded(tx, runId, {
    timings,
    folds: { k, seed, nsdIds: common.ids, assignment },
    provenance: { ridgeEngine: fitted.engine },
  });
}

async function run(data: { runId: string }, ctx: JobContext): Promise<void> {
  const { prisma } = ctx;
  const runRow = await prisma.run.findUniqueOrThrow({ where: { id: data.runId } });
  if (runRow.status === 'succeeded') return; // a duplicate delivery after success: nothing to do
  const inputs = runRow.inputs as unknown as AlignmentInputs;
  const t0 = performance.now();
  await markRunRunning(prisma, runRow.id);
  const d = await loadAlignmentData(inputs, ctx);
  const tLoad = performance.now();
  ctx.progress({ stage: 'encoding', done: 0, total: 1 });
  const X: DenseMatrix | CsrMatrix = await representationMatrix(prisma, inputs.saeId, d.X0, ctx.signal, {
    untrained: inputs.representation === 'random-sae',
  });
  const tPrep = performance.now();
  if (inputs.metric && inputs.metric !== 'ridge') {
    const folds = { assignment: d.assignment, k: d.k, seed: d.seed, nsdIds: d.common.ids };
    return runAlignmentMetric(
      {
        runId: runRow.id,
        inputs,
        layer: d.layer,
        rois: d.rois,
        targets: d.targets,
        X,
        Y: d.Yall,
        noiseCeiling: d.ncAll,
        folds,
        t0,
      },
      ctx,
    );
  }
  const fitted = await runInComputeThread(
    'ridgeRois',
    { X, ...ridgePayload(inputs, d) },
    { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
  );
  const timings = runTimings(d, fitted, (tPrep - tLoad) / 1000);
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: d.targets.rois.length, total: d.targets.rois.length });
  timings.total = secondsSince(t0);
  await prisma.$transaction((tx) => saveAlignmentRun(tx, runRow.id, inputs, d, fitted, timings));
}

export const alignmentHandler: JobHandler<{ runId: string }> = {
  run,
  ...runStatusHooks,
};

/** The metric fields of inputs: absent for the defaults (ridge; cv true), so earlier runs and studies keep their hash. */
export function metricFields(body: {
  metric?: AlignmentInputs['metric'];
  cv?: boolean;
}): Pick<AlignmentInputs, 'metric' | 'cv'> {
  return {
    ...(body.metric && body.metric !== 'ridge' ? { metric: body.metric } : {}),
    ...(body.cv === false ? { cv: false as const } : {}),
  };
}

/**
 * What a run's scores are stored under (Score.method, Run.method): for ridge the preset (with ":score" when the
 * score is not the preset's default), else the metric.
 */
export function alignmentMethod(i: Pick<AlignmentInputs, 'metric' | 'cv' | 'preset' | 'score'>): string {
  return i.metric && i.metric !== 'ridge' ? storedMethod(i.metric, i.cv !== false) : scoreMethod(i.preset, i.score);
}

/** What every Score row of an alignment run carries besides its ROI's numbers (ridge and other metrics alike). */
export function scoreRowOf(
  runId: string,
  inputs: AlignmentInputs,
  layer: { id: string; modelId: string },
  atlas: string,
) {
  return {
    runId,
    kind: 'alignment' as const,
    datasetId: inputs.datasetId,
    modelId: layer.modelId,
    layerId: layer.id,
    representation: inputs.representation,
    saeId: inputs.saeId,
    method: alignmentMethod(inputs),
    subject: inputs.subject,
    atlas,
  };
}

/** Canonical hash of a run's inputs: identical requests map to the same run. */
export function alignmentRequestHash(inputs: AlignmentInputs): string {
  const name = (r: ResolvedRoi | string) => (typeof r === 'string' ? r : r.name);
  return requestHash('alignment', {
    ...inputs,
    rois: [...inputs.rois].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)),
  });
}
