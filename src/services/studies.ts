/**
 * Studies: a grid of alignment runs (subjects x layers x representations) over one ROI set, created and read
 * as one thing. Each cell (subject x layer x representation) is an alignment run; each (subject, layer) is one
 * job (a unit, jobs/handlers/study-unit.ts) that fits all of that layer's representations on the same folds,
 * each over one decomposition per fold shared by all the ROIs (fitRidgeCvGroups), and computes the paired
 * statistics of every pair of them from their held-out predictions. Units are queued subject by subject, so a
 * worker's betas cache (jobs/inputs.ts) serves every job of a subject from one load.
 */
import { layerPreprocessingOf, type LayerPreprocessing } from '../activations/preprocessing';
import type { Db, Prisma } from '../db/client';
import { type FieldError, ValidationError } from '../errors';
import { alignmentMethod, alignmentRequestHash, metricFields, type AlignmentInputs } from '../jobs/handlers/alignment';
import type { JobQueue } from '../queue/queue';
import {
  PAPER_ALPHAS,
  nonDefaultScore,
  presetScoreError,
  type RidgePreset,
  type RidgeScore,
} from '../compute/ridge/presets';
import { subjectName } from '../nsd/paths';
import { canonicalFolds, foldsSpecErrors, type FoldsSpec } from './folds';
import { requestHash } from './request-hash';
import { resolveRois, type ResolvedRoi, type RoiRequest } from './rois';
import { createOrReuseIn, lockKey, TRANSACTION_WAIT, type ResultStore } from './idempotent';
import { csvText } from './csv';
import type { StudyResultRow } from './study-rows';
import {
  resolveRepresentation,
  type RepresentationKind,
  type RepresentationRequest,
  type ResolvedRepresentation,
} from './representations';
import type { PairedLookup, PairedSummary } from './paired-comparisons';

export type { StudyResultRow };

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
  /** Paired statistics: bootstrap resamples, random sign flips, seed (defaults DEFAULT_STATISTICS). */
  statistics?: Partial<StudyStatistics>;
}

export interface StudyStatistics {
  resamples: number;
  permutations: number;
  /** Bootstrap seed of the first ROI; ROI i uses seed + i (each paired cell stores its own). */
  seed: number;
}

export const DEFAULT_STATISTICS: StudyStatistics = { resamples: 1000, permutations: 9999, seed: 0 };

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
  /** Absent in studies stored before paired statistics (DEFAULT_STATISTICS then). */
  statistics?: StudyStatistics;
}

/** The pairs [a, b] (b - a) of a unit's representations that get paired cells: every pair, a the earlier (neurons first). */
export function unitPairs(reps: readonly unknown[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < reps.length; i++) for (let j = i + 1; j < reps.length; j++) out.push([i, j]);
  return out;
}

export type StudyState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** Check every name the request uses and expand it into cells; throws a 400 listing every bad field. */
async function resolveStudy(prisma: Db, body: StudyRequest): Promise<StudyInputs> {
  const errors: FieldError[] = [];
  const dataset = await prisma.dataset.findUnique({ where: { id: body.datasetId }, select: { id: true } });
  if (!dataset) throw ValidationError.of('body.datasetId', 'no such dataset');
  const subjects = unique(body.subjects.map((s) => (typeof s === 'number' ? subjectName(s) : s)));
  const known = new Set(
    (
      await prisma.subject.findMany({
        where: { datasetId: body.datasetId, label: { in: subjects } },
        select: { label: true },
      })
    ).map((s) => s.label),
  );
  body.subjects.forEach((s, i) => {
    const label = typeof s === 'number' ? subjectName(s) : s;
    if (!known.has(label)) errors.push({ field: `body.subjects[${i}]`, reason: `dataset has no subject ${label}` });
  });
  const layerIds = unique(body.layerIds);
  const layerRows = await prisma.layer.findMany({
    where: { id: { in: layerIds } },
    select: { id: true, preprocessing: true },
  });
  const layers = new Set(layerRows.map((l) => l.id));
  const layerPreprocessing = Object.fromEntries(
    layerRows.flatMap((l) =>
      layerPreprocessingOf(l.preprocessing) ? [[l.id, layerPreprocessingOf(l.preprocessing)!]] : [],
    ),
  );
  body.layerIds.forEach((id, i) => {
    if (!layers.has(id)) errors.push({ field: `body.layerIds[${i}]`, reason: 'no such layer' });
  });
  const pairs: ResolvedRepresentation[] = [];
  for (const [i, rep] of body.representations.entries()) {
    const field = `body.representations[${i}]`;
    const r = await resolveRepresentation(
      prisma,
      rep,
      layerIds.filter((id) => layers.has(id)),
      field,
    );
    errors.push(...r.errors);
    if (r.saeLayerId && !layerIds.includes(r.saeLayerId))
      errors.push({
        field: `${field}.${typeof rep === 'object' && 'randomSaeOf' in rep ? 'randomSaeOf' : 'saeId'}`,
        reason: `the SAE's layer ${r.saeLayerId} is not in layerIds`,
      });
    else pairs.push(...r.resolved);
  }
  const resolved = await resolveRois(
    prisma,
    body.datasetId,
    subjects.filter((s) => known.has(s)),
    body.rois,
    { field: 'body.rois' },
  );
  errors.push(...resolved.errors);
  errors.push(...foldsSpecErrors(body.folds, 'body.folds'));
  const scoreError = body.score ? presetScoreError(body.preset, body.score) : null;
  if (scoreError) errors.push({ field: 'body.score', reason: scoreError });
  if (errors.length) throw new ValidationError(errors);
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
    statistics: { ...DEFAULT_STATISTICS, ...body.statistics },
  };
}

