/**
 * One check of an alignment request, for POST /v1/alignments (one subject, one atlas, one representation) and
 * for studies (subjects x layers x representations over ROIs of any atlases): every name it uses is looked up
 * and every bad field reported together (field names as the request spells them); what comes out is the plan
 * its runs share and its cells, one run each (alignments.ts turns them into run inputs).
 */
import { layerPreprocessingOf, type LayerPreprocessing } from '../activations/preprocessing';
import { BRAIN_METRICS, isWholeSetMetric, trainedAs, type BrainMetric } from '../compute/metrics/registry';
import {
  DEFAULT_MIN_NOISE_CEILING,
  PAPER_ALPHAS,
  noiseCeilingError,
  nonDefaultScore,
  presetScoreError,
  type RidgePreset,
  type RidgeScore,
} from '../compute/ridge/presets';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { type FieldError, ValidationError } from '../errors';
import { subjectName } from '../nsd/paths';
import type { JobQueue } from '../queue/queue';
import { metricFields, queueAlignmentRuns, type AlignmentCell, type AlignmentPlan } from './alignments';
import { canonicalFolds, foldsSpecErrors, type FoldsSpec } from './folds';
import { checkUnitMemory } from './memory';
import {
  isSelectSae,
  resolveRepresentation,
  type RepresentationRequest,
  type ResolvedRepresentation,
} from './representations';
import { resolveRois, type ResolvedRoi, type RoiRequest } from './rois';
import { DEFAULT_MIN_STIMULI, stimulusFloorErrors } from './stimuli';

/** The fit's options, as both request forms name them. */
export interface AlignmentOptionsRequest {
  preset: RidgePreset;
  score?: RidgeScore;
  alphas?: number[];
  folds: FoldsSpec;
  /** Asks for noise-ceiling normalisation; minPercent defaults to DEFAULT_MIN_NOISE_CEILING. */
  noiseCeiling?: { minPercent?: number };
  /** Default ridge; cv false (rsa only): once over all evaluated stimuli. */
  metric?: BrainMetric;
  cv?: boolean;
  ridgeWeights?: boolean;
  /** Refuse a (subject, layer) sharing fewer stimuli (default DEFAULT_MIN_STIMULI); not part of what runs store. */
  minStimuli?: number;
}

/** POST /v1/alignments: one subject, ROIs of one atlas (default: all of it), one run per layer. */
export interface SingleAlignmentRequest extends AlignmentOptionsRequest {
  datasetId: string;
  subject: string | number;
  atlas: string;
  rois?: RoiRequest[];
  layerIds: string[];
  representation: RepresentationRequest;
}

/** A study's grid: one run per subject x layer x representation. */
export interface GridAlignmentRequest extends AlignmentOptionsRequest {
  datasetId: string;
  /** "all": every subject of the dataset, in label order. */
  subjects: (string | number)[] | 'all';
  rois: RoiRequest[];
  layerIds: string[];
  representations: RepresentationRequest[];
}

export type AlignmentRequest = SingleAlignmentRequest | GridAlignmentRequest;

/** A request with every name resolved: what its runs share, and its cells in queue order (subject-major). */
export interface ResolvedAlignment extends AlignmentPlan {
  subjects: string[];
  /** Without repeats, in request order. */
  layerIds: string[];
  layerPreprocessing: Record<string, LayerPreprocessing>;
  cells: AlignmentCell[];
}

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];
const isSingle = (req: AlignmentRequest): req is SingleAlignmentRequest => 'subject' in req;

/**
 * Check every name the request uses and expand it into cells; throws a ValidationError listing every bad field:
 * the options' errors (no lookup needed) first, then those of the names. An unknown dataset ends the check, as do
 * an unknown subject or atlas of POST /v1/alignments (its default ROIs are theirs).
 */
