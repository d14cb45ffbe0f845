/**
 * What an alignment run is: its inputs (one subject, one layer as one representation, a set of ROIs, the fit's
 * options), the name its scores are stored under and the hash that makes identical requests one run. A request
 * (POST /v1/alignments, or a study's cell) becomes these inputs in alignment-requests.ts; a job computes them in
 * alignment-runs.ts.
 */
import type { LayerPreprocessing } from '../activations/preprocessing';
import { storedMethod, type ComparisonMetric } from '../compute/metrics/registry';
import { scoreMethod, type RidgePreset, type RidgeScore } from '../compute/ridge/presets';
import type { Db, Prisma } from '../db/client';
import type { JobQueue } from '../queue/queue';
import type { FoldsSpec } from './folds';
import type { RepresentationKind, SaeSelectionSpec } from './representations';
import { requestHash } from './request-hash';
import { atlasRois, type ResolvedRoi } from './rois';
import { createOrReuseRun, type QueuedRun } from './runs';

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
  /** SAE latents of one of several SAEs, chosen per outer fold by inner CV (saeId null); absent: fixed beforehand. */
  saeSelection?: SaeSelectionSpec;
}

/** One run of a request: which subject, layer and representation (the rest is shared by the request's runs). */
export interface AlignmentCell {
  subject: string;
  layerId: string;
  representation: RepresentationKind;
  saeId: string | null;
  /** Candidates chosen per outer fold (representations.ts). */
  selection?: SaeSelectionSpec;
}

/**
 * What the runs of one request share, names resolved: a resolved POST /v1/alignments or a study's stored inputs
 * (studies stored before an option existed lack it, and their runs keep the inputs they had).
 */
export interface AlignmentPlan
  extends Pick<
    AlignmentInputs,
    'datasetId' | 'preset' | 'score' | 'alphas' | 'folds' | 'noiseCeiling' | 'metric' | 'cv' | 'ridgeWeights'
  > {
  /** The request's atlas; absent (studies): the atlases of the ROIs. */
  atlas?: string;
  rois: ResolvedRoi[];
  /** Preprocessing of the layers that have one. */
  layerPreprocessing?: Record<string, LayerPreprocessing>;
}

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

/** The atlas a set of ROIs is filed under: their atlases, sorted, joined by "+". */
export function atlasOfRois(rois: readonly ResolvedRoi[]): string {
  return [...new Set(rois.flatMap((r) => r.atlas.split('+')))].sort().join('+');
}

/** The inputs of one run of a plan (a study's cell names its study). */
export function alignmentInputs(plan: AlignmentPlan, cell: AlignmentCell, studyId?: string): AlignmentInputs {
  const preprocessing = plan.layerPreprocessing?.[cell.layerId];
  return {
    datasetId: plan.datasetId,
    subject: cell.subject,
    atlas: plan.atlas ?? atlasOfRois(plan.rois),
    rois: plan.rois,
    layerId: cell.layerId,
    ...(preprocessing ? { preprocessing } : {}),
    representation: cell.representation,
    saeId: cell.saeId,
    ...(cell.selection ? { saeSelection: cell.selection } : {}),
    preset: plan.preset,
    ...(plan.score ? { score: plan.score } : {}),
    alphas: plan.alphas,
    folds: plan.folds,
    ...(plan.noiseCeiling ? { noiseCeiling: plan.noiseCeiling } : {}),
    ...(plan.ridgeWeights ? { ridgeWeights: true as const } : {}),
    ...metricFields(plan),
    ...(studyId ? { studyId } : {}),
  };
}

/** The target groups of stored inputs (plain names of runs stored before ROI groups: labels of `atlas`). */
export function inputRois(inputs: AlignmentInputs): ResolvedRoi[] {
  return inputs.rois.map((r) => (typeof r === 'string' ? atlasRois(inputs.atlas, [r])[0] : r));
}

/**
 * What a run's scores are stored under (Score.method, Run.method): for ridge the preset (with ":score" when the
 * score is not the preset's default), else the metric.
 */
export function alignmentMethod(i: Pick<AlignmentInputs, 'metric' | 'cv' | 'preset' | 'score'>): string {
  return i.metric && i.metric !== 'ridge' ? storedMethod(i.metric, i.cv !== false) : scoreMethod(i.preset, i.score);
}

/** Canonical hash of a run's inputs: identical requests map to the same run. */
export function alignmentRequestHash(inputs: AlignmentInputs): string {
  const name = (r: ResolvedRoi | string) => (typeof r === 'string' ? r : r.name);
  return requestHash('alignment', {
    ...inputs,
    rois: [...inputs.rois].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)),
  });
}

/** The Run row of an alignment (as created; its request hash aside). */
export function alignmentRunRow(inputs: AlignmentInputs): Omit<Prisma.RunUncheckedCreateInput, 'requestHash'> {
  return {
    kind: 'alignment',
    inputs: inputs as unknown as Prisma.InputJsonValue,
    method: alignmentMethod(inputs),
    datasetId: inputs.datasetId,
    subject: inputs.subject,
    atlas: inputs.atlas,
    layerId: inputs.layerId,
    representation: inputs.representation,
    saeId: inputs.saeId,
    ...(inputs.studyId ? { studyId: inputs.studyId } : {}),
  };
}

/** What every Score row of an alignment run carries besides its ROI's numbers (ridge and other metrics alike). */
export function alignmentScoreFields(inputs: AlignmentInputs, layer: { id: string; modelId: string }, atlas: string) {
  return {
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

/** Create (or reuse) one run per cell of a resolved plan, each with its job, in cell order. */
export async function queueAlignmentRuns(
  prisma: Db,
  jobs: JobQueue,
  plan: AlignmentPlan & { cells: AlignmentCell[] },
): Promise<(QueuedRun & { layerId: string; saeId: string | null })[]> {
  const out = [];
  for (const cell of plan.cells) {
    const inputs = alignmentInputs(plan, cell);
    const run = await createOrReuseRun(
      prisma,
      jobs,
      'alignment',
      alignmentRequestHash(inputs),
      alignmentRunRow(inputs),
    );
    out.push({ ...run, layerId: cell.layerId, saeId: cell.saeId });
  }
  return out;
}