/** The alignment inputs of one cell. */
function cellInputs(studyId: string, s: StudyInputs, cell: StudyInputs['cells'][number]): AlignmentInputs {
  return {
    datasetId: s.datasetId,
    subject: cell.subject,
    atlas: unique(s.rois.flatMap((r) => r.atlas.split('+')))
      .sort()
      .join('+'),
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

/** The run of one cell, as createOrReuseIn's store for it would create it. */
function cellRun(studyId: string, ai: AlignmentInputs): Omit<Prisma.RunUncheckedCreateInput, 'requestHash'> {
  return {
    kind: 'alignment',
    inputs: ai as unknown as Prisma.InputJsonValue,
    method: alignmentMethod(ai),
    datasetId: ai.datasetId,
    subject: ai.subject,
    atlas: ai.atlas,
    layerId: ai.layerId,
    representation: ai.representation,
    saeId: ai.saeId,
    studyId,
  };
}

type UnitRow = {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId: string | null;
};

/**
 * How a (subject, layer) unit's runs are stored for createOrReuseIn: one row per representation, one job for all.
 * The unit reads as one row: retryable (failed) when any run is missing, failed or cancelled; then the missing
 * runs are created, the failed and cancelled ones queued again, and one job computes the whole unit.
 */
function unitStore(studyId: string, runs: { hash: string; data: ReturnType<typeof cellRun> }[]): ResultStore<UnitRow> {
  const select = { id: true, status: true, jobId: true, requestHash: true } as const;
  const load = async (tx: Prisma.TransactionClient) => {
    const rows = await tx.run.findMany({ where: { requestHash: { in: runs.map((r) => r.hash) } }, select });
    return runs.map((r) => rows.find((x) => x.requestHash === r.hash) ?? null);
  };
  const asUnit = (rows: Awaited<ReturnType<typeof load>>): UnitRow | null => {
    const have = rows.filter((r) => r !== null);
    if (have.length === 0) return null;
    const st = have.map((r) => r.status);
    const status: UnitRow['status'] =
      have.length < rows.length || st.some((x) => x === 'failed' || x === 'cancelled')
        ? 'failed'
        : st.every((x) => x === 'succeeded')
          ? 'succeeded'
          : st.some((x) => x === 'running')
            ? 'running'
            : 'queued';
    return { id: have[0].id, status, jobId: have[0].jobId };
  };
  const createMissing = async (tx: Prisma.TransactionClient) => {
    const rows = await load(tx);
    for (const [i, r] of rows.entries()) {
      if (!r) await tx.run.create({ data: { ...runs[i].data, requestHash: runs[i].hash } });
      else if (r.status === 'failed' || r.status === 'cancelled')
        await tx.run.update({
          where: { id: r.id },
          data: { status: 'queued', error: null, startedAt: null, finishedAt: null },
        });
    }
    const now = await load(tx);
    ids = now.map((r) => r!.id);
    return asUnit(now)!;
  };
  // The unit's run ids once created (job() is asked for the payload before attachJob).
  let ids: string[] = [];
  return {
    find: async (tx) => asUnit(await load(tx)),
    create: createMissing,
    reset: (tx) => createMissing(tx),
    attachJob: async (tx, _id, jobId) => {
      const rows = (await load(tx)).filter((r) => r !== null);
      await tx.run.updateMany({ where: { id: { in: ids } }, data: { jobId } });
      return { ...asUnit(rows)!, jobId };
    },
    job: (row) => ({ data: { studyId, runIds: ids }, links: { runId: row.id } }),
  };
}

/**
 * Create a study with one run per cell and one job per (subject, layer), or return the identical earlier one
 * (its failed or cancelled units queued again), in one transaction.
 */
export async function createStudy(
  prisma: Db,
  jobs: JobQueue,
  body: StudyRequest,
): Promise<{ id: string; reused: boolean }> {
  const inputs = await resolveStudy(prisma, body);
  const { metric: _m, cv: _c, ...request } = body;
  const hash = requestHash('study', {
    ...request,
    ...metricFields(body),
    subjects: inputs.subjects,
    alphas: inputs.alphas,
    name: inputs.name,
    score: inputs.score,
    folds: inputs.folds,
    statistics: inputs.statistics,
  });
  return prisma.$transaction(async (tx) => {
    await lockKey(tx, `study:${hash}`);
    const existing = await tx.study.findUnique({ where: { requestHash: hash } });
    const study =
      existing ??
      (await tx.study.create({
        data: { name: inputs.name, requestHash: hash, inputs: inputs as unknown as Prisma.InputJsonValue },
      }));
    if (existing?.cancelledAt) await tx.study.update({ where: { id: existing.id }, data: { cancelledAt: null } });
    const stored = (existing?.inputs as unknown as StudyInputs | undefined) ?? inputs;
    // Units in cell order (subject-major), each with its representations in cell order.
    const units = new Map<string, { hash: string; data: ReturnType<typeof cellRun> }[]>();
    for (const cell of stored.cells) {
      const ai = cellInputs(study.id, stored, cell);
      const key = `${cell.subject}/${cell.layerId}`;
      (units.get(key) ?? units.set(key, []).get(key)!).push({
        hash: alignmentRequestHash(ai),
        data: cellRun(study.id, ai),
      });
    }
    let order = 0;
    for (const runs of units.values()) {
      await createOrReuseIn(
        tx,
        jobs,
        'alignment',
        requestHash(
          'study-unit',
          runs.map((r) => r.hash),
        ),
        unitStore(study.id, runs),
        order++,
      );
    }
    return { id: study.id, reused: existing !== null };
  }, TRANSACTION_WAIT);
}

const RESULT_COLUMNS = [
  'subject',
  'model',
  'layer',
  'layerId',
  'representation',
  'saeId',
  'roi',
  'atlas',
  'value',
  'sem',
  'foldValues',
  'alphas',
  'nVoxels',
  'noiseCeiling',
  'normalised',
  'runId',
] as const;

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
    /** Jobs: one per subject x layer, fitting all of that layer's representations (done: all its runs succeeded). */
    jobs: { done: number; total: number };
    running: {
      runId: string;
      jobId: string | null;
      subject: string;
      layerId: string;
      representation: string;
      stage: string | null;
      fraction: number;
    }[];
  };
  cells: {
    runId: string;
    jobId: string | null;
    subject: string;
    layerId: string;
    representation: string;
    saeId: string | null;
    status: string;
    error: string | null;
  }[];
  results: StudyResultRow[];
}