export async function resolveAlignment(prisma: Db, config: Config, req: AlignmentRequest): Promise<ResolvedAlignment> {
  const errors = optionErrors(req);
  const dataset = await prisma.dataset.findUnique({ where: { id: req.datasetId }, select: { id: true } });
  if (!dataset) throw new ValidationError([...errors, { field: 'body.datasetId', reason: 'no such dataset' }]);
  const subjects = await resolveSubjects(prisma, req, errors);
  const rois = await resolveTargets(prisma, req, subjects.known, errors);
  const layers = await resolveLayers(prisma, req.layerIds, errors);
  const resolved = await resolveRepresentations(prisma, req, layers.known, errors);
  if (errors.length) throw new ValidationError(errors);
  const layerIds = unique(req.layerIds);
  const minStimuli = req.minStimuli ?? DEFAULT_MIN_STIMULI;
  errors.push(
    ...(await stimulusFloorErrors(prisma, config, { ...req, subjects: subjects.labels, layerIds, minStimuli })),
  );
  if (errors.length) throw new ValidationError(errors);
  return {
    datasetId: req.datasetId,
    ...(isSingle(req) ? { atlas: req.atlas } : {}),
    subjects: subjects.labels,
    layerIds,
    layerPreprocessing: layers.preprocessing,
    cells: cellsOf(subjects.labels, layerIds, resolved),
    rois,
    ...alignmentOptions(req),
  };
}

/**
 * POST /v1/alignments: check the request (and that each run fits the worker memory budget: services/memory.ts),
 * then create (or reuse) one run and job per layer.
 */
export async function createAlignmentRuns(prisma: Db, config: Config, jobs: JobQueue, req: SingleAlignmentRequest) {
  const plan = await resolveAlignment(prisma, config, req);
  await checkUnitMemory(prisma, config, plan, { paired: false });
  return queueAlignmentRuns(prisma, jobs, plan);
}

/**
 * The subjects' labels and which of them the dataset has ("all": every subject of the dataset). With one subject an
 * unknown one ends the check (the default ROIs are that subject's); a study's are all reported.
 */
async function resolveSubjects(
  prisma: Db,
  req: AlignmentRequest,
  errors: FieldError[],
): Promise<{ labels: string[]; known: string[] }> {
  if (!isSingle(req) && req.subjects === 'all') {
    const all = await prisma.subject.findMany({
      where: { datasetId: req.datasetId },
      select: { label: true },
      orderBy: { label: 'asc' },
    });
    if (all.length === 0) errors.push({ field: 'body.subjects', reason: 'the dataset has no subjects' });
    const labels = all.map((s) => s.label);
    return { labels, known: labels };
  }
  const given: (string | number)[] = isSingle(req) ? [req.subject] : (req.subjects as (string | number)[]);
  const asked = given.map((s) => (typeof s === 'number' ? subjectName(s) : s));
  const labels = unique(asked);
  const rows = await prisma.subject.findMany({
    where: { datasetId: req.datasetId, label: { in: labels } },
    select: { label: true },
  });
  const known = new Set(rows.map((s) => s.label));
  const bad = asked.flatMap((label, i) =>
    known.has(label)
      ? []
      : [{ field: isSingle(req) ? 'body.subject' : `body.subjects[${i}]`, reason: `dataset has no subject ${label}` }],
  );
  errors.push(...bad);
  if (bad.length && isSingle(req)) throw new ValidationError(errors);
  return { labels, known: labels.filter((s) => known.has(s)) };
}

/** The ROIs fitted (one atlas's by plain name, or by default all of its ROIs with voxels; a study's as it lists them). */
async function resolveTargets(
  prisma: Db,
  req: AlignmentRequest,
  subjects: string[],
  errors: FieldError[],
): Promise<ResolvedRoi[]> {
  if (!isSingle(req)) {
    const r = await resolveRois(prisma, req.datasetId, subjects, req.rois, { field: 'body.rois' });
    errors.push(...r.errors);
    return r.rois;
  }
  const atlas = await prisma.atlas.findUnique({
    where: { datasetId_name: { datasetId: req.datasetId, name: req.atlas } },
    select: { id: true },
  });
  if (!atlas)
    throw new ValidationError([...errors, { field: 'body.atlas', reason: `dataset has no atlas "${req.atlas}"` }]);
  const names = req.rois ?? (await atlasRoiNames(prisma, req.datasetId, atlas.id, subjects[0]));
  const r = await resolveRois(prisma, req.datasetId, subjects, names, { atlas: req.atlas, field: 'body.rois' });
  errors.push(...r.errors);
  if (names.length === 0) errors.push({ field: 'body.rois', reason: 'no ROI with voxels to fit' });
  return r.rois;
}

