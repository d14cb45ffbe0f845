/**
 * Matrices ready to chart, built from stored results where the newest result of each cell wins: layer x ROI
 * scores of one model (neurons, SAE latents, or SAE minus neurons with fold and stimulus statistics), and the
 * layer-pair matrix of one metric between two models.
 */
import type { Db } from '../db/client';
import { NotFoundError, ValidationError } from '../errors';
import { storedMethod } from '../compute/metrics/registry';
import { foldRepeats, type FoldsSpec } from './folds';
import {
  differenceGrids,
  type FoldDifference,
  foldDifference,
  type HEADLINE_METHOD,
  type PairedSummary,
} from './paired-comparisons';
import { pairedForRuns } from './study-paired';

/** Rows ordered newest first -> the first (newest) row of each key. */
export function newestWins<R>(rows: readonly R[], key: (row: R) => string): Map<string, R> {
  const cells = new Map<string, R>();
  for (const r of rows) {
    const k = key(r);
    if (!cells.has(k)) cells.set(k, r);
  }
  return cells;
}

/** grid[i][j] = cell(rows[i], cols[j]). */
export function gridOf<A, B, C>(rows: readonly A[], cols: readonly B[], cell: (a: A, b: B) => C): C[][] {
  return rows.map((a) => cols.map((b) => cell(a, b)));
}

const layerOrder = [{ position: 'asc' as const }, { name: 'asc' as const }];

export interface ScoreMatrixQuery {
  modelId: string;
  subject: string;
  atlas: string;
  datasetId?: string;
  preset: string;
  representation: 'neurons' | 'sae' | 'difference';
  saeId?: string;
}

type Grid = (number | null)[][];

export interface ScoreMatrix {
  modelId: string;
  subject: string;
  atlas: string;
  preset: string;
  representation: ScoreMatrixQuery['representation'];
  layers: { id: string; name: string; position: number }[];
  rois: string[];
  values: Grid;
  sem: Grid;
  /** neurons / sae: each cell's baseline (Score.baseline); absent for the difference (both share one floor). */
  baseline?: Grid;
  lower?: Grid;
  upper?: Grid;
  p?: Grid;
  interval?: (typeof HEADLINE_METHOD | null)[][];
  q?: Grid;
  conditionalBootstrapLower?: Grid;
  conditionalBootstrapUpper?: Grid;
  conditionalPermutationP?: Grid;
}

interface ScoreCell {
  layerId: string | null;
  representation: string;
  target: string;
  value: number;
  sem: number | null;
  baseline: number | null;
  foldValues: number[];
  runId: string;
  /** Repeats of K-fold of the run (its folds request). */
  repeats: number;
}

const cellKey = (layerId: string | null, representation: string, roi: string) => `${layerId}|${representation}|${roi}`;