function jobCounts(runs: { jobId: string | null; status: string }[]): { done: number; total: number } {
  const byJob = new Map<string, boolean>();
  for (const r of runs) {
    const key = r.jobId ?? `run:${r.status}`;
    byJob.set(key, (byJob.get(key) ?? true) && r.status === 'succeeded');
  }
  return { done: [...byJob.values()].filter(Boolean).length, total: byJob.size };
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
  const runs = await prisma.run.findMany({
    where: { studyId: id },
    select: {
      id: true,
      jobId: true,
      subject: true,
      layerId: true,
      representation: true,
      saeId: true,
      status: true,
      error: true,
    },
  });
  const order = new Map(inputs.cells.map((c, i) => [`${c.subject}/${c.layerId}/${c.representation}/${c.saeId}`, i]));
  const rank = (r: { subject: string | null; layerId: string | null; representation: string; saeId: string | null }) =>
    order.get(`${r.subject}/${r.layerId}/${r.representation}/${r.saeId}`) ?? 1e9;
  runs.sort((a, b) => rank(a) - rank(b));
  const running = runs.filter((r) => r.status === 'running');
  const jobs = await prisma.job.findMany({
    where: { id: { in: running.map((r) => r.jobId).filter((j): j is string => j !== null) } },
    select: { id: true, progress: true },
  });
  const progressOf = new Map(
    jobs.map((j) => [j.id, j.progress as { stage: string; done: number; total: number } | null]),
  );
  const count = (s: string) => runs.filter((r) => r.status === s).length;
  const view: StudyView = {
    id: study.id,
    name: study.name,
    state: stateOf(
      study.cancelledAt !== null,
      runs.map((r) => r.status),
    ),
    createdAt: study.createdAt.toISOString(),
    cancelledAt: study.cancelledAt?.toISOString() ?? null,
    inputs,
    progress: {
      done: count('succeeded'),
      total: runs.length,
      failed: count('failed'),
      cancelled: count('cancelled'),
      jobs: jobCounts(runs),
      running: running.map((r) => {
        const p = r.jobId ? progressOf.get(r.jobId) : null;
        return {
          runId: r.id,
          jobId: r.jobId,
          subject: r.subject!,
          layerId: r.layerId!,
          representation: r.representation,
          stage: p?.stage ?? null,
          fraction: p && p.total > 0 ? Math.min(1, p.done / p.total) : 0,
        };
      }),
    },
    cells: runs.map((r) => ({
      runId: r.id,
      jobId: r.jobId,
      subject: r.subject!,
      layerId: r.layerId!,
      representation: r.representation,
      saeId: r.saeId,
      status: r.status,
      error: r.error,
    })),
    results: [],
  };
  if (opts.results !== false && view.progress.done > 0)
    view.results = await studyResults(
      prisma,
      inputs,
      runs.filter((r) => r.status === 'succeeded').map((r) => r.id),
      rank,
    );
  return view;
}