/** Every ROI of an atlas with voxels in a subject (both hemispheres), by label. */
async function atlasRoiNames(prisma: Db, datasetId: string, atlasId: string, subject: string): Promise<string[]> {
  const rows = await prisma.roi.findMany({
    where: { atlasId, subject: { datasetId, label: subject }, hemisphere: 'both', voxelCount: { gt: 0 } },
    orderBy: [{ label: 'asc' }],
    select: { name: true },
  });
  return rows.map((r) => r.name);
}

async function resolveLayers(
  prisma: Db,
  layerIds: string[],
  errors: FieldError[],
): Promise<{ known: Set<string>; preprocessing: Record<string, LayerPreprocessing> }> {
  const rows = await prisma.layer.findMany({
    where: { id: { in: unique(layerIds) } },
    select: { id: true, preprocessing: true },
  });
  const known = new Set(rows.map((l) => l.id));
  layerIds.forEach((id, i) => {
    if (!known.has(id)) errors.push({ field: `body.layerIds[${i}]`, reason: 'no such layer' });
  });
  const preprocessing = Object.fromEntries(
    rows.flatMap((l) => {
      const p = layerPreprocessingOf(l.preprocessing);
      return p ? [[l.id, p]] : [];
    }),
  );
  return { known, preprocessing };
}

/**
 * The SAE (if any) of each representation on each layer. "sae" / "random-sae" name the newest ready SAE of every
 * layer (POST /v1/alignments reports a layer without one at its place in layerIds); {saeId} / {randomSaeOf} apply
 * to the SAE's own layer, which the request must hold (POST /v1/alignments: must hold alone).
 */
async function resolveRepresentations(
  prisma: Db,
  req: AlignmentRequest,
  known: Set<string>,
  errors: FieldError[],
): Promise<ResolvedRepresentation[]> {
  const single = isSingle(req);
  const reps = single ? [req.representation] : req.representations;
  const out: ResolvedRepresentation[] = [];
  for (const [i, rep] of reps.entries()) {
    const field = single ? 'body.representation' : `body.representations[${i}]`;
    if (single && typeof rep === 'string') {
      for (const [j, id] of req.layerIds.entries()) {
        if (!known.has(id)) continue;
        const r = await resolveRepresentation(prisma, rep, [id], `body.layerIds[${j}]`);
        errors.push(...r.errors);
        out.push(...r.resolved);
      }
      continue;
    }
    const layerIds = unique(req.layerIds).filter((id) => known.has(id));
    if (isSelectSae(rep) && (single || (req.metric ?? 'ridge') !== 'ridge')) {
      errors.push({
        field,
        reason: single
          ? 'selectSae chooses per outer fold within a study: use POST /v1/studies'
          : `selectSae scores candidates by their ridge mapping (metric ridge only, not ${req.metric})`,
      });
      continue;
    }
    const r = await resolveRepresentation(prisma, rep, layerIds, field);
    errors.push(...r.errors);
    const own = r.saeLayerId;
    if (own && single && req.layerIds.some((id) => id !== own))
      errors.push({ field: 'body.layerIds', reason: `an SAE applies to its own layer only (${own})` });
    else if (own && !req.layerIds.includes(own))
      errors.push({
        field: `${field}.${isSelectSae(rep) ? 'candidates' : typeof rep === 'object' && 'randomSaeOf' in rep ? 'randomSaeOf' : 'saeId'}`,
        reason: `the SAE's layer ${own} is not in layerIds`,
      });
    else out.push(...r.resolved);
  }
  return out;
}

