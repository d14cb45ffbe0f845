/**
 * Reading studies: one study with its state, progress over jobs and tidy results (JSON or CSV), the list of
 * studies, the progress that GET /v1/studies/{id}/events streams, and the paired comparison tables.
 */
import { layerPreprocessingOf } from '../activations/preprocessing';
import type { Db } from '../db/client';
import { NotFoundError, ValidationError } from '../errors';
import type { Progress } from '../progress';
import { csvText } from './csv';
import { foldRepeats } from './folds';
import {
  type AcrossSubjectsOptions,
  type Adjustment,
  compareResultRows,
  type FoldLookup,
  foldIdentity,
  SelectorError,
} from './paired-comparisons';
import type { StudyInputs } from './study-inputs';
import { studyPaired } from './study-paired';
import type { SaeSelectionResult, StudyResultRow } from './study-rows';

export type StudyState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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
  'nStimuli',
  'noiseCeiling',
  'normalised',
  'baseline',
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
      versions: true,
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
  const progressOf = new Map(jobs.map((j) => [j.id, j.progress as Progress | null]));
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
      runs.filter((r) => r.status === 'succeeded'),
      rank,
    );
  return view;
}

async function studyResults(
  prisma: Db,
  inputs: StudyInputs,
  runs: { id: string; versions: unknown }[],
  rank: (r: { subject: string | null; layerId: string | null; representation: string; saeId: string | null }) => number,
): Promise<StudyResultRow[]> {
  const scores = await prisma.score.findMany({ where: { runId: { in: runs.map((r) => r.id) } } });
  const selections = new Map(
    runs.map((r) => [r.id, (r.versions as { saeSelection?: SaeSelectionResult } | null)?.saeSelection ?? null]),
  );
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
    nStimuli: s.nStimuli,
    noiseCeiling: s.noiseCeiling,
    normalised: s.normalised,
    baseline: s.baseline,
    runId: s.runId,
    preprocessing: layerPreprocessingOf(layerOf.get(s.layerId!)?.preprocessing),
    saeSelection: s.representation === 'neurons' ? null : (selections.get(s.runId) ?? 'fixed'),
  }));
}

/** The tidy results as CSV (RFC 4180; list columns joined by ";"). */
export function resultsCsv(rows: StudyResultRow[]): string {
  const cells = rows.map((r) => RESULT_COLUMNS.map((c) => (Array.isArray(r[c]) ? r[c].join(';') : r[c])));
  return csvText([RESULT_COLUMNS, ...cells], '\n');
}

/** A page of studies, newest first, without results; and how many there are. */
export async function listStudies(
  prisma: Db,
  opts: { limit: number; offset: number },
): Promise<{ items: StudyView[]; total: number }> {
  const [rows, total] = await Promise.all([
    prisma.study.findMany({
      orderBy: { createdAt: 'desc' },
      take: opts.limit,
      skip: opts.offset,
      select: { id: true },
    }),
    prisma.study.count(),
  ]);
  const items: StudyView[] = [];
  for (const r of rows) items.push((await getStudy(prisma, r.id, { results: false }))!);
  return { items, total };
}

/** A study, or NotFoundError. */
export async function findStudy(prisma: Db, id: string, opts: { results?: boolean } = {}): Promise<StudyView> {
  const view = await getStudy(prisma, id, opts);
  if (!view) throw new NotFoundError('study', id);
  return view;
}

/** What GET /v1/studies/{id}/events sends: state and progress, terminal once no cell is queued or running. */
export async function studyProgress(
  prisma: Db,
  id: string,
): Promise<{ body: Pick<StudyView, 'id' | 'state' | 'progress'>; terminal: boolean } | null> {
  const v = await getStudy(prisma, id, { results: false });
  if (!v) return null;
  const open = v.cells.some((c) => c.status === 'queued' || c.status === 'running');
  return { body: { id: v.id, state: v.state, progress: v.progress }, terminal: !open };
}

/** The stimuli and folds of each of a study's runs (by run id), from their stored fold assignments. */
async function studyFolds(prisma: Db, id: string): Promise<FoldLookup> {
  const runs = await prisma.run.findMany({ where: { studyId: id }, select: { id: true, foldAssignment: true } });
  type Stored = { k: number; nsdIds: number[]; folds: number[] } | null;
  return new Map(runs.map((r) => [r.id, foldIdentity(r.foldAssignment as Stored)]));
}

/**
 * b - a per cell and across subjects (paired-comparisons.ts), with the paired statistics the study's jobs stored;
 * a and b: representations, or cells `<layerId>:<representation>` (every pair must share stimuli and folds).
 * Only stored fold scores and stored paired statistics are read: nothing is refitted.
 */
export async function studyComparisons(
  prisma: Db,
  id: string,
  a: string,
  b: string,
  adjust: Adjustment,
  across: Omit<AcrossSubjectsOptions, 'replicatesOf'> = { method: 'sign-flip' },
) {
  const view = await findStudy(prisma, id, { results: true });
  try {
    // Every run of a study shares its folds request, hence its repeats of K-fold.
    const repeats = foldRepeats(view.inputs.folds);
    const rows = view.results.map((r) => ({ ...r, foldRepeats: repeats }));
    // The stimulus-bootstrap replicates are read only for the hierarchical bootstrap.
    const paired = await studyPaired(prisma, id, across.method === 'hierarchical-bootstrap');
    return compareResultRows(rows, a, b, adjust, paired, await studyFolds(prisma, id), across);
  } catch (err) {
    if (err instanceof SelectorError) throw ValidationError.of(`query.${err.field}`, err.reason);
    throw err;
  }
}