/** The alignment scores the matrix shows, newest first (with saeId: neurons, and that SAE's latents only). */
async function matrixScores(prisma: Db, q: ScoreMatrixQuery): Promise<ScoreCell[]> {
  const reps = q.representation === 'difference' ? ['neurons', 'sae'] : [q.representation];
  const rows = await prisma.score.findMany({
    where: {
      kind: 'alignment',
      modelId: q.modelId,
      subject: q.subject,
      atlas: q.atlas,
      method: q.preset,
      datasetId: q.datasetId,
      representation: { in: reps },
      ...(q.saeId ? { OR: [{ representation: 'neurons' }, { saeId: q.saeId }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: {
      layerId: true,
      representation: true,
      target: true,
      value: true,
      sem: true,
      baseline: true,
      foldValues: true,
      runId: true,
      run: { select: { inputs: true } },
    },
  });
  return rows.map(({ run, ...r }) => ({ ...r, repeats: foldRepeats((run.inputs as { folds?: FoldsSpec }).folds) }));
}

/** ROIs in the atlas's label order when the atlas is known, else in order of appearance. */
async function orderRois(prisma: Db, datasetId: string | undefined, atlas: string, seen: string[]): Promise<string[]> {
  const a = await prisma.atlas.findFirst({
    where: { name: atlas, ...(datasetId ? { datasetId } : {}) },
    select: { labels: true },
  });
  if (!a) return [...seen].sort();
  const labels = a.labels as Record<string, string>;
  const order = Object.entries(labels)
    .sort((x, y) => Number(x[0]) - Number(y[0]))
    .map(([, name]) => name);
  const rank = (r: string) => {
    const i = order.indexOf(r);
    return i === -1 ? order.length : i;
  };
  return [...seen].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
}

/**
 * SAE minus neurons per cell, paired by fold: the corrected resampled t interval and p (the headline); where a
 * study job stored stimulus-level statistics for the two runs shown (b = SAE, a = neurons) the conditional
 * bootstrap interval and sign-flip p beside them. Unpairable folds (different K or repeats): the difference of
 * the values, without fold statistics.
 */
async function differenceMatrix(
  prisma: Db,
  cells: Map<string, ScoreCell>,
  layerIds: string[],
  rois: string[],
): Promise<Omit<ScoreMatrix, 'modelId' | 'subject' | 'atlas' | 'preset' | 'representation' | 'layers' | 'rois'>> {
  const neuronRuns = [...cells.values()].filter((c) => c.representation === 'neurons').map((c) => c.runId);
  const stored = await pairedForRuns(prisma, neuronRuns);
  const pairs = gridOf(layerIds, rois, (layerId, roi) => ({
    n: cells.get(cellKey(layerId, 'neurons', roi)),
    s: cells.get(cellKey(layerId, 'sae', roi)),
    roi,
  }));
  const diffs: (FoldDifference | null)[][] = pairs.map((row) =>
    row.map(({ n, s }) =>
      n && s && n.repeats === s.repeats ? foldDifference(n.foldValues, s.foldValues, n.repeats) : null,
    ),
  );
  const paired: (PairedSummary | null)[][] = pairs.map((row) =>
    row.map(({ n, s, roi }) => (n && s ? (stored.get(`${n.runId}|${s.runId}|${roi}`) ?? null) : null)),
  );
  return {
    values: pairs.map((row) => row.map(({ n, s }) => (n && s ? s.value - n.value : null))),
    sem: diffs.map((row) => row.map((d) => d?.sem ?? null)),
    ...differenceGrids(diffs, paired),
  };
}

/** Layer x ROI matrix of one model, subject, atlas and representation (or SAE minus neurons). */
export async function scoreMatrix(prisma: Db, q: ScoreMatrixQuery): Promise<ScoreMatrix> {
  const model = await prisma.model.findUnique({
    where: { id: q.modelId },
    include: { layers: { select: { id: true, name: true, position: true }, orderBy: layerOrder } },
  });
  if (!model) throw new NotFoundError('model', q.modelId);
  const rows = await matrixScores(prisma, q);
  const cells = newestWins(rows, (r) => cellKey(r.layerId, r.representation, r.target));
  const rois = await orderRois(prisma, q.datasetId, q.atlas, [...new Set(rows.map((r) => r.target))]);
  const layerIds = model.layers.map((l) => l.id);
  const grids =
    q.representation === 'difference'
      ? await differenceMatrix(prisma, cells, layerIds, rois)
      : {
          values: gridOf(layerIds, rois, (l, roi) => cells.get(cellKey(l, q.representation, roi))?.value ?? null),
          sem: gridOf(layerIds, rois, (l, roi) => cells.get(cellKey(l, q.representation, roi))?.sem ?? null),
          baseline: gridOf(layerIds, rois, (l, roi) => cells.get(cellKey(l, q.representation, roi))?.baseline ?? null),
        };
  return {
    modelId: model.id,
    subject: q.subject,
    atlas: q.atlas,
    preset: q.preset,
    representation: q.representation,
    layers: model.layers,
    rois,
    ...grids,
  };
}

export interface ComparisonMatrixQuery {
  sourceModelId: string;
  targetModelId: string;
  metric: Parameters<typeof storedMethod>[0];
  representation: 'neurons' | 'sae' | 'random-sae';
  /** rsa / cka: cross-validated runs (true) or runs over all stimuli (false). */
  cv: boolean;
}

function modelLayers(prisma: Db, id: string) {
  return prisma.model.findUnique({
    where: { id },
    include: { layers: { orderBy: layerOrder, select: { id: true, name: true } } },
  });
}

/** values[source layer][target layer] of one metric, from the newest succeeded comparison run of each pair. */
export async function comparisonMatrix(prisma: Db, q: ComparisonMatrixQuery) {
  const [source, target] = await Promise.all([
    modelLayers(prisma, q.sourceModelId),
    modelLayers(prisma, q.targetModelId),
  ]);
  if (!source) throw ValidationError.of('query.sourceModelId', 'no such model');
  if (!target) throw ValidationError.of('query.targetModelId', 'no such model');
  const [sourceLayers, targetLayers] = [source.layers, target.layers];
  const runs = await prisma.run.findMany({
    where: {
      kind: 'comparison',
      status: 'succeeded',
      method: storedMethod(q.metric, q.cv),
      representation: q.representation,
      targetRepresentation: q.representation,
      layerId: { in: sourceLayers.map((l) => l.id) },
      targetLayerId: { in: targetLayers.map((l) => l.id) },
    },
    orderBy: { finishedAt: 'desc' },
    include: { scores: true },
  });
  // A run without its score (none stored) does not hide an older one that has it.
  const cells = newestWins(
    runs.filter((r) => r.scores[0]),
    (r) => `${r.layerId}|${r.targetLayerId}`,
  );
  const score = (a: { id: string }, b: { id: string }) => cells.get(`${a.id}|${b.id}`)?.scores[0];
  return {
    metric: q.metric,
    representation: q.representation,
    sourceLayers,
    targetLayers,
    values: gridOf(sourceLayers, targetLayers, (a, b) => score(a, b)?.value ?? null),
    sem: gridOf(sourceLayers, targetLayers, (a, b) => score(a, b)?.sem ?? null),
    baseline: gridOf(sourceLayers, targetLayers, (a, b) => score(a, b)?.baseline ?? null),
  };
}
