/**
 * Studies: a grid of alignment runs (subjects x layers x representations) over one ROI set, created and read
 * as one thing. Each cell is an alignment run with its own job: the unit that shares a decomposition across
 * all the ROIs (fitRidgeCvGroups). Cells are queued subject by subject, so a worker's betas cache
 * (jobs/inputs.ts) serves every job of a subject from one load.
 */
import { layerPreprocessingOf, type LayerPreprocessing } from '../activations/preprocessing';
import type { Db, Prisma } from '../db/client';
import { HttpProblem, type FieldError } from '../http/problem';
import { alignmentMethod, alignmentRequestHash, metricFields, type AlignmentInputs } from '../jobs/handlers/alignment';
import type { JobQueue } from '../jobs/queue';
import { PAPER_ALPHAS, nonDefaultScore, presetScoreError, scoreMethod, type RidgePreset, type RidgeScore } from '../compute/ridge/presets';
import { subjectName } from '../nsd/paths';
import { canonicalFolds, foldsSpecErrors, type FoldsSpec } from './folds';
import { requestHash } from './request-hash';
import { resolveRois, type ResolvedRoi, type RoiRequest } from './rois';
import { createOrReuseIn, lockKey, TRANSACTION_WAIT } from './idempotent';
import { runStore } from './runs';
import { csvText } from './csv';
import { resolveRepresentation, type RepresentationKind, type RepresentationRequest, type ResolvedRepresentation } from './representations';

export interface StudyRequest {
  name?: string;
  datasetId: string;
  subjects: (string | number)[];
  layerIds: string[];
  representations: RepresentationRequest[];
  rois: RoiRequest[];
  preset: RidgePreset;
  score?: RidgeScore;
  alphas?: number[];
  folds: FoldsSpec;
  noiseCeiling?: { minPercent: number };
  /** Brain metric (default ridge) and, for rsa, cv: false (once over all stimuli). */
  metric?: 'ridge' | 'rsa' | 'semi-matching' | 'soft-matching';
  cv?: boolean;
}

/** What a study stores: the request with every name resolved. */
export interface StudyInputs {
  name: string | null;
  datasetId: string;
  subjects: string[];
  layerIds: string[];
  /** Preprocessing of the layers that have one (stored with the layer; every cell's run reports it). */
  layerPreprocessing?: Record<string, LayerPreprocessing>;
  cells: { subject: string; layerId: string; representation: RepresentationKind; saeId: string | null }[];
  rois: ResolvedRoi[];
  preset: RidgePreset;
  /** Fold score when not the preset's default. */
  score?: RidgeScore;
  alphas: number[];
  folds: FoldsSpec;
  noiseCeiling?: { minPercent: number };
  /** Absent: ridge, per fold (as before these options existed). */
  metric?: AlignmentInputs['metric'];
  cv?: false;
}