/** Subject-major, then layer, then representation: the queue hands a worker one subject's cells in a row (one betas load). */
function cellsOf(subjects: string[], layerIds: string[], reps: ResolvedRepresentation[]): AlignmentCell[] {
  const seen = new Set<string>();
  const cells: AlignmentCell[] = [];
  for (const subject of subjects) {
    for (const layerId of layerIds) {
      for (const p of reps.filter((x) => x.layerId === layerId)) {
        const key = `${subject}/${layerId}/${p.representation}/${p.saeId}/${p.selection?.candidates.join(',') ?? ''}`;
        if (!seen.has(key)) cells.push({ subject, ...p });
        seen.add(key);
      }
    }
  }
  return cells;
}

/** Request-only checks of the options: folds, score against preset, noise ceiling, metric options. */
function optionErrors(req: AlignmentOptionsRequest): FieldError[] {
  const metric = req.metric ?? 'ridge';
  const errors = foldsSpecErrors(req.folds, 'body.folds', true, metric === 'ridge' ? undefined : `metric ${metric}`);
  const scoreError = req.score ? presetScoreError(req.preset, req.score) : null;
  if (scoreError) errors.push({ field: 'body.score', reason: scoreError });
  const ncError = req.noiseCeiling ? noiseCeilingRequestError(req) : null;
  if (ncError) errors.push({ field: 'body.noiseCeiling', reason: ncError });
  return [...errors, ...metricOptionErrors(req)];
}

/**
 * Why asking for noise-ceiling normalisation cannot be honoured: the metric is not ridge (a set-level similarity
 * has no per-voxel r), or the preset's scores are not what the ncsnr ceiling describes (presets.ts).
 */
function noiseCeilingRequestError(req: AlignmentOptionsRequest): string | null {
  const metric = req.metric ?? 'ridge';
  if (metric !== 'ridge') return `metric ${metric} is not normalised by a noise ceiling (ridge only)`;
  return noiseCeilingError(req.preset, req.score);
}

/**
 * The noise-ceiling threshold as runs store it: wherever the normalisation applies (ridge, a preset and score the
 * ceiling describes) runs normalise, asked or not, and store the threshold used (the default filled in), so that
 * `{}`, `{minPercent: 10}` and no option are one request and a run shows its threshold; elsewhere nothing.
 */
function storedNoiseCeiling(req: AlignmentOptionsRequest): { noiseCeiling?: { minPercent: number } } {
  if (noiseCeilingRequestError(req) !== null) return {};
  return { noiseCeiling: { minPercent: req.noiseCeiling?.minPercent ?? DEFAULT_MIN_NOISE_CEILING } };
}

const WHOLE_SET_BRAIN_METRICS = BRAIN_METRICS.filter(isWholeSetMetric);

/** Field errors of the metric options (cv: false for the metrics that fit nothing; ridge weights for ridge only). */
export function metricOptionErrors(req: { metric?: BrainMetric; cv?: boolean; ridgeWeights?: boolean }): FieldError[] {
  const metric = req.metric ?? 'ridge';
  const errors: FieldError[] = [];
  if (req.cv === false && !isWholeSetMetric(metric))
    errors.push({
      field: 'body.cv',
      reason: `cv: false applies to ${WHOLE_SET_BRAIN_METRICS.join(', ')} only (${metric} is ${trainedAs(metric)} on training folds)`,
    });
  if (req.ridgeWeights && metric !== 'ridge')
    errors.push({ field: 'body.ridgeWeights', reason: 'ridge weights exist for metric ridge only' });
  return errors;
}

/** The options as runs store them: defaults filled in, and left out where absence means the default (stable hashes). */
function alignmentOptions(req: AlignmentOptionsRequest): Omit<AlignmentPlan, 'datasetId' | 'atlas' | 'rois'> {
  return {
    preset: req.preset,
    ...nonDefaultScore(req.preset, req.score),
    alphas: req.alphas ?? [...PAPER_ALPHAS],
    folds: canonicalFolds(req.folds),
    ...storedNoiseCeiling(req),
    ...(req.ridgeWeights ? { ridgeWeights: true as const } : {}),
    ...metricFields(req),
  };
}