async function studyResults(
  prisma: Db,
  inputs: StudyInputs,
  runIds: string[],
  rank: (r: { subject: string | null; layerId: string | null; representation: string; saeId: string | null }) => number,
): Promise<StudyResultRow[]> {
  const scores = await prisma.score.findMany({ where: { runId: { in: runIds } } });
  const layers = await prisma.layer.findMany({
    where: { id: { in: inputs.layerIds } },
    select: { id: true, name: true, preprocessing: true, model: { select: { name: true } } },
  });
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
  const rows = await prisma.study.findMany({
    orderBy: { createdAt: 'desc' },
    take: opts.limit,
    skip: opts.offset,
    select: { id: true },
  });
  const out: StudyView[] = [];
  for (const r of rows) out.push((await getStudy(prisma, r.id, { results: false }))!);
  return out;
}

/** Cancel what is left of a study (queued and running cells); finished cells and their results stay. */
export async function cancelStudy(prisma: Db, jobs: JobQueue, id: string): Promise<boolean> {
  const study = await prisma.study.findUnique({ where: { id }, select: { id: true } });
  if (!study) return false;
  await prisma.study.update({ where: { id }, data: { cancelledAt: new Date() } });
  const open = await prisma.run.findMany({
    where: { studyId: id, status: { in: ['queued', 'running'] } },
    select: { jobId: true },
  });
  for (const jobId of new Set(open.map((r) => r.jobId))) if (jobId) await jobs.cancel(jobId);
  return true;
}

/** A study's stored paired statistics (written by its unit jobs), keyed for compareResultRows. */
export async function studyPaired(prisma: Db, studyId: string): Promise<PairedLookup> {
  return pairedLookup(await prisma.pairedComparison.findMany({ where: { studyId } }));
}

/** The stored paired statistics whose a-run is one of `aRunIds` (e.g. the neurons runs a score matrix shows). */
export async function pairedForRuns(prisma: Db, aRunIds: string[]): Promise<PairedLookup> {
  return aRunIds.length
    ? pairedLookup(await prisma.pairedComparison.findMany({ where: { aRunId: { in: aRunIds } } }))
    : new Map();
}

function pairedLookup(rows: Awaited<ReturnType<Db['pairedComparison']['findMany']>>): PairedLookup {
  const num = (x: number | null) => x ?? NaN;
  return new Map(
    rows.map((r): [string, PairedSummary] => [
      `${r.aRunId}|${r.bRunId}|${r.roi}`,
      {
        a: r.a,
        b: r.b,
        difference: r.difference,
        bootstrapCi:
          r.bootstrapLower === null || r.bootstrapUpper === null
            ? null
            : {
                lower: r.bootstrapLower,
                upper: r.bootstrapUpper,
                se: num(r.bootstrapSe),
                nResamples: r.nResamples,
                seed: Number(r.seed),
              },
        p: r.p,
        permutation: { exact: r.permutationExact, nPermutations: r.nPermutations },
        nStimuli: r.nStimuli,
      },
    ]),
  );
}