export type StudyState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** Check every name the request uses and expand it into cells; throws a 400 listing every bad field. */
async function resolveStudy(prisma: Db, body: StudyRequest): Promise<StudyInputs> {
  const errors: FieldError[] = [];
  const dataset = await prisma.dataset.findUnique({ where: { id: body.datasetId }, select: { id: true } });
  if (!dataset) throw HttpProblem.invalid('body.datasetId', 'no such dataset');
  const subjects = unique(body.subjects.map((s) => (typeof s === 'number' ? subjectName(s) : s)));
  const known = new Set((await prisma.subject.findMany({ where: { datasetId: body.datasetId, label: { in: subjects } }, select: { label: true } })).map((s) => s.label));
  body.subjects.forEach((s, i) => {
    const label = typeof s === 'number' ? subjectName(s) : s;
    if (!known.has(label)) errors.push({ field: `body.subjects[${i}]`, reason: `dataset has no subject ${label}` });
  });
  const layerIds = unique(body.layerIds);
  const layerRows = await prisma.layer.findMany({ where: { id: { in: layerIds } }, select: { id: true, preprocessing: true } });
  const layers = new Set(layerRows.map((l) => l.id));
  const layerPreprocessing = Object.fromEntries(layerRows.flatMap((l) => (layerPreprocessingOf(l.preprocessing) ? [[l.id, layerPreprocessingOf(l.preprocessing)!]] : [])));
  body.layerIds.forEach((id, i) => {
    if (!layers.has(id)) errors.push({ field: `body.layerIds[${i}]`, reason: 'no such layer' });
  });
  const pairs: ResolvedRepresentation[] = [];
  for (const [i, rep] of body.representations.entries()) {
    const field = `body.representations[${i}]`;
    const r = await resolveRepresentation(prisma, rep, layerIds.filter((id) => layers.has(id)), field);
    errors.push(...r.errors);
    if (r.saeLayerId && !layerIds.includes(r.saeLayerId)) errors.push({ field: `${field}.${typeof rep === 'object' && 'randomSaeOf' in rep ? 'randomSaeOf' : 'saeId'}`, reason: `the SAE's layer ${r.saeLayerId} is not in layerIds` });
    else pairs.push(...r.resolved);
  }
  const resolved = await resolveRois(prisma, body.datasetId, subjects.filter((s) => known.has(s)), body.rois, { field: 'body.rois' });
  errors.push(...resolved.errors);
  errors.push(...foldsSpecErrors(body.folds, 'body.folds'));
  const scoreError = body.score ? presetScoreError(body.preset, body.score) : null;
  if (scoreError) errors.push({ field: 'body.score', reason: scoreError });
  if (errors.length) throw HttpProblem.fields(errors);
  // Subject-major order: the queue hands a worker one subject's cells in a row (one betas load).
  const seen = new Set<string>();
  const cells: StudyInputs['cells'] = [];
  for (const subject of subjects) {
    for (const layerId of layerIds) {
      for (const p of pairs.filter((x) => x.layerId === layerId)) {
        const key = `${subject}/${layerId}/${p.representation}/${p.saeId}`;
        if (!seen.has(key)) cells.push({ subject, ...p });
        seen.add(key);
      }
    }
  }
  return {
    name: body.name ?? null,
    datasetId: body.datasetId,
    subjects,
    layerIds,
    ...(Object.keys(layerPreprocessing).length ? { layerPreprocessing } : {}),
    cells,
    rois: resolved.rois,
    preset: body.preset,
    ...nonDefaultScore(body.preset, body.score),
    alphas: body.alphas ?? [...PAPER_ALPHAS],
    folds: canonicalFolds(body.folds),
    ...(body.noiseCeiling ? { noiseCeiling: body.noiseCeiling } : {}),
    ...metricFields(body),
  };
}

/** The alignment inputs of one cell. */
function cellInputs(studyId: string, s: StudyInputs, cell: StudyInputs['cells'][number]): AlignmentInputs {
  return {
    datasetId: s.datasetId,
    subject: cell.subject,
    atlas: unique(s.rois.flatMap((r) => r.atlas.split('+'))).sort().join('+'),
    rois: s.rois,
    layerId: cell.layerId,
    ...(s.layerPreprocessing?.[cell.layerId] ? { preprocessing: s.layerPreprocessing[cell.layerId] } : {}),
    representation: cell.representation,
    saeId: cell.saeId,
    preset: s.preset,
    ...(s.score ? { score: s.score } : {}),
    alphas: s.alphas,
    folds: s.folds,
    ...(s.noiseCeiling ? { noiseCeiling: s.noiseCeiling } : {}),
    ...metricFields(s),
    studyId,
  };
}

/**
 * Create a study with one run and job per cell, or return the identical earlier one (its failed or cancelled
 * cells queued again), in one transaction.
 */
export async function createStudy(prisma: Db, jobs: JobQueue, body: StudyRequest): Promise<{ id: string; reused: boolean }> {
  const inputs = await resolveStudy(prisma, body);
  const { metric: _m, cv: _c, ...request } = body;
  const hash = requestHash('study', { ...request, ...metricFields(body), subjects: inputs.subjects, alphas: inputs.alphas, name: inputs.name, score: inputs.score, folds: inputs.folds });
  return prisma.$transaction(
    async (tx) => {
      await lockKey(tx, `study:${hash}`);
      const existing = await tx.study.findUnique({ where: { requestHash: hash } });
      const study = existing ?? (await tx.study.create({ data: { name: inputs.name, requestHash: hash, inputs: inputs as unknown as Prisma.InputJsonValue } }));
      if (existing?.cancelledAt) await tx.study.update({ where: { id: existing.id }, data: { cancelledAt: null } });
      const stored = (existing?.inputs as unknown as StudyInputs | undefined) ?? inputs;
      for (const [order, cell] of stored.cells.entries()) {
        const ai = cellInputs(study.id, stored, cell);
        const hash = alignmentRequestHash(ai);
        await createOrReuseIn(tx, jobs, 'alignment', hash, runStore(hash, {
          kind: 'alignment',
          inputs: ai as unknown as Prisma.InputJsonValue,
          method: alignmentMethod(ai),
          datasetId: ai.datasetId,
          subject: ai.subject,
          atlas: ai.atlas,
          layerId: ai.layerId,
          representation: ai.representation,
          saeId: ai.saeId,
          studyId: study.id,
        }), order);
      }
      return { id: study.id, reused: existing !== null };
    },
    TRANSACTION_WAIT,
  );
}

const RESULT_COLUMNS = ['subject', 'model', 'layer', 'layerId', 'representation', 'saeId', 'roi', 'atlas', 'value', 'sem', 'foldValues', 'alphas', 'nVoxels', 'noiseCeiling', 'normalised', 'runId'] as const;

export interface StudyResultRow {
  subject: string;
  model: string;
  layer: string;
  layerId: string;
  representation: string;
  saeId: string | null;
  roi: string;
  atlas: string | null;
  value: number;
  sem: number | null;
  foldValues: number[];
  alphas: number[];
  nVoxels: number | null;
  noiseCeiling: number | null;
  normalised: number | null;
  runId: string;
  /** The layer's preprocessing (null: none). */
  preprocessing: LayerPreprocessing | null;
}

export interface StudyView {
  id: string;
  name: string | null;
  state: StudyState;
  createdAt: string;
  cancelledAt: string | null;
  inputs: StudyInputs;
  progress: {
    done: number;
    total: number;
    failed: number;
    cancelled: number;
    running: { runId: string; jobId: string | null; subject: string; layerId: string; representation: string; stage: string | null; fraction: number }[];
  };
  cells: { runId: string; jobId: string | null; subject: string; layerId: string; representation: string; saeId: string | null; status: string; error: string | null }[];
  results: StudyResultRow[];
}

function stateOf(cancelled: boolean, statuses: string[]): StudyState {
  if (cancelled) return 'cancelled';
  if (statuses.every((s) => s === 'succeeded')) return 'succeeded';
  const open = statuses.some((s) => s === 'queued' || s === 'running');
  if (!open) return statuses.some((s) => s === 'failed') ? 'failed' : 'cancelled';
  return statuses.some((s) => s !== 'queued') ? 'running' : 'queued';
}

/** A study with its progress over jobs and, once any cell is done, its tidy results (null: no such study). */
export async function getStudy(prisma: Db, id: string, opts: { results?: boolean } = {}): Promise<StudyView | null> {
  const study = await prisma.study.findUnique({ where: { id } });
  if (!study) return null;
  const inputs = study.inputs as unknown as StudyInputs;
  const runs = await prisma.run.findMany({ where: { studyId: id }, select: { id: true, jobId: true, subject: true, layerId: true, representation: true, saeId: true, status: true, error: true } });
  const order = new Map(inputs.cells.map((c, i) => [`${c.subject}/${c.layerId}/${c.representation}/${c.saeId}`, i]));
  const rank = (r: { subject: string | null; layerId: string | null; representation: string; saeId: string | null }) => order.get(`${r.subject}/${r.layerId}/${r.representation}/${r.saeId}`) ?? 1e9;
  runs.sort((a, b) => rank(a) - rank(b));
  const running = runs.filter((r) => r.status === 'running');
  const jobs = await prisma.job.findMany({ where: { id: { in: running.map((r) => r.jobId).filter((j): j is string => j !== null) } }, select: { id: true, progress: true } });
  const progressOf = new Map(jobs.map((j) => [j.id, j.progress as { stage: string; done: number; total: number } | null]));
  const count = (s: string) => runs.filter((r) => r.status === s).length;
  const view: StudyView = {
    id: study.id,
    name: study.name,
    state: stateOf(study.cancelledAt !== null, runs.map((r) => r.status)),
    createdAt: study.createdAt.toISOString(),
    cancelledAt: study.cancelledAt?.toISOString() ?? null,
    inputs,
    progress: {
      done: count('succeeded'),
      total: runs.length,
      failed: count('failed'),
      cancelled: count('cancelled'),
      running: running.map((r) => {
        const p = r.jobId ? progressOf.get(r.jobId) : null;
        return { runId: r.id, jobId: r.jobId, subject: r.subject!, layerId: r.layerId!, representation: r.representation, stage: p?.stage ?? null, fraction: p && p.total > 0 ? Math.min(1, p.done / p.total) : 0 };
      }),
    },
    cells: runs.map((r) => ({ runId: r.id, jobId: r.jobId, subject: r.subject!, layerId: r.layerId!, representation: r.representation, saeId: r.saeId, status: r.status, error: r.error })),
    results: [],
  };
  if (opts.results !== false && view.progress.done > 0) view.results = await studyResults(prisma, inputs, runs.filter((r) => r.status === 'succeeded').map((r) => r.id), rank);
  return view;
}

async function studyResults(prisma: Db, inputs: StudyInputs, runIds: string[], rank: (r: { subject: string | null; layerId: string | null; representation: string; saeId: string | null }) => number): Promise<StudyResultRow[]> {
  const scores = await prisma.score.findMany({ where: { runId: { in: runIds } } });
  const layers = await prisma.layer.findMany({ where: { id: { in: inputs.layerIds } }, select: { id: true, name: true, preprocessing: true, model: { select: { name: true } } } });
  const layerOf = new Map(layers.map((l) => [l.id, l]));
  const roiRank = new Map(inputs.rois.map((r, i) => [r.name, i]));
  scores.sort((a, b) => rank(a) - rank(b) || (roiRank.get(a.target) ?? 0) - (roiRank.get(b.target) ?? 0));
  return scores.map((s) => ({
    subject: s.subject!,
    model: layerOf.get(s.layerId!)?.model.name ?? '',
    layer: layerOf.get(s.layerId!)?.name ?? '',
    layerId: s.layerId!,
    representation: s.representation,
    saeId: s.saeId,
    roi: s.target,
    atlas: s.atlas,
    value: s.value,
    sem: s.sem,
    foldValues: s.foldValues,
    alphas: s.alphas,
    nVoxels: s.nVoxels,
    noiseCeiling: s.noiseCeiling,
    normalised: s.normalised,
    runId: s.runId,
    preprocessing: layerPreprocessingOf(layerOf.get(s.layerId!)?.preprocessing),
  }));
}

/** The tidy results as CSV (RFC 4180; list columns joined by ";"). */
export function resultsCsv(rows: StudyResultRow[]): string {
  const cells = rows.map((r) => RESULT_COLUMNS.map((c) => (Array.isArray(r[c]) ? r[c].join(';') : r[c])));
  return csvText([RESULT_COLUMNS, ...cells], '\n');
}

export async function listStudies(prisma: Db, opts: { limit: number; offset: number }): Promise<StudyView[]> {
  const rows = await prisma.study.findMany({ orderBy: { createdAt: 'desc' }, take: opts.limit, skip: opts.offset, select: { id: true } });
  const out: StudyView[] = [];
  for (const r of rows) out.push((await getStudy(prisma, r.id, { results: false }))!);
  return out;
}

/** Cancel what is left of a study (queued and running cells); finished cells and their results stay. */
export async function cancelStudy(prisma: Db, jobs: JobQueue, id: string): Promise<boolean> {
  const study = await prisma.study.findUnique({ where: { id }, select: { id: true } });
  if (!study) return false;
  await prisma.study.update({ where: { id }, data: { cancelledAt: new Date() } });
  const open = await prisma.run.findMany({ where: { studyId: id, status: { in: ['queued', 'running'] } }, select: { jobId: true } });
  for (const r of open) if (r.jobId) await jobs.cancel(r.jobId);
  return true;
}
